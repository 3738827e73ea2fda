package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/shopgraph/shopgraph/domain"
)

// trackedEvent returns the n-th clickstream event of a session, as the resolver makes it.
func trackedEvent(n int) domain.TrackedEvent {
	types := []domain.TrackEventType{domain.TrackPageViewed, domain.TrackProductViewed, domain.TrackSearched,
		domain.TrackAddedToCart, domain.TrackCheckoutStarted}
	e := domain.TrackedEvent{ID: uuid.NewString(), Type: types[n%len(types)], SessionID: fmt.Sprintf("s-%d", n/7),
		At: time.Now().UTC().Add(-time.Duration(n) * time.Millisecond).Truncate(time.Microsecond)}
	switch e.Type {
	case domain.TrackProductViewed, domain.TrackAddedToCart:
		e.ProductID = int64(100 + n)
	case domain.TrackSearched:
		e.Query = "running shoes"
	}
	if n%3 == 0 {
		e.UserID, e.Metadata = fmt.Sprint(n), `{"ref":"mail"}`
	}
	return e
}

func trackedEvents(from, n int) []domain.TrackedEvent {
	out := make([]domain.TrackedEvent, n)
	for i := range out {
		out[i] = trackedEvent(from + i)
	}
	return out
}

// asTestEvent returns e as a single-event message carries it (the shape published before
// batches), from which checkExactlyOnce computes the rows expected.
func asTestEvent(e domain.TrackedEvent) testEvent {
	p, _ := json.Marshal(e)
	return testEvent{ID: e.ID, Type: e.Type.AnalyticsType(), Key: e.SessionID, At: e.At, Payload: p}
}

func asTestEvents(evs []domain.TrackedEvent) []testEvent {
	out := make([]testEvent, len(evs))
	for i, e := range evs {
		out[i] = asTestEvent(e)
	}
	return out
}

// trackedBatchMsg returns the batch message TrackPublisher sends for evs alone.
func trackedBatchMsg(t testing.TB, subjects Subjects, evs []domain.TrackedEvent) *nats.Msg {
	t.Helper()
	var data, ids []byte
	for i := range evs {
		var err error
		if data, err = AppendTrackedEvent(data, &evs[i]); err != nil {
			t.Fatal(err)
		}
		u := uuid.MustParse(evs[i].ID)
		ids = append(ids, u[:]...)
	}
	m := nats.NewMsg(subjects.For(TrackedBatchType))
	m.Data = data
	m.Header.Set(HeaderEventType, TrackedBatchType)
	m.Header.Set(HeaderEventCount, fmt.Sprint(len(evs)))
	m.Header.Set(jetstream.MsgIDHeader, TrackedBatchMsgID(ids))
	return m
}

// A batch's events decode to what was encoded, and make the rows their single-event
// messages made.
func TestTrackedBatchRoundTrip(t *testing.T) {
	evs := trackedEvents(0, 20)
	evs[3].ID = strings.ToUpper(evs[3].ID) // any spelling of a UUID; decoded canonical
	evs[4].Type = "WISHLISTED"             // a type this version does not know travels too
	var data []byte
	for i := range evs {
		var err error
		if data, err = AppendTrackedEvent(data, &evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	// A field of a later version, between two events, is skipped.
	data = protowire.AppendTag(data, 9, protowire.BytesType)
	data = protowire.AppendString(data, "later")
	extra := trackedEvent(99)
	data, _ = AppendTrackedEvent(data, &extra)
	evs = append(evs, extra)
	var got []domain.TrackedEvent
	err := DecodeTrackedBatch(data, func(i int, e *domain.TrackedEvent) error {
		if i != len(got) {
			t.Errorf("event index %d, want %d", i, len(got))
		}
		got = append(got, *e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(evs) {
		t.Fatalf("%d events decoded, want %d", len(got), len(evs))
	}
	for i, e := range evs {
		e.ID = strings.ToLower(e.ID)
		if !got[i].At.Equal(e.At) {
			t.Errorf("event %d: at %v, want %v", i, got[i].At, e.At)
		}
		got[i].At = e.At
		if got[i] != e {
			t.Errorf("event %d: %+v, want %+v", i, got[i], e)
		}
		// The row of the event in a batch is the row of the event published alone.
		single := asTestEvent(e)
		want, err := domain.ToAnalytics(single.ID, single.Type, single.Key, single.At, single.Payload)
		if err != nil || len(want) != 1 {
			t.Fatalf("ToAnalytics: %v %v", want, err)
		}
		row := domain.TrackedRow(domain.AnalyticsEvent{EventID: e.ID, EntityID: e.SessionID, At: e.At, Currency: domain.DefaultCurrency}, got[i])
		if row != want[0] {
			t.Errorf("event %d: batch row %+v, single-message row %+v", i, row, want[0])
		}
	}

	if _, err := AppendTrackedEvent(nil, &domain.TrackedEvent{ID: "e-1", Type: domain.TrackPageViewed}); err == nil {
		t.Error("AppendTrackedEvent accepted an id that is not a UUID")
	}
	one := trackedEvent(1)
	good, _ := AppendTrackedEvent(nil, &one)
	noTime := one
	noTime.At = time.Time{}
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"truncated":      {good[:len(good)-3], "event 0"},
		"no id":          {protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), protowire.AppendString(protowire.AppendTag(nil, 2, protowire.BytesType), "PAGE_VIEWED")), "no event id"},
		"short id":       {protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), []byte{1, 2, 3})), "not a UUID's 16"},
		"wrong type":     {protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), protowire.AppendVarint(protowire.AppendTag(nil, 3, protowire.VarintType), 7)), "field 3 has wire type"},
		"second bad":     {append(append([]byte{}, good...), good[:5]...), "event 1"},
		"garbage":        {[]byte("not protobuf"), "event 0"},
		"no time (zero)": {func() []byte { b, _ := AppendTrackedEvent(nil, &noTime); return b }(), ""},
	} {
		err := DecodeTrackedBatch(tc.data, func(int, *domain.TrackedEvent) error { return nil })
		if tc.want == "" {
			if err != nil { // a zero time is a time: the ingester refuses it as out of range
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, tc.want)
		}
	}
}

// Concurrent calls share messages; every event is stored once, next to old single-event
// messages still in the stream.
func TestTrackPublisherBatchesCallsAndIngesterStoresEachEventOnce(t *testing.T) {
	leakCheck(t)
	f := newIngestFixture(t)
	f.cfg.BatchSize, f.cfg.FlushInterval = 500, 50*time.Millisecond
	// Published before the upgrade: one event a message, on analytics.<type>.
	old := trackedEvents(0, 30)
	for _, e := range asTestEvents(old) {
		f.publish(e)
	}
	pub := NewTrackPublisher(f.bus.JS, f.subjects)
	const callers, calls, per = 16, 10, 5
	all := append([]domain.TrackedEvent(nil), old...)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range calls {
				evs := trackedEvents(1000+(c*calls+k)*per, per)
				if err := pub.PublishTracked(f.ctx, evs); err != nil {
					t.Errorf("PublishTracked: %v", err)
					return
				}
				mu.Lock()
				all = append(all, evs...)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	s, err := f.bus.JS.Stream(f.ctx, f.cfg.Stream)
	if err != nil {
		t.Fatal(err)
	}
	msgs := s.CachedInfo().State.Msgs - uint64(len(old))
	t.Logf("%d calls of %d events from %d callers: %d messages", callers*calls, per, callers, msgs)
	if msgs == 0 || msgs > callers*calls {
		t.Errorf("%d batch messages for %d calls", msgs, callers*calls)
	}

	w := newMemWriter()
	in := NewIngester(f.bus.JS, w, f.cfg)
	f.run(in)
	eventually(t, 20*time.Second, "every event is stored", func() bool { return w.stored() == len(all) })
	f.waitDrained()
	checkExactlyOnce(t, w, asTestEvents(all))
	if in.Acked() != int64(len(old))+int64(msgs) || in.Parked() != 0 || in.Duplicates() != 0 {
		t.Errorf("Acked, Parked, Duplicates = %d, %d, %d; want %d, 0, 0", in.Acked(), in.Parked(), in.Duplicates(), int64(len(old))+int64(msgs))
	}
}

// The same events sent again: alone, the stream drops the copy (same message id); among
// other events, the ingester leaves out the copies, within a batch and, once delivered
// again, across batches.
func TestIngesterStoresEachEventOfBatchMessagesOnce(t *testing.T) {
	leakCheck(t)
	f := newIngestFixture(t)
	f.cfg.BatchSize, f.cfg.FlushInterval = 1000, 50*time.Millisecond
	a := trackedEvents(0, 10)
	f.publishMsg(trackedBatchMsg(t, f.subjects, a))
	ack, err := f.bus.JS.PublishMsg(f.ctx, trackedBatchMsg(t, f.subjects, a))
	if err != nil || !ack.Duplicate {
		t.Fatalf("the same batch sent again: %+v %v, want it dropped as a duplicate", ack, err)
	}
	// Some of a, sent again in a message with new events.
	b := trackedEvents(100, 10)
	f.publishMsg(trackedBatchMsg(t, f.subjects, append(append([]domain.TrackedEvent{}, a[2:5]...), b...)))
	w := newMemWriter()
	in := NewIngester(f.bus.JS, w, f.cfg)
	f.run(in)
	all := append(append([]domain.TrackedEvent{}, a...), b...)
	eventually(t, 20*time.Second, "every event is stored", func() bool { return w.stored() == len(all) })
	f.waitDrained()
	checkExactlyOnce(t, w, asTestEvents(all))
	if in.Duplicates() != 3 || in.Acked() != 2 {
		t.Errorf("Duplicates, Acked = %d, %d; want 3, 2", in.Duplicates(), in.Acked())
	}
}

// A batch message stored and then delivered again (the ingester died before
// acknowledging it) is checked event by event: the events stored are left out, the
// others stored.
func TestIngesterCrashBetweenInsertAndAckWithBatchMessages(t *testing.T) {
	leakCheck(t)
	f := newIngestFixture(t)
	// A batch of 20 events: the first two messages of 8 events and the first old message.
	f.cfg.BatchSize, f.cfg.FlushInterval, f.cfg.AckWait = 20, 500*time.Millisecond, time.Second
	var all []domain.TrackedEvent
	for k := range 6 {
		evs := trackedEvents(k*100, 8)
		f.publishMsg(trackedBatchMsg(t, f.subjects, evs))
		all = append(all, evs...)
		one := trackedEvent(k*100 + 50)
		f.publish(asTestEvent(one))
		all = append(all, one)
	}
	w := newMemWriter()
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
	firstBatch := w.stored()
	if firstBatch == 0 || firstBatch >= len(all) || first.Acked() != 0 {
		t.Fatalf("the first ingester stored %d events and acknowledged %d messages, want a batch and none", firstBatch, first.Acked())
	}

	second := NewIngester(f.bus.JS, w, f.cfg)
	f.run(second)
	eventually(t, 20*time.Second, "every event is stored", func() bool { return w.stored() == len(all) })
	f.waitDrained()
	checkExactlyOnce(t, w, asTestEvents(all))
	if d := second.Duplicates(); d < int64(firstBatch) {
		t.Errorf("the second ingester left out %d events as stored, want at least the %d of the first batch", d, firstBatch)
	}
}

// A batch message that cannot be used is parked whole, with the reason; the messages
// around it are stored.
func TestIngesterParksMalformedBatchMessages(t *testing.T) {
	leakCheck(t)
	f := newIngestFixture(t)
	f.cfg.BatchSize, f.cfg.FlushInterval = 100, 50*time.Millisecond
	w := newMemWriter()
	in := NewIngester(f.bus.JS, w, f.cfg)
	f.run(in)
	good1, good2 := trackedEvents(0, 5), trackedEvents(10, 5)
	f.publishMsg(trackedBatchMsg(t, f.subjects, good1))
	old := trackedEvents(20, 3)
	old[1].At = time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
	bad := []struct {
		name   string
		msg    *nats.Msg
		reason string
	}{
		{"garbage", func() *nats.Msg {
			m := trackedBatchMsg(t, f.subjects, trackedEvents(30, 2))
			m.Data = append(m.Data, 0xff)
			return m
		}(), "decoding a analytics.batch message: event 2"},
		{"wrong subject", func() *nats.Msg {
			m := trackedBatchMsg(t, f.subjects, trackedEvents(40, 2))
			m.Subject = f.subjects.For("analytics.page_viewed")
			return m
		}(), "must be published on"},
		{"time out of range", trackedBatchMsg(t, f.subjects, old), "event 1 (" + old[1].ID + "): the event time 1960"},
	}
	for _, b := range bad {
		f.publishMsg(b.msg)
	}
	f.publishMsg(trackedBatchMsg(t, f.subjects, good2))
	eventually(t, 20*time.Second, "the good events are stored and the bad messages parked", func() bool {
		return w.stored() == 10 && in.Parked() == int64(len(bad))
	})
	f.waitDrained()
	checkExactlyOnce(t, w, asTestEvents(append(good1, good2...)))
	dead, err := f.bus.JS.Stream(f.ctx, f.cfg.DeadLetterStream)
	if err != nil {
		t.Fatalf("dead-letter stream: %v", err)
	}
	for i, b := range bad {
		m, err := dead.GetMsg(f.ctx, uint64(i+1))
		if err != nil {
			t.Fatalf("%s: %v", b.name, err)
		}
		if r := m.Header.Get(HeaderDeadReason); !strings.Contains(r, b.reason) {
			t.Errorf("%s: reason %q, want it to contain %q", b.name, r, b.reason)
		}
		if string(m.Data) != string(b.msg.Data) || m.Header.Get(HeaderEventCount) == "" {
			t.Errorf("%s: the parked copy lost the payload or the headers: %v", b.name, m.Header)
		}
	}
}

// Pull requests ask for the room left in events: batches of messages of many events are
// about BatchSize events, not BatchSize messages.
func TestIngesterBatchesBatchMessagesByEvents(t *testing.T) {
	leakCheck(t)
	f := newIngestFixture(t)
	f.cfg.BatchSize, f.cfg.FlushInterval = 100, time.Minute // only the size can flush
	var all []domain.TrackedEvent
	for k := range 40 {
		evs := trackedEvents(k*100, 10)
		f.publishMsg(trackedBatchMsg(t, f.subjects, evs))
		all = append(all, evs...)
	}
	w := newMemWriter()
	in := NewIngester(f.bus.JS, w, f.cfg)
	f.run(in)
	eventually(t, 20*time.Second, "every event is stored", func() bool { return w.stored() == len(all) })
	f.waitDrained()
	checkExactlyOnce(t, w, asTestEvents(all))
	_, batches, _, _ := w.snapshot()
	for i, b := range batches {
		if b.rows != 100 {
			t.Errorf("batch %d has %d events, want 100", i, b.rows)
		}
	}
}

// BenchmarkIngesterConvert measures what the ingester does with each clickstream event it
// reads, before the insert: one event a message (JSON, as published before batches) and
// events in batch messages of 3,000.
//
//	go test -run '^$' -bench IngesterConvert -benchmem ./events/
func BenchmarkIngesterConvert(b *testing.B) {
	const n = 3000
	subjects := Subjects{Prefix: "sgb"}
	evs := trackedEvents(0, n)
	meta := &jetstream.MsgMetadata{NumDelivered: 1}
	in := NewIngester(nil, newMemWriter(), IngesterConfig{Subjects: subjects, BatchSize: n})
	run := func(b *testing.B, msgs []*nats.Msg) {
		l := &ingestLoop{in: in, next: newIngestBatch(n)}
		b.ReportAllocs()
		for b.Loop() {
			for _, m := range msgs {
				l.add(context.Background(), fakeMsg{m: m, meta: meta})
			}
			if len(l.next.rows) != n {
				b.Fatalf("%d rows, want %d", len(l.next.rows), n)
			}
			l.next.reset()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
	}
	b.Run("single-event messages", func(b *testing.B) {
		msgs := make([]*nats.Msg, n)
		for i, e := range asTestEvents(evs) {
			msgs[i] = e.message(subjects)
		}
		run(b, msgs)
	})
	b.Run("batch messages", func(b *testing.B) {
		run(b, []*nats.Msg{trackedBatchMsg(b, subjects, evs)})
	})
}
