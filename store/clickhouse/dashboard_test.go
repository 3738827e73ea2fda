package clickhouse_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/clickhouse"
)

// shopDay is one day of a small shop, 2024-03-10 UTC, with a few events either side.
// Every figure the tests expect is worked out by hand in the comments.
func shopDay(t *testing.T) *events {
	t.Helper()
	ev := &events{t: t}
	at := func(s string) time.Time { return utc(t, s) }
	line := func(product int64, qty int, unit int64) domain.OrderLineData {
		return domain.OrderLineData{ProductID: product, Quantity: qty, UnitPriceMinor: unit}
	}
	const (
		pending   = domain.StatusPending
		paid      = domain.StatusPaid
		shipped   = domain.StatusShipped
		delivered = domain.StatusDelivered
		cancelled = domain.StatusCancelled
		returned  = domain.StatusReturned
	)

	// Order 1, card, 10000: paid and delivered. Products 1 (2 x 3000) and 2 (1 x 4000).
	o1 := order{id: 1, total: 10000, method: domain.PaymentCard, session: "s1", lines: []domain.OrderLineData{line(1, 2, 3000), line(2, 1, 4000)}}
	ev.status(o1, "", pending, at("2024-03-10 10:00:00"), 0)
	ev.status(o1, pending, paid, at("2024-03-10 10:05:00"), 0)
	ev.add(domain.EventPaymentProcessed, "1", at("2024-03-10 10:05:00"), domain.PaymentEventData{OrderID: 1, AmountMinor: 10000, Currency: domain.DefaultCurrency, Method: domain.PaymentCard})
	ev.status(o1, paid, shipped, at("2024-03-10 12:00:00"), 0)
	ev.status(o1, shipped, delivered, at("2024-03-10 14:00:00"), 0)

	// Order 2, UPI, 5000: paid, then cancelled: no revenue, no order, no units.
	o2 := order{id: 2, total: 5000, method: domain.PaymentUPI, session: "s2", lines: []domain.OrderLineData{line(3, 5, 1000)}}
	ev.status(o2, "", pending, at("2024-03-10 11:00:00"), 0)
	ev.status(o2, pending, paid, at("2024-03-10 11:10:00"), 0)
	ev.status(o2, paid, cancelled, at("2024-03-10 11:30:00"), 0)

	// Order 3, card, 8000: paid, delivered, returned with a refund of 3000: revenue 5000.
	// Products 1 (1 x 3000) and 4 (1 x 5000).
	o3 := order{id: 3, total: 8000, method: domain.PaymentCard, session: "s3", lines: []domain.OrderLineData{line(1, 1, 3000), line(4, 1, 5000)}}
	ev.status(o3, "", pending, at("2024-03-10 09:00:00"), 0)
	ev.status(o3, pending, paid, at("2024-03-10 09:10:00"), 0)
	ev.status(o3, paid, shipped, at("2024-03-10 10:00:00"), 0)
	ev.status(o3, shipped, delivered, at("2024-03-10 12:00:00"), 0)
	ev.status(o3, delivered, returned, at("2024-03-10 15:00:00"), 3000)

	// Order 4, wallet: cancelled before payment: nothing.
	o4 := order{id: 4, total: 9900, method: domain.PaymentWallet}
	ev.status(o4, "", pending, at("2024-03-10 13:00:00"), 0)
	ev.status(o4, pending, cancelled, at("2024-03-10 13:20:00"), 0)

	// Order 5, cash on delivery: still pending.
	o5 := order{id: 5, total: 1500, method: domain.PaymentCOD}
	ev.status(o5, "", pending, at("2024-03-10 16:00:00"), 0)

	// Order 6, cash on delivery, 2000: created the day before, paid on the day. Product 5
	// (4 x 500).
	o6 := order{id: 6, total: 2000, method: domain.PaymentCOD, lines: []domain.OrderLineData{line(5, 4, 500)}}
	ev.status(o6, "", pending, at("2024-03-09 23:00:00"), 0)
	ev.status(o6, pending, paid, at("2024-03-10 00:30:00"), 0)

	// Order 7, card, 1000: session s7 pays the day after.
	o7 := order{id: 7, total: 1000, method: domain.PaymentCard, session: "s7", lines: []domain.OrderLineData{line(1, 1, 1000)}}
	ev.status(o7, "", pending, at("2024-03-11 01:30:00"), 0)
	ev.status(o7, pending, paid, at("2024-03-11 02:00:00"), 0)

	// Sign-ups: two on the day, one the day before.
	for i, s := range []string{"2024-03-09 22:00:00", "2024-03-10 08:00:00", "2024-03-10 23:59:59"} {
		ev.add(domain.EventUserRegistered, fmt.Sprint(100+i), at(s), domain.UserEventData{UserID: int64(100 + i), Email: fmt.Sprintf("u%d@example.com", i)})
	}

	// The clickstream.
	view, cart, checkout := domain.TrackProductViewed, domain.TrackAddedToCart, domain.TrackCheckoutStarted
	ev.track(view, "s1", 1, at("2024-03-10 09:30:00")) // s1: all four steps (order 1)
	ev.track(cart, "s1", 1, at("2024-03-10 09:40:00"))
	ev.track(checkout, "s1", 0, at("2024-03-10 09:50:00"))
	ev.track(view, "s2", 3, at("2024-03-10 10:30:00")) // s2: all four (order 2, cancelled later)
	ev.track(cart, "s2", 3, at("2024-03-10 10:40:00"))
	ev.track(checkout, "s2", 0, at("2024-03-10 11:00:00"))
	ev.track(view, "s3", 1, at("2024-03-10 08:00:00")) // s3: all four (order 3)
	ev.track(cart, "s3", 1, at("2024-03-10 08:30:00"))
	ev.track(checkout, "s3", 0, at("2024-03-10 09:00:00"))
	ev.track(view, "s4", 2, at("2024-03-10 12:00:00")) // s4: viewed, added
	ev.track(cart, "s4", 2, at("2024-03-10 12:05:00"))
	ev.track(view, "s5", 2, at("2024-03-10 13:00:00"))     // s5: viewed
	ev.track(cart, "s6", 2, at("2024-03-10 13:00:00"))     // s6: added without a view: nothing
	ev.track(view, "s7", 1, at("2024-03-10 22:00:00"))     // s7: all four, the last two
	ev.track(cart, "s7", 1, at("2024-03-10 23:30:00"))     // the next day, within a day
	ev.track(checkout, "s7", 0, at("2024-03-11 01:00:00")) // (order 7)
	ev.track(view, "s8", 1, at("2024-03-09 20:00:00"))     // s8: viewed the day before: nothing
	ev.track(cart, "s8", 1, at("2024-03-10 01:00:00"))
	ev.track(view, "s9", 4, at("2024-03-10 10:00:00")) // s9: viewed, skipped the cart
	ev.track(checkout, "s9", 0, at("2024-03-10 10:10:00"))
	ev.track(view, "s10", 4, at("2024-03-10 01:00:00")) // s10: viewed, added 25 hours later
	ev.track(cart, "s10", 4, at("2024-03-11 02:00:00"))
	ev.track(domain.TrackPageViewed, "s1", 0, at("2024-03-10 09:29:00"))
	return ev
}

func TestDashboardOnAShopDay(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s, db := newStore(t)
	shopDay(t).insert(ctx, s)
	day := domain.DateRange{From: utc(t, "2024-03-10 00:00:00"), To: utc(t, "2024-03-11 00:00:00")}

	check := func(t *testing.T) {
		t.Helper()
		// Revenue: 10000 (order 1) + 5000 - 5000 (order 2) + 8000 - 3000 (order 3)
		// + 2000 (order 6) = 17000; paid orders: 1 + 1 - 1 + 1 + 1 = 3.
		sum, err := s.Summary(ctx, day)
		if err != nil {
			t.Fatalf("Summary: %v", err)
		}
		if want := (domain.Summary{RevenueMinor: 17000, Orders: 3, NewUsers: 2}); sum != want {
			t.Errorf("Summary = %+v, want %+v", sum, want)
		}
		orders, revenue, err := s.OrderTotals(ctx, day)
		if err != nil || orders != 3 || revenue != 17000 {
			t.Errorf("OrderTotals = %d, %d, %v; want 3, 17000, nil", orders, revenue, err)
		}

		// Orders created on the day: 1 delivered, 2 and 4 cancelled, 3 returned, 5
		// pending; order 6 was created the day before.
		statuses, err := s.OrdersByStatus(ctx, day)
		if err != nil {
			t.Fatalf("OrdersByStatus: %v", err)
		}
		wantStatuses := []domain.StatusCount{
			{Status: domain.StatusPending, Count: 1}, {Status: domain.StatusPaid, Count: 0},
			{Status: domain.StatusShipped, Count: 0}, {Status: domain.StatusDelivered, Count: 1},
			{Status: domain.StatusCancelled, Count: 2}, {Status: domain.StatusReturned, Count: 1},
		}
		if !reflect.DeepEqual(statuses, wantStatuses) {
			t.Errorf("OrdersByStatus = %+v, want %+v", statuses, wantStatuses)
		}

		// Card: 10000 + 8000 - 3000 over 2 orders; COD: 2000 over 1; UPI nets to zero.
		methods, err := s.RevenueByPaymentMethod(ctx, day)
		if err != nil {
			t.Fatalf("RevenueByPaymentMethod: %v", err)
		}
		wantMethods := []domain.MethodRevenue{
			{Method: domain.PaymentCard, RevenueMinor: 15000, Orders: 2},
			{Method: domain.PaymentCOD, RevenueMinor: 2000, Orders: 1},
		}
		if !reflect.DeepEqual(methods, wantMethods) {
			t.Errorf("RevenueByPaymentMethod = %+v, want %+v", methods, wantMethods)
		}

		// Products: 1 sold 3 for 9000, 2 one for 4000, 4 one for 5000, 5 four for
		// 2000; 3 sold five and lost them to the cancellation.
		for _, tc := range []struct {
			by    domain.TopProductsBy
			limit int
			want  []domain.ProductSales
		}{
			{domain.ByUnits, 10, []domain.ProductSales{ps(5, 4, 2000), ps(1, 3, 9000), ps(4, 1, 5000), ps(2, 1, 4000)}},
			{domain.ByRevenue, 10, []domain.ProductSales{ps(1, 3, 9000), ps(4, 1, 5000), ps(2, 1, 4000), ps(5, 4, 2000)}},
			{domain.ByUnits, 2, []domain.ProductSales{ps(5, 4, 2000), ps(1, 3, 9000)}},
		} {
			got, err := s.TopProducts(ctx, day, tc.limit, tc.by)
			if err != nil {
				t.Fatalf("TopProducts(%d, %s): %v", tc.limit, tc.by, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("TopProducts(%d, %s) = %v, want %v", tc.limit, tc.by, got, tc.want)
			}
		}

		// Viewed: s1 s2 s3 s4 s5 s7 s9 s10; added: s1 s2 s3 s4 s7; checkout and paid:
		// s1 s2 s3 s7.
		funnel, err := s.ConversionFunnel(ctx, day)
		if err != nil {
			t.Fatalf("ConversionFunnel: %v", err)
		}
		wantFunnel := []domain.FunnelStep{
			{Name: "PRODUCT_VIEWED", Sessions: 8}, {Name: "ADDED_TO_CART", Sessions: 5},
			{Name: "CHECKOUT_STARTED", Sessions: 4}, {Name: "PURCHASED", Sessions: 4},
		}
		if !reflect.DeepEqual(funnel, wantFunnel) {
			t.Errorf("ConversionFunnel = %v, want %v", funnel, wantFunnel)
		}

		counts, err := s.EventCounts(ctx, day)
		if err != nil {
			t.Fatalf("EventCounts: %v", err)
		}
		wantCounts := []domain.EventCount{
			{Service: "accounts", Type: "user.registered", Count: 2},
			{Service: "orders", Type: "order.cancelled", Count: 2},
			{Service: "orders", Type: "order.created", Count: 5},
			{Service: "orders", Type: "order.delivered", Count: 2},
			{Service: "orders", Type: "order.paid", Count: 4},
			{Service: "orders", Type: "order.returned", Count: 1},
			{Service: "orders", Type: "order.shipped", Count: 2},
			{Service: "payments", Type: "payment.processed", Count: 1},
			{Service: "storefront", Type: "analytics.added_to_cart", Count: 7},
			{Service: "storefront", Type: "analytics.checkout_started", Count: 4},
			{Service: "storefront", Type: "analytics.page_viewed", Count: 1},
			{Service: "storefront", Type: "analytics.product_viewed", Count: 8},
		}
		if !reflect.DeepEqual(counts, wantCounts) {
			t.Errorf("EventCounts = %+v\nwant %+v", counts, wantCounts)
		}
	}
	t.Run("before merges", check)
	// The rollups are SummingMergeTree: merging their parts must not change a figure.
	for _, table := range []string{"events_15m", "product_sales_15m"} {
		if err := db.Conn.Exec(ctx, "OPTIMIZE TABLE "+table+" FINAL"); err != nil {
			t.Fatalf("optimizing %s: %v", table, err)
		}
	}
	t.Run("after merges", check)

	t.Run("edges widen to quarter hours", func(t *testing.T) {
		// [10:07, 10:08) widens to [10:00, 10:15): order 1's payment at 10:05.
		r := domain.DateRange{From: utc(t, "2024-03-10 10:07:00"), To: utc(t, "2024-03-10 10:08:00")}
		sum, err := s.Summary(ctx, r)
		if err != nil {
			t.Fatalf("Summary: %v", err)
		}
		if want := (domain.Summary{RevenueMinor: 10000, Orders: 1}); sum != want {
			t.Errorf("Summary = %+v, want %+v", sum, want)
		}
	})

	t.Run("next day", func(t *testing.T) {
		// Order 7 alone, paid at 02:00.
		next := domain.DateRange{From: utc(t, "2024-03-11 00:00:00"), To: utc(t, "2024-03-12 00:00:00")}
		sum, err := s.Summary(ctx, next)
		if err != nil {
			t.Fatalf("Summary: %v", err)
		}
		if want := (domain.Summary{RevenueMinor: 1000, Orders: 1}); sum != want {
			t.Errorf("Summary = %+v, want %+v", sum, want)
		}
	})
}

func ps(product, units, revenue int64) domain.ProductSales {
	return domain.ProductSales{ProductID: product, Units: units, RevenueMinor: revenue}
}

func TestDashboardRejectsBadInput(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s := clickhouse.NewAnalyticsStore(nil) // input is checked before any query
	day := domain.DateRange{From: utc(t, "2024-03-10 00:00:00"), To: utc(t, "2024-03-11 00:00:00")}
	reversed := domain.DateRange{From: day.To, To: day.From}
	_, err := s.Summary(ctx, reversed)
	wantCode(t, "Summary(reversed)", err, domain.CodeBadUserInput)
	_, err = s.TopProducts(ctx, day, 0, domain.ByUnits)
	wantCode(t, "TopProducts(limit 0)", err, domain.CodeBadUserInput)
	_, err = s.TopProducts(ctx, day, 5, "PRICE")
	wantCode(t, "TopProducts(by PRICE)", err, domain.CodeBadUserInput)
	_, err = s.RevenueSeries(ctx, day, "WEEK", time.UTC)
	wantCode(t, "RevenueSeries(WEEK)", err, domain.CodeBadUserInput)
	long := domain.DateRange{From: day.From, To: day.From.Add(domain.MaxHourlyRange + time.Hour)}
	_, err = s.RevenueSeries(ctx, long, domain.Hour, time.UTC)
	wantCode(t, "RevenueSeries(hourly, too long)", err, domain.CodeBadUserInput)
	for _, loc := range []*time.Location{time.Local, time.FixedZone("IST", 5*3600+1800), time.FixedZone("x'); DROP TABLE events; --", 0), time.FixedZone("Nowhere/Land", 0)} {
		_, err = s.RevenueSeries(ctx, day, domain.Day, loc)
		wantCode(t, fmt.Sprintf("RevenueSeries(zone %q)", loc), err, domain.CodeBadUserInput)
	}
}

// The current status of an order is the furthest along the state machine, whatever the
// events' times: every legal transition is tried with both events at the same instant,
// and with the later status stamped a second earlier.
func TestOrdersByStatusFollowsTheStateMachine(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s, _ := newStore(t)
	// The path from PENDING to every status, by the state machine.
	paths := map[domain.OrderStatus][]domain.OrderStatus{domain.StatusPending: {domain.StatusPending}}
	for queue := []domain.OrderStatus{domain.StatusPending}; len(queue) > 0; queue = queue[1:] {
		from := queue[0]
		for _, to := range domain.AllOrderStatuses {
			if _, seen := paths[to]; !seen && from.CanBecome(to) {
				paths[to] = append(append([]domain.OrderStatus{}, paths[from]...), to)
				queue = append(queue, to)
			}
		}
	}
	ev := &events{t: t}
	want := map[domain.OrderStatus]int64{}
	base := utc(t, "2024-03-10 12:00:00")
	var id int64
	for _, from := range domain.AllOrderStatuses {
		for _, to := range domain.AllOrderStatuses {
			if !from.CanBecome(to) {
				continue
			}
			path := append(append([]domain.OrderStatus{}, paths[from]...), to)
			for _, step := range []time.Duration{0, -time.Second} {
				id++
				o := order{id: id, total: 100, method: domain.PaymentCard}
				prev := domain.OrderStatus("")
				for i, st := range path {
					ev.status(o, prev, st, base.Add(time.Duration(i)*step), 0)
					prev = st
				}
				want[to]++
			}
		}
	}
	ev.insert(ctx, s)
	got, err := s.OrdersByStatus(ctx, domain.DateRange{From: base.Add(-time.Hour), To: base.Add(time.Hour)})
	if err != nil {
		t.Fatalf("OrdersByStatus: %v", err)
	}
	if len(got) != len(domain.AllOrderStatuses) {
		t.Fatalf("OrdersByStatus returned %d statuses, want %d", len(got), len(domain.AllOrderStatuses))
	}
	for i, c := range got {
		if c.Status != domain.AllOrderStatuses[i] || c.Count != want[c.Status] {
			t.Errorf("OrdersByStatus[%d] = %+v, want %s: %d", i, c, domain.AllOrderStatuses[i], want[domain.AllOrderStatuses[i]])
		}
	}
}

// TestConversionFunnelOrdersStepsWithinASecond: the funnel orders a session's steps by the
// millisecond, so steps taken within one second count when they came in order and not
// when they did not.
func TestConversionFunnelOrdersStepsWithinASecond(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s, _ := newStore(t)
	sec := utc(t, "2024-03-10 12:00:00")
	ms := func(n int) time.Time { return sec.Add(time.Duration(n) * time.Millisecond) }
	view, cart, checkout := domain.TrackProductViewed, domain.TrackAddedToCart, domain.TrackCheckoutStarted
	ev := &events{t: t}
	// a: all four steps, in order, within one second.
	ev.track(view, "a", 1, ms(100))
	ev.track(cart, "a", 1, ms(200))
	ev.track(checkout, "a", 0, ms(300))
	ev.status(order{id: 1, total: 500, method: domain.PaymentCard, session: "a"}, domain.StatusPending, domain.StatusPaid, ms(400), 0)
	// b: added to the cart 400 ms before viewing: viewed only.
	ev.track(cart, "b", 1, ms(100))
	ev.track(view, "b", 1, ms(500))
	// c: checkout started before the cart: viewed and added.
	ev.track(view, "c", 1, ms(100))
	ev.track(checkout, "c", 0, ms(200))
	ev.track(cart, "c", 1, ms(300))
	// d: viewed and added in the same millisecond: both count.
	ev.track(view, "d", 1, ms(500))
	ev.track(cart, "d", 1, ms(500))
	ev.insert(ctx, s)
	got, err := s.ConversionFunnel(ctx, domain.DateRange{From: sec.Add(-time.Hour), To: sec.Add(time.Hour)})
	if err != nil {
		t.Fatalf("ConversionFunnel: %v", err)
	}
	want := []int64{4, 3, 1, 1}
	if len(got) != len(want) {
		t.Fatalf("ConversionFunnel returned %d steps, want %d", len(got), len(want))
	}
	for i, st := range got {
		if st.Name != domain.FunnelSteps[i] || st.Sessions != want[i] {
			t.Errorf("step %d = %s: %d sessions, want %s: %d", i, st.Name, st.Sessions, domain.FunnelSteps[i], want[i])
		}
	}
}
