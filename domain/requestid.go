package domain

import "context"

type requestIDKey struct{}

// WithRequestID returns a copy of ctx carrying the id of the request being served, the
// id that its log lines, its errors and its response header name it by.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the id of the request ctx serves, or "" outside a request (a
// background worker, a test calling a store directly).
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
