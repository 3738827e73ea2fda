package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Read replicas.
//
// Writes, and the reads that decide a write (stock inside a checkout, idempotency keys,
// sign-in, an order's status history for live tracking), always run on the primary. The
// reads that only show something (catalog lists and search, facets, variants, reviews,
// order history and the admin's lists) go through DB.read, which sends them to a replica
// when the context allows it (WithReplicaReads) and one is fit:
//
//   - in rotation: a background check, every ReplicaCheckInterval, takes out a replica
//     that does not answer, is not in recovery or lags more than MaxReplicaLag, and puts
//     it back when it is fit again; a read that fails on a replica because it went away
//     takes it out at once and runs again on the primary, so a replica stopping loses no
//     request;
//   - caught up with the caller: a caller whose last write the context names (by WAL
//     position) reads from a replica only once the replica has replayed that position,
//     else from the primary.
//
// A caller without WithReplicaReads in its context (background workers, commands) reads
// from the primary.

// Defaults of the replica settings.
const (
	DefaultMaxReplicaLag        = 5 * time.Second
	DefaultReplicaCheckInterval = time.Second
)

// LSN is a position in PostgreSQL's write-ahead log (pg_lsn).
type LSN uint64

// ParseLSN parses PostgreSQL's text form of a WAL position, such as "16/B374D848".
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, fmt.Errorf("parsing lsn %q: no slash", s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("parsing lsn %q: %w", s, err)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("parsing lsn %q: %w", s, err)
	}
	return LSN(h<<32 | l), nil
}

// String returns the position in PostgreSQL's text form.
func (l LSN) String() string { return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xFFFFFFFF) }

// readPolicy is what a context allows the reads made with it.
type readPolicy struct {
	// spread picks a caller's replica, so that its reads stay on one replica (monotonic
	// reads) while the set of replicas in rotation stays the same.
	spread uint64
	// after returns the WAL position of the caller's last write (0 for none); it is
	// called at most once, by the first read that needs it.
	after func(context.Context) (LSN, error)

	mu       sync.Mutex
	resolved bool
	lsn      LSN
	err      error
	// refreshed: a replica's replay position was asked for this caller already.
	refreshed bool
}

type readPolicyKey struct{}

// WithReplicaReads returns ctx whose display reads may go to a replica. client names the
// caller (a user, a guest's address): each caller keeps to one replica while the
// replicas in rotation stay the same. after, when not nil, returns the WAL position of
// the caller's last write (see DB.WritePosition), or 0 when it wrote nothing recently;
// it is called at most once, when the first read needs it, and a read goes to a replica
// only once the replica has replayed that position. When after fails, reads go to the
// primary.
func WithReplicaReads(ctx context.Context, client string, after func(context.Context) (LSN, error)) context.Context {
	h := fnv.New64a()
	h.Write([]byte(client))
	return context.WithValue(ctx, readPolicyKey{}, &readPolicy{spread: h.Sum64(), after: after})
}

// WithPrimaryReads returns ctx whose reads all go to the primary, whatever its parent
// allowed: a mutation's reads, a subscription's.
func WithPrimaryReads(ctx context.Context) context.Context {
	return context.WithValue(ctx, readPolicyKey{}, (*readPolicy)(nil))
}

// position returns the caller's last write position, asking for it once.
func (p *readPolicy) position(ctx context.Context) (LSN, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.resolved {
		p.resolved = true
		if p.after != nil {
			p.lsn, p.err = p.after(ctx)
		}
	}
	return p.lsn, p.err
}

// replica is one read replica's pool and what the health check last saw of it.
type replica struct {
	name  string
	pool  *pgxpool.Pool
	check *pgxpool.Pool
	// queries counts the statements the pool ran.
	queries    atomic.Int64
	inRotation atomic.Bool
	replayed   atomic.Uint64
	lag        atomic.Int64 // nanoseconds; -1 when unknown
}

// PoolStats is what DB.Stats reports of one pool.
type PoolStats struct {
	// Name is "primary" or "replica-N" (N from 1, in the order of Config.ReplicaURLs).
	Name string
	// Queries counts the statements the pool ran.
	Queries int64
	// For replicas: whether reads go to it, how far behind the primary it was at the
	// last check (negative when unknown: it did not answer), and the WAL position it
	// had replayed.
	InRotation bool
	Lag        time.Duration
	Replayed   LSN
}

// Stats returns the primary's and each replica's statistics, the primary first.
func (db *DB) Stats() []PoolStats {
	out := []PoolStats{{Name: "primary", Queries: db.primaryQueries.Load(), InRotation: true}}
	for _, r := range db.replicas {
		out = append(out, PoolStats{Name: r.name, Queries: r.queries.Load(), InRotation: r.inRotation.Load(),
			Lag: time.Duration(r.lag.Load()), Replayed: LSN(r.replayed.Load())})
	}
	return out
}

// HasReplicas reports whether the DB has read replicas.
func (db *DB) HasReplicas() bool { return len(db.replicas) > 0 }

// ReadYourWritesWindow is how long after a write a replica in rotation may not have
// replayed it: a replica lags at most MaxReplicaLag when checked, and is checked every
// ReplicaCheckInterval. A caller's write position older than that constrains nothing.
func (db *DB) ReadYourWritesWindow() time.Duration { return db.maxLag + 2*db.interval }

// WritePosition returns the primary's current WAL write position: once a replica has
// replayed it, it shows every transaction committed before the call.
func (db *DB) WritePosition(ctx context.Context) (LSN, error) {
	var s string
	if err := db.Pool.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&s); err != nil {
		return 0, translate(err, "write position")
	}
	return ParseLSN(s)
}

// reader is what a display read needs of a pool.
type reader interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// read returns where the display reads made with ctx go: a replica when the context
// allows it and one is fit, with the primary as the fallback, else the primary.
func (db *DB) read(ctx context.Context) reader {
	if len(db.replicas) == 0 {
		return db.Pool
	}
	p, _ := ctx.Value(readPolicyKey{}).(*readPolicy)
	if p == nil {
		return db.Pool
	}
	r := db.pick(ctx, p)
	if r == nil {
		return db.Pool
	}
	return routed{db: db, r: r}
}

// pick returns the replica for a read under p, or nil for the primary.
func (db *DB) pick(ctx context.Context, p *readPolicy) *replica {
	n := len(db.replicas)
	var fit []*replica
	for i := range n {
		r := db.replicas[(int(p.spread%uint64(n))+i)%n]
		if r.inRotation.Load() {
			fit = append(fit, r)
		}
	}
	if len(fit) == 0 {
		return nil
	}
	need, err := p.position(ctx)
	if err != nil {
		return nil
	}
	for _, r := range fit {
		if LSN(r.replayed.Load()) >= need {
			return r
		}
	}
	// The check's figures may be up to an interval old: ask the caller's replica once.
	p.mu.Lock()
	ask := !p.refreshed
	p.refreshed = true
	p.mu.Unlock()
	if !ask {
		return nil
	}
	r := fit[0]
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var s string
	if err := r.pool.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn()::text`).Scan(&s); err != nil {
		return nil
	}
	got, err := ParseLSN(s)
	if err != nil {
		return nil
	}
	for {
		old := r.replayed.Load()
		if uint64(got) <= old || r.replayed.CompareAndSwap(old, uint64(got)) {
			break
		}
	}
	if got >= need {
		return r
	}
	return nil
}

// routed runs a read on a replica, and again on the primary when the replica fails it
// for a reason of its own (it went away, a conflict with its recovery, a database it has
// not replayed yet).
type routed struct {
	db *DB
	r  *replica
}

func (q routed) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := q.r.pool.Query(ctx, sql, args...)
	if err != nil {
		if q.failover(ctx, err) {
			return q.db.Pool.Query(ctx, sql, args...)
		}
		return nil, err
	}
	return &retryRows{Rows: rows, retry: func(err error) (pgx.Rows, bool, error) {
		if !q.failover(ctx, err) {
			return nil, false, nil
		}
		rows, err := q.db.Pool.Query(ctx, sql, args...)
		return rows, true, err
	}}, nil
}

func (q routed) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return retryRow{ctx: ctx, q: q, sql: sql, args: args}
}

// failover reports whether a read that failed with err on the replica should run on the
// primary, and takes a replica that went away out of rotation.
func (q routed) failover(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if unreachable(err) {
		q.r.inRotation.Store(false)
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "40001", // canceled by a conflict with recovery
			"3D000", // a database the replica has not replayed yet
			"57P04": // the database was dropped
			return true
		}
	}
	return false
}

type retryRow struct {
	ctx  context.Context
	q    routed
	sql  string
	args []any
}

func (r retryRow) Scan(dest ...any) error {
	err := r.q.r.pool.QueryRow(r.ctx, r.sql, r.args...).Scan(dest...)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) && r.q.failover(r.ctx, err) {
		return r.q.db.Pool.QueryRow(r.ctx, r.sql, r.args...).Scan(dest...)
	}
	return err
}

// retryRows reads from a replica's rows; when they fail before the first row, for a
// reason routed.failover accepts, it reads the primary's instead.
type retryRows struct {
	pgx.Rows
	seen  bool
	retry func(err error) (rows pgx.Rows, retried bool, rerr error)
	err   error
}

func (r *retryRows) Next() bool {
	if r.err != nil {
		return false
	}
	if r.Rows.Next() {
		r.seen = true
		return true
	}
	if r.seen || r.retry == nil || r.Rows.Err() == nil {
		return false
	}
	retry, failed := r.retry, r.Rows.Err()
	r.retry = nil
	r.Rows.Close()
	rows, retried, err := retry(failed)
	if !retried {
		return false
	}
	if err != nil {
		r.err = err
		return false
	}
	r.Rows = rows
	return r.Next()
}

func (r *retryRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.Rows.Err()
}

// lagSample is the primary's WAL position at a time.
type lagSample struct {
	at  time.Time
	lsn LSN
}

// watchReplicas checks the replicas every interval until ctx ends, going on from the
// samples of an earlier check.
func (db *DB) watchReplicas(ctx context.Context, primary *pgxpool.Pool, samples []lagSample, interval, maxLag time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		samples = db.checkReplicas(ctx, primary, samples, interval, maxLag)
	}
}

// checkReplicas asks the primary for its position and each replica for its own, sets
// each replica's lag and rotation, and returns the samples to keep. A replica's lag is
// how long ago the primary was at a position the replica has replayed: zero when it has
// replayed the primary's current position, whether or not the primary is busy.
func (db *DB) checkReplicas(ctx context.Context, primary *pgxpool.Pool, samples []lagSample, interval, maxLag time.Duration) []lagSample {
	ctx, cancel := context.WithTimeout(ctx, max(interval, time.Second))
	defer cancel()
	var s string
	if err := primary.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&s); err == nil {
		if lsn, err := ParseLSN(s); err == nil {
			samples = append(samples, lagSample{time.Now(), lsn})
		}
	}
	// Keep what can tell a lag up to maxLag, and one older sample to tell a larger one.
	for len(samples) > 2 && time.Since(samples[1].at) > maxLag+interval {
		samples = samples[1:]
	}
	var wg sync.WaitGroup
	for _, r := range db.replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db.checkReplica(ctx, r, samples, maxLag)
		}()
	}
	wg.Wait()
	return samples
}

func (db *DB) checkReplica(ctx context.Context, r *replica, samples []lagSample, maxLag time.Duration) {
	var recovering bool
	var s string
	err := r.check.QueryRow(ctx, `SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn()::text, '0/0')`).Scan(&recovering, &s)
	var replayed LSN
	if err == nil {
		replayed, err = ParseLSN(s)
	}
	if err != nil || !recovering {
		r.lag.Store(-1)
		r.inRotation.Store(false)
		return
	}
	for {
		old := r.replayed.Load()
		if uint64(replayed) <= old || r.replayed.CompareAndSwap(old, uint64(replayed)) {
			break
		}
	}
	lag := time.Duration(-1)
	if len(samples) > 0 {
		latest := samples[len(samples)-1]
		if replayed >= latest.lsn {
			lag = 0
		} else {
			for i := len(samples) - 1; i >= 0; i-- {
				if samples[i].lsn <= replayed {
					lag = time.Since(samples[i].at)
					break
				}
			}
			if lag < 0 {
				// Behind every sample kept: at least as far behind as the oldest.
				lag = time.Since(samples[0].at)
			}
		}
	}
	r.lag.Store(int64(lag))
	r.inRotation.Store(lag >= 0 && lag <= maxLag)
}
