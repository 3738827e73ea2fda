package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/events"
	"github.com/shopgraph/shopgraph/store/postgres"
	"github.com/shopgraph/shopgraph/testkit"
)

// Like the relay tests, the hub and follow tests do not call t.Parallel: each ends with a
// goroutine-leak check (checkGoroutines).

// eventWait bounds every wait for an event to arrive.
const eventWait = 20 * time.Second

// startHub runs h until the returned stop function is called or the test ends, and
// returns once the server has confirmed the hub's subscription. stop returns once Run
// has, and fails the test when Run returned an error.
func startHub(t *testing.T, h *events.Hub) (stop func()) {
	t.Helper()
	r := events.StartForTests(t, h.Run)
	select {
	case <-h.Ready():
	case <-r.Ended():
		t.Fatalf("Hub.Run returned %v before it was ready", r.Err())
	case <-time.After(eventWait):
		t.Fatal("the hub's subscription was not confirmed in time")
	}
	return r.Stop
}

// publishStatus publishes ev as the relay publishes an order event (subject, headers and
// payload), with core NATS: the hub does not care whether a stream stores it.
func publishStatus(t *testing.T, nc *nats.Conn, subjects events.Subjects, ev domain.StatusEvent) {
	t.Helper()
	d := domain.OrderEventData{
		OrderID: ev.OrderID, Number: fmt.Sprintf("SG-%06d", ev.OrderID), Sequence: ev.Sequence, Kind: ev.Kind,
		Status: ev.Status, Previous: ev.Previous, TotalMinor: ev.TotalAmount, Currency: "EUR",
		PaymentMethod: domain.PaymentCard, Reason: ev.Note, RefundMinor: ev.RefundAmount, ChargeMinor: ev.ChargeAmount, ReturnID: ev.ReturnID,
	}
	if ev.Shipment != nil {
		d.Carrier, d.Tracking = ev.Shipment.Carrier, ev.Shipment.TrackingNumber
	}
	payload, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg(subjects.For(ev.Kind.EventType(ev.Status)))
	m.Data = payload
	m.Header.Set(events.HeaderEventType, ev.Kind.EventType(ev.Status))
	m.Header.Set(events.HeaderEventKey, strconv.FormatInt(ev.OrderID, 10))
	m.Header.Set(events.HeaderEventAt, ev.At.UTC().Format(time.RFC3339Nano))
	if err := nc.PublishMsg(m); err != nil {
		t.Fatalf("publishing %s of order %d: %v", ev.Status, ev.OrderID, err)
	}
}

// statusEvent returns the event of order id's transition number seq into status.
func statusEvent(id int64, seq int, status, previous domain.OrderStatus) domain.StatusEvent {
	return domain.StatusEvent{
		OrderID: id, Sequence: seq, Status: status, Previous: previous,
		At: time.Date(2025, 6, 1, 10, seq, 0, 123456000, time.UTC),
	}
}

// waitMessages waits until the hub has fanned out at least n messages.
func waitMessages(t *testing.T, h *events.Hub, n int64) {
	t.Helper()
	waitFor(t, eventWait, fmt.Sprintf("the hub has handled %d messages", n), func() bool { return h.Messages() >= n })
}

// receive returns the next event of the watcher, failing the test when none comes in
// time or the watcher ends.
func receive(t *testing.T, w *events.Watcher) domain.StatusEvent {
	t.Helper()
	select {
	case ev := <-w.C():
		return *ev
	case <-w.Done():
		t.Fatalf("the watcher ended: %v", w.Err())
	case <-time.After(eventWait):
		t.Fatal("no event in time")
	}
	return domain.StatusEvent{}
}

// sameEvent reports whether two status events say the same, times compared as instants.
func sameEvent(a, b domain.StatusEvent) bool {
	if (a.Shipment == nil) != (b.Shipment == nil) || (a.Shipment != nil && *a.Shipment != *b.Shipment) {
		return false
	}
	a.Shipment, b.Shipment = nil, nil
	if !a.At.Equal(b.At) {
		return false
	}
	a.At, b.At = time.Time{}, time.Time{}
	return a == b
}

// checkEvents fails the test unless got and want hold the same events in the same order.
func checkEvents(t *testing.T, what string, got, want []domain.StatusEvent) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = sameEvent(got[i], want[i])
	}
	if !ok {
		t.Errorf("%s:\n got %s\nwant %s", what, fmtEvents(got), fmtEvents(want))
	}
}

func fmtEvents(evs []domain.StatusEvent) string {
	s := "["
	for i, e := range evs {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("{order %d #%d %s<-%s at %s note %q ship %v refund %d}", e.OrderID, e.Sequence, e.Status,
			e.Previous, e.At.UTC().Format(time.RFC3339Nano), e.Note, e.Shipment, e.RefundAmount)
	}
	return s + "]"
}

// shop is a database of the test's own with the relay publishing its outbox to a stream of
// the test's own, and a hub on a NATS connection of its own (another replica's, as it
// were).
type shop struct {
	ctx       context.Context
	db        *postgres.DB
	outbox    *postgres.OutboxStore
	orders    *postgres.OrderStore
	subjects  events.Subjects
	hub       *events.Hub
	hubNC     *nats.Conn
	stopRelay func()
	stopHub   func()
	product   int64 // a variant in stock
	placed    int
}

// newShop returns a shop on the shared NATS server with a running relay and hub.
func newShop(t *testing.T, cfg events.HubConfig) *shop {
	t.Helper()
	ctx := testContext(t)
	bus, subjects, _ := natsFixture(t, ctx)
	s := newShopOn(t, ctx, bus, subjects, connect(t, testkit.NATSURL()).NC, cfg)
	return s
}

// newShopOn returns a shop whose relay publishes with bus and whose hub listens on hubNC.
func newShopOn(t *testing.T, ctx context.Context, bus *events.Bus, subjects events.Subjects, hubNC *nats.Conn, cfg events.HubConfig) *shop {
	t.Helper()
	db, outbox := newOutbox(t, ctx)
	s := &shop{ctx: ctx, db: db, outbox: outbox, orders: postgres.NewOrderStore(db), subjects: subjects, hubNC: hubNC}
	if err := db.Pool.QueryRow(ctx, `SELECT v.id FROM product_variants v JOIN products p ON p.id = v.product_id WHERE v.deleted_at IS NULL AND p.deleted_at IS NULL AND v.stock >= 50 ORDER BY v.id LIMIT 1`).Scan(&s.product); err != nil {
		t.Fatalf("finding a product in stock: %v", err)
	}
	s.stopRelay = runRelay(t, events.NewRelay(outbox, bus.JS, events.RelayConfig{Subjects: subjects, Log: testkit.Logger(t)}))
	if cfg.Log == nil {
		cfg.Log = testkit.Logger(t)
	}
	s.hub = events.NewHub(hubNC, subjects, cfg)
	s.stopHub = startHub(t, s.hub)
	return s
}

// place places a PENDING order of one unit and returns its id.
func (s *shop) place(t *testing.T) int64 {
	t.Helper()
	s.placed++
	o, _, err := s.orders.PlaceOrder(s.ctx, domain.CheckoutRequest{
		Cart:          domain.Cart{ID: "c1", Lines: []domain.CartLine{{VariantID: s.product, Quantity: 1}}},
		Email:         "track@example.com",
		PaymentMethod: domain.PaymentCard,
		ShippingAddress: domain.Address{Name: "Ada", Line1: "1 Main St", City: "Lisbon", PostalCode: "1000-001",
			Country: "PT"},
		IdempotencyKey: "track-" + strconv.Itoa(s.placed),
	})
	if err != nil {
		t.Fatalf("placing an order: %v", err)
	}
	return o.ID
}

// pay marks the order PAID.
func (s *shop) pay(t *testing.T, id int64) {
	t.Helper()
	if _, err := s.orders.RecordPayment(s.ctx, id, "pay-"+strconv.FormatInt(id, 10)); err != nil {
		t.Fatalf("paying order %d: %v", id, err)
	}
}

// move makes the order's transition to status.
func (s *shop) move(t *testing.T, id int64, to domain.OrderStatus) {
	t.Helper()
	tr := domain.Transition{To: to}
	switch to {
	case domain.StatusShipped:
		tr.Shipment = &domain.Shipment{Carrier: "DHL", TrackingNumber: "JD" + strconv.FormatInt(id, 10)}
	case domain.StatusCancelled, domain.StatusReturned:
		tr.Note = "changed my mind"
	}
	if _, _, err := s.orders.Transition(s.ctx, id, tr); err != nil {
		t.Fatalf("moving order %d to %s: %v", id, to, err)
	}
}

// history returns the order's status history, with a sequence above after.
func (s *shop) history(t *testing.T, id int64, after int) []domain.StatusEvent {
	t.Helper()
	evs, err := s.orders.StatusEventsAfter(s.ctx, id, after)
	if err != nil {
		t.Fatalf("reading the history of order %d: %v", id, err)
	}
	return evs
}

func TestHubFansOutByOrder(t *testing.T) {
	checkGoroutines(t)
	s := newShop(t, events.HubConfig{})
	o1, o2 := s.place(t), s.place(t)
	waitMessages(t, s.hub, 2) // the order.created events, before anyone watches

	ws1 := []*events.Watcher{s.hub.Watch(o1), s.hub.Watch(o1), s.hub.Watch(o1)}
	w2 := s.hub.Watch(o2)
	gone := s.hub.Watch(o1)
	gone.Close()
	gone.Close() // idempotent
	if !errors.Is(gone.Err(), events.ErrWatcherClosed) {
		t.Errorf("Err() of a closed watcher = %v, want ErrWatcherClosed", gone.Err())
	}
	if n := s.hub.Watchers(); n != 4 {
		t.Errorf("Watchers() = %d, want 4", n)
	}

	s.pay(t, o1)
	s.pay(t, o2)
	s.move(t, o1, domain.StatusShipped)
	s.move(t, o1, domain.StatusDelivered)
	s.move(t, o2, domain.StatusCancelled)

	// One subscription delivers in publication order, which is commit order here: once
	// the last event reached w2, every earlier one has reached its watchers.
	var got2 []domain.StatusEvent
	for range 2 {
		got2 = append(got2, receive(t, w2))
	}
	checkEvents(t, "the watcher of the second order", got2, s.history(t, o2, 1))
	for i, w := range ws1 {
		if n := len(w.C()); n != 3 {
			t.Errorf("watcher %d of the first order holds %d events, want 3", i, n)
		}
		var got []domain.StatusEvent
		for len(w.C()) > 0 {
			got = append(got, *<-w.C())
		}
		checkEvents(t, fmt.Sprintf("watcher %d of the first order", i), got, s.history(t, o1, 1))
	}
	if n := len(w2.C()); n != 0 {
		t.Errorf("the watcher of the second order holds %d more events", n)
	}
	if n := len(gone.C()); n != 0 {
		t.Errorf("a closed watcher received %d events", n)
	}
	for _, w := range append(ws1, w2) {
		if w.Err() != nil {
			t.Errorf("a watcher ended: %v", w.Err())
		}
		w.Close()
	}
	if n := s.hub.Watchers(); n != 0 {
		t.Errorf("Watchers() = %d after closing them all, want 0", n)
	}
	waitMessages(t, s.hub, 7) // counted right after the fan-out
	if s.hub.Messages() != 7 || s.hub.Malformed() != 0 || s.hub.Dropped() != 0 {
		t.Errorf("Messages, Malformed, Dropped = %d, %d, %d; want 7, 0, 0", s.hub.Messages(), s.hub.Malformed(), s.hub.Dropped())
	}
}

func TestHubOneSubscriptionForManyWatchers(t *testing.T) {
	checkGoroutines(t)
	url, subjects, _ := testkit.NATS(t)
	nc := connect(t, url).NC
	pub := connect(t, url).NC
	hub := events.NewHub(nc, subjects, events.HubConfig{Log: testkit.Logger(t)})
	startHub(t, hub)

	const orders, perOrder = 100, 10
	watchers := make(map[int64][]*events.Watcher, orders)
	for i := range orders * perOrder {
		id := int64(1000 + i%orders)
		watchers[id] = append(watchers[id], hub.Watch(id))
	}
	if n := hub.Watchers(); n != orders*perOrder {
		t.Errorf("Watchers() = %d, want %d", n, orders*perOrder)
	}
	if n := nc.NumSubscriptions(); n != 1 {
		t.Errorf("the hub's connection has %d subscriptions for %d watchers, want 1", n, orders*perOrder)
	}

	for id := range watchers {
		publishStatus(t, pub, subjects, statusEvent(id, 2, domain.StatusPaid, domain.StatusPending))
	}
	publishStatus(t, pub, subjects, statusEvent(99, 2, domain.StatusPaid, domain.StatusPending)) // watched by no one
	waitMessages(t, hub, orders+1)
	for id, ws := range watchers {
		for _, w := range ws {
			if n := len(w.C()); n != 1 {
				t.Fatalf("a watcher of order %d holds %d events, want 1", id, n)
			}
			want := statusEvent(id, 2, domain.StatusPaid, domain.StatusPending)
			if ev := *<-w.C(); !sameEvent(ev, want) {
				t.Fatalf("a watcher of order %d got %s, want %s", id, fmtEvents([]domain.StatusEvent{ev}), fmtEvents([]domain.StatusEvent{want}))
			}
			w.Close()
		}
	}
	if n := hub.Watchers(); n != 0 {
		t.Errorf("Watchers() = %d after closing them all, want 0", n)
	}
}

func TestHubDropsSlowWatcher(t *testing.T) {
	checkGoroutines(t)
	url, subjects, _ := testkit.NATS(t)
	pub := connect(t, url).NC
	hub := events.NewHub(connect(t, url).NC, subjects, events.HubConfig{Buffer: 2, Log: testkit.Logger(t)})
	startHub(t, hub)

	const id = 7
	slow := hub.Watch(id)
	fast := []*events.Watcher{hub.Watch(id), hub.Watch(id)}
	life := []domain.StatusEvent{
		statusEvent(id, 1, domain.StatusPending, ""),
		statusEvent(id, 2, domain.StatusPaid, domain.StatusPending),
		statusEvent(id, 3, domain.StatusShipped, domain.StatusPaid),
		statusEvent(id, 4, domain.StatusDelivered, domain.StatusShipped),
		statusEvent(id, 5, domain.StatusReturned, domain.StatusDelivered),
	}
	life[2].Shipment = &domain.Shipment{Carrier: "UPS", TrackingNumber: "1Z"}
	life[4].Note, life[4].RefundAmount = "broken", 1250
	got := make([][]domain.StatusEvent, len(fast))
	for i, ev := range life {
		publishStatus(t, pub, subjects, ev)
		// In step with the fast watchers, so that only the one that never reads falls
		// behind: with a buffer of 2, the third event finds it full.
		for j, w := range fast {
			got[j] = append(got[j], receive(t, w))
		}
		if i < 2 && slow.Err() != nil {
			t.Fatalf("the slow watcher ended after %d events: %v", i+1, slow.Err())
		}
	}
	select {
	case <-slow.Done():
	default:
		t.Fatal("the watcher that never reads was not dropped")
	}
	if !errors.Is(slow.Err(), events.ErrSlowWatcher) {
		t.Errorf("Err() of the slow watcher = %v, want ErrSlowWatcher", slow.Err())
	}
	if n := len(slow.C()); n != 2 {
		t.Errorf("the slow watcher holds %d events, want the 2 it had room for", n)
	}
	for j := range fast {
		checkEvents(t, fmt.Sprintf("fast watcher %d", j), got[j], life)
	}
	if hub.Dropped() != 1 || hub.Watchers() != 2 {
		t.Errorf("Dropped() = %d, Watchers() = %d; want 1, 2", hub.Dropped(), hub.Watchers())
	}
	slow.Close() // a no-op after the drop
	if !errors.Is(slow.Err(), events.ErrSlowWatcher) || hub.Watchers() != 2 {
		t.Errorf("after Close of a dropped watcher: Err() = %v, Watchers() = %d", slow.Err(), hub.Watchers())
	}
	for _, w := range fast {
		w.Close()
	}
}

// hubAfter publishes the messages others makes, then order 5's PAID event, to a hub with
// a watcher of order 5, and returns the hub once the watcher has that event and the hub
// has counted every message.
func hubAfter(t *testing.T, others func(events.Subjects) []*nats.Msg) *events.Hub {
	t.Helper()
	checkGoroutines(t)
	url, subjects, _ := testkit.NATS(t)
	pub := connect(t, url).NC
	hub := events.NewHub(connect(t, url).NC, subjects, events.HubConfig{Log: testkit.Logger(t)})
	startHub(t, hub)
	w := hub.Watch(5)
	defer w.Close()
	msgs := others(subjects)
	for _, m := range msgs {
		if err := pub.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	want := statusEvent(5, 2, domain.StatusPaid, domain.StatusPending)
	publishStatus(t, pub, subjects, want)
	if ev := receive(t, w); !sameEvent(ev, want) {
		t.Errorf("got %s, want %s", fmtEvents([]domain.StatusEvent{ev}), fmtEvents([]domain.StatusEvent{want}))
	}
	waitMessages(t, hub, int64(len(msgs)+1)) // counted right after the fan-out
	return hub
}

func TestHubSkipsMalformedMessages(t *testing.T) {
	hub := hubAfter(t, func(subjects events.Subjects) []*nats.Msg {
		return []*nats.Msg{
			{Subject: subjects.For(domain.EventOrderPaid), Data: []byte("not json")},
			{Subject: subjects.For(domain.EventOrderPaid), Data: []byte(`{"orderId":5,"sequence":0,"status":"PAID"}`)},
			{Subject: subjects.For(domain.EventOrderPaid), Data: []byte(`{"orderId":5,"sequence":2,"status":"LOST"}`)},
			{Subject: subjects.For(domain.EventOrderPaid), Data: []byte(`{"orderId":5,"sequence":2,"status":"PAID"}`),
				Header: nats.Header{events.HeaderEventAt: []string{"yesterday"}}},
		}
	})
	if hub.Messages() != 5 || hub.Malformed() != 4 {
		t.Errorf("Messages() = %d, Malformed() = %d; want 5, 4", hub.Messages(), hub.Malformed())
	}
}

// An event of an order nobody watches is passed over on its key header, undecoded: a
// payload that would not decode is not even counted as malformed.
func TestHubPassesOverUnwatchedOrders(t *testing.T) {
	hub := hubAfter(t, func(subjects events.Subjects) []*nats.Msg {
		var msgs []*nats.Msg
		for _, key := range []string{"6", "7"} {
			msgs = append(msgs, &nats.Msg{Subject: subjects.For(domain.EventOrderPaid), Data: []byte("not json"),
				Header: nats.Header{events.HeaderEventKey: []string{key}}})
		}
		return msgs
	})
	if hub.Messages() != 3 || hub.Malformed() != 0 {
		t.Errorf("Messages() = %d, Malformed() = %d; want 3, 0", hub.Messages(), hub.Malformed())
	}
}

func TestHubStopEndsWatchers(t *testing.T) {
	checkGoroutines(t)
	url, subjects, _ := testkit.NATS(t)
	nc := connect(t, url).NC
	hub := events.NewHub(nc, subjects, events.HubConfig{Log: testkit.Logger(t)})
	early := hub.Watch(1) // before Run: kept, and told to resync once subscribed
	stop := startHub(t, hub)
	select {
	case <-early.Resync():
	case <-time.After(eventWait):
		t.Error("a watcher registered before Run got no resync signal")
	}
	ws := []*events.Watcher{early, hub.Watch(1), hub.Watch(2)}
	stop()

	for i, w := range ws {
		select {
		case <-w.Done():
		default:
			t.Fatalf("watcher %d still runs after the hub stopped", i)
		}
		if !errors.Is(w.Err(), events.ErrHubClosed) {
			t.Errorf("Err() of watcher %d = %v, want ErrHubClosed", i, w.Err())
		}
		w.Close()
	}
	if n := hub.Watchers(); n != 0 {
		t.Errorf("Watchers() = %d after stop, want 0", n)
	}
	if n := nc.NumSubscriptions(); n != 0 {
		t.Errorf("%d subscriptions left after stop", n)
	}
	late := hub.Watch(1)
	if !errors.Is(late.Err(), events.ErrHubClosed) {
		t.Errorf("Err() of a watcher made after stop = %v, want ErrHubClosed", late.Err())
	}
	late.Close()
	if err := hub.Run(context.Background()); err == nil {
		t.Error("a second Run returned nil")
	}
}
