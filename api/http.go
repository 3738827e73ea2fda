package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// withCORS answers browsers from the configured origins: GraphQL requests with the
// Authorization and Content-Type headers, preflights cached for ten minutes. With no
// origins configured, cross-origin browser calls are refused (same-origin ones, like
// GraphiQL's, work regardless).
func withCORS(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowedHeaders: []string{"Authorization", "Content-Type", "Accept", "X-Request-ID", "Apollo-Require-Preflight"},
		ExposedHeaders: []string{"X-Request-ID", "Retry-After"},
		MaxAge:         600,
	}).Handler(next)
}

// securityHeaders sets the headers every response should carry. Pages that need more
// (GraphiQL's CSP) set their own, which take precedence.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		if r.URL.Path == "/graphql" {
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// allowList lets only registered operations run: the query's SHA-256 (the APQ hash) must
// be one an operator registered. It runs after the persisted-query extension has turned
// a hash into its query.
type allowList struct {
	allowed func(ctx context.Context, hash string) (bool, error)
}

func (allowList) ExtensionName() string                   { return "ShopgraphAllowList" }
func (allowList) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters refuses a query whose hash is not registered.
func (a allowList) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		return nil // an unknown persisted hash: APQ answers PERSISTED_QUERY_NOT_FOUND
	}
	sum := sha256.Sum256([]byte(p.Query))
	ok, err := a.allowed(ctx, hex.EncodeToString(sum[:]))
	if err != nil {
		return &gqlerror.Error{Message: "the operation allow-list is unavailable right now", Extensions: map[string]any{"code": "SERVICE_UNAVAILABLE"}}
	}
	if !ok {
		return &gqlerror.Error{Message: "only registered operations may run here", Extensions: map[string]any{"code": "OPERATION_NOT_ALLOWED"}}
	}
	return nil
}
