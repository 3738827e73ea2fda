package clickhouse

import (
	"context"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/shopgraph/shopgraph/domain"
)

// Exported for the tests of package clickhouse_test, which cannot be internal tests:
// they use testkit, which imports this package.
var (
	Classify   = classify
	AlignRange = alignRange
)

// SeriesGrid exposes seriesGrid.
func SeriesGrid(r domain.DateRange, g domain.Granularity, loc *time.Location) ([]time.Time, time.Time) {
	return seriesGrid(r, g, loc)
}

// RunForTest runs sql the way every dashboard query runs (time budget, settings, error
// classification) and discards its rows.
func (s *AnalyticsStore) RunForTest(ctx context.Context, sql string) error {
	return s.db.read(ctx, statement{name: "test query", sql: sql}, nil, func(driver.Rows) error { return nil })
}
