package domain

import "context"

type clientAddrKey struct{}

// WithClientAddr returns a copy of ctx carrying the client's network address (the
// address rate limits are keyed by).
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// ClientAddrFrom returns the client's address, or "unknown".
func ClientAddrFrom(ctx context.Context) string {
	if a, ok := ctx.Value(clientAddrKey{}).(string); ok && a != "" {
		return a
	}
	return "unknown"
}
