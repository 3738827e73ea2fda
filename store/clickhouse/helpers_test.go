package clickhouse_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/clickhouse"
	"github.com/shopgraph/shopgraph/testkit"
)

// newStore returns an AnalyticsStore on a ClickHouse database of the test's own.
func newStore(t *testing.T) (*clickhouse.AnalyticsStore, *clickhouse.DB) {
	t.Helper()
	db := testkit.ClickHouse(t)
	return clickhouse.NewAnalyticsStore(db), db
}

// testCtx returns a context that ends with the test, or after a generous minute.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// utc parses "2006-01-02 15:04:05" in UTC.
func utc(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.DateTime, s)
	if err != nil {
		t.Fatalf("parsing %q: %v", s, err)
	}
	return at
}

// events builds analytics rows the way the ingester does: published events through
// domain.ToAnalytics, so the rows follow the revenue rule.
type events struct {
	t    *testing.T
	rows []domain.AnalyticsEvent
}

// add appends the rows of one published event and returns its id.
func (e *events) add(typ, key string, at time.Time, payload any) string {
	e.t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		e.t.Fatalf("encoding %s payload: %v", typ, err)
	}
	id := uuid.NewString()
	rows, err := domain.ToAnalytics(id, typ, key, at, b)
	if err != nil {
		e.t.Fatalf("ToAnalytics(%s): %v", typ, err)
	}
	if len(rows) == 0 {
		e.t.Fatalf("ToAnalytics(%s) made no rows", typ)
	}
	e.rows = append(e.rows, rows...)
	return id
}

// order is an order of the fixtures: what its status events carry.
type order struct {
	id      int64
	total   int64
	method  domain.PaymentMethod
	session string
	lines   []domain.OrderLineData
}

// status appends the order's transition from previous to status at the time.
func (e *events) status(o order, previous, status domain.OrderStatus, at time.Time, refund int64) {
	e.t.Helper()
	e.add(status.EventType(), strconv.FormatInt(o.id, 10), at, domain.OrderEventData{
		OrderID: o.id, Number: "SG-" + strconv.FormatInt(o.id, 10), UserID: 7, Status: status,
		Previous: previous, TotalMinor: o.total, Currency: domain.DefaultCurrency,
		PaymentMethod: o.method, RefundMinor: refund, SessionID: o.session, Lines: o.lines,
	})
}

// track appends a storefront clickstream event.
func (e *events) track(typ domain.TrackEventType, session string, product int64, at time.Time) {
	e.t.Helper()
	e.add(domain.EventAnalyticsTracked, session, at, domain.TrackedEvent{
		ID: uuid.NewString(), Type: typ, SessionID: session, ProductID: product, At: at,
	})
}

// insert stores the rows.
func (e *events) insert(ctx context.Context, s *clickhouse.AnalyticsStore) {
	e.t.Helper()
	if err := s.Insert(ctx, e.rows); err != nil {
		e.t.Fatalf("Insert: %v", err)
	}
}

// wantCode fails the test unless err carries the code.
func wantCode(t *testing.T, what string, err error, code domain.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %s", what, code)
	}
	if got := domain.ErrorCode(err); got != code {
		t.Fatalf("%s: error %q has code %s, want %s", what, err, got, code)
	}
}
