package postgres_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/postgres"
	"github.com/shopgraph/shopgraph/testkit"
)

// standbyTracer records, for statements containing a marker, which kind of server ran
// them, as the server itself reports it to the session (in_hot_standby, sent by
// PostgreSQL 14 and later).
type standbyTracer struct {
	marker  string
	standby atomic.Int64
	primary atomic.Int64
}

func (s *standbyTracer) TraceQueryStart(ctx context.Context, c *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.Contains(d.SQL, s.marker) {
		switch c.PgConn().ParameterStatus("in_hot_standby") {
		case "on":
			s.standby.Add(1)
		case "off":
			s.primary.Add(1)
		}
	}
	return ctx
}

func (s *standbyTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (s *standbyTracer) reset() (standby, primary int64) {
	return s.standby.Swap(0), s.primary.Swap(0)
}

// openWithReplica returns the test's database opened with the streaming replica, its
// statements on product_variants traced.
func openWithReplica(t *testing.T, stoppable bool) (db *postgres.DB, tr *standbyTracer, stop, start func() error) {
	t.Helper()
	_, url := testkit.Postgres(t)
	var rurl string
	if stoppable {
		rurl, stop, start = testkit.StoppableReplica(t, url)
	} else {
		rurl = testkit.Replica(t, url)
	}
	tr = &standbyTracer{marker: "product_variants"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, postgres.Config{URL: url, ReplicaURLs: []string{rurl}, Tracer: tr,
		MaxConns: 8, ReplicaCheckInterval: 100 * time.Millisecond, MaxReplicaLag: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	waitRotation(t, db, true)
	return db, tr, stop, start
}

// waitRotation waits until the replica is in rotation (or out of it).
func waitRotation(t *testing.T, db *postgres.DB, in bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for db.Stats()[1].InRotation != in {
		if time.Now().After(deadline) {
			t.Fatalf("replica in rotation %v after a minute, want %v: %+v", !in, in, db.Stats())
		}
		time.Sleep(20 * time.Millisecond) // polling the health check's verdict
	}
}

func someVariant(t *testing.T, db *postgres.DB) int64 {
	t.Helper()
	var id int64
	if err := db.Pool.QueryRow(context.Background(), `SELECT min(id) FROM product_variants WHERE deleted_at IS NULL`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestReplicaServesDisplayReads(t *testing.T) {
	t.Parallel()
	db, tr, _, _ := openWithReplica(t, false)
	catalog := postgres.NewCatalogStore(db)
	id := someVariant(t, db)
	ctx := context.Background()
	tr.reset()

	// Without a read policy (background work) and with WithPrimaryReads, the primary.
	if _, err := catalog.VariantsByID(ctx, []int64{id}); err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.VariantsByID(postgres.WithPrimaryReads(postgres.WithReplicaReads(ctx, "c", nil)), []int64{id}); err != nil {
		t.Fatal(err)
	}
	if s, p := tr.reset(); s != 0 || p != 2 {
		t.Fatalf("reads without replica reads allowed: %d on the standby, %d on the primary; want 0 and 2", s, p)
	}
	before := db.Stats()[1].Queries
	for i := range 20 {
		rctx := postgres.WithReplicaReads(ctx, "client-"+string(rune('a'+i)), nil)
		vs, err := catalog.VariantsByID(rctx, []int64{id})
		if err != nil || len(vs) != 1 {
			t.Fatalf("read %d: %v, %d variants", i, err, len(vs))
		}
	}
	if s, p := tr.reset(); s != 20 || p != 0 {
		t.Fatalf("replica reads: %d on the standby, %d on the primary; want 20 and 0", s, p)
	}
	st := db.Stats()
	if st[1].Queries-before < 20 || !st[1].InRotation || st[1].Lag < 0 || st[1].Lag > 5*time.Second {
		t.Fatalf("stats after 20 replica reads: %+v", st)
	}
}

func TestReplicaReadYourWrites(t *testing.T) {
	t.Parallel()
	db, tr, _, _ := openWithReplica(t, false)
	catalog := postgres.NewCatalogStore(db)
	id := someVariant(t, db)
	ctx := context.Background()
	onReplica := 0
	for i := range 100 {
		stock := 1000 + i
		if _, err := db.Pool.Exec(ctx, `UPDATE product_variants SET stock = $2 WHERE id = $1`, id, stock); err != nil {
			t.Fatal(err)
		}
		pos, err := db.WritePosition(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rctx := postgres.WithReplicaReads(ctx, "writer", func(context.Context) (postgres.LSN, error) { return pos, nil })
		vs, err := catalog.VariantsByID(rctx, []int64{id})
		if err != nil {
			t.Fatal(err)
		}
		if got := vs[id].Stock; got != stock {
			t.Fatalf("write %d: read stock %d right after writing %d", i, got, stock)
		}
		s, _ := tr.reset()
		onReplica += int(s)
	}
	t.Logf("100 reads right after their writes: %d served by the replica, the rest by the primary", onReplica)
	// Once the replica has replayed the write, the writer's reads go back to it.
	pos, err := db.WritePosition(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		rctx := postgres.WithReplicaReads(ctx, "writer", func(context.Context) (postgres.LSN, error) { return pos, nil })
		vs, err := catalog.VariantsByID(rctx, []int64{id})
		if err != nil || vs[id].Stock != 1099 {
			t.Fatalf("read after the writes: %v, stock %d", err, vs[id].Stock)
		}
		if s, _ := tr.reset(); s == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the writer's reads never went back to the replica: %+v", db.Stats())
		}
		time.Sleep(20 * time.Millisecond) // waiting for the replica to replay
	}
}

func TestReplicaStoppedUnderTrafficLosesNoRead(t *testing.T) {
	db, tr, stop, start := openWithReplica(t, true)
	catalog := postgres.NewCatalogStore(db)
	id := someVariant(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var reads, failures atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rctx := postgres.WithReplicaReads(context.Background(), "reader-"+string(rune('a'+w)), nil)
			for ctx.Err() == nil {
				vs, err := catalog.VariantsByID(rctx, []int64{id})
				if err == nil && len(vs) != 1 {
					err = domain.Errorf(domain.CodeNotFound, "variant missing")
				}
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
				reads.Add(1)
			}
		}()
	}
	waitReads := func(n int64) {
		t.Helper()
		target := reads.Load() + n
		deadline := time.Now().Add(time.Minute)
		for reads.Load() < target {
			if time.Now().After(deadline) {
				t.Fatalf("reads stalled at %d", reads.Load())
			}
			time.Sleep(5 * time.Millisecond) // polling the readers' progress
		}
	}
	waitReads(200)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	tr.reset()
	waitRotation(t, db, false)
	waitReads(200)
	if s, p := tr.reset(); s != 0 || p == 0 {
		t.Fatalf("with the replica stopped: %d reads on a standby, %d on the primary", s, p)
	}
	if err := start(); err != nil {
		t.Fatal(err)
	}
	waitRotation(t, db, true)
	tr.reset()
	waitReads(200)
	cancel()
	wg.Wait()
	if s, _ := tr.reset(); s == 0 {
		t.Fatalf("no read went back to the restarted replica: %+v", db.Stats())
	}
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d of %d reads failed while the replica stopped and started; first: %v", n, reads.Load(), firstErr.Load())
	}
	t.Logf("%d reads, none failed, while the replica stopped and started again", reads.Load())
}
