package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
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

var _ events.Outbox = (*postgres.OutboxStore)(nil)

// The relay tests do not call t.Parallel: each ends with a check that the number of
// goroutines went back to where it started, which only holds when no other test runs in
// the process meanwhile. (Parallel tests run only after all sequential ones.)

// checkGoroutines fails the test when goroutines it started outlive it.
func checkGoroutines(t *testing.T) { t.Helper(); events.LeakCheckForTests(t) }

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	events.EventuallyForTests(t, timeout, what, cond)
}

// testContext returns a context that ends with the test, or after a minute.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// connect returns a bus on url, closed when the test ends. Close, not Drain: the
// goroutine check needs the connection gone when the cleanup returns.
func connect(t *testing.T, url string) *events.Bus {
	t.Helper()
	bus, err := events.Connect(events.Config{URL: url, Name: t.Name()}, testkit.Logger(t))
	if err != nil {
		t.Fatalf("connecting to nats: %v", err)
	}
	t.Cleanup(bus.NC.Close)
	return bus
}

// newOutbox returns the outbox of a database of the test's own, with nothing waiting.
func newOutbox(t *testing.T, ctx context.Context) (*postgres.DB, *postgres.OutboxStore) {
	t.Helper()
	db, _ := testkit.Postgres(t)
	s := postgres.NewOutboxStore(db)
	for {
		es, err := s.UnpublishedEvents(ctx, 1000)
		if err != nil {
			t.Fatalf("reading seeded events: %v", err)
		}
		if len(es) == 0 {
			return db, s
		}
		ps := make([]int64, len(es))
		for i, e := range es {
			ps[i] = e.Position
		}
		if err := s.MarkPublished(ctx, ps); err != nil {
			t.Fatalf("marking seeded events published: %v", err)
		}
	}
}

// runRelay runs r until the returned stop function is called or the test ends; stop
// returns once Run has.
func runRelay(t *testing.T, r *events.Relay) (stop func()) {
	return events.StartForTests(t, r.Run).Stop
}

// eventSource makes events of several types and entities, each with an id and a time of
// its own, and remembers them in the order made.
type eventSource struct {
	n    int
	made []domain.Event
}

var testTypes = []string{
	domain.EventOrderCreated, domain.EventOrderPaid, domain.EventProductUpdated,
	domain.EventInventoryAdjusted, domain.EventUserRegistered, domain.EventShipmentDispatched,
}

func (s *eventSource) next() domain.Event {
	s.n++
	e := domain.Event{
		ID:   uuid.NewString(),
		Type: testTypes[s.n%len(testTypes)],
		Key:  fmt.Sprint(s.n % 3),
		At:   time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(s.n) * 1001 * time.Microsecond),
		Data: map[string]any{"n": s.n, "note": "event " + fmt.Sprint(s.n)},
	}
	s.made = append(s.made, e)
	return e
}

// commit writes n events in one transaction of its own.
func (s *eventSource) commit(t *testing.T, ctx context.Context, db *postgres.DB, n int) {
	t.Helper()
	if err := s.write(ctx, db, n); err != nil {
		t.Fatal(err)
	}
}

// write writes n events in one transaction of its own; unlike commit, it may run on any
// goroutine.
func (s *eventSource) write(ctx context.Context, db *postgres.DB, n int) error {
	evs := make([]domain.Event, n)
	for i := range evs {
		evs[i] = s.next()
	}
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("beginning: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit
	if err := postgres.WriteOutbox(ctx, tx, evs...); err != nil {
		return fmt.Errorf("writing outbox: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// streamMsgs returns every message of the stream, in stream order.
func streamMsgs(t *testing.T, ctx context.Context, st jetstream.Stream) []*jetstream.RawStreamMsg {
	t.Helper()
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("getting message %d: %v", seq, err)
		}
		out = append(out, m)
	}
	return out
}

// waitStreamMsgs waits until the stream holds n messages, and fails if it holds more.
func waitStreamMsgs(t *testing.T, ctx context.Context, st jetstream.Stream, n uint64, timeout time.Duration) {
	t.Helper()
	if got := waitStreamAtLeast(t, ctx, st, n, timeout); got > n {
		t.Fatalf("the stream holds %d messages, want %d", got, n)
	}
}

// waitStreamAtLeast waits until the stream holds n messages or more, and returns how many.
func waitStreamAtLeast(t *testing.T, ctx context.Context, st jetstream.Stream, n uint64, timeout time.Duration) uint64 {
	t.Helper()
	var last uint64
	waitFor(t, timeout, fmt.Sprintf("the stream holds %d messages", n), func() bool {
		info, err := st.Info(ctx)
		if err != nil {
			return false // NATS may be restarting
		}
		last = info.State.Msgs
		return last >= n
	})
	return last
}

// waitOutboxEmpty waits until no event waits to be published.
func waitOutboxEmpty(t *testing.T, ctx context.Context, s *postgres.OutboxStore) {
	t.Helper()
	// A minute: after a NATS cluster loses the node that led the stream, publishing waits
	// for a new leader, which a busy machine can take well over ten seconds to elect.
	waitFor(t, time.Minute, "the outbox has nothing left to publish", func() bool {
		n, _, err := s.OutboxLag(ctx)
		if err != nil {
			t.Fatalf("OutboxLag: %v", err)
		}
		return n == 0
	})
}

// checkStream checks that the stream holds exactly the events, in order, each once, with
// the subject, headers and payload the relay promises.
func checkStream(t *testing.T, ctx context.Context, st jetstream.Stream, subjects events.Subjects, want []domain.Event) {
	t.Helper()
	got := streamMsgs(t, ctx, st)
	if len(got) != len(want) {
		t.Errorf("the stream holds %d messages, want %d", len(got), len(want))
	}
	for i := 0; i < len(got) && i < len(want); i++ {
		g, w := got[i], want[i]
		if id := g.Header.Get(jetstream.MsgIDHeader); id != w.ID {
			t.Errorf("message %d: id %s, want %s (%s): out of order or duplicated", i, id, w.ID, w.Type)
			continue
		}
		if g.Subject != subjects.For(w.Type) {
			t.Errorf("message %d: subject %q, want %q", i, g.Subject, subjects.For(w.Type))
		}
		if h := g.Header.Get(events.HeaderEventType); h != w.Type {
			t.Errorf("message %d: type header %q, want %q", i, h, w.Type)
		}
		if h := g.Header.Get(events.HeaderEventKey); h != w.Key {
			t.Errorf("message %d: key header %q, want %q", i, h, w.Key)
		}
		if h := g.Header.Get(events.HeaderEventAt); h != w.At.UTC().Format(time.RFC3339Nano) {
			t.Errorf("message %d: time header %q, want %q", i, h, w.At.UTC().Format(time.RFC3339Nano))
		}
		var gd, wd any
		wb, _ := json.Marshal(w.Data)
		if err := json.Unmarshal(g.Data, &gd); err != nil {
			t.Errorf("message %d: payload %s is not JSON: %v", i, g.Data, err)
		}
		_ = json.Unmarshal(wb, &wd)
		if !reflect.DeepEqual(gd, wd) {
			t.Errorf("message %d: payload %s, want %s", i, g.Data, wb)
		}
	}
}

// natsFixture is a stream of the test's own on the shared server.
func natsFixture(t *testing.T, ctx context.Context) (*events.Bus, events.Subjects, jetstream.Stream) {
	t.Helper()
	url, subjects, name := testkit.NATS(t)
	bus := connect(t, url)
	st, err := events.EnsureStream(ctx, bus.JS, events.StreamConfig{Name: name, Subjects: subjects, MaxAge: time.Hour})
	if err != nil {
		t.Fatalf("EnsureStream: %v", err)
	}
	return bus, subjects, st
}

func TestRelayPublishesInCommitOrder(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t)
	db, store := newOutbox(t, ctx)
	bus, subjects, st := natsFixture(t, ctx)

	var src eventSource
	src.commit(t, ctx, db, 3) // before the relay runs
	src.commit(t, ctx, db, 1)

	// An hour between polls: what is committed from now on arrives because the relay is
	// notified of the commit.
	relay := events.NewRelay(store, bus.JS, events.RelayConfig{
		Subjects: subjects, Log: testkit.Logger(t), PollInterval: time.Hour, BatchSize: 4,
	})
	stop := runRelay(t, relay)
	waitStreamMsgs(t, ctx, st, 4, 20*time.Second)
	for _, n := range []int{2, 5, 1, 7} {
		src.commit(t, ctx, db, n)
	}
	waitStreamMsgs(t, ctx, st, uint64(len(src.made)), 20*time.Second)
	waitOutboxEmpty(t, ctx, store)
	stop()

	checkStream(t, ctx, st, subjects, src.made)
	if got := relay.Published(); got != int64(len(src.made)) {
		t.Errorf("Published() = %d, want %d", got, len(src.made))
	}
	if relay.Duplicates() != 0 || relay.Failures() != 0 {
		t.Errorf("Duplicates() = %d, Failures() = %d; want 0, 0", relay.Duplicates(), relay.Failures())
	}
	if relay.Leading() {
		t.Error("Leading() after Run returned")
	}
}

func TestRelayRepublishIsDeduplicated(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t)
	db, store := newOutbox(t, ctx)
	bus, subjects, st := natsFixture(t, ctx)

	var src eventSource
	src.commit(t, ctx, db, 4)

	// A relay that crashed after publishing the first two events, before marking them.
	entries, err := store.UnpublishedEvents(ctx, 2)
	if err != nil {
		t.Fatalf("UnpublishedEvents: %v", err)
	}
	for _, e := range entries {
		m := nats.NewMsg(subjects.For(e.Type))
		m.Data = e.Payload
		m.Header.Set(events.HeaderEventType, e.Type)
		m.Header.Set(events.HeaderEventKey, e.Key)
		m.Header.Set(events.HeaderEventAt, e.At.UTC().Format(time.RFC3339Nano))
		if _, err := bus.JS.PublishMsg(ctx, m, jetstream.WithMsgID(e.ID)); err != nil {
			t.Fatalf("publishing %s: %v", e.ID, err)
		}
	}

	relay := events.NewRelay(store, bus.JS, events.RelayConfig{Subjects: subjects, Log: testkit.Logger(t)})
	stop := runRelay(t, relay)
	waitOutboxEmpty(t, ctx, store)
	stop()

	checkStream(t, ctx, st, subjects, src.made)
	if relay.Published() != 4 || relay.Duplicates() != 2 {
		t.Errorf("Published() = %d, Duplicates() = %d; want 4, 2", relay.Published(), relay.Duplicates())
	}
}

func TestRelayKeepsEventsWhileNATSIsDown(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t)
	db, store := newOutbox(t, ctx)
	srv := testkit.StartNATS(t)
	bus := connect(t, srv.URL())
	// The production names: the server is the test's own.
	subjects := events.Subjects{}
	if _, err := events.EnsureStream(ctx, bus.JS, events.StreamConfig{}); err != nil {
		t.Fatalf("EnsureStream: %v", err)
	}

	srv.Stop()
	var src eventSource
	for range 10 {
		src.commit(t, ctx, db, 3)
	}
	relay := events.NewRelay(store, bus.JS, events.RelayConfig{
		Subjects: subjects, Log: testkit.Logger(t), PublishTimeout: 300 * time.Millisecond, BatchSize: 7,
	})
	stop := runRelay(t, relay)
	waitFor(t, 20*time.Second, "the relay has failed to publish a few times", func() bool {
		return relay.Failures() >= 3
	})
	if n, _, err := store.OutboxLag(ctx); err != nil || n != len(src.made) {
		t.Fatalf("OutboxLag = %d, %v while NATS is down; want %d", n, err, len(src.made))
	}
	src.commit(t, ctx, db, 2) // committed during the outage too

	srv.Start()
	var st jetstream.Stream
	waitFor(t, 20*time.Second, "the stream is back", func() bool {
		var err error
		st, err = bus.JS.Stream(ctx, events.DefaultStream)
		return err == nil
	})
	waitOutboxEmpty(t, ctx, store)
	waitStreamMsgs(t, ctx, st, uint64(len(src.made)), 20*time.Second)
	src.commit(t, ctx, db, 1) // and after it
	waitOutboxEmpty(t, ctx, store)
	waitStreamMsgs(t, ctx, st, uint64(len(src.made)), 20*time.Second)
	stop()

	checkStream(t, ctx, st, subjects, src.made)
}

// publishTracker records whether two relays ever have publishes awaiting acknowledgement
// at the same time.
type publishTracker struct {
	mu      sync.Mutex
	pending map[int]int // by relay
	overlap bool
	stop    chan struct{} // closed when the test ends
}

func (p *publishTracker) start(relay int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for other, n := range p.pending {
		if other != relay && n > 0 {
			p.overlap = true
		}
	}
	p.pending[relay]++
}

func (p *publishTracker) end(relay int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending[relay]--
}

// exclusiveJS is the JetStream of one relay, whose publishes count as pending in the
// tracker from the moment they are sent until their acknowledgement (or error) arrives.
type exclusiveJS struct {
	jetstream.JetStream
	relay   int
	tracker *publishTracker
}

func (j exclusiveJS) PublishMsg(ctx context.Context, m *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	j.tracker.start(j.relay)
	defer j.tracker.end(j.relay)
	return j.JetStream.PublishMsg(ctx, m, opts...)
}

func (j exclusiveJS) PublishMsgAsync(m *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	j.tracker.start(j.relay)
	f, err := j.JetStream.PublishMsgAsync(m, opts...)
	if err != nil {
		j.tracker.end(j.relay)
		return nil, err
	}
	w := &trackedAck{PubAckFuture: f, ok: make(chan *jetstream.PubAck, 1), err: make(chan error, 1)}
	go func() {
		select {
		case a := <-f.Ok():
			j.tracker.end(j.relay)
			w.ok <- a
		case e := <-f.Err():
			j.tracker.end(j.relay)
			w.err <- e
		case <-j.tracker.stop:
		}
	}()
	return w, nil
}

// trackedAck is a PubAckFuture whose result passes through exclusiveJS first.
type trackedAck struct {
	jetstream.PubAckFuture
	ok  chan *jetstream.PubAck
	err chan error
}

func (a *trackedAck) Ok() <-chan *jetstream.PubAck { return a.ok }
func (a *trackedAck) Err() <-chan error            { return a.err }

func TestTwoRelaysPublishOneAtATime(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t)
	db, store := newOutbox(t, ctx)
	url, subjects, name := testkit.NATS(t)
	tracker := &publishTracker{pending: map[int]int{}, stop: make(chan struct{})}
	t.Cleanup(func() { close(tracker.stop) })
	relays := make([]*events.Relay, 2)
	stops := make([]func(), 2)
	var st jetstream.Stream
	for i := range relays {
		bus := connect(t, url) // a replica each
		if i == 0 {
			var err error
			st, err = events.EnsureStream(ctx, bus.JS, events.StreamConfig{Name: name, Subjects: subjects})
			if err != nil {
				t.Fatalf("EnsureStream: %v", err)
			}
		}
		// Each replica its own store, as each has its own pool.
		relays[i] = events.NewRelay(postgres.NewOutboxStore(db), exclusiveJS{bus.JS, i, tracker},
			events.RelayConfig{Subjects: subjects, Log: testkit.Logger(t).With("replica", i), BatchSize: 3})
		stops[i] = runRelay(t, relays[i])
	}
	leader := func() int {
		l := -1
		for i, r := range relays {
			if r.Leading() {
				if l >= 0 {
					t.Fatal("both relays lead")
				}
				l = i
			}
		}
		return l
	}
	waitFor(t, 10*time.Second, "a relay leads", func() bool { return leader() >= 0 })
	first := leader()

	// One writer, so commit order is the order made; meanwhile the leader steps down.
	var src eventSource
	written := make(chan error, 1)
	handover := make(chan struct{})
	go func() {
		for i := range 40 {
			if i == 20 {
				<-handover
			}
			if err := src.write(ctx, db, 1+i%3); err != nil {
				written <- err
				return
			}
		}
		written <- nil
	}()
	waitStreamAtLeast(t, ctx, st, 10, 20*time.Second)
	stops[first]() // the leader's process stops, possibly mid-batch
	close(handover)
	waitFor(t, 20*time.Second, "the other relay leads", func() bool { return leader() == 1-first })
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	waitOutboxEmpty(t, ctx, store)
	waitStreamMsgs(t, ctx, st, uint64(len(src.made)), 20*time.Second)
	stops[1-first]()

	checkStream(t, ctx, st, subjects, src.made)
	tracker.mu.Lock()
	overlap := tracker.overlap
	tracker.mu.Unlock()
	if overlap {
		t.Error("two relays published at the same time")
	}
	if relays[1-first].Published() == 0 {
		t.Error("the second relay published nothing after the handover")
	}
}

// subjectMatches reports whether subject matches the NATS filter (with * and > wildcards).
func subjectMatches(filter, subject string) bool {
	f, s := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, tok := range f {
		switch {
		case tok == ">":
			return len(s) > i
		case i >= len(s):
			return false
		case tok != "*" && tok != s[i]:
			return false
		}
	}
	return len(f) == len(s)
}

func TestSubjects(t *testing.T) {
	t.Parallel()
	allTypes := []string{
		domain.EventProductCreated, domain.EventProductUpdated, domain.EventProductDeleted,
		domain.EventProductOutOfStock, domain.EventInventoryAdjusted, domain.EventInventoryReserved,
		domain.EventInventoryReleased, domain.EventUserRegistered, domain.EventOrderCreated,
		domain.EventOrderPaid, domain.EventOrderShipped, domain.EventOrderDelivered,
		domain.EventOrderCancelled, domain.EventOrderReturned, domain.EventPaymentProcessed,
		domain.EventPaymentFailed, domain.EventAnalyticsTracked, domain.EventShipmentDispatched,
		domain.EventRatingAdded, domain.EventRatingUpdated, domain.EventRatingDeleted,
		domain.EventCommentCreated, domain.EventCommentUpdated, domain.EventCommentDeleted,
		domain.EventOrderAmended, domain.EventOrderReturnRequested, domain.EventOrderPartiallyReturned,
		domain.EventOrderReturnRejected, domain.EventReturnRequested, domain.EventReturnApproved, domain.EventReturnRejected,
	}
	tests := []struct {
		prefix      string
		wantFor     string
		wantFilters []string
	}{
		{"", "order.paid", []string{"product.>", "inventory.>", "user.>", "order.>", "payment.>", "analytics.>", "shipment.>", "rating.>", "comment.>", "return.>"}},
		{"t1", "t1.order.paid", []string{"t1.product.>", "t1.inventory.>", "t1.user.>", "t1.order.>", "t1.payment.>", "t1.analytics.>", "t1.shipment.>", "t1.rating.>", "t1.comment.>", "t1.return.>"}},
	}
	for _, tc := range tests {
		t.Run("prefix="+tc.prefix, func(t *testing.T) {
			s := events.Subjects{Prefix: tc.prefix}
			if got := s.For(domain.EventOrderPaid); got != tc.wantFor {
				t.Errorf("For = %q, want %q", got, tc.wantFor)
			}
			filters := s.Filters()
			if !reflect.DeepEqual(filters, tc.wantFilters) {
				t.Errorf("Filters = %q, want %q", filters, tc.wantFilters)
			}
			for _, typ := range allTypes {
				n := 0
				for _, f := range filters {
					if subjectMatches(f, s.For(typ)) {
						n++
					}
				}
				if n != 1 {
					t.Errorf("%s (%s) is captured by %d stream subjects, want 1", typ, s.For(typ), n)
				}
			}
		})
	}
}

func TestEnsureStream(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	url, subjects, name := testkit.NATS(t)
	bus := connect(t, url)
	for range 2 { // creating, then updating to the same configuration
		st, err := events.EnsureStream(ctx, bus.JS, events.StreamConfig{Name: name, Subjects: subjects})
		if err != nil {
			t.Fatalf("EnsureStream: %v", err)
		}
		cfg := st.CachedInfo().Config
		if cfg.Name != name || cfg.Storage != jetstream.FileStorage || cfg.MaxAge != events.DefaultMaxAge ||
			cfg.Duplicates != events.DuplicateWindow || cfg.Replicas != 1 || !reflect.DeepEqual(cfg.Subjects, subjects.Filters()) {
			t.Errorf("stream config %+v", cfg)
		}
	}
	st, err := events.EnsureStream(ctx, bus.JS, events.StreamConfig{Name: name, Subjects: subjects, MaxAge: time.Hour})
	if err != nil {
		t.Fatalf("EnsureStream with a new MaxAge: %v", err)
	}
	if got := st.CachedInfo().Config.MaxAge; got != time.Hour {
		t.Errorf("MaxAge = %v after update, want 1h", got)
	}
}

// TestRelayPrunesPublishedEvents: the leader deletes what it published once the retention
// has passed, and only that.
func TestRelayPrunesPublishedEvents(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t)
	db, store := newOutbox(t, ctx)
	bus, subjects, st := natsFixture(t, ctx)
	var before int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&before); err != nil {
		t.Fatal(err)
	}

	var src eventSource
	src.commit(t, ctx, db, 6)
	relay := events.NewRelay(store, bus.JS, events.RelayConfig{
		Subjects: subjects, Log: testkit.Logger(t), Retention: time.Nanosecond, PruneInterval: 20 * time.Millisecond,
	})
	stop := runRelay(t, relay)
	waitStreamMsgs(t, ctx, st, 6, 20*time.Second)
	// Everything, the events the seed left published included, is older than a nanosecond.
	want := int64(before + 6)
	waitFor(t, 10*time.Second, "the relay pruning what it published", func() bool { return relay.Pruned() == want })
	stop()
	var left int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d outbox rows left (%v), want 0", left, err)
	}
	checkStream(t, ctx, st, subjects, src.made)

	// A retention that has not passed deletes nothing.
	src.commit(t, ctx, db, 2)
	keep := events.NewRelay(store, bus.JS, events.RelayConfig{Subjects: subjects, Log: testkit.Logger(t), PruneInterval: 20 * time.Millisecond})
	stop = runRelay(t, keep)
	waitStreamMsgs(t, ctx, st, 8, 20*time.Second)
	waitOutboxEmpty(t, ctx, store)
	rounds := keep.PruneRounds()
	waitFor(t, 10*time.Second, "two pruning rounds after the outbox emptied", func() bool { return keep.PruneRounds() >= rounds+2 })
	stop()
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&left); err != nil || left != 2 || keep.Pruned() != 0 {
		t.Errorf("with the default retention: %d rows left, %d pruned (%v); want 2 and 0", left, keep.Pruned(), err)
	}
}

// gatedMarks is the outbox with its marks held until the test lets them go, and the
// next mark failing when failNext is set.
type gatedMarks struct {
	*postgres.OutboxStore
	marking  chan []int64  // each mark's positions, as it starts
	gate     chan struct{} // closed: marks go through
	failNext atomic.Bool
	failed   atomic.Int64 // how many events the failed mark had
}

func (g *gatedMarks) MarkPublished(ctx context.Context, positions []int64) error {
	select {
	case g.marking <- positions:
	default:
	}
	select {
	case <-g.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	if g.failNext.CompareAndSwap(true, false) {
		g.failed.Store(int64(len(positions)))
		return fmt.Errorf("marking %d events: connection reset", len(positions))
	}
	return g.OutboxStore.MarkPublished(ctx, positions)
}

// TestRelayPublishesWhileMarking: a mark runs beside the next reads and publishes, which
// leave out the events being marked; a mark that fails has its events published again,
// which the stream drops as duplicates.
func TestRelayPublishesWhileMarking(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t)
	db, store := newOutbox(t, ctx)
	bus, subjects, st := natsFixture(t, ctx)
	gated := &gatedMarks{OutboxStore: store, marking: make(chan []int64, 16), gate: make(chan struct{})}

	relay := events.NewRelay(gated, bus.JS, events.RelayConfig{
		Subjects: subjects, Log: testkit.Logger(t), PollInterval: time.Hour, BatchSize: 4,
	})
	stop := runRelay(t, relay)
	var src eventSource
	src.commit(t, ctx, db, 2)
	waitStreamMsgs(t, ctx, st, 2, 20*time.Second)
	select {
	case ps := <-gated.marking:
		if len(ps) == 0 || len(ps) > 2 {
			t.Fatalf("first mark of %d events, want 1 or 2", len(ps))
		}
	case <-ctx.Done():
		t.Fatal("the relay did not mark the first events")
	}
	// The first mark is held: what commits now is published all the same, and the
	// events being marked are not published again.
	src.commit(t, ctx, db, 3)
	waitStreamMsgs(t, ctx, st, 5, 20*time.Second)
	close(gated.gate)
	waitOutboxEmpty(t, ctx, store)
	if relay.Duplicates() != 0 || relay.Failures() != 0 {
		t.Errorf("with a mark held: Duplicates() = %d, Failures() = %d; want 0, 0", relay.Duplicates(), relay.Failures())
	}

	// A mark that fails (the next one, of one or both of the next two events): the
	// relay counts it, and publishes its events again when it next reads.
	gated.failNext.Store(true)
	src.commit(t, ctx, db, 2)
	waitStreamMsgs(t, ctx, st, 7, 20*time.Second)
	waitFor(t, 20*time.Second, "the failed mark counted", func() bool { return relay.Failures() == 1 })
	failed := gated.failed.Load()
	if failed == 0 || failed > 2 {
		t.Fatalf("the failed mark had %d events, want 1 or 2", failed)
	}
	src.commit(t, ctx, db, 1)
	waitFor(t, 20*time.Second, "the failed mark's events published again", func() bool { return relay.Duplicates() == failed })
	waitOutboxEmpty(t, ctx, store)
	stop()

	checkStream(t, ctx, st, subjects, src.made)
	if got, want := relay.Published(), int64(len(src.made))+failed; got != want {
		t.Errorf("Published() = %d, want %d (the events, and the %d published again)", got, want, failed)
	}
	if relay.Failures() != 1 {
		t.Errorf("Failures() = %d, want 1", relay.Failures())
	}
}
