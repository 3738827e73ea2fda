// Package postgres implements shopgraph's transactional stores on PostgreSQL with pgx.
// SQL lives here and nowhere else; driver errors are translated into domain errors here.
package postgres

import (
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
}

// DB is an open pool of connections to shopgraph's database.
type DB struct {
	Pool *pgxpool.Pool
}

// Open connects to PostgreSQL and checks that it answers. The caller must Close the DB.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("parsing database url: %w", err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	if cfg.Tracer != nil {
		pc.ConnConfig.Tracer = cfg.Tracer
	}
	for k, v := range cfg.RuntimeParams {
		pc.ConnConfig.RuntimeParams[k] = v
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
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pinging database: %w", err)
	}
	return &DB{Pool: pool}, nil
}

// Close closes every connection of the pool.
func (db *DB) Close() { db.Pool.Close() }

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
