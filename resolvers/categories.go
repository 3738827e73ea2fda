package resolvers

import (
	"context"
	"fmt"
	"log/slog"
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
// The tree also keeps one GraphQL copy of every category, linked to its parent and shared
// by every request: a product's category is read from it, and `category { parent { ... } }`
// under a list of products costs no resolver call, no loader and no batch window to wait
// for, so the statement count does not depend on timing. The loaders answer their
// category reads from the tree too. A CategoryTree is safe for concurrent use.
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
	models   map[int64]*model.Category // linked to their parents, shared by every request
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
	s.models = make(map[int64]*model.Category, len(all))
	for _, c := range all {
		s.models[c.ID] = toCategory(c)
	}
	for _, m := range s.models {
		m.Parent = s.models[m.ParentID] // nil for a root, and for a parent not in the tree
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

// maxCategoryDepth bounds the walk up a category's parents outside the tree.
const maxCategoryDepth = 64

// category returns the GraphQL category of c, its parents linked: the tree's shared copy
// when the tree holds c as it is, else one made for this request, whose parents come from
// the tree or through the request's category loader.
func (r *Resolver) category(ctx context.Context, c domain.Category) (*model.Category, error) {
	return r.linkCategory(ctx, c, 0)
}

// categories returns the GraphQL categories of cs, their parents linked.
func (r *Resolver) categories(ctx context.Context, cs []domain.Category) ([]*model.Category, error) {
	out := make([]*model.Category, len(cs))
	for i, c := range cs {
		m, err := r.category(ctx, c)
		if err != nil {
			return nil, err
		}
		out[i] = m
	}
	return out, nil
}

// categoryOf returns the GraphQL category with the id, its parents linked: from the tree,
// or through the request's category loader (which batches the categories the tree lacks).
func (r *Resolver) categoryOf(ctx context.Context, id int64) (*model.Category, error) {
	return r.linkCategoryOf(ctx, id, 0)
}

func (r *Resolver) linkCategoryOf(ctx context.Context, id int64, depth int) (*model.Category, error) {
	if r.Categories != nil {
		if s, err := r.Categories.snapshot(ctx); err == nil {
			if m, ok := s.models[id]; ok {
				return m, nil
			}
		}
	}
	c, err := loadersFrom(ctx).CategoryByID().Load(ctx, id)()
	if err != nil {
		return nil, err
	}
	return r.linkCategory(ctx, c, depth)
}

func (r *Resolver) linkCategory(ctx context.Context, c domain.Category, depth int) (*model.Category, error) {
	if r.Categories != nil {
		if s, err := r.Categories.snapshot(ctx); err == nil {
			if m, ok := s.models[c.ID]; ok && s.byID[c.ID] == c && (c.ParentID == 0 || m.Parent != nil) {
				return m, nil
			}
		}
	}
	m := toCategory(c)
	if c.ParentID == 0 {
		return m, nil
	}
	if depth >= maxCategoryDepth {
		return nil, fmt.Errorf("category %d: more than %d ancestors", c.ID, maxCategoryDepth)
	}
	parent, err := r.linkCategoryOf(ctx, c.ParentID, depth+1)
	if err != nil {
		return nil, err
	}
	m.Parent = parent
	return m, nil
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
