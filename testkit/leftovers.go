package testkit

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/store/clickhouse"
)

// A test's own database lives as long as the test. One whose name says it was made
// longer ago than leftoverAge was left by a test process that was killed before its
// cleanup ran (an interrupted run, a timeout): the next test process drops it.
const leftoverAge = 6 * time.Hour

// Prefixes of the tests' own databases. The creation time follows, in Unix seconds, then
// an underscore and random hex (DatedName).
const (
	postgresTestPrefix   = "sg_test_"
	clickhouseTestPrefix = "sgt_"
)

// DatedName returns prefix, the current Unix time and random hex: a unique identifier
// that tells how old it is (Leftover).
func DatedName(prefix string) string {
	return UniqueName(prefix + strconv.FormatInt(time.Now().Unix(), 10) + "_")
}

// Leftover reports whether name is a DatedName of prefix made more than leftoverAge
// before now. Names of another form are never leftovers: they belong to something else.
func Leftover(name, prefix string, now time.Time) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return false
	}
	secs, _, ok := strings.Cut(rest, "_")
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return false
	}
	return now.Sub(time.Unix(n, 0)) > leftoverAge
}

var (
	sweepPostgresOnce   sync.Once
	sweepClickHouseOnce sync.Once
)

// SweepPostgres drops the test databases that killed test processes left on the
// PostgreSQL server of admin. Postgres sweeps once per test process; tests of the sweep
// call this directly.
func SweepPostgres(ctx context.Context, admin *pgx.Conn) error {
	rows, err := admin.Query(ctx, "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", postgresTestPrefix)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, name := range names {
		if Leftover(name, postgresTestPrefix, time.Now()) {
			if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
				return err
			}
		}
	}
	return nil
}

// sweepPostgres runs SweepPostgres once per test process. A failure is logged, not
// fatal: the test's own database does not depend on it.
func sweepPostgres(ctx context.Context, t testing.TB, admin *pgx.Conn) {
	sweepPostgresOnce.Do(func() {
		if err := SweepPostgres(ctx, admin); err != nil {
			t.Logf("testkit: dropping leftover test databases: %v", err)
		}
	})
}

// SweepClickHouse drops the test databases that killed test processes left on the
// ClickHouse server of admin. ClickHouse sweeps once per test process; tests of the
// sweep call this directly.
func SweepClickHouse(ctx context.Context, admin *clickhouse.DB) error {
	var names []string
	// 18.16 has no startsWith; LIKE is portable. '_' matches any character there, so
	// Leftover checks the name exactly.
	rows, err := admin.Conn.Query(ctx, "SELECT name FROM system.databases WHERE name LIKE 'sgt%'")
	if err != nil {
		return err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		names = append(names, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range names {
		if Leftover(name, clickhouseTestPrefix, time.Now()) {
			if err := admin.Conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
				return err
			}
		}
	}
	return nil
}

func sweepClickHouse(ctx context.Context, t testing.TB, admin *clickhouse.DB) {
	sweepClickHouseOnce.Do(func() {
		if err := SweepClickHouse(ctx, admin); err != nil {
			t.Logf("testkit: dropping leftover clickhouse test databases: %v", err)
		}
	})
}
