package redis_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/redis"
	"github.com/shopgraph/shopgraph/testkit"
)

// fakeDashboard answers Summary with its revenue and counts the calls; hook, if any, runs
// inside the call before it answers.
type fakeDashboard struct {
	domain.DashboardReader // the other questions: unused here

	mu      sync.Mutex
	revenue int64
	calls   int
	hook    func()
}

func (f *fakeDashboard) Summary(ctx context.Context, r domain.DateRange) (domain.Summary, error) {
	f.mu.Lock()
	f.calls++
	rev, hook := f.revenue, f.hook
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	return domain.Summary{RevenueMinor: rev, Orders: 1}, nil
}

func (f *fakeDashboard) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// TestDashboardCacheKeepsTheWindowsAnswerInMemory: a repeated question is answered from
// process memory for the rest of its window, without Redis (its entry may even be gone),
// and asked again in the next window.
func TestDashboardCacheKeepsTheWindowsAnswerInMemory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testkit.Redis(t)
	inner := &fakeDashboard{revenue: 100}
	d := redis.NewDashboardCache(c, inner, 5*time.Second)
	now := time.Date(2024, 3, 10, 12, 0, 1, 0, time.UTC)
	var clock sync.Mutex
	d.SetClock(func() time.Time { clock.Lock(); defer clock.Unlock(); return now })
	r := domain.DateRange{From: now.Add(-24 * time.Hour), To: now}

	if s, err := d.Summary(ctx, r); err != nil || s.RevenueMinor != 100 {
		t.Fatalf("Summary = %+v, %v; want revenue 100", s, err)
	}
	// The entry in Redis goes; the answer stays in memory for the window.
	keys, err := c.RDB.Keys(ctx, c.Key("dash", "*")).Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("Redis holds dashboard keys %v (%v), want one", keys, err)
	}
	if err := c.RDB.Del(ctx, keys...).Err(); err != nil {
		t.Fatal(err)
	}
	inner.mu.Lock()
	inner.revenue = 200
	inner.mu.Unlock()
	for range 3 {
		if s, err := d.Summary(ctx, r); err != nil || s.RevenueMinor != 100 {
			t.Fatalf("Summary later in the window = %+v, %v; want the window's revenue 100", s, err)
		}
	}
	if n := inner.callCount(); n != 1 {
		t.Fatalf("the reader was asked %d times in one window, want once", n)
	}
	// The next window asks the reader again.
	clock.Lock()
	now = now.Add(5 * time.Second)
	clock.Unlock()
	if s, err := d.Summary(ctx, r); err != nil || s.RevenueMinor != 200 {
		t.Fatalf("Summary in the next window = %+v, %v; want revenue 200", s, err)
	}
	if n := inner.callCount(); n != 2 {
		t.Fatalf("the reader was asked %d times in two windows, want twice", n)
	}
}

// TestDashboardCacheReplicasServeTheFirstStoredAnswer: two replicas that both miss a
// window's answer compute one each; the one stored first in Redis is the window's, and
// the other replica serves it too, from then on from memory.
func TestDashboardCacheReplicasServeTheFirstStoredAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testkit.Redis(t)
	now := time.Date(2024, 3, 10, 12, 0, 1, 0, time.UTC)
	clock := func() time.Time { return now }
	r := domain.DateRange{From: now.Add(-24 * time.Hour), To: now}
	first := redis.NewDashboardCache(c, &fakeDashboard{revenue: 100}, 5*time.Second)
	first.SetClock(clock)
	// The second replica's reader is slower: the first replica answers and stores its
	// figure while the second is still computing another one.
	slow := &fakeDashboard{revenue: 300}
	slow.hook = func() {
		if s, err := first.Summary(ctx, r); err != nil || s.RevenueMinor != 100 {
			t.Errorf("first replica's Summary = %+v, %v; want revenue 100", s, err)
		}
	}
	second := redis.NewDashboardCache(c, slow, 5*time.Second)
	second.SetClock(clock)
	for range 2 {
		if s, err := second.Summary(ctx, r); err != nil || s.RevenueMinor != 100 {
			t.Fatalf("second replica's Summary = %+v, %v; want the stored revenue 100", s, err)
		}
	}
	if n := slow.callCount(); n != 1 {
		t.Fatalf("the second replica's reader was asked %d times, want once", n)
	}
}
