package testkit_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/store/clickhouse"
	"github.com/shopgraph/shopgraph/testkit"
)

func TestLeftover(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, c := range []struct {
		name string
		want bool
	}{
		{"sgt_" + strconv.FormatInt(now.Add(-7*time.Hour).Unix(), 10) + "_0a1b2c", true},
		{"sgt_" + strconv.FormatInt(now.Add(-5*time.Hour).Unix(), 10) + "_0a1b2c", false},
		{"sgt_" + strconv.FormatInt(now.Unix(), 10) + "_0a1b2c", false},
		{"sgt_0a1b2c3d4e5f", false},            // a name of the form before dates: not ours to judge
		{"sgt_1700000000", false},              // no random part
		{"shopgraph_1700000000_0a1b2c", false}, // another prefix
		{"sg_test_1700000000_0a1b2c", false},   // another prefix
		{"sgt_17000000x0_0a1b2c", false},       // not a number
	} {
		if got := testkit.Leftover(c.name, "sgt_", now); got != c.want {
			t.Errorf("Leftover(%q) = %v, want %v", c.name, got, c.want)
		}
	}
	if name := testkit.DatedName("sgt_"); testkit.Leftover(name, "sgt_", time.Now()) ||
		!testkit.Leftover(name, "sgt_", time.Now().Add(7*time.Hour)) {
		t.Errorf("DatedName %q is not read back by Leftover", name)
	}
}

// oldName is a test database's name made seven hours ago.
func oldName(prefix string) string {
	return testkit.UniqueName(prefix + strconv.FormatInt(time.Now().Add(-7*time.Hour).Unix(), 10) + "_")
}

func TestSweepPostgresDropsOnlyLeftovers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, testkit.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	// Closed after the databases are dropped: cleanups run last registered first.
	t.Cleanup(func() { admin.Close(context.Background()) })
	old, fresh := oldName("sg_test_"), testkit.DatedName("sg_test_")
	for _, name := range []string{old, fresh} {
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if _, err := admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name); err != nil {
				t.Errorf("dropping %s: %v", name, err)
			}
		})
	}
	if err := testkit.SweepPostgres(ctx, admin); err != nil {
		t.Fatal(err)
	}
	exists := func(name string) bool {
		var n int
		if err := admin.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	if exists(old) {
		t.Errorf("leftover %s is still there", old)
	}
	if !exists(fresh) {
		t.Errorf("%s, made now, was dropped", fresh)
	}
}

func TestSweepClickHouseDropsOnlyLeftovers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := clickhouse.Open(clickhouse.Config{URL: testkit.ClickHouseURL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() }) // after the databases are dropped
	old, fresh := oldName("sgt_"), testkit.DatedName("sgt_")
	for _, name := range []string{old, fresh} {
		if err := admin.Conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := admin.Conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name); err != nil {
				t.Errorf("dropping %s: %v", name, err)
			}
		})
	}
	if err := testkit.SweepClickHouse(ctx, admin); err != nil {
		t.Fatal(err)
	}
	exists := func(name string) bool {
		var n uint64
		if err := admin.Conn.QueryRow(ctx, "SELECT count() FROM system.databases WHERE name = ?", name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	if exists(old) {
		t.Errorf("leftover %s is still there", old)
	}
	if !exists(fresh) {
		t.Errorf("%s, made now, was dropped", fresh)
	}
}
