// Package postgres implements shopgraph's transactional stores on PostgreSQL with pgx.
// SQL lives here and nowhere else; driver errors are translated into domain errors here.
package postgres

import (
	"cmp"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/shopgraph/shopgraph/domain"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Config says how to reach PostgreSQL.
type Config struct {
	// URL is a libpq connection string or URL.
	URL string
	// MaxConns caps the pool; zero keeps pgx's default (four per CPU, at least four).
	MaxConns int32
	// Tracer, when set, sees every statement (metrics, tests that count statements).
	Tracer pgx.QueryTracer
	// RuntimeParams are session settings for every connection, such as
	// synchronous_commit=off for a bulk load whose loss on a crash is harmless.
	RuntimeParams map[string]string

	// ReplicaURLs are read replicas of the database (streaming, hot standby) for the
	// display reads (see replicas.go); none sends every read to the primary.
	ReplicaURLs []string
	// MaxReplicaLag takes a replica further behind the primary out of rotation; zero
	// means DefaultMaxReplicaLag.
	MaxReplicaLag time.Duration
	// ReplicaCheckInterval is how often the replicas' lag is checked; zero means
	// DefaultReplicaCheckInterval.
	ReplicaCheckInterval time.Duration
}

// DB is an open pool of connections to shopgraph's database (the primary), with a pool
// for each read replica.
type DB struct {
	// Pool is the primary's: writes and the reads that decide them.
	Pool *pgxpool.Pool

	replicas       []*replica
	primaryQueries atomic.Int64
	maxLag         time.Duration
	interval       time.Duration
	checkPool      *pgxpool.Pool
	stopWatch      context.CancelFunc
	watchDone      chan struct{}
}

// Open connects to PostgreSQL and checks that it answers. The caller must Close the DB.
// Replicas need not answer yet: they join the rotation once the background check finds
// them fit.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	db := &DB{maxLag: cmp.Or(cfg.MaxReplicaLag, DefaultMaxReplicaLag)}
	pool, err := openPool(ctx, cfg, cfg.URL, "", &db.primaryQueries)
	if err != nil {
		return nil, err
	}
	db.Pool = pool
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pinging database: %w", err)
	}
	if len(cfg.ReplicaURLs) == 0 {
		return db, nil
	}
	// The checks have pools of their own, untraced: they are not the application's
	// statements, and must not wait behind them for a connection.
	check := Config{MaxConns: 1}
	if db.checkPool, err = openPool(ctx, check, cfg.URL, "shopgraph-replica-check", nil); err != nil {
		db.Close()
		return nil, err
	}
	for i, u := range cfg.ReplicaURLs {
		r := &replica{name: fmt.Sprintf("replica-%d", i+1)}
		r.lag.Store(-1)
		db.replicas = append(db.replicas, r)
		if r.pool, err = openPool(ctx, cfg, u, "shopgraph-replica", &r.queries); err != nil {
			db.Close()
			return nil, fmt.Errorf("%s: %w", r.name, err)
		}
		if r.check, err = openPool(ctx, check, u, "shopgraph-replica-check", nil); err != nil {
			db.Close()
			return nil, fmt.Errorf("%s: %w", r.name, err)
		}
	}
	interval := cmp.Or(cfg.ReplicaCheckInterval, DefaultReplicaCheckInterval)
	db.interval = interval
	// The first check runs now, so that a process starts with its replicas in rotation.
	samples := db.checkReplicas(ctx, db.checkPool, nil, interval, db.maxLag)
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	db.stopWatch, db.watchDone = stop, make(chan struct{})
	go func() {
		defer close(db.watchDone)
		db.watchReplicas(wctx, db.checkPool, samples, interval, db.maxLag)
	}()
	return db, nil
}

// openPool opens a pool on url with cfg's settings; appName, when set, is the sessions'
// application_name unless the URL names one; queries, when set, counts the statements.
func openPool(ctx context.Context, cfg Config, url, appName string, queries *atomic.Int64) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parsing database url: %w", err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	var counter pgx.QueryTracer
	if queries != nil {
		counter = countingTracer{queries}
	}
	pc.ConnConfig.Tracer = Tracers(cfg.Tracer, counter)
	for k, v := range cfg.RuntimeParams {
		pc.ConnConfig.RuntimeParams[k] = v
	}
	if _, set := pc.ConnConfig.RuntimeParams["application_name"]; !set && appName != "" {
		pc.ConnConfig.RuntimeParams["application_name"] = appName
	}
	// A dead server must not hang requests: dial quickly, and let the pool replace
	// connections that broke while the server restarted.
	if pc.ConnConfig.ConnectTimeout == 0 || pc.ConnConfig.ConnectTimeout > 5*time.Second {
		pc.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pc.HealthCheckPeriod = 10 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("opening database pool: %w", err)
	}
	return pool, nil
}

// countingTracer counts the statements of a pool, for DB.Stats.
type countingTracer struct{ n *atomic.Int64 }

func (c countingTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c countingTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Close stops the replica checks and closes every connection of the pools.
func (db *DB) Close() {
	if db.stopWatch != nil {
		db.stopWatch()
		<-db.watchDone
	}
	for _, r := range db.replicas {
		if r.pool != nil {
			r.pool.Close()
		}
		if r.check != nil {
			r.check.Close()
		}
	}
	if db.checkPool != nil {
		db.checkPool.Close()
	}
	if db.Pool != nil {
		db.Pool.Close()
	}
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.Pool.Ping(ctx) }

// Migrate applies every pending migration. Concurrent callers (replicas starting together)
// are serialised by an advisory lock.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) error {
	sqlDB := stdlib.OpenDBFromPool(db.Pool)
	defer sqlDB.Close()
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("reading embedded migrations: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("creating migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, sub, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("preparing postgres migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("applying postgres migrations: %w", err)
	}
	for _, r := range results {
		log.Info("postgres migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
	}
	return nil
}

// translate turns driver errors into domain errors: no rows becomes NOT_FOUND (with what),
// a unique violation CONFLICT; anything else is wrapped as internal.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Errorf(domain.CodeNotFound, "%s not found", what)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return domain.Errorf(domain.CodeConflict, "%s already exists", what)
	}
	if unreachable(err) {
		return fmt.Errorf("%w: %s: %w", domain.Errorf(domain.CodeServiceUnavailable, "the database is unavailable right now; try again shortly"), what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// translateTx passes business and domain errors from a transaction through and
// translates the driver's (a failed begin or commit) as translate does.
func translateTx(err error, what string) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	var be *domain.BusinessError
	if errors.As(err, &de) || errors.As(err, &be) {
		return err
	}
	return translate(err, what)
}

// unreachable reports whether err says the database could not be reached or the
// connection broke, rather than that a statement failed.
func unreachable(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Admin shutdown, crash recovery, too many connections: the server is going away.
		return pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03" || pgErr.Code == "53300"
	}
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || pgconn.SafeToRetry(err)
}

// SchemaVersion returns a digest of the embedded migrations: it changes whenever a
// migration is added or edited (tests key their template databases by it).
func SchemaVersion() string {
	h := sha256.New()
	_ = fs.WalkDir(migrations, "migrations", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := migrations.ReadFile(path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))
}
