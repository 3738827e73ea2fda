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

	"github.com/shopgraph/shopgraph/domain"
)

// The subscription hub.
//
// Every replica runs one Hub: one core NATS subscription (not a JetStream consumer, so that
// every replica sees every message) on the order events, fanned out in memory to the
// watchers of each order id. A GraphQL subscription costs a Watcher (a few hundred bytes
// and a small buffer), not a NATS subscription. Core NATS delivers at most once: messages
// published while this process was disconnected are lost to it, which is why the hub tells
// every watcher to resynchronise (read the order's history again) after a reconnection,
// and why Follow also fills any gap it sees in the sequence numbers from the history.

// DefaultWatcherBuffer is how many events a watcher may have waiting before the hub drops
// it as too slow.
const DefaultWatcherBuffer = 16

// hubShards is the number of independently locked parts of the watcher index, so that
// thousands of subscriptions starting and ending do not queue on one lock.
const hubShards = 32

// How the hub checks on its subscription.
const (
	// hubCheckInterval is how often Run looks for messages the NATS client dropped
	// because the hub fell behind (a slow consumer), which calls for a resynchronisation.
	hubCheckInterval = time.Second
	// hubFlushTimeout bounds the round trip that confirms the server has the
	// subscription, after the start and after each reconnection.
	hubFlushTimeout = 5 * time.Second
)

// The reasons a watcher ends, as Watcher.Err returns them.
var (
	// ErrSlowWatcher ends a watcher whose buffer was full when an event for it arrived:
	// it missed that event, and the hub does not wait for anyone.
	ErrSlowWatcher = errors.New("events: watcher dropped: it did not keep up with its events")
	// ErrHubClosed ends every watcher when the hub stops, and is the error of a watcher
	// made after it stopped.
	ErrHubClosed = errors.New("events: the subscription hub is closed")
	// ErrWatcherClosed is the error of a watcher its owner closed.
	ErrWatcherClosed = errors.New("events: watcher closed")
)

// HubConfig adjusts a Hub. The zero value is usable.
type HubConfig struct {
	// Buffer is how many events each watcher may have waiting; zero or less means
	// DefaultWatcherBuffer.
	Buffer int
	// Log receives the hub's warnings; nil discards them.
	Log *slog.Logger
}

// Hub fans the order status events of NATS out to the watchers of each order, with one
// NATS subscription for the whole process. Its methods are safe for concurrent use; Run
// must be called once. The counters may be read at any time.
type Hub struct {
	nc      *nats.Conn
	subject string
	buffer  int
	log     *slog.Logger

	shards [hubShards]hubShard

	ready     chan struct{}
	readyOnce sync.Once
	started   atomic.Bool
	watchers  atomic.Int64
	messages  atomic.Int64
	malformed atomic.Int64
	dropped   atomic.Int64
	resyncs   atomic.Int64
}

// hubShard is one part of the watcher index: the watchers of the order ids that hash to
// it. A watcher's position in its order's slice is kept in the watcher, so that removing
// it costs no search.
type hubShard struct {
	mu     sync.Mutex
	orders map[int64][]*Watcher
	closed bool // the hub has stopped: no watcher may join
}

// NewHub returns a hub for the order events of subjects on nc; cfg's zero fields take the
// defaults. It subscribes to nothing until Run.
func NewHub(nc *nats.Conn, subjects Subjects, cfg HubConfig) *Hub {
	if cfg.Buffer <= 0 {
		cfg.Buffer = DefaultWatcherBuffer
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h := &Hub{
		nc:      nc,
		subject: subjects.For(FamilyOrder + ".*"),
		buffer:  cfg.Buffer,
		log:     log.With("component", "subscription-hub"),
		ready:   make(chan struct{}),
	}
	for i := range h.shards {
		h.shards[i].orders = make(map[int64][]*Watcher)
	}
	return h
}

// Ready returns a channel that is closed once the NATS server has confirmed the hub's
// subscription for the first time, and the watchers registered before have been told to
// resynchronise: from then on, every order event published reaches the watchers (as long
// as the connection holds).
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// Watchers returns how many watchers are registered.
func (h *Hub) Watchers() int { return int(h.watchers.Load()) }

// Messages returns how many order event messages the hub has handled: fanned out to the
// watchers of their order, or found malformed and skipped. A message is counted once every
// watcher has it (or was dropped).
func (h *Hub) Messages() int64 { return h.messages.Load() }

// Malformed returns how many of the messages could not be decoded and were skipped.
func (h *Hub) Malformed() int64 { return h.malformed.Load() }

// Dropped returns how many watchers were dropped with ErrSlowWatcher.
func (h *Hub) Dropped() int64 { return h.dropped.Load() }

// Resyncs returns how many times the hub has signalled every watcher to resynchronise:
// after each (re)connection to NATS and after the NATS client dropped messages.
func (h *Hub) Resyncs() int64 { return h.resyncs.Load() }

// Run subscribes to the order events and fans them out until ctx ends, then unsubscribes,
// ends every watcher with ErrHubClosed and returns nil. It returns an error, after ending
// every watcher the same way, when it cannot subscribe or when the NATS connection is
// closed under it. Watchers registered before Run are signalled to resynchronise once the
// subscription is in place, as they may have missed events. Each time the connection comes
// back after a disconnection (and each time the NATS client reports dropped messages),
// every watcher is signalled to resynchronise. Run must be called once.
func (h *Hub) Run(ctx context.Context) error {
	if !h.started.CompareAndSwap(false, true) {
		return errors.New("events: Hub.Run called more than once")
	}
	defer h.closeAll()
	status := h.nc.StatusChanged(nats.CONNECTED, nats.CLOSED)
	defer h.nc.RemoveStatusListener(status)
	sub, err := h.nc.Subscribe(h.subject, h.deliver)
	if err != nil {
		return fmt.Errorf("subscribing to %s: %w", h.subject, err)
	}
	defer func() {
		if err := sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			h.log.Warn("unsubscribing", "subject", h.subject, "err", err)
		}
	}()
	h.log.Info("subscribed", "subject", h.subject)
	if h.nc.IsConnected() {
		h.resyncAfterFlush(ctx, "subscribed")
	} // else the CONNECTED status will come
	tick := time.NewTicker(hubCheckInterval)
	defer tick.Stop()
	var lastDropped int
	for {
		select {
		case <-ctx.Done():
			return nil
		case st := <-status:
			switch st {
			case nats.CONNECTED:
				h.resyncAfterFlush(ctx, "reconnected")
			case nats.CLOSED:
				return errors.New("events: hub: the nats connection is closed")
			}
		case <-tick.C:
			if d, err := sub.Dropped(); err == nil && d > lastDropped {
				h.log.Warn("the nats client dropped order events: the hub fell behind", "dropped", d-lastDropped)
				lastDropped = d
				h.resyncAll()
			}
		}
	}
}

// resyncAfterFlush waits until the server has confirmed the subscription (a PING round
// trip after the SUB the client sends on connecting), so that whatever a watcher reads
// from the history after the signal, anything later reaches it live; then it signals
// every watcher. A failed flush is logged and the signal sent all the same: a resync too
// early costs a history read, a missed one a stuck subscriber.
func (h *Hub) resyncAfterFlush(ctx context.Context, why string) {
	fctx, cancel := context.WithTimeout(ctx, hubFlushTimeout)
	defer cancel()
	err := h.nc.FlushWithContext(fctx)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		h.log.Warn("flushing the subscription", "err", err)
	}
	n := h.resyncAll()
	h.log.Info("resynchronising watchers", "why", why, "watchers", n)
	if err == nil {
		h.readyOnce.Do(func() { close(h.ready) })
	}
}

// resyncAll signals every watcher to resynchronise and returns how many there are.
func (h *Hub) resyncAll() int {
	h.resyncs.Add(1)
	n := 0
	for i := range h.shards {
		s := &h.shards[i]
		s.mu.Lock()
		for _, ws := range s.orders {
			for _, w := range ws {
				w.signalResync()
				n++
			}
		}
		s.mu.Unlock()
	}
	return n
}

// closeAll ends every watcher with ErrHubClosed and makes Watch return ended watchers.
func (h *Hub) closeAll() {
	for i := range h.shards {
		s := &h.shards[i]
		s.mu.Lock()
		s.closed = true
		for id, ws := range s.orders {
			for _, w := range ws {
				w.idx = -1
				w.end(ErrHubClosed)
			}
			h.watchers.Add(-int64(len(ws)))
			delete(s.orders, id)
		}
		s.mu.Unlock()
	}
}

// deliver is the subscription's handler: the NATS client calls it for one message at a
// time, in arrival order, on its own goroutine.
func (h *Hub) deliver(m *nats.Msg) {
	defer h.messages.Add(1)
	// Most orders have no watcher in this process: the relay names the order in the key
	// header, so their events are passed over without decoding. A watcher that arrives
	// just after finds the event in the history it reads once watching.
	if id, err := strconv.ParseInt(m.Header.Get(HeaderEventKey), 10, 64); err == nil && !h.watched(id) {
		return
	}
	ev, err := decodeStatusEvent(m)
	if err != nil {
		h.malformed.Add(1)
		h.log.Warn("skipping a malformed order event", "subject", m.Subject, "err", err)
		return
	}
	s := h.shard(ev.OrderID)
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.orders[ev.OrderID]
	shared := &ev // one copy for every watcher of the order
	// Backwards, since dropping a watcher moves the last one into its place.
	for i := len(ws) - 1; i >= 0; i-- {
		w := ws[i]
		select {
		case w.c <- shared:
			w.wake()
		default:
			s.remove(h, w)
			w.end(ErrSlowWatcher)
			h.dropped.Add(1)
			h.log.Info("dropped a slow watcher", "order", ev.OrderID, "sequence", ev.Sequence)
		}
	}
}

// watched reports whether the order has a watcher in this process.
func (h *Hub) watched(orderID int64) bool {
	s := h.shard(orderID)
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.orders[orderID]) > 0
}

// decodeStatusEvent turns an order event message, as the relay publishes it, into the
// status event it announces. The time comes from the Shopgraph-Event-At header, the rest
// from the payload (domain.OrderEventData).
func decodeStatusEvent(m *nats.Msg) (domain.StatusEvent, error) {
	var d domain.OrderEventData
	if err := json.Unmarshal(m.Data, &d); err != nil {
		return domain.StatusEvent{}, fmt.Errorf("decoding the payload: %w", err)
	}
	if d.OrderID == 0 {
		// The payload always names the order; the key header is a fallback.
		id, err := strconv.ParseInt(m.Header.Get(HeaderEventKey), 10, 64)
		if err != nil {
			return domain.StatusEvent{}, errors.New("the event names no order")
		}
		d.OrderID = id
	}
	if d.Sequence <= 0 || !d.Status.Valid() {
		return domain.StatusEvent{}, fmt.Errorf("order %d: sequence %d, status %q: not a status change", d.OrderID, d.Sequence, d.Status)
	}
	// Amendments and return steps are history entries too: the status they carry is the
	// one the order stays in, and they are delivered like any other.
	ev := domain.StatusEvent{
		OrderID: d.OrderID, Sequence: d.Sequence, Kind: d.Kind, Status: d.Status, Previous: d.Previous,
		Note: d.Reason, RefundAmount: d.RefundMinor, ChargeAmount: d.ChargeMinor, TotalAmount: d.TotalMinor, ReturnID: d.ReturnID,
	}
	if d.Carrier != "" || d.Tracking != "" {
		ev.Shipment = &domain.Shipment{Carrier: d.Carrier, TrackingNumber: d.Tracking}
	}
	if at := m.Header.Get(HeaderEventAt); at != "" {
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return domain.StatusEvent{}, fmt.Errorf("order %d: parsing %s: %w", d.OrderID, HeaderEventAt, err)
		}
		ev.At = t
	}
	return ev, nil
}

func (h *Hub) shard(orderID int64) *hubShard {
	return &h.shards[uint64(orderID)%hubShards]
}

// Watch registers a watcher of the order's status events, which receives every event the
// hub sees for the order from now on, until it is closed, dropped for being slow, or the
// hub stops. The caller must Close it when done. After the hub has stopped, Watch returns
// a watcher that has already ended with ErrHubClosed.
func (h *Hub) Watch(orderID int64) *Watcher {
	w := &Watcher{hub: h, orderID: orderID, resync: make(chan struct{}, 1), done: make(chan struct{}), idx: -1}
	s := h.shard(orderID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		w.c = make(chan *domain.StatusEvent) // never sent on
		w.end(ErrHubClosed)
		return w
	}
	w.c = make(chan *domain.StatusEvent, h.buffer)
	w.idx = len(s.orders[orderID])
	s.orders[orderID] = append(s.orders[orderID], w)
	h.watchers.Add(1)
	return w
}

// remove takes w out of the index; s.mu must be held and w must be in s.
func (s *hubShard) remove(h *Hub, w *Watcher) {
	ws := s.orders[w.orderID]
	last := len(ws) - 1
	ws[w.idx] = ws[last]
	ws[w.idx].idx = w.idx
	ws[last] = nil
	if last == 0 {
		delete(s.orders, w.orderID)
	} else {
		s.orders[w.orderID] = ws[:last]
	}
	w.idx = -1
	h.watchers.Add(-1)
}

// Watcher receives the status events of one order from a Hub. Its methods are safe for
// concurrent use.
type Watcher struct {
	hub     *Hub
	orderID int64
	c       chan *domain.StatusEvent
	resync  chan struct{}
	done    chan struct{}
	err     error // set before done is closed

	idx int // position in the shard's slice of the order, -1 once out; guarded by the shard's lock

	notify atomic.Pointer[func()] // see Notify
}

// Notify registers wake, to be called each time the watcher's channels may have something
// new: an event in C, a signal in Resync, or Done closed. It lets a reader that does not
// wait on the channels (one serving many subscriptions from one goroutine) poll them only
// when there is something to take. wake is called on the hub's goroutine with the hub's
// locks held: it must return quickly and must not call back into the hub or the watcher.
// Anything that arrived before Notify was called is not announced: poll once after.
func (w *Watcher) Notify(wake func()) {
	if wake == nil {
		w.notify.Store(nil)
		return
	}
	w.notify.Store(&wake)
}

// wake calls the function Notify registered, if any.
func (w *Watcher) wake() {
	if f := w.notify.Load(); f != nil {
		(*f)()
	}
}

// C returns the channel of the order's events, in the order NATS delivered them. Events
// may arrive twice or with gaps (see Follow, which handles both). The channel is never
// closed: select on Done as well. Events may be left in it after Done is closed. An event
// is shared with the other watchers of the order: treat it as read-only.
func (w *Watcher) C() <-chan *domain.StatusEvent { return w.c }

// Resync returns a channel that receives a value when events may have been missed (after
// NATS reconnected, or the hub fell behind): the receiver should read the order's history
// again. Signals that are not yet received fold into one.
func (w *Watcher) Resync() <-chan struct{} { return w.resync }

// Done returns a channel that is closed when the watcher has ended: closed by its owner,
// dropped for being slow, or ended by the hub stopping. Err says which.
func (w *Watcher) Done() <-chan struct{} { return w.done }

// Err returns nil while the watcher runs, then ErrWatcherClosed, ErrSlowWatcher or
// ErrHubClosed.
func (w *Watcher) Err() error {
	select {
	case <-w.done:
		return w.err
	default:
		return nil
	}
}

// Close ends the watcher, unless it has ended already, and takes it out of the hub. It is
// idempotent.
func (w *Watcher) Close() {
	s := w.hub.shard(w.orderID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.idx < 0 {
		return // dropped, ended with the hub, or closed before
	}
	s.remove(w.hub, w)
	w.end(ErrWatcherClosed)
}

// end records why the watcher ended and closes done; the shard's lock must be held (or the
// watcher not yet published), and end is called once.
func (w *Watcher) end(err error) {
	w.err = err
	close(w.done)
	w.wake()
}

// signalResync sends a resync signal unless one is already waiting.
func (w *Watcher) signalResync() {
	select {
	case w.resync <- struct{}{}:
		w.wake()
	default:
	}
}
