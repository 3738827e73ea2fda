package domain

import (
	"context"
	"time"
)

type clockKey struct{}

// WithTime returns a copy of ctx in which Now reports t. Backfills (the demo seed) use it
// to record orders and their history at past times through the ordinary code paths.
func WithTime(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, clockKey{}, t)
}

// Now returns the time set by WithTime, or the current time.
func Now(ctx context.Context) time.Time {
	if t, ok := ctx.Value(clockKey{}).(time.Time); ok {
		return t
	}
	return time.Now()
}
