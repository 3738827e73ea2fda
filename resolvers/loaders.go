package resolvers

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/shopgraph/shopgraph/domain"
)

// DefaultLoaderWait is how long a loader collects keys before it queries. gqlgen resolves
// the elements of a list concurrently, so the keys of one level normally arrive within a
// fraction of a millisecond; the window is a trade between added latency per level and
// the risk of splitting a level into two batches on a busy machine.
const DefaultLoaderWait = time.Millisecond

// Loaders batches the reads of one request (or of one subscription event): every
// list-to-object edge goes through one of them, so a nested query costs one round trip
// per level whatever the length of its lists. Each loader is made on its first use: a
// product page needs one of the eight, and making all of them was a tenth of its
// allocations. A Loaders must not outlive its request: its caches would serve stale data.
type Loaders struct {
	r    Readers
	wait time.Duration

	productByID       lazy[int64, domain.Product]
	categoryByID      lazy[int64, domain.Category]
	categoryChildren  lazy[int64, []domain.Category]
	categoryProducts  lazy[categoryQueryKey, domain.ProductPage]
	categoryProdCount lazy[categoryQueryKey, int]
	orderByID         lazy[int64, domain.Order]
	orderHistory      lazy[int64, []domain.StatusEvent]
	userByID          lazy[int64, domain.User]
	variantByID       lazy[int64, domain.Variant]
	productDetails    lazy[int64, domain.ProductDetail]
	brandByID         lazy[int64, domain.Brand]
	reviewByID        lazy[int64, domain.Review]
	productReviews    lazy[reviewPageKey, domain.ReviewPage]
	returnByID        lazy[int64, domain.Return]
	orderReturns      lazy[int64, []domain.Return]
	warehouseByID     lazy[int64, domain.Warehouse]
	variantStocks     lazy[int64, []domain.StockLevel]
	orderAllocations  lazy[int64, []domain.Allocation]
}

// lazy is a loader made on first use, once, whichever goroutine of the request asks.
type lazy[K comparable, V any] struct {
	once sync.Once
	l    *dataloader.Loader[K, V]
}

func (z *lazy[K, V]) get(make func() *dataloader.Loader[K, V]) *dataloader.Loader[K, V] {
	z.once.Do(func() { z.l = make() })
	return z.l
}

// ProductByID loads products, deleted ones included.
func (l *Loaders) ProductByID() *dataloader.Loader[int64, domain.Product] {
	return l.productByID.get(func() *dataloader.Loader[int64, domain.Product] {
		return newLoader(l.wait, l.r.Observe, "productByID", byID("product", l.r.Catalog.ProductsByID))
	})
}

// CategoryByID loads categories, from the category tree when there is one.
func (l *Loaders) CategoryByID() *dataloader.Loader[int64, domain.Category] {
	return l.categoryByID.get(func() *dataloader.Loader[int64, domain.Category] {
		read := l.r.Catalog.CategoriesByID
		if t := l.r.Categories; t != nil {
			read = func(ctx context.Context, ids []int64) (map[int64]domain.Category, error) {
				return t.categoriesByID(ctx, l.r.Catalog, ids)
			}
		}
		return newLoader(l.wait, l.r.Observe, "categoryByID", byID("category", read))
	})
}

// CategoryChildren loads the children of categories, from the tree when there is one.
func (l *Loaders) CategoryChildren() *dataloader.Loader[int64, []domain.Category] {
	return l.categoryChildren.get(func() *dataloader.Loader[int64, []domain.Category] {
		read := l.r.Catalog.CategoryChildren
		if t := l.r.Categories; t != nil {
			read = func(ctx context.Context, ids []int64) (map[int64][]domain.Category, error) {
				return t.categoryChildren(ctx, l.r.Catalog, ids)
			}
		}
		return newLoader(l.wait, l.r.Observe, "categoryChildren", byID("category", read))
	})
}

// CategoryProducts loads one listing per category, one statement per distinct query.
func (l *Loaders) CategoryProducts() *dataloader.Loader[categoryQueryKey, domain.ProductPage] {
	return l.categoryProducts.get(func() *dataloader.Loader[categoryQueryKey, domain.ProductPage] {
		return newLoader(l.wait, l.r.Observe, "categoryProducts", byQuery(l.r.Catalog.ListCategoryProducts))
	})
}

// CategoryProdCount loads the product counts of categories.
func (l *Loaders) CategoryProdCount() *dataloader.Loader[categoryQueryKey, int] {
	return l.categoryProdCount.get(func() *dataloader.Loader[categoryQueryKey, int] {
		return newLoader(l.wait, l.r.Observe, "categoryProductCount", byFilter(l.r.Catalog.CountCategoryProducts))
	})
}

// OrderByID loads orders; nil without an order store.
func (l *Loaders) OrderByID() *dataloader.Loader[int64, domain.Order] {
	if l.r.Orders == nil {
		return nil
	}
	return l.orderByID.get(func() *dataloader.Loader[int64, domain.Order] {
		return newLoader(l.wait, l.r.Observe, "orderByID", byID("order", l.r.Orders.OrdersByID))
	})
}

// ReturnByID loads customer returns; nil without a return store.
func (l *Loaders) ReturnByID() *dataloader.Loader[int64, domain.Return] {
	if l.r.Returns == nil {
		return nil
	}
	return l.returnByID.get(func() *dataloader.Loader[int64, domain.Return] {
		return newLoader(l.wait, l.r.Observe, "returnByID", byID("return", l.r.Returns.ReturnsByID))
	})
}

// OrderReturns loads the returns of orders, oldest first; nil without a return store.
func (l *Loaders) OrderReturns() *dataloader.Loader[int64, []domain.Return] {
	if l.r.Returns == nil {
		return nil
	}
	return l.orderReturns.get(func() *dataloader.Loader[int64, []domain.Return] {
		return newLoader(l.wait, l.r.Observe, "orderReturns", byID("order", l.r.Returns.ReturnsByOrder))
	})
}

// OrderHistory loads the status histories of orders; nil without an order store.
func (l *Loaders) OrderHistory() *dataloader.Loader[int64, []domain.StatusEvent] {
	if l.r.Orders == nil {
		return nil
	}
	return l.orderHistory.get(func() *dataloader.Loader[int64, []domain.StatusEvent] {
		return newLoader(l.wait, l.r.Observe, "orderHistory", byID("order", l.r.Orders.StatusHistory))
	})
}

// UserByID loads accounts; nil without a user store.
func (l *Loaders) UserByID() *dataloader.Loader[int64, domain.User] {
	if l.r.Users == nil {
		return nil
	}
	return l.userByID.get(func() *dataloader.Loader[int64, domain.User] {
		return newLoader(l.wait, l.r.Observe, "userByID", byID("user", l.r.Users.UsersByID))
	})
}

// VariantByID loads variants, deleted ones included.
func (l *Loaders) VariantByID() *dataloader.Loader[int64, domain.Variant] {
	return l.variantByID.get(func() *dataloader.Loader[int64, domain.Variant] {
		return newLoader(l.wait, l.r.Observe, "variantByID", byID("variant", l.r.Catalog.VariantsByID))
	})
}

// ProductDetails loads the variants, images and attribute values of products: one
// statement for a whole page of products.
func (l *Loaders) ProductDetails() *dataloader.Loader[int64, domain.ProductDetail] {
	return l.productDetails.get(func() *dataloader.Loader[int64, domain.ProductDetail] {
		return newLoader(l.wait, l.r.Observe, "productDetails", byID("product", l.r.Catalog.ProductDetails))
	})
}

// BrandByID loads brands.
func (l *Loaders) BrandByID() *dataloader.Loader[int64, domain.Brand] {
	return l.brandByID.get(func() *dataloader.Loader[int64, domain.Brand] {
		return newLoader(l.wait, l.r.Observe, "brandByID", byID("brand", l.r.Catalog.BrandsByID))
	})
}

// ReviewByID loads reviews, hidden ones included; nil without a review store.
func (l *Loaders) ReviewByID() *dataloader.Loader[int64, domain.Review] {
	if l.r.Reviews == nil {
		return nil
	}
	return l.reviewByID.get(func() *dataloader.Loader[int64, domain.Review] {
		return newLoader(l.wait, l.r.Observe, "reviewByID", byID("review", l.r.Reviews.ReviewsByID))
	})
}

// ProductReviews loads a page of reviews per product, one statement per distinct page.
func (l *Loaders) ProductReviews() *dataloader.Loader[reviewPageKey, domain.ReviewPage] {
	if l.r.Reviews == nil {
		return nil
	}
	return l.productReviews.get(func() *dataloader.Loader[reviewPageKey, domain.ReviewPage] {
		read := l.r.Reviews.ProductReviews
		return newLoader(l.wait, l.r.Observe, "productReviews", func(ctx context.Context, keys []reviewPageKey) []*dataloader.Result[domain.ReviewPage] {
			groups := map[string][]int64{}
			for _, k := range keys {
				groups[k.Page] = append(groups[k.Page], k.ProductID)
			}
			results := map[reviewPageKey]*dataloader.Result[domain.ReviewPage]{}
			for ps, ids := range groups {
				var page domain.PageArgs
				err := json.Unmarshal([]byte(ps), &page)
				var pages map[int64]domain.ReviewPage
				if err == nil {
					pages, err = read(ctx, ids, page)
				}
				for _, id := range ids {
					results[reviewPageKey{id, ps}] = &dataloader.Result[domain.ReviewPage]{Data: pages[id], Error: err}
				}
			}
			return inKeyOrder(keys, results)
		})
	})
}

// WarehouseByID loads warehouses, retired ones included; nil without a warehouse store.
func (l *Loaders) WarehouseByID() *dataloader.Loader[int64, domain.Warehouse] {
	if l.r.Warehouses == nil {
		return nil
	}
	return l.warehouseByID.get(func() *dataloader.Loader[int64, domain.Warehouse] {
		return newLoader(l.wait, l.r.Observe, "warehouseByID", byID("warehouse", l.r.Warehouses.WarehousesByID))
	})
}

// VariantStocks loads the stock per warehouse of variants; nil without a warehouse store.
func (l *Loaders) VariantStocks() *dataloader.Loader[int64, []domain.StockLevel] {
	if l.r.Warehouses == nil {
		return nil
	}
	return l.variantStocks.get(func() *dataloader.Loader[int64, []domain.StockLevel] {
		return newLoader(l.wait, l.r.Observe, "variantStocks", byID("variant", l.r.Warehouses.VariantStocks))
	})
}

// OrderAllocations loads the allocations of orders' lines; nil without a warehouse store.
func (l *Loaders) OrderAllocations() *dataloader.Loader[int64, []domain.Allocation] {
	if l.r.Warehouses == nil {
		return nil
	}
	return l.orderAllocations.get(func() *dataloader.Loader[int64, []domain.Allocation] {
		return newLoader(l.wait, l.r.Observe, "orderAllocations", byID("order", l.r.Warehouses.OrderAllocations))
	})
}

// reviewPageKey identifies one product's page of reviews: the product and the page's
// arguments in canonical JSON.
type reviewPageKey struct {
	ProductID int64
	Page      string
}

// Readers are the stores the loaders read from; nil ones leave their loaders unset.
type Readers struct {
	Catalog domain.CatalogReader
	Orders  domain.OrderStore
	Users   domain.UserStore
	Reviews domain.ReviewStore
	Returns domain.ReturnStore
	// Warehouses reads warehouses, stock per warehouse and allocations.
	Warehouses domain.WarehouseStore
	// Categories, when set, answers the category reads from memory.
	Categories *CategoryTree
	// Observe, when set, is told the size of every batch (metrics).
	Observe BatchObserver
}

// categoryQueryKey identifies one category's listing: the category and the listing's
// query in canonical JSON, so that identical arguments batch together.
type categoryQueryKey struct {
	CategoryID int64
	Query      string
}

// NewLoaders returns loaders over the readers, each collecting keys for wait
// (DefaultLoaderWait when zero) before it queries, and each made on first use.
func NewLoaders(r Readers, wait time.Duration) *Loaders {
	if wait <= 0 {
		wait = DefaultLoaderWait
	}
	return &Loaders{r: r, wait: wait}
}

func newLoader[K comparable, V any](wait time.Duration, observe BatchObserver, name string, fn dataloader.BatchFunc[K, V]) *dataloader.Loader[K, V] {
	return dataloader.NewBatchedLoader(observed(observe, name, fn), dataloader.WithWait[K, V](wait), dataloader.WithBatchCapacity[K, V](1000))
}

// byID adapts a map-returning batch read to a batch function: results come back in key
// order, with a NOT_FOUND error for each key the map lacks.
func byID[V any](what string, read func(context.Context, []int64) (map[int64]V, error)) dataloader.BatchFunc[int64, V] {
	return func(ctx context.Context, keys []int64) []*dataloader.Result[V] {
		out := make([]*dataloader.Result[V], len(keys))
		found, err := read(ctx, keys)
		for i, k := range keys {
			switch v, ok := found[k]; {
			case err != nil:
				out[i] = &dataloader.Result[V]{Error: err}
			case !ok:
				out[i] = &dataloader.Result[V]{Error: domain.Errorf(domain.CodeNotFound, "%s not found", what)}
			default:
				out[i] = &dataloader.Result[V]{Data: v}
			}
		}
		return out
	}
}

// groupByQuery splits the keys of a batch by their query, so each distinct query runs
// once for all its categories.
func groupByQuery(keys []categoryQueryKey) map[string][]int64 {
	groups := map[string][]int64{}
	for _, k := range keys {
		groups[k.Query] = append(groups[k.Query], k.CategoryID)
	}
	return groups
}

func byQuery(read func(context.Context, []int64, domain.ProductQuery) (map[int64]domain.ProductPage, error)) dataloader.BatchFunc[categoryQueryKey, domain.ProductPage] {
	return func(ctx context.Context, keys []categoryQueryKey) []*dataloader.Result[domain.ProductPage] {
		results := map[categoryQueryKey]*dataloader.Result[domain.ProductPage]{}
		for qs, ids := range groupByQuery(keys) {
			var q domain.ProductQuery
			err := json.Unmarshal([]byte(qs), &q)
			var pages map[int64]domain.ProductPage
			if err == nil {
				pages, err = read(ctx, ids, q)
			}
			for _, id := range ids {
				results[categoryQueryKey{id, qs}] = &dataloader.Result[domain.ProductPage]{Data: pages[id], Error: err}
			}
		}
		return inKeyOrder(keys, results)
	}
}

func byFilter(read func(context.Context, []int64, domain.ProductFilter) (map[int64]int, error)) dataloader.BatchFunc[categoryQueryKey, int] {
	return func(ctx context.Context, keys []categoryQueryKey) []*dataloader.Result[int] {
		results := map[categoryQueryKey]*dataloader.Result[int]{}
		for fs, ids := range groupByQuery(keys) {
			var f domain.ProductFilter
			err := json.Unmarshal([]byte(fs), &f)
			var counts map[int64]int
			if err == nil {
				counts, err = read(ctx, ids, f)
			}
			for _, id := range ids {
				results[categoryQueryKey{id, fs}] = &dataloader.Result[int]{Data: counts[id], Error: err}
			}
		}
		return inKeyOrder(keys, results)
	}
}

func inKeyOrder[K comparable, V any](keys []K, results map[K]*dataloader.Result[V]) []*dataloader.Result[V] {
	out := make([]*dataloader.Result[V], len(keys))
	for i, k := range keys {
		out[i] = results[k]
	}
	return out
}

type loadersKey struct{}

// WithLoaders returns a copy of ctx carrying l.
func WithLoaders(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, loadersKey{}, l)
}

// loadersFrom returns the loaders of the request. The middleware always installs them;
// a missing set is a wiring bug, so it panics (and the panic is reported as internal).
func loadersFrom(ctx context.Context) *Loaders {
	l, ok := ctx.Value(loadersKey{}).(*Loaders)
	if !ok {
		panic("resolvers: no loaders in context; is LoadersMiddleware installed?")
	}
	return l
}

// NewLoaders returns a fresh set of loaders over the resolver's stores.
func (r *Resolver) NewLoaders() *Loaders {
	return NewLoaders(Readers{Catalog: r.Catalog, Orders: r.Orders, Users: r.Users, Reviews: r.Reviews, Returns: r.Returns, Warehouses: r.Warehouses, Categories: r.Categories, Observe: r.LoaderBatches}, r.LoaderWait)
}
