package clickhouse

import (
	"context"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
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

// ConversionFunnelPath is ConversionFunnel, also saying how it found the answer:
// "rollup", "rollup+some", "sealed", "sealed+some" or "raw".
func (s *AnalyticsStore) ConversionFunnelPath(ctx context.Context, r domain.DateRange) ([]domain.FunnelStep, string, error) {
	steps, path, err := s.conversionFunnel(ctx, r)
	return steps, string(path), err
}

// WithUndeterminedMax returns a copy of s that counts from the raw events of the whole
// range once more than n sessions are left undetermined by the rollup.
func (s *AnalyticsStore) WithUndeterminedMax(n int) *AnalyticsStore {
	c := *s
	c.funnelUndeterminedMax = n
	return &c
}

// ConversionFunnelRaw counts the funnel of the range from the raw events alone, with the
// ordered-steps query (conversion_funnel.sql): the reference the rollup must agree with.
func (s *AnalyticsStore) ConversionFunnelRaw(ctx context.Context, r domain.DateRange) ([]int64, error) {
	from, to := alignRange(r)
	byLevel := make([]int64, len(domain.FunnelSteps)+1)
	err := s.db.read(ctx, conversionFunnelSQL, append(rangeArgs(from, to), ch.Named("until", to.Add(funnelWindow))), func(rows driver.Rows) error {
		var (
			level    uint8
			sessions int64
		)
		if err := rows.Scan(&level, &sessions); err != nil {
			return err
		}
		byLevel[level] += sessions
		return nil
	})
	return byLevel, err
}

// AbandonForTest records queryID as an insert that returned an error (Insert does so).
func (s *AnalyticsStore) AbandonForTest(queryID string) { s.abandoned.add(queryID) }

// PruneSealsAt drops the funnel seals pruneSeals would drop at now.
func (s *AnalyticsStore) PruneSealsAt(ctx context.Context, now time.Time) error {
	return s.pruneSeals(ctx, now)
}

// FunnelSealState says whether the newest funnel seal is current, and its horizon.
func (s *AnalyticsStore) FunnelSealState(ctx context.Context) (current bool, horizon time.Time, err error) {
	seal, current, err := s.currentSeal(ctx)
	return current, seal.horizon, err
}
