package events

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shopgraph/shopgraph/domain"
)

// The analytics ingester reads every event of the events stream, whatever its family,
// through one durable pull consumer without a subject filter: the stream captures exactly
// the event families (Subjects.Filters), and NATS 2.9, which the tests run, knows only one
// filter subject per consumer. An event type that analytics does not know yields no rows
// and is acknowledged with its batch.
//
// A message that cannot be turned into rows is parked on AnalyticsDeadLetter
// ("deadletter.analytics" under the subject prefix). That subject is deliberately outside
// the events stream's filters: the ingester must never read back what it parked (it would
// park it again, for ever), and a parked message is not a shop event. It is stored in a
// small stream of the ingester's own (IngesterConfig.DeadLetterStream), which the
// ingester creates when it first parks a message, so that an operator can inspect it and
// publish it again once fixed. Parked messages carry the same headers as parked shipping
// messages (HeaderDeadReason and the others), and the Nats-* headers of the original are
// dropped.
const (
	// AnalyticsDeadLetter is where messages the ingester cannot use are parked.
	AnalyticsDeadLetter = "deadletter.analytics"
	// DefaultIngesterDurable is the name of the durable consumer shared by every
	// ingester: replicas share the events, and a restarted one resumes where they left off.
	DefaultIngesterDurable = "shopgraph-analytics"
	// DefaultIngestBatchSize is how many events make a batch. ClickHouse stores a few
	// large inserts much faster than many small ones (each insert of the events table
	// also writes a part per rollup view): measured here, 50,000-event batches drain a
	// backlog faster than 10,000-event ones, for some tens of MB of messages in hand.
	DefaultIngestBatchSize = 50000
	// DefaultIngestFlushInterval is how long the first message of a batch waits for the
	// others.
	DefaultIngestFlushInterval = 500 * time.Millisecond
	// DefaultIngestAckWait is how long the server waits for the acknowledgement of a
	// delivered message before delivering it again. The ingester tells the server that
	// the messages it holds are in progress well within it, however long ClickHouse is
	// away, so it only matters when an ingester dies with messages in hand.
	DefaultIngestAckWait = 2 * time.Minute
	// DefaultIngestInsertTimeout bounds one attempt to store a batch.
	DefaultIngestInsertTimeout = time.Minute
)

// How the ingester waits after a failure: doubling from the minimum to the maximum, back
// to the minimum after a success.
const (
	ingestRetryMin = 100 * time.Millisecond
	ingestRetryMax = 10 * time.Second
	ingestSetUpMax = 5 * time.Second
)

// Pull requests: the server ends each (when it has sent the messages asked for, or when
// its wait expires), never the client, which would lose the messages on their way (they
// would come back only after AckWait). A request waits at most ingestMaxPullWait, so
// that Run, which waits for its open request when ctx ends, stops promptly; it asks for
// at most ingestMaxPull messages, and never for more than the batch being filled has
// room for; it is given at least ingestMinPullWait.
const (
	ingestMaxPullWait = time.Second
	ingestMinPullWait = 10 * time.Millisecond
	ingestMaxPull     = 10000 // a pull request a fifth of a batch: few round trips
	// ingestMaxPullBytes bounds the payloads a pull request asks for, at the size of the
	// largest message seen lately (a batch of clickstream events is up to 256 KiB).
	ingestMaxPullBytes = 64 << 20
)

// ingestParkTimeout bounds the publication of one parked message; ingestSetUpTimeout
// the set-up of the streams and the consumer.
const (
	ingestParkTimeout  = 5 * time.Second
	ingestSetUpTimeout = 5 * time.Second
)

// afterInsertHook, when not nil, is called by Run after a batch was stored and before it
// is acknowledged. Tests use it to simulate a crash at the worst moment; it must be set
// before Run starts and left alone until Run has returned.
var afterInsertHook func()

// IngesterConfig adjusts an Ingester. The zero value is usable.
type IngesterConfig struct {
	// Stream names the events stream; empty means DefaultStream. The ingester does not
	// create it (EnsureStream does, at start-up of the API): it waits for it.
	Stream string
	// Subjects puts the subjects under the deployment's prefix.
	Subjects Subjects
	// Durable names the consumer; empty means DefaultIngesterDurable.
	Durable string
	// BatchSize is how many events make a batch (a message of one event, or of none that
	// analytics stores, counts one; a batch of clickstream events counts its events); zero
	// means DefaultIngestBatchSize. A batch may exceed it by a message or a few. The
	// consumer lets 4 × BatchSize messages wait for acknowledgement: the batch being
	// stored and the one being read by each of two ingesters.
	BatchSize int
	// FlushInterval is how long the first message of a batch waits for others before the
	// batch is stored anyway; zero means DefaultIngestFlushInterval.
	FlushInterval time.Duration
	// AckWait is the consumer's acknowledgement wait; zero means DefaultIngestAckWait.
	// Tests shorten it to see redeliveries quickly.
	AckWait time.Duration
	// InsertTimeout bounds one attempt to store a batch (the check for redelivered events
	// and the insert); zero means DefaultIngestInsertTimeout.
	InsertTimeout time.Duration
	// RetryMax is the longest wait between two attempts to store a batch while ClickHouse
	// fails (the wait doubles from 100 ms up to it); zero means 10 s. Tests shorten it.
	RetryMax time.Duration
	// Log receives the ingester's reports; nil discards them.
	Log *slog.Logger
	// DeadLetterSubject is where unusable messages are parked; empty means
	// Subjects.For(AnalyticsDeadLetter). It must not be captured by the events stream.
	DeadLetterSubject string
	// DeadLetterStream names the stream that stores parked messages; empty means Stream
	// followed by "_ANALYTICS_DEAD". The ingester creates it when it first parks a
	// message, capturing DeadLetterSubject only, and keeping messages for DefaultMaxAge.
	DeadLetterStream string
}

func (cfg IngesterConfig) withDefaults() IngesterConfig {
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if cfg.Durable == "" {
		cfg.Durable = DefaultIngesterDurable
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultIngestBatchSize
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = DefaultIngestFlushInterval
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = DefaultIngestAckWait
	}
	if cfg.InsertTimeout <= 0 {
		cfg.InsertTimeout = DefaultIngestInsertTimeout
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = ingestRetryMax
	}
	// An insert must end before its messages can be delivered again: a redelivery checked
	// against the store while the first insert is still running would be stored twice.
	if cfg.InsertTimeout >= cfg.AckWait {
		cfg.InsertTimeout = cfg.AckWait / 2
	}
	if cfg.DeadLetterSubject == "" {
		cfg.DeadLetterSubject = cfg.Subjects.For(AnalyticsDeadLetter)
	}
	if cfg.DeadLetterStream == "" {
		cfg.DeadLetterStream = cfg.Stream + "_ANALYTICS_DEAD"
	}
	return cfg
}

// validate returns an error for a configuration that can never work.
func (cfg IngesterConfig) validate() error {
	if strings.ContainsAny(cfg.Durable, ".*> \t\r\n/\\") {
		return fmt.Errorf("analytics ingester: invalid durable name %q", cfg.Durable)
	}
	if strings.ContainsAny(cfg.DeadLetterSubject, "*> \t\r\n") {
		return fmt.Errorf("analytics ingester: invalid dead-letter subject %q", cfg.DeadLetterSubject)
	}
	for _, f := range cfg.Subjects.Filters() {
		if filterMatches(f, cfg.DeadLetterSubject) {
			return fmt.Errorf("analytics ingester: dead-letter subject %s is captured by the events stream (%s): "+
				"the ingester would read back what it parks", cfg.DeadLetterSubject, f)
		}
	}
	return nil
}

// Ingester copies the events of the events stream into the analytics store, in batches,
// from a durable JetStream pull consumer shared by every replica. A message holds one
// event, which becomes rows through domain.ToAnalytics, or many clickstream events (a
// TrackedBatchType message, see TrackPublisher), each of which becomes a row through
// domain.TrackedRow; rows are stored with AnalyticsWriter.Insert, in a batch of about
// BatchSize events or whatever arrived within FlushInterval of the batch's first message,
// and only then are the batch's messages acknowledged. While a
// batch is stored, the next one is read and converted, so that NATS and the store work
// at the same time; a message that cannot be converted is parked (see
// AnalyticsDeadLetter) and acknowledged at once, and never holds up the others.
//
// Every event reaches the store once: the events of a message delivered again (after a
// crash between insert and acknowledgement, a lost acknowledgement, or a failed insert
// whose outcome is unknown) are checked with ExistingEventIDs first, each by its own id,
// and the rows of events already stored are left out, as are second copies of an event
// within a batch (whether in one message or two). So are the batches that
// follow a set-up of the consumer, until one holds no stored event: a consumer deleted
// and created again starts from the beginning of the stream.
//
// A message counts as delivered again when the server says so (NumDelivered above 1), when
// its delivery count cannot be read, and when the server delivers it as new (NumDelivered
// 1) although it delivered this ingester a message of the same or a later stream sequence
// as new before: a consumer hands out new messages in stream order, so that is a message
// delivered before. NATS servers before 2.10.14 do that (nats-server #4460, fixed by
// #5305): when a redelivery finds no pull request to take it (the waiting ones expired
// or gone, which a loaded machine makes likely), the server steps its cursor of new
// messages back by one, and the last message delivered as new comes again with
// NumDelivered 1. Such a repeat that reaches another replica than the first delivery
// cannot be told from a first delivery: with several replicas, run NATS 2.10.14 or later.
//
// Other first deliveries are not checked, since the check reads the whole table: two
// copies of one event that the stream stored apart (published again after its
// DuplicateWindow, or again among other clickstream events, which makes another message
// id) in different batches would both be stored.
//
// When the store fails, the ingester keeps the batch, tries again after a back-off
// (100 ms doubling up to 10 s), tells the server every AckWait/4 that the messages it
// holds are in progress so that none is delivered elsewhere meanwhile, and reads nothing
// more until the batch is stored: the messages read ahead of it are handed back to the
// stream. The events wait in the stream, and drain once the store is back.
//
// The counters may be read at any time, from any goroutine.
type Ingester struct {
	js  jetstream.JetStream
	w   domain.AnalyticsWriter
	cfg IngesterConfig
	log *slog.Logger

	running atomic.Bool
	// deadLetterReady is set once the dead-letter stream was ensured; Run's goroutine
	// alone reads and writes it.
	deadLetterReady bool
	// newest is the highest stream sequence delivered to the ingester as new
	// (NumDelivered 1), across its Runs; Run's goroutine alone reads and writes it.
	newest uint64

	rows         atomic.Int64
	batches      atomic.Int64
	acked        atomic.Int64
	duplicates   atomic.Int64
	parked       atomic.Int64
	failures     atomic.Int64
	lastLatency  atomic.Int64
	lastInsertNS atomic.Int64
}

// NewIngester returns an ingester from js's events stream to w; cfg's zero fields take
// the defaults.
func NewIngester(js jetstream.JetStream, w domain.AnalyticsWriter, cfg IngesterConfig) *Ingester {
	cfg = cfg.withDefaults()
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Ingester{js: js, w: w, cfg: cfg, log: log.With("component", "analytics-ingester", "durable", cfg.Durable)}
}

// Rows returns how many rows the ingester stored.
func (in *Ingester) Rows() int64 { return in.rows.Load() }

// Batches returns how many batches the ingester stored (batches without rows, of events
// analytics ignores or already has, are not counted).
func (in *Ingester) Batches() int64 { return in.batches.Load() }

// Acked returns how many messages were acknowledged after their batch was stored,
// ignored and duplicate events included, parked ones not.
func (in *Ingester) Acked() int64 { return in.acked.Load() }

// Duplicates returns how many delivered events were left out because the store already
// had them.
func (in *Ingester) Duplicates() int64 { return in.duplicates.Load() }

// Parked returns how many messages were put on the dead-letter subject.
func (in *Ingester) Parked() int64 { return in.parked.Load() }

// Failures returns how many attempts failed: storing a batch, setting up the consumer,
// pulling messages, or parking one. Each is tried again after a back-off.
func (in *Ingester) Failures() int64 { return in.failures.Load() }

// LastBatchLatency returns how long the last stored batch took from the arrival of its
// first message to its acknowledgement: the wait for the batch to fill, the retries, and
// the insert. It is zero before the first batch.
func (in *Ingester) LastBatchLatency() time.Duration { return time.Duration(in.lastLatency.Load()) }

// LastInsertDuration returns how long the last successful Insert took.
func (in *Ingester) LastInsertDuration() time.Duration {
	return time.Duration(in.lastInsertNS.Load())
}

// Lag returns how many events of the stream are not yet stored and acknowledged: those
// not yet delivered plus those delivered and waiting for their acknowledgement, from the
// consumer's information on the server. It returns an error when NATS does not answer or
// the consumer does not exist yet.
func (in *Ingester) Lag(ctx context.Context) (int64, error) {
	cons, err := in.js.Consumer(ctx, in.cfg.Stream, in.cfg.Durable)
	if err != nil {
		return 0, fmt.Errorf("reading consumer %s of stream %s: %w", in.cfg.Durable, in.cfg.Stream, err)
	}
	info := cons.CachedInfo()
	return int64(info.NumPending) + int64(info.NumAckPending), nil
}

// Run ingests until ctx ends, then returns nil once everything it started has stopped.
// It creates or updates the durable consumer, retrying with a back-off (100 ms doubling
// up to 5 s) while NATS does not answer or the events stream does not exist yet, and sets
// it up again when pulling fails. When ctx ends, Run cancels the insert in progress,
// waits for its open pull request to end (within a second), and returns: it neither
// stores nor acknowledges what it holds, and those messages are delivered again after
// AckWait, to be checked against the store.
//
// Run returns an error at once for a configuration that cannot work: an invalid durable
// name, or a dead-letter subject that the events stream captures. Run must not be called
// concurrently on one Ingester (it returns an error); several ingesters, in one process
// or many, with the same durable name share the events.
func (in *Ingester) Run(ctx context.Context) error {
	if err := in.cfg.validate(); err != nil {
		return err
	}
	if !in.running.CompareAndSwap(false, true) {
		return errors.New("analytics ingester: Run is already running")
	}
	defer in.running.Store(false)
	l := &ingestLoop{
		in:      in,
		next:    newIngestBatch(in.cfg.BatchSize),
		spare:   newIngestBatch(in.cfg.BatchSize),
		results: make(chan storeResult, 1),
	}
	defer l.stop()
	return l.run(ctx)
}

// ingestBatch is a batch of messages, their events and the events' rows. Two of them
// take turns: one being filled from the stream while the other is stored.
type ingestBatch struct {
	msgs []jetstream.Msg
	// msgEnds[i] is the end in events of the events of msgs[i], which start at
	// msgEnds[i-1]: one for a message of one event, none for a message of an event that
	// makes no rows, many for a batch of clickstream events.
	msgEnds []int
	// events are the batch's events that make rows, each with the end of its rows in
	// rows (they start where the previous event's end).
	events []ingestEvent
	rows   []domain.AnalyticsEvent
	// size is what counts towards BatchSize: the events, and one for each message that
	// has none; maxBytes is the largest payload of its messages.
	size, maxBytes int
	// redelivered lists the indexes in msgs of messages that may have been delivered
	// before (see ingestLoop.add).
	redelivered []int
	// uncertain is set once an attempt to store the batch failed: the store may hold
	// part of it, so every event is checked before the next attempt.
	uncertain bool
	// first is when the first message arrived; touched when the server was last told
	// that the messages are in progress (or first, before that).
	first, touched time.Time

	// Scratch space of store, kept across batches.
	ids  []string
	seen map[string]struct{}
	drop []int
	out  []domain.AnalyticsEvent
}

// ingestEvent is an event of a batch: its id, and the end of its rows in the batch's rows.
type ingestEvent struct {
	id  string
	end int
}

func newIngestBatch(size int) *ingestBatch {
	return &ingestBatch{
		msgs:    make([]jetstream.Msg, 0, min(size, ingestMaxPull)),
		msgEnds: make([]int, 0, min(size, ingestMaxPull)),
		events:  make([]ingestEvent, 0, size),
		rows:    make([]domain.AnalyticsEvent, 0, size),
	}
}

// reset empties the batch, keeping its memory.
func (b *ingestBatch) reset() {
	clear(b.msgs) // let the messages go
	b.msgs = b.msgs[:0]
	b.msgEnds = b.msgEnds[:0]
	clear(b.events)
	b.events = b.events[:0]
	clear(b.rows)
	b.rows = b.rows[:0]
	b.size, b.maxBytes = 0, 0
	b.redelivered = b.redelivered[:0]
	b.uncertain = false
	b.first, b.touched = time.Time{}, time.Time{}
}

// storeResult is the outcome of one attempt to store a batch.
type storeResult struct {
	err      error
	rows     int           // rows inserted
	checked  int           // events checked against the store
	dropped  int           // events left out as already stored or twice in the batch
	inserted time.Duration // how long Insert took
}

// ingestLoop is the state of one Run. Everything but the attempts to store (one
// goroutine at a time, which reads cur and nothing else) happens on Run's goroutine: the
// messages are acknowledged, handed back and touched there only.
type ingestLoop struct {
	in   *Ingester
	cons jetstream.Consumer // nil until set up, and after pulling failed

	cur   *ingestBatch // being stored, or waiting to be tried again; nil when none
	next  *ingestBatch // being filled
	spare *ingestBatch // the empty one, while cur is nil

	attempting bool // an attempt to store cur runs
	results    chan storeResult
	paused     bool // storing cur failed: nothing more is read until it is stored

	fetch     jetstream.MessageBatch
	fetchMsgs <-chan jetstream.Msg // nil when no pull request is open

	// eventsPerMsg is how many events a message held in the last batch (in the first
	// message, before a batch was filled; zero before a message arrived), and msgBytes
	// the largest payload of a message in the last batch and the one being filled: they
	// size the pull requests.
	eventsPerMsg float64
	msgBytes     int

	// verify is set when the consumer is set up: a consumer created afresh (deleted by an
	// operator, or lost with its server's state) starts from the beginning of the stream,
	// whose events may be stored already, and nothing tells a replica whether another
	// just created it. So the batches after a set-up are checked against the store until
	// one turns out to hold no stored event: one check per start when nothing happened.
	verify bool
}

func (l *ingestLoop) run(ctx context.Context) error {
	in := l.in
	cfg := in.cfg
	var (
		fetchBo  = retryBackoff{min: ingestRetryMin, max: ingestSetUpMax}
		insertBo = retryBackoff{min: ingestRetryMin, max: max(cfg.RetryMax, ingestRetryMin)}
		fetchAt  time.Time // no pull request (or set-up) before then, after a failure
		retryAt  time.Time // no new attempt to store cur before then
	)
	wake := time.NewTimer(time.Hour)
	defer wake.Stop()
	touch := time.NewTicker(max(cfg.AckWait/4, 10*time.Millisecond))
	defer touch.Stop()
	for {
		if ctx.Err() != nil {
			return nil
		}
		now := time.Now()
		// Store the batch being filled once it is full or has waited long enough.
		if l.cur == nil && l.due(now) {
			if b := l.next; b.size > 0 {
				l.eventsPerMsg = float64(b.size) / float64(len(b.msgs))
				l.msgBytes = b.maxBytes
			}
			l.cur, l.next, l.spare = l.next, l.spare, nil
			l.cur.uncertain = l.verify
			retryAt = time.Time{}
		}
		if l.cur != nil && !l.attempting && !now.Before(retryAt) {
			l.attempt(ctx)
		}
		// Pull more when there is room and no failure to wait out.
		if l.fetchMsgs == nil && !l.paused && l.next.size < cfg.BatchSize && !now.Before(fetchAt) {
			if err := l.pull(ctx, now); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				in.failures.Add(1)
				d := fetchBo.next()
				fetchAt = now.Add(d)
				in.log.Warn("analytics events cannot be pulled; trying again", "err", err, "retry_in", d)
			}
		}

		resetTimer(wake, l.wakeAt(now, fetchAt, retryAt))
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-l.fetchMsgs:
			if !ok {
				if err := l.endFetch(); err != nil {
					in.failures.Add(1)
					d := fetchBo.next()
					fetchAt = time.Now().Add(d)
					in.log.Warn("pulling analytics events failed; setting up again", "err", err, "retry_in", d)
				} else {
					fetchBo.reset()
				}
				continue
			}
			if l.paused {
				// Read ahead of a batch that cannot be stored: back to the stream.
				_ = m.Nak()
				continue
			}
			l.add(ctx, m)
		case r := <-l.results:
			l.attempting = false
			if r.err != nil {
				if ctx.Err() != nil {
					return nil
				}
				in.failures.Add(1)
				l.cur.uncertain = true
				d := insertBo.next()
				retryAt = time.Now().Add(d)
				in.log.Warn("storing analytics events failed; holding the batch", "err", r.err,
					"messages", len(l.cur.msgs), "retry_in", d)
				if !l.paused {
					l.paused = true
					l.handBack(l.next)
				}
				continue
			}
			if afterInsertHook != nil {
				afterInsertHook()
			}
			if ctx.Err() != nil {
				return nil // stopping: the stored batch comes back and is found stored
			}
			if r.checked > 0 && r.dropped == 0 {
				l.verify = false // past what was stored before
			}
			l.done(r)
			insertBo.reset()
			l.paused = false
		case <-touch.C:
			now := time.Now()
			l.keepAlive(l.cur, now)
			l.keepAlive(l.next, now)
		case <-wake.C:
		}
	}
}

// due reports whether the batch being filled must be stored now.
func (l *ingestLoop) due(now time.Time) bool {
	b := l.next
	return b.size >= l.in.cfg.BatchSize || (len(b.msgs) > 0 && !now.Before(b.first.Add(l.in.cfg.FlushInterval)))
}

// wakeAt returns when the loop must look again without any message or result arriving.
func (l *ingestLoop) wakeAt(now, fetchAt, retryAt time.Time) time.Time {
	at := now.Add(time.Hour)
	if l.cur == nil && len(l.next.msgs) > 0 {
		at = earliest(at, l.next.first.Add(l.in.cfg.FlushInterval))
	}
	if l.cur != nil && !l.attempting {
		at = earliest(at, retryAt)
	}
	if l.fetchMsgs == nil && !l.paused && l.next.size < l.in.cfg.BatchSize {
		at = earliest(at, fetchAt)
	}
	return at
}

// attempt starts one attempt to store cur.
func (l *ingestLoop) attempt(ctx context.Context) {
	l.attempting = true
	b, in := l.cur, l.in
	go func() {
		actx, cancel := context.WithTimeout(ctx, in.cfg.InsertTimeout)
		defer cancel()
		l.results <- in.store(actx, b)
	}()
}

// done acknowledges cur, which was stored, counts it, and makes it the spare batch.
func (l *ingestLoop) done(r storeResult) {
	in, b := l.in, l.cur
	var failed int
	var firstErr error
	for _, m := range b.msgs {
		// A lost acknowledgement means one more delivery, found stored and left out.
		if err := m.Ack(); err != nil {
			if failed++; firstErr == nil {
				firstErr = err
			}
		}
	}
	if failed > 0 {
		in.log.Warn("acknowledging stored analytics events failed; they will be delivered again",
			"failed", failed, "of", len(b.msgs), "err", firstErr)
	}
	if r.rows > 0 {
		in.batches.Add(1)
		in.rows.Add(int64(r.rows))
		in.lastInsertNS.Store(int64(r.inserted))
	}
	in.acked.Add(int64(len(b.msgs)))
	in.duplicates.Add(int64(r.dropped))
	in.lastLatency.Store(int64(time.Since(b.first)))
	b.reset()
	l.cur, l.spare = nil, b
}

// handBack returns the messages of b to the stream, for delivery at once, and empties b.
func (l *ingestLoop) handBack(b *ingestBatch) {
	for _, m := range b.msgs {
		_ = m.Nak() // a lost one comes back after AckWait
	}
	b.reset()
}

// keepAlive tells the server that the messages of b are still being worked on, when it
// was last told AckWait/4 ago or more, so that it does not deliver them elsewhere.
func (l *ingestLoop) keepAlive(b *ingestBatch, now time.Time) {
	if b == nil || len(b.msgs) == 0 || now.Sub(b.touched) < l.in.cfg.AckWait/4 {
		return
	}
	for _, m := range b.msgs {
		_ = m.InProgress() // a lost one may mean a redelivery, which the check absorbs
	}
	b.touched = now
}

// pull sets up the consumer if needed and opens a pull request for the room left in the
// batch being filled, so that the batch never overflows, waiting until the batch's
// deadline when it has messages.
func (l *ingestLoop) pull(ctx context.Context, now time.Time) error {
	if l.cons == nil {
		cons, err := l.in.setUp(ctx)
		if err != nil {
			return err
		}
		l.cons, l.verify = cons, true
	}
	wait := ingestMaxPullWait
	if len(l.next.msgs) > 0 {
		if left := l.next.first.Add(l.in.cfg.FlushInterval).Sub(now); left > 0 {
			wait = min(max(left, ingestMinPullWait), ingestMaxPullWait)
		} // else overdue, so waiting for the batch before it to be stored: read ahead
	}
	// A message holds one event or many: the request asks for as many messages as hold
	// the events the batch has room for, at the last batch's events per message (one
	// message, to measure, before any arrived), and for no more than ingestMaxPullBytes
	// of messages as large as the largest seen lately. A batch may thus exceed BatchSize
	// by a message or a few. Not a limit in bytes (max_bytes): the client ends such a
	// request itself when it counts the bytes reached, and a message the server sends
	// after that, counting them differently, would come back only after AckWait.
	room := l.in.cfg.BatchSize - l.next.size
	n := 1
	if l.eventsPerMsg > 0 {
		n = min(max(int(float64(room)/l.eventsPerMsg), 1), max(ingestMaxPullBytes/max(l.msgBytes, 1), 1), ingestMaxPull)
	}
	mb, err := l.cons.Fetch(n, jetstream.FetchMaxWait(wait))
	if err != nil {
		l.cons = nil
		return fmt.Errorf("pulling from consumer %s: %w", l.in.cfg.Durable, err)
	}
	l.fetch, l.fetchMsgs = mb, mb.Messages()
	return nil
}

// endFetch forgets the pull request whose messages all arrived, and returns its error:
// nil when it ended by running out of time or of messages to ask for.
func (l *ingestLoop) endFetch() error {
	err := l.fetch.Error()
	l.fetch, l.fetchMsgs = nil, nil
	if err == nil {
		return nil
	}
	l.cons = nil
	return fmt.Errorf("pulling from consumer %s: %w", l.in.cfg.Durable, err)
}

// stop waits for what the loop started: the open pull request, which the server ends
// within ingestMaxPullWait, and the attempt to store. It acknowledges nothing: the
// messages it holds, and those of the request, come back after AckWait.
func (l *ingestLoop) stop() {
	if l.fetchMsgs != nil {
		for range l.fetchMsgs {
		}
	}
	if l.attempting {
		<-l.results
	}
}

// add converts m and appends it to the batch being filled, or parks it (when parking
// fails, m is handed back for a later delivery).
func (l *ingestLoop) add(ctx context.Context, m jetstream.Msg) {
	in, b := l.in, l.next
	var seq, delivered uint64 // zero when unknown
	if meta, err := m.Metadata(); err == nil {
		seq, delivered = meta.Sequence.Stream, meta.NumDelivered
	}
	// Whether m may have been delivered before, so that its event may be stored or in a
	// batch before this one (see Ingester): a delivery count that says so or cannot be
	// read, or a "new" message that the stream order says is not.
	again := delivered != 1
	if !again {
		if seq <= in.newest {
			again = true
		} else {
			in.newest = seq
		}
	}
	events, rows := len(b.events), len(b.rows)
	if reason := in.convert(m, b); reason != "" {
		// Nothing of m stays in the batch.
		clear(b.events[events:])
		b.events = b.events[:events]
		clear(b.rows[rows:])
		b.rows = b.rows[:rows]
		in.parkAndAck(ctx, m, seq, reason)
		return
	}
	if len(b.msgs) == 0 {
		b.first = time.Now()
		b.touched = b.first
	}
	if again {
		b.redelivered = append(b.redelivered, len(b.msgs))
	}
	b.msgs = append(b.msgs, m)
	b.msgEnds = append(b.msgEnds, len(b.events))
	k := max(len(b.events)-events, 1)
	b.size += k
	b.maxBytes = max(b.maxBytes, len(m.Data()))
	l.msgBytes = max(l.msgBytes, b.maxBytes)
	if l.eventsPerMsg == 0 {
		l.eventsPerMsg = float64(k)
	}
}

// The range of times analytics can store (ClickHouse's DateTime): an event outside it
// would make every insert of its batch fail, for ever.
var (
	minAnalyticsTime = time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)
	maxAnalyticsTime = time.Date(2105, 12, 31, 0, 0, 0, 0, time.UTC)
)

// convert appends the events of m and their rows to b, or returns why m cannot be used
// (and may have appended some).
func (in *Ingester) convert(m jetstream.Msg, b *ingestBatch) string {
	h := m.Headers()
	if h.Get(HeaderEventType) == TrackedBatchType {
		return in.convertTracked(m, b)
	}
	id := h.Get(jetstream.MsgIDHeader)
	if id == "" {
		return "no " + jetstream.MsgIDHeader + " header (the event id)"
	}
	if !isUUID(id) {
		return fmt.Sprintf("the event id %q is not a UUID", id)
	}
	typ := h.Get(HeaderEventType)
	if typ == "" {
		return "no " + HeaderEventType + " header"
	}
	if !onSubject(in.cfg.Subjects.Prefix, m.Subject(), typ) {
		return fmt.Sprintf("a %s event must be published on %s, not %s", typ, in.cfg.Subjects.For(typ), m.Subject())
	}
	at, err := time.Parse(time.RFC3339Nano, h.Get(HeaderEventAt))
	if err != nil {
		return "bad " + HeaderEventAt + " header: " + err.Error()
	}
	rows, err := domain.ToAnalytics(id, typ, h.Get(HeaderEventKey), at, m.Data())
	if err != nil {
		return err.Error()
	}
	for _, r := range rows {
		if reason := checkTime(r.At); reason != "" {
			return reason
		}
	}
	if len(rows) > 0 {
		b.rows = append(b.rows, rows...)
		b.events = append(b.events, ingestEvent{id: id, end: len(b.rows)})
	}
	return ""
}

// checkTime returns why an event of time at cannot be stored, or "".
func checkTime(at time.Time) string {
	if at.Before(minAnalyticsTime) || at.After(maxAnalyticsTime) {
		return fmt.Sprintf("the event time %s is outside the range analytics can store", at.Format(time.RFC3339))
	}
	return ""
}

// convertTracked appends the events of a batch of clickstream events (TrackedBatchType)
// and their rows to b, or returns why the message cannot be used: a message is stored
// whole or parked whole. Each event is identified by its own id.
func (in *Ingester) convertTracked(m jetstream.Msg, b *ingestBatch) string {
	if !onSubject(in.cfg.Subjects.Prefix, m.Subject(), TrackedBatchType) {
		return fmt.Sprintf("a %s message must be published on %s, not %s", TrackedBatchType, in.cfg.Subjects.For(TrackedBatchType), m.Subject())
	}
	var reason string
	err := DecodeTrackedBatch(m.Data(), func(i int, e *domain.TrackedEvent) error {
		base := domain.AnalyticsEvent{EventID: e.ID, EntityID: e.SessionID, At: e.At, Currency: domain.DefaultCurrency}
		r := domain.TrackedRow(base, *e)
		if reason = checkTime(r.At); reason != "" {
			reason = fmt.Sprintf("event %d (%s): %s", i, e.ID, reason)
			return errors.New(reason)
		}
		b.rows = append(b.rows, r)
		b.events = append(b.events, ingestEvent{id: e.ID, end: len(b.rows)})
		return nil
	})
	if reason != "" {
		return reason
	}
	if err != nil {
		return "decoding a " + TrackedBatchType + " message: " + err.Error()
	}
	return ""
}

// parkAndAck parks m and acknowledges it. When parking fails, it hands m back for a
// delivery a second later.
func (in *Ingester) parkAndAck(ctx context.Context, m jetstream.Msg, seq uint64, reason string) {
	log := in.log.With("subject", m.Subject(), "seq", seq, "reason", reason)
	pctx, cancel := context.WithTimeout(ctx, ingestParkTimeout)
	defer cancel()
	if err := in.park(pctx, m, seq, reason); err != nil {
		in.failures.Add(1)
		log.Warn("parking an unusable analytics message failed; it will come back", "err", err)
		_ = m.NakWithDelay(time.Second)
		return
	}
	in.parked.Add(1)
	log.Warn("analytics message parked", "dead_letter", in.cfg.DeadLetterSubject)
	if err := m.Ack(); err != nil {
		// It comes back, and is parked again (the dead-letter stream drops the copy
		// within its duplicate window).
		log.Warn("acknowledging a parked analytics message failed", "err", err)
	}
}

// park publishes a copy of m on the dead-letter subject, with the reason, and waits for
// the dead-letter stream to store it. Its message id is derived from the original's
// stream and sequence, so a message parked twice in a row is stored once.
func (in *Ingester) park(ctx context.Context, m jetstream.Msg, seq uint64, reason string) error {
	dead := nats.NewMsg(in.cfg.DeadLetterSubject)
	dead.Data = m.Data()
	for k, vs := range m.Headers() {
		if !strings.HasPrefix(strings.ToLower(k), "nats-") {
			dead.Header[k] = vs
		}
	}
	dead.Header.Set(HeaderDeadReason, headerValue(reason))
	dead.Header.Set(HeaderDeadSubject, m.Subject())
	dead.Header.Set(HeaderDeadSequence, strconv.FormatUint(seq, 10))
	if id := m.Headers().Get(jetstream.MsgIDHeader); id != "" {
		dead.Header.Set(HeaderDeadMsgID, headerValue(id))
	}
	if !in.deadLetterReady {
		if err := in.ensureDeadLetterStream(ctx); err != nil {
			return err
		}
		in.deadLetterReady = true
	}
	opts := []jetstream.PublishOpt{jetstream.WithExpectStream(in.cfg.DeadLetterStream)}
	if seq != 0 {
		opts = append(opts, jetstream.WithMsgID("analytics-dead-"+in.cfg.Stream+"-"+strconv.FormatUint(seq, 10)))
	}
	if _, err := in.js.PublishMsg(ctx, dead, opts...); err != nil {
		in.deadLetterReady = false // deleted meanwhile, say: ensure it again next time
		return fmt.Errorf("parking on %s: %w", dead.Subject, err)
	}
	return nil
}

// ensureDeadLetterStream creates the stream of parked messages, or updates it to the
// configuration, when the first message is parked: an ingester that never parks
// anything leaves no stream behind.
func (in *Ingester) ensureDeadLetterStream(ctx context.Context) error {
	_, err := in.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        in.cfg.DeadLetterStream,
		Description: "analytics events the ingester could not use, with the reason",
		Subjects:    []string{in.cfg.DeadLetterSubject},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		Storage:     jetstream.FileStorage,
		MaxAge:      DefaultMaxAge,
		Duplicates:  DuplicateWindow,
	})
	if err != nil {
		return fmt.Errorf("ensuring dead-letter stream %s: %w", in.cfg.DeadLetterStream, err)
	}
	return nil
}

// store stores the rows of b, leaving out second copies of an event within b and, when
// some of its messages were delivered before or an earlier attempt failed, the events
// the store already has (ExistingEventIDs): each event of a message that holds many is
// checked and left out on its own. It reads b's messages, events and rows, and writes
// only b's scratch space.
func (in *Ingester) store(ctx context.Context, b *ingestBatch) storeResult {
	var res storeResult
	var stored map[string]bool
	if b.uncertain || len(b.redelivered) > 0 {
		b.ids = b.ids[:0]
		if b.uncertain {
			for _, e := range b.events {
				b.ids = append(b.ids, e.id)
			}
		} else {
			for _, i := range b.redelivered {
				s, e := b.msgSpan(i)
				for _, ev := range b.events[s:e] {
					b.ids = append(b.ids, ev.id)
				}
			}
		}
		res.checked = len(b.ids)
		if len(b.ids) > 0 {
			var err error
			if stored, err = in.w.ExistingEventIDs(ctx, b.ids); err != nil {
				res.err = fmt.Errorf("checking which of %d events delivered again are stored: %w", len(b.ids), err)
				return res
			}
		}
	}
	// The events table counts every row it is given: an event must reach it once, even
	// when the stream holds it twice (published again after its duplicate window).
	if b.seen == nil {
		b.seen = make(map[string]struct{}, len(b.events))
	}
	clear(b.seen)
	b.drop = b.drop[:0]
	for j, e := range b.events {
		if _, twice := b.seen[e.id]; twice || stored[e.id] {
			b.drop = append(b.drop, j)
			continue
		}
		b.seen[e.id] = struct{}{}
	}
	rows := b.rows
	if len(b.drop) > 0 {
		res.dropped = len(b.drop)
		b.out = b.out[:0]
		prev := 0
		for _, j := range b.drop {
			s, e := b.eventSpan(j)
			b.out = append(b.out, b.rows[prev:s]...)
			prev = e
		}
		rows = append(b.out, b.rows[prev:]...)
		b.out = rows
	}
	if len(rows) == 0 {
		return res
	}
	start := time.Now()
	if err := in.w.Insert(ctx, rows); err != nil {
		res.err = fmt.Errorf("inserting %d rows of %d events: %w", len(rows), len(b.events)-res.dropped, err)
		return res
	}
	res.rows, res.inserted = len(rows), time.Since(start)
	return res
}

// msgSpan returns where the events of message i are in b.events.
func (b *ingestBatch) msgSpan(i int) (start, end int) {
	if i > 0 {
		start = b.msgEnds[i-1]
	}
	return start, b.msgEnds[i]
}

// eventSpan returns where the rows of event j are in b.rows.
func (b *ingestBatch) eventSpan(j int) (start, end int) {
	if j > 0 {
		start = b.events[j-1].end
	}
	return start, b.events[j].end
}

// setUp ensures the durable consumer on the events stream.
func (in *Ingester) setUp(ctx context.Context) (jetstream.Consumer, error) {
	ctx, cancel := context.WithTimeout(ctx, ingestSetUpTimeout)
	defer cancel()
	cfg := in.cfg
	cons, err := in.js.CreateOrUpdateConsumer(ctx, cfg.Stream, jetstream.ConsumerConfig{
		Durable:       cfg.Durable,
		Description:   "shopgraph: copies the events into the analytics store",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       cfg.AckWait,
		MaxDeliver:    -1, // events wait for the store, however long it is away
		MaxAckPending: 4 * cfg.BatchSize,
	})
	if err != nil {
		return nil, fmt.Errorf("ensuring consumer %s on stream %s: %w", cfg.Durable, cfg.Stream, err)
	}
	return cons, nil
}

// onSubject reports whether subject is the one events of type typ are published on under
// prefix (Subjects.For), without building it.
func onSubject(prefix, subject, typ string) bool {
	if prefix == "" {
		return subject == typ
	}
	return len(subject) == len(prefix)+1+len(typ) && strings.HasPrefix(subject, prefix) &&
		subject[len(prefix)] == '.' && strings.HasSuffix(subject, typ)
}

// filterMatches reports whether the subject filter (with * and > wildcards) captures
// subject.
func filterMatches(filter, subject string) bool {
	fs, ss := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, f := range fs {
		if f == ">" {
			return len(ss) > i
		}
		if i >= len(ss) || (f != "*" && f != ss[i]) {
			return false
		}
	}
	return len(fs) == len(ss)
}

// isUUID reports whether s is a UUID in its canonical text form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// retryBackoff is a delay that doubles from min up to max.
type retryBackoff struct{ d, min, max time.Duration }

// next returns the delay to wait now and doubles the next one.
func (b *retryBackoff) next() time.Duration {
	if b.d == 0 {
		b.d = b.min
	} else {
		b.d = min(2*b.d, b.max)
	}
	return b.d
}

// reset starts the delays over.
func (b *retryBackoff) reset() { b.d = 0 }

// resetTimer makes t fire at at (at once when at has passed).
func resetTimer(t *time.Timer, at time.Time) {
	t.Reset(max(time.Until(at), 0))
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
