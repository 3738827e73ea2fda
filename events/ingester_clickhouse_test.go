package events_test

// The analytics ingester against the real ClickHouse (through store/clickhouse), each test
// in a database of its own (testkit.ClickHouse), with a stream and subjects of its own.
// Like the other tests of the package, none calls t.Parallel: each ends with a
// goroutine-leak check, and the crash test sets a hook global to the test binary.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/events"
	"github.com/shopgraph/shopgraph/store/clickhouse"
	"github.com/shopgraph/shopgraph/store/postgres"
	"github.com/shopgraph/shopgraph/testkit"
)

// chIngestFixture is a ClickHouse database, an events stream and subjects of the test's
// own, and the configuration of an ingester from one to the other.
type chIngestFixture struct {
	t        *testing.T
	ctx      context.Context
	db       *clickhouse.DB
	bus      *events.Bus
	subjects events.Subjects
	cfg      events.IngesterConfig
	// published holds the rows every published event must have in ClickHouse, once.
	published map[rowKey]bool
	n         int
}

// rowKey names one analytics row.
type rowKey struct {
	id  string
	seq int
}

func newCHIngestFixture(t *testing.T) *chIngestFixture {
	t.Helper()
	ctx := testContext(t)
	db := testkit.ClickHouse(t)
	url, subjects, name := testkit.NATS(t)
	bus := connect(t, url)
	f := &chIngestFixture{t: t, ctx: ctx, db: db, bus: bus, subjects: subjects, published: map[rowKey]bool{}}
	f.cfg = events.IngesterConfig{Stream: name, Subjects: subjects, Durable: "ingest-ch-test", Log: testkit.Logger(t),
		DeadLetterStream: name + "_DEAD"}
	t.Cleanup(func() { // the ingester's own stream; testkit.NATS deletes the events stream
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := bus.JS.DeleteStream(ctx, f.cfg.DeadLetterStream); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			t.Errorf("deleting stream %s: %v", f.cfg.DeadLetterStream, err)
		}
	})
	if _, err := events.EnsureStream(ctx, bus.JS, events.StreamConfig{Name: name, Subjects: subjects, MaxAge: time.Hour}); err != nil {
		t.Fatalf("EnsureStream: %v", err)
	}
	return f
}

// publish publishes n events as the relay does, every third a paid order with two lines,
// and records the rows each must have.
func (f *chIngestFixture) publish(n int) {
	f.t.Helper()
	futures := make([]jetstream.PubAckFuture, 0, n)
	for range n {
		f.n++
		typ, data := domain.EventUserRegistered, any(domain.UserEventData{UserID: int64(f.n), Email: fmt.Sprintf("u%d@example.com", f.n), Role: domain.RoleCustomer})
		if f.n%3 == 0 {
			typ, data = domain.EventOrderPaid, domain.OrderEventData{OrderID: int64(f.n), UserID: 7, Status: domain.StatusPaid,
				Previous: domain.StatusPending, TotalMinor: 2500, Currency: "EUR", PaymentMethod: domain.PaymentCard,
				Lines: []domain.OrderLineData{{ProductID: 1, Quantity: 1, UnitPriceMinor: 500}, {ProductID: 2, Quantity: 2, UnitPriceMinor: 1000}}}
		}
		payload, err := json.Marshal(data)
		if err != nil {
			f.t.Fatal(err)
		}
		id, at := uuid.NewString(), time.Now().UTC()
		rows, err := domain.ToAnalytics(id, typ, fmt.Sprint(f.n), at, payload)
		if err != nil {
			f.t.Fatal(err)
		}
		for _, r := range rows {
			f.published[rowKey{r.EventID, r.Seq}] = true
		}
		m := nats.NewMsg(f.subjects.For(typ))
		m.Data = payload
		m.Header.Set(events.HeaderEventType, typ)
		m.Header.Set(events.HeaderEventKey, fmt.Sprint(f.n))
		m.Header.Set(events.HeaderEventAt, at.Format(time.RFC3339Nano))
		fut, err := f.bus.JS.PublishMsgAsync(m, jetstream.WithMsgID(id))
		if err != nil {
			f.t.Fatalf("publishing: %v", err)
		}
		futures = append(futures, fut)
	}
	for _, fut := range futures {
		select {
		case <-fut.Ok():
		case err := <-fut.Err():
			f.t.Fatalf("publishing: %v", err)
		case <-f.ctx.Done():
			f.t.Fatal("publishing: no acknowledgement")
		}
	}
}

// publishTracked publishes n clickstream events as the storefront does, through
// TrackPublisher, from four concurrent callers of ten events a call (so that calls share
// messages), and records the row each must have.
func (f *chIngestFixture) publishTracked(n int) {
	f.t.Helper()
	pub := events.NewTrackPublisher(f.bus.JS, f.subjects)
	calls := make(chan []domain.TrackedEvent)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for evs := range calls {
				if err := pub.PublishTracked(f.ctx, evs); err != nil {
					f.t.Errorf("PublishTracked: %v", err)
				}
			}
		}()
	}
	for start := 0; start < n; start += 10 {
		evs := make([]domain.TrackedEvent, min(10, n-start))
		for i := range evs {
			f.n++
			evs[i] = domain.TrackedEvent{ID: uuid.NewString(), Type: domain.TrackProductViewed, SessionID: fmt.Sprintf("s%d", f.n/5),
				ProductID: int64(f.n), At: time.Now().UTC()}
			f.published[rowKey{evs[i].ID, 0}] = true
		}
		calls <- evs
	}
	close(calls)
	wg.Wait()
}

// stored counts the rows of the events table by event id and seq.
func (f *chIngestFixture) stored() map[rowKey]int {
	f.t.Helper()
	rows, err := f.db.Conn.Query(f.ctx, "SELECT toString(event_id), seq, count() FROM events GROUP BY event_id, seq")
	if err != nil {
		f.t.Fatalf("counting rows: %v", err)
	}
	defer rows.Close()
	out := map[rowKey]int{}
	for rows.Next() {
		var id string
		var seq uint16
		var n uint64
		if err := rows.Scan(&id, &seq, &n); err != nil {
			f.t.Fatalf("counting rows: %v", err)
		}
		out[rowKey{id, int(seq)}] = int(n)
	}
	if err := rows.Err(); err != nil {
		f.t.Fatalf("counting rows: %v", err)
	}
	return out
}

// total returns how many rows the events table has.
func total(counts map[rowKey]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// checkExactlyOnce checks that ClickHouse has every row of every published event once,
// and nothing else.
func (f *chIngestFixture) checkExactlyOnce() {
	f.t.Helper()
	got := f.stored()
	for k := range f.published {
		if got[k] != 1 {
			f.t.Errorf("event %s row %d stored %d times, want once", k.id, k.seq, got[k])
		}
	}
	for k, n := range got {
		if !f.published[k] {
			f.t.Errorf("event %s row %d stored %d times, but never published", k.id, k.seq, n)
		}
	}
}

// waitStored waits until ClickHouse has as many rows as were published.
func (f *chIngestFixture) waitStored() {
	f.t.Helper()
	waitFor(f.t, 60*time.Second, fmt.Sprintf("ClickHouse has the %d rows published", len(f.published)), func() bool {
		return total(f.stored()) >= len(f.published)
	})
}

// waitDrained waits until the consumer has every message acknowledged.
func (f *chIngestFixture) waitDrained() {
	f.t.Helper()
	waitFor(f.t, 30*time.Second, "every message is acknowledged", func() bool {
		cons, err := f.bus.JS.Consumer(f.ctx, f.cfg.Stream, f.cfg.Durable)
		if err != nil {
			return false
		}
		i := cons.CachedInfo()
		return i.NumPending == 0 && i.NumAckPending == 0
	})
}

// orderShop is an order database of the test's own whose outbox flows into the fixture's
// stream, for reconciling the dashboard with it (app.Verify, as `shopgraph analytics
// verify` does).
type orderShop struct {
	db *postgres.DB
	// until is after every seeded order event and before every event f.publish makes.
	until time.Time
}

// seedShop places n demo orders (every status, over the 90 days before three hours ago)
// through the order store, records the rows their outbox events must have, and starts an
// outbox relay to the fixture's stream. The events f.publish makes afterwards lie outside
// the range verify reconciles, so the two agree only when every order event is in
// ClickHouse once.
func (f *chIngestFixture) seedShop(n int) *orderShop {
	f.t.Helper()
	db, _ := testkit.Postgres(f.t)
	seeded := time.Now().Add(-3 * time.Hour)
	counts, _, err := app.SeedDemo(f.ctx, db, nil, nil, n, 0, seeded)
	if err != nil {
		f.t.Fatalf("seeding orders: %v", err)
	}
	if counts[domain.StatusPaid]+counts[domain.StatusDelivered]+counts[domain.StatusShipped] == 0 {
		f.t.Fatalf("seeded %v: no paid order to reconcile", counts)
	}
	rows, err := db.Pool.Query(f.ctx, `SELECT event_id::text, type, key, occurred_at, payload FROM outbox WHERE published_at IS NULL`)
	if err != nil {
		f.t.Fatalf("reading the outbox: %v", err)
	}
	for rows.Next() {
		var id, typ, key string
		var at time.Time
		var payload []byte
		if err := rows.Scan(&id, &typ, &key, &at, &payload); err != nil {
			f.t.Fatalf("reading the outbox: %v", err)
		}
		out, err := domain.ToAnalytics(id, typ, key, at, payload)
		if err != nil {
			f.t.Fatalf("outbox event %s (%s): %v", id, typ, err)
		}
		for _, r := range out {
			f.published[rowKey{r.EventID, r.Seq}] = true
		}
	}
	if err := rows.Err(); err != nil {
		f.t.Fatalf("reading the outbox: %v", err)
	}
	runRelay(f.t, events.NewRelay(postgres.NewOutboxStore(db), f.bus.JS, events.RelayConfig{Subjects: f.subjects, Log: testkit.Logger(f.t)}))
	return &orderShop{db: db, until: seeded.Add(time.Hour).Truncate(15 * time.Minute)}
}

// verify reconciles the dashboard with the order database over every seeded order, by
// the function `shopgraph analytics verify` runs, and expects exact agreement.
func (f *chIngestFixture) verify(s *orderShop) {
	f.t.Helper()
	r := domain.DateRange{From: s.until.Add(-100 * 24 * time.Hour), To: s.until}
	rep, err := app.Verify(f.ctx, postgres.NewOrderStore(s.db), clickhouse.NewAnalyticsStore(f.db), r)
	if err != nil {
		f.t.Fatalf("Verify: %v", err)
	}
	if !rep.Match() || rep.DBOrders == 0 || rep.DBRevenue == 0 {
		f.t.Errorf("Verify: %v", rep)
	}
}

// runIngester runs in until the returned stop function is called or the test ends; stop
// returns once Run has.
func runIngester(t *testing.T, in *events.Ingester) (stop func()) {
	return events.StartForTests(t, in.Run).Stop
}

func TestIngesterClickHouseCrashBetweenInsertAndAck(t *testing.T) {
	checkGoroutines(t)
	f := newCHIngestFixture(t)
	// AckWait must outlast an insert, as in production (2 min against a 1 min insert
	// budget): on a machine loaded by the race detector an insert can take a second.
	f.cfg.BatchSize, f.cfg.FlushInterval, f.cfg.AckWait = 100, 500*time.Millisecond, 5*time.Second
	store := clickhouse.NewAnalyticsStore(f.db)
	sh := f.seedShop(40)
	f.publish(250)

	ctx, crash := context.WithCancel(context.Background())
	defer crash()
	var once sync.Once
	events.SetAfterInsertHook(t, func() { once.Do(crash) })
	first := events.NewIngester(f.bus.JS, store, f.cfg)
	done := make(chan error, 1)
	go func() { done <- first.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the first ingester returned %v", err)
		}
	case <-time.After(30 * time.Second):
		crash()
		<-done
		t.Fatal("the first ingester did not stop after its first insert")
	}
	// The first batch is in ClickHouse, and not acknowledged.
	firstEvents := map[string]bool{}
	for k := range f.stored() {
		firstEvents[k.id] = true
	}
	if n := len(firstEvents); n == 0 || n > 100 {
		t.Fatalf("%d events stored by the first ingester, want its first batch", n)
	}
	cons, err := f.bus.JS.Consumer(f.ctx, f.cfg.Stream, f.cfg.Durable)
	if err != nil {
		t.Fatal(err)
	}
	if i := cons.CachedInfo(); i.AckFloor.Stream != 0 {
		t.Fatalf("ack floor %d after the crash, want 0", i.AckFloor.Stream)
	}

	second := events.NewIngester(f.bus.JS, store, f.cfg)
	runIngester(t, second)
	f.waitStored()
	f.waitDrained()
	f.checkExactlyOnce()
	if second.Duplicates() != int64(len(firstEvents)) {
		t.Errorf("the second ingester left out %d events as stored, want the first batch's %d", second.Duplicates(), len(firstEvents))
	}
	f.verify(sh)
}

func TestIngesterClickHouseDownAndBack(t *testing.T) {
	checkGoroutines(t)
	f := newCHIngestFixture(t)
	f.cfg.BatchSize, f.cfg.FlushInterval = 200, 100*time.Millisecond
	f.cfg.RetryMax = 400 * time.Millisecond // five failures in about 1.5 s, not 15
	u, err := url.Parse(testkit.ClickHouseURL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := testkit.StartTCPProxy(t, u.Host)
	viaProxy, err := clickhouse.Open(clickhouse.Config{URL: testkit.ClickHouseDatabaseURL(t, proxy.Addr(), f.db.Database)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = viaProxy.Close() })
	in := events.NewIngester(f.bus.JS, clickhouse.NewAnalyticsStore(viaProxy), f.cfg)
	runIngester(t, in)

	f.publish(500)
	f.publishTracked(300) // many to a message
	waitFor(t, 30*time.Second, "some rows are stored", func() bool { return len(f.stored()) > 0 })

	// ClickHouse goes away while events flow, orders among them; some batch may be in
	// flight.
	proxy.Down()
	sh := f.seedShop(40)
	f.publish(700)
	f.publishTracked(700)
	failures := in.Failures()
	waitFor(t, 30*time.Second, "inserts fail", func() bool { return in.Failures() >= failures+3 })
	before := total(f.stored())
	waitFor(t, 30*time.Second, "more attempts fail", func() bool { return in.Failures() >= failures+5 })
	if after := total(f.stored()); after != before {
		t.Fatalf("%d rows became %d while ClickHouse was unreachable", before, after)
	}
	if before >= len(f.published) {
		t.Fatalf("every row was stored before ClickHouse went away: the outage tests nothing")
	}

	proxy.Up()
	f.publish(300)
	f.publishTracked(300)
	f.waitStored()
	f.waitDrained()
	f.checkExactlyOnce()
	if lag, err := in.Lag(f.ctx); err != nil || lag != 0 {
		t.Errorf("Lag = %d, %v; want 0", lag, err)
	}
	f.verify(sh)
	t.Logf("rows %d, batches %d, failures %d, duplicates %d, last batch %v, last insert %v",
		in.Rows(), in.Batches(), in.Failures(), in.Duplicates(), in.LastBatchLatency(), in.LastInsertDuration())
}

// BenchmarkIngesterClickHouse measures how fast the ingester drains a backlog of events
// into ClickHouse: each iteration publishes drainEvents events (a paid order with two
// lines every third, sign-ups otherwise) with the timer stopped, then times a new durable
// consumer reading them all into the table. rows/s is the figure to watch.
//
//	go test -run '^$' -bench IngesterClickHouse -benchtime 3x ./events/
func BenchmarkIngesterClickHouse(b *testing.B) {
	const drainEvents = 200_000
	ctx := context.Background()
	db := testkit.ClickHouse(b)
	url, subjects, name := testkit.NATS(b)
	bus, err := events.Connect(events.Config{URL: url, Name: "ingester-bench"}, testkit.Logger(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = bus.Close() })
	if _, err := events.EnsureStream(ctx, bus.JS, events.StreamConfig{Name: name, Subjects: subjects, MaxAge: time.Hour}); err != nil {
		b.Fatal(err)
	}
	w := clickhouse.NewAnalyticsStore(db)
	var rows, n int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := bus.JS.Stream(ctx, name)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Purge(ctx); err != nil {
			b.Fatal(err)
		}
		if err := db.Conn.Exec(ctx, "TRUNCATE TABLE events"); err != nil {
			b.Fatal(err)
		}
		var want int64
		for range drainEvents {
			n++
			typ, data := domain.EventUserRegistered, any(domain.UserEventData{UserID: n, Email: fmt.Sprintf("u%d@example.com", n), Role: domain.RoleCustomer})
			want++
			if n%3 == 0 {
				typ, data = domain.EventOrderPaid, domain.OrderEventData{OrderID: n, UserID: 7, Status: domain.StatusPaid,
					Previous: domain.StatusPending, TotalMinor: 2500, Currency: "EUR", PaymentMethod: domain.PaymentCard,
					Lines: []domain.OrderLineData{{ProductID: 1, Quantity: 1, UnitPriceMinor: 500}, {ProductID: 2, Quantity: 2, UnitPriceMinor: 1000}}}
				want += 2
			}
			payload, _ := json.Marshal(data)
			m := nats.NewMsg(subjects.For(typ))
			m.Data = payload
			m.Header.Set(events.HeaderEventType, typ)
			m.Header.Set(events.HeaderEventKey, fmt.Sprint(n))
			m.Header.Set(events.HeaderEventAt, time.Now().UTC().Format(time.RFC3339Nano))
			if _, err := bus.JS.PublishMsgAsync(m, jetstream.WithMsgID(uuid.NewString()), jetstream.WithStallWait(time.Minute)); err != nil {
				b.Fatal(err)
			}
		}
		<-bus.JS.PublishAsyncComplete()
		in := events.NewIngester(bus.JS, w, events.IngesterConfig{Stream: name, Subjects: subjects, Durable: fmt.Sprintf("bench-%d", i)})
		b.StartTimer()
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- in.Run(rctx) }()
		for {
			var got uint64
			if err := db.Conn.QueryRow(ctx, "SELECT count() FROM events").Scan(&got); err != nil {
				b.Fatal(err)
			}
			if int64(got) >= want {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		rows += want
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
