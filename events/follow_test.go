package events_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/events"
	"github.com/shopgraph/shopgraph/testkit"
)

var _ events.History = domain.OrderStore(nil)

func intp(n int) *int { return &n }

// startFollow follows the order until the test ends, failing the test when Follow fails.
func startFollow(t *testing.T, ctx context.Context, hub *events.Hub, history events.History, id int64, after *int) *events.Follower {
	t.Helper()
	f, err := events.Follow(ctx, hub, history, id, after)
	if err != nil {
		t.Fatalf("Follow(order %d, after %v): %v", id, fmtAfter(after), err)
	}
	return f
}

func fmtAfter(after *int) string {
	if after == nil {
		return "nil"
	}
	return fmt.Sprint(*after)
}

// next returns the follower's next event, failing the test when none comes in time or
// following ends.
func next(t *testing.T, f *events.Follower) domain.StatusEvent {
	t.Helper()
	select {
	case ev, ok := <-f.Events():
		if !ok {
			<-f.Done()
			t.Fatalf("following ended (Err %v) where an event was expected", f.Err())
		}
		return ev
	case <-time.After(eventWait):
		t.Fatal("no event in time")
	}
	return domain.StatusEvent{}
}

// nextN returns the follower's next n events.
func nextN(t *testing.T, f *events.Follower, n int) []domain.StatusEvent {
	t.Helper()
	out := make([]domain.StatusEvent, 0, n)
	for range n {
		out = append(out, next(t, f))
	}
	return out
}

// expectEnd waits until following ends without a further event, and checks its error:
// errors.Is(Err, want), or nil when want is nil.
func expectEnd(t *testing.T, f *events.Follower, want error) {
	t.Helper()
	select {
	case ev, ok := <-f.Events():
		if ok {
			t.Fatalf("got %s, want the end of following", fmtEvents([]domain.StatusEvent{ev}))
		}
	case <-time.After(eventWait):
		t.Fatal("following did not end in time")
	}
	select {
	case <-f.Done():
	case <-time.After(eventWait):
		t.Fatal("Done not closed after Events")
	}
	if err := f.Err(); (want == nil && err != nil) || !errors.Is(err, want) {
		t.Errorf("Err() = %v, want %v", err, want)
	}
}

// pick returns the events of evs with the given sequence numbers, in that order.
func pick(evs []domain.StatusEvent, seqs ...int) []domain.StatusEvent {
	out := []domain.StatusEvent{}
	for _, s := range seqs {
		for _, e := range evs {
			if e.Sequence == s {
				out = append(out, e)
			}
		}
	}
	return out
}

// moveTo makes the order's transition to status, paying through RecordPayment.
func (s *shop) moveTo(t *testing.T, id int64, to domain.OrderStatus) {
	t.Helper()
	if to == domain.StatusPaid {
		s.pay(t, id)
		return
	}
	s.move(t, id, to)
}

// quiet waits until the relay has published everything and the hub has handled it, so
// that what happens next is all a follower can see live.
func (s *shop) quiet(t *testing.T) {
	t.Helper()
	waitOutboxEmpty(t, s.ctx, s.outbox)
	var n int
	if err := s.db.Pool.QueryRow(s.ctx, `SELECT count(*) FROM order_status_events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	waitMessages(t, s.hub, int64(n))
}

func TestFollow(t *testing.T) {
	checkGoroutines(t)
	s := newShop(t, events.HubConfig{})
	P, S, D, C, R := domain.StatusPaid, domain.StatusShipped, domain.StatusDelivered, domain.StatusCancelled, domain.StatusReturned
	tests := []struct {
		name   string
		setup  []domain.OrderStatus // transitions made before following
		after  *int
		replay []int                // sequences emitted from the history
		live   []domain.OrderStatus // transitions made once the replay is read
		want   []int                // sequences emitted live, after which following completes
	}{
		{"after: replay then live", []domain.OrderStatus{P, S}, intp(1), []int{2, 3}, []domain.OrderStatus{D}, []int{4}},
		{"after 0: the whole history", []domain.OrderStatus{P}, intp(0), []int{1, 2}, []domain.OrderStatus{C}, []int{3}},
		{"no after: the current status first", []domain.OrderStatus{P, S}, nil, []int{3}, []domain.OrderStatus{D}, []int{4}},
		{"no after on a new order", nil, nil, []int{1}, []domain.OrderStatus{P, C}, []int{2, 3}},
		{"after the last event", []domain.OrderStatus{P}, intp(2), nil, []domain.OrderStatus{S, D}, []int{3, 4}},
		{"after past the last event", []domain.OrderStatus{P}, intp(3), nil, []domain.OrderStatus{S, D}, []int{4}},
		{"completes on a live CANCELLED", []domain.OrderStatus{P}, nil, []int{2}, []domain.OrderStatus{C}, []int{3}},
		{"completes on a live DELIVERED, not following the return", []domain.OrderStatus{P, S}, intp(3), nil, []domain.OrderStatus{D, R}, []int{4}},
		{"replay ends at CANCELLED", []domain.OrderStatus{P, C}, intp(1), []int{2, 3}, nil, nil},
		{"after at the final event", []domain.OrderStatus{P, C}, intp(3), nil, nil, nil},
		{"after past the final event", []domain.OrderStatus{P, C}, intp(9), nil, nil, nil},
		{"current status DELIVERED", []domain.OrderStatus{P, S, D}, nil, []int{4}, nil, nil},
		{"current status RETURNED", []domain.OrderStatus{P, S, D, R}, nil, []int{5}, nil, nil},
		{"returned, after DELIVERED", []domain.OrderStatus{P, S, D, R}, intp(4), nil, nil, nil},
		{"returned, after SHIPPED: completes at DELIVERED", []domain.OrderStatus{P, S, D, R}, intp(3), []int{4}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := s.place(t)
			for _, to := range tc.setup {
				s.moveTo(t, id, to)
			}
			s.quiet(t)
			ctx, cancel := context.WithCancel(s.ctx)
			defer cancel()
			f := startFollow(t, ctx, s.hub, s.orders, id, tc.after)
			checkEvents(t, "replay", nextN(t, f, len(tc.replay)), pick(s.history(t, id, 0), tc.replay...))
			for _, to := range tc.live {
				s.moveTo(t, id, to)
			}
			checkEvents(t, "live", nextN(t, f, len(tc.want)), pick(s.history(t, id, 0), tc.want...))
			expectEnd(t, f, nil)
			if n := s.hub.Watchers(); n != 0 {
				t.Errorf("Watchers() = %d once following ended, want 0", n)
			}
		})
	}
}

// racingHistory makes a transition, and waits until the hub has handed its live event to
// the watchers, when it is first read: between Follow's Watch and its history read.
type racingHistory struct {
	events.History
	once sync.Once
	race func()
}

func (h *racingHistory) StatusEventsAfter(ctx context.Context, id int64, after int) ([]domain.StatusEvent, error) {
	h.once.Do(h.race)
	return h.History.StatusEventsAfter(ctx, id, after)
}

func TestFollowTransitionRacingTheReplay(t *testing.T) {
	checkGoroutines(t)
	s := newShop(t, events.HubConfig{})
	tests := []struct {
		after *int
		want  []int
	}{
		{nil, []int{3, 4}},
		{intp(1), []int{2, 3, 4}},
		{intp(2), []int{3, 4}},
	}
	for _, tc := range tests {
		t.Run("after="+fmtAfter(tc.after), func(t *testing.T) {
			id := s.place(t)
			s.pay(t, id)
			s.quiet(t)
			raced := false
			h := &racingHistory{History: s.orders, race: func() {
				if n := s.hub.Watchers(); n != 1 {
					t.Errorf("%d watchers when the history is read, want 1: Follow reads before it watches", n)
				}
				m := s.hub.Messages()
				s.move(t, id, domain.StatusShipped)
				waitMessages(t, s.hub, m+1)
				raced = true
			}}
			ctx, cancel := context.WithCancel(s.ctx)
			defer cancel()
			f := startFollow(t, ctx, s.hub, h, id, tc.after)
			if !raced {
				t.Fatal("Follow did not read the history")
			}
			// SHIPPED is both in the replay and waiting in the watcher: once, in order.
			got := nextN(t, f, len(tc.want)-1)
			s.move(t, id, domain.StatusDelivered)
			got = append(got, next(t, f))
			checkEvents(t, "events", got, pick(s.history(t, id, 0), tc.want...))
			expectEnd(t, f, nil)
		})
	}
}

func TestFollowRefusals(t *testing.T) {
	checkGoroutines(t)
	s := newShop(t, events.HubConfig{})
	id := s.place(t)

	_, err := events.Follow(s.ctx, s.hub, s.orders, 987654321, nil)
	if !domain.IsNotFound(err) {
		t.Errorf("following an unknown order: %v, want NOT_FOUND", err)
	}
	_, err = events.Follow(s.ctx, s.hub, s.orders, 987654321, intp(2))
	if !domain.IsNotFound(err) {
		t.Errorf("following an unknown order after 2: %v, want NOT_FOUND", err)
	}
	_, err = events.Follow(s.ctx, s.hub, s.orders, id, intp(-1))
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeBadUserInput || !slices.Equal(de.Field, []string{"afterSequence"}) {
		t.Errorf("following after -1: %#v, want BAD_USER_INPUT on afterSequence", err)
	}
	if n := s.hub.Watchers(); n != 0 {
		t.Errorf("Watchers() = %d after refusals, want 0", n)
	}

	// A follower running when the hub stops ends with ErrHubClosed; Follow then refuses.
	f := startFollow(t, s.ctx, s.hub, s.orders, id, nil)
	if ev := next(t, f); ev.Sequence != 1 {
		t.Errorf("first event #%d, want #1", ev.Sequence)
	}
	s.stopHub()
	expectEnd(t, f, events.ErrHubClosed)
	if _, err := events.Follow(s.ctx, s.hub, s.orders, id, nil); !errors.Is(err, events.ErrHubClosed) {
		t.Errorf("Follow after the hub stopped: %v, want ErrHubClosed", err)
	}
}

// memHistory is a history in memory, for driving Follow through sequences that a real
// order does not produce on demand (lost and reordered messages).
type memHistory struct {
	mu  sync.Mutex
	evs []domain.StatusEvent
}

func (h *memHistory) add(evs ...domain.StatusEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.evs = append(h.evs, evs...)
}

func (h *memHistory) StatusEventsAfter(_ context.Context, id int64, after int) ([]domain.StatusEvent, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := []domain.StatusEvent{}
	for _, e := range h.evs {
		if e.OrderID == id && e.Sequence > after {
			out = append(out, e)
		}
	}
	return out, nil
}

// lifeOf returns the events of an order that is delivered and returned.
func lifeOf(id int64) []domain.StatusEvent {
	evs := []domain.StatusEvent{
		statusEvent(id, 1, domain.StatusPending, ""),
		statusEvent(id, 2, domain.StatusPaid, domain.StatusPending),
		statusEvent(id, 3, domain.StatusShipped, domain.StatusPaid),
		statusEvent(id, 4, domain.StatusDelivered, domain.StatusShipped),
		statusEvent(id, 5, domain.StatusReturned, domain.StatusDelivered),
	}
	evs[2].Shipment = &domain.Shipment{Carrier: "UPS", TrackingNumber: "1Z"}
	return evs
}

// bareHub returns a hub on the shared server under a prefix of the test's own, running,
// and a connection to publish with.
func bareHub(t *testing.T, cfg events.HubConfig) (*events.Hub, func(domain.StatusEvent)) {
	t.Helper()
	url, subjects, _ := testkit.NATS(t)
	pub := connect(t, url).NC
	cfg.Log = testkit.Logger(t)
	hub := events.NewHub(connect(t, url).NC, subjects, cfg)
	startHub(t, hub)
	return hub, func(ev domain.StatusEvent) { t.Helper(); publishStatus(t, pub, subjects, ev) }
}

func TestFollowFillsGapsAndSkipsRepeats(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t)
	hub, publish := bareHub(t, events.HubConfig{})

	t.Run("gap filled from the history", func(t *testing.T) {
		const id = 21
		life := lifeOf(id)
		h := &memHistory{}
		h.add(life[:2]...)
		f := startFollow(t, ctx, hub, h, id, nil)
		got := []domain.StatusEvent{next(t, f)}
		h.add(life[2]) // committed, its message lost
		publish(life[1])
		publish(life[0])
		h.add(life[3])
		publish(life[3]) // #4 after #2: #3 comes from the history first
		publish(life[2])
		got = append(got, nextN(t, f, 2)...)
		checkEvents(t, "events", got, life[1:4])
		expectEnd(t, f, nil)
	})
	t.Run("reordered live events", func(t *testing.T) {
		const id = 22
		life := lifeOf(id)
		h := &memHistory{}
		h.add(life[:1]...)
		f := startFollow(t, ctx, hub, h, id, intp(0))
		got := []domain.StatusEvent{next(t, f)}
		h.add(life[1:3]...)
		publish(life[2])
		publish(life[1])
		got = append(got, nextN(t, f, 2)...)
		h.add(life[3])
		publish(life[3])
		got = append(got, next(t, f))
		checkEvents(t, "events", got, life[:4])
		expectEnd(t, f, nil)
	})
	t.Run("history behind the live events", func(t *testing.T) {
		const id = 23
		life := lifeOf(id)
		h := &memHistory{}
		h.add(life[:2]...)
		f := startFollow(t, ctx, hub, h, id, nil)
		next(t, f)
		publish(life[3]) // #3 and #4 are not in the history
		select {
		case ev, ok := <-f.Events():
			if ok {
				t.Fatalf("got %s, want the end of following", fmtEvents([]domain.StatusEvent{ev}))
			}
		case <-time.After(eventWait):
			t.Fatal("following did not end in time")
		}
		<-f.Done()
		if f.Err() == nil {
			t.Error("Err() = nil after a gap the history could not fill")
		}
	})
	if n := hub.Watchers(); n != 0 {
		t.Errorf("Watchers() = %d after following, want 0", n)
	}
}

func TestFollowSlowReader(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t)
	hub, publish := bareHub(t, events.HubConfig{Buffer: 1})
	const id = 31
	life := lifeOf(id)
	h := &memHistory{}
	h.add(life[0])
	f := startFollow(t, ctx, hub, h, id, intp(0))
	// Nobody reads: the follower waits to hand over #1, its watcher holds #2, and #3
	// finds no room.
	h.add(life[1:3]...)
	publish(life[1])
	publish(life[2])
	waitFor(t, eventWait, "the watcher is dropped", func() bool { return hub.Dropped() == 1 })
	var got []domain.StatusEvent
	for ev := range f.Events() {
		got = append(got, ev)
	}
	// #2 may be handed over after the drop, and #3 too if a resync comes meanwhile.
	if len(got) == 0 || len(got) > 3 {
		t.Fatalf("%d events before the drop, want 1 to 3", len(got))
	}
	checkEvents(t, "events before the drop", got, life[:len(got)])
	if !errors.Is(f.Err(), events.ErrSlowWatcher) {
		t.Errorf("Err() = %v, want ErrSlowWatcher", f.Err())
	}
	if n := hub.Watchers(); n != 0 {
		t.Errorf("Watchers() = %d, want 0", n)
	}
}

func TestFollowStopsWithContext(t *testing.T) {
	checkGoroutines(t)
	hub, _ := bareHub(t, events.HubConfig{})
	const id = 41
	h := &memHistory{}
	h.add(lifeOf(id)[:2]...)
	for _, read := range []bool{true, false} {
		t.Run(fmt.Sprintf("reading=%v", read), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f := startFollow(t, ctx, hub, h, id, nil)
			if read {
				next(t, f) // then the follower waits for live events
			} // else it waits for the reader
			cancel()
			select {
			case <-f.Done():
			case <-time.After(eventWait):
				t.Fatal("following did not stop with its context")
			}
			if !errors.Is(f.Err(), context.Canceled) {
				t.Errorf("Err() = %v, want context.Canceled", f.Err())
			}
			if _, ok := <-f.Events(); ok {
				t.Error("Events not closed")
			}
			if n := hub.Watchers(); n != 0 {
				t.Errorf("Watchers() = %d, want 0", n)
			}
		})
	}
}

func TestFollowAcrossNATSRestart(t *testing.T) {
	checkGoroutines(t)
	tests := []struct {
		name          string
		relayRetrying bool // else stopped during the outage: the event can only come from the history
	}{
		{"relay stopped during the outage", false},
		{"relay retrying during the outage", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			srv := testkit.StartNATS(t)
			bus := connect(t, srv.URL())
			subjects := events.Subjects{Prefix: testkit.UniqueName("sgt")}
			if _, err := events.EnsureStream(ctx, bus.JS, events.StreamConfig{Subjects: subjects}); err != nil {
				t.Fatalf("EnsureStream: %v", err)
			}
			hubNC := connect(t, srv.URL()).NC
			s := newShopOn(t, ctx, bus, subjects, hubNC, events.HubConfig{})
			id := s.place(t)
			s.pay(t, id)
			s.quiet(t)
			f := startFollow(t, ctx, s.hub, s.orders, id, nil)
			got := []domain.StatusEvent{next(t, f)}

			if !tc.relayRetrying {
				s.stopRelay()
			}
			resyncs := s.hub.Resyncs()
			srv.Stop()
			waitFor(t, eventWait, "the hub's connection is down", func() bool { return !hubNC.IsConnected() })
			s.move(t, id, domain.StatusShipped) // committed; not published now
			srv.Start()
			got = append(got, next(t, f))
			waitFor(t, eventWait, "the hub signals a resync", func() bool { return s.hub.Resyncs() > resyncs })

			if !tc.relayRetrying {
				runRelay(t, events.NewRelay(s.outbox, bus.JS, events.RelayConfig{Subjects: subjects, Log: testkit.Logger(t)}))
			}
			s.move(t, id, domain.StatusDelivered)
			got = append(got, next(t, f))
			expectEnd(t, f, nil)
			checkEvents(t, "events", got, s.history(t, id, 1))
			if !tc.relayRetrying {
				// The new relay published SHIPPED to the reconnected hub, before DELIVERED:
				// the follower had it from the history and live, and emitted it once.
				// (A retrying relay may have had it published from the client's reconnect
				// buffer before the hub's subscription was back: lost to the hub, which is
				// what the resync is for.)
				waitMessages(t, s.hub, 4)
			}
		})
	}
}

// TestFollowAll reads following through All, on the test's goroutine, as the live
// tracking subscription does: replay, gap filling and completion as with Events; and a
// reader that stops early ends following.
func TestFollowAll(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t)
	hub, publish := bareHub(t, events.HubConfig{})

	t.Run("to completion", func(t *testing.T) {
		const id = 51
		life := lifeOf(id)
		h := &memHistory{}
		h.add(life[:2]...)
		f := startFollow(t, ctx, hub, h, id, intp(0))
		var got []domain.StatusEvent
		for ev := range f.All() {
			got = append(got, ev)
			switch ev.Sequence {
			case 2: // the replay is over: the rest comes live, #3 only through the history
				h.add(life[2:]...)
				publish(life[3])
				publish(life[1]) // a repeat
			}
		}
		checkEvents(t, "events", got, life[:4]) // DELIVERED completes tracking
		select {
		case <-f.Done():
		default:
			t.Fatal("Done not closed after the iteration")
		}
		if err := f.Err(); err != nil {
			t.Errorf("Err() = %v after tracking completed", err)
		}
		for range f.All() {
			t.Fatal("a second iteration yielded an event")
		}
		if _, ok := <-f.Events(); ok {
			t.Error("Events not closed after All")
		}
	})
	t.Run("reader stops early", func(t *testing.T) {
		const id = 52
		life := lifeOf(id)
		h := &memHistory{}
		h.add(life[:3]...)
		f := startFollow(t, ctx, hub, h, id, intp(0))
		var got []domain.StatusEvent
		for ev := range f.All() {
			got = append(got, ev)
			if len(got) == 2 {
				break
			}
		}
		checkEvents(t, "events", got, life[:2])
		<-f.Done()
		if f.Err() == nil {
			t.Error("Err() = nil after the reader stopped before completion")
		}
	})
	if n := hub.Watchers(); n != 0 {
		t.Errorf("Watchers() = %d after following, want 0", n)
	}
}

// TestFollowDeliversAmendments: an amendment is a history entry whose status stays PAID;
// the follower delivers it live like a status change, with its kind and refund, and goes
// on following until the order is delivered. A return step after delivery is not
// followed: tracking ends at DELIVERED, as before.
func TestFollowDeliversAmendments(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t)
	hub, publish := bareHub(t, events.HubConfig{})
	const id = 23
	life := lifeOf(id)
	amended := statusEvent(id, 3, domain.StatusPaid, domain.StatusPaid)
	amended.Kind, amended.RefundAmount, amended.Note = domain.KindAmended, 1500, "customer called"
	shipped, delivered := life[2], life[3]
	shipped.Sequence, delivered.Sequence = 4, 5
	requested := statusEvent(id, 6, domain.StatusDelivered, domain.StatusDelivered)
	requested.Kind = domain.KindReturnRequested
	h := &memHistory{}
	h.add(life[:2]...)
	f := startFollow(t, ctx, hub, h, id, nil)
	got := []domain.StatusEvent{next(t, f)}
	for _, ev := range []domain.StatusEvent{amended, shipped, delivered} {
		h.add(ev)
		publish(ev)
		got = append(got, next(t, f))
	}
	h.add(requested)
	publish(requested)
	checkEvents(t, "events", got, []domain.StatusEvent{life[1], amended, shipped, delivered})
	if got[1].Kind != domain.KindAmended || got[1].RefundAmount != 1500 {
		t.Errorf("amendment delivered as %+v", got[1])
	}
	expectEnd(t, f, nil)

	// A tracker resuming before the amendment replays it from the history.
	f = startFollow(t, ctx, hub, h, id, intp(2))
	checkEvents(t, "replay", nextN(t, f, 3), []domain.StatusEvent{amended, shipped, delivered})
	expectEnd(t, f, nil)
}

// poller reads a follower with Notify and Next, as a connection's writer does: it takes
// what Next has each time the follower wakes it, and never waits on the follower.
type poller struct {
	f    *events.Follower
	wake chan struct{}
}

func newPoller(f *events.Follower) *poller {
	p := &poller{f: f, wake: make(chan struct{}, 1)}
	f.Notify(func() {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	})
	return p
}

// take returns the n next events, failing the test when they do not come in time.
func (p *poller) take(t *testing.T, n int) []domain.StatusEvent {
	t.Helper()
	var got []domain.StatusEvent
	deadline := time.After(eventWait)
	for len(got) < n {
		if ev, ok := p.f.Next(); ok {
			got = append(got, ev)
			continue
		}
		select {
		case <-p.f.Done():
			t.Fatalf("following ended after %s: %v", fmtEvents(got), p.f.Err())
		case <-p.wake:
		case <-deadline:
			t.Fatalf("got %s, then nothing in time", fmtEvents(got))
		}
	}
	return got
}

// end waits until following has ended and returns why.
func (p *poller) end(t *testing.T) error {
	t.Helper()
	deadline := time.After(eventWait)
	for {
		if ev, ok := p.f.Next(); ok {
			t.Fatalf("got %s, want the end of following", fmtEvents([]domain.StatusEvent{ev}))
		}
		select {
		case <-p.f.Done():
			return p.f.Err()
		case <-p.wake:
		case <-deadline:
			t.Fatal("following did not end in time")
		}
	}
}

// TestFollowPolled: a follower read with Notify and Next delivers what one read with
// Events does (the replay, live events with gaps filled and repeats skipped), tells its
// reader each time there is something to take, is dropped when its reader does not poll,
// and ends with its context.
func TestFollowPolled(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t)
	hub, publish := bareHub(t, events.HubConfig{})

	t.Run("replay, gaps and repeats", func(t *testing.T) {
		const id = 71
		life := lifeOf(id)
		h := &memHistory{}
		h.add(life[:2]...)
		f := startFollow(t, ctx, hub, h, id, intp(0))
		p := newPoller(f)
		got := p.take(t, 2)
		publish(life[1]) // a repeat
		h.add(life[2])   // committed, its message lost
		h.add(life[3])
		publish(life[3]) // #4 after #2: #3 comes from the history first
		got = append(got, p.take(t, 2)...)
		checkEvents(t, "events", got, life[:4])
		if err := p.end(t); err != nil {
			t.Errorf("Err() = %v after DELIVERED, want nil", err)
		}
	})
	t.Run("a reader that does not poll is dropped", func(t *testing.T) {
		const id = 72
		hub, publish := bareHub(t, events.HubConfig{Buffer: 1})
		life := lifeOf(id)
		h := &memHistory{}
		h.add(life[0])
		f := startFollow(t, ctx, hub, h, id, nil)
		p := newPoller(f)
		got := p.take(t, 1)
		h.add(life[1:3]...)
		publish(life[1]) // fills the buffer of one
		publish(life[2]) // finds no room
		waitFor(t, eventWait, "the watcher is dropped", func() bool { return hub.Dropped() == 1 })
		for {
			ev, ok := f.Next()
			if !ok {
				break
			}
			got = append(got, ev)
		}
		checkEvents(t, "events before the drop", got, life[:len(got)])
		if err := p.end(t); !errors.Is(err, events.ErrSlowWatcher) {
			t.Errorf("Err() = %v, want ErrSlowWatcher", err)
		}
	})
	t.Run("context", func(t *testing.T) {
		const id = 73
		h := &memHistory{}
		h.add(lifeOf(id)[:2]...)
		fctx, cancel := context.WithCancel(ctx)
		f := startFollow(t, fctx, hub, h, id, nil)
		p := newPoller(f)
		p.take(t, 1)
		cancel()
		if err := p.end(t); !errors.Is(err, context.Canceled) {
			t.Errorf("Err() = %v, want context.Canceled", err)
		}
	})
	t.Run("one way only", func(t *testing.T) {
		const id = 74
		h := &memHistory{}
		h.add(lifeOf(id)[:2]...)
		fctx, cancel := context.WithCancel(ctx)
		f := startFollow(t, fctx, hub, h, id, nil)
		p := newPoller(f)
		if _, ok := <-f.Events(); ok {
			t.Error("Events yielded an event from a follower read with Next")
		}
		for range f.All() {
			t.Error("All yielded an event from a follower read with Next")
		}
		p.take(t, 1)
		cancel()
		if err := p.end(t); !errors.Is(err, context.Canceled) {
			t.Errorf("Err() = %v, want context.Canceled", err)
		}
	})
	waitFor(t, eventWait, "no watcher is left", func() bool { return hub.Watchers() == 0 })
}
