package events

import (
	"context"
	"fmt"

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
type Follower struct {
	events chan domain.StatusEvent
	done   chan struct{}
	err    error // set before done is closed
}

// Events returns the channel of the order's status events, in sequence order without gaps
// or repeats. It is unbuffered: the follower waits for the reader, and a reader that falls
// behind the live events by more than the hub's buffer ends the follower with
// ErrSlowWatcher. The channel is closed when following ends; Err then says why.
func (f *Follower) Events() <-chan domain.StatusEvent { return f.events }

// Done returns a channel that is closed once following has ended and Events is closed.
func (f *Follower) Done() <-chan struct{} { return f.done }

// Err returns nil while following runs and after tracking completed (a DELIVERED,
// CANCELLED or RETURNED event was emitted, or the order had reached one of these by the
// requested sequence). Otherwise, once Done is closed, it returns the error of the context
// given to Follow when it ended; ErrSlowWatcher when the reader fell behind; ErrHubClosed
// when the hub stopped; or an error reading the history.
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
// after the last sequence emitted. Following completes, and Events is closed, right after
// a DELIVERED, CANCELLED or RETURNED event is emitted, or at once when the order had already
// reached such a status by sequence N. A sequence N beyond the order's last is taken on
// trust (the client saw it): only later events are emitted.
//
// Follow returns an error, and starts nothing, when after is negative (a BAD_USER_INPUT
// *domain.Error on afterSequence), when the order has no history (a NOT_FOUND
// *domain.Error), when the hub has stopped (ErrHubClosed), or when the history cannot be
// read. Following stops, and Events is closed, when ctx ends; nothing of it outlives that.
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
	r := &following{
		Follower: Follower{events: make(chan domain.StatusEvent), done: make(chan struct{})},
		w:        w, history: history, orderID: orderID,
	}
	if after == nil {
		past = past[len(past)-1:]
	} else {
		r.last = *after
	}
	go r.run(ctx, past)
	return &r.Follower, nil
}

// following is the state of a Follower's goroutine.
type following struct {
	Follower
	w        *Watcher
	history  History
	orderID  int64
	last     int  // the sequence emitted last, or the one the caller had seen
	complete bool // tracking has ended
}

// run emits the replay, then the live events, until tracking completes or something ends
// it; then it closes the watcher and the channels.
func (r *following) run(ctx context.Context, replay []domain.StatusEvent) {
	defer func() {
		r.w.Close()
		close(r.events)
		close(r.done)
	}()
	err := r.emitAll(ctx, replay)
	for err == nil && !r.complete {
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case ev := <-r.w.C():
			err = r.live(ctx, ev)
		case <-r.w.Resync():
			err = r.catchUp(ctx)
		case <-r.w.Done():
			err = r.w.Err()
		}
	}
	r.err = err
}

// live emits a live event, after the events it skipped over, from the history.
func (r *following) live(ctx context.Context, ev domain.StatusEvent) error {
	if ev.Sequence > r.last+1 {
		if err := r.catchUp(ctx); err != nil || r.complete {
			return err
		}
		if ev.Sequence > r.last+1 {
			return fmt.Errorf("order %d: event %d was published but the history holds nothing after %d", r.orderID, ev.Sequence, r.last)
		}
	}
	return r.emit(ctx, ev)
}

// catchUp emits what the history holds after the last sequence emitted.
func (r *following) catchUp(ctx context.Context) error {
	evs, err := r.history.StatusEventsAfter(ctx, r.orderID, r.last)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("reading the status history of order %d after %d: %w", r.orderID, r.last, err)
	}
	return r.emitAll(ctx, evs)
}

// emitAll emits the events in order until tracking completes.
func (r *following) emitAll(ctx context.Context, evs []domain.StatusEvent) error {
	for _, ev := range evs {
		if r.complete {
			return nil
		}
		if err := r.emit(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// emit sends ev to the reader unless its sequence was emitted (or seen by the caller)
// already. An event ending tracking completes it, whether emitted or already seen.
func (r *following) emit(ctx context.Context, ev domain.StatusEvent) error {
	if ev.Sequence > r.last {
		select {
		case r.events <- ev:
		case <-ctx.Done():
			return ctx.Err()
		}
		r.last = ev.Sequence
	}
	if trackingEnds(ev.Status) {
		r.complete = true
	}
	return nil
}
