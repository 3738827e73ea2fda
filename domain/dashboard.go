package domain

import (
	"context"
	"time"
)

// DateRange is a half-open interval of time [From, To).
type DateRange struct {
	From, To time.Time
}

// Dashboard limits.
const (
	// MaxHourlyRange is the longest range a revenue series may have at hourly granularity.
	MaxHourlyRange = 93 * 24 * time.Hour
	// MaxDashboardRange is the longest range any dashboard field may cover.
	MaxDashboardRange = 2 * 366 * 24 * time.Hour
)

// Granularity is the width of a revenue series' buckets.
type Granularity string

// The granularities.
const (
	Hour Granularity = "HOUR"
	Day  Granularity = "DAY"
)

// Validate returns a BAD_USER_INPUT error when the range is empty, reversed or too long.
func (r DateRange) Validate() error {
	switch {
	case !r.From.Before(r.To):
		return FieldError([]string{"range"}, "range.from must be before range.to")
	case r.To.Sub(r.From) > MaxDashboardRange:
		return FieldError([]string{"range"}, "the range may cover at most two years")
	}
	return nil
}

// Summary is the headline of the dashboard.
type Summary struct {
	RevenueMinor int64
	Orders       int64
	NewUsers     int64
}

// AverageOrderValue returns revenue per paid order, rounded down, or zero.
func (s Summary) AverageOrderValue() int64 {
	if s.Orders <= 0 {
		return 0
	}
	return s.RevenueMinor / s.Orders
}

// SeriesPoint is one bucket of a revenue series; Bucket is the bucket's start.
type SeriesPoint struct {
	Bucket       time.Time
	RevenueMinor int64
	Orders       int64
}

// StatusCount is how many orders placed in a range are in a status now.
type StatusCount struct {
	Status OrderStatus
	Count  int64
}

// MethodRevenue is the revenue and paid orders of one payment method.
type MethodRevenue struct {
	Method       PaymentMethod
	RevenueMinor int64
	Orders       int64
}

// ProductSales is what one product sold.
type ProductSales struct {
	ProductID    int64
	Units        int64
	RevenueMinor int64
}

// TopProductsBy is what top products are ranked by.
type TopProductsBy string

// The rankings of top products.
const (
	ByUnits   TopProductsBy = "UNITS"
	ByRevenue TopProductsBy = "REVENUE"
)

// FunnelStep is one step of the conversion funnel: how many sessions reached it.
type FunnelStep struct {
	Name     string
	Sessions int64
}

// The conversion funnel's steps, in order.
var FunnelSteps = []string{"PRODUCT_VIEWED", "ADDED_TO_CART", "CHECKOUT_STARTED", "PURCHASED"}

// EventCount is how many events of a type a service produced.
type EventCount struct {
	Service string
	Type    string
	Count   int64
}

// AnalyticsWriter stores analytics rows. Insert is all or nothing for a batch.
type AnalyticsWriter interface {
	// Insert stores the rows in one batch.
	Insert(ctx context.Context, rows []AnalyticsEvent) error
	// ExistingEventIDs returns which of the event ids already have rows, so that events
	// delivered again after a crash between insert and acknowledgement are not counted
	// twice.
	ExistingEventIDs(ctx context.Context, ids []string) (map[string]bool, error)
}

// DashboardReader answers the dashboard's questions over a range. Every method honours
// ctx's deadline and returns a SERVICE_UNAVAILABLE error when the analytics store cannot
// be reached, and a TIMEOUT-coded error when the query ran out of time.
type DashboardReader interface {
	Summary(ctx context.Context, r DateRange) (Summary, error)
	// RevenueSeries returns the buckets of the range in the time zone, in order, with
	// empty buckets filled with zeros. The range is first widened to whole buckets.
	RevenueSeries(ctx context.Context, r DateRange, g Granularity, tz *time.Location) ([]SeriesPoint, error)
	// OrdersByStatus counts the orders placed in the range by their current status, in
	// lifecycle order, statuses without orders included with zero.
	OrdersByStatus(ctx context.Context, r DateRange) ([]StatusCount, error)
	// RevenueByPaymentMethod returns every payment method with revenue in the range,
	// highest revenue first.
	RevenueByPaymentMethod(ctx context.Context, r DateRange) ([]MethodRevenue, error)
	// TopProducts returns the best products of the range by units or revenue.
	TopProducts(ctx context.Context, r DateRange, limit int, by TopProductsBy) ([]ProductSales, error)
	// ConversionFunnel counts the sessions of the range reaching each of FunnelSteps, in
	// order, within a day of their first product view.
	ConversionFunnel(ctx context.Context, r DateRange) ([]FunnelStep, error)
	// EventCounts counts the events of the range by service and type.
	EventCounts(ctx context.Context, r DateRange) ([]EventCount, error)
	// OrderTotals returns the paid-order count and revenue of the range by the same
	// rule as Summary, for reconciliation with the order database.
	OrderTotals(ctx context.Context, r DateRange) (orders, revenueMinor int64, err error)
}

// CodeTimeout is the error code of a query that ran out of its time budget.
const CodeTimeout Code = "TIMEOUT"
