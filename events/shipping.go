package events

import (
	"context"
	"encoding/json"
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

// Shipping providers publish what happens to parcels on subjects of their own, in a
// stream of its own (SHIPPING), apart from the stream of shopgraph's events: those are
// facts shopgraph wrote, these are claims from outside, with their own publishers
// (and permissions), and the analytics ingester must not replay them as shop events.
//
// A message of type "shipment.delivered" travels on "shipping.delivered" (under the
// subject prefix, as every subject). A message that cannot be applied is parked on
// "deadletter.shipping", outside the consumer's filter "shipping.>", so that the consumer
// never reads back what it parked.
const (
	// ShippingFilter captures every shipping message.
	ShippingFilter = "shipping.>"
	// ShippingDeadLetter is where unusable shipping messages are parked.
	ShippingDeadLetter = "deadletter.shipping"
	// DefaultShippingStream is the name of the stream of shipping messages.
	DefaultShippingStream = "SHIPPING"
	// DefaultShippingDurable is the name of the durable consumer shared by every replica.
	DefaultShippingDurable = "shopgraph-shipping"
)

// The headers of a parked (dead-lettered) shipping message. The original's headers are
// kept, except the Nats-* ones: its Nats-Msg-Id would make the stream drop the parked
// copy as a duplicate of the original.
const (
	// HeaderDeadReason says why the message was parked.
	HeaderDeadReason = "Shopgraph-Dead-Reason"
	// HeaderDeadSubject is the subject the message arrived on.
	HeaderDeadSubject = "Shopgraph-Dead-Subject"
	// HeaderDeadSequence is the original's sequence number in the shipping stream.
	HeaderDeadSequence = "Shopgraph-Dead-Sequence"
	// HeaderDeadMsgID is the original's Nats-Msg-Id, when it had one.
	HeaderDeadMsgID = "Shopgraph-Dead-Msg-Id"
)

// The shipping consumer's defaults.
const (
	// DefaultShippingDuplicateWindow is how long the shipping stream remembers message
	// ids (the providers' event ids): a provider's retry within it is stored once.
	DefaultShippingDuplicateWindow = time.Hour
	// DefaultShippingAckWait is how long the server waits for an acknowledgement before
	// it delivers a message again.
	DefaultShippingAckWait = 30 * time.Second
	// DefaultShippingRetryDelay is the first delay before a message that failed for a
	// transient reason (the database is down) is delivered again; it doubles with each
	// delivery up to DefaultShippingMaxRetryDelay.
	DefaultShippingRetryDelay    = time.Second
	DefaultShippingMaxRetryDelay = time.Minute
)

// shippingPullBatch is how many messages the consumer buffers. It handles one at a time,
// so a small buffer keeps buffered messages well within their ack wait.
const shippingPullBatch = 16

// shippingReplans bounds how often one message re-reads an order that another writer
// changed under it; each round means the order moved, so a few suffice.
const shippingReplans = 4

// ShippingSubject returns the subject (without prefix) of a message type, such as
// "shipping.delivered" for domain.ShippingDelivered, or "" for an unknown type. Put it
// under the deployment's prefix with Subjects.For.
func ShippingSubject(t domain.ShippingType) string {
	if !t.Valid() {
		return ""
	}
	return "shipping." + t.Kind()
}

// ShippingStreamName returns the name of the shipping stream that goes with the events
// stream named eventStream: DefaultShippingStream for the default ("" or DefaultStream),
// else eventStream + "_SHIPPING", so that deployments (and tests) sharing a NATS server
// keep their shipping streams apart as they do their event streams.
func ShippingStreamName(eventStream string) string {
	if eventStream == "" || eventStream == DefaultStream {
		return DefaultShippingStream
	}
	return eventStream + "_SHIPPING"
}

// ShippingOrders is what the shipping consumer needs from the order store.
// postgres.OrderStore implements it.
type ShippingOrders interface {
	// OrderByNumber returns the order with the number, or a NOT_FOUND *domain.Error.
	OrderByNumber(ctx context.Context, number string) (domain.Order, error)
	// Transition is domain.OrderStore.Transition: with t.Expect set, a *domain.BusinessError
	// coded STALE when the order is no longer in that status.
	Transition(ctx context.Context, orderID int64, t domain.Transition) (domain.Order, domain.StatusEvent, error)
}

// ShippingConfig adjusts a ShippingConsumer. The zero value is usable.
type ShippingConfig struct {
	// Subjects puts the shipping subjects under the deployment's prefix.
	Subjects Subjects
	// Stream names the shipping stream; empty means DefaultShippingStream.
	Stream string
	// Durable names the consumer; empty means DefaultShippingDurable. Replicas with the
	// same name share the messages, and a restarted process resumes where it left off.
	Durable string
	// Log receives the consumer's reports; nil discards them.
	Log *slog.Logger
	// AckWait is how long a delivered message may stay unacknowledged; zero means
	// DefaultShippingAckWait. Handling one message is bounded by half of it.
	AckWait time.Duration
	// RetryDelay and MaxRetryDelay bound the delay before a message that failed for a
	// transient reason comes back; zero means the defaults.
	RetryDelay, MaxRetryDelay time.Duration
	// MaxAge is how long the stream keeps messages, parked ones included; zero means
	// DefaultMaxAge.
	MaxAge time.Duration
	// Replicas is the number of copies of the stream in a NATS cluster; zero means one.
	Replicas int
}

func (cfg ShippingConfig) withDefaults() ShippingConfig {
	if cfg.Stream == "" {
		cfg.Stream = DefaultShippingStream
	}
	if cfg.Durable == "" {
		cfg.Durable = DefaultShippingDurable
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = DefaultShippingAckWait
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = DefaultShippingRetryDelay
	}
	if cfg.MaxRetryDelay <= 0 {
		cfg.MaxRetryDelay = DefaultShippingMaxRetryDelay
	}
	cfg.MaxRetryDelay = max(cfg.MaxRetryDelay, cfg.RetryDelay)
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	return cfg
}

// EnsureShippingStream creates the shipping stream, or updates it to cfg when it exists,
// and returns it. The stream captures the shipping subjects and the dead-letter subject
// under cfg.Subjects' prefix; it is file-backed, keeps messages for cfg.MaxAge, and drops
// a message whose Nats-Msg-Id it has seen within DefaultShippingDuplicateWindow (or MaxAge
// when shorter). It is safe to call from every replica. It returns an error when
// JetStream does not answer or refuses the configuration (subjects overlapping another
// stream's, for instance).
func EnsureShippingStream(ctx context.Context, js jetstream.JetStream, cfg ShippingConfig) (jetstream.Stream, error) {
	cfg = cfg.withDefaults()
	sc := jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "shipping providers' messages about parcels, and the ones shopgraph parked",
		Subjects:    []string{cfg.Subjects.For(ShippingFilter), cfg.Subjects.For(ShippingDeadLetter)},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		Storage:     jetstream.FileStorage,
		MaxAge:      cfg.MaxAge,
		Duplicates:  min(DefaultShippingDuplicateWindow, cfg.MaxAge),
		Replicas:    cfg.Replicas,
	}
	s, err := js.CreateOrUpdateStream(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("ensuring stream %s: %w", sc.Name, err)
	}
	return s, nil
}

// ShippingConsumer applies shipping providers' messages to orders through the order
// state machine (domain.DecideShipping), from a durable JetStream pull consumer shared by
// every replica. A message is acknowledged once its transitions committed, or once it
// turned out to change nothing (repeated, late, or informational). A message that cannot
// be applied (bad JSON, an invalid or unknown type, a type that does not match its
// subject, an unknown order number, a tracking number that contradicts the order's
// shipment) is parked on the dead-letter subject with the reason in a header, then
// acknowledged: it never blocks the messages after it. A transient failure (the database
// is down) leaves the message unacknowledged and asks for it again after a delay that
// doubles with each delivery. The counters may be read at any time, from any goroutine.
type ShippingConsumer struct {
	orders ShippingOrders
	js     jetstream.JetStream
	cfg    ShippingConfig
	log    *slog.Logger

	applied  atomic.Int64
	ignored  atomic.Int64
	parked   atomic.Int64
	retried  atomic.Int64
	failures atomic.Int64
}

// NewShippingConsumer returns a consumer applying the messages of js's shipping stream to
// orders; cfg's zero fields take the defaults.
func NewShippingConsumer(orders ShippingOrders, js jetstream.JetStream, cfg ShippingConfig) *ShippingConsumer {
	cfg = cfg.withDefaults()
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &ShippingConsumer{orders: orders, js: js, cfg: cfg, log: log.With("component", "shipping-consumer", "durable", cfg.Durable)}
}

// Applied returns how many messages changed an order.
func (c *ShippingConsumer) Applied() int64 { return c.applied.Load() }

// Ignored returns how many messages were acknowledged without changing anything:
// repeated, late, for an order that cannot take them, or informational (in transit,
// delivery failed).
func (c *ShippingConsumer) Ignored() int64 { return c.ignored.Load() }

// Parked returns how many messages were put on the dead-letter subject.
func (c *ShippingConsumer) Parked() int64 { return c.parked.Load() }

// Retried returns how many deliveries failed for a transient reason and were handed
// back for a later delivery.
func (c *ShippingConsumer) Retried() int64 { return c.retried.Load() }

// Failures returns how many times setting up the stream and consumer, or receiving from
// it, failed; each is retried after a back-off.
func (c *ShippingConsumer) Failures() int64 { return c.failures.Load() }

// Run consumes until ctx ends, then returns nil once everything it started has stopped.
// It creates or updates the stream and the durable consumer, retrying with a back-off
// (100 ms doubling up to 5 s) while NATS does not answer, and sets them up again when
// receiving fails (NATS restarted, the consumer was deleted). It handles one message at
// a time. Run returns an error at once when the durable name is not a valid NATS name.
// Run must not be called concurrently on one ShippingConsumer; several consumers (in one
// process or many) with the same durable name share the messages.
func (c *ShippingConsumer) Run(ctx context.Context) error {
	if strings.ContainsAny(c.cfg.Durable, ".*> \t\r\n/\\") {
		return fmt.Errorf("shipping consumer: invalid durable name %q", c.cfg.Durable)
	}
	var bo backoff
	for ctx.Err() == nil {
		cons, err := c.setUp(ctx)
		if err == nil {
			var got bool
			got, err = c.consume(ctx, cons)
			if got {
				bo.reset()
			}
		}
		if ctx.Err() != nil {
			break
		}
		c.failures.Add(1)
		d := bo.next()
		c.log.Warn("shipping messages cannot be received; setting up again", "err", err, "retry_in", d)
		sleepCtx(ctx, d)
	}
	return nil
}

// setUp ensures the stream and the durable consumer.
func (c *ShippingConsumer) setUp(ctx context.Context) (jetstream.Consumer, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := EnsureShippingStream(ctx, c.js, c.cfg); err != nil {
		return nil, err
	}
	cons, err := c.js.CreateOrUpdateConsumer(ctx, c.cfg.Stream, jetstream.ConsumerConfig{
		Durable:       c.cfg.Durable,
		Description:   "shopgraph: applies shipping providers' messages to orders",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.cfg.AckWait,
		MaxDeliver:    -1, // transient failures wait for the database, however long
		FilterSubject: c.cfg.Subjects.For(ShippingFilter),
	})
	if err != nil {
		return nil, fmt.Errorf("ensuring consumer %s on stream %s: %w", c.cfg.Durable, c.cfg.Stream, err)
	}
	return cons, nil
}

// consume handles messages until ctx ends (nil) or receiving fails (an error). It
// reports whether it received any message.
func (c *ShippingConsumer) consume(ctx context.Context, cons jetstream.Consumer) (got bool, err error) {
	it, err := cons.Messages(jetstream.PullMaxMessages(shippingPullBatch))
	if err != nil {
		return false, fmt.Errorf("pulling from consumer %s: %w", c.cfg.Durable, err)
	}
	defer it.Stop()
	c.log.Info("receiving shipping messages", "stream", c.cfg.Stream, "filter", c.cfg.Subjects.For(ShippingFilter))
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return got, nil
			}
			return got, fmt.Errorf("receiving from consumer %s: %w", c.cfg.Durable, err)
		}
		got = true
		c.handle(ctx, msg)
	}
}

// outcome is what became of a message that did not fail.
type outcome int

const (
	outcomeApplied outcome = iota + 1
	outcomeIgnored
	outcomeParked
)

// handle decides the fate of one message and acknowledges it, parks it, or hands it
// back for a later delivery.
func (c *ShippingConsumer) handle(ctx context.Context, msg jetstream.Msg) {
	var seq uint64
	delivered := uint64(1)
	if meta, err := msg.Metadata(); err == nil {
		seq, delivered = meta.Sequence.Stream, meta.NumDelivered
	}
	log := c.log.With("subject", msg.Subject(), "seq", seq, "delivery", delivered)
	hctx, cancel := context.WithTimeout(ctx, c.cfg.AckWait/2)
	defer cancel()

	m, reason := c.decode(msg)
	var res outcome
	var err error
	if reason == "" {
		log = log.With("type", m.Type, "order", m.OrderNumber, "event_id", m.EventID, "tracking", m.TrackingNumber)
		res, reason, err = c.apply(hctx, log, m)
	} else {
		res = outcomeParked
	}
	if err == nil && res == outcomeParked {
		err = c.park(hctx, msg, seq, reason)
	}
	if err != nil {
		c.retried.Add(1)
		if ctx.Err() != nil {
			// Shutting down: hand it back at once, to another replica if there is one.
			_ = msg.Nak()
			return
		}
		d := c.retryDelay(delivered)
		log.Warn("shipping message failed; it will come back", "err", err, "retry_in", d)
		if nerr := msg.NakWithDelay(d); nerr != nil {
			log.Warn("handing back a shipping message failed; it comes back after the ack wait", "err", nerr)
		}
		return
	}
	switch res {
	case outcomeApplied:
		c.applied.Add(1)
	case outcomeIgnored:
		c.ignored.Add(1)
	case outcomeParked:
		c.parked.Add(1)
		log.Warn("shipping message parked", "reason", reason, "dead_letter", c.cfg.Subjects.For(ShippingDeadLetter))
	}
	// A lost acknowledgement means one more delivery, which changes nothing.
	if err := msg.Ack(); err != nil {
		log.Warn("acknowledging a shipping message failed", "err", err)
	}
}

// decode returns the message's normalized content, or why it cannot be used.
func (c *ShippingConsumer) decode(msg jetstream.Msg) (domain.ShippingMessage, string) {
	var m domain.ShippingMessage
	if err := json.Unmarshal(msg.Data(), &m); err != nil {
		return m, "cannot decode the message as JSON: " + err.Error()
	}
	m = m.Normalize()
	if errs := m.Validate(); len(errs) > 0 {
		problems := make([]string, len(errs))
		for i, e := range errs {
			problems[i] = e.Message
		}
		return m, "invalid message: " + strings.Join(problems, "; ")
	}
	if want := c.cfg.Subjects.For(ShippingSubject(m.Type)); msg.Subject() != want {
		return m, fmt.Sprintf("a %s message must be published on %s, not %s", m.Type, want, msg.Subject())
	}
	return m, ""
}

// apply brings the order up to date with m. It returns outcomeParked with the reason
// when m cannot be applied, and an error when the outcome is unknown (a transient
// failure): then nothing committed, or the commits made are ones a later delivery finds
// done.
func (c *ShippingConsumer) apply(ctx context.Context, log *slog.Logger, m domain.ShippingMessage) (outcome, string, error) {
	o, err := c.orders.OrderByNumber(ctx, m.OrderNumber)
	if domain.IsNotFound(err) {
		return outcomeParked, "unknown order number " + m.OrderNumber, nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("finding order %s: %w", m.OrderNumber, err)
	}
	changed := false
	for range shippingReplans {
		d := domain.DecideShipping(o, m)
		switch d.Action {
		case domain.ShippingReject:
			return outcomeParked, d.Reason, nil
		case domain.ShippingIgnore:
			level := slog.LevelInfo
			if d.Warn {
				level = slog.LevelWarn
			}
			log.Log(ctx, level, "shipping message changes nothing", "status", o.Status, "reason", d.Reason, "note", m.Note, "at", m.At)
			if changed {
				return outcomeApplied, "", nil
			}
			return outcomeIgnored, "", nil
		}
		moved := false
		for _, t := range d.Transitions {
			next, _, err := c.orders.Transition(ctx, o.ID, t)
			if err == nil {
				log.Info("order status changed by its shipping provider", "from", o.Status, "to", next.Status, "at", m.At)
				o, changed = next, true
				continue
			}
			var be *domain.BusinessError
			switch {
			case errors.As(err, &be) && (be.Code == "STALE" || be.Code == "ILLEGAL_TRANSITION"):
				// Someone else moved the order meanwhile: decide again on what it is now.
				moved = true
			case errors.As(err, &be):
				return outcomeParked, "the order refused the change: " + be.Message, nil
			case domain.IsNotFound(err):
				return outcomeParked, "unknown order number " + m.OrderNumber, nil
			default:
				return 0, "", fmt.Errorf("moving order %s to %s: %w", m.OrderNumber, t.To, err)
			}
			break // the remaining steps were decided on a status the order has left
		}
		if !moved {
			return outcomeApplied, "", nil
		}
		if o, err = c.orders.OrderByNumber(ctx, m.OrderNumber); err != nil {
			return 0, "", fmt.Errorf("reading order %s again: %w", m.OrderNumber, err)
		}
	}
	return 0, "", fmt.Errorf("order %s kept changing while a shipping message was applied", m.OrderNumber)
}

// park publishes a copy of msg on the dead-letter subject, with the reason, and waits for
// the stream to store it. Its message id is derived from the original's stream sequence,
// so a message parked twice (its acknowledgement was lost) is stored once.
func (c *ShippingConsumer) park(ctx context.Context, msg jetstream.Msg, seq uint64, reason string) error {
	dead := nats.NewMsg(c.cfg.Subjects.For(ShippingDeadLetter))
	dead.Data = msg.Data()
	for k, vs := range msg.Headers() {
		if !strings.HasPrefix(strings.ToLower(k), "nats-") {
			dead.Header[k] = vs
		}
	}
	dead.Header.Set(HeaderDeadReason, headerValue(reason))
	dead.Header.Set(HeaderDeadSubject, msg.Subject())
	dead.Header.Set(HeaderDeadSequence, strconv.FormatUint(seq, 10))
	if id := msg.Headers().Get(jetstream.MsgIDHeader); id != "" {
		dead.Header.Set(HeaderDeadMsgID, headerValue(id))
	}
	opts := []jetstream.PublishOpt{jetstream.WithExpectStream(c.cfg.Stream)}
	if seq != 0 {
		opts = append(opts, jetstream.WithMsgID("shipping-dead-"+strconv.FormatUint(seq, 10)))
	}
	if _, err := c.js.PublishMsg(ctx, dead, opts...); err != nil {
		return fmt.Errorf("parking on %s: %w", dead.Subject, err)
	}
	return nil
}

// retryDelay returns the delay before the next delivery of a message delivered n times.
func (c *ShippingConsumer) retryDelay(n uint64) time.Duration {
	d := c.cfg.RetryDelay
	for i := uint64(1); i < n && d < c.cfg.MaxRetryDelay; i++ {
		d *= 2
	}
	return min(d, c.cfg.MaxRetryDelay)
}

// headerValue makes s safe as a header value: one line, at most 1000 bytes.
func headerValue(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
	if len(s) > 1000 {
		s = strings.ToValidUTF8(s[:1000], "")
	}
	return s
}
