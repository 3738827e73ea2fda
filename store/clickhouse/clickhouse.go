// Package clickhouse implements shopgraph's analytics store on ClickHouse over the native
// protocol. Its SQL keeps to the subset that runs on ClickHouse 18.16 and on current
// releases (see the project's CLICKHOUSE notes).
package clickhouse

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Config says how to reach ClickHouse.
type Config struct {
	// URL is a clickhouse:// URL of the native protocol (port 9000), naming the database.
	URL string
}

// DB is a connection pool to ClickHouse.
type DB struct {
	Conn     driver.Conn
	opts     *ch.Options
	Database string
}

// Open returns a pool for cfg. The pool dials on demand: ClickHouse being down is not an
// error here, and Ping reports it.
func Open(cfg Config) (*DB, error) {
	opts, err := ch.ParseDSN(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("parsing clickhouse url: %w", err)
	}
	if opts.Protocol != ch.Native {
		return nil, fmt.Errorf("clickhouse url must use the native protocol (clickhouse://host:9000/db)")
	}
	opts.DialTimeout = 2 * time.Second
	opts.MaxOpenConns = 8
	opts.MaxIdleConns = 4
	opts.ConnMaxLifetime = 10 * time.Minute
	conn, err := ch.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("opening clickhouse: %w", err)
	}
	return &DB{Conn: conn, opts: opts, Database: opts.Auth.Database}, nil
}

// Ping checks that ClickHouse answers.
func (db *DB) Ping(ctx context.Context) error { return db.Conn.Ping(ctx) }

// Close closes the pool.
func (db *DB) Close() error { return db.Conn.Close() }

// Migrate creates the database if needed and applies every pending migration.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) error {
	// The pool's connections name the database, which may not exist yet: create it over a
	// connection to the server's default database.
	opts := *db.opts
	opts.Auth.Database = "default"
	opts.MaxOpenConns, opts.MaxIdleConns = 1, 1
	admin, err := ch.Open(&opts)
	if err != nil {
		return fmt.Errorf("opening clickhouse: %w", err)
	}
	err = admin.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(db.Database))
	admin.Close()
	if err != nil {
		return fmt.Errorf("creating clickhouse database: %w", err)
	}
	sqlDB := ch.OpenDB(db.opts)
	defer sqlDB.Close()
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("reading embedded migrations: %w", err)
	}
	store, err := database.NewStoreFromQuerier("goose_db_version", versionQuerier{})
	if err != nil {
		return fmt.Errorf("preparing migration store: %w", err)
	}
	p, err := goose.NewProvider("", sqlDB, sub, goose.WithStore(store))
	if err != nil {
		return fmt.Errorf("preparing clickhouse migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("applying clickhouse migrations: %w", err)
	}
	for _, r := range results {
		log.Info("clickhouse migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
	}
	return nil
}

// versionQuerier is goose's version-table SQL for ClickHouse, written for 18.16 as well as
// current servers: an INSERT with inline VALUES hangs on 18.16 through the Go driver, so
// versions go in with INSERT ... SELECT, and deleting uses a plain ALTER TABLE ... DELETE
// without the settings 18.16 does not know.
type versionQuerier struct{}

func (versionQuerier) CreateTable(t string) string {
	return `CREATE TABLE IF NOT EXISTS ` + t + ` (
		version_id Int64,
		is_applied UInt8,
		tstamp DateTime DEFAULT now()
	) ENGINE = MergeTree() ORDER BY (version_id)`
}

func (versionQuerier) InsertVersion(t string) string {
	return `INSERT INTO ` + t + ` (version_id, is_applied) SELECT toInt64(?), toUInt8(?)`
}

func (versionQuerier) DeleteVersion(t string) string {
	return `ALTER TABLE ` + t + ` DELETE WHERE version_id = ?`
}

func (versionQuerier) GetMigrationByVersion(t string) string {
	return `SELECT tstamp, is_applied FROM ` + t + ` WHERE version_id = ? ORDER BY tstamp DESC LIMIT 1`
}

func (versionQuerier) ListMigrations(t string) string {
	return `SELECT version_id, is_applied FROM ` + t + ` ORDER BY version_id DESC`
}

func (versionQuerier) GetLatestVersion(t string) string {
	return `SELECT max(version_id) FROM ` + t
}

func quoteIdent(s string) string { return "`" + s + "`" }
