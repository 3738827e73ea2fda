// Package resolvers is the only package that knows both GraphQL and the domain. Each
// resolver is a few lines: arguments to domain values, a store or loader call, a
// conversion back to the GraphQL models.
package resolvers

import (
	"context"
	"time"

	"github.com/shopgraph/shopgraph/domain"
)

// Resolver is the root of the resolvers; server.go fills in its dependencies.
type Resolver struct {
	// Catalog reads products and categories.
	Catalog domain.CatalogReader
	// Categories, when set, keeps the category tree in memory for Catalog's category
	// reads (see CategoryTree).
	Categories *CategoryTree
	// CatalogAdmin changes the catalog.
	CatalogAdmin domain.CatalogWriter
	// Reviews keeps reviews and ratings.
	Reviews domain.ReviewStore
	// ProductChanged, when set, is told which products a mutation changed once it has
	// committed, so that this process's next reads see the change (the catalog cache's
	// Invalidate); the change's events tell every other process.
	ProductChanged func(ctx context.Context, productIDs ...int64) error
	// Users reads accounts.
	Users domain.UserStore
	// Accounts signs users up and in.
	Accounts *domain.Accounts
	// Carts keeps carts.
	Carts domain.CartStore
	// Orders keeps orders.
	Orders domain.OrderStore
	// Discounts keeps discount codes and automatic promotions.
	Discounts domain.DiscountStore
	// ShippingMethods keeps the shipping methods.
	Shipping domain.ShippingMethodStore
	// Warehouses keeps the warehouses and reads stock per warehouse.
	Warehouses domain.WarehouseStore
	// Checkouts buys carts.
	Checkouts *domain.Checkout
	// Amendments edits paid orders' lines.
	Amendments domain.AmendmentStore
	// Returns keeps customer returns.
	Returns domain.ReturnStore
	// Settle refunds or charges the difference of amendments and returns through the
	// payment provider.
	Settle domain.Settler
	// Analytics answers the admin dashboard (through its cache).
	Analytics domain.DashboardReader
	// DashboardAsOf tells how fresh the dashboard's answers are.
	DashboardAsOf func() time.Time
	// Tracker publishes clickstream events.
	Tracker domain.AnalyticsPublisher
	// CheckoutLimit limits checkouts per customer or guest cart.
	CheckoutLimit domain.RateLimiter
	// TrackLimit limits clickstream events per session.
	TrackLimit domain.RateLimiter
	// Follow follows an order's status events from after (nil: the current status), in
	// sequence order with no gap and no repeat, until tracking ends or ctx does.
	Follow func(ctx context.Context, orderID int64, after *int) (OrderFollower, error)
	// LoaderWait is the dataloaders' batching window; zero means DefaultLoaderWait.
	LoaderWait time.Duration
	// LoaderBatches, when set, is told the size of every batch the loaders send.
	LoaderBatches BatchObserver
}
