package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/events"
	"github.com/shopgraph/shopgraph/store/clickhouse"
	"github.com/shopgraph/shopgraph/store/postgres"
	"github.com/shopgraph/shopgraph/testkit"
)

// newAnalyticsHarness is an instance with the whole pipeline: outbox relay, JetStream,
// ingester and a ClickHouse database of the test's own, with a short dashboard cache.
func newAnalyticsHarness(t *testing.T) (*harness, *clickhouse.DB) {
	t.Helper()
	h, ch, _ := newAnalyticsHarnessSubjects(t)
	return h, ch
}

// newAnalyticsHarnessSubjects is newAnalyticsHarness, also returning the NATS subjects the
// instance uses.
func newAnalyticsHarnessSubjects(t *testing.T) (*harness, *clickhouse.DB, events.Subjects) {
	t.Helper()
	url, subjects, stream := testkit.NATS(t)
	counter := &testkit.StatementCounter{}
	db, _ := testkit.Postgres(t, testkit.WithTracer(counter))
	ch := testkit.ClickHouse(t)
	h := buildHarness(t, app.Deps{Postgres: db, Redis: testkit.Redis(t), ClickHouse: ch}, counter, url,
		withStream(subjects, stream), func(c *app.Config) { c.Ingest = true; c.DashboardCacheTTL = time.Millisecond })
	return h, ch, subjects
}

// TestVerifyAfterSeed: the demo backfill (orders in every status and their clickstream)
// flows through the pipeline, and the reconciliation finds the dashboard and the order
// database in exact agreement.
func TestVerifyAfterSeed(t *testing.T) {
	h, ch, subjects := newAnalyticsHarnessSubjects(t)
	ctx := context.Background()
	now := time.Now()
	counts, clicks, err := app.SeedDemo(ctx, h.db, events.NewTrackPublisher(h.bus.JS, subjects), nil, 60, 40, now)
	if err != nil {
		t.Fatal(err)
	}
	if clicks == 0 || counts[domain.StatusReturned] == 0 || counts[domain.StatusCancelled] == 0 {
		t.Fatalf("seeded %v orders and %d events", counts, clicks)
	}
	r := domain.DateRange{From: now.Add(-91 * 24 * time.Hour), To: now.Add(time.Hour)}
	db, dash := postgres.NewOrderStore(h.db), clickhouse.NewAnalyticsStore(ch)
	var rep app.Report
	deadline := time.Now().Add(60 * time.Second)
	for {
		if rep, err = app.Verify(ctx, db, dash, r); err == nil && rep.Match() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dashboard never matched the order database: %v %v", rep, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if rep.DBOrders == 0 || rep.DBRevenue == 0 {
		t.Fatalf("nothing to reconcile: %v", rep)
	}
	// Revenue is what was charged: the demo orders carry discounts and shipping, and
	// every total is the subtotal less the discounts plus shipping.
	var discounted, shipped, inconsistent int
	if err := h.db.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE discount_minor > 0), count(*) FILTER (WHERE shipping_minor > 0),
		count(*) FILTER (WHERE total_minor <> subtotal_minor - discount_minor + shipping_minor) FROM orders`).Scan(&discounted, &shipped, &inconsistent); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d orders discounted, %d charged shipping", discounted, shipped)
	if discounted == 0 || shipped == 0 || inconsistent != 0 {
		t.Errorf("%d discounted, %d with shipping, %d inconsistent totals", discounted, shipped, inconsistent)
	}
	// Once nothing is left to ingest, the figures must still agree: no event counted twice.
	for {
		lag, err := h.app.Ingester.Lag(ctx)
		if err == nil && lag == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the ingester never caught up: lag %d, %v", lag, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if rep, err = app.Verify(ctx, db, dash, r); err != nil || !rep.Match() {
		t.Fatalf("after the backlog drained: %v %v", rep, err)
	}
	t.Log(rep)

	// Amendments and returns move revenue on both sides alike: an order amended down, a
	// delivered order partly returned, and an order amended up then cancelled.
	admin, _ := h.signedIn(domain.RoleAdmin)
	customer, _ := h.signedIn(domain.RoleCustomer)
	p := h.stocked(2, 10)
	c := customer.cartCreate(line(p[0], 3), line(p[1], 1))
	o1 := customer.checkout(c.Cart.ID, "verify-amend", nil)
	if o1.Order == nil {
		t.Fatalf("checkout: %+v", o1)
	}
	big := 1
	if readOrder(t, customer, o1.Order.ID).Lines[0].Quantity != 3 {
		big = 2
	}
	e1 := edit(t, admin, o1.Order.ID, "customer called", lineEdit(big, 1))
	if e1.Order == nil || e1.RefundAmount == nil {
		t.Fatalf("amend: %+v", e1)
	}
	o2 := deliveredOrder(t, admin, customer, "verify-return", nil, line(p[1], 2))
	ret := askReturn(t, customer, o2, "broken", returnLine(1, 1))
	if ret.Return == nil {
		t.Fatalf("return request: %+v", ret)
	}
	ap := approve(t, admin, ret.Return.ID, nil)
	if ap.Return == nil || ap.Return.RefundAmount == nil {
		t.Fatalf("approve: %+v", ap)
	}
	c3 := customer.cartCreate(line(p[0], 1))
	o3 := customer.checkout(c3.Cart.ID, "verify-cancel", nil)
	if e := edit(t, admin, o3.Order.ID, "one more", lineEdit(1, 2)); e.ChargeAmount == nil {
		t.Fatalf("amend up: %+v", e)
	}
	var cancelled struct{ OrderCancel orderPayload }
	admin.data(`mutation($id: ID!) { orderCancel(orderId: $id, reason: "test") { `+orderFields+` } }`, map[string]any{"id": o3.Order.ID}, &cancelled)
	if cancelled.OrderCancel.Order == nil {
		t.Fatalf("cancel: %+v", cancelled.OrderCancel)
	}
	wantOrders := rep.DBOrders + 2
	wantRevenue := rep.DBRevenue + minor(t, e1.Order.Total.Amount) + minor(t, ap.Order.Total.Amount) - minor(t, ap.Return.RefundAmount.Amount)
	for {
		rep, err = app.Verify(ctx, db, dash, r)
		if err == nil && rep.Match() && rep.DBOrders == wantOrders && rep.DBRevenue == wantRevenue {
			break
		}
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatalf("after amendments and returns: %v %v; want %d orders and revenue %s", rep, err, wantOrders, domain.FormatMinor(wantRevenue))
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Log(rep)
}

const dashboardQuery = `query($from: DateTime!, $to: DateTime!, $tz: String) { dashboard(range: {from: $from, to: $to}, timezone: $tz) {
	asOf timezone
	summary { revenue { amount } orders averageOrderValue { amount } newUsers }
	revenueSeries(granularity: DAY) { bucket revenue { amount } orders }
	ordersByStatus { status count }
	revenueByPaymentMethod { paymentMethod revenue { amount } orders }
	topProducts(limit: 3, by: UNITS) { product { id } units revenue { amount } }
	conversionFunnel { steps { name sessions rate } }
	eventCounts { service type count } } }`

type dashboardData struct {
	Dashboard struct {
		Timezone string
		Summary  *struct {
			Revenue           struct{ Amount string }
			Orders            int
			AverageOrderValue struct{ Amount string }
			NewUsers          int
		}
		RevenueSeries []struct {
			Bucket  string
			Revenue struct{ Amount string }
			Orders  int
		}
		OrdersByStatus []struct {
			Status string
			Count  int
		}
		RevenueByPaymentMethod []struct {
			PaymentMethod string
			Revenue       struct{ Amount string }
			Orders        int
		}
		TopProducts []struct {
			Product struct{ ID string }
			Units   int
		}
		ConversionFunnel *struct {
			Steps []struct {
				Name     string
				Sessions int
				Rate     float64
			}
		}
		EventCounts []struct {
			Service, Type string
			Count         int
		}
	}
}

// TestAnalyticsEndToEnd: checkouts, a cancellation and a clickstream flow through the
// outbox, JetStream and the ingester into ClickHouse, and the dashboard shows exactly
// what the order database says.
func TestAnalyticsEndToEnd(t *testing.T) {
	h, ch := newAnalyticsHarness(t)
	admin, _ := h.signedIn(domain.RoleAdmin)
	customer, _ := h.signedIn(domain.RoleCustomer)
	p := h.stocked(2, 20)
	session := "sess-e2e"

	// The funnel orders a session's steps by time, to the second: a real storefront's
	// steps are seconds apart, and so are these.
	at := func(ago int) string {
		return time.Now().Add(-time.Duration(ago) * time.Second).UTC().Format(time.RFC3339)
	}
	var track struct{ TrackEvents struct{ Accepted int } }
	h.data(`mutation($e: [TrackEventInput!]!) { trackEvents(events: $e) { accepted userErrors { message } } }`, map[string]any{"e": []any{
		map[string]any{"type": "PRODUCT_VIEWED", "productId": p[0], "sessionId": session, "at": at(4)},
		map[string]any{"type": "ADDED_TO_CART", "productId": p[0], "sessionId": session, "at": at(3)},
		map[string]any{"type": "CHECKOUT_STARTED", "sessionId": session, "at": at(2)},
		map[string]any{"type": "PRODUCT_VIEWED", "productId": p[1], "sessionId": "sess-browser", "at": at(2)},
	}}, &track)
	if track.TrackEvents.Accepted != 4 {
		t.Fatalf("trackEvents accepted %d", track.TrackEvents.Accepted)
	}
	c1 := customer.cartCreate(line(p[0], 2))
	o1 := customer.checkout(c1.Cart.ID, "a-1", map[string]any{"sessionId": session})
	c2 := customer.cartCreate(line(p[1], 1))
	o2 := customer.checkout(c2.Cart.ID, "a-2", map[string]any{"paymentMethod": "UPI"})
	if o1.Order == nil || o2.Order == nil {
		t.Fatalf("checkouts: %+v %+v", o1, o2)
	}
	var cancel struct{ OrderCancel orderPayload }
	admin.data(`mutation($id: ID!) { orderCancel(orderId: $id, reason: "test") { `+orderFields+` } }`, map[string]any{"id": o2.Order.ID}, &cancel)

	from, to := time.Now().Add(-time.Hour).UTC(), time.Now().Add(time.Hour).UTC()
	vars := map[string]any{"from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339), "tz": "Asia/Kolkata"}
	var d dashboardData
	deadline := time.Now().Add(30 * time.Second)
	for {
		admin.data(dashboardQuery, vars, &d)
		// Each field is asked of ClickHouse on its own (and cached on its own for the
		// cache's window), so one answer may hold an event another missed: wait until
		// every field shows the last events, the cancellation and the paid order's lines.
		cancelled := 0
		for _, c := range d.Dashboard.OrdersByStatus {
			if c.Status == "CANCELLED" {
				cancelled = c.Count
			}
		}
		if s := d.Dashboard.Summary; s != nil && s.Orders == 1 && cancelled == 1 && d.Dashboard.ConversionFunnel != nil && d.Dashboard.ConversionFunnel.Steps[3].Sessions == 1 &&
			len(d.Dashboard.TopProducts) > 0 && len(d.Dashboard.RevenueSeries) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dashboard never caught up: %+v", d.Dashboard.Summary)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s := d.Dashboard.Summary
	if s.Revenue.Amount != o1.Order.Total.Amount || s.AverageOrderValue.Amount != o1.Order.Total.Amount || s.NewUsers != 2 {
		t.Errorf("summary %+v, want revenue %s from 1 order and 2 new users", s, o1.Order.Total.Amount)
	}
	statuses := map[string]int{}
	for _, c := range d.Dashboard.OrdersByStatus {
		statuses[c.Status] = c.Count
	}
	if statuses["PAID"] != 1 || statuses["CANCELLED"] != 1 {
		t.Errorf("orders by status: %v", statuses)
	}
	if len(d.Dashboard.TopProducts) == 0 || d.Dashboard.TopProducts[0].Product.ID != p[0] || d.Dashboard.TopProducts[0].Units != 2 {
		t.Errorf("top products: %+v", d.Dashboard.TopProducts)
	}
	steps := d.Dashboard.ConversionFunnel.Steps
	if steps[0].Sessions != 2 || steps[1].Sessions != 1 || steps[2].Sessions != 1 || steps[3].Sessions != 1 || steps[3].Rate != 0.5 {
		t.Errorf("funnel: %+v", steps)
	}
	if d.Dashboard.Timezone != "Asia/Kolkata" || len(d.Dashboard.RevenueSeries) == 0 || !strings.HasSuffix(d.Dashboard.RevenueSeries[0].Bucket, "+05:30") {
		t.Errorf("series in Kolkata: %+v", d.Dashboard.RevenueSeries)
	}

	// Reconciliation: the dashboard agrees exactly with the order database.
	rep, err := app.Verify(context.Background(), postgres.NewOrderStore(h.db), clickhouse.NewAnalyticsStore(ch), domain.DateRange{From: from, To: to})
	if err != nil || !rep.Match() {
		t.Errorf("verify: %v %v", rep, err)
	}
}

func TestDashboardBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, _ := h.signedIn(domain.RoleAdmin)
	now := time.Now().UTC()
	f := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	tests := []struct {
		name string
		vars map[string]any
		q    string
	}{
		{"from after to", map[string]any{"from": f(time.Hour), "to": f(0)}, `query($from: DateTime!, $to: DateTime!) { dashboard(range: {from: $from, to: $to}) { asOf } }`},
		{"over two years", map[string]any{"from": f(-3 * 365 * 24 * time.Hour), "to": f(0)}, `query($from: DateTime!, $to: DateTime!) { dashboard(range: {from: $from, to: $to}) { asOf } }`},
		{"unknown time zone", map[string]any{"from": f(-time.Hour), "to": f(0), "tz": "Mars/Olympus"}, `query($from: DateTime!, $to: DateTime!, $tz: String) { dashboard(range: {from: $from, to: $to}, timezone: $tz) { asOf } }`},
		{"hourly over a year", map[string]any{"from": f(-365 * 24 * time.Hour), "to": f(0)}, `query($from: DateTime!, $to: DateTime!) { dashboard(range: {from: $from, to: $to}) { revenueSeries(granularity: HOUR) { bucket } } }`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if r := admin.post(tc.q, tc.vars); r.code() != "BAD_USER_INPUT" {
				t.Errorf("%+v", r.Errors)
			}
		})
	}
	customer, _ := h.signedIn(domain.RoleCustomer)
	q := `query($from: DateTime!, $to: DateTime!) { dashboard(range: {from: $from, to: $to}) { asOf } }`
	vars := map[string]any{"from": f(-time.Hour), "to": f(0)}
	if r := customer.post(q, vars); r.code() != "FORBIDDEN" {
		t.Errorf("a customer: %+v", r.Errors)
	}
	if r := h.post(q, vars); r.code() != "UNAUTHENTICATED" {
		t.Errorf("a guest: %+v", r.Errors)
	}
}

func TestTrackEventsBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stocked(1, 1)[0]
	ok := map[string]any{"type": "PAGE_VIEWED", "sessionId": "s1"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range ok {
			m[a] = b
		}
		m[k] = v
		return m
	}
	many := make([]any, 101)
	for i := range many {
		many[i] = ok
	}
	tests := []struct {
		name   string
		events []any
		field  string
	}{
		{"future timestamp", []any{with("at", time.Now().Add(48*time.Hour).Format(time.RFC3339))}, "events.0.at"},
		{"ancient timestamp", []any{with("at", "2001-01-01T00:00:00Z")}, "events.0.at"},
		{"unknown product", []any{with("productId", gid("Product", 99999999))}, "events"},
		{"product view without product", []any{with("type", "PRODUCT_VIEWED")}, "events.0.productId"},
		{"oversized metadata", []any{with("metadata", strings.Repeat("m", 3000))}, "events.0.metadata"},
		{"empty session", []any{with("sessionId", "")}, "events.0.sessionId"},
		{"batch over the cap", many, "events"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out struct {
				TrackEvents struct {
					Accepted   int
					UserErrors []struct{ Field []string }
				}
			}
			h.data(`mutation($e: [TrackEventInput!]!) { trackEvents(events: $e) { accepted userErrors { field } } }`, map[string]any{"e": tc.events}, &out)
			if out.TrackEvents.Accepted != 0 || len(out.TrackEvents.UserErrors) == 0 || strings.Join(out.TrackEvents.UserErrors[0].Field, ".") != tc.field {
				t.Errorf("%+v, want a user error on %s", out.TrackEvents, tc.field)
			}
		})
	}
	// An unknown event type is refused by the schema itself.
	if r := h.post(`mutation { trackEvents(events: [{type: CLICKED, sessionId: "s"}]) { accepted } }`, nil); r.code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("unknown type: %+v", r.Errors)
	}
	_ = p
}
