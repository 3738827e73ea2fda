package redis_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/redis"
	"github.com/shopgraph/shopgraph/testkit"
)

func take(t *testing.T, l *redis.Limiter, key string, cost float64, lim redis.Limit) redis.Decision {
	t.Helper()
	d, err := l.Take(context.Background(), key, cost, lim)
	if err != nil {
		t.Fatalf("Take(%q, %v): %v", key, cost, err)
	}
	return d
}

func peek(t *testing.T, l *redis.Limiter, key string, cost float64, lim redis.Limit) redis.Decision {
	t.Helper()
	d, err := l.Peek(context.Background(), key, cost, lim)
	if err != nil {
		t.Fatalf("Peek(%q, %v): %v", key, cost, err)
	}
	return d
}

func TestLimiterBurstThenRefusal(t *testing.T) {
	t.Parallel()
	l := redis.NewLimiter(testkit.Redis(t))
	lim := redis.Limit{Rate: 1, Burst: 3}
	for i := range 3 {
		d := take(t, l, "login:alice", 1, lim)
		if !d.Allowed || d.RetryAfter != 0 {
			t.Fatalf("take %d = %+v, want allowed", i+1, d)
		}
		// Some refill may have crept in between calls (0.25 s on a very slow machine).
		if want := float64(2 - i); d.Remaining < want || d.Remaining > want+0.25 {
			t.Fatalf("take %d left %v tokens, want about %v", i+1, d.Remaining, want)
		}
	}
	d := take(t, l, "login:alice", 1, lim)
	if d.Allowed {
		t.Fatalf("take 4 = %+v, want refused", d)
	}
	if d.RetryAfter <= 750*time.Millisecond || d.RetryAfter > time.Second {
		t.Fatalf("RetryAfter = %s, want a little under 1s", d.RetryAfter)
	}
	if d.Remaining < 0 || d.Remaining >= 0.25 {
		t.Fatalf("Remaining = %v, want about 0", d.Remaining)
	}

	// A refusal takes nothing: refusing again and again leaves the bucket where it was.
	for range 5 {
		take(t, l, "login:alice", 1, lim)
	}
	if p := peek(t, l, "login:alice", 1, lim); p.Allowed || p.Remaining < d.Remaining || p.RetryAfter > d.RetryAfter {
		t.Fatalf("after refusals Peek = %+v, want at least %v tokens and RetryAfter at most %s", p, d.Remaining, d.RetryAfter)
	}
}

func TestLimiterRetryAfterArithmetic(t *testing.T) {
	t.Parallel()
	l := redis.NewLimiter(testkit.Redis(t))
	lim := redis.Limit{Rate: 0.5, Burst: 4} // a token every 2 s
	if d := take(t, l, "k", 4, lim); !d.Allowed {
		t.Fatalf("draining take = %+v, want allowed", d)
	}
	tests := []struct {
		cost float64
		want time.Duration
	}{
		{1, 2 * time.Second},
		{2, 4 * time.Second},
		{0.5, time.Second},
		{4, 8 * time.Second},
	}
	for _, tc := range tests {
		d := peek(t, l, "k", tc.cost, lim)
		if d.Allowed {
			t.Fatalf("Peek(cost %v) = %+v, want refused", tc.cost, d)
		}
		if d.RetryAfter > tc.want || d.RetryAfter < tc.want-500*time.Millisecond {
			t.Errorf("Peek(cost %v).RetryAfter = %s, want a little under %s", tc.cost, d.RetryAfter, tc.want)
		}
		if r := take(t, l, "k", tc.cost, lim); r.Allowed || r.RetryAfter > tc.want || r.RetryAfter < tc.want-500*time.Millisecond {
			t.Errorf("Take(cost %v) = %+v, want refused with RetryAfter a little under %s", tc.cost, r, tc.want)
		}
	}
}

func TestLimiterRefills(t *testing.T) {
	t.Parallel()
	l := redis.NewLimiter(testkit.Redis(t))
	lim := redis.Limit{Rate: 20, Burst: 2} // a token every 50 ms
	start := time.Now()
	take(t, l, "k", 2, lim)
	d := take(t, l, "k", 1, lim)
	if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 50*time.Millisecond {
		t.Fatalf("take after draining = %+v, want refused with RetryAfter in (0, 50ms]", d)
	}
	var got redis.Decision
	waitFor(t, 5*time.Second, func() bool {
		got = take(t, l, "k", 1, lim)
		return got.Allowed
	})
	if elapsed := time.Since(start); elapsed < 40*time.Millisecond {
		t.Fatalf("a token came back after %s, want about 50ms", elapsed)
	}
	if got.Remaining >= 1 {
		t.Fatalf("Remaining = %v after the refill, want under 1", got.Remaining)
	}
	// The bucket keeps filling up to Burst and no further.
	waitFor(t, 5*time.Second, func() bool {
		return peek(t, l, "k", 2, lim).Allowed
	})
	if p := peek(t, l, "k", 1, lim); p.Remaining > lim.Burst {
		t.Fatalf("bucket holds %v tokens, more than its burst %v", p.Remaining, lim.Burst)
	}
}

func TestLimiterConcurrentTakesNeverExceedBurst(t *testing.T) {
	t.Parallel()
	l := redis.NewLimiter(testkit.Redis(t))
	lim := redis.Limit{Rate: 0.001, Burst: 10}
	var (
		allowed atomic.Int64
		wg      sync.WaitGroup
		start   = make(chan struct{})
	)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			d, err := l.Take(context.Background(), "hot", 1, lim)
			if err != nil {
				t.Errorf("Take: %v", err)
				return
			}
			if d.Allowed {
				allowed.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := allowed.Load(); n != 10 {
		t.Fatalf("%d of 50 concurrent takes allowed, want exactly 10", n)
	}
}

func TestLimiterCostAboveBurst(t *testing.T) {
	t.Parallel()
	l := redis.NewLimiter(testkit.Redis(t))
	lim := redis.Limit{Rate: 100, Burst: 5}
	d := take(t, l, "k", 6, lim)
	if d.Allowed || d.RetryAfter != redis.Never {
		t.Fatalf("Take(cost 6, burst 5) = %+v, want refused with RetryAfter Never", d)
	}
	if d.Remaining != 5 {
		t.Fatalf("Remaining = %v, want the full 5", d.Remaining)
	}
	if d := take(t, l, "k", 5, lim); !d.Allowed {
		t.Fatalf("Take(cost 5, burst 5) = %+v, want allowed: the refusal took nothing", d)
	}
}

func TestLimiterFractionalCosts(t *testing.T) {
	t.Parallel()
	l := redis.NewLimiter(testkit.Redis(t))
	lim := redis.Limit{Rate: 0.001, Burst: 1}
	for i := range 4 {
		if d := take(t, l, "k", 0.25, lim); !d.Allowed {
			t.Fatalf("take %d of 0.25 = %+v, want allowed", i+1, d)
		}
	}
	if d := take(t, l, "k", 0.25, lim); d.Allowed {
		t.Fatalf("fifth take of 0.25 = %+v, want refused", d)
	}
}

func TestLimiterKeysIsolated(t *testing.T) {
	t.Parallel()
	c := testkit.Redis(t)
	l := redis.NewLimiter(c)
	lim := redis.Limit{Rate: 0.001, Burst: 2}
	take(t, l, "login:ip:192.0.2.1", 2, lim)
	if d := take(t, l, "login:ip:192.0.2.1", 1, lim); d.Allowed {
		t.Fatal("drained bucket allowed a take")
	}
	if d := take(t, l, "login:ip:192.0.2.2", 2, lim); !d.Allowed {
		t.Fatalf("another key's bucket = %+v, want full", d)
	}
	// Another client prefix (another deployment, another test) has its own buckets.
	other := redis.NewLimiter(testkit.Redis(t))
	if d := take(t, other, "login:ip:192.0.2.1", 2, lim); !d.Allowed {
		t.Fatalf("same key under another prefix = %+v, want full", d)
	}
	if n, err := c.RDB.Exists(context.Background(), c.Key("rl", "login:ip:192.0.2.1")).Result(); err != nil || n != 1 {
		t.Fatalf("bucket key %q exists = %d, %v; want it under the client's prefix", c.Key("rl", "login:ip:192.0.2.1"), n, err)
	}
}

func TestLimiterBucketExpiresWhenFull(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testkit.Redis(t)
	l := redis.NewLimiter(c)
	key := c.Key("rl", "k")

	// Peeking does not create a bucket.
	peek(t, l, "k", 1, redis.Limit{Rate: 1, Burst: 10})
	if n, _ := c.RDB.Exists(ctx, key).Result(); n != 0 {
		t.Fatal("Peek created a bucket")
	}

	take(t, l, "k", 3, redis.Limit{Rate: 1, Burst: 10})
	ttl, err := c.RDB.PTTL(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	// 3 tokens at 1 a second: full again in 3 s.
	if ttl <= 2900*time.Millisecond || ttl > 3*time.Second {
		t.Fatalf("bucket TTL = %s, want about 3s", ttl)
	}

	// A fast bucket disappears by itself once full, and a missing bucket is full.
	take(t, l, "fast", 1, redis.Limit{Rate: 100, Burst: 2})
	waitFor(t, 5*time.Second, func() bool {
		n, err := c.RDB.Exists(ctx, c.Key("rl", "fast")).Result()
		return err == nil && n == 0
	})
	if d := peek(t, l, "fast", 2, redis.Limit{Rate: 100, Burst: 2}); !d.Allowed || d.Remaining != 2 {
		t.Fatalf("expired bucket = %+v, want full", d)
	}
}

func TestLimiterRejectsInvalidArguments(t *testing.T) {
	t.Parallel()
	l := redis.NewLimiter(testkit.Redis(t))
	good := redis.Limit{Rate: 1, Burst: 1}
	tests := []struct {
		name string
		cost float64
		lim  redis.Limit
	}{
		{"zero rate", 1, redis.Limit{Rate: 0, Burst: 1}},
		{"negative burst", 1, redis.Limit{Rate: 1, Burst: -1}},
		{"zero cost", 0, good},
		{"negative cost", -1, good},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := l.Take(context.Background(), "k", tc.cost, tc.lim); err == nil {
				t.Fatal("Take accepted it")
			}
		})
	}
}

func TestRateLimited(t *testing.T) {
	t.Parallel()
	tests := []struct {
		retry time.Duration
		want  string
	}{
		{2100 * time.Millisecond, "too many requests; retry in 3 s"},
		{time.Second, "too many requests; retry in 1 s"},
		{10 * time.Millisecond, "too many requests; retry in 1 s"},
		{0, "too many requests; retry in 1 s"},
		{redis.Never, "too many requests; the request exceeds the limit"},
	}
	for _, tc := range tests {
		err := redis.RateLimited(redis.Decision{RetryAfter: tc.retry})
		if err.Code != domain.CodeRateLimited || err.Message != tc.want {
			t.Errorf("RateLimited(%s) = %s %q, want RATE_LIMITED %q", tc.retry, err.Code, err.Message, tc.want)
		}
	}
}
