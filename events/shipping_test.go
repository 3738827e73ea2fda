package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/events"
	"github.com/shopgraph/shopgraph/store/postgres"
	"github.com/shopgraph/shopgraph/testkit"
)

var _ events.ShippingOrders = (*postgres.OrderStore)(nil)

// Like the relay tests, the shipping tests do not call t.Parallel: they end with a
// goroutine-leak check.

// shippingFixture is a database, a shipping stream and subjects of the test's own, and a
// product in stock to order.
type shippingFixture struct {
	t        *testing.T
	ctx      context.Context
	db       *postgres.DB
	orders   *postgres.OrderStore
	bus      *events.Bus
	url      string
	subjects events.Subjects
	cfg      events.ShippingConfig
	stream   jetstream.Stream
	product  int64 // a variant in stock
}

func newShippingFixture(t *testing.T) *shippingFixture {
	t.Helper()
	ctx := testContext(t)
	db, _ := testkit.Postgres(t)
	url, subjects, name := testkit.NATS(t) // the test's stream name, deleted when it ends
	bus := connect(t, url)
	cfg := events.ShippingConfig{
		Subjects: subjects, Stream: name, Log: testkit.Logger(t), MaxAge: time.Hour,
		Durable: "shipping-test", RetryDelay: 20 * time.Millisecond, MaxRetryDelay: 200 * time.Millisecond,
	}
	// Created before the consumer runs, as a provider needs it to publish.
	st, err := events.EnsureShippingStream(ctx, bus.JS, cfg)
	if err != nil {
		t.Fatalf("EnsureShippingStream: %v", err)
	}
	f := &shippingFixture{t: t, ctx: ctx, db: db, orders: postgres.NewOrderStore(db), bus: bus, url: url, subjects: subjects, cfg: cfg, stream: st}
	if err := db.Pool.QueryRow(ctx, `SELECT v.id FROM product_variants v JOIN products p ON p.id = v.product_id WHERE v.deleted_at IS NULL AND p.deleted_at IS NULL AND v.stock >= 20 ORDER BY v.id LIMIT 1`).Scan(&f.product); err != nil {
		t.Fatalf("finding a product in stock: %v", err)
	}
	return f
}

// paidOrder places an order for one unit and records its payment.
func (f *shippingFixture) paidOrder() domain.Order {
	f.t.Helper()
	cart := domain.Cart{ID: uuid.NewString(), Lines: []domain.CartLine{{VariantID: f.product, Quantity: 1}}}
	o, _, err := f.orders.PlaceOrder(f.ctx, domain.CheckoutRequest{
		Cart: cart, Email: "parcel@example.com", PaymentMethod: domain.PaymentCard, IdempotencyKey: cart.ID,
		ShippingAddress: domain.Address{Name: "Ada", Line1: "1 Row", City: "London", PostalCode: "N1", Country: "GB"},
	})
	if err != nil {
		f.t.Fatalf("PlaceOrder: %v", err)
	}
	if o, err = f.orders.RecordPayment(f.ctx, o.ID, "pay-"+cart.ID); err != nil {
		f.t.Fatalf("RecordPayment: %v", err)
	}
	return o
}

// message returns a valid message about the order's parcel JD-<order id> with DHL.
func message(typ domain.ShippingType, o domain.Order) domain.ShippingMessage {
	return domain.ShippingMessage{Type: typ, OrderNumber: o.Number, Carrier: "DHL",
		TrackingNumber: fmt.Sprintf("JD%06d", o.ID), At: time.Now().UTC().Truncate(time.Second), EventID: uuid.NewString()}
}

// publish publishes m as a provider does: on its subject, with its event id as the
// message id.
func (f *shippingFixture) publish(m domain.ShippingMessage) *jetstream.PubAck {
	f.t.Helper()
	body, err := json.Marshal(m)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.publishRaw(f.subjects.For(events.ShippingSubject(m.Type)), body, m.EventID)
}

// publishRaw publishes body on subject with the message id, if any.
func (f *shippingFixture) publishRaw(subject string, body []byte, msgID string) *jetstream.PubAck {
	f.t.Helper()
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	ack, err := f.bus.JS.Publish(f.ctx, subject, body, opts...)
	if err != nil {
		f.t.Fatalf("publishing on %s: %v", subject, err)
	}
	return ack
}

// consumer returns a consumer over orders (the real store unless given), with the
// fixture's configuration.
func (f *shippingFixture) consumer(orders events.ShippingOrders) *events.ShippingConsumer {
	if orders == nil {
		orders = f.orders
	}
	return events.NewShippingConsumer(orders, f.bus.JS, f.cfg)
}

// run runs c until the returned stop function is called or the test ends; stop returns
// once Run has.
func (f *shippingFixture) run(c *events.ShippingConsumer) (stop func()) {
	return events.StartForTests(f.t, c.Run).Stop
}

// order reads the order back.
func (f *shippingFixture) order(id int64) domain.Order {
	f.t.Helper()
	m, err := f.orders.OrdersByID(f.ctx, []int64{id})
	if err != nil || m[id].ID != id {
		f.t.Fatalf("reading order %d: %v", id, err)
	}
	return m[id]
}

// waitStatus waits until the order has the status.
func (f *shippingFixture) waitStatus(id int64, want domain.OrderStatus) domain.Order {
	f.t.Helper()
	var o domain.Order
	waitFor(f.t, 20*time.Second, fmt.Sprintf("order %d is %s", id, want), func() bool {
		o = f.order(id)
		return o.Status == want
	})
	return o
}

// waitDone waits until the durable consumer has every message of the stream acknowledged.
func (f *shippingFixture) waitDone() {
	f.t.Helper()
	waitFor(f.t, 20*time.Second, "every shipping message is acknowledged", func() bool {
		cons, err := f.bus.JS.Consumer(f.ctx, f.cfg.Stream, f.cfg.Durable)
		if err != nil {
			return false
		}
		info, err := cons.Info(f.ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	})
}

// checkHistory checks the order's status history: the statuses in order, and the
// shipment on the step into SHIPPED.
func (f *shippingFixture) checkHistory(id int64, want []domain.OrderStatus, shipment domain.Shipment) {
	f.t.Helper()
	h, err := f.orders.StatusHistory(f.ctx, []int64{id})
	if err != nil {
		f.t.Fatal(err)
	}
	var got []domain.OrderStatus
	for i, e := range h[id] {
		got = append(got, e.Status)
		if e.Sequence != i+1 {
			f.t.Errorf("history entry %d has sequence %d", i, e.Sequence)
		}
		if e.Status == domain.StatusShipped && (e.Shipment == nil || *e.Shipment != shipment) {
			f.t.Errorf("the step into SHIPPED has shipment %+v, want %+v", e.Shipment, shipment)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		f.t.Errorf("history %v, want %v", got, want)
	}
}

// deadLetters returns the parked messages, in the order parked.
func (f *shippingFixture) deadLetters() []*jetstream.RawStreamMsg {
	f.t.Helper()
	var out []*jetstream.RawStreamMsg
	for _, m := range streamMsgs(f.t, f.ctx, f.stream) {
		if m.Subject == f.subjects.For(events.ShippingDeadLetter) {
			out = append(out, m)
		}
	}
	return out
}

// checkCounters checks the consumer's counters.
func checkCounters(t *testing.T, c *events.ShippingConsumer, applied, ignored, parked int64) {
	t.Helper()
	if c.Applied() != applied || c.Ignored() != ignored || c.Parked() != parked {
		t.Errorf("Applied, Ignored, Parked = %d, %d, %d; want %d, %d, %d",
			c.Applied(), c.Ignored(), c.Parked(), applied, ignored, parked)
	}
}

func TestShippingDispatchedThenDelivered(t *testing.T) {
	checkGoroutines(t)
	f := newShippingFixture(t)
	o := f.paidOrder()
	c := f.consumer(nil)
	f.run(c)

	dispatched := message(domain.ShippingDispatched, o)
	f.publish(dispatched)
	got := f.waitStatus(o.ID, domain.StatusShipped)
	if got.Shipment == nil || *got.Shipment != dispatched.Shipment() {
		t.Errorf("shipment %+v, want %+v", got.Shipment, dispatched.Shipment())
	}
	f.publish(message(domain.ShippingInTransit, o))
	f.publish(message(domain.ShippingDelivered, o))
	f.waitStatus(o.ID, domain.StatusDelivered)
	f.waitDone()

	f.checkHistory(o.ID, []domain.OrderStatus{domain.StatusPending, domain.StatusPaid, domain.StatusShipped, domain.StatusDelivered}, dispatched.Shipment())
	checkCounters(t, c, 2, 1, 0)
	if c.Retried() != 0 || c.Failures() != 0 {
		t.Errorf("Retried() = %d, Failures() = %d; want 0, 0", c.Retried(), c.Failures())
	}
	// The transitions wrote the usual order events, for the relay to publish.
	var types []string
	rows, err := f.db.Pool.Query(f.ctx, `SELECT type FROM outbox WHERE key = $1 AND split_part(type, '.', 1) IN ('order', 'payment') ORDER BY position`, fmt.Sprint(o.ID))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var typ string
		if err := rows.Scan(&typ); err != nil {
			t.Fatal(err)
		}
		types = append(types, typ)
	}
	if strings.Join(types, ",") != "order.created,order.paid,payment.processed,order.shipped,order.delivered" {
		t.Errorf("the order's outbox events: %v", types)
	}
}

func TestShippingRepeatedMessages(t *testing.T) {
	checkGoroutines(t)
	f := newShippingFixture(t)
	o := f.paidOrder()
	c := f.consumer(nil)
	f.run(c)

	dispatched := message(domain.ShippingDispatched, o)
	if ack := f.publish(dispatched); ack.Duplicate {
		t.Fatal("the first dispatched message is a duplicate")
	}
	f.waitStatus(o.ID, domain.StatusShipped)
	// The provider retries with the same event id: the stream drops it.
	if ack := f.publish(dispatched); !ack.Duplicate {
		t.Error("the stream stored a retry with the same event id")
	}
	// The same news under another event id reaches the consumer and changes nothing.
	again := dispatched
	again.EventID = uuid.NewString()
	f.publish(again)
	f.waitDone()
	checkCounters(t, c, 1, 1, 0)

	delivered := message(domain.ShippingDelivered, o)
	f.publish(delivered)
	f.waitStatus(o.ID, domain.StatusDelivered)
	delivered.EventID = uuid.NewString()
	f.publish(delivered)
	late := dispatched
	late.EventID = uuid.NewString()
	f.publish(late) // a dispatch message after the delivery
	f.waitDone()

	checkCounters(t, c, 2, 3, 0)
	f.checkHistory(o.ID, []domain.OrderStatus{domain.StatusPending, domain.StatusPaid, domain.StatusShipped, domain.StatusDelivered}, dispatched.Shipment())
	if got := f.order(o.ID).Status; got != domain.StatusDelivered {
		t.Errorf("status %s after the repeats, want DELIVERED", got)
	}
}

func TestShippingOutOfOrder(t *testing.T) {
	checkGoroutines(t)
	f := newShippingFixture(t)
	o := f.paidOrder()
	c := f.consumer(nil)
	f.run(c)

	delivered := message(domain.ShippingDelivered, o)
	delivered.Carrier = "DHL Express" // the shipment recorded is the one the delivery names
	f.publish(delivered)
	got := f.waitStatus(o.ID, domain.StatusDelivered)
	f.publish(message(domain.ShippingDispatched, o)) // the dispatch message, late
	f.waitDone()

	if got.Shipment == nil || *got.Shipment != delivered.Shipment() {
		t.Errorf("shipment %+v, want %+v", got.Shipment, delivered.Shipment())
	}
	f.checkHistory(o.ID, []domain.OrderStatus{domain.StatusPending, domain.StatusPaid, domain.StatusShipped, domain.StatusDelivered}, delivered.Shipment())
	checkCounters(t, c, 1, 1, 0)
}

func TestShippingParksUnusableMessages(t *testing.T) {
	checkGoroutines(t)
	f := newShippingFixture(t)
	shipped := f.paidOrder()
	if _, _, err := f.orders.Transition(f.ctx, shipped.ID, domain.Transition{
		To: domain.StatusShipped, Shipment: &domain.Shipment{Carrier: "DHL", TrackingNumber: "JD-RECORDED"}}); err != nil {
		t.Fatal(err)
	}
	good := f.paidOrder()
	c := f.consumer(nil)
	f.run(c)

	valid := func(typ domain.ShippingType, edit func(*domain.ShippingMessage)) []byte {
		m := message(typ, good)
		edit(&m)
		b, _ := json.Marshal(m)
		return b
	}
	delivered := f.subjects.For("shipping.delivered")
	tests := []struct {
		name    string
		subject string
		body    []byte
		reason  string // a part of the reason header
	}{
		{"bad JSON", delivered, []byte(`{"type": "shipment.delivered", `), "cannot decode the message as JSON"},
		{"not an object", delivered, []byte(`["shipment.delivered"]`), "cannot decode"},
		{"bad time", delivered, []byte(`{"type": "shipment.delivered", "at": "yesterday"}`), "cannot decode"},
		{"unknown type", f.subjects.For("shipping.lost"), valid(domain.ShippingDelivered, func(m *domain.ShippingMessage) { m.Type = "shipment.lost" }), `type "shipment.lost" is not a known`},
		{"type of another subject", f.subjects.For("shipping.dispatched"), valid(domain.ShippingDelivered, func(*domain.ShippingMessage) {}), "must be published on " + delivered},
		{"no tracking number", delivered, valid(domain.ShippingDelivered, func(m *domain.ShippingMessage) { m.TrackingNumber = "" }), "trackingNumber must be"},
		{"no event id", delivered, valid(domain.ShippingDelivered, func(m *domain.ShippingMessage) { m.EventID = "" }), "eventId must be"},
		{"unknown order", delivered, valid(domain.ShippingDelivered, func(m *domain.ShippingMessage) { m.OrderNumber = "SG-999999" }), "unknown order number SG-999999"},
		{"another parcel delivered", delivered, []byte(fmt.Sprintf(
			`{"type":"shipment.delivered","orderNumber":%q,"carrier":"DHL","trackingNumber":"JD-OTHER","at":"2024-05-01T10:00:00Z","eventId":"e-other"}`,
			shipped.Number)), "tracking number JD-OTHER does not match the order's shipment JD-RECORDED"},
	}
	for i, tc := range tests {
		f.publishRaw(tc.subject, tc.body, fmt.Sprintf("bad-%d", i))
	}
	// The good message after them is not held up.
	f.publish(message(domain.ShippingDelivered, good))
	f.waitStatus(good.ID, domain.StatusDelivered)
	f.waitDone()
	checkCounters(t, c, 1, 0, int64(len(tests)))

	dead := f.deadLetters()
	if len(dead) != len(tests) {
		t.Fatalf("%d parked messages, want %d", len(dead), len(tests))
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := dead[i]
			if reason := d.Header.Get(events.HeaderDeadReason); !strings.Contains(reason, tc.reason) {
				t.Errorf("reason %q, want one containing %q", reason, tc.reason)
			}
			if d.Header.Get(events.HeaderDeadSubject) != tc.subject || d.Header.Get(events.HeaderDeadMsgID) != fmt.Sprintf("bad-%d", i) ||
				d.Header.Get(events.HeaderDeadSequence) == "" {
				t.Errorf("headers %v", d.Header)
			}
			if string(d.Data) != string(tc.body) {
				t.Errorf("body %s, want %s", d.Data, tc.body)
			}
		})
	}
	if got := f.order(shipped.ID).Status; got != domain.StatusShipped {
		t.Errorf("the order whose delivery named another parcel is %s, want SHIPPED", got)
	}
}

// flakyOrders is the real store failing like a database that is down while down is set.
type flakyOrders struct {
	*postgres.OrderStore
	down  atomic.Bool
	calls atomic.Int64
}

var errDown = errors.New("connect: connection refused")

func (s *flakyOrders) OrderByNumber(ctx context.Context, number string) (domain.Order, error) {
	if s.down.Load() {
		s.calls.Add(1)
		return domain.Order{}, errDown
	}
	return s.OrderStore.OrderByNumber(ctx, number)
}

func (s *flakyOrders) Transition(ctx context.Context, id int64, t domain.Transition) (domain.Order, domain.StatusEvent, error) {
	if s.down.Load() {
		s.calls.Add(1)
		return domain.Order{}, domain.StatusEvent{}, errDown
	}
	return s.OrderStore.Transition(ctx, id, t)
}

func TestShippingRetriesWhileTheDatabaseIsDown(t *testing.T) {
	checkGoroutines(t)
	f := newShippingFixture(t)
	o := f.paidOrder()
	store := &flakyOrders{OrderStore: f.orders}
	store.down.Store(true)
	c := f.consumer(store)
	f.run(c)

	f.publish(message(domain.ShippingDelivered, o))
	waitFor(t, 20*time.Second, "the message is tried a few times", func() bool { return c.Retried() >= 3 })
	if got := f.order(o.ID).Status; got != domain.StatusPaid {
		t.Fatalf("status %s while the database is down, want PAID", got)
	}
	if c.Parked() != 0 {
		t.Fatalf("Parked() = %d: a transient failure was parked", c.Parked())
	}
	store.down.Store(false)
	f.waitStatus(o.ID, domain.StatusDelivered)
	f.waitDone()
	checkCounters(t, c, 1, 0, 0)
	if store.calls.Load() != c.Retried() {
		t.Errorf("%d failed calls, %d retries; want one retry per failure", store.calls.Load(), c.Retried())
	}
}

// racingOrders is the real store where, just before the consumer's first transition,
// someone else (an admin) ships the order.
type racingOrders struct {
	*postgres.OrderStore
	once sync.Once
	race domain.Transition
	err  error
}

func (s *racingOrders) Transition(ctx context.Context, id int64, t domain.Transition) (domain.Order, domain.StatusEvent, error) {
	s.once.Do(func() { _, _, s.err = s.OrderStore.Transition(ctx, id, s.race) })
	return s.OrderStore.Transition(ctx, id, t)
}

// TestShippingDecidesAgainWhenTheOrderMoves delivers a PAID order while an admin ships it
// at the same moment: the consumer's SHIPPED step is STALE, and it decides again on the
// SHIPPED order instead of giving up or shipping twice.
func TestShippingDecidesAgainWhenTheOrderMoves(t *testing.T) {
	checkGoroutines(t)
	f := newShippingFixture(t)
	o := f.paidOrder()
	delivered := message(domain.ShippingDelivered, o)
	admin := delivered.Shipment()
	admin.Carrier = "DHL Parcel"
	store := &racingOrders{OrderStore: f.orders, race: domain.Transition{To: domain.StatusShipped, Shipment: &admin}}
	c := f.consumer(store)
	f.run(c)

	f.publish(delivered)
	f.waitStatus(o.ID, domain.StatusDelivered)
	f.waitDone()
	if store.err != nil {
		t.Fatalf("the admin's transition: %v", store.err)
	}
	f.checkHistory(o.ID, []domain.OrderStatus{domain.StatusPending, domain.StatusPaid, domain.StatusShipped, domain.StatusDelivered}, admin)
	checkCounters(t, c, 1, 0, 0)
}

// TestShippingReplicasShareAndResume runs two consumers on one durable, as two replicas
// do, then stops both, publishes, and starts a third, as a restart does.
func TestShippingReplicasShareAndResume(t *testing.T) {
	checkGoroutines(t)
	f := newShippingFixture(t)
	// A message the server hands to a replica as it stops comes back after the ack
	// wait: a short one keeps the test short whatever the timing.
	f.cfg.AckWait = 5 * time.Second
	const n = 6
	orders := make([]domain.Order, n)
	for i := range orders {
		orders[i] = f.paidOrder()
	}
	// A process each: its own connection, closed when it stops.
	replica := func() (*events.ShippingConsumer, func()) {
		bus := connect(t, f.url)
		c := events.NewShippingConsumer(f.orders, bus.JS, f.cfg)
		stop := f.run(c)
		return c, func() { stop(); bus.NC.Close() }
	}
	r0, stop0 := replica()
	r1, stop1 := replica()
	replicas := []*events.ShippingConsumer{r0, r1}
	stops := []func(){stop0, stop1}
	for _, o := range orders[:n/2] {
		f.publish(message(domain.ShippingDispatched, o))
		f.publish(message(domain.ShippingDelivered, o))
	}
	for _, o := range orders[:n/2] {
		f.waitStatus(o.ID, domain.StatusDelivered)
	}
	f.waitDone()
	for _, stop := range stops {
		stop()
	}

	for _, o := range orders[n/2:] { // published while no consumer runs
		f.publish(message(domain.ShippingDelivered, o))
	}
	restarted, _ := replica()
	for _, o := range orders[n/2:] {
		f.waitStatus(o.ID, domain.StatusDelivered)
	}
	f.waitDone()

	var applied, ignored, parked int64
	for _, c := range append(replicas, restarted) {
		applied, ignored, parked = applied+c.Applied(), ignored+c.Ignored(), parked+c.Parked()
	}
	// A replica may take an order's delivery before the other takes its dispatch: the
	// delivery ships and delivers, and the dispatch then changes nothing.
	if applied+ignored != n/2*2+n/2 || parked != 0 || applied < n {
		t.Errorf("applied %d, ignored %d, parked %d over %d messages", applied, ignored, parked, n/2*2+n/2)
	}
	if restarted.Applied() != n/2 {
		t.Errorf("the restarted consumer applied %d messages, want the %d published while none ran", restarted.Applied(), n/2)
	}
	for _, o := range orders {
		f.checkHistory(o.ID, []domain.OrderStatus{domain.StatusPending, domain.StatusPaid, domain.StatusShipped, domain.StatusDelivered}, message(domain.ShippingDelivered, o).Shipment())
	}
}

// TestShippingConsumerWaitsForNATS starts the consumer while NATS is down: it keeps
// setting up, and applies the message published once NATS is back.
func TestShippingConsumerWaitsForNATS(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t)
	db, _ := testkit.Postgres(t)
	srv := testkit.StartNATS(t)
	bus := connect(t, srv.URL())
	f := &shippingFixture{t: t, ctx: ctx, db: db, orders: postgres.NewOrderStore(db), bus: bus,
		cfg: events.ShippingConfig{Log: testkit.Logger(t), RetryDelay: 20 * time.Millisecond}}
	if err := db.Pool.QueryRow(ctx, `SELECT v.id FROM product_variants v JOIN products p ON p.id = v.product_id WHERE v.deleted_at IS NULL AND p.deleted_at IS NULL AND v.stock >= 20 ORDER BY v.id LIMIT 1`).Scan(&f.product); err != nil {
		t.Fatal(err)
	}
	o := f.paidOrder()
	srv.Stop()
	c := f.consumer(nil)
	f.run(c)
	waitFor(t, 20*time.Second, "the set-up has failed a few times", func() bool { return c.Failures() >= 1 })

	srv.Start()
	waitFor(t, 20*time.Second, "the shipping stream exists", func() bool {
		st, err := bus.JS.Stream(ctx, events.DefaultShippingStream)
		f.stream = st
		return err == nil
	})
	f.cfg.Stream, f.cfg.Durable = events.DefaultShippingStream, events.DefaultShippingDurable
	f.publish(message(domain.ShippingDelivered, o))
	f.waitStatus(o.ID, domain.StatusDelivered)
	f.waitDone()
	checkCounters(t, c, 1, 0, 0)
}

func TestShippingSubjects(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "t1"} {
		s := events.Subjects{Prefix: prefix}
		filter, dead := s.For(events.ShippingFilter), s.For(events.ShippingDeadLetter)
		for _, typ := range domain.AllShippingTypes {
			subj := s.For(events.ShippingSubject(typ))
			if !subjectMatches(filter, subj) || subj != s.For("shipping."+typ.Kind()) {
				t.Errorf("prefix %q: %s travels on %s, outside %s", prefix, typ, subj, filter)
			}
			for _, f := range s.Filters() { // the event stream's subjects
				if subjectMatches(f, subj) {
					t.Errorf("prefix %q: %s (%s) is captured by the event stream's %s too", prefix, typ, subj, f)
				}
			}
		}
		if subjectMatches(filter, dead) {
			t.Errorf("prefix %q: the consumer's filter %s would read back the dead letters on %s", prefix, filter, dead)
		}
		for _, f := range s.Filters() {
			if subjectMatches(f, dead) {
				t.Errorf("prefix %q: the dead letters on %s are captured by the event stream's %s", prefix, dead, f)
			}
		}
	}
	if got := events.ShippingSubject("order.shipped"); got != "" {
		t.Errorf("ShippingSubject of an unknown type = %q, want empty", got)
	}
	for in, want := range map[string]string{"": "SHIPPING", events.DefaultStream: "SHIPPING", "SGT_1": "SGT_1_SHIPPING"} {
		if got := events.ShippingStreamName(in); got != want {
			t.Errorf("ShippingStreamName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestShippingRejectsABadDurableName(t *testing.T) {
	t.Parallel()
	c := events.NewShippingConsumer(nil, nil, events.ShippingConfig{Durable: "shop.graph"})
	if err := c.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "durable") {
		t.Errorf("Run = %v, want an error about the durable name", err)
	}
}

// The dead letters keep the original's headers but not its Nats-Msg-Id.
func TestShippingDeadLetterHeaders(t *testing.T) {
	checkGoroutines(t)
	f := newShippingFixture(t)
	c := f.consumer(nil)
	f.run(c)
	msg := nats.NewMsg(f.subjects.For("shipping.delivered"))
	msg.Data = []byte("not json")
	msg.Header.Set("X-Provider", "acme")
	if _, err := f.bus.JS.PublishMsg(f.ctx, msg, jetstream.WithMsgID("acme-1")); err != nil {
		t.Fatal(err)
	}
	f.waitDone()
	dead := f.deadLetters()
	if len(dead) != 1 {
		t.Fatalf("%d parked messages, want 1", len(dead))
	}
	h := dead[0].Header
	if h.Get("X-Provider") != "acme" || h.Get(jetstream.MsgIDHeader) == "acme-1" || h.Get(events.HeaderDeadMsgID) != "acme-1" {
		t.Errorf("dead letter headers %v", h)
	}
	checkCounters(t, c, 0, 0, 1)
}
