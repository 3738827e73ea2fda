package redis_test

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/redis"
	"github.com/shopgraph/shopgraph/testkit"
)

// fakeCatalog is an in-memory domain.CatalogReader that records its calls. Its product
// reads take a snapshot of the products first and then run the hook, if any, before
// returning it: a test can hold a read that has "read the database" while it changes
// the products and invalidates, as a concurrent commit would.
type fakeCatalog struct {
	mu       sync.Mutex
	products map[int64]domain.Product
	byID     [][]int64 // the ids of each ProductsByID call
	bySlug   []string  // the slug of each ProductBySlug call
	details  map[int64]domain.ProductDetail
	byDetail [][]int64 // the ids of each ProductDetails call
	other    int       // calls of every other method
	hook     func()
}

func newFakeCatalog(ps ...domain.Product) *fakeCatalog {
	f := &fakeCatalog{products: map[int64]domain.Product{}}
	for _, p := range ps {
		f.products[p.ID] = p
	}
	return f
}

// product returns a product with every field set, times in the offset pgx would use.
func product(id int64, slug string, price int64) domain.Product {
	at := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
	return domain.Product{
		ID: id, Slug: slug, Name: "Product " + slug, Description: "About " + slug,
		Price: domain.Money{Amount: price, Currency: "EUR"}, CategoryID: 7, Stock: 12,
		UnitsSold: 34, CreatedAt: at, UpdatedAt: at.Add(time.Hour), BrandID: 3, RatingCount: 2, RatingSum: 9,
	}
}

// set replaces a product, as a committed write would.
func (f *fakeCatalog) set(p domain.Product) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.products[p.ID] = p
}

func (f *fakeCatalog) setHook(h func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = h
}

// calls returns the ids of every ProductsByID call and the slugs of every ProductBySlug
// call so far.
func (f *fakeCatalog) calls() ([][]int64, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.byID), slices.Clone(f.bySlug)
}

func (f *fakeCatalog) ProductsByID(_ context.Context, ids []int64) (map[int64]domain.Product, error) {
	f.mu.Lock()
	f.byID = append(f.byID, slices.Clone(ids))
	out := map[int64]domain.Product{}
	for _, id := range ids {
		if p, ok := f.products[id]; ok {
			out[id] = p
		}
	}
	hook := f.hook
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	return out, nil
}

func (f *fakeCatalog) ProductBySlug(_ context.Context, slug string) (domain.Product, error) {
	f.mu.Lock()
	f.bySlug = append(f.bySlug, slug)
	var found *domain.Product
	for _, p := range f.products {
		if p.Slug == slug && !p.Deleted {
			found = &p
		}
	}
	hook := f.hook
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	if found == nil {
		return domain.Product{}, domain.Errorf(domain.CodeNotFound, "product not found")
	}
	return *found, nil
}

func (f *fakeCatalog) count() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.other++
}

func (f *fakeCatalog) ListProducts(context.Context, domain.ProductQuery) (domain.ProductPage, error) {
	f.count()
	return domain.ProductPage{HasNextPage: true}, nil
}

func (f *fakeCatalog) CountProducts(context.Context, domain.ProductFilter) (int, error) {
	f.count()
	return 42, nil
}

func (f *fakeCatalog) ListCategoryProducts(context.Context, []int64, domain.ProductQuery) (map[int64]domain.ProductPage, error) {
	f.count()
	return map[int64]domain.ProductPage{1: {}}, nil
}

func (f *fakeCatalog) CountCategoryProducts(context.Context, []int64, domain.ProductFilter) (map[int64]int, error) {
	f.count()
	return map[int64]int{1: 2}, nil
}

func (f *fakeCatalog) CategoriesByID(context.Context, []int64) (map[int64]domain.Category, error) {
	f.count()
	return map[int64]domain.Category{1: {ID: 1}}, nil
}

func (f *fakeCatalog) CategoryChildren(context.Context, []int64) (map[int64][]domain.Category, error) {
	f.count()
	return map[int64][]domain.Category{1: {}}, nil
}

func (f *fakeCatalog) RootCategories(context.Context) ([]domain.Category, error) {
	f.count()
	return []domain.Category{{ID: 1}}, nil
}

func (f *fakeCatalog) CategoryBySlug(context.Context, string) (domain.Category, error) {
	f.count()
	return domain.Category{ID: 1}, nil
}

func (f *fakeCatalog) VariantsByID(context.Context, []int64) (map[int64]domain.Variant, error) {
	f.count()
	return map[int64]domain.Variant{}, nil
}

// ProductDetails returns the details set with setDetails; like the Postgres store, every
// id is a key of the result (empty details for the others). It runs the hook too.
func (f *fakeCatalog) ProductDetails(_ context.Context, ids []int64) (map[int64]domain.ProductDetail, error) {
	f.mu.Lock()
	f.byDetail = append(f.byDetail, slices.Clone(ids))
	out := map[int64]domain.ProductDetail{}
	for _, id := range ids {
		d, ok := f.details[id]
		if !ok {
			d = domain.ProductDetail{Variants: []domain.Variant{}, Images: []domain.Image{}}
		}
		out[id] = d
	}
	hook := f.hook
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	return out, nil
}

// setDetails replaces a product's details, as a committed write would.
func (f *fakeCatalog) setDetails(id int64, d domain.ProductDetail) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.details == nil {
		f.details = map[int64]domain.ProductDetail{}
	}
	f.details[id] = d
}

// detailCalls returns the ids of every ProductDetails call so far.
func (f *fakeCatalog) detailCalls() [][]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.byDetail)
}

func (f *fakeCatalog) ProductFacets(context.Context, domain.ProductFilter) ([]domain.Facet, error) {
	f.count()
	return nil, nil
}

func (f *fakeCatalog) BrandsByID(context.Context, []int64) (map[int64]domain.Brand, error) {
	f.count()
	return map[int64]domain.Brand{}, nil
}

func (f *fakeCatalog) Brands(context.Context) ([]domain.Brand, error) {
	f.count()
	return nil, nil
}

func (f *fakeCatalog) Attributes(context.Context) ([]domain.Attribute, error) {
	f.count()
	return nil, nil
}

func newCatalogCache(t *testing.T, f *fakeCatalog) *redis.CatalogCache {
	t.Helper()
	return redis.NewCatalogCache(testkit.Redis(t), f, time.Minute)
}

// byID reads ids through the cache and fails the test on an error.
func byID(t *testing.T, c *redis.CatalogCache, ids ...int64) map[int64]domain.Product {
	t.Helper()
	ps, err := c.ProductsByID(context.Background(), ids)
	if err != nil {
		t.Fatalf("ProductsByID(%v): %v", ids, err)
	}
	return ps
}

// bySlug reads a slug through the cache; a NOT_FOUND error is returned, any other fails.
func bySlug(t *testing.T, c *redis.CatalogCache, slug string) (domain.Product, error) {
	t.Helper()
	p, err := c.ProductBySlug(context.Background(), slug)
	if err != nil && !domain.IsNotFound(err) {
		t.Fatalf("ProductBySlug(%q): %v", slug, err)
	}
	return p, err
}

func invalidate(t *testing.T, c *redis.CatalogCache, ids ...int64) {
	t.Helper()
	if err := c.Invalidate(context.Background(), ids...); err != nil {
		t.Fatalf("Invalidate(%v): %v", ids, err)
	}
}

// wantCalls fails the test unless the inner store saw exactly these ProductsByID calls
// (ids sorted within each call) since the last check, and no slug lookups.
func wantCalls(t *testing.T, f *fakeCatalog, seen *int, want ...[]int64) {
	t.Helper()
	calls, _ := f.calls()
	got := calls[*seen:]
	*seen = len(calls)
	for _, ids := range got {
		slices.Sort(ids)
	}
	if len(got) == 0 {
		got = nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("inner ProductsByID calls %v, want %v", got, want)
	}
}

func TestCatalogCacheProductsByID(t *testing.T) {
	t.Parallel()
	p1, p2, p3 := product(1, "one", 100), product(2, "two", 200), product(3, "three", 300)
	p3.Deleted = true
	// Products as pgx returns them: in the server's zone, which rendering must keep.
	p2.CreatedAt = p2.CreatedAt.In(time.FixedZone("", 2*3600))
	f := newFakeCatalog(p1, p2, p3, product(4, "four", 400), product(5, "five", 500))
	c := newCatalogCache(t, f)
	seen := 0

	want := map[int64]domain.Product{1: p1, 2: p2, 3: p3}
	if got := byID(t, c, 1, 2, 3, 99, 2); !reflect.DeepEqual(got, want) {
		t.Fatalf("first read:\n got %+v\nwant %+v", got, want)
	}
	wantCalls(t, f, &seen, []int64{1, 2, 3, 99})

	got := byID(t, c, 3, 2, 1)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("cached read:\n got %+v\nwant %+v", got, want)
	}
	if got[2].CreatedAt.Format(time.RFC3339Nano) != p2.CreatedAt.Format(time.RFC3339Nano) {
		t.Errorf("a cached time renders as %s, want %s", got[2].CreatedAt.Format(time.RFC3339Nano), p2.CreatedAt.Format(time.RFC3339Nano))
	}
	wantCalls(t, f, &seen) // all hits, deleted product included

	// Many misses among hits: one batch for the misses, unknown ids asked again.
	if got := byID(t, c, 1, 4, 2, 5, 99); len(got) != 4 || got[4].Price.Amount != 400 || got[5].Slug != "five" {
		t.Errorf("mixed read: %+v", got)
	}
	wantCalls(t, f, &seen, []int64{4, 5, 99})
	byID(t, c, 1, 2, 3, 4, 5)
	wantCalls(t, f, &seen)
	if s := c.Stats(); s.Hits != 3+2+5 || s.Misses != 4+3 || s.Failures != 0 {
		t.Errorf("stats %+v", s)
	}

	// A change is served once invalidated, and only the invalidated products are read.
	changed := product(2, "two", 250)
	f.set(changed)
	if got := byID(t, c, 2); got[2].Price.Amount != 200 {
		t.Errorf("before the invalidation: price %d, want the cached 200", got[2].Price.Amount)
	}
	invalidate(t, c, 2, 4)
	if got := byID(t, c, 1, 2, 4); !reflect.DeepEqual(got[2], changed) || got[4].Price.Amount != 400 {
		t.Errorf("after the invalidation: %+v", got)
	}
	wantCalls(t, f, &seen, []int64{2, 4})
	byID(t, c, 1, 2, 4)
	wantCalls(t, f, &seen)

	if got := byID(t, c); len(got) != 0 {
		t.Errorf("no ids: %+v", got)
	}
	wantCalls(t, f, &seen)
}

func TestCatalogCacheProductBySlug(t *testing.T) {
	t.Parallel()
	f := newFakeCatalog(product(1, "lamp", 100), product(2, "desk", 200))
	c := newCatalogCache(t, f)
	seen := 0
	slugCalls := func() []string {
		t.Helper()
		_, s := f.calls()
		return s
	}

	// First lookup: the inner store answers, the slug is remembered. Second: the product
	// is read by id and cached. Third: Redis only.
	for i := range 3 {
		p, err := bySlug(t, c, "lamp")
		if err != nil || !reflect.DeepEqual(p, product(1, "lamp", 100)) {
			t.Fatalf("lookup %d: %+v %v", i, p, err)
		}
	}
	if got := slugCalls(); !slices.Equal(got, []string{"lamp"}) {
		t.Errorf("inner slug lookups %v, want [lamp]", got)
	}
	wantCalls(t, f, &seen, []int64{1})

	// The lamp is renamed and the desk takes its slug: the slug key still points at the
	// lamp, which no longer has the slug, so the inner store answers and the key is
	// repointed at the desk.
	lamp, desk := product(1, "desk-lamp", 120), product(2, "lamp", 200)
	f.set(lamp)
	f.set(desk)
	invalidate(t, c, 1, 2)
	for i := range 3 {
		if p, err := bySlug(t, c, "lamp"); err != nil || !reflect.DeepEqual(p, desk) {
			t.Fatalf("lookup %d of the slug taken by the desk: %+v %v", i, p, err)
		}
	}
	if got := slugCalls(); !slices.Equal(got, []string{"lamp", "lamp"}) {
		t.Errorf("inner slug lookups %v, want [lamp lamp]", got)
	}
	wantCalls(t, f, &seen, []int64{1}, []int64{2}) // the stale pointer's target, then the desk
	if p, err := bySlug(t, c, "desk-lamp"); err != nil || !reflect.DeepEqual(p, lamp) {
		t.Errorf("the lamp's new slug: %+v %v", p, err)
	}

	// The desk is renamed too: "lamp" is nobody's, and its key is removed, so that the
	// next lookup goes to the inner store alone.
	desk = product(2, "desk", 200)
	f.set(desk)
	invalidate(t, c, 2)
	if p, err := bySlug(t, c, "lamp"); !domain.IsNotFound(err) {
		t.Errorf("a slug nobody has: %+v %v", p, err)
	}
	seen = len(mustCalls(f))
	before := len(slugCalls())
	if _, err := bySlug(t, c, "lamp"); !domain.IsNotFound(err) {
		t.Errorf("a slug nobody has, again: %v", err)
	}
	if ids, slugs := len(mustCalls(f))-seen, len(slugCalls())-before; ids != 0 || slugs != 1 {
		t.Errorf("a slug nobody has, again: %d id reads and %d slug reads, want 0 and 1", ids, slugs)
	}

	// Unknown slugs are not cached.
	before = len(slugCalls())
	for range 2 {
		if _, err := bySlug(t, c, "nothing-here"); !domain.IsNotFound(err) {
			t.Errorf("unknown slug: %v", err)
		}
	}
	if n := len(slugCalls()) - before; n != 2 {
		t.Errorf("%d inner lookups for an unknown slug asked twice, want 2", n)
	}

	// A deleted product: NOT_FOUND by slug, still there (and cached) by id.
	bySlug(t, c, "desk")
	bySlug(t, c, "desk") // cached by slug and by id
	gone := desk
	gone.Deleted = true
	f.set(gone)
	invalidate(t, c, 2)
	if p, err := bySlug(t, c, "desk"); !domain.IsNotFound(err) {
		t.Errorf("deleted product by slug: %+v %v", p, err)
	}
	seen = len(mustCalls(f))
	for range 2 {
		if got := byID(t, c, 2); !got[2].Deleted {
			t.Errorf("deleted product by id: %+v", got)
		}
	}
	if n := len(mustCalls(f)) - seen; n != 0 {
		t.Errorf("%d inner reads of a cached deleted product, want 0", n)
	}
}

func mustCalls(f *fakeCatalog) [][]int64 {
	c, _ := f.calls()
	return c
}

// TestCatalogCacheStaleWriteRace drives the race the generation guards against: a read
// misses and reads the old row; the update commits and is invalidated; only then does
// the read write its (stale) entry. The write must be dropped.
func TestCatalogCacheStaleWriteRace(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		read func(c *redis.CatalogCache) (domain.Product, error)
	}{
		{"by id", func(c *redis.CatalogCache) (domain.Product, error) {
			ps, err := c.ProductsByID(context.Background(), []int64{1})
			return ps[1], err
		}},
		// The slug's second lookup is the one that caches the product (by id).
		{"by slug", func(c *redis.CatalogCache) (domain.Product, error) {
			return c.ProductBySlug(context.Background(), "lamp")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeCatalog(product(1, "lamp", 100))
			c := newCatalogCache(t, f)
			if tc.name == "by slug" {
				bySlug(t, c, "lamp") // remembers the slug only
			}

			inRead, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			f.setHook(func() { once.Do(func() { close(inRead); <-release }) })
			type result struct {
				p   domain.Product
				err error
			}
			done := make(chan result, 1)
			go func() {
				p, err := tc.read(c)
				done <- result{p, err}
			}()
			select {
			case <-inRead:
			case <-time.After(10 * time.Second):
				t.Fatal("the read never reached the inner store")
			}
			// The read holds the old row. The update commits and is invalidated.
			f.setHook(nil)
			f.set(product(1, "lamp", 150))
			invalidate(t, c, 1)
			close(release)
			var r result
			select {
			case r = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the read never returned")
			}
			if r.err != nil || r.p.Price.Amount != 100 {
				t.Fatalf("the racing read: %+v %v (it read before the commit: 100 is right)", r.p, r.err)
			}

			// Its stale write was dropped: the next read misses and sees the change,
			// and the one after is served by the cache.
			seen := len(mustCalls(f))
			for i := range 2 {
				if got := byID(t, c, 1); got[1].Price.Amount != 150 {
					t.Fatalf("read %d after the race: price %d, want 150", i, got[1].Price.Amount)
				}
			}
			if n := len(mustCalls(f)) - seen; n != 1 {
				t.Errorf("%d inner reads after the race, want 1 (the stale entry was written?)", n)
			}
		})
	}
}

// TestCatalogCacheWriteBeforeInvalidation checks the other order: the stale entry is
// written before the invalidation runs, which must then remove it.
func TestCatalogCacheWriteBeforeInvalidation(t *testing.T) {
	t.Parallel()
	f := newFakeCatalog(product(1, "lamp", 100))
	c := newCatalogCache(t, f)
	byID(t, c, 1)                  // cached at 100
	f.set(product(1, "lamp", 150)) // committed, not yet invalidated
	if got := byID(t, c, 1); got[1].Price.Amount != 100 {
		t.Fatalf("before the invalidation: %d", got[1].Price.Amount)
	}
	invalidate(t, c, 1)
	if got := byID(t, c, 1); got[1].Price.Amount != 150 {
		t.Errorf("after the invalidation: %d, want 150", got[1].Price.Amount)
	}
}

func TestCatalogCachePassesListingsThrough(t *testing.T) {
	t.Parallel()
	f := newFakeCatalog()
	c := newCatalogCache(t, f)
	ctx := context.Background()
	check := func(name string, got, want any, err error) {
		t.Helper()
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v %v, want %+v", name, got, err, want)
		}
	}
	for range 2 { // twice: nothing of this is cached
		page, err := c.ListProducts(ctx, domain.ProductQuery{})
		check("ListProducts", page, domain.ProductPage{HasNextPage: true}, err)
		n, err := c.CountProducts(ctx, domain.ProductFilter{})
		check("CountProducts", n, 42, err)
		pages, err := c.ListCategoryProducts(ctx, []int64{1}, domain.ProductQuery{})
		check("ListCategoryProducts", pages, map[int64]domain.ProductPage{1: {}}, err)
		counts, err := c.CountCategoryProducts(ctx, []int64{1}, domain.ProductFilter{})
		check("CountCategoryProducts", counts, map[int64]int{1: 2}, err)
		cats, err := c.CategoriesByID(ctx, []int64{1})
		check("CategoriesByID", cats, map[int64]domain.Category{1: {ID: 1}}, err)
		children, err := c.CategoryChildren(ctx, []int64{1})
		check("CategoryChildren", children, map[int64][]domain.Category{1: {}}, err)
		roots, err := c.RootCategories(ctx)
		check("RootCategories", roots, []domain.Category{{ID: 1}}, err)
		cat, err := c.CategoryBySlug(ctx, "x")
		check("CategoryBySlug", cat, domain.Category{ID: 1}, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.other != 16 {
		t.Errorf("%d inner calls, want 16", f.other)
	}
}

// TestCatalogCacheRedisDown points the cache at a port where nothing listens: every read
// must still be answered, correctly, by the inner store, and after a failure the cache
// leaves Redis alone (redisPause) rather than trying it on every read.
func TestCatalogCacheRedisDown(t *testing.T) {
	t.Parallel()
	client, err := redis.Open(redis.Config{URL: "redis://127.0.0.1:1/0", Prefix: testkit.UniqueName("down") + ":"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	f := newFakeCatalog(product(1, "lamp", 100), product(2, "desk", 200))
	c := redis.NewCatalogCache(client, f, time.Minute)

	const rounds = 50
	for i := range rounds {
		if got := byID(t, c, 1, 2, 3); len(got) != 2 || !reflect.DeepEqual(got[2], product(2, "desk", 200)) {
			t.Fatalf("round %d by id: %+v", i, got)
		}
		if p, err := bySlug(t, c, "lamp"); err != nil || !reflect.DeepEqual(p, product(1, "lamp", 100)) {
			t.Fatalf("round %d by slug: %+v %v", i, p, err)
		}
		if _, err := bySlug(t, c, "nothing"); !domain.IsNotFound(err) {
			t.Fatalf("round %d unknown slug: %v", i, err)
		}
	}
	calls, slugs := f.calls()
	if len(calls) != rounds || len(slugs) != 2*rounds {
		t.Errorf("inner calls: %d by id, %d by slug; want %d and %d", len(calls), len(slugs), rounds, 2*rounds)
	}
	// 150 reads, of which only those after a pause ends try Redis: one per second of
	// the loop, however slow the machine, is far below one per read.
	if s := c.Stats(); s.Failures == 0 || s.Failures > rounds/2 || s.Hits != 0 {
		t.Errorf("stats %+v: want failures counted, Redis tried once per pause (not on every read), no hits", s)
	}
	if err := c.Invalidate(context.Background(), 1); err == nil {
		t.Error("Invalidate with Redis down returned nil")
	}
}

// TestCatalogCacheAfterScriptFlush checks that entries are still written when the server
// has forgotten the guard script (a restart, SCRIPT FLUSH): the cache sends it in full.
// Every script user of this repository falls back the same way, so flushing the shared
// server's scripts disturbs no other test.
func TestCatalogCacheAfterScriptFlush(t *testing.T) {
	t.Parallel()
	client := testkit.Redis(t)
	f := newFakeCatalog(product(1, "lamp", 100))
	c := redis.NewCatalogCache(client, f, time.Minute)
	if err := client.RDB.ScriptFlush(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	seen := 0
	byID(t, c, 1)
	byID(t, c, 1)
	wantCalls(t, f, &seen, []int64{1})
	if s := c.Stats(); s.Failures != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestCatalogCacheSlugHint: a process remembers where a slug led, so a product page costs
// the product's MGET alone; the hint is checked like the slug key, so a product that lost
// the slug is not served for it.
func TestCatalogCacheSlugHint(t *testing.T) {
	t.Parallel()
	f := newFakeCatalog(product(1, "lamp", 100), product(2, "desk", 200))
	client := testkit.Redis(t)
	c := redis.NewCatalogCache(client, f, time.Minute)
	bySlug(t, c, "lamp")
	bySlug(t, c, "lamp") // the product is cached by id now

	// Remove every slug key: only the hint can lead to the product without the inner store.
	ctx := context.Background()
	keys, err := client.RDB.Keys(ctx, client.Key("cat", "s", "*")).Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("slug keys %v: %v", keys, err)
	}
	if err := client.RDB.Del(ctx, keys...).Err(); err != nil {
		t.Fatal(err)
	}
	_, before := f.calls()
	if p, err := bySlug(t, c, "lamp"); err != nil || !reflect.DeepEqual(p, product(1, "lamp", 100)) {
		t.Fatalf("lookup through the hint: %+v %v", p, err)
	}
	if _, after := f.calls(); len(after) != len(before) {
		t.Errorf("the inner store was asked for the slug (%v): the hint was not used", after[len(before):])
	}

	// The lamp gives its slug to the desk: the hint leads to the lamp, which no longer has
	// it, and the lookup falls back to the inner store.
	f.set(product(1, "desk-lamp", 120))
	f.set(product(2, "lamp", 200))
	invalidate(t, c, 1, 2)
	for i := range 2 {
		if p, err := bySlug(t, c, "lamp"); err != nil || p.ID != 2 {
			t.Fatalf("lookup %d of the slug now the desk's: %+v %v", i, p, err)
		}
	}
}

// detail returns details with every field set: two variants (one with a compare-at
// price, options and an image), an image, and attribute values of the three types.
func detail(id, price int64) domain.ProductDetail {
	cmp := price + 500
	attrs := []domain.AttributeValue{
		{Name: "Material", Type: domain.AttributeText, Text: "linen \"fine\" <&>"},
		{Name: "Weight (kg)", Type: domain.AttributeNumber, Number: 0.1 + 0.2},
		{Name: "Waterproof", Type: domain.AttributeBoolean, Bool: true},
	}
	return domain.ProductDetail{
		Variants: []domain.Variant{
			{ID: 10*id + 1, ProductID: id, Position: 0, SKU: "SKU-A", Options: []domain.SelectedOption{{Name: "Size", Value: "M"}},
				Price: domain.Money{Amount: price, Currency: "EUR"}, CompareAtMinor: &cmp, Stock: 4, UnitsSold: 9, ImageID: 77},
			{ID: 10*id + 2, ProductID: id, Position: 1, SKU: "SKU-B", Options: []domain.SelectedOption{{Name: "Size", Value: "L"}},
				Price: domain.Money{Amount: price + 1, Currency: "EUR"}},
		},
		Images:     []domain.Image{{ID: 77, ProductID: id, Position: 0, Src: "https://img.example/a.jpg", AltText: "front", Width: 800, Height: 600}},
		Attributes: func() ([]domain.AttributeValue, error) { return attrs, nil },
	}
}

// detailsOf reads ids' details through the cache, with their attribute values decoded,
// and fails the test on an error.
func detailsOf(t *testing.T, c *redis.CatalogCache, ids ...int64) map[int64]decodedDetail {
	t.Helper()
	ds, err := c.ProductDetails(context.Background(), ids)
	if err != nil {
		t.Fatalf("ProductDetails(%v): %v", ids, err)
	}
	out := map[int64]decodedDetail{}
	for id, d := range ds {
		attrs, err := d.AttributeValues()
		if err != nil {
			t.Fatalf("attribute values of %d: %v", id, err)
		}
		out[id] = decodedDetail{Variants: d.Variants, Images: d.Images, Attributes: attrs}
	}
	return out
}

type decodedDetail struct {
	Variants   []domain.Variant
	Images     []domain.Image
	Attributes []domain.AttributeValue
}

func decoded(t *testing.T, d domain.ProductDetail) decodedDetail {
	t.Helper()
	attrs, err := d.AttributeValues()
	if err != nil {
		t.Fatal(err)
	}
	return decodedDetail{Variants: d.Variants, Images: d.Images, Attributes: attrs}
}

// TestCatalogCacheProductDetails checks that details come back from Redis exactly as the
// inner store gave them, that Invalidate retires them, that a read racing an
// invalidation does not cache what it read, and that an entry is not served under a
// generation other than the one it was read under (an invalidation that left it in
// place, as a replica that knows nothing of details entries does).
func TestCatalogCacheProductDetails(t *testing.T) {
	t.Parallel()
	f := newFakeCatalog()
	f.setDetails(1, detail(1, 1000))
	rdb := testkit.Redis(t)
	c := redis.NewCatalogCache(rdb, f, time.Minute)

	want := map[int64]decodedDetail{1: decoded(t, detail(1, 1000)), 2: {Variants: []domain.Variant{}, Images: []domain.Image{}, Attributes: []domain.AttributeValue{}}}
	for round := range 2 {
		if got := detailsOf(t, c, 1, 2, 1); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: %+v, want %+v", round, got, want)
		}
	}
	if calls := f.detailCalls(); len(calls) != 1 {
		t.Fatalf("inner ProductDetails calls %v, want one: the second read is Redis's", calls)
	}

	// A change is seen after its invalidation only.
	f.setDetails(1, detail(1, 2000))
	if got := detailsOf(t, c, 1); got[1].Variants[0].Price.Amount != 1000 {
		t.Fatalf("before the invalidation: %d, want the cached 1000", got[1].Variants[0].Price.Amount)
	}
	invalidate(t, c, 1)
	if got := detailsOf(t, c, 1); !reflect.DeepEqual(got[1], decoded(t, detail(1, 2000))) {
		t.Fatalf("after the invalidation: %+v", got[1])
	}

	// A read that took the database's details before a change committed and invalidated
	// must not cache them.
	f.setHook(func() {
		f.setHook(nil)
		f.setDetails(1, detail(1, 3000))
		invalidate(t, c, 1)
	})
	invalidate(t, c, 1)
	if got := detailsOf(t, c, 1); got[1].Variants[0].Price.Amount != 2000 {
		t.Fatalf("the racing read: %d, want what it read, 2000", got[1].Variants[0].Price.Amount)
	}
	if got := detailsOf(t, c, 1); got[1].Variants[0].Price.Amount != 3000 {
		t.Fatalf("after the racing read: %d, want 3000: the stale read was cached", got[1].Variants[0].Price.Amount)
	}

	// The generation moves on without the entry being deleted: it is not served.
	f.setDetails(1, detail(1, 4000))
	if err := rdb.RDB.Incr(context.Background(), rdb.Key("cat", "g", "{1}")).Err(); err != nil {
		t.Fatal(err)
	}
	if got := detailsOf(t, c, 1); got[1].Variants[0].Price.Amount != 4000 {
		t.Fatalf("under a new generation: %d, want 4000", got[1].Variants[0].Price.Amount)
	}
}
