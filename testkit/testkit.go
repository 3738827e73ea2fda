// Package testkit gives integration tests their own slice of the real servers: a fresh
// Postgres database cloned from a migrated and seeded template, a Redis key prefix, a
// NATS subject prefix. Everything a test gets is removed in its cleanup, so tests run in
// parallel and leave nothing behind but the template, a cache keyed by the schema.
package testkit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/seed"
	"github.com/shopgraph/shopgraph/store/postgres"
	"github.com/shopgraph/shopgraph/store/redis"
)

// Env returns the environment variable, or def when it is unset.
func Env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// PostgresURL is the database tests connect to for creating and dropping their own
// databases; the role needs CREATEDB.
func PostgresURL() string {
	return Env("TEST_DATABASE_URL", "postgres://shopgraph:shopgraph@127.0.0.1:5432/shopgraph?sslmode=disable")
}

// RedisURL is the Redis tests use, each under its own key prefix.
func RedisURL() string { return Env("TEST_REDIS_URL", "redis://127.0.0.1:6379/0") }

// NATSURL is the NATS tests use, each under its own subject and stream prefix.
func NATSURL() string { return Env("TEST_NATS_URL", "nats://127.0.0.1:4222") }

// ClickHouseURL is the ClickHouse tests use, each in its own database.
func ClickHouseURL() string {
	return Env("TEST_CLICKHOUSE_URL", "clickhouse://default:@127.0.0.1:9000/default")
}

// Logger returns a logger that writes through t.Log, so output shows only for failures.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Discard is a logger that drops everything.
var Discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// UniqueName returns prefix followed by random hex, safe as an identifier anywhere.
func UniqueName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// SeedProducts is the size of the catalog in the template database: the demo shop's.
const SeedProducts = seed.DefaultProducts

// DBOption adjusts the pool a test gets.
type DBOption func(*postgres.Config)

// WithTracer installs a statement tracer on the test's pool.
func WithTracer(tr pgx.QueryTracer) DBOption {
	return func(c *postgres.Config) { c.Tracer = tr }
}

// cloneStrategy returns the clause that makes CREATE DATABASE copy the template's files
// (PostgreSQL 15 and later; older servers always do). PostgreSQL 15's default writes the
// whole template into the WAL instead: some 45 MB per test database, which the streaming
// replica of the read-replica tests must replay, so that under a whole suite it lagged
// out of rotation for minutes. A file copy writes a few kilobytes of WAL, and is faster.
func cloneStrategy(ctx context.Context, admin *pgx.Conn) string {
	var version int
	if err := admin.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil || version < 150000 {
		return ""
	}
	return " STRATEGY FILE_COPY"
}

// Postgres returns a pool on a new database of the test's own, migrated and seeded with
// the demo catalog, dropped when the test ends. The URL of the database is returned too,
// for code under test that opens its own pool.
func Postgres(t testing.TB, opts ...DBOption) (*postgres.DB, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, PostgresURL())
	if err != nil {
		t.Fatalf("testkit: connecting to postgres (is it running? make services): %v", err)
	}
	defer admin.Close(ctx)
	tpl := ensureTemplate(ctx, t, admin)
	sweepPostgres(ctx, t, admin)
	name := DatedName(postgresTestPrefix)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tpl+cloneStrategy(ctx, admin)); err != nil {
		t.Fatalf("testkit: creating database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, PostgresURL())
		if err != nil {
			t.Errorf("testkit: connecting to drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("testkit: dropping %s: %v", name, err)
		}
	})
	url := withDatabase(t, PostgresURL(), name)
	cfg := postgres.Config{URL: url, MaxConns: 8}
	for _, o := range opts {
		o(&cfg)
	}
	db, err := postgres.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("testkit: opening test database: %v", err)
	}
	t.Cleanup(db.Close)
	return db, url
}

// templateKeep is how long a template of another schema is kept after its last use:
// another checkout's tests (another branch, on the same server) may be using it.
const templateKeep = 6 * time.Hour

// ensureTemplate returns the name of the migrated and seeded template database for the
// current migrations, building it under an advisory lock when no test process has yet.
// Each template's comment records when a test process last used it; templates of other
// schemas unused for templateKeep, and builds left by processes that died, are dropped.
func ensureTemplate(ctx context.Context, t testing.TB, admin *pgx.Conn) string {
	t.Helper()
	tpl := "sg_tpl_" + templateVersion()
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(727001)"); err != nil {
		t.Fatalf("testkit: locking template: %v", err)
	}
	defer admin.Exec(ctx, "SELECT pg_advisory_unlock(727001)") //nolint:errcheck // released with the connection anyway
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", tpl).Scan(&exists); err != nil {
		t.Fatalf("testkit: looking for template: %v", err)
	}
	if exists {
		touchTemplate(ctx, t, admin, tpl)
		return tpl
	}
	// Every build runs under the lock held here: one that exists now was left by a
	// process that died. A template of another schema unused for a while is a stale cache.
	rows, err := admin.Query(ctx, `SELECT datname FROM pg_database
		WHERE datname LIKE 'sg\_build\_%'
		   OR (datname LIKE 'sg\_tpl\_%' AND coalesce(substring(shobj_description(oid, 'pg_database') FROM '^used ([0-9]+)$')::bigint, 0) < $1)`,
		time.Now().Add(-templateKeep).Unix())
	if err != nil {
		t.Fatalf("testkit: listing templates: %v", err)
	}
	old, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("testkit: listing templates: %v", err)
	}
	for _, o := range old {
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+o+" WITH (FORCE)"); err != nil {
			t.Fatalf("testkit: dropping stale template %s: %v", o, err)
		}
	}
	build := UniqueName("sg_build_")
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+build); err != nil {
		t.Fatalf("testkit: creating template: %v", err)
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: withDatabase(t, PostgresURL(), build)})
	if err != nil {
		t.Fatalf("testkit: opening template: %v", err)
	}
	err = db.Migrate(ctx, Discard)
	if err == nil {
		_, err = db.SeedCatalog(ctx, seed.Generate(SeedProducts), time.Now())
	}
	db.Close()
	if err != nil {
		t.Fatalf("testkit: building template: %v", err)
	}
	// The rename marks the template complete: a build that died half-way is never used.
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+build+" RENAME TO "+tpl); err != nil {
		t.Fatalf("testkit: publishing template: %v", err)
	}
	touchTemplate(ctx, t, admin, tpl)
	return tpl
}

// touched is the template this process has marked used, once.
var touched sync.Map

// touchTemplate records in the template's comment that it is in use, once per process.
func touchTemplate(ctx context.Context, t testing.TB, admin *pgx.Conn, tpl string) {
	t.Helper()
	if _, done := touched.LoadOrStore(tpl, true); done {
		return
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf("COMMENT ON DATABASE %s IS 'used %d'", tpl, time.Now().Unix())); err != nil {
		touched.Delete(tpl)
		t.Fatalf("testkit: marking template %s used: %v", tpl, err)
	}
}

var templateVersion = sync.OnceValue(func() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s %+v", postgres.SchemaVersion(), seed.Generate(SeedProducts))
	return hex.EncodeToString(h.Sum(nil))[:16]
})

func withDatabase(t testing.TB, url, name string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatalf("testkit: parsing %s: %v", url, err)
	}
	return fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Password, cfg.Host, cfg.Port, name)
}

// Redis returns a client whose keys live under a prefix of the test's own; the keys are
// deleted when the test ends.
func Redis(t testing.TB) *redis.Client {
	t.Helper()
	prefix := UniqueName("sgt") + ":"
	c, err := redis.Open(redis.Config{URL: RedisURL(), Prefix: prefix})
	if err != nil {
		t.Fatalf("testkit: opening redis: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := c.RDB.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			c.RDB.Del(ctx, iter.Val())
		}
		_ = c.Close()
	})
	return c
}

// StatementCounter is a pgx tracer that counts the statements a pool runs, and keeps
// the distinct texts of the first maxStatementTexts of them (Ran).
type StatementCounter struct {
	n     atomic.Int64
	mu    sync.Mutex
	texts map[string]bool
}

// maxStatementTexts bounds the texts a StatementCounter keeps.
const maxStatementTexts = 10000

// TraceQueryStart counts one statement.
func (c *StatementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.texts == nil {
		c.texts = map[string]bool{}
	}
	if len(c.texts) < maxStatementTexts {
		c.texts[data.SQL] = true
	}
	return ctx
}

// TraceQueryEnd does nothing.
func (c *StatementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Reset sets the count to zero and returns what it was; the texts stay.
func (c *StatementCounter) Reset() int64 { return c.n.Swap(0) }

// Count returns the statements counted since the last Reset.
func (c *StatementCounter) Count() int64 { return c.n.Load() }

// Ran returns a statement text run through the pool (since it was made) that contains
// substr, if there is one.
func (c *StatementCounter) Ran(substr string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for sql := range c.texts {
		if strings.Contains(sql, substr) {
			return sql, true
		}
	}
	return "", false
}
