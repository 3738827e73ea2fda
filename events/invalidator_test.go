package events_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/shopgraph/shopgraph/events"
	"github.com/shopgraph/shopgraph/testkit"
)

// The invalidator tests, like the relay tests, do not call t.Parallel: they end with a
// goroutine check.

// recorder is an invalidate function that records the ids of each call, with when the
// call happened, and fails while failNext is positive.
type recorder struct {
	mu       sync.Mutex
	calls    [][]int64
	at       map[int64]time.Time // the first time each id was invalidated
	failNext int
}

func newRecorder() *recorder { return &recorder{at: map[int64]time.Time{}} }

func (r *recorder) invalidate(_ context.Context, ids ...int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, slices.Clone(ids))
	if r.failNext > 0 {
		r.failNext--
		return errors.New("redis is away")
	}
	now := time.Now()
	for _, id := range ids {
		if _, ok := r.at[id]; !ok {
			r.at[id] = now
		}
	}
	return nil
}

// invalidated returns the ids invalidated successfully so far, sorted.
func (r *recorder) invalidated() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]int64, 0, len(r.at))
	for id := range r.at {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func (r *recorder) invalidatedAt(id int64) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, ok := r.at[id]
	return at, ok
}

// runInvalidator runs inv until the returned stop function is called or the test ends,
// and waits until its subscriptions are confirmed. stop returns once Run has.
func runInvalidator(t *testing.T, inv *events.Invalidator) (stop func()) {
	t.Helper()
	r := events.StartForTests(t, inv.Run)
	select {
	case <-inv.Ready():
	case <-r.Ended():
		t.Fatalf("Run returned %v before it was ready", r.Err())
	case <-time.After(10 * time.Second):
		t.Fatal("the invalidator's subscriptions were never confirmed")
	}
	return r.Stop
}

// publish sends a core NATS message as the relay would: key header (when not empty) and
// JSON payload.
func publish(t *testing.T, nc *nats.Conn, subject, key, payload string) {
	t.Helper()
	m := nats.NewMsg(subject)
	if key != "" {
		m.Header.Set(events.HeaderEventKey, key)
	}
	m.Data = []byte(payload)
	if err := nc.PublishMsg(m); err != nil {
		t.Fatalf("publishing on %s: %v", subject, err)
	}
}

func TestInvalidatorFollowsProductAndInventoryEvents(t *testing.T) {
	checkGoroutines(t)
	url, subjects, _ := testkit.NATS(t)
	bus := connect(t, url)
	rec := newRecorder()
	inv := events.NewInvalidator(bus.NC, rec.invalidate, events.InvalidatorConfig{Subjects: subjects, Log: testkit.Logger(t)})
	stop := runInvalidator(t, inv)

	pub := connect(t, url).NC
	publish(t, pub, subjects.For("product.updated"), "7", `{"productId": 7}`)
	publish(t, pub, subjects.For("inventory.reserved"), "8", `{"productId": 8, "delta": -1}`)
	publish(t, pub, subjects.For("product.out_of_stock"), "", `{"productId": 9}`)         // payload only
	publish(t, pub, subjects.For("inventory.adjusted"), "12", `{"productId": 13}`)        // the header wins
	publish(t, pub, subjects.For("product.deleted"), "not-a-number", `{"productId": 14}`) // a bad header
	publish(t, pub, subjects.For("product.updated"), "", `not json`)                      // nothing to go by
	// Events about something else, or of another deployment, are not listened to.
	publish(t, pub, subjects.For("order.paid"), "10", `{"orderId": 10, "productId": 10}`)
	publish(t, pub, "elsewhere."+subjects.For("product.updated"), "11", `{"productId": 11}`)
	publish(t, pub, "product.updated", "15", `{"productId": 15}`)
	// The last one on each subscription: once both arrived, everything before them has.
	publish(t, pub, subjects.For("product.created"), "98", `{"productId": 98}`)
	publish(t, pub, subjects.For("inventory.released"), "99", `{"productId": 99}`)

	want := []int64{7, 8, 9, 12, 14, 98, 99}
	waitFor(t, 10*time.Second, "the events are invalidated", func() bool {
		return len(rec.invalidated()) >= len(want)
	})
	if got := rec.invalidated(); !slices.Equal(got, want) {
		t.Errorf("invalidated %v, want %v", got, want)
	}
	if inv.Received() != 8 || inv.Dropped() != 1 || inv.Failures() != 0 || inv.Invalidated() != int64(len(want)) {
		t.Errorf("received %d, dropped %d, failures %d, invalidated %d", inv.Received(), inv.Dropped(), inv.Failures(), inv.Invalidated())
	}

	// The latency from publish to invalidation, one event at a time.
	var lat []time.Duration
	for id := int64(1000); id < 1020; id++ {
		sent := time.Now()
		publish(t, pub, subjects.For("product.updated"), "", `{"productId": `+strconv.FormatInt(id, 10)+`}`)
		waitFor(t, 5*time.Second, "one more invalidation", func() bool {
			_, ok := rec.invalidatedAt(id)
			return ok
		})
		at, _ := rec.invalidatedAt(id)
		lat = append(lat, at.Sub(sent))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("publish to invalidation: median %v, max %v", lat[len(lat)/2], lat[len(lat)-1])
	if lat[len(lat)/2] > 100*time.Millisecond {
		t.Errorf("median latency %v, want well under 100ms", lat[len(lat)/2])
	}

	// Stopping unsubscribes: nothing more is received.
	stop()
	if n := bus.NC.NumSubscriptions(); n != 0 {
		t.Errorf("%d subscriptions left after Run returned", n)
	}
	received := inv.Received()
	publish(t, pub, subjects.For("product.updated"), "5", `{}`)
	if err := pub.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := bus.NC.Flush(); err != nil { // a round trip after which the message would be here
		t.Fatal(err)
	}
	if inv.Received() != received {
		t.Error("a message arrived after Run returned")
	}
}

func TestInvalidatorRetriesFailures(t *testing.T) {
	checkGoroutines(t)
	url, subjects, _ := testkit.NATS(t)
	bus := connect(t, url)
	rec := newRecorder()
	rec.failNext = 2
	inv := events.NewInvalidator(bus.NC, rec.invalidate, events.InvalidatorConfig{Subjects: subjects, Log: testkit.Logger(t)})
	runInvalidator(t, inv)
	pub := connect(t, url).NC

	publish(t, pub, subjects.For("product.updated"), "1", `{}`)
	waitFor(t, 10*time.Second, "the first failure", func() bool { return inv.Failures() >= 1 })
	// Arrives while the failure is waited out: goes with the retry.
	publish(t, pub, subjects.For("product.updated"), "2", `{}`)
	waitFor(t, 10*time.Second, "the retried invalidation", func() bool { return len(rec.invalidated()) == 2 })
	if got := rec.invalidated(); !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("invalidated %v, want [1 2]", got)
	}
	rec.mu.Lock()
	calls := slices.Clone(rec.calls)
	rec.mu.Unlock()
	last := slices.Clone(calls[len(calls)-1])
	slices.Sort(last)
	if len(calls) != 3 || !slices.Equal(last, []int64{1, 2}) {
		t.Errorf("calls %v, want [1] (failed), [1 2] (failed), [1 2]", calls)
	}
	if inv.Failures() != 2 || inv.Dropped() != 0 {
		t.Errorf("failures %d, dropped %d", inv.Failures(), inv.Dropped())
	}
}

func TestInvalidatorGivesUpAfterRetryFor(t *testing.T) {
	checkGoroutines(t)
	url, subjects, _ := testkit.NATS(t)
	bus := connect(t, url)
	rec := newRecorder()
	rec.failNext = 1 << 30
	inv := events.NewInvalidator(bus.NC, rec.invalidate, events.InvalidatorConfig{
		Subjects: subjects, Log: testkit.Logger(t), RetryFor: 250 * time.Millisecond})
	runInvalidator(t, inv)
	publish(t, connect(t, url).NC, subjects.For("inventory.adjusted"), "3", `{}`)
	waitFor(t, 10*time.Second, "the id is given up", func() bool { return inv.Dropped() == 1 })
	rec.mu.Lock()
	n := len(rec.calls)
	rec.mu.Unlock()
	if n < 2 {
		t.Errorf("%d attempts before giving up, want a few", n)
	}
}

func TestInvalidatorClosedConnection(t *testing.T) {
	checkGoroutines(t)
	url, subjects, _ := testkit.NATS(t)
	bus := connect(t, url)
	bus.NC.Close()
	inv := events.NewInvalidator(bus.NC, newRecorder().invalidate, events.InvalidatorConfig{Subjects: subjects})
	if err := inv.Run(context.Background()); !errors.Is(err, nats.ErrConnectionClosed) {
		t.Errorf("Run on a closed connection: %v", err)
	}
}
