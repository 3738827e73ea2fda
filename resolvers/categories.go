package resolvers

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/graph/model"
)

// DefaultCategoryTreeTTL is how old the in-memory category tree may grow before a request
// that reads it starts a refresh (in the background: that request, and the others until
// the refresh lands, are served the tree they had).
const DefaultCategoryTreeTTL = 30 * time.Second

// CategoryLister reads every category in one call, each parent's children in display
// order. postgres.CatalogStore implements it.
type CategoryLister interface {
	AllCategories(ctx context.Context) ([]domain.Category, error)
}

// CategoryTree keeps the shop's whole category tree in memory, so that the categories of
// a product page or a listing cost no round trip at all. A shop has tens or hundreds of
// categories, and the API has no mutation that changes them: they come from the seed or an
// operator's SQL, so a short TTL is their cache's owner (DESIGN.md: every cache is
// invalidated by events or has a short TTL). An id the tree does not know (a category
// created since the last refresh) is read from the store by the loaders, and starts a
// refresh.
//
// The loaders answer their category reads from the tree, and the product resolvers prime
// the request's category loader with each product's category and its ancestors, so that
// `category { parent { ... } }` under a list resolves from the loader's cache: no batch
// window to wait for, and a statement count that does not depend on timing. A CategoryTree
// is safe for concurrent use.
type CategoryTree struct {
	lister  CategoryLister
	ttl     time.Duration
	missAge time.Duration // minRefreshAfterMiss; tests shorten it
	log     *slog.Logger

	snap       atomic.Pointer[categorySnapshot]
	mu         sync.Mutex // held by the synchronous first load
	refreshing atomic.Bool
}

// categorySnapshot is one immutable copy of the tree.
type categorySnapshot struct {
	loaded   time.Time
	byID     map[int64]domain.Category
	bySlug   map[string]domain.Category
	children map[int64][]domain.Category // in display order; absent: no children
	roots    []domain.Category
}

// NewCategoryTree returns a tree read through lister, refreshed once it is older than ttl
// (DefaultCategoryTreeTTL when zero or negative). Nothing is read until first used.
func NewCategoryTree(lister CategoryLister, ttl time.Duration, log *slog.Logger) *CategoryTree {
	if ttl <= 0 {
		ttl = DefaultCategoryTreeTTL
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &CategoryTree{lister: lister, ttl: ttl, missAge: minRefreshAfterMiss, log: log}
}

// snapshot returns the current tree, loading it first if there is none yet (concurrent
// first callers share one load) and starting a background refresh if it is stale.
func (t *CategoryTree) snapshot(ctx context.Context) (*categorySnapshot, error) {
	if s := t.snap.Load(); s != nil {
		if time.Since(s.loaded) > t.ttl {
			t.refresh()
		}
		return s, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.snap.Load(); s != nil {
		return s, nil
	}
	s, err := t.load(ctx)
	if err != nil {
		return nil, err
	}
	t.snap.Store(s)
	return s, nil
}

// refresh reloads the tree in the background unless a reload is already running. A failed
// reload keeps the old tree and is retried by the next read.
func (t *CategoryTree) refresh() {
	if !t.refreshing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer t.refreshing.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s, err := t.load(ctx)
		if err != nil {
			t.log.Warn("category tree: refresh failed; serving the previous tree", "err", err)
			return
		}
		t.snap.Store(s)
	}()
}

// minRefreshAfterMiss is how old the tree must be for an id it lacks to reload it: a
// category created since is found within a second, and a client asking for ids that do
// not exist cannot keep the tree reloading.
const minRefreshAfterMiss = time.Second

// refreshAfterMiss reloads the tree s, which lacked a category the store has or may have,
// unless s is younger than minRefreshAfterMiss.
func (t *CategoryTree) refreshAfterMiss(s *categorySnapshot) {
	if time.Since(s.loaded) >= t.missAge {
		t.refresh()
	}
}

func (t *CategoryTree) load(ctx context.Context) (*categorySnapshot, error) {
	all, err := t.lister.AllCategories(ctx)
	if err != nil {
		return nil, err
	}
	s := &categorySnapshot{
		loaded:   time.Now(),
		byID:     make(map[int64]domain.Category, len(all)),
		bySlug:   make(map[string]domain.Category, len(all)),
		children: map[int64][]domain.Category{},
		roots:    []domain.Category{},
	}
	for _, c := range all { // in display order, which appending keeps
		s.byID[c.ID] = c
		s.bySlug[c.Slug] = c
		if c.ParentID == 0 {
			s.roots = append(s.roots, c)
		} else {
			s.children[c.ParentID] = append(s.children[c.ParentID], c)
		}
	}
	return s, nil
}

// categoriesByID answers from the tree, and reads the ids it lacks from the store (and
// refreshes the tree, which is then behind the database).
func (t *CategoryTree) categoriesByID(ctx context.Context, store domain.CatalogReader, ids []int64) (map[int64]domain.Category, error) {
	return fromTree(ctx, t, ids, store.CategoriesByID, func(s *categorySnapshot, id int64) domain.Category {
		return s.byID[id]
	})
}

// categoryChildren answers from the tree for the parents it knows, and reads the others'
// children from the store.
func (t *CategoryTree) categoryChildren(ctx context.Context, store domain.CatalogReader, parentIDs []int64) (map[int64][]domain.Category, error) {
	return fromTree(ctx, t, parentIDs, store.CategoryChildren, func(s *categorySnapshot, id int64) []domain.Category {
		if cs := s.children[id]; cs != nil {
			return cs
		}
		return []domain.Category{}
	})
}

// fromTree answers a batch read by category id with get for the ids the tree knows, and
// with read, in one call, for the others (refreshing the tree, which is then behind the
// database); without a tree, read answers all.
func fromTree[V any](ctx context.Context, t *CategoryTree, ids []int64, read func(context.Context, []int64) (map[int64]V, error), get func(*categorySnapshot, int64) V) (map[int64]V, error) {
	s, err := t.snapshot(ctx)
	if err != nil {
		return read(ctx, ids)
	}
	out := make(map[int64]V, len(ids))
	var missing []int64
	for _, id := range ids {
		if _, ok := s.byID[id]; ok {
			out[id] = get(s, id)
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	t.refreshAfterMiss(s)
	more, err := read(ctx, missing)
	if err != nil {
		return nil, err
	}
	for id, v := range more {
		out[id] = v
	}
	return out, nil
}

// roots returns the root categories in display order.
func (t *CategoryTree) roots(ctx context.Context, store domain.CatalogReader) ([]domain.Category, error) {
	s, err := t.snapshot(ctx)
	if err != nil {
		return store.RootCategories(ctx)
	}
	return s.roots, nil
}

// bySlug returns the category with the slug; a slug the tree lacks is looked up in the
// store (a category created since the last refresh).
func (t *CategoryTree) bySlug(ctx context.Context, store domain.CatalogReader, slug string) (domain.Category, error) {
	if s, err := t.snapshot(ctx); err == nil {
		if c, ok := s.bySlug[slug]; ok {
			return c, nil
		}
	}
	c, err := store.CategoryBySlug(ctx, slug)
	if err == nil {
		if s := t.snap.Load(); s != nil {
			t.refreshAfterMiss(s)
		}
	}
	return c, err
}

// primeCategories puts the categories of the products, and all their ancestors, into the
// request's category loader, so that the products' category and parent fields resolve
// from the loader's cache. Categories the tree lacks are left to the loader's batch.
func (r *Resolver) primeCategories(ctx context.Context, categoryIDs func(yield func(int64) bool)) {
	if r.Categories == nil {
		return
	}
	s, err := r.Categories.snapshot(ctx)
	if err != nil {
		return
	}
	loader := loadersFrom(ctx).CategoryByID()
	var primed []int64 // a few distinct categories a page: a slice beats a map
	for id := range categoryIDs {
		for !slices.Contains(primed, id) {
			c, ok := s.byID[id]
			if !ok {
				break
			}
			primed = append(primed, id)
			loader.Prime(ctx, id, c)
			id = c.ParentID
		}
	}
}

// productConnection converts a page of products, having primed the category loader with
// their categories.
func (r *Resolver) productConnection(ctx context.Context, page domain.ProductPage, count func(ctx context.Context) (int, error)) *model.ProductConnection {
	r.primeCategories(ctx, func(yield func(int64) bool) {
		for _, e := range page.Edges {
			if !yield(e.Product.CategoryID) {
				return
			}
		}
	})
	return toProductConnection(page, count)
}

// rootCategories returns the root categories, from the tree when there is one.
func (r *Resolver) rootCategories(ctx context.Context) ([]domain.Category, error) {
	if r.Categories == nil {
		return r.Catalog.RootCategories(ctx)
	}
	return r.Categories.roots(ctx, r.Catalog)
}

// categoryBySlug returns the category with the slug, from the tree when there is one.
func (r *Resolver) categoryBySlug(ctx context.Context, slug string) (domain.Category, error) {
	if r.Categories == nil {
		return r.Catalog.CategoryBySlug(ctx, slug)
	}
	return r.Categories.bySlug(ctx, r.Catalog, slug)
}
