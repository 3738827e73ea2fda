package resolvers

import (
	"context"
	"maps"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shopgraph/shopgraph/domain"
)

// withRequestID returns e with the request's id in extensions.requestId, or e itself
// outside a request. It copies e rather than editing it: an error value may be shared
// (a package-level error, one error reported at several paths).
func withRequestID(ctx context.Context, e *gqlerror.Error) *gqlerror.Error {
	id := domain.RequestIDFrom(ctx)
	if e == nil || id == "" {
		return e
	}
	cp := *e
	cp.Extensions = maps.Clone(e.Extensions)
	if cp.Extensions == nil {
		cp.Extensions = map[string]any{}
	}
	cp.Extensions["requestId"] = id
	return &cp
}
