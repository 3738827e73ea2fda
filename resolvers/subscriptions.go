package resolvers

import (
	"context"
	"errors"
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
	evs, why, err := r.Follow(ctx, id, after)
	if err != nil {
		release()
		return nil, err
	}
	// One goroutine per subscription, gqlgen's reader of out aside: following runs on it
	// (evs is an iterator), and hands each event over already converted.
	out := make(chan *model.OrderStatusEvent)
	go func() {
		defer close(out)
		defer release()
		for ev := range evs {
			select {
			case out <- toStatusEvent(ev):
			case <-ctx.Done():
				return
			}
		}
		if err := why(); err != nil && ctx.Err() == nil {
			code := domain.ErrorCode(err)
			msg := "order tracking stopped; subscribe again with afterSequence to resume"
			if code == domain.CodeInternal {
				code = domain.CodeServiceUnavailable
			}
			transport.AddSubscriptionError(ctx, &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": string(code), "reason": reasonOf(err)}})
		}
	}()
	return out, nil
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
