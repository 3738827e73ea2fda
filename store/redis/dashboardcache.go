package redis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/shopgraph/shopgraph/domain"
)

// DefaultDashboardTTL is how long a dashboard answer is reused.
const DefaultDashboardTTL = 5 * time.Second

// DashboardCache wraps a dashboard reader: every answer is kept in Redis for one window
// of TTL (all replicas share it), and concurrent identical questions in one process are
// collapsed into one query to the reader. A Redis failure only costs the cache: the
// answer then comes from the reader.
type DashboardCache struct {
	c     *Client
	inner domain.DashboardReader
	ttl   time.Duration
	group singleflight.Group
	now   func() time.Time
}

var _ domain.DashboardReader = (*DashboardCache)(nil)

// NewDashboardCache returns a cache over inner; ttl zero means DefaultDashboardTTL.
func NewDashboardCache(c *Client, inner domain.DashboardReader, ttl time.Duration) *DashboardCache {
	if ttl <= 0 {
		ttl = DefaultDashboardTTL
	}
	return &DashboardCache{c: c, inner: inner, ttl: ttl, now: time.Now}
}

// AsOf returns the start of the current cache window: every answer served now was
// computed at or after it, so it covers every event ingested before it.
func (d *DashboardCache) AsOf() time.Time { return d.now().Truncate(d.ttl) }

// cached answers the question named by parts from the current window's cache entry, or
// computes it once (per process) with fn and stores it.
func cached[T any](ctx context.Context, d *DashboardCache, fn func(context.Context) (T, error), parts ...any) (T, error) {
	window := d.now().Truncate(d.ttl)
	h := sha256.New()
	fmt.Fprint(h, parts...)
	key := d.c.Key("dash", strconv.FormatInt(window.Unix(), 10), hex.EncodeToString(h.Sum(nil))[:32])
	var zero T
	if raw, err := d.c.RDB.Get(ctx, key).Bytes(); err == nil {
		var v T
		if json.Unmarshal(raw, &v) == nil {
			return v, nil
		}
	}
	v, err, _ := d.group.Do(key, func() (any, error) {
		v, err := fn(ctx)
		if err != nil {
			return v, err
		}
		if raw, err := json.Marshal(v); err == nil {
			// The entry outlives its window a little so a request at the boundary still
			// finds it; the window in the key keeps answers from going stale.
			d.c.RDB.Set(context.WithoutCancel(ctx), key, raw, 2*d.ttl)
		}
		return v, nil
	})
	if err != nil {
		return zero, err
	}
	return v.(T), nil
}

func rangeKey(r domain.DateRange) string {
	return r.From.UTC().Format(time.RFC3339Nano) + "/" + r.To.UTC().Format(time.RFC3339Nano)
}

// Summary answers from the cache or the reader.
func (d *DashboardCache) Summary(ctx context.Context, r domain.DateRange) (domain.Summary, error) {
	return cached(ctx, d, func(ctx context.Context) (domain.Summary, error) { return d.inner.Summary(ctx, r) }, "summary", rangeKey(r))
}

// RevenueSeries answers from the cache or the reader.
func (d *DashboardCache) RevenueSeries(ctx context.Context, r domain.DateRange, g domain.Granularity, tz *time.Location) ([]domain.SeriesPoint, error) {
	return cached(ctx, d, func(ctx context.Context) ([]domain.SeriesPoint, error) { return d.inner.RevenueSeries(ctx, r, g, tz) },
		"series", rangeKey(r), string(g), tz.String())
}

// OrdersByStatus answers from the cache or the reader.
func (d *DashboardCache) OrdersByStatus(ctx context.Context, r domain.DateRange) ([]domain.StatusCount, error) {
	return cached(ctx, d, func(ctx context.Context) ([]domain.StatusCount, error) { return d.inner.OrdersByStatus(ctx, r) }, "status", rangeKey(r))
}

// RevenueByPaymentMethod answers from the cache or the reader.
func (d *DashboardCache) RevenueByPaymentMethod(ctx context.Context, r domain.DateRange) ([]domain.MethodRevenue, error) {
	return cached(ctx, d, func(ctx context.Context) ([]domain.MethodRevenue, error) {
		return d.inner.RevenueByPaymentMethod(ctx, r)
	}, "methods", rangeKey(r))
}

// TopProducts answers from the cache or the reader.
func (d *DashboardCache) TopProducts(ctx context.Context, r domain.DateRange, limit int, by domain.TopProductsBy) ([]domain.ProductSales, error) {
	return cached(ctx, d, func(ctx context.Context) ([]domain.ProductSales, error) {
		return d.inner.TopProducts(ctx, r, limit, by)
	},
		"top", rangeKey(r), limit, string(by))
}

// ConversionFunnel answers from the cache or the reader.
func (d *DashboardCache) ConversionFunnel(ctx context.Context, r domain.DateRange) ([]domain.FunnelStep, error) {
	return cached(ctx, d, func(ctx context.Context) ([]domain.FunnelStep, error) { return d.inner.ConversionFunnel(ctx, r) }, "funnel", rangeKey(r))
}

// EventCounts answers from the cache or the reader.
func (d *DashboardCache) EventCounts(ctx context.Context, r domain.DateRange) ([]domain.EventCount, error) {
	return cached(ctx, d, func(ctx context.Context) ([]domain.EventCount, error) { return d.inner.EventCounts(ctx, r) }, "events", rangeKey(r))
}

// OrderTotals always asks the reader: reconciliation must see the store itself.
func (d *DashboardCache) OrderTotals(ctx context.Context, r domain.DateRange) (int64, int64, error) {
	return d.inner.OrderTotals(ctx, r)
}
