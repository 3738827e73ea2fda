package redis

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/shopgraph/shopgraph/domain"
)

// Never is the RetryAfter of a Decision whose cost exceeds the bucket's Burst: waiting
// will not help.
const Never time.Duration = -1

// Limit is a token bucket: it holds at most Burst tokens and refills at Rate tokens a
// second. Both must be positive and finite.
type Limit struct {
	// Rate is how many tokens are added each second.
	Rate float64
	// Burst is the capacity of the bucket, and what a new bucket holds.
	Burst float64
}

func (l Limit) validate() error {
	if !(l.Rate > 0) || math.IsInf(l.Rate, 0) || !(l.Burst > 0) || math.IsInf(l.Burst, 0) {
		return fmt.Errorf("invalid rate limit %+v: rate and burst must be positive and finite", l)
	}
	return nil
}

// Decision is a Limiter's answer.
type Decision struct {
	// Allowed reports whether the cost was (or, for Peek, would be) granted.
	Allowed bool
	// Remaining is how many tokens the bucket holds after the decision.
	Remaining float64
	// RetryAfter is zero when Allowed; otherwise how long until the bucket holds the
	// cost, or Never when the cost exceeds the Burst.
	RetryAfter time.Duration
}

// Limiter keeps token buckets in Redis, so that every replica draws from the same ones.
// Each decision is one Lua script, atomic, and timed by the Redis server's clock (TIME),
// so replicas with skewed clocks agree. A bucket's key expires once the bucket would be
// full again: a missing bucket is a full one. A Limiter is safe for concurrent use.
type Limiter struct {
	c *Client
}

// NewLimiter returns a limiter whose buckets live on c, under keys "rl:<key>" after the
// client's prefix.
func NewLimiter(c *Client) *Limiter { return &Limiter{c: c} }

// bucketScript computes a bucket's tokens now and, when ARGV[4] is "1", takes the cost
// if the bucket holds it.
// KEYS[1] the bucket, a hash {tokens, ts (µs)}. ARGV: rate (per s), burst, cost, take.
// It returns {allowed 0|1, remaining tokens, retry after in µs (-1: never)}, the
// numbers as strings, because Redis truncates Lua numbers to integers.
var bucketScript = goredis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local take = ARGV[4] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens, ts = tonumber(v[1]), tonumber(v[2])
if not tokens or not ts then
  tokens, ts = burst, now
end
if now > ts then
  tokens = tokens + (now - ts) * rate / 1000000
  ts = now
end
if tokens > burst then tokens = burst end
if cost > burst then
  return {0, string.format('%.17g', tokens), '-1'}
end
if tokens < cost then
  local wait = math.ceil((cost - tokens) * 1000000 / rate)
  return {0, string.format('%.17g', tokens), string.format('%d', wait)}
end
if take then
  tokens = tokens - cost
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%d', ts))
  local full = math.ceil((burst - tokens) * 1000 / rate)
  if full < 1 then full = 1 end
  redis.call('PEXPIRE', KEYS[1], full)
end
return {1, string.format('%.17g', tokens), '0'}
`)

// Take takes cost tokens from the bucket named key, if it holds them. A refused Take
// takes nothing; its RetryAfter says when the bucket will hold cost tokens (given no
// other Take in between), or Never when cost exceeds lim.Burst. Calls for one key should
// use one Limit. Errors (Redis down, an invalid Limit or a cost that is not positive)
// are internal; the caller decides whether to fail open or closed.
func (l *Limiter) Take(ctx context.Context, key string, cost float64, lim Limit) (Decision, error) {
	return l.run(ctx, key, cost, lim, true)
}

// Peek reports what Take would decide now, without taking anything.
func (l *Limiter) Peek(ctx context.Context, key string, cost float64, lim Limit) (Decision, error) {
	return l.run(ctx, key, cost, lim, false)
}

func (l *Limiter) run(ctx context.Context, key string, cost float64, lim Limit, take bool) (Decision, error) {
	if err := lim.validate(); err != nil {
		return Decision{}, err
	}
	if !(cost > 0) || math.IsInf(cost, 0) {
		return Decision{}, fmt.Errorf("invalid rate limit cost %v: it must be positive and finite", cost)
	}
	takeArg := "0"
	if take {
		takeArg = "1"
	}
	res, err := bucketScript.Run(ctx, l.c.RDB, []string{l.c.Key("rl", key)},
		formatFloat(lim.Rate), formatFloat(lim.Burst), formatFloat(cost), takeArg).Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("rate limit %q: %w", key, err)
	}
	return parseDecision(res)
}

func parseDecision(res []any) (Decision, error) {
	if len(res) != 3 {
		return Decision{}, fmt.Errorf("rate limit: unexpected script result %v", res)
	}
	allowed, _ := res[0].(int64)
	rem, _ := res[1].(string)
	retry, _ := res[2].(string)
	remaining, err := strconv.ParseFloat(rem, 64)
	if err != nil {
		return Decision{}, fmt.Errorf("rate limit: remaining %q: %w", rem, err)
	}
	micros, err := strconv.ParseInt(retry, 10, 64)
	if err != nil {
		return Decision{}, fmt.Errorf("rate limit: retry after %q: %w", retry, err)
	}
	d := Decision{Allowed: allowed == 1, Remaining: remaining}
	switch {
	case d.Allowed:
	case micros < 0:
		d.RetryAfter = Never
	default:
		d.RetryAfter = time.Duration(micros) * time.Microsecond
	}
	return d, nil
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// RateLimited returns the RATE_LIMITED error for a refused decision, with a message such
// as "too many requests; retry in 3 s" (whole seconds, rounded up, at least 1). Call it
// only for a decision that was not Allowed.
func RateLimited(d Decision) *domain.Error {
	if d.RetryAfter < 0 {
		return domain.Errorf(domain.CodeRateLimited, "too many requests; the request exceeds the limit")
	}
	secs := int64(math.Ceil(d.RetryAfter.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return domain.Errorf(domain.CodeRateLimited, "too many requests; retry in %d s", secs)
}
