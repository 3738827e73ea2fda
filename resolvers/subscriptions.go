package resolvers

import (
	"context"
	"errors"
	"iter"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/graph/model"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// MaxSubscriptionsPerConnection caps the live subscriptions of one WebSocket connection,
// so that a flood of subscribe messages cannot pin a process.
const MaxSubscriptionsPerConnection = 20

type budgetKey struct{}

// WithSubscriptionBudget returns a copy of ctx (a connection's) carrying a fresh count of
// its live subscriptions.
func WithSubscriptionBudget(ctx context.Context) context.Context {
	return context.WithValue(ctx, budgetKey{}, new(atomic.Int32))
}

// takeSubscription counts one more live subscription on the connection and returns the
// function that gives it back, or a RATE_LIMITED error when the connection has too many.
// Transports without a budget (SSE: one subscription per request) are not limited.
func takeSubscription(ctx context.Context) (release func(), err error) {
	n, ok := ctx.Value(budgetKey{}).(*atomic.Int32)
	if !ok {
		return func() {}, nil
	}
	if n.Add(1) > MaxSubscriptionsPerConnection {
		n.Add(-1)
		return nil, domain.Errorf(domain.CodeRateLimited, "at most %d subscriptions per connection", MaxSubscriptionsPerConnection)
	}
	return func() { n.Add(-1) }, nil
}

// OrderFollower is one order's live status events, as events.Follower delivers them: read
// either with All, waiting on the reader's goroutine, or with Notify and Next, which never
// wait. Err, once Done is closed, says why following ended (nil: tracking completed), as a
// client-safe error.
type OrderFollower interface {
	All() iter.Seq[domain.StatusEvent]
	Notify(wake func())
	Next() (domain.StatusEvent, bool)
	Done() <-chan struct{}
	Err() error
}

// StreamDriver is how a transport serving many subscriptions from one goroutine per
// connection (shopgraph's WebSocket transport) runs a subscription's stream without a
// goroutine of its own. The resolver hands it pump with Drive and gets back wake, which it
// calls (from any goroutine, without blocking) whenever its source may have something
// new. The transport then calls pump on the connection's writer until it returns false:
// each call that returns true has made one value ready on the channel the resolver
// returned, or closed it, so that reading it does not wait. The transport calls pump once
// after the resolver returns, and never after the channel was closed or the subscription's
// context ended; it calls stop once, when the subscription ends for any reason, before
// it tells the client.
type StreamDriver interface {
	Drive(pump func() bool, stop func()) (wake func())
	// AddError records an error to end the subscription with, in place of complete.
	AddError(err *gqlerror.Error)
}

type streamDriverKey struct{}

// WithStreamDriver returns a copy of ctx (a subscription's) whose stream d runs.
func WithStreamDriver(ctx context.Context, d StreamDriver) context.Context {
	return context.WithValue(ctx, streamDriverKey{}, d)
}

// orderStatusChanged checks the caller may watch the order and the requested position
// exists, then relays the order's status events until tracking ends.
func (r *Resolver) orderStatusChanged(ctx context.Context, orderGID string, after *int) (<-chan *model.OrderStatusEvent, error) {
	id, err := decodeID(orderGID, typeOrder, "orderId")
	if err != nil {
		return nil, err
	}
	if after != nil && *after < 0 {
		return nil, domain.FieldError([]string{"afterSequence"}, "afterSequence must not be negative")
	}
	orders, err := r.Orders.OrdersByID(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	caller, signedIn := domain.IdentityFrom(ctx)
	o, ok := orders[id]
	if !ok || !o.VisibleTo(caller, signedIn) {
		// The same answer for an order that does not exist and one of someone else.
		return nil, domain.Errorf(domain.CodeNotFound, "no such order")
	}
	if after != nil && *after > 0 {
		evs, err := r.Orders.StatusEventsAfter(ctx, id, *after-1)
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			return nil, domain.FieldError([]string{"afterSequence"}, "afterSequence is past the order's last event")
		}
	}
	release, err := takeSubscription(ctx)
	if err != nil {
		return nil, err
	}
	f, err := r.Follow(ctx, id, after)
	if err != nil {
		release()
		return nil, err
	}
	if d, ok := ctx.Value(streamDriverKey{}).(StreamDriver); ok {
		return driveStatusEvents(ctx, d, f, release), nil
	}
	// One goroutine per subscription, the transport's reader of out aside: following runs
	// on it, and hands each event over already converted.
	out := make(chan *model.OrderStatusEvent)
	go func() {
		defer close(out)
		defer release()
		for ev := range f.All() {
			select {
			case out <- toStatusEvent(ev):
			case <-ctx.Done():
				return
			}
		}
		if err := trackingStopped(ctx, f); err != nil {
			addSubscriptionError(ctx, err)
		}
	}()
	return out, nil
}

// addSubscriptionError hands err to the transport to end the subscription with, and
// reports whether it could. Only gqlgen's WebSocket transport keeps a place for such
// errors in the context; its SSE transport has none, and gqlgen's function would then
// dereference nil on this goroutine and take the process down. An SSE stream that stops
// ends without the error (its client resumes with afterSequence).
func addSubscriptionError(ctx context.Context, err *gqlerror.Error) (added bool) {
	defer func() {
		if recover() != nil {
			added = false
		}
	}()
	transport.AddSubscriptionError(ctx, err)
	return true
}

// driveStatusEvents relays the follower's events through d: no goroutine waits for them;
// the hub's wake-up has the connection's writer pull each one as it comes.
func driveStatusEvents(ctx context.Context, d StreamDriver, f OrderFollower, release func()) <-chan *model.OrderStatusEvent {
	out := make(chan *model.OrderStatusEvent, 1)
	var once sync.Once
	end := func() { once.Do(release) }
	wake := d.Drive(func() bool {
		if ev, ok := f.Next(); ok {
			out <- toStatusEvent(ev)
			return true
		}
		select {
		case <-f.Done():
		default:
			return false // nothing yet: wake will come
		}
		end()
		if err := trackingStopped(ctx, f); err != nil {
			d.AddError(err)
		}
		close(out)
		return true
	}, end)
	f.Notify(wake)
	return out
}

// trackingStopped is the error that ends a subscription whose following stopped before
// tracking completed, or nil.
func trackingStopped(ctx context.Context, f OrderFollower) *gqlerror.Error {
	err := f.Err()
	if err == nil || ctx.Err() != nil {
		return nil
	}
	code := domain.ErrorCode(err)
	msg := "order tracking stopped; subscribe again with afterSequence to resume"
	if code == domain.CodeInternal {
		code = domain.CodeServiceUnavailable
	}
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": string(code), "reason": reasonOf(err)}}
}

// reasonOf is the client-safe reason following stopped: the domain error's message, or a
// generic one.
func reasonOf(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Message
	}
	return "the event stream is unavailable"
}
