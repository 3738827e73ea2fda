package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// The invalidator's defaults.
const (
	// DefaultInvalidateTimeout bounds one call of the invalidate function.
	DefaultInvalidateTimeout = 2 * time.Second
	// DefaultInvalidateRetryFor is how long a failed invalidation is retried: as long as a
	// cached product lives by default, after which there is nothing left to invalidate.
	DefaultInvalidateRetryFor = time.Minute
)

// readyPollInterval is how often the invalidator asks the server to confirm its
// subscriptions until it has.
const readyPollInterval = 100 * time.Millisecond

// InvalidatorConfig adjusts an Invalidator. The zero value is usable.
type InvalidatorConfig struct {
	// Subjects names the subjects to listen on.
	Subjects Subjects
	// Log receives the invalidator's warnings; nil discards them.
	Log *slog.Logger
	// Timeout bounds one call of the invalidate function; zero means
	// DefaultInvalidateTimeout.
	Timeout time.Duration
	// RetryFor is how long ids whose invalidation failed are retried before they are
	// given up (and left to the cache's TTL); zero means DefaultInvalidateRetryFor. It
	// should be at least the cache's TTL.
	RetryFor time.Duration
}

// Invalidator removes cached products when they change: it listens to the product.*,
// inventory.* and rating.* events and calls its invalidate function with the product ids they are
// about. It uses plain NATS subscriptions, not a JetStream consumer: every replica sees
// every event, as soon as it is published, and nothing is stored for a replica that is
// away (the cache is shared and its other replicas invalidate it, and the TTL bounds
// what is left). nats.go renews the subscriptions after a reconnection by itself.
//
// Events are handled in batches without waiting: ids that arrive while an invalidation
// runs go together into the next one. A failed invalidation is retried, with the ids
// that arrived meanwhile, after a back-off (100 ms doubling up to 5 s) for RetryFor. The
// counters may be read at any time, from any goroutine.
type Invalidator struct {
	nc         *nats.Conn
	invalidate func(ctx context.Context, ids ...int64) error
	cfg        InvalidatorConfig
	log        *slog.Logger
	ready      chan struct{}

	mu      sync.Mutex
	pending map[int64]time.Time // id → when it first had to be invalidated
	wake    chan struct{}       // capacity 1: a value means pending may hold news

	received    atomic.Int64
	invalidated atomic.Int64
	failures    atomic.Int64
	dropped     atomic.Int64
}

// NewInvalidator returns an invalidator that listens on nc and calls invalidate; cfg's zero
// fields take the defaults. invalidate must be safe to call with many ids at once.
func NewInvalidator(nc *nats.Conn, invalidate func(ctx context.Context, ids ...int64) error, cfg InvalidatorConfig) *Invalidator {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultInvalidateTimeout
	}
	if cfg.RetryFor <= 0 {
		cfg.RetryFor = DefaultInvalidateRetryFor
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Invalidator{
		nc: nc, invalidate: invalidate, cfg: cfg, log: log.With("component", "cache-invalidator"),
		ready: make(chan struct{}), pending: map[int64]time.Time{}, wake: make(chan struct{}, 1),
	}
}

// Ready returns a channel that is closed once the NATS server has confirmed the
// subscriptions: every event published after that is seen.
func (v *Invalidator) Ready() <-chan struct{} { return v.ready }

// Received returns how many event messages arrived, whether or not they named a product.
func (v *Invalidator) Received() int64 { return v.received.Load() }

// Invalidated returns how many product ids were invalidated successfully; an id named
// by several events in one batch counts once.
func (v *Invalidator) Invalidated() int64 { return v.invalidated.Load() }

// Failures returns how many calls of the invalidate function failed.
func (v *Invalidator) Failures() int64 { return v.failures.Load() }

// Dropped returns how many ids were given up after failing for RetryFor, and how many
// messages named no product.
func (v *Invalidator) Dropped() int64 { return v.dropped.Load() }

// Run subscribes and invalidates until ctx ends, then unsubscribes, makes a last attempt
// (bounded by Timeout) at the ids still pending, and returns nil. It returns an error at
// once when it cannot subscribe (the connection is closed or draining). Run must not be
// called concurrently on one Invalidator, nor twice.
func (v *Invalidator) Run(ctx context.Context) error {
	var subs []*nats.Subscription
	defer func() {
		for _, s := range subs {
			_ = s.Unsubscribe() // fails only when the connection is closed, which ends it too
		}
	}()
	// A product's rating is cached with it: rating events invalidate it too.
	for _, family := range []string{FamilyProduct, FamilyInventory, FamilyRating} {
		subject := v.cfg.Subjects.For(family + ".*")
		s, err := v.nc.Subscribe(subject, v.handle)
		if err != nil {
			return fmt.Errorf("subscribing to %s: %w", subject, err)
		}
		subs = append(subs, s)
	}

	confirm := time.NewTimer(0) // confirms the subscriptions, then stays stopped
	defer confirm.Stop()
	retry := time.NewTimer(0)
	retry.Stop()
	defer retry.Stop()
	wake := v.wake // nil while a failure is waited out: new ids wait for the retry
	var bo backoff
	for {
		select {
		case <-ctx.Done():
			for _, s := range subs {
				_ = s.Unsubscribe()
			}
			subs = nil
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), v.cfg.Timeout)
			if err := v.flush(fctx); err != nil {
				v.log.Warn("invalidating at shutdown failed", "err", err)
			}
			cancel()
			return nil
		case <-confirm.C:
			if err := v.nc.FlushTimeout(time.Second); err != nil {
				confirm.Reset(readyPollInterval)
			} else {
				close(v.ready)
			}
			continue
		case <-wake:
		case <-retry.C:
		}
		if err := v.flush(ctx); err != nil {
			if ctx.Err() != nil {
				continue // the shutdown case retries once more
			}
			d := bo.next()
			v.log.Warn("invalidating cached products failed", "err", err, "retry_in", d)
			wake = nil
			retry.Reset(d)
			continue
		}
		bo.reset()
		wake = v.wake
	}
}

// handle records the product id of one event message. It runs on the subscription's
// goroutine and does not block.
func (v *Invalidator) handle(m *nats.Msg) {
	v.received.Add(1)
	id, ok := productID(m)
	if !ok {
		v.dropped.Add(1)
		v.log.Warn("event without a product id", "subject", m.Subject)
		return
	}
	now := time.Now()
	v.mu.Lock()
	if _, ok := v.pending[id]; !ok {
		v.pending[id] = now
	}
	v.mu.Unlock()
	select {
	case v.wake <- struct{}{}:
	default:
	}
}

// productID returns the product an event message is about: its Shopgraph-Event-Key
// header, or else the productId of its payload (every product.* and inventory.* payload
// has one).
func productID(m *nats.Msg) (int64, bool) {
	if id, err := strconv.ParseInt(m.Header.Get(HeaderEventKey), 10, 64); err == nil && id > 0 {
		return id, true
	}
	var payload struct {
		ProductID int64 `json:"productId"`
	}
	if err := json.Unmarshal(m.Data, &payload); err == nil && payload.ProductID > 0 {
		return payload.ProductID, true
	}
	return 0, false
}

// flush invalidates the pending ids in one call. On failure it puts them back, keeping
// when each first had to be invalidated, and gives up those older than RetryFor.
func (v *Invalidator) flush(ctx context.Context) error {
	v.mu.Lock()
	batch := v.pending
	v.pending = make(map[int64]time.Time, len(batch))
	v.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(batch))
	for id := range batch {
		ids = append(ids, id)
	}
	ictx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	err := v.invalidate(ictx, ids...)
	cancel()
	if err == nil {
		v.invalidated.Add(int64(len(ids)))
		return nil
	}
	v.failures.Add(1)
	cutoff := time.Now().Add(-v.cfg.RetryFor)
	var dropped int
	v.mu.Lock()
	for id, first := range batch {
		if first.Before(cutoff) {
			dropped++
			continue
		}
		if later, ok := v.pending[id]; !ok || first.Before(later) {
			v.pending[id] = first
		}
	}
	v.mu.Unlock()
	if dropped > 0 {
		v.dropped.Add(int64(dropped))
		err = errors.Join(err, fmt.Errorf("gave up invalidating %d products after %v", dropped, v.cfg.RetryFor))
	}
	return fmt.Errorf("invalidating %d products: %w", len(ids), err)
}
