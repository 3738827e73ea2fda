package redis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
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
//
// Each process also keeps the answers of the current window in memory (local), so that a
// repeated question costs neither a Redis round trip nor decoding: an hourly series of 90
// days is 2,160 points. What a process keeps is what Redis holds for the window: the
// first answer stored for a key wins (SET NX) and a process that computed another one
// takes the stored one instead, so every replica serves the same figures in a window.
type DashboardCache struct {
	c     *Client
	inner domain.DashboardReader
	ttl   time.Duration
	group singleflight.Group
	now   func() time.Time

	mu    sync.Mutex
	local map[string]localAnswer
}

// localAnswer is an answer kept in process memory for its window.
type localAnswer struct {
	window time.Time
	v      any
}

// maxLocalAnswers bounds the answers a process keeps in memory (an hourly series of 90
// days is about 90 KB): beyond it, answers come from Redis until the window turns over.
const maxLocalAnswers = 256

var _ domain.DashboardReader = (*DashboardCache)(nil)

// NewDashboardCache returns a cache over inner; ttl zero means DefaultDashboardTTL.
func NewDashboardCache(c *Client, inner domain.DashboardReader, ttl time.Duration) *DashboardCache {
	if ttl <= 0 {
		ttl = DefaultDashboardTTL
	}
	return &DashboardCache{c: c, inner: inner, ttl: ttl, now: time.Now, local: make(map[string]localAnswer)}
}

// AsOf returns the start of the current cache window: every answer served now was
// computed at or after it, so it covers every event ingested before it.
func (d *DashboardCache) AsOf() time.Time { return d.now().Truncate(d.ttl) }

// cached answers the question named by parts from the current window's answer in process
// memory, or Redis, or computes it once (per process) with fn and stores it. Answers are
// shared between callers: they must not be modified.
func cached[T any](ctx context.Context, d *DashboardCache, fn func(context.Context) (T, error), parts ...any) (T, error) {
	window := d.now().Truncate(d.ttl)
	h := sha256.New()
	fmt.Fprint(h, parts...)
	key := d.c.Key("dash", strconv.FormatInt(window.Unix(), 10), hex.EncodeToString(h.Sum(nil))[:32])
	var zero T
	if v, ok := d.fromMemory(key, window); ok {
		if v, ok := v.(T); ok {
			return v, nil
		}
	}
	v, err, _ := d.group.Do(key, func() (any, error) {
		if raw, err := d.c.RDB.Get(ctx, key).Bytes(); err == nil {
			var v T
			if json.Unmarshal(raw, &v) == nil {
				d.remember(key, window, v)
				return v, nil
			}
		}
		v, err := fn(ctx)
		if err != nil {
			return v, err
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return v, nil
		}
		// The entry outlives its window a little so a request at the boundary still finds
		// it; the window in the key keeps answers from going stale. When another replica
		// stored its answer first, that one is the window's.
		wctx := context.WithoutCancel(ctx)
		stored, err := d.c.RDB.SetNX(wctx, key, raw, 2*d.ttl).Result()
		switch {
		case err != nil:
			// Redis is failing: the answer is still this window's, for this process.
		case !stored:
			if theirs, err := d.c.RDB.Get(wctx, key).Bytes(); err == nil {
				var other T
				if json.Unmarshal(theirs, &other) == nil {
					v = other
				}
			}
		}
		d.remember(key, window, v)
		return v, nil
	})
	if err != nil {
		return zero, err
	}
	return v.(T), nil
}

// fromMemory returns the answer kept in process memory for key, if it is of the current
// window.
func (d *DashboardCache) fromMemory(key string, window time.Time) (any, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.local[key]
	if !ok || !a.window.Equal(window) {
		return nil, false
	}
	return a.v, true
}

// remember keeps v in process memory for the rest of its window, forgetting the answers
// of earlier windows.
func (d *DashboardCache) remember(key string, window time.Time, v any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, a := range d.local {
		if a.window.Before(window) {
			delete(d.local, k)
		}
	}
	if len(d.local) < maxLocalAnswers {
		d.local[key] = localAnswer{window: window, v: v}
	}
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
