package resolvers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shopgraph/shopgraph/domain"
)

// ErrorPresenter returns gqlgen's error presenter: a domain error keeps its safe message
// and gets its code in extensions.code (and its input field in extensions.field); an
// error that already carries a code (parse and validation errors) keeps it; a cancelled
// request is reported as such without noise; anything else is logged with the field path
// and shown to the client as "internal error". Every error carries the request's id in
// extensions.requestId, to be quoted to support and found in the logs.
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	present := func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		var de *domain.Error
		if errors.As(err, &de) {
			if de.Code == domain.CodeServiceUnavailable || de.Code == domain.CodeInternal {
				log.WarnContext(ctx, "dependency unavailable", "path", gqlErr.Path.String(), "err", err)
			}
			gqlErr.Message = de.Message
			setExtension(gqlErr, "code", string(de.Code))
			if len(de.Field) > 0 {
				setExtension(gqlErr, "field", de.Field)
			}
			return gqlErr
		}
		if _, ok := gqlErr.Extensions["code"]; ok {
			return gqlErr
		}
		// gqlgen's own refusals of a request (a persisted-query hash that does not match
		// its query, a malformed extension) arrive as bare gqlerrors with no cause and no
		// path: they are the client's doing, not ours.
		var ge *gqlerror.Error
		if errors.As(err, &ge) && ge.Err == nil && len(ge.Path) == 0 {
			setExtension(gqlErr, "code", string(domain.CodeBadUserInput))
			return gqlErr
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			gqlErr.Message = "request cancelled or timed out"
			setExtension(gqlErr, "code", "CANCELLED")
			return gqlErr
		}
		log.ErrorContext(ctx, "resolver failed", "path", gqlErr.Path.String(), "err", err)
		gqlErr.Message = "internal error"
		setExtension(gqlErr, "code", string(domain.CodeInternal))
		return gqlErr
	}
	return func(ctx context.Context, err error) *gqlerror.Error {
		return withRequestID(ctx, present(ctx, err))
	}
}

// RecoverFunc returns gqlgen's panic handler: the panic is logged with its value and
// reported to the client as an internal error, like any other unexpected failure.
func RecoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		path := ""
		if fc := graphql.GetFieldContext(ctx); fc != nil {
			path = fc.Path().String()
		}
		log.ErrorContext(ctx, "resolver panicked", "path", path, "panic", fmt.Sprint(p))
		return &gqlerror.Error{Message: "internal error", Extensions: map[string]any{"code": string(domain.CodeInternal)}}
	}
}

func setExtension(e *gqlerror.Error, key string, v any) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions[key] = v
}
