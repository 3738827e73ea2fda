package api

import (
	"context"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shopgraph/shopgraph/graph/model"
)

// The admin dashboard's revenue series is the largest list shopgraph answers: an hourly
// series over 90 days is 2,160 points, and gqlgen's executor gives each point a
// goroutine, a field set and a field context per field, some 90 allocations a point,
// when the answer itself comes from the dashboard cache in memory. The catalog writer
// writes the series' JSON itself once Dashboard.revenueSeries' resolver has run, on the
// same terms as the product fields: only when every field selected below a point is one
// it knows (seriesFields), fragments, aliases, @skip and @include collected by gqlgen's
// own CollectFields, no @defer below the field, and never when fields are traced; a
// null where the schema forbids one (a point, its revenue, a bucket that marshals to
// null) hands the field back to gqlgen, which reports it as usual.
//
// TestCompiledSeriesMatchesExecutor checks that the answers are byte for byte those of
// gqlgen's executor.

// seriesFields are the fields the writer answers on a RevenuePoint (see catalogFields).
var seriesFields = map[string]string{"__typename": "", "bucket": "", "revenue": "Money", "orders": ""}

func init() {
	// The catalog writer's selection checks and field collection (known, collect,
	// fields) look types up in these two tables; Money is already in both.
	catalogFields["RevenuePoint"] = seriesFields
	implementors["RevenuePoint"] = []string{"RevenuePoint"}
}

// interceptSeries returns the written answer of Dashboard.revenueSeries, whose resolver
// returned res, or nil when gqlgen is to marshal res itself.
func (c *catalogWriter) interceptSeries(ctx context.Context, fc *graphql.FieldContext, res any) (m graphql.Marshaler) {
	if fc.Object != "Dashboard" || fc.Field.Name != "revenueSeries" || !graphql.HasOperationContext(ctx) {
		return nil
	}
	ps, ok := res.([]*model.RevenuePoint)
	if !ok || ps == nil {
		return nil
	}
	w := &writer{c: c, ctx: ctx, oc: graphql.GetOperationContext(ctx)}
	if !w.known(fc.Field.Selections, "RevenuePoint") {
		return nil
	}
	// A point is some 90 bytes with every field selected.
	w.buf.Grow(96*len(ps) + 2)
	defer func() {
		if r := recover(); r != nil {
			m = nil // gqlgen marshals the field again and reports the panic its own way
		}
	}()
	if err := writeList(w, ps, func(p *model.RevenuePoint) error { return w.revenuePoint(p, fc.Field.Selections) }); err != nil {
		return nil
	}
	return rawJSON(w.buf.Bytes())
}

func (w *writer) revenuePoint(p *model.RevenuePoint, sel ast.SelectionSet) error {
	return w.fields(sel, "RevenuePoint", func(f graphql.CollectedField) error {
		switch f.Name {
		case "bucket":
			return w.dateTime(p.Bucket)
		case "revenue":
			if p.Revenue == nil {
				return errFallback
			}
			return w.fields(f.Selections, "Money", func(g graphql.CollectedField) error {
				switch g.Name {
				case "amount":
					w.decimal(p.Revenue.Amount)
				case "currencyCode":
					w.str(p.Revenue.CurrencyCode)
				}
				return nil
			})
		case "orders":
			w.int(p.Orders)
		default:
			return errFallback
		}
		return nil
	})
}

// dateTime writes a non-null DateTime as graphql.MarshalTime does, the quoted RFC 3339
// form with nanoseconds (all ASCII, so that quoting it is only adding the quotes); the
// zero time, which MarshalTime makes a null, is gqlgen's to report.
func (w *writer) dateTime(t time.Time) error {
	if t.IsZero() {
		return errFallback
	}
	w.buf.WriteByte('"')
	w.buf.Write(t.AppendFormat(w.buf.AvailableBuffer(), time.RFC3339Nano))
	w.buf.WriteByte('"')
	return nil
}

// decimal writes d as model.Decimal.MarshalGQL does (domain.FormatMinor, quoted):
// the sign, the units, a point and two digits, without its three allocations.
func (w *writer) decimal(d model.Decimal) {
	w.buf.Write(appendDecimal(w.buf.AvailableBuffer(), int64(d)))
}

func appendDecimal(b []byte, minor int64) []byte {
	b = append(b, '"')
	u := uint64(minor)
	if minor < 0 {
		b = append(b, '-')
		u = uint64(-minor)
	}
	b = strconv.AppendUint(b, u/100, 10)
	cents := u % 100
	b = append(b, '.', byte('0'+cents/10), byte('0'+cents%10), '"')
	return b
}
