package clickhouse_test

import (
	"maps"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/uuid"

	"github.com/shopgraph/shopgraph/domain"
)

func TestInsertStoresEveryColumn(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s, db := newStore(t)
	at := time.Date(2024, 3, 10, 10, 5, 7, 123_456_789, time.UTC)
	ev := &events{t: t}
	o := order{id: 41, total: 7000, method: domain.PaymentUPI, session: "sess-1", lines: []domain.OrderLineData{
		{ProductID: 3, Quantity: 2, UnitPriceMinor: 2000}, {ProductID: 9, Quantity: 1, UnitPriceMinor: 3000},
	}}
	ev.status(o, domain.StatusPending, domain.StatusPaid, at, 0)
	ev.insert(ctx, s)

	type row struct {
		id, typ, service, user, session, entity, currency, method string
		seq, tsMS                                                 uint16
		amount, revenue, product                                  int64
		delta                                                     int8
		quantity                                                  int32
		ts, ingested                                              time.Time
	}
	rows, err := db.Conn.Query(ctx, `SELECT toString(event_id), seq, type, service, user_id, session_id, entity_id,
		amount_minor, revenue_minor, orders_delta, currency, payment_method, product_id, quantity, ts, ts_ms, ingested_at
		FROM events ORDER BY seq`)
	if err != nil {
		t.Fatalf("reading events: %v", err)
	}
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.seq, &r.typ, &r.service, &r.user, &r.session, &r.entity, &r.amount, &r.revenue,
			&r.delta, &r.currency, &r.method, &r.product, &r.quantity, &r.ts, &r.tsMS, &r.ingested); err != nil {
			t.Fatalf("scanning events: %v", err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("reading events: %v", err)
	}
	if len(got) != 3 {
		t.Fatalf("stored %d rows, want 3 (the event and its 2 lines)", len(got))
	}
	id := ev.rows[0].EventID
	want := []row{
		{id: id, seq: 0, typ: "order.paid", service: "orders", user: "7", session: "sess-1", entity: "41", amount: 7000, revenue: 7000, delta: 1, currency: domain.DefaultCurrency, method: "UPI"},
		{id: id, seq: 1, typ: "order.line.sold", service: "orders", user: "7", session: "sess-1", entity: "41", amount: 4000, revenue: 4000, currency: domain.DefaultCurrency, method: "UPI", product: 3, quantity: 2},
		{id: id, seq: 2, typ: "order.line.sold", service: "orders", user: "7", session: "sess-1", entity: "41", amount: 3000, revenue: 3000, currency: domain.DefaultCurrency, method: "UPI", product: 9, quantity: 1},
	}
	for i, r := range got {
		if !r.ts.Equal(at.Truncate(time.Second)) || r.tsMS != 123 {
			t.Errorf("row %d: ts %s ms %d, want %s ms 123", i, r.ts, r.tsMS, at.Truncate(time.Second))
		}
		if time.Since(r.ingested).Abs() > time.Hour {
			t.Errorf("row %d: ingested_at %s, want about now", i, r.ingested)
		}
		r.ts, r.tsMS, r.ingested = time.Time{}, 0, time.Time{}
		if r != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, r, want[i])
		}
	}
}

func TestInsertRejectsABadRowBeforeSendingAny(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s, db := newStore(t)
	good := domain.AnalyticsEvent{EventID: uuid.NewString(), Type: "user.registered", Service: "accounts", At: time.Now()}
	for name, bad := range map[string]domain.AnalyticsEvent{
		"id not a UUID":  {EventID: "evt-1", Type: "user.registered", At: time.Now()},
		"seq too large":  {EventID: uuid.NewString(), Seq: 70000, At: time.Now()},
		"time zero":      {EventID: uuid.NewString()},
		"delta too wide": {EventID: uuid.NewString(), OrdersDelta: 300, At: time.Now()},
	} {
		if err := s.Insert(ctx, []domain.AnalyticsEvent{good, bad}); err == nil {
			t.Errorf("%s: Insert succeeded, want an error", name)
		} else if domain.ErrorCode(err) != domain.CodeInternal || !strings.Contains(err.Error(), "analytics row 1") {
			t.Errorf("%s: error %q (code %s), want an internal error blaming row 1", name, err, domain.ErrorCode(err))
		}
	}
	var n uint64
	if err := db.Conn.QueryRow(ctx, "SELECT count() FROM events").Scan(&n); err != nil {
		t.Fatalf("counting events: %v", err)
	}
	if n != 0 {
		t.Errorf("events holds %d rows after failed inserts, want 0", n)
	}
	// The failed inserts' columns, which the next insert reuses, hold none of their rows.
	if err := s.Insert(ctx, []domain.AnalyticsEvent{good}); err != nil {
		t.Fatalf("Insert after the failed ones: %v", err)
	}
	if err := db.Conn.QueryRow(ctx, "SELECT count() FROM events").Scan(&n); err != nil {
		t.Fatalf("counting events: %v", err)
	}
	if n != 1 {
		t.Errorf("events holds %d rows after one good insert of one row, want 1", n)
	}
	if err := s.Insert(ctx, nil); err != nil {
		t.Errorf("Insert(nil) = %v, want nil", err)
	}
}

func TestExistingEventIDs(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s, _ := newStore(t)
	// More ids than one query takes, to cross the chunking.
	const stored = 2500
	rows := make([]domain.AnalyticsEvent, stored)
	at := time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)
	for i := range rows {
		rows[i] = domain.AnalyticsEvent{EventID: uuid.NewString(), Type: "user.registered", Service: "accounts", At: at.Add(time.Duration(i) * time.Second)}
	}
	if err := s.Insert(ctx, rows); err != nil {
		t.Fatalf("Insert: %v", err)
	}

	var ask []string
	want := map[string]bool{}
	for i, r := range rows {
		if i%2 == 0 {
			ask = append(ask, r.EventID)
			want[r.EventID] = true
		}
		ask = append(ask, uuid.NewString()) // never stored
	}
	upper := strings.ToUpper(rows[1].EventID)
	ask = append(ask, upper, rows[0].EventID, "not-a-uuid", "")
	want[upper] = true

	got, err := s.ExistingEventIDs(ctx, ask)
	if err != nil {
		t.Fatalf("ExistingEventIDs: %v", err)
	}
	if !maps.Equal(got, want) {
		t.Errorf("ExistingEventIDs found %d ids, want %d", len(got), len(want))
		for id := range want {
			if !got[id] {
				t.Errorf("missing %s", id)
				break
			}
		}
	}

	none, err := s.ExistingEventIDs(ctx, []string{"nope"})
	if err != nil || len(none) != 0 {
		t.Errorf("ExistingEventIDs(no UUIDs) = %v, %v; want empty, nil", none, err)
	}
}

// An insert whose client gave up can still be running on the server, and store its rows
// after a check of which events are stored: ExistingEventIDs waits until it has ended.
func TestExistingEventIDsWaitsForAnInsertGivenUp(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s, db := newStore(t)
	running := func(id string) uint64 {
		var n uint64
		if err := db.Conn.QueryRow(ctx, "SELECT count() FROM system.processes WHERE query_id = ?", id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// A query that runs on for two seconds stands for the insert given up on.
	id := uuid.NewString()
	done := make(chan error, 1)
	go func() {
		var v uint8
		done <- db.Conn.QueryRow(ch.Context(ctx, ch.WithQueryID(id)), "SELECT sleep(2)").Scan(&v)
	}()
	for running(id) == 0 {
		select {
		case err := <-done:
			t.Fatalf("the stand-in query ended before it was seen running: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	s.AbandonForTest(id)
	if _, err := s.ExistingEventIDs(ctx, []string{uuid.NewString()}); err != nil {
		t.Fatal(err)
	}
	if running(id) != 0 {
		t.Error("ExistingEventIDs answered while an insert given up on was still running on the server")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
