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
// The events are read one of three ways: with All, on the reader's goroutine (a live
// subscription then costs no goroutine of its own); from the channel Events returns, which
// a goroutine of the follower's fills; or with Next and Notify, which never wait for the
// hub, for a reader that serves many followers from one goroutine and polls a follower
// only when it was told there is something to take. A follower is read one way, once.
type Follower struct {
	ctx      context.Context
	w        *Watcher
	history  History
	orderID  int64
	pending  []domain.StatusEvent // events at hand, to emit in order (the replay, a catch-up)
	live     *domain.StatusEvent  // a live event to emit once pending is drained, if no gap is left
	last     int                  // the sequence emitted last, or the one the caller had seen
	complete bool                 // tracking has ended
	unwatch  func() bool

	started atomic.Bool
	polled  bool                    // read with Next; only Next's caller touches it
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
	f.pending = past
	// Following ends when ctx does, even if nobody reads: no goroutine waits for it.
	f.unwatch = context.AfterFunc(ctx, func() {
		if f.started.CompareAndSwap(false, true) { // never read: end here
			w.Close()
			f.err = ctx.Err()
			close(f.done)
			return
		}
		w.Close() // the reader's loop (or the next call of Next) sees it, and ends
	})
	return f, nil
}

// Notify registers wake, called (on any goroutine, and quickly: it must not block or call
// into the follower) each time Next may have something new to return. Call Notify, then
// Next until it returns false, then Next again each time wake is called: no event waits
// unannounced. Notify makes the follower one read with Next: All and Events then yield
// nothing.
func (f *Follower) Notify(wake func()) {
	if !f.polled && !f.started.CompareAndSwap(false, true) {
		return
	}
	f.polled = true
	f.w.Notify(wake)
}

// Next returns the next event, in sequence order without gaps or repeats, if one is at hand
// without waiting for the hub: from the history (the replay, or a catch-up it reads then)
// or from the live events already delivered. ok is false when there is none now; once
// following has ended, Done is closed by the call that returned false, and Err says why.
// A reader that does not call Next again before the hub's buffer of live events fills is
// dropped, ending the follower with ErrSlowWatcher. Next must not be called concurrently
// with itself; use it with Notify, not with All or Events.
func (f *Follower) Next() (ev domain.StatusEvent, ok bool) {
	if !f.polled {
		if !f.started.CompareAndSwap(false, true) {
			return domain.StatusEvent{}, false
		}
		f.polled = true
	}
	if f.done == nil || isClosed(f.done) {
		return domain.StatusEvent{}, false
	}
	for {
		ev, ok, err := f.atHand()
		if err == nil && !ok && !f.complete {
			var got bool
			got, err = f.poll(false)
			if got && err == nil {
				continue
			}
			if err == nil {
				return domain.StatusEvent{}, false // nothing yet
			}
		}
		if ok {
			return ev, true
		}
		f.finish(err)
		return domain.StatusEvent{}, false
	}
}

// isClosed reports whether c is closed.
func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// follow emits the replay, then the live events, through yield until tracking completes,
// yield returns false, or something else ends it; then it closes the watcher and records
// why following ended.
func (f *Follower) follow(yield func(domain.StatusEvent) bool) {
	var err error
	for err == nil {
		ev, ok, e := f.atHand()
		if err = e; err != nil {
			break
		}
		if ok {
			if !yield(ev) {
				err = errReaderStopped
			}
			continue
		}
		if f.complete {
			break
		}
		_, err = f.poll(true)
	}
	f.finish(err)
}

// finish closes the watcher and records why following ended.
func (f *Follower) finish(err error) {
	f.unwatch()
	f.w.Close()
	if err != nil && f.ctx.Err() != nil {
		err = f.ctx.Err() // the watcher or the reader stopped because ctx ended
	}
	f.err = err
	if f.polled {
		close(f.done) // All and Events close it themselves
	}
}

// atHand returns the next event to emit of those at hand (the replay, a catch-up from the
// history, a live event that came after them), skipping those already emitted; ok is
// false when none is left. It marks tracking complete at an event that ends it.
func (f *Follower) atHand() (ev domain.StatusEvent, ok bool, err error) {
	for !f.complete {
		if len(f.pending) > 0 {
			ev = f.pending[0]
			f.pending = f.pending[1:]
		} else if f.live != nil {
			ev = *f.live
			f.live = nil
			if ev.Sequence > f.last+1 {
				return ev, false, fmt.Errorf("order %d: event %d was published but the history holds nothing after %d", f.orderID, ev.Sequence, f.last)
			}
		} else {
			f.pending = nil
			return ev, false, nil
		}
		emit := ev.Sequence > f.last
		if emit {
			f.last = ev.Sequence
		}
		if trackingEnds(ev.Status) {
			f.complete = true
		}
		if emit {
			return ev, true, nil
		}
	}
	return ev, false, nil
}

// poll takes one thing from the watcher (a live event, a resynchronisation, its end) or
// the end of ctx, waiting for it when wait is set, and turns it into events at hand; got
// is false when there was nothing to take without waiting.
func (f *Follower) poll(wait bool) (got bool, err error) {
	if !wait {
		select {
		case <-f.ctx.Done():
			return true, f.ctx.Err()
		case ev := <-f.w.C():
			return true, f.takeLive(*ev)
		case <-f.w.Resync():
			return true, f.catchUp()
		case <-f.w.Done():
			return true, f.w.Err()
		default:
			return false, nil
		}
	}
	select {
	case <-f.ctx.Done():
		return true, f.ctx.Err()
	case ev := <-f.w.C():
		return true, f.takeLive(*ev)
	case <-f.w.Resync():
		return true, f.catchUp()
	case <-f.w.Done():
		return true, f.w.Err()
	}
}

// takeLive puts a live event at hand, after the events it skipped over, from the history.
func (f *Follower) takeLive(ev domain.StatusEvent) error {
	if ev.Sequence > f.last+1 {
		if err := f.catchUp(); err != nil {
			return err
		}
		f.live = &ev
		return nil
	}
	f.pending = append(f.pending, ev)
	return nil
}

// catchUp puts at hand what the history holds after the last sequence emitted.
func (f *Follower) catchUp() error {
	evs, err := f.history.StatusEventsAfter(f.ctx, f.orderID, f.last)
	if err != nil {
		if f.ctx.Err() != nil {
			return f.ctx.Err()
		}
		return fmt.Errorf("reading the status history of order %d after %d: %w", f.orderID, f.last, err)
	}
	f.pending = append(f.pending, evs...)
	return nil
}
