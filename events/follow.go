package events

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"

	"github.com/shopgraph/shopgraph/domain"
)

// History reads an order's status history. domain.OrderStore satisfies it.
//
// Follow relies on the history holding every event that was published: the writer commits
// the history row before the relay publishes the event, so the history must be read where
// the commit is visible at once (the primary, not a lagging replica).
type History interface {
	// StatusEventsAfter returns the order's history entries with a sequence above after,
	// in sequence order; none for an unknown order.
	StatusEventsAfter(ctx context.Context, orderID int64, after int) ([]domain.StatusEvent, error)
}

var _ History = domain.OrderStore(nil)

// trackingEnds reports whether live tracking of an order completes once it reaches s:
// DELIVERED, CANCELLED and RETURNED. A DELIVERED order may still be returned later, but
// the product tracks a parcel until it arrives.
func trackingEnds(s domain.OrderStatus) bool {
	return s == domain.StatusDelivered || s == domain.StatusCancelled || s == domain.StatusReturned
}

// Follower delivers one order's status events: first from the history, then live, each
// sequence number once and in order. See Follow.
//
// The events are read either with All, on the reader's goroutine (a live subscription then
// costs no goroutine of its own), or from the channel Events returns, which a goroutine of
// the follower's fills. A follower is read one way, once.
type Follower struct {
	ctx      context.Context
	w        *Watcher
	history  History
	orderID  int64
	replay   []domain.StatusEvent
	last     int  // the sequence emitted last, or the one the caller had seen
	complete bool // tracking has ended
	unwatch  func() bool

	started atomic.Bool
	events  chan domain.StatusEvent // Events' channel, made on its first call
	once    sync.Once
	done    chan struct{}
	err     error // set before done is closed
}

// errReaderStopped ends following when the reader of All stops iterating early.
var errReaderStopped = errors.New("events: the reader stopped following")

// All returns the order's status events, in sequence order without gaps or repeats, as an
// iterator that runs on the caller's goroutine and ends when following does (Err then says
// why). The reader must keep up: one that falls behind the live events by more than the
// hub's buffer ends the follower with ErrSlowWatcher. Stopping the iteration early ends
// following. Only the first iteration yields anything, and only if Events was not called.
func (f *Follower) All() iter.Seq[domain.StatusEvent] {
	return func(yield func(domain.StatusEvent) bool) {
		if !f.started.CompareAndSwap(false, true) {
			return
		}
		defer close(f.done)
		f.follow(yield)
	}
}

// Events returns a channel of the order's status events, in sequence order without gaps
// or repeats, filled by a goroutine of the follower's (All without one). It is unbuffered:
// the follower waits for the reader, and a reader that falls behind the live events by
// more than the hub's buffer ends the follower with ErrSlowWatcher. The channel is closed
// when following ends; Err then says why. After All was called, the channel is closed at
// once.
func (f *Follower) Events() <-chan domain.StatusEvent {
	f.once.Do(func() {
		f.events = make(chan domain.StatusEvent)
		if !f.started.CompareAndSwap(false, true) {
			close(f.events)
			return
		}
		go func() {
			// Done before the channel: a reader that sees the channel closed finds Err
			// already saying why.
			defer close(f.events)
			defer close(f.done)
			f.follow(func(ev domain.StatusEvent) bool {
				select {
				case f.events <- ev:
					return true
				case <-f.ctx.Done():
					return false
				}
			})
		}()
	})
	return f.events
}

// Done returns a channel that is closed once following has ended and Err says why. When
// the events are read through Events, Done is closed just before that channel is.
func (f *Follower) Done() <-chan struct{} { return f.done }

// Err returns nil while following runs and after tracking completed (a DELIVERED,
// CANCELLED or RETURNED event was emitted, or the order had reached one of these by the
// requested sequence). Otherwise, once Done is closed, it returns the error of the context
// given to Follow when it ended; ErrSlowWatcher when the reader fell behind; ErrHubClosed
// when the hub stopped; an error reading the history; or, when the reader of All stopped
// early, an error saying so.
func (f *Follower) Err() error {
	select {
	case <-f.done:
		return f.err
	default:
		return nil
	}
}

// Follow starts following the status of an order, for a live tracking subscription.
//
// It first registers a watcher with the hub, so that nothing published from then on is
// missed, and only then reads the history. With after set to N, the follower emits every
// event with a sequence above N from the history; with after nil, only the latest (the
// current status). Then it emits the live events: one with a sequence it has already
// emitted is skipped (the replay raced with it, or it was delivered twice); one beyond the
// next expected sequence makes it emit the missing ones from the history first. When the
// hub signals a resynchronisation (NATS reconnected), it emits what the history holds
// after the last sequence emitted. Following completes, and the events end, right after
// a DELIVERED, CANCELLED or RETURNED event is emitted, or at once when the order had already
// reached such a status by sequence N. A sequence N beyond the order's last is taken on
// trust (the client saw it): only later events are emitted.
//
// Follow returns an error, and starts nothing, when after is negative (a BAD_USER_INPUT
// *domain.Error on afterSequence), when the order has no history (a NOT_FOUND
// *domain.Error), when the hub has stopped (ErrHubClosed), or when the history cannot be
// read. Following stops, and the events end, when ctx ends; nothing of it outlives that,
// even when the events are never read.
func Follow(ctx context.Context, hub *Hub, history History, orderID int64, after *int) (*Follower, error) {
	if after != nil && *after < 0 {
		return nil, domain.FieldError([]string{"afterSequence"}, "afterSequence must not be negative")
	}
	w := hub.Watch(orderID)
	if err := w.Err(); err != nil {
		w.Close()
		return nil, err
	}
	// The whole history, whatever after is: it tells an unknown order from one with
	// nothing new, and whether tracking had already ended. An order has a handful of
	// entries.
	past, err := history.StatusEventsAfter(ctx, orderID, 0)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("reading the status history of order %d: %w", orderID, err)
	}
	if len(past) == 0 {
		w.Close()
		return nil, domain.Errorf(domain.CodeNotFound, "order not found")
	}
	f := &Follower{ctx: ctx, w: w, history: history, orderID: orderID, done: make(chan struct{})}
	if after == nil {
		past = past[len(past)-1:]
	} else {
		f.last = *after
	}
	f.replay = past
	// Following ends when ctx does, even if nobody reads: no goroutine waits for it.
	f.unwatch = context.AfterFunc(ctx, func() {
		if f.started.CompareAndSwap(false, true) { // never read: end here
			w.Close()
			f.err = ctx.Err()
			close(f.done)
			return
		}
		w.Close() // the reader's loop sees it, and ends
	})
	return f, nil
}

// follow emits the replay, then the live events, through yield until tracking completes,
// yield returns false, or something else ends it; then it closes the watcher and records
// why following ended.
func (f *Follower) follow(yield func(domain.StatusEvent) bool) {
	defer func() {
		f.unwatch()
		f.w.Close()
	}()
	replay := f.replay
	f.replay = nil
	err := f.emitAll(yield, replay)
	for err == nil && !f.complete {
		select {
		case <-f.ctx.Done():
			err = f.ctx.Err()
		case ev := <-f.w.C():
			err = f.live(yield, *ev)
		case <-f.w.Resync():
			err = f.catchUp(yield)
		case <-f.w.Done():
			err = f.w.Err()
		}
	}
	if err != nil && f.ctx.Err() != nil {
		err = f.ctx.Err() // the watcher or the reader stopped because ctx ended
	}
	f.err = err
}

// live emits a live event, after the events it skipped over, from the history.
func (f *Follower) live(yield func(domain.StatusEvent) bool, ev domain.StatusEvent) error {
	if ev.Sequence > f.last+1 {
		if err := f.catchUp(yield); err != nil || f.complete {
			return err
		}
		if ev.Sequence > f.last+1 {
			return fmt.Errorf("order %d: event %d was published but the history holds nothing after %d", f.orderID, ev.Sequence, f.last)
		}
	}
	return f.emit(yield, ev)
}

// catchUp emits what the history holds after the last sequence emitted.
func (f *Follower) catchUp(yield func(domain.StatusEvent) bool) error {
	evs, err := f.history.StatusEventsAfter(f.ctx, f.orderID, f.last)
	if err != nil {
		if f.ctx.Err() != nil {
			return f.ctx.Err()
		}
		return fmt.Errorf("reading the status history of order %d after %d: %w", f.orderID, f.last, err)
	}
	return f.emitAll(yield, evs)
}

// emitAll emits the events in order until tracking completes.
func (f *Follower) emitAll(yield func(domain.StatusEvent) bool, evs []domain.StatusEvent) error {
	for _, ev := range evs {
		if f.complete {
			return nil
		}
		if err := f.emit(yield, ev); err != nil {
			return err
		}
	}
	return nil
}

// emit yields ev unless its sequence was emitted (or seen by the caller) already. An event
// ending tracking completes it, whether emitted or already seen.
func (f *Follower) emit(yield func(domain.StatusEvent) bool, ev domain.StatusEvent) error {
	if ev.Sequence > f.last {
		if !yield(ev) {
			return errReaderStopped
		}
		f.last = ev.Sequence
	}
	if trackingEnds(ev.Status) {
		f.complete = true
	}
	return nil
}
