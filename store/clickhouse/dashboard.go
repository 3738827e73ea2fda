package clickhouse

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/shopgraph/shopgraph/domain"
)

// quarterHour is the width of the rollups' buckets.
const quarterHour = 15 * time.Minute

// funnelWindow is how long after its product view a session's later funnel steps count;
// conversion_funnel.sql holds the same figure in milliseconds.
const funnelWindow = 24 * time.Hour

// alignRange widens r to whole quarter hours of UTC, the rollups' buckets.
func alignRange(r domain.DateRange) (from, to time.Time) {
	from = r.From.UTC().Truncate(quarterHour)
	to = r.To.UTC().Truncate(quarterHour)
	if to.Before(r.To) {
		to = to.Add(quarterHour)
	}
	return from, to
}

func rangeArgs(from, to time.Time) []any {
	return []any{ch.Named("from", from), ch.Named("to", to)}
}

// Summary returns the revenue and paid orders of the range by the revenue rule (every
// order paid in it, minus paid orders cancelled and refunds of returns in it) and the
// accounts created in it. The range is widened to quarter hours.
//
// It returns a BAD_USER_INPUT error for an invalid range, SERVICE_UNAVAILABLE when
// ClickHouse cannot be reached and TIMEOUT when the query runs out of time (ctx's
// deadline, or 5 seconds when it has none); so do all the dashboard methods.
func (s *AnalyticsStore) Summary(ctx context.Context, r domain.DateRange) (domain.Summary, error) {
	if err := r.Validate(); err != nil {
		return domain.Summary{}, err
	}
	var out domain.Summary
	err := s.db.read(ctx, summarySQL, rangeArgs(alignRange(r)), func(rows driver.Rows) error {
		return rows.Scan(&out.RevenueMinor, &out.Orders, &out.NewUsers)
	})
	if err != nil {
		return domain.Summary{}, err
	}
	return out, nil
}

// OrderTotals returns the paid-order count and revenue of the range, by the very query
// of Summary. The range is widened to quarter hours: reconcile over quarter-hour ranges.
func (s *AnalyticsStore) OrderTotals(ctx context.Context, r domain.DateRange) (orders, revenueMinor int64, err error) {
	sum, err := s.Summary(ctx, r)
	return sum.Orders, sum.RevenueMinor, err
}

// zoneName is what an IANA zone name may look like; it keeps "Local" and the names of
// time.FixedZone out.
var zoneName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$`)

// zone returns the location ClickHouse and Go will both bucket in: the IANA zone named
// by tz (UTC when nil), reloaded by name so that the Go side uses exactly the rules the
// name stands for. A location that is not an IANA zone is a BAD_USER_INPUT error.
func zone(tz *time.Location) (*time.Location, error) {
	if tz == nil {
		return time.UTC, nil
	}
	name := tz.String()
	bad := domain.FieldError([]string{"timezone"}, "timezone must be an IANA zone name such as Asia/Kolkata")
	if name == "Local" || len(name) > 64 || !zoneName.MatchString(name) {
		return nil, bad
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, bad
	}
	return loc, nil
}

// seriesGrid returns the starts of the buckets of granularity g in loc that cover r, in
// order, and the end of the last one.
func seriesGrid(r domain.DateRange, g domain.Granularity, loc *time.Location) (starts []time.Time, end time.Time) {
	var floor func(time.Time) time.Time
	var next func(time.Time) time.Time
	if g == domain.Hour {
		// Subtracting the local minutes and seconds finds the local hour's start in
		// every zone, the +5:45 ones and the hour a DST change repeats included.
		floor = func(t time.Time) time.Time {
			lt := t.In(loc)
			return t.Add(-time.Duration(lt.Minute())*time.Minute - time.Duration(lt.Second())*time.Second - time.Duration(lt.Nanosecond()))
		}
		next = func(t time.Time) time.Time { return t.Add(time.Hour) }
	} else {
		floor = func(t time.Time) time.Time {
			y, m, d := t.In(loc).Date()
			return time.Date(y, m, d, 0, 0, 0, 0, loc)
		}
		next = func(t time.Time) time.Time {
			y, m, d := t.In(loc).Date()
			return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
		}
	}
	t := floor(r.From)
	for t.Before(r.To) {
		starts = append(starts, t)
		t = next(t)
	}
	return starts, t
}

// RevenueSeries returns revenue and paid orders per hour or day of tz (UTC when nil)
// over the range widened to whole buckets, in order, empty buckets included with zeros.
// Bucket is the bucket's start in tz. Hourly series may cover at most
// domain.MaxHourlyRange. A zone that is not an IANA zone, or an unknown granularity, is a
// BAD_USER_INPUT error.
//
// ClickHouse buckets with toStartOfHour/toStartOfDay in the zone, by its own copy of the
// zone rules; should those disagree with Go's (an old server's tzdata after a zone
// changed its rules), a figure is added to the Go bucket that holds ClickHouse's bucket
// start, so no money goes missing.
func (s *AnalyticsStore) RevenueSeries(ctx context.Context, r domain.DateRange, g domain.Granularity, tz *time.Location) ([]domain.SeriesPoint, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	loc, err := zone(tz)
	if err != nil {
		return nil, err
	}
	var st statement
	switch g {
	case domain.Hour:
		if r.To.Sub(r.From) > domain.MaxHourlyRange {
			return nil, domain.FieldError([]string{"granularity"}, "hourly series cover at most %d days; use DAY", int(domain.MaxHourlyRange/(24*time.Hour)))
		}
		st = revenueSeriesHourSQL
	case domain.Day:
		st = revenueSeriesDaySQL
	default:
		return nil, domain.FieldError([]string{"granularity"}, "granularity must be HOUR or DAY")
	}
	starts, end := seriesGrid(r, g, loc)
	points := make([]domain.SeriesPoint, len(starts))
	for i, t := range starts {
		points[i].Bucket = t.In(loc)
	}
	// Bucket starts of every real zone fall on quarter hours, so the grid's edges are
	// rollup bucket edges and the sums are exact.
	args := append(rangeArgs(starts[0].UTC(), end.UTC()), ch.Named("tz", loc.String()))
	err = s.db.read(ctx, st, args, func(rows driver.Rows) error {
		var (
			start            time.Time
			revenue, ordered int64
		)
		if err := rows.Scan(&start, &revenue, &ordered); err != nil {
			return err
		}
		i := sort.Search(len(starts), func(i int) bool { return starts[i].After(start) }) - 1
		i = max(i, 0)
		points[i].RevenueMinor += revenue
		points[i].Orders += ordered
		return nil
	})
	if err != nil {
		return nil, err
	}
	return points, nil
}

// statusByEventType maps the type of an order's status event to the status.
var statusByEventType = func() map[string]domain.OrderStatus {
	m := make(map[string]domain.OrderStatus, len(domain.AllOrderStatuses))
	for _, s := range domain.AllOrderStatuses {
		m[s.EventType()] = s
	}
	return m
}()

// OrdersByStatus counts the orders created in the range (widened to quarter hours) by
// their current status, every status in lifecycle order, zeros included. Orders whose
// creation the analytics never saw are not counted.
func (s *AnalyticsStore) OrdersByStatus(ctx context.Context, r domain.DateRange) ([]domain.StatusCount, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	counts := make(map[domain.OrderStatus]int64)
	err := s.db.read(ctx, ordersByStatusSQL, rangeArgs(alignRange(r)), func(rows driver.Rows) error {
		var (
			typ string
			n   int64
		)
		if err := rows.Scan(&typ, &n); err != nil {
			return err
		}
		if st, ok := statusByEventType[typ]; ok {
			counts[st] += n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]domain.StatusCount, len(domain.AllOrderStatuses))
	for i, st := range domain.AllOrderStatuses {
		out[i] = domain.StatusCount{Status: st, Count: counts[st]}
	}
	return out, nil
}

// RevenueByPaymentMethod returns the revenue and paid orders of each payment method in
// the range (widened to quarter hours) by the revenue rule, highest revenue first, then
// by method name. A method whose figures are both zero is left out.
func (s *AnalyticsStore) RevenueByPaymentMethod(ctx context.Context, r domain.DateRange) ([]domain.MethodRevenue, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var out []domain.MethodRevenue
	err := s.db.read(ctx, revenueByMethodSQL, rangeArgs(alignRange(r)), func(rows driver.Rows) error {
		var m domain.MethodRevenue
		var method string
		if err := rows.Scan(&method, &m.RevenueMinor, &m.Orders); err != nil {
			return err
		}
		m.Method = domain.PaymentMethod(method)
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TopProducts returns up to limit products that sold in the range (widened to quarter
// hours), net of paid orders cancelled (returns do not reduce them: refunds are per
// order, not per line), ranked by units or revenue, ties broken by the other figure and
// then by the lower product id. A limit below 1 or an unknown ranking is a
// BAD_USER_INPUT error.
func (s *AnalyticsStore) TopProducts(ctx context.Context, r domain.DateRange, limit int, by domain.TopProductsBy) ([]domain.ProductSales, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, domain.FieldError([]string{"limit"}, "limit must be at least 1")
	}
	if by != domain.ByUnits && by != domain.ByRevenue {
		return nil, domain.FieldError([]string{"by"}, "by must be UNITS or REVENUE")
	}
	args := append(rangeArgs(alignRange(r)), ch.Named("by", string(by)), ch.Named("limit", limit))
	var out []domain.ProductSales
	err := s.db.read(ctx, topProductsSQL, args, func(rows driver.Rows) error {
		var p domain.ProductSales
		if err := rows.Scan(&p.ProductID, &p.Units, &p.RevenueMinor); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ConversionFunnel counts the sessions with a product view in the range (widened to
// quarter hours) that reached each of domain.FunnelSteps, in order to the millisecond
// (steps within one second count when they came in order), each step within a day of the
// product view that started the session's chain: a session that viewed on
// the range's last evening and paid the next morning counts as purchased.
//
// It reads the per-session rollup (funnel_sessions: per session, day and insert, the first
// and last view and the first time of each later step), which settles the level of every
// session whose steps' first times come in order; the few sessions it cannot settle
// (steps out of order, views on both sides of a range edge) are counted from their raw
// events by the ordered-steps query, over their own time spans only, or over the whole
// range when there are more than funnelUndeterminedMax of them (or two sessions share a
// key).
// When the newest seal (funnelseal.go) is current and its days reach into the range, the
// sessions it holds are counted from its counts by quarter hour, and only the rollup
// after its horizon is grouped (conversion_funnel_sealed.sql), with the same cases.
// Either way the answer is the ordered-steps query's (conversion_funnel.sql).
func (s *AnalyticsStore) ConversionFunnel(ctx context.Context, r domain.DateRange) ([]domain.FunnelStep, error) {
	steps, _, err := s.conversionFunnel(ctx, r)
	return steps, err
}

// funnelPath says how conversionFunnel found its answer.
type funnelPath string

const (
	funnelRollup funnelPath = "rollup" // the rollup settled every session
	funnelSealed funnelPath = "sealed" // a seal and the rollup after it settled every session
	funnelRaw    funnelPath = "raw"    // the raw events of the whole range
	// "rollup+some" and "sealed+some": and the raw events of a few
)

func (s *AnalyticsStore) conversionFunnel(ctx context.Context, r domain.DateRange) ([]domain.FunnelStep, funnelPath, error) {
	if err := r.Validate(); err != nil {
		return nil, "", err
	}
	ctx, cancel := withBudget(ctx, defaultReadBudget)
	defer cancel()
	from, to := alignRange(r)
	until := to.Add(funnelWindow)
	byLevel := make([]int64, len(domain.FunnelSteps)+1)
	count := func(rows driver.Rows) error {
		var (
			level    uint8
			sessions int64
		)
		if err := rows.Scan(&level, &sessions); err != nil {
			return err
		}
		if int(level) < len(byLevel) {
			byLevel[level] += sessions
		}
		return nil
	}
	var (
		undetermined, shared int64
		named                []funnelSpan // each with its key
	)
	args := []any{ch.Named("from", from), ch.Named("until", until),
		ch.Named("from_ms", from.UnixMilli()), ch.Named("to_ms", to.UnixMilli())}
	sessionsSQL, path := funnelSessionsSQL, funnelRollup
	// A current seal whose days reach into the range: one row per sealed session
	// instead of grouping their rollup again. A range of open days alone groups its few
	// days' rollup as it is.
	seal, current, err := s.currentSeal(ctx)
	if err != nil {
		return nil, "", err
	}
	if current && from.Before(seal.horizon.Add(24*time.Hour)) {
		sessionsSQL, path = funnelSealedSQL, funnelSealed
		args = append(args, ch.Named("generation", seal.generation),
			ch.Named("horizon", seal.horizon))
	}
	err = s.db.read(ctx, sessionsSQL, args, func(rows driver.Rows) error {
		var (
			level    uint8
			sessions int64
			spans    [][]any // (key, first, last)
		)
		if err := rows.Scan(&level, &sessions, &spans); err != nil {
			return err
		}
		// The sealed query may give a level in more than one row.
		switch {
		case level == funnelUndetermined:
			undetermined += sessions
			for _, t := range spans {
				var (
					span        funnelSpan
					ok          = len(t) == 3
					first, last uint64
				)
				if ok {
					var ok1, ok2, ok3 bool
					span.key, ok1 = t[0].(uint64)
					first, ok2 = t[1].(uint64)
					last, ok3 = t[2].(uint64)
					ok = ok1 && ok2 && ok3
				}
				if !ok {
					return fmt.Errorf("undetermined session %v: want (UInt64, UInt64, UInt64)", t)
				}
				span.first, span.last = int64(first), int64(last)
				named = append(named, span)
			}
		case level == funnelSharedKey:
			shared += sessions
		case int(level) < len(byLevel):
			byLevel[level] += sessions
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	switch {
	case shared == 0 && undetermined == 0:
	case shared == 0 && undetermined <= int64(s.undeterminedMax()) && int64(len(named)) == undetermined:
		path += "+some"
		if spans := funnelSpans(named, from, until, funnelSpansMax); spans != "" {
			set := make([]any, len(named))
			for i, n := range named {
				set[i] = n.key
			}
			someArgs := append(rangeArgs(from, to), ch.Named("until", until), ch.Named("sessions", ch.GroupSet{Value: set}))
			some := statement{name: funnelSomeSQL.name, sql: strings.ReplaceAll(funnelSomeSQL.sql, "@spans", spans)}
			if err := s.db.read(ctx, some, someArgs, count); err != nil {
				return nil, "", err
			}
		}
	default:
		// Too many to name, or two sessions under one key: the ordered-steps query over
		// the whole range, alone.
		path = funnelRaw
		clear(byLevel)
		if err := s.db.read(ctx, conversionFunnelSQL, append(rangeArgs(from, to), ch.Named("until", until)), count); err != nil {
			return nil, "", err
		}
	}
	// A session at level k reached steps 1 to k.
	out := make([]domain.FunnelStep, len(domain.FunnelSteps))
	var reached int64
	for i := len(domain.FunnelSteps) - 1; i >= 0; i-- {
		reached += byLevel[i+1]
		out[i] = domain.FunnelStep{Name: domain.FunnelSteps[i], Sessions: reached}
	}
	return out, path, nil
}

// funnelSpan is an undetermined session's key and the span of its funnel events, in epoch
// milliseconds, both ends included.
type funnelSpan struct {
	key         uint64
	first, last int64
}

// funnelSpansMax is how many time spans funnelSpans writes at most.
const funnelSpansMax = 32

// funnelSpans returns the condition on ts of conversion_funnel_some.sql for the sessions:
// their spans in whole seconds, clipped to [from, until), those that overlap or touch
// merged, and then the closest merged until at most limit are left; "" when none is left
// (no event of theirs can be read). It is written from numbers alone.
func funnelSpans(sessions []funnelSpan, from, until time.Time, limit int) string {
	lo, hi := from.Unix(), until.Unix()
	var spans [][2]int64 // [start, end) in seconds
	for _, s := range sessions {
		a, b := max(s.first/1000, lo), min(s.last/1000+1, hi)
		if a < b {
			spans = append(spans, [2]int64{a, b})
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	merged := spans[:0]
	for _, sp := range spans {
		if n := len(merged); n > 0 && sp[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], sp[1])
			continue
		}
		merged = append(merged, sp)
	}
	for len(merged) > limit {
		// Join the two neighbours with the shortest gap between them.
		at := 0
		for i := 1; i < len(merged)-1; i++ {
			if merged[i+1][0]-merged[i][1] < merged[at+1][0]-merged[at][1] {
				at = i
			}
		}
		merged[at][1] = merged[at+1][1]
		merged = append(merged[:at+1], merged[at+2:]...)
	}
	var b strings.Builder
	for i, sp := range merged {
		if i > 0 {
			b.WriteString(" OR ")
		}
		fmt.Fprintf(&b, "(ts >= toDateTime(%d) AND ts < toDateTime(%d))", sp[0], sp[1])
	}
	return b.String()
}

// funnelUndetermined is the level conversion_funnel_sessions.sql gives the sessions whose
// level the rollup does not settle, funnelSharedKey the one of keys two sessions share,
// and funnelUndeterminedMax how many undetermined sessions it names (its
// groupArrayIf(2000)): beyond that the funnel falls back to the raw events. 2000 keys
// are about 40 KB of query text, well under max_query_size (256 KiB).
const (
	funnelUndetermined    = 255
	funnelSharedKey       = 254
	funnelUndeterminedMax = 2000
)

// EventCounts counts the events of the range (widened to quarter hours) by service and
// type, ordered by service then type. The per-line rows of orders are not events and are
// not counted.
func (s *AnalyticsStore) EventCounts(ctx context.Context, r domain.DateRange) ([]domain.EventCount, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var out []domain.EventCount
	err := s.db.read(ctx, eventCountsSQL, rangeArgs(alignRange(r)), func(rows driver.Rows) error {
		var c domain.EventCount
		if err := rows.Scan(&c.Service, &c.Type, &c.Count); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *AnalyticsStore) undeterminedMax() int {
	if s.funnelUndeterminedMax > 0 {
		return s.funnelUndeterminedMax
	}
	return funnelUndeterminedMax
}
