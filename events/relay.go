package events

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shopgraph/shopgraph/domain"
)

// Outbox is what the relay needs from the database: the events (domain.EventStore), the
// election of one leader among the replicas, and a wake-up on commits.
// postgres.OutboxStore implements it.
type Outbox interface {
	domain.EventStore
	// Lead blocks until the caller is the only leader, or ctx ends (an error). It returns
	// a context that ends when leadership is lost or ctx ends, and a release function
	// that the caller must call once it stops leading.
	Lead(ctx context.Context) (context.Context, func(), error)
	// Notifications returns a channel that receives a value, without blocking the sender
	// and folding values that are not yet received, after each commit of new events. It
	// is closed once ctx has ended and the listener has stopped.
	Notifications(ctx context.Context) (<-chan struct{}, error)
}

// NotifiedOutbox is an Outbox whose notifications carry (or name) the events committed:
// after a notification the relay publishes just those, without reading every unpublished
// event, a scan that also passes over the entries of the events published since the
// table was last vacuumed. postgres.OutboxStore implements it.
type NotifiedOutbox interface {
	// NotifiedEvents returns, by increasing position, up to limit of the events notified
	// since the last call and not marked published since (the rest are signalled again on
	// the notifications' channel), or, when notifications may have been missed, what
	// UnpublishedEvents returns. Commits must be notified in commit order.
	NotifiedEvents(ctx context.Context, limit int) ([]domain.OutboxEntry, error)
}

// The relay's defaults.
const (
	// DefaultPollInterval is how often a leading relay looks at the outbox when no
	// notification woke it: a safety net for lost notifications.
	DefaultPollInterval = time.Second
	// DefaultBatchSize is how many events the relay reads at a time.
	DefaultBatchSize = 500
	// DefaultPublishTimeout bounds the wait for one publish acknowledgement, from the
	// moment the event is sent.
	DefaultPublishTimeout = 5 * time.Second
	// DefaultOutboxRetention is how long a published event stays in the outbox before
	// the leading relay deletes it (when the outbox can prune: OutboxPruner).
	DefaultOutboxRetention = 7 * 24 * time.Hour
	// DefaultPruneInterval is how often the leading relay prunes the outbox.
	DefaultPruneInterval = time.Hour
)

// pruneChunk is how many outbox rows one delete removes: a long backlog is pruned in
// short transactions, one after the other.
const pruneChunk = 10000

// OutboxPruner is implemented by outboxes whose published events can be deleted.
// postgres.OutboxStore implements it.
type OutboxPruner interface {
	// PruneOutbox deletes up to limit events published before publishedBefore and
	// returns how many it deleted.
	PruneOutbox(ctx context.Context, publishedBefore time.Time, limit int) (int, error)
}

// How the relay waits after a failure: doubling from relayBackoffMin up to relayBackoffMax,
// back to the start after a success.
const (
	relayBackoffMin = 100 * time.Millisecond
	relayBackoffMax = 5 * time.Second
)

// publishWindow is how many publishes the relay lets await their acknowledgement at once.
// The events acknowledged are marked published together, one mark at a time (one round
// trip that does not wait for a WAL flush, beside the reads and publishes that follow):
// after a crash, what was in flight, acknowledged or being marked is published again, and
// dropped by the stream as duplicates.
const publishWindow = 256

// RelayConfig adjusts a Relay. The zero value is usable.
type RelayConfig struct {
	// Subjects names the subjects to publish on.
	Subjects Subjects
	// Log receives the relay's warnings; nil discards them.
	Log *slog.Logger
	// PollInterval is how often to look at the outbox without a notification; zero means
	// DefaultPollInterval.
	PollInterval time.Duration
	// BatchSize is how many events to read at a time; zero means DefaultBatchSize.
	BatchSize int
	// PublishTimeout bounds the wait for one acknowledgement; zero means
	// DefaultPublishTimeout.
	PublishTimeout time.Duration
	// Retention is how long published events stay in the outbox; zero means
	// DefaultOutboxRetention, negative keeps them for ever.
	Retention time.Duration
	// PruneInterval is how often the leader prunes; zero means DefaultPruneInterval.
	PruneInterval time.Duration
}

// Relay publishes the events of the outbox to JetStream, in outbox order (one entity's
// always; unrelated events may be overtaken by a neighbour when a publish fails and is
// retried), each with its event id as the message id, so that a publish repeated after a failure (or after a crash
// between publishing and marking) is stored once by the stream's duplicate window. Any
// number of replicas may run a relay: one leads and publishes, the others wait to take
// over. The counters may be read at any time, from any goroutine.
type Relay struct {
	outbox Outbox
	js     jetstream.JetStream
	cfg    RelayConfig
	log    *slog.Logger

	published  atomic.Int64
	pruned     atomic.Int64
	pruneRuns  atomic.Int64
	duplicates atomic.Int64
	failures   atomic.Int64
	leading    atomic.Bool
}

// NewRelay returns a relay from outbox to js; cfg's zero fields take the defaults.
func NewRelay(outbox Outbox, js jetstream.JetStream, cfg RelayConfig) *Relay {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.PublishTimeout <= 0 {
		cfg.PublishTimeout = DefaultPublishTimeout
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultOutboxRetention
	}
	if cfg.PruneInterval <= 0 {
		cfg.PruneInterval = DefaultPruneInterval
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Relay{outbox: outbox, js: js, cfg: cfg, log: log.With("component", "outbox-relay")}
}

// Published returns how many events the stream has acknowledged since the relay was made,
// duplicates included. A publish interrupted by shutdown or lost leadership is not counted,
// though the stream may have stored it.
func (r *Relay) Published() int64 { return r.published.Load() }

// Pruned returns how many published events the relay deleted from the outbox since it
// was made.
func (r *Relay) Pruned() int64 { return r.pruned.Load() }

// PruneRounds returns how many pruning rounds ran to the end (deleting something or
// not) since the relay was made.
func (r *Relay) PruneRounds() int64 { return r.pruneRuns.Load() }

// Duplicates returns how many of the acknowledged events the stream already had: events
// published again after a failure between publishing and marking them.
func (r *Relay) Duplicates() int64 { return r.duplicates.Load() }

// Failures returns how many rounds failed (reading the outbox, publishing, marking, or
// waiting for leadership) since the relay was made; each is retried after a back-off.
func (r *Relay) Failures() int64 { return r.failures.Load() }

// Leading reports whether the relay currently leads, that is publishes.
func (r *Relay) Leading() bool { return r.leading.Load() }

// Run relays until ctx ends, then returns nil once everything it started has stopped. It
// waits for leadership (for as long as another replica leads), then publishes the
// unpublished events by outbox position, waking on each commit notification and every
// PollInterval. A failed publish stops the round; after a back-off (100 ms doubling up to
// 5 s, reset by a success) the relay retries from the same event, so nothing is lost and
// no entity's events are reordered. When leadership is lost, the relay stops publishing and waits for it again.
// Failures are logged and counted, never returned. Run must not be called concurrently on
// one Relay.
func (r *Relay) Run(ctx context.Context) error {
	var bo backoff
	for ctx.Err() == nil {
		leadCtx, release, err := r.outbox.Lead(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			r.failures.Add(1)
			d := bo.next()
			r.log.Warn("cannot wait for leadership", "err", err, "retry_in", d)
			sleepCtx(ctx, d)
			continue
		}
		r.log.Info("leading: publishing the outbox")
		r.leading.Store(true)
		err = r.lead(leadCtx)
		r.leading.Store(false)
		release()
		if ctx.Err() != nil {
			break
		}
		r.log.Warn("stopped leading", "cause", context.Cause(leadCtx), "err", err)
		if err != nil {
			// Stepped down because of err: give it time to clear, and another replica
			// the chance to lead.
			r.failures.Add(1)
			sleepCtx(ctx, bo.next())
		} else {
			bo.reset()
		}
	}
	return nil
}

// lead publishes while ctx (the leadership) lasts. It returns nil when ctx ends, an error
// when it cannot listen for commits.
//
// Reading, publishing, collecting acknowledgements and marking overlap: a read does not
// wait for the acknowledgements of the events read before it, nor for their mark, so an
// event committed while the stream stores its predecessors is read and sent at once.
func (r *Relay) lead(ctx context.Context) error {
	lctx, stop := context.WithCancel(ctx)
	notes, err := r.outbox.Notifications(lctx)
	if err != nil {
		stop()
		return fmt.Errorf("listening for outbox commits: %w", err)
	}
	pruning := r.startPruning(lctx)
	p := newPipeline(r)
	defer func() {
		// What was sent is acknowledged (or timed out) and marked before leadership ends:
		// a relay taking over then reads none of the events this one published.
		p.finish(ctx)
		stop()
		for range notes { // returns once the listener has stopped
		}
		<-pruning
	}()
	open := notes // nil once closed, which the contract allows only after lctx ends
	wake := open
	timer := time.NewTimer(0) // a first round at once: commits made before listening
	defer timer.Stop()
	ackTimer := time.NewTimer(time.Hour) // the deadline of the oldest publish in flight
	defer ackTimer.Stop()
	var bo backoff
	// A round reads every unpublished event when the timer woke it (the first round, a
	// retry, a quiet poll interval), and at least once a poll interval under a steady
	// flow of notifications; otherwise just the events notified.
	var lastFull time.Time
	for {
		var headOK <-chan *jetstream.PubAck
		var headErr <-chan error
		var headLate <-chan time.Time
		if len(p.window) > 0 {
			head := p.window[0]
			headOK, headErr = head.ack.Ok(), head.ack.Err()
			ackTimer.Reset(time.Until(head.deadline))
			headLate = ackTimer.C
		}
		round, full := false, false
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-wake:
			if !ok {
				open, wake = nil, nil
			}
			round = true
		case <-timer.C:
			round, full = true, true
		case ack := <-headOK:
			p.settled(ack, nil)
		case err := <-headErr:
			p.settled(nil, err)
		case <-headLate:
			p.settled(nil, context.DeadlineExceeded)
		case err := <-p.mark.done:
			p.marked(err)
		}
		var err error
		if round {
			if full || time.Since(lastFull) >= r.cfg.PollInterval {
				full, lastFull = true, time.Now()
			}
			err = p.publishPending(ctx, full)
			if err == nil {
				timer.Reset(r.cfg.PollInterval)
			}
		}
		p.collect()
		p.startMark(ctx)
		if p.stored || (round && err == nil && p.failed == nil && len(p.window) == 0) {
			bo.reset() // progress: the next failure waits the shortest back-off again
			p.stored = false
		}
		if ctx.Err() != nil {
			return nil
		}
		if err == nil && p.failed != nil {
			err = p.failed
		}
		if err != nil {
			// Nothing more is sent until the retry: what is in flight settles first, so
			// that the retry, which reads every unpublished event, starts after the
			// event that failed and sends no event of an entity before an earlier one.
			p.settleAll()
			p.startMark(ctx)
			p.failed = nil
			r.failures.Add(1)
			d := bo.next()
			r.log.Warn("publishing the outbox failed", "err", err, "retry_in", d)
			wake = nil // a commit does not make the failure go away: wait out the back-off
			timer.Reset(d)
			continue
		}
		if round {
			wake = open
		}
	}
}

// pipeline is one leadership's publishing: the publishes awaiting their acknowledgement
// (up to publishWindow, on the one NATS connection, which keeps their order), the events
// acknowledged and waiting to be marked, and the mark in flight (one at a time; it marks
// whatever was acknowledged while the one before ran).
//
// Two events with the same key (one entity's) are never in flight together: an event is
// sent only once every earlier event of its entity is stored, so that whatever fails and
// is published again later, the stream holds each entity's events in the order of their
// changes. After the first failure nothing more is sent until the relay retries.
type pipeline struct {
	r      *Relay
	window []inFlight         // sent, in publish order
	keys   map[string]int     // publishes in flight per key
	busy   map[int64]struct{} // positions sent and not yet marked: reads leave them out
	acked  []int64            // acknowledged, for the next mark
	mark   marking            // the mark in flight
	failed error              // the first publish failure since the last retry
	full   bool               // the next read reads every unpublished event (a mark failed)
	stored bool               // an acknowledgement arrived since the relay last looked
}

// inFlight is a publish awaiting the stream's acknowledgement.
type inFlight struct {
	e        domain.OutboxEntry
	ack      jetstream.PubAckFuture
	deadline time.Time
}

// marking is the relay's mark in flight: the positions it marks, and its outcome.
type marking struct {
	positions []int64
	done      chan error // nil when no mark is in flight
}

func newPipeline(r *Relay) *pipeline {
	return &pipeline{r: r, keys: make(map[string]int), busy: make(map[int64]struct{})}
}

// publishPending reads the unpublished events and sends those not already in flight or
// being marked: every unpublished event when full (until none is left), otherwise just
// the events notified (NotifiedOutbox), once, since what it leaves is signalled again.
// It returns a read's failure; a publish's is left in p.failed.
func (p *pipeline) publishPending(ctx context.Context, full bool) error {
	notified, _ := p.r.outbox.(NotifiedOutbox)
	if notified == nil || p.full {
		full, p.full = true, false // a failed mark's events were notified before
	}
	for p.failed == nil && ctx.Err() == nil {
		limit := p.r.cfg.BatchSize + len(p.busy)
		var read []domain.OutboxEntry
		var err error
		if full {
			read, err = p.r.outbox.UnpublishedEvents(ctx, limit)
		} else {
			read, err = notified.NotifiedEvents(ctx, limit)
		}
		if err != nil {
			return fmt.Errorf("reading the outbox: %w", err)
		}
		for _, e := range read {
			if _, busy := p.busy[e.Position]; !busy {
				p.send(ctx, e)
			}
		}
		if !full || len(read) < limit {
			return nil
		}
	}
	return nil
}

// send publishes e without waiting for its acknowledgement, once no event of its entity
// is in flight and the window has room; it sends nothing after a failure or once ctx has
// ended.
func (p *pipeline) send(ctx context.Context, e domain.OutboxEntry) {
	for p.failed == nil && (p.keys[e.Key] > 0 || len(p.window) == publishWindow) {
		p.settleOne()
	}
	if p.failed != nil {
		return
	}
	if err := ctx.Err(); err != nil {
		p.failed = err
		return
	}
	ack, err := p.r.js.PublishMsgAsync(p.r.message(e), jetstream.WithMsgID(e.ID))
	if err != nil {
		p.failed = fmt.Errorf("publishing %s event %s at position %d: %w", e.Type, e.ID, e.Position, err)
		return
	}
	p.window = append(p.window, inFlight{e: e, ack: ack, deadline: time.Now().Add(p.r.cfg.PublishTimeout)})
	p.keys[e.Key]++
	p.busy[e.Position] = struct{}{}
}

// settleOne waits for the acknowledgement of the oldest publish in flight until its
// deadline, even when leadership or the process is ending: what was sent is then
// recorded, and a relay that stops leading has nothing in flight any more.
func (p *pipeline) settleOne() {
	head := p.window[0]
	t := time.NewTimer(time.Until(head.deadline))
	defer t.Stop()
	select {
	case ack := <-head.ack.Ok():
		p.settled(ack, nil)
	case err := <-head.ack.Err():
		p.settled(nil, err)
	case <-t.C:
		p.settled(nil, context.DeadlineExceeded)
	}
}

// settleAll waits for every publish in flight.
func (p *pipeline) settleAll() {
	for len(p.window) > 0 {
		p.settleOne()
	}
}

// collect takes the acknowledgements that have arrived, in publish order, without
// waiting.
func (p *pipeline) collect() {
	for len(p.window) > 0 {
		head := p.window[0]
		select {
		case ack := <-head.ack.Ok():
			p.settled(ack, nil)
			continue
		case err := <-head.ack.Err():
			p.settled(nil, err)
			continue
		default:
		}
		if time.Now().Before(head.deadline) {
			return
		}
		p.settled(nil, context.DeadlineExceeded)
	}
}

// settled records the outcome of the oldest publish in flight: acknowledged, it waits for
// the next mark; failed, it is read and published again at the retry.
func (p *pipeline) settled(ack *jetstream.PubAck, err error) {
	head := p.window[0]
	p.window[0] = inFlight{}
	p.window = p.window[1:]
	if len(p.window) == 0 {
		p.window = p.window[:0:0] // let the backing array go once empty
	}
	if p.keys[head.e.Key]--; p.keys[head.e.Key] == 0 {
		delete(p.keys, head.e.Key)
	}
	if err != nil {
		delete(p.busy, head.e.Position)
		if p.failed == nil {
			p.failed = fmt.Errorf("publishing %s event %s at position %d: %w", head.e.Type, head.e.ID, head.e.Position, err)
		}
		return
	}
	p.stored = true
	p.r.published.Add(1)
	if ack.Duplicate {
		p.r.duplicates.Add(1)
	}
	p.acked = append(p.acked, head.e.Position)
}

// startMark marks the acknowledged events published, beside what the relay does next,
// unless a mark is already in flight.
func (p *pipeline) startMark(ctx context.Context) {
	if p.mark.done != nil || len(p.acked) == 0 {
		return
	}
	done := make(chan error, 1)
	positions := p.acked
	p.mark = marking{positions: positions, done: done}
	p.acked = nil
	go func() { done <- p.r.mark(ctx, positions) }()
}

// marked records the outcome of the mark in flight. A failed mark is logged and counted;
// its events are read and published again, which the stream drops as duplicates.
func (p *pipeline) marked(err error) {
	for _, pos := range p.mark.positions {
		delete(p.busy, pos)
	}
	if err != nil {
		p.full = true
		p.r.failures.Add(1)
		p.r.log.Warn("marking events published failed; they will be published again", "err", err)
	}
	p.mark = marking{}
}

// finish settles what is in flight and marks what was acknowledged, when leadership ends.
func (p *pipeline) finish(ctx context.Context) {
	p.settleAll()
	for p.mark.done != nil || len(p.acked) > 0 {
		if p.mark.done != nil {
			p.marked(<-p.mark.done)
		}
		p.startMark(ctx)
	}
}

// message returns the NATS message of e.
func (r *Relay) message(e domain.OutboxEntry) *nats.Msg {
	msg := nats.NewMsg(r.cfg.Subjects.For(e.Type))
	msg.Data = e.Payload
	msg.Header.Set(HeaderEventType, e.Type)
	msg.Header.Set(HeaderEventKey, e.Key)
	msg.Header.Set(HeaderEventAt, e.At.UTC().Format(time.RFC3339Nano))
	return msg
}

// mark records the positions as published. It goes on when ctx ends (shutdown, lost
// leadership): the events were published whatever happens next, and recording it spares
// publishing them again.
func (r *Relay) mark(ctx context.Context, positions []int64) error {
	if len(positions) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := r.outbox.MarkPublished(ctx, positions); err != nil {
		return fmt.Errorf("marking %d events published: %w", len(positions), err)
	}
	return nil
}

// backoff is a delay that doubles from relayBackoffMin to relayBackoffMax.
type backoff struct{ d time.Duration }

// next returns the delay to wait now and doubles the next one.
func (b *backoff) next() time.Duration {
	if b.d == 0 {
		b.d = relayBackoffMin
	} else {
		b.d = min(2*b.d, relayBackoffMax)
	}
	return b.d
}

// reset starts the delays over.
func (b *backoff) reset() { b.d = 0 }

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// startPruning deletes, every PruneInterval while ctx lasts (the leadership), the events
// published longer ago than Retention, on a goroutine of its own so that a long prune
// never holds back a publish. The returned channel is closed once it has stopped.
func (r *Relay) startPruning(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	pruner, ok := r.outbox.(OutboxPruner)
	if !ok || r.cfg.Retention < 0 {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		t := time.NewTicker(r.cfg.PruneInterval)
		defer t.Stop()
		for {
			r.prune(ctx, pruner)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return done
}

// prune deletes the expired events chunk by chunk; a failure waits for the next round.
func (r *Relay) prune(ctx context.Context, pruner OutboxPruner) {
	before := time.Now().Add(-r.cfg.Retention)
	for ctx.Err() == nil {
		n, err := pruner.PruneOutbox(ctx, before, pruneChunk)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("pruning the outbox failed; trying again next round", "err", err)
			}
			return
		}
		r.pruned.Add(int64(n))
		if n < pruneChunk {
			r.pruneRuns.Add(1)
			return
		}
	}
}
