// Package resolvers is the only package that knows both GraphQL and the domain. Each
// resolver is a few lines: arguments to domain values, a store or loader call, a
// conversion back to the GraphQL models.
package resolvers

import (
	"time"

	"github.com/shopgraph/shopgraph/domain"
)

// Resolver is the root of the resolvers; server.go fills in its dependencies.
type Resolver struct {
	// Catalog reads products and categories.
	Catalog domain.CatalogReader
	// CatalogAdmin changes the catalog.
	CatalogAdmin domain.CatalogWriter
	// Users reads accounts.
	Users domain.UserStore
	// Accounts signs users up and in.
	Accounts *domain.Accounts
	// Carts keeps carts.
	Carts domain.CartStore
	// Orders keeps orders.
	Orders domain.OrderStore
	// Checkouts buys carts.
	Checkouts *domain.Checkout
	// LoaderWait is the dataloaders' batching window; zero means DefaultLoaderWait.
	LoaderWait time.Duration
}
