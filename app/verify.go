package app

import (
	"context"
	"fmt"

	"github.com/shopgraph/shopgraph/domain"
)

// Totals answers the reconciliation question from one side.
type Totals interface {
	OrderTotals(ctx context.Context, r domain.DateRange) (orders, revenueMinor int64, err error)
}

// Report compares the dashboard's figures with the order database's for a range.
type Report struct {
	Range                       domain.DateRange
	DBOrders, DashboardOrders   int64
	DBRevenue, DashboardRevenue int64
}

// Match reports whether both sides agree exactly.
func (r Report) Match() bool {
	return r.DBOrders == r.DashboardOrders && r.DBRevenue == r.DashboardRevenue
}

// String prints the report as an operator reads it.
func (r Report) String() string {
	verdict := "MATCH"
	if !r.Match() {
		verdict = "MISMATCH"
	}
	return fmt.Sprintf("%s to %s: orders %d (database) vs %d (dashboard), revenue %s vs %s: %s",
		r.Range.From.Format("2006-01-02T15:04:05Z07:00"), r.Range.To.Format("2006-01-02T15:04:05Z07:00"),
		r.DBOrders, r.DashboardOrders, domain.FormatMinor(r.DBRevenue), domain.FormatMinor(r.DashboardRevenue), verdict)
}

// Verify asks both sides for the range's paid-order count and revenue.
func Verify(ctx context.Context, db, dashboard Totals, r domain.DateRange) (Report, error) {
	rep := Report{Range: r}
	var err error
	if rep.DBOrders, rep.DBRevenue, err = db.OrderTotals(ctx, r); err != nil {
		return rep, fmt.Errorf("reading the order database: %w", err)
	}
	if rep.DashboardOrders, rep.DashboardRevenue, err = dashboard.OrderTotals(ctx, r); err != nil {
		return rep, fmt.Errorf("reading the analytics store: %w", err)
	}
	return rep, nil
}
