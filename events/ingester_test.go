package events

// These tests are in package events, not events_test, because the crash test sets the
// unexported afterInsertHook. For the same reason they cannot use testkit (it imports
// events: an import cycle), so ingestFixture does what testkit.NATS does: the shared NATS
// server (TEST_NATS_URL), subjects under a prefix and a stream of the test's own, deleted
// when the test ends. The store is a fake (memWriter) of our own interface; the tests
// against the real ClickHouse are in ingester_clickhouse_test.go.
//
// None calls t.Parallel: each ends with a goroutine-leak check, and the hook is global.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shopgraph/shopgraph/domain"
)

// SetAfterInsertHook makes every ingester of the test binary call f after it stored a
// batch and before it acknowledges it, until the test ends. It is exported for the tests
// of package events_test (ingester_clickhouse_test.go); a test that uses it must not run
// in parallel, and must stop its ingesters before it ends.
func SetAfterInsertHook(t testing.TB, f func()) {
	t.Helper()
	afterInsertHook = f
	t.Cleanup(func() { afterInsertHook = nil })
}

// leakCheck records the number of goroutines and, when the test ends (after every other
// cleanup, since it is registered first), waits until it is back to that number. The
// external tests of the package use it too, as LeakCheckForTests.
func leakCheck(t *testing.T) {
	t.Helper()
	start := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > start {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutines: %d at the start, %d after cleanup:\n%s", start, runtime.NumGoroutine(), buf)
				return
			}
			time.Sleep(20 * time.Millisecond) // poll interval, bounded by the deadline
		}
	})
}

// eventually polls cond until it holds, failing the test after timeout. The external tests
// of the package use it too, as EventuallyForTests.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting until %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond) // poll interval, bounded by the deadline
	}
}

// LeakCheckForTests is leakCheck, for the package's external tests.
func LeakCheckForTests(t *testing.T) { t.Helper(); leakCheck(t) }

// EventuallyForTests is eventually, for the package's external tests.
func EventuallyForTests(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	eventually(t, timeout, what, cond)
}

// throughout checks cond repeatedly for d, failing the test the first time it does not
// hold.
func throughout(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if !cond() {
			t.Fatalf("%s stopped holding", what)
		}
	}
}

// testLog returns a logger writing through t.Log.
func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ingestFixture is an events stream and subjects of the test's own on the shared NATS
// server, and the configuration of an ingester on them.
type ingestFixture struct {
	t        *testing.T
	ctx      context.Context
	bus      *Bus
	subjects Subjects
	cfg      IngesterConfig
}

func newIngestFixture(t *testing.T) *ingestFixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	url := os.Getenv("TEST_NATS_URL")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	bus, err := Connect(Config{URL: url, Name: t.Name()}, testLog(t))
	if err != nil {
		t.Fatalf("connecting to nats: %v", err)
	}
	t.Cleanup(bus.NC.Close) // Close, not Drain: the leak check needs it gone
	id := randomHex()
	f := &ingestFixture{t: t, ctx: ctx, bus: bus, subjects: Subjects{Prefix: "sgt" + id}}
	f.cfg = IngesterConfig{
		Stream: "SGT_" + id, Subjects: f.subjects, Durable: "ingest-test", Log: testLog(t),
		DeadLetterStream: "SGT_" + id + "_DEAD",
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, s := range []string{f.cfg.Stream, f.cfg.DeadLetterStream} {
			if err := bus.JS.DeleteStream(ctx, s); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
				t.Errorf("deleting stream %s: %v", s, err)
			}
		}
	})
	if _, err := EnsureStream(ctx, bus.JS, StreamConfig{Name: f.cfg.Stream, Subjects: f.subjects, MaxAge: time.Hour}); err != nil {
		t.Fatalf("EnsureStream: %v", err)
	}
	return f
}

// testEvent is an event as the relay publishes it.
type testEvent struct {
	ID, Type, Key string
	At            time.Time
	Payload       []byte
}

// userEvent returns a user.registered event: one row.
func userEvent(n int) testEvent {
	p, _ := json.Marshal(domain.UserEventData{UserID: int64(n), Email: fmt.Sprintf("u%d@example.com", n), Role: domain.RoleCustomer})
	return testEvent{ID: uuid.NewString(), Type: domain.EventUserRegistered, Key: fmt.Sprint(n),
		At: time.Now().UTC().Truncate(time.Millisecond), Payload: p}
}

// paidEvent returns an order.paid event with two lines: three rows.
func paidEvent(n int) testEvent {
	p, _ := json.Marshal(domain.OrderEventData{OrderID: int64(n), UserID: 7, Status: domain.StatusPaid,
		Previous: domain.StatusPending, TotalMinor: 2500, Currency: "EUR", PaymentMethod: domain.PaymentCard,
		Lines: []domain.OrderLineData{{ProductID: 1, Quantity: 1, UnitPriceMinor: 500}, {ProductID: 2, Quantity: 2, UnitPriceMinor: 1000}}})
	return testEvent{ID: uuid.NewString(), Type: domain.EventOrderPaid, Key: fmt.Sprint(n),
		At: time.Now().UTC().Truncate(time.Millisecond), Payload: p}
}

// mixedEvents returns n events, every third an order with lines.
func mixedEvents(n int) []testEvent {
	evs := make([]testEvent, n)
	for i := range evs {
		if i%3 == 2 {
			evs[i] = paidEvent(i + 1)
		} else {
			evs[i] = userEvent(i + 1)
		}
	}
	return evs
}

// message returns e as the relay publishes it.
func (e testEvent) message(subjects Subjects) *nats.Msg {
	m := nats.NewMsg(subjects.For(e.Type))
	m.Data = e.Payload
	m.Header.Set(HeaderEventType, e.Type)
	m.Header.Set(HeaderEventKey, e.Key)
	m.Header.Set(HeaderEventAt, e.At.Format(time.RFC3339Nano))
	m.Header.Set(jetstream.MsgIDHeader, e.ID)
	return m
}

// rows returns what ToAnalytics makes of e.
func (e testEvent) rows(t *testing.T) []domain.AnalyticsEvent {
	t.Helper()
	rows, err := domain.ToAnalytics(e.ID, e.Type, e.Key, e.At, e.Payload)
	if err != nil {
		t.Fatalf("ToAnalytics(%s): %v", e.Type, err)
	}
	return rows
}

// publish publishes the events as the relay does and waits for the stream to store them.
func (f *ingestFixture) publish(evs ...testEvent) {
	f.t.Helper()
	for _, e := range evs {
		f.publishMsg(e.message(f.subjects))
	}
}

// publishMsg publishes m, with the message id of its Nats-Msg-Id header if any.
func (f *ingestFixture) publishMsg(m *nats.Msg) {
	f.t.Helper()
	if _, err := f.bus.JS.PublishMsg(f.ctx, m); err != nil {
		f.t.Fatalf("publishing on %s: %v", m.Subject, err)
	}
}

// run runs in until the returned stop function is called or the test ends; stop returns
// once Run has.
func (f *ingestFixture) run(in *Ingester) (stop func()) {
	return runIngester(f.t, in)
}

func runIngester(t *testing.T, in *Ingester) (stop func()) {
	return StartForTests(t, in.Run).Stop
}

// info returns the durable consumer's information.
func (f *ingestFixture) info() *jetstream.ConsumerInfo {
	f.t.Helper()
	cons, err := f.bus.JS.Consumer(f.ctx, f.cfg.Stream, f.cfg.Durable)
	if err != nil {
		f.t.Fatalf("reading consumer: %v", err)
	}
	return cons.CachedInfo()
}

// waitDrained waits until the consumer has every message of the stream acknowledged.
func (f *ingestFixture) waitDrained() {
	f.t.Helper()
	eventually(f.t, 20*time.Second, "every message is acknowledged", func() bool {
		cons, err := f.bus.JS.Consumer(f.ctx, f.cfg.Stream, f.cfg.Durable)
		if err != nil {
			return false
		}
		i := cons.CachedInfo()
		return i.NumPending == 0 && i.NumAckPending == 0
	})
}

// errDown is the fake store's failure.
var errDown = errors.New("analytics store is down")

// memWriter is an in-memory domain.AnalyticsWriter that records what it is asked. It can
// be made to fail (down) or to block (gate) every call.
type memWriter struct {
	mu      sync.Mutex
	rows    []domain.AnalyticsEvent // every row stored, copies included
	ids     map[string]bool
	batches []memBatch
	calls   []memCall // every call, failed ones included
	checked []string  // every id asked about
	down    bool
	gate    chan struct{} // when not nil, calls wait until it is closed
}

// memBatch is a stored batch.
type memBatch struct {
	rows int
	at   time.Time
}

// memCall is a call to the writer.
type memCall struct {
	insert bool // else ExistingEventIDs
	at     time.Time
	failed bool
}

var _ domain.AnalyticsWriter = (*memWriter)(nil)

func newMemWriter() *memWriter { return &memWriter{ids: map[string]bool{}} }

// enter records a call, waits for the gate if any, and returns the failure to report.
func (w *memWriter) enter(ctx context.Context, insert bool) error {
	w.mu.Lock()
	gate, down := w.gate, w.down
	w.calls = append(w.calls, memCall{insert: insert, at: time.Now(), failed: down})
	w.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if down {
		return errDown
	}
	return nil
}

func (w *memWriter) Insert(ctx context.Context, rows []domain.AnalyticsEvent) error {
	if err := w.enter(ctx, true); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rows = append(w.rows, rows...) // a copy: the caller reuses its slice
	for _, r := range rows {
		w.ids[r.EventID] = true
	}
	w.batches = append(w.batches, memBatch{rows: len(rows), at: time.Now()})
	return nil
}

func (w *memWriter) ExistingEventIDs(ctx context.Context, ids []string) (map[string]bool, error) {
	if err := w.enter(ctx, false); err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.checked = append(w.checked, ids...)
	out := map[string]bool{}
	for _, id := range ids {
		if w.ids[id] {
			out[id] = true
		}
	}
	return out, nil
}

func (w *memWriter) setDown(down bool) {
	w.mu.Lock()
	w.down = down
	w.mu.Unlock()
}

func (w *memWriter) stored() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.ids)
}

func (w *memWriter) snapshot() (rows []domain.AnalyticsEvent, batches []memBatch, calls []memCall, checked []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.rows), slices.Clone(w.batches), slices.Clone(w.calls), slices.Clone(w.checked)
}

// countRows returns how many rows the events make.
func countRows(t *testing.T, evs []testEvent) int {
	t.Helper()
	n := 0
	for _, e := range evs {
		n += len(e.rows(t))
	}
	return n
}

// checkExactlyOnce checks that the writer holds every row of every event once, and
// nothing else.
func checkExactlyOnce(t *testing.T, w *memWriter, evs []testEvent) {
	t.Helper()
	rows, _, _, _ := w.snapshot()
	type key struct {
		id  string
		seq int
	}
	got := map[key]int{}
	for _, r := range rows {
		got[key{r.EventID, r.Seq}]++
	}
	want := 0
	for _, e := range evs {
		for _, r := range e.rows(t) {
			want++
			if n := got[key{r.EventID, r.Seq}]; n != 1 {
				t.Errorf("event %s (%s) row %d stored %d times, want once", e.ID, e.Type, r.Seq, n)
			}
		}
	}
	if len(rows) != want {
		t.Errorf("%d rows stored, want %d", len(rows), want)
	}
}

func TestIngesterBatchesBySize(t *testing.T) {
	leakCheck(t)
	f := newIngestFixture(t)
	f.cfg.BatchSize, f.cfg.FlushInterval = 50, time.Minute // only the size can flush
	evs := make([]testEvent, 200)
	for i := range evs {
		evs[i] = userEvent(i)
	}
	f.publish(evs...)
	w := newMemWriter()
	in := NewIngester(f.bus.JS, w, f.cfg)
	f.run(in)

	eventually(t, 20*time.Second, "200 events are stored", func() bool { return w.stored() == 200 })
	f.waitDrained()
	checkExactlyOnce(t, w, evs)
	_, batches, _, checked := w.snapshot()
	if len(batches) != 4 {
		t.Fatalf("%d batches, want 4 of 50: %+v", len(batches), batches)
	}
	for i, b := range batches {
		if b.rows != 50 {
			t.Errorf("batch %d has %d rows, want 50", i, b.rows)
		}
	}
	// Only the first batch after the consumer's set-up is checked against the store.
	if len(checked) != 50 {
		t.Errorf("%d ids checked against the store, want the first batch's 50", len(checked))
	}
	if in.Rows() != 200 || in.Batches() != 4 || in.Acked() != 200 || in.Parked() != 0 || in.Failures() != 0 || in.Duplicates() != 0 {
		t.Errorf("Rows, Batches, Acked, Parked, Failures, Duplicates = %d, %d, %d, %d, %d, %d; want 200, 4, 200, 0, 0, 0",
			in.Rows(), in.Batches(), in.Acked(), in.Parked(), in.Failures(), in.Duplicates())
	}
	if lag, err := in.Lag(f.ctx); err != nil || lag != 0 {
		t.Errorf("Lag = %d, %v; want 0", lag, err)
	}
	if in.LastBatchLatency() <= 0 || in.LastInsertDuration() <= 0 {
		t.Errorf("LastBatchLatency %v, LastInsertDuration %v; want both positive", in.LastBatchLatency(), in.LastInsertDuration())
	}
	// Nothing parked, no dead-letter stream.
	if _, err := f.bus.JS.Stream(f.ctx, f.cfg.DeadLetterStream); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("dead-letter stream: %v, want it not created", err)
	}
}

func TestIngesterBatchesByTime(t *testing.T) {
	leakCheck(t)
	f := newIngestFixture(t)
	const flush = 300 * time.Millisecond
	f.cfg.BatchSize, f.cfg.FlushInterval = 1000, flush
	w := newMemWriter()
	in := NewIngester(f.bus.JS, w, f.cfg)
	f.run(in)
	eventually(t, 10*time.Second, "the consumer exists", func() bool {
		_, err := f.bus.JS.Consumer(f.ctx, f.cfg.Stream, f.cfg.Durable)
		return err == nil
	})

	// Orders make three rows each: a batch is counted in messages, not rows.
	first := mixedEvents(5)
	start := time.Now()
	f.publish(first...)
	eventually(t, 10*time.Second, "the first batch is stored", func() bool { return w.stored() == 5 })
	second := mixedEvents(3)
	start2 := time.Now()
	f.publish(second...)
	eventually(t, 10*time.Second, "the second batch is stored", func() bool { return w.stored() == 8 })

	_, batches, _, _ := w.snapshot()
	if len(batches) != 2 || batches[0].rows != countRows(t, first) || batches[1].rows != countRows(t, second) {
		t.Fatalf("batches %+v, want one of 5 events (%d rows) then one of 3 (%d rows)", batches, countRows(t, first), countRows(t, second))
	}
	for i, b := range []struct{ published, stored time.Time }{{start, batches[0].at}, {start2, batches[1].at}} {
		// The first message arrived after it was published, and waited flush from then.
		if waited := b.stored.Sub(b.published); waited < flush || waited > flush+3*time.Second {
			t.Errorf("batch %d stored %v after its first event was published, want about %v", i, waited, flush)
		}
	}
	checkExactlyOnce(t, w, append(first, second...))
	f.waitDrained()
}

func TestIngesterAcksOnlyAfterInsert(t *testing.T) {
	leakCheck(t)
	f := newIngestFixture(t)
	f.cfg.BatchSize, f.cfg.FlushInterval = 10, 500*time.Millisecond
	w := newMemWriter()
	w.gate = make(chan struct{})
	evs := mixedEvents(25)
	f.publish(evs...)
	in := NewIngester(f.bus.JS, w, f.cfg)
	f.run(in)

	eventually(t, 10*time.Second, "an insert is waiting", func() bool {
		_, _, calls, _ := w.snapshot()
		return len(calls) == 1
	})
	// The batch being stored and the one read ahead are delivered; none is acknowledged.
	eventually(t, 10*time.Second, "two batches are delivered", func() bool { return f.info().NumAckPending == 20 })
	throughout(t, 500*time.Millisecond, "nothing is acknowledged while the insert waits", func() bool {
		i := f.info()
		return i.NumAckPending == 20 && i.AckFloor.Stream == 0 && in.Acked() == 0
	})

	close(w.gate)
	eventually(t, 20*time.Second, "every event is stored", func() bool { return w.stored() == len(evs) })
	f.waitDrained()
	checkExactlyOnce(t, w, evs)
	if in.Acked() != 25 || in.Batches() != 3 {
		t.Errorf("Acked, Batches = %d, %d; want 25, 3", in.Acked(), in.Batches())
	}
}

func TestIngesterRetriesWithBackoffThenDrainsOnce(t *testing.T) {
	leakCheck(t)
	f := newIngestFixture(t)
	f.cfg.BatchSize, f.cfg.FlushInterval = 10, 50*time.Millisecond
	w := newMemWriter()
	w.setDown(true)
	evs := mixedEvents(35)
	f.publish(evs...)
	in := NewIngester(f.bus.JS, w, f.cfg)
	f.run(in)

	eventually(t, 20*time.Second, "five attempts failed", func() bool { return in.Failures() >= 5 })
	// Nothing is fetched beyond the failing batch and the one read ahead of it (handed
	// back, which NATS 2.9 still counts as pending acknowledgement until it is delivered
	// again), and nothing is acknowledged.
	throughout(t, 500*time.Millisecond, "nothing more is fetched or acknowledged", func() bool {
		i := f.info()
		return i.Delivered.Stream <= 20 && i.NumPending >= 15 && i.AckFloor.Stream == 0
	})
	if in.Acked() != 0 || w.stored() != 0 {
		t.Fatalf("Acked %d, stored %d while the store is down; want 0, 0", in.Acked(), w.stored())
	}
	w.setDown(false)
	eventually(t, 20*time.Second, "every event is stored", func() bool { return w.stored() == len(evs) })
	f.waitDrained()
	checkExactlyOnce(t, w, evs)

	// One failing call per attempt: the check (every batch after a set-up is checked,
	// and so is a batch whose insert failed, its outcome being unknown).
	_, _, calls, checked := w.snapshot()
	var failed []memCall
	for _, c := range calls {
		if c.failed {
			failed = append(failed, c)
		}
	}
	if len(failed) < 5 {
		t.Fatalf("%d failed calls, want at least 5", len(failed))
	}
	for i, want := 1, ingestRetryMin; i < len(failed); i, want = i+1, min(2*want, ingestRetryMax) {
		if gap := failed[i].at.Sub(failed[i-1].at); gap < want-5*time.Millisecond {
			t.Errorf("attempt %d came %v after the one before, want at least %v", i+1, gap, want)
		}
	}
	// The held batch was checked in full; the batches handed back, as redelivered.
	if len(checked) < 10 {
		t.Errorf("%d ids checked, want at least the held batch's 10", len(checked))
	}
	if in.Duplicates() != 0 || in.Acked() != 35 {
		t.Errorf("Duplicates, Acked = %d, %d; want 0, 35", in.Duplicates(), in.Acked())
	}
}

func TestIngesterHeldBatchLeavesTheRestToOtherReplicas(t *testing.T) {
	leakCheck(t)
	f := newIngestFixture(t)
	f.cfg.BatchSize, f.cfg.FlushInterval = 10, 500*time.Millisecond
	down := newMemWriter()
	down.setDown(true)
	evs := mixedEvents(45)
	f.publish(evs...)
	stuck := NewIngester(f.bus.JS, down, f.cfg)
	f.run(stuck)
	eventually(t, 10*time.Second, "the first replica fails", func() bool { return stuck.Failures() >= 1 })

	// A replica whose store works takes everything but the batch the first one holds.
	up := newMemWriter()
	other := NewIngester(f.bus.JS, up, f.cfg)
	f.run(other)
	eventually(t, 20*time.Second, "the other replica stores all but the held batch", func() bool { return up.stored() == 35 })
	down.setDown(false)
	eventually(t, 20*time.Second, "the held batch is stored", func() bool { return down.stored() == 10 })
	f.waitDrained()

	both := newMemWriter()
	for _, w := range []*memWriter{down, up} {
		rows, _, _, _ := w.snapshot()
		both.rows = append(both.rows, rows...)
	}
	checkExactlyOnce(t, both, evs)
}

func TestIngesterKeepsHeldMessagesInProgress(t *testing.T) {
	leakCheck(t)
	f := newIngestFixture(t)
	f.cfg.BatchSize, f.cfg.FlushInterval, f.cfg.AckWait = 50, 500*time.Millisecond, time.Second
	w := newMemWriter()
	w.setDown(true)
	evs := mixedEvents(30) // one batch, nothing read ahead
	f.publish(evs...)
	in := NewIngester(f.bus.JS, w, f.cfg)
	f.run(in)

	eventually(t, 10*time.Second, "an attempt failed", func() bool { return in.Failures() >= 1 })
	throughout(t, 3*f.cfg.AckWait, "the held messages are not delivered again", func() bool {
		i := f.info()
		return i.NumRedelivered == 0 && i.NumAckPending == 30
	})
	w.setDown(false)
	eventually(t, 20*time.Second, "every event is stored", func() bool { return w.stored() == len(evs) })
	f.waitDrained()
	checkExactlyOnce(t, w, evs)
}

func TestIngesterParksMalformedMessages(t *testing.T) {
	leakCheck(t)
	f := newIngestFixture(t)
	f.cfg.BatchSize, f.cfg.FlushInterval = 100, 50*time.Millisecond
	w := newMemWriter()
	in := NewIngester(f.bus.JS, w, f.cfg)
	f.run(in)

	bad := []struct {
		name   string
		edit   func(m *nats.Msg)
		reason string
	}{
		{"bad JSON", func(m *nats.Msg) { m.Data = []byte(`{"orderId":`) }, "decoding order.paid payload"},
		{"no order id", func(m *nats.Msg) { m.Data = []byte(`{}`) }, "has no orderId"},
		{"no type", func(m *nats.Msg) { m.Header.Del(HeaderEventType) }, "no Shopgraph-Event-Type header"},
		{"type not of its subject", func(m *nats.Msg) { m.Header.Set(HeaderEventType, domain.EventOrderShipped) }, "must be published on"},
		{"bad time", func(m *nats.Msg) { m.Header.Set(HeaderEventAt, "yesterday") }, "bad Shopgraph-Event-At header"},
		{"time out of range", func(m *nats.Msg) { m.Header.Set(HeaderEventAt, "0001-01-01T00:00:00Z") }, "outside the range"},
		{"no event id", func(m *nats.Msg) { m.Header.Del(jetstream.MsgIDHeader) }, "no Nats-Msg-Id header"},
		{"event id not a UUID", func(m *nats.Msg) { m.Header.Set(jetstream.MsgIDHeader, "order-42") }, "is not a UUID"},
	}
	good1, good2 := paidEvent(1), userEvent(2)
	f.publish(good1)
	for i, b := range bad {
		m := paidEvent(100 + i).message(f.subjects)
		b.edit(m)
		f.publishMsg(m)
	}
	f.publish(good2)

	eventually(t, 20*time.Second, "the good events are stored and the bad ones parked", func() bool {
		return w.stored() == 2 && in.Parked() == int64(len(bad))
	})
	f.waitDrained()
	checkExactlyOnce(t, w, []testEvent{good1, good2})

	dead, err := f.bus.JS.Stream(f.ctx, f.cfg.DeadLetterStream)
	if err != nil {
		t.Fatalf("dead-letter stream: %v", err)
	}
	for i, b := range bad {
		m, err := dead.GetMsg(f.ctx, uint64(i+1))
		if err != nil {
			t.Fatalf("%s: reading parked message %d: %v", b.name, i+1, err)
		}
		if m.Subject != f.subjects.For(AnalyticsDeadLetter) {
			t.Errorf("%s: parked on %s, want %s", b.name, m.Subject, f.subjects.For(AnalyticsDeadLetter))
		}
		if r := m.Header.Get(HeaderDeadReason); !strings.Contains(r, b.reason) {
			t.Errorf("%s: reason %q, want it to contain %q", b.name, r, b.reason)
		}
		if s := m.Header.Get(HeaderDeadSubject); !strings.HasPrefix(s, f.subjects.Prefix+".order.") {
			t.Errorf("%s: dead subject %q", b.name, s)
		}
		// The parked copy has a message id of its own: the original's would make the
		// dead-letter stream drop it as a duplicate, were it parked within the window.
		if m.Header.Get(HeaderDeadSequence) == "" || !strings.HasPrefix(m.Header.Get(jetstream.MsgIDHeader), "analytics-dead-") {
			t.Errorf("%s: headers %v: want the original's sequence and a message id of the dead-letter's own", b.name, m.Header)
		}
	}
	if in.Acked() != 2 || in.Failures() != 0 {
		t.Errorf("Acked, Failures = %d, %d; want 2, 0", in.Acked(), in.Failures())
	}

	// The dead-letter stream deleted under it, the ingester creates it again.
	if err := f.bus.JS.DeleteStream(f.ctx, f.cfg.DeadLetterStream); err != nil {
		t.Fatalf("DeleteStream: %v", err)
	}
	m := paidEvent(200).message(f.subjects)
	m.Data = []byte("not json")
	f.publishMsg(m)
	eventually(t, 20*time.Second, "the message is parked in a new dead-letter stream", func() bool {
		return in.Parked() == int64(len(bad))+1
	})
	f.waitDrained()
	if dead, err := f.bus.JS.Stream(f.ctx, f.cfg.DeadLetterStream); err != nil || dead.CachedInfo().State.Msgs != 1 {
		t.Errorf("dead-letter stream after it was deleted: %v", err)
	}
}

func TestIngesterCrashBetweenInsertAndAck(t *testing.T) {
	leakCheck(t)
	f := newIngestFixture(t)
	f.cfg.BatchSize, f.cfg.FlushInterval, f.cfg.AckWait = 20, 500*time.Millisecond, time.Second
	w := newMemWriter()
	evs := mixedEvents(50)
	f.publish(evs...)

	first := NewIngester(f.bus.JS, w, f.cfg)
	ctx, crash := context.WithCancel(context.Background())
	var once sync.Once
	SetAfterInsertHook(t, func() { once.Do(crash) })
	done := make(chan error, 1)
	go func() { done <- first.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the first ingester returned %v", err)
		}
	case <-time.After(20 * time.Second):
		crash()
		<-done
		t.Fatal("the first ingester did not stop after its first insert")
	}
	if first.Rows() != 0 || first.Acked() != 0 {
		t.Fatalf("the first ingester counted %d rows and %d acks; it stopped before acknowledging", first.Rows(), first.Acked())
	}
	firstBatch := w.stored()
	if firstBatch == 0 || firstBatch > 20 {
		t.Fatalf("%d events stored by the first ingester, want its first batch", firstBatch)
	}
	if i := f.info(); i.AckFloor.Stream != 0 || i.NumAckPending == 0 {
		t.Fatalf("consumer after the crash: ack floor %d, %d pending acks; want 0 and some", i.AckFloor.Stream, i.NumAckPending)
	}

	second := NewIngester(f.bus.JS, w, f.cfg)
	f.run(second)
	eventually(t, 20*time.Second, "every event is stored", func() bool { return w.stored() == len(evs) })
	f.waitDrained()
	checkExactlyOnce(t, w, evs)
	// The second ingester acknowledges every message it is delivered: each event it did
	// not store (the first batch's) once, and some more on a loaded machine, where a
	// message can legitimately be delivered twice (a keep-alive later than AckWait, or a
	// NATS server before 2.10.14 delivering one again as new), the second copy found
	// stored. Whatever the deliveries, each acknowledged message was stored or left out.
	if d := second.Duplicates(); d < int64(firstBatch) {
		t.Errorf("the second ingester left out %d events as stored, want at least the %d of the first batch", d, firstBatch)
	}
	if stored := second.Acked() - second.Duplicates(); stored != int64(len(evs)-firstBatch) {
		t.Errorf("the second ingester acknowledged %d messages and left out %d: %d stored, want the %d the first did not store",
			second.Acked(), second.Duplicates(), stored, len(evs)-firstBatch)
	}
}

func TestIngesterConsumerCreatedAgain(t *testing.T) {
	leakCheck(t)
	f := newIngestFixture(t)
	f.cfg.BatchSize, f.cfg.FlushInterval = 20, 50*time.Millisecond
	w := newMemWriter()
	in := NewIngester(f.bus.JS, w, f.cfg)
	f.run(in)
	evs := mixedEvents(60)
	f.publish(evs...)
	eventually(t, 20*time.Second, "the first events are stored", func() bool { return w.stored() == 60 })
	f.waitDrained()

	// Deleted by an operator, the consumer is created again by the ingester, and starts
	// from the beginning of the stream.
	if err := f.bus.JS.DeleteConsumer(f.ctx, f.cfg.Stream, f.cfg.Durable); err != nil {
		t.Fatalf("DeleteConsumer: %v", err)
	}
	more := mixedEvents(40)
	f.publish(more...)
	eventually(t, 20*time.Second, "the new events are stored", func() bool { return w.stored() == 100 })
	f.waitDrained()
	checkExactlyOnce(t, w, append(evs, more...))
	if in.Duplicates() != 60 {
		t.Errorf("Duplicates = %d, want the 60 events delivered again", in.Duplicates())
	}
}

func TestIngesterConfiguration(t *testing.T) {
	w := newMemWriter()
	for _, tc := range []struct {
		name string
		cfg  IngesterConfig
		want string
	}{
		{"durable with a dot", IngesterConfig{Durable: "a.b"}, "invalid durable name"},
		{"dead letters in the events stream", IngesterConfig{Subjects: Subjects{Prefix: "p"}, DeadLetterSubject: "p.analytics.dead"}, "captured by the events stream"},
		{"wildcard dead-letter subject", IngesterConfig{DeadLetterSubject: "dead.>"}, "invalid dead-letter subject"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := NewIngester(nil, w, tc.cfg).Run(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	cfg := NewIngester(nil, w, IngesterConfig{Subjects: Subjects{Prefix: "p"}}).cfg
	if cfg.Stream != DefaultStream || cfg.Durable != DefaultIngesterDurable || cfg.BatchSize != DefaultIngestBatchSize ||
		cfg.FlushInterval != DefaultIngestFlushInterval || cfg.AckWait != 2*time.Minute || cfg.DeadLetterSubject != "p.deadletter.analytics" ||
		cfg.DeadLetterStream != "SHOPGRAPH_ANALYTICS_DEAD" {
		t.Errorf("defaults: %+v", cfg)
	}
}

func TestIngesterSubjectHelpers(t *testing.T) {
	for _, tc := range []struct {
		filter, subject string
		want            bool
	}{
		{"p.order.>", "p.order.paid", true},
		{"p.order.>", "p.order", false},
		{"p.*.paid", "p.order.paid", true},
		{"p.order.>", "p.deadletter.analytics", false},
		{"order.>", "deadletter.analytics", false},
		{"deadletter.analytics", "deadletter.analytics", true},
	} {
		if got := filterMatches(tc.filter, tc.subject); got != tc.want {
			t.Errorf("filterMatches(%q, %q) = %v", tc.filter, tc.subject, got)
		}
	}
	for _, tc := range []struct {
		prefix, subject, typ string
		want                 bool
	}{
		{"", "order.paid", "order.paid", true},
		{"p", "p.order.paid", "order.paid", true},
		{"p", "order.paid", "order.paid", false},
		{"p", "px.order.paid", "order.paid", false},
		{"p", "p.order.paid", "order.shipped", false},
		{"p", "q.order.paid", "order.paid", false},
	} {
		if got := onSubject(tc.prefix, tc.subject, tc.typ); got != tc.want {
			t.Errorf("onSubject(%q, %q, %q) = %v", tc.prefix, tc.subject, tc.typ, got)
		}
	}
	for s, want := range map[string]bool{
		uuid.NewString(): true, strings.ToUpper(uuid.NewString()): true, "": false,
		"0190c3a2-7b1e-7d3c-8f00-00000000000g": false, "0190c3a27b1e7d3c8f0000000000000a": false,
	} {
		if isUUID(s) != want {
			t.Errorf("isUUID(%q) = %v", s, !want)
		}
	}
}

func TestIngesterStoresAnEventPublishedTwiceOnce(t *testing.T) {
	leakCheck(t)
	f := newIngestFixture(t)
	// A stream that forgets message ids at once, as the events stream does after its
	// DuplicateWindow: the relay or a client sending an event again much later.
	if _, err := f.bus.JS.UpdateStream(f.ctx, jetstream.StreamConfig{Name: f.cfg.Stream, Subjects: f.subjects.Filters(),
		Storage: jetstream.FileStorage, MaxAge: time.Hour, Duplicates: 100 * time.Millisecond}); err != nil {
		t.Fatalf("UpdateStream: %v", err)
	}
	f.cfg.BatchSize, f.cfg.FlushInterval = 100, time.Minute
	evs := mixedEvents(5)
	f.publish(evs...)
	again := evs[2] // an order: three rows
	eventually(t, 10*time.Second, "the stream stores the event again", func() bool {
		ack, err := f.bus.JS.PublishMsg(f.ctx, again.message(f.subjects))
		return err == nil && !ack.Duplicate
	})
	f.cfg.BatchSize = 6 // the whole stream, in one batch
	w := newMemWriter()
	in := NewIngester(f.bus.JS, w, f.cfg)
	f.run(in)
	f.waitDrained()
	checkExactlyOnce(t, w, evs)
	if in.Duplicates() != 1 || in.Acked() != 6 {
		t.Errorf("Duplicates, Acked = %d, %d; want 1, 6", in.Duplicates(), in.Acked())
	}
}

// NATS servers before 2.10.14 (the tests run 2.9.10) can deliver a message a second time
// as if it were new, with NumDelivered 1 (nats-server #4460, fixed by #5305): when a
// redelivery is taken from the redelivery queue and no pull request is left to take it
// (every waiting one has expired, or its client has gone), the server steps its cursor
// of new messages back by one, so that the last message delivered as new is delivered as
// new again by the next request. On a loaded machine an expired pull request and a
// redelivery meet by chance; here a request whose client has gone is planted, and the
// redelivery is a message another reader hands back, so that it happens every time.
func TestIngesterStoresOnceAMessageDeliveredAgainAsNew(t *testing.T) {
	leakCheck(t)
	f := newIngestFixture(t)
	const batch = 4
	// AckWait is long: nothing comes back by itself while the test arranges things.
	f.cfg.BatchSize, f.cfg.FlushInterval, f.cfg.AckWait = batch, 50*time.Millisecond, time.Minute
	w := newMemWriter()
	w.gate = make(chan struct{})
	in := NewIngester(f.bus.JS, w, f.cfg)
	cons, err := in.setUp(f.ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Another reader of the consumer takes the first event and holds it.
	held := userEvent(0)
	f.publish(held)
	mb, err := cons.Fetch(1, jetstream.FetchMaxWait(10*time.Second))
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	var heldMsg jetstream.Msg
	for m := range mb.Messages() {
		heldMsg = m
	}
	if heldMsg == nil {
		t.Fatalf("the held event was not delivered: %v", mb.Error())
	}

	// The ingester takes two batches: the first waits for the store (gate), the second
	// is read ahead, and nothing more is asked for. The last event delivered as new is
	// the last of the second batch, stream sequence 1+2*batch.
	evs := mixedEvents(2 * batch)
	f.publish(evs...)
	f.run(in)
	last := uint64(1 + 2*batch)
	eventually(t, 10*time.Second, "the ingester holds two batches and waits for nothing more", func() bool {
		_, _, calls, _ := w.snapshot()
		i := f.info()
		return len(calls) == 1 && i.NumAckPending == 1+2*batch && i.NumPending == 0 && i.NumWaiting == 0 &&
			i.Delivered.Stream == last
	})

	// A pull request that no message fits (at most one byte), which the server drops
	// when it tries to deliver it one: as it drops an expired request it had not yet
	// noticed, or one whose client has gone.
	inbox := nats.NewInbox()
	sub, err := f.bus.NC.SubscribeSync(inbox)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	next := fmt.Sprintf("$JS.API.CONSUMER.MSG.NEXT.%s.%s", f.cfg.Stream, f.cfg.Durable)
	if err := f.bus.NC.PublishRequest(next, inbox, []byte(`{"batch":1,"max_bytes":1,"expires":60000000000}`)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the pull request waits", func() bool { return f.info().NumWaiting == 1 })

	// The other reader hands its event back: the server takes it for redelivery, finds
	// no request to deliver it to, and (before 2.10.14) steps back its cursor of new
	// messages onto the last event of the ingester's second batch.
	if err := heldMsg.Nak(); err != nil {
		t.Fatalf("Nak: %v", err)
	}
	status, err := sub.NextMsg(10 * time.Second)
	if err != nil || status.Header.Get("Status") != "409" {
		t.Fatalf("the pull request was not ended for its size: %v %v", status, err)
	}
	repeated := f.info().Delivered.Stream == last-1
	if !repeated {
		t.Logf("this NATS server (%s) does not deliver a message again as new; the ingester is checked all the same",
			f.bus.NC.ConnectedServerVersion())
	}
	// The redelivery taken and dropped comes back only after AckWait on the servers
	// that drop it: hand it back again (a raw NAK: the client refuses a second one).
	if err := f.bus.NC.Publish(heldMsg.Reply(), []byte("-NAK")); err != nil {
		t.Fatal(err)
	}

	close(w.gate)
	all := append([]testEvent{held}, evs...)
	eventually(t, 20*time.Second, "every event is stored", func() bool { return w.stored() == len(all) })
	f.waitDrained()
	checkExactlyOnce(t, w, all)
	if repeated {
		_, _, _, checked := w.snapshot()
		if !slices.Contains(checked, evs[len(evs)-1].ID) || in.Duplicates() != 1 {
			t.Errorf("checked %v, Duplicates %d: want the event delivered again as new checked, and found stored",
				checked, in.Duplicates())
		}
	}
	if in.Acked() != int64(len(all))+in.Duplicates() {
		t.Errorf("Acked = %d, want every delivery of the %d events: %d", in.Acked(), len(all), int64(len(all))+in.Duplicates())
	}
}

// fakeMsg is a delivered message as the client hands it over, with the metadata of its
// acknowledgement subject (nil: none can be read).
type fakeMsg struct {
	jetstream.Msg // the methods add does not call
	m             *nats.Msg
	meta          *jetstream.MsgMetadata
}

func (m fakeMsg) Metadata() (*jetstream.MsgMetadata, error) {
	if m.meta == nil {
		return nil, jetstream.ErrNotJSMessage
	}
	return m.meta, nil
}
func (m fakeMsg) Headers() nats.Header { return m.m.Header }
func (m fakeMsg) Subject() string      { return m.m.Subject }
func (m fakeMsg) Data() []byte         { return m.m.Data }

// Which deliveries add marks for the check against the store, whatever the server:
// those it says were delivered before, those it cannot say anything about, and those it
// delivers as new behind a message it delivered as new before.
func TestIngesterChecksEveryDeliveryThatMayBeARepeat(t *testing.T) {
	subjects := Subjects{Prefix: "sgt"}
	in := NewIngester(nil, newMemWriter(), IngesterConfig{Subjects: subjects, BatchSize: 10})
	l := &ingestLoop{in: in, next: newIngestBatch(10)}
	deliver := func(seq, delivered uint64) {
		var meta *jetstream.MsgMetadata
		if seq > 0 {
			meta = &jetstream.MsgMetadata{NumDelivered: delivered}
			meta.Sequence.Stream = seq
		}
		l.add(context.Background(), fakeMsg{m: userEvent(int(seq)).message(subjects), meta: meta})
	}
	deliver(5, 1)  // 0: new
	deliver(6, 1)  // 1: new
	deliver(3, 2)  // 2: delivered before, says the server
	deliver(6, 1)  // 3: "new" again: the last new one, delivered again (NATS < 2.10.14)
	deliver(4, 1)  // 4: "new" behind a newer one
	deliver(0, 0)  // 5: no metadata
	deliver(7, 1)  // 6: new
	deliver(20, 1) // 7: new, past a gap (messages deleted or delivered to another replica)
	if want := []int{2, 3, 4, 5}; !slices.Equal(l.next.redelivered, want) {
		t.Fatalf("marked for the check: %v, want %v", l.next.redelivered, want)
	}
	if in.newest != 20 {
		t.Errorf("newest = %d, want 20", in.newest)
	}
}
