package clickhouse_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/shopgraph/shopgraph/testkit"
)

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	db := testkit.ClickHouse(t) // migrated once
	for range 2 {
		if err := db.Migrate(ctx, testkit.Logger(t)); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
	}
	rows, err := db.Conn.Query(ctx, "SELECT name, engine FROM system.tables WHERE database = ? ORDER BY name", db.Database)
	if err != nil {
		t.Fatalf("listing tables: %v", err)
	}
	got := map[string]string{}
	for rows.Next() {
		var name, engine string
		if err := rows.Scan(&name, &engine); err != nil {
			t.Fatalf("scanning tables: %v", err)
		}
		got[name] = engine
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("listing tables: %v", err)
	}
	want := map[string]string{
		"events":               "MergeTree",
		"events_15m":           "SummingMergeTree",
		"events_15m_mv":        "MaterializedView",
		"product_sales_15m":    "SummingMergeTree",
		"product_sales_15m_mv": "MaterializedView",
		"funnel_sessions":      "MergeTree",
		"funnel_sessions_mv":   "MaterializedView",
		"funnel_sealed":        "MergeTree",
		"funnel_sealed_levels": "MergeTree",
		"funnel_sealed_counts": "MergeTree",
		"funnel_seals":         "MergeTree",
		"goose_db_version":     "MergeTree",
	}
	if !maps.Equal(got, want) {
		t.Fatalf("tables = %v, want %v", got, want)
	}

	var applied uint64
	if err := db.Conn.QueryRow(ctx, "SELECT count() FROM goose_db_version WHERE version_id > 0").Scan(&applied); err != nil {
		t.Fatalf("counting applied versions: %v", err)
	}
	if applied != 3 {
		t.Errorf("goose_db_version holds %d applied versions, want 3", applied)
	}
}

// A materialized view whose output types differ from its target's can fail inserts into
// events after their rows were written (CLICKHOUSE.md): the columns must match exactly.
func TestRollupViewsMatchTheirTargets(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	db := testkit.ClickHouse(t)
	columns := func(table string) map[string]string {
		t.Helper()
		rows, err := db.Conn.Query(ctx, "SELECT name, type FROM system.columns WHERE database = ? AND table = ?", db.Database, table)
		if err != nil {
			t.Fatalf("columns of %s: %v", table, err)
		}
		out := map[string]string{}
		for rows.Next() {
			var name, typ string
			if err := rows.Scan(&name, &typ); err != nil {
				t.Fatalf("columns of %s: %v", table, err)
			}
			out[name] = typ
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("columns of %s: %v", table, err)
		}
		return out
	}
	for _, target := range []string{"events_15m", "product_sales_15m", "funnel_sessions"} {
		view, table := columns(target+"_mv"), columns(target)
		if len(table) == 0 || !maps.Equal(view, table) {
			t.Errorf("%s_mv outputs %v, but %s has %v", target, view, target, table)
		}
	}
	if got := slices.Sorted(maps.Keys(columns("events"))); len(got) != 18 {
		t.Errorf("events has columns %v, want 18", got)
	}
}
