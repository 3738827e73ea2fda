package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/graph"
	"github.com/shopgraph/shopgraph/graph/model"
)

// Directives returns the implementations of the schema's access directives. They are
// the one place roles are enforced: a field marked @auth or @hasRole never runs its
// resolver for a caller without the right identity.
func Directives() graph.DirectiveRoot {
	return graph.DirectiveRoot{
		Auth: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			if _, ok := domain.IdentityFrom(ctx); !ok {
				return nil, errUnauthenticated
			}
			return next(ctx)
		},
		HasRole: func(ctx context.Context, _ any, next graphql.Resolver, role model.Role) (any, error) {
			id, ok := domain.IdentityFrom(ctx)
			if !ok {
				return nil, errUnauthenticated
			}
			if !hasRole(id, domain.Role(role)) {
				return nil, domain.Errorf(domain.CodeForbidden, "this field needs the %s role", role)
			}
			return next(ctx)
		},
	}
}

var errUnauthenticated = domain.Errorf(domain.CodeUnauthenticated, "sign in to use this field")

// hasRole reports whether the identity may act in role: admins may do what customers do.
func hasRole(id domain.Identity, role domain.Role) bool {
	return id.Role == role || id.Role == domain.RoleAdmin
}
