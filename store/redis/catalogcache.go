package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	goredis "github.com/redis/go-redis/v9"

	"github.com/shopgraph/shopgraph/domain"
)

// DefaultCatalogCacheTTL is how long a cached product lives when NewCatalogCache is given
// zero: a safety net for invalidations that never arrive, not the way entries normally go.
const DefaultCatalogCacheTTL = 60 * time.Second

// generationTTL is how long a product's generation outlives its last invalidation. It
// only has to outlast a read (generation, database, guarded write), which request
// timeouts bound to seconds; a generation that expires during a read makes that read's
// write fail, never succeed wrongly, unless the key is invalidated again and counts back
// to the same value within the same read, which would take minutes.
const generationTTL = 10 * time.Minute

// redisPause is how long the cache leaves Redis alone after a Redis failure: reads go
// straight to the inner store meanwhile, so a dead or hanging Redis slows one request now
// and then rather than every request.
const redisPause = time.Second

// cacheFormat names the encoding of cached products. It is part of the product keys, so
// that replicas of two versions with different encodings never read each other's entries.
const cacheFormat = "v2"

// CatalogCache is a read-through cache of products in Redis in front of another
// domain.CatalogReader (the Postgres store), for the reads by key: ProductsByID,
// ProductBySlug and ProductDetails. Every other read passes straight through: listings
// and counts depend on filters and orders that one product's change can affect in many
// ways.
//
// The keys, after the client's prefix:
//
//	cat:v2:p:{<id>}  the product, as JSON, for ttl; deleted products too (orders show them)
//	cat:v2:d:{<id>}  the product's details (live variants, images, attribute values), as
//	                 JSON stamped with the generation they were read under, for ttl
//	cat:g:{<id>}     the product's generation, bumped by Invalidate, for generationTTL
//	cat:s:<slug>     the id of the live product with that slug, for ttl
//
// Whoever changes a product must call Invalidate once the change is committed (the
// events.Invalidator does, for every catalog and inventory event); the TTL only bounds how
// long an entry can outlive a lost invalidation.
//
// A stale write is prevented by the generation: a read that misses takes the product's
// generation in the same MGET as the entry, reads the database, and writes the entry with
// a Lua script only when the generation is still the one it took. An invalidation that
// runs between the database read and the write (an update committed meanwhile) bumps the
// generation, so the stale write is dropped; a write before the invalidation is deleted
// by it. Any write that succeeds therefore read the database after the last invalidation
// had run, that is after the last committed change that was invalidated.
//
// A slug is never trusted on its own: the slug key only says which product to look at,
// and the cached product is served for the slug only when it is live and still has that
// slug; otherwise the lookup goes to the inner store and repoints (or removes) the slug
// key. A slug the inner store does not know (NOT_FOUND) is not cached: a negative entry
// would need invalidating on every creation and rename, and unknown slugs are rare
// outside of scans, which rate limits are for.
//
// The cache is an optimisation, never the truth. When Redis fails, reads are answered by
// the inner store, Redis is left alone for a second (redisPause), and the failure is
// counted (Stats), not logged: one log line per request would bury everything else. Read
// errors of the inner store are returned as they are; Redis errors never are, except by
// Invalidate. A CatalogCache is safe for concurrent use.
type CatalogCache struct {
	c     *Client
	inner domain.CatalogReader
	ttl   time.Duration

	// slugs remembers, in this process, which product id each slug led to: a hint that
	// saves the slug key's round trip, checked like the slug key itself (the product is
	// served for the slug only when it is live and still has it).
	slugs slugHints

	// pausedUntil is when reads may use Redis again, in Unix nanoseconds.
	pausedUntil atomic.Int64
	hits        atomic.Int64
	misses      atomic.Int64
	failures    atomic.Int64
}

var _ domain.CatalogReader = (*CatalogCache)(nil)

// NewCatalogCache returns a cache on c in front of inner whose entries live for ttl
// (DefaultCatalogCacheTTL when ttl is zero or negative).
func NewCatalogCache(c *Client, inner domain.CatalogReader, ttl time.Duration) *CatalogCache {
	if ttl <= 0 {
		ttl = DefaultCatalogCacheTTL
	}
	return &CatalogCache{c: c, inner: inner, ttl: ttl}
}

// TTL returns how long an entry lives.
func (c *CatalogCache) TTL() time.Duration { return c.ttl }

// CacheStats counts what a CatalogCache did since it was made.
type CacheStats struct {
	// Hits and Misses count products and product details looked up in Redis and found
	// or not found there.
	Hits, Misses int64
	// Failures counts Redis errors, the failed invalidations included.
	Failures int64
}

// Stats returns the counters; it may be called at any time, from any goroutine.
func (c *CatalogCache) Stats() CacheStats {
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Failures: c.failures.Load()}
}

func (c *CatalogCache) productKey(id int64) string {
	return c.c.idKey(id, "cat", cacheFormat, "p")
}

// generationKey shares the product key's hash tag, so that the script that reads one and
// writes the other touches a single slot (Redis Cluster requires it).
func (c *CatalogCache) generationKey(id int64) string {
	return c.c.idKey(id, "cat", "g")
}

// detailsKey names the product's details (variants, images, attribute values); it
// shares the product key's hash tag, for the same reason as generationKey.
func (c *CatalogCache) detailsKey(id int64) string {
	return c.c.idKey(id, "cat", cacheFormat, "d")
}

func (c *CatalogCache) slugKey(slug string) string { return c.c.Key("cat", "s", slug) }

// usable reports whether reads may use Redis now.
func (c *CatalogCache) usable() bool { return time.Now().UnixNano() >= c.pausedUntil.Load() }

// fail counts a Redis failure and pauses the use of Redis by reads. An error caused by
// the caller giving up (ctx ended) is neither: Redis is not to blame.
func (c *CatalogCache) fail(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	c.failures.Add(1)
	c.pausedUntil.Store(time.Now().Add(redisPause).UnixNano())
}

// setIfGenerationScript writes a product entry unless the product was invalidated since
// the caller read its generation.
// KEYS[1] the product entry, KEYS[2] its generation. ARGV: the generation the caller read
// before reading the database ("" when there was none), the entry, the TTL in ms.
// It returns 1 when it wrote the entry, 0 when the generation had moved.
var setIfGenerationScript = goredis.NewScript(`
local g = redis.call('GET', KEYS[2])
if (g or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`)

// ProductsByID returns the products with the given ids, deleted ones included; ids that
// do not exist are absent from the map. It takes the cached ones from Redis in one MGET,
// reads all the others from the inner store in one call, and caches what that returned
// in one pipeline. Unknown ids are not cached: each lookup asks the inner store again.
func (c *CatalogCache) ProductsByID(ctx context.Context, ids []int64) (map[int64]domain.Product, error) {
	ids = uniqueIDs(ids)
	if len(ids) == 0 {
		return map[int64]domain.Product{}, nil
	}
	if !c.usable() {
		return c.inner.ProductsByID(ctx, ids)
	}
	keys := make([]string, 2*len(ids))
	for i, id := range ids {
		keys[i] = c.productKey(id)
		keys[len(ids)+i] = c.generationKey(id)
	}
	vals, err := c.c.RDB.MGet(ctx, keys...).Result()
	if err != nil || len(vals) != len(keys) {
		c.fail(ctx)
		return c.inner.ProductsByID(ctx, ids)
	}
	out := make(map[int64]domain.Product, len(ids))
	var missed []int64
	generations := make(map[int64]string)
	for i, id := range ids {
		if s, ok := vals[i].(string); ok {
			if p, err := decodeProduct(s); err == nil && p.ID == id {
				out[id] = p
				continue
			}
			// An entry that does not decode is treated as a miss and overwritten.
		}
		missed = append(missed, id)
		g, _ := vals[len(ids)+i].(string)
		generations[id] = g
	}
	c.hits.Add(int64(len(out)))
	c.misses.Add(int64(len(missed)))
	if len(missed) == 0 {
		return out, nil
	}
	fetched, err := c.inner.ProductsByID(ctx, missed)
	if err != nil {
		return nil, err
	}
	c.store(ctx, fetched, generations)
	for id, p := range fetched {
		out[id] = p
	}
	return out, nil
}

// store writes the fetched products to Redis in one pipeline, each only if its generation
// is still the one read before the database read. Failures are counted, not returned.
func (c *CatalogCache) store(ctx context.Context, fetched map[int64]domain.Product, generations map[int64]string) {
	writes := make([]guardedWrite, 0, len(fetched))
	for id, p := range fetched {
		entry, err := encodeProduct(p)
		if err != nil {
			continue // cannot happen with these field types; the product just stays uncached
		}
		writes = append(writes, guardedWrite{
			keys: []string{c.productKey(id), c.generationKey(id)},
			args: []any{generations[id], entry, c.ttl.Milliseconds()},
		})
	}
	c.writeGuarded(ctx, writes)
}

// guardedWrite is one setIfGenerationScript call: the entry's key and its generation's,
// and the generation read before the database read, the entry and its TTL.
type guardedWrite struct {
	keys []string
	args []any
}

// writeGuarded runs the writes in one pipeline. Failures are counted, not returned.
func (c *CatalogCache) writeGuarded(ctx context.Context, writes []guardedWrite) {
	if len(writes) == 0 {
		return
	}
	run := func(eval func(p goredis.Pipeliner, w guardedWrite) *goredis.Cmd) ([]*goredis.Cmd, error) {
		cmds := make([]*goredis.Cmd, len(writes))
		_, err := c.c.RDB.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for i, w := range writes {
				cmds[i] = eval(p, w)
			}
			return nil
		})
		return cmds, err
	}
	cmds, err := run(func(p goredis.Pipeliner, w guardedWrite) *goredis.Cmd {
		return setIfGenerationScript.EvalSha(ctx, p, w.keys, w.args...)
	})
	if err != nil && noScript(cmds) {
		// The server does not know the script yet (first use, or after a restart or
		// SCRIPT FLUSH): send it in full, which also caches it for the next EVALSHA.
		_, err = run(func(p goredis.Pipeliner, w guardedWrite) *goredis.Cmd {
			return setIfGenerationScript.Eval(ctx, p, w.keys, w.args...)
		})
	}
	if err != nil {
		c.fail(ctx)
	}
}

// noScript reports whether any command failed because the script is not cached.
func noScript(cmds []*goredis.Cmd) bool {
	for _, cmd := range cmds {
		if err := cmd.Err(); err != nil && (errors.Is(err, goredis.ErrNoScript) || goredis.HasErrorPrefix(err, "NOSCRIPT")) {
			return true
		}
	}
	return false
}

// ProductBySlug returns the live product with the slug, or a NOT_FOUND error. A cached
// slug leads to the product through ProductsByID (so the product is cached under its id,
// with the same guard), and is served only when that product is live and still has the
// slug. Otherwise the inner store answers, and the slug key is pointed at its answer, or
// removed when the answer is NOT_FOUND. A slug's first lookup caches only the slug key,
// not the product: the product's generation would have had to be read before the
// database read, when its id was not known yet. Its second lookup caches the product.
func (c *CatalogCache) ProductBySlug(ctx context.Context, slug string) (domain.Product, error) {
	if !c.usable() {
		return c.inner.ProductBySlug(ctx, slug)
	}
	if id, ok := c.slugs.get(slug); ok {
		ps, err := c.ProductsByID(ctx, []int64{id})
		if err != nil {
			return domain.Product{}, err
		}
		if p, ok := ps[id]; ok && !p.Deleted && p.Slug == slug {
			return p, nil
		}
		c.slugs.forget(slug)
	}
	pointed := false
	id, err := c.c.RDB.Get(ctx, c.slugKey(slug)).Int64()
	switch {
	case err == nil:
		pointed = true
		ps, err := c.ProductsByID(ctx, []int64{id})
		if err != nil {
			return domain.Product{}, err
		}
		if p, ok := ps[id]; ok && !p.Deleted && p.Slug == slug {
			c.slugs.put(slug, id)
			return p, nil
		}
	case errors.Is(err, goredis.Nil):
	default:
		c.fail(ctx)
		return c.inner.ProductBySlug(ctx, slug)
	}
	p, err := c.inner.ProductBySlug(ctx, slug)
	switch {
	case !c.usable():
	case err == nil:
		c.slugs.put(slug, p.ID)
		if err := c.c.RDB.Set(ctx, c.slugKey(slug), p.ID, c.ttl).Err(); err != nil {
			c.fail(ctx)
		}
	case pointed && domain.IsNotFound(err):
		if err := c.c.RDB.Del(ctx, c.slugKey(slug)).Err(); err != nil {
			c.fail(ctx)
		}
	}
	return p, err
}

// maxSlugHints bounds the slug hints of one process; when full they are dropped and
// learnt again (a scan of random slugs must not grow the map for ever).
const maxSlugHints = 1 << 16

// slugHints maps slugs to the product ids they last led to. It is safe for concurrent use.
type slugHints struct {
	mu  sync.RWMutex
	ids map[string]int64
}

func (h *slugHints) get(slug string) (int64, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	id, ok := h.ids[slug]
	return id, ok
}

func (h *slugHints) put(slug string, id int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ids == nil || len(h.ids) >= maxSlugHints {
		h.ids = make(map[string]int64)
	}
	h.ids[slug] = id
}

func (h *slugHints) forget(slug string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.ids, slug)
}

// Invalidate removes the cached products with the given ids and bumps their generations,
// so that a read that took the database's row before the change cannot cache it after
// this call. It must be called after the change is committed. It always tries Redis, even
// while reads leave it alone, and returns an error when Redis fails; the caller should
// retry, since an entry it could not remove is served until its TTL ends. Slug keys need
// no invalidation: a product is served for a slug only when it still has that slug.
func (c *CatalogCache) Invalidate(ctx context.Context, productIDs ...int64) error {
	productIDs = uniqueIDs(productIDs)
	if len(productIDs) == 0 {
		return nil
	}
	_, err := c.c.RDB.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, id := range productIDs {
			g := c.generationKey(id)
			p.Incr(ctx, g)
			p.PExpire(ctx, g, generationTTL)
			p.Del(ctx, c.productKey(id), c.detailsKey(id))
		}
		return nil
	})
	if err != nil {
		c.fail(ctx)
		return fmt.Errorf("invalidating %d cached products: %w", len(productIDs), err)
	}
	return nil
}

// ListProducts passes through to the inner store.
func (c *CatalogCache) ListProducts(ctx context.Context, q domain.ProductQuery) (domain.ProductPage, error) {
	return c.inner.ListProducts(ctx, q)
}

// CountProducts passes through to the inner store.
func (c *CatalogCache) CountProducts(ctx context.Context, f domain.ProductFilter) (int, error) {
	return c.inner.CountProducts(ctx, f)
}

// ListCategoryProducts passes through to the inner store.
func (c *CatalogCache) ListCategoryProducts(ctx context.Context, categoryIDs []int64, q domain.ProductQuery) (map[int64]domain.ProductPage, error) {
	return c.inner.ListCategoryProducts(ctx, categoryIDs, q)
}

// CountCategoryProducts passes through to the inner store.
func (c *CatalogCache) CountCategoryProducts(ctx context.Context, categoryIDs []int64, f domain.ProductFilter) (map[int64]int, error) {
	return c.inner.CountCategoryProducts(ctx, categoryIDs, f)
}

// CategoriesByID passes through to the inner store.
func (c *CatalogCache) CategoriesByID(ctx context.Context, ids []int64) (map[int64]domain.Category, error) {
	return c.inner.CategoriesByID(ctx, ids)
}

// CategoryChildren passes through to the inner store.
func (c *CatalogCache) CategoryChildren(ctx context.Context, parentIDs []int64) (map[int64][]domain.Category, error) {
	return c.inner.CategoryChildren(ctx, parentIDs)
}

// RootCategories passes through to the inner store.
func (c *CatalogCache) RootCategories(ctx context.Context) ([]domain.Category, error) {
	return c.inner.RootCategories(ctx)
}

// CategoryBySlug passes through to the inner store.
func (c *CatalogCache) CategoryBySlug(ctx context.Context, slug string) (domain.Category, error) {
	return c.inner.CategoryBySlug(ctx, slug)
}

// VariantsByID passes through to the inner store: stock changes with every checkout,
// and carts and checkouts must see it as it is.
func (c *CatalogCache) VariantsByID(ctx context.Context, ids []int64) (map[int64]domain.Variant, error) {
	return c.inner.VariantsByID(ctx, ids)
}

// ProductDetails returns the live variants, images and attribute values of each
// product, cached like the products themselves: one MGET for the cached ones (with their
// generations), one inner call for the others, written back under the generation guard.
// Variants carry their stock, and every stock change writes an inventory event about
// the product, which invalidates its details with it. An entry also records the
// generation it was read under, and is served only while that is still the product's
// generation: an invalidation that did not delete it (a replica that knows nothing of
// details entries) still retires it.
func (c *CatalogCache) ProductDetails(ctx context.Context, productIDs []int64) (map[int64]domain.ProductDetail, error) {
	ids := uniqueIDs(productIDs)
	if len(ids) == 0 {
		return map[int64]domain.ProductDetail{}, nil
	}
	if !c.usable() {
		return c.inner.ProductDetails(ctx, ids)
	}
	keys := make([]string, 2*len(ids))
	for i, id := range ids {
		keys[i] = c.detailsKey(id)
		keys[len(ids)+i] = c.generationKey(id)
	}
	vals, err := c.c.RDB.MGet(ctx, keys...).Result()
	if err != nil || len(vals) != len(keys) {
		c.fail(ctx)
		return c.inner.ProductDetails(ctx, ids)
	}
	out := make(map[int64]domain.ProductDetail, len(ids))
	var missed []int64
	generations := make(map[int64]string)
	for i, id := range ids {
		g, _ := vals[len(ids)+i].(string)
		if s, ok := vals[i].(string); ok {
			if d, err := decodeDetail(id, g, s); err == nil {
				out[id] = d
				continue
			}
			// An entry of another generation, or one that does not decode, is a miss.
		}
		missed = append(missed, id)
		generations[id] = g
	}
	c.hits.Add(int64(len(out)))
	c.misses.Add(int64(len(missed)))
	if len(missed) == 0 {
		return out, nil
	}
	fetched, err := c.inner.ProductDetails(ctx, missed)
	if err != nil {
		return nil, err
	}
	writes := make([]guardedWrite, 0, len(fetched))
	for id, d := range fetched {
		out[id] = d
		entry, err := encodeDetail(id, d, generations[id])
		if err != nil {
			continue // attribute values that do not decode: the details stay uncached
		}
		writes = append(writes, guardedWrite{
			keys: []string{c.detailsKey(id), c.generationKey(id)},
			args: []any{generations[id], entry, c.ttl.Milliseconds()},
		})
	}
	c.writeGuarded(ctx, writes)
	return out, nil
}

// ProductFacets passes through to the inner store.
func (c *CatalogCache) ProductFacets(ctx context.Context, f domain.ProductFilter) ([]domain.Facet, error) {
	return c.inner.ProductFacets(ctx, f)
}

// BrandsByID passes through to the inner store.
func (c *CatalogCache) BrandsByID(ctx context.Context, ids []int64) (map[int64]domain.Brand, error) {
	return c.inner.BrandsByID(ctx, ids)
}

// Brands passes through to the inner store.
func (c *CatalogCache) Brands(ctx context.Context) ([]domain.Brand, error) {
	return c.inner.Brands(ctx)
}

// Attributes passes through to the inner store.
func (c *CatalogCache) Attributes(ctx context.Context) ([]domain.Attribute, error) {
	return c.inner.Attributes(ctx)
}

// uniqueIDs returns ids without repetitions, in their first order. It returns ids itself
// when there are none.
func uniqueIDs(ids []int64) []int64 {
	if len(ids) < 2 {
		return ids
	}
	seen := make(map[int64]bool, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// cachedProduct is the encoding of a cached product. Its names are fixed by their tags,
// not by domain.Product's field names: renaming a domain field must not silently empty
// the entries written by other replicas. Changing it means changing cacheFormat.
type cachedProduct struct {
	ID          int64     `json:"id"`
	Slug        string    `json:"slug"`
	Name        string    `json:"name"`
	Description string    `json:"desc"`
	PriceMinor  int64     `json:"price"`
	Currency    string    `json:"cur"`
	CategoryID  int64     `json:"cat"`
	Stock       int       `json:"stock"`
	UnitsSold   int64     `json:"sold"`
	CreatedAt   time.Time `json:"created"`
	UpdatedAt   time.Time `json:"updated"`
	Deleted     bool      `json:"deleted,omitempty"`
	BrandID     int64     `json:"brand,omitempty"`
	RatingCount int       `json:"rn,omitempty"`
	RatingSum   int64     `json:"rs,omitempty"`
}

// encodeProduct returns the cache entry of p. Times keep their offset, so that a cached
// product renders exactly as one read from the database.
func encodeProduct(p domain.Product) (string, error) {
	b, err := json.Marshal(cachedProduct{
		ID: p.ID, Slug: p.Slug, Name: p.Name, Description: p.Description,
		PriceMinor: p.Price.Amount, Currency: p.Price.Currency, CategoryID: p.CategoryID,
		Stock: p.Stock, UnitsSold: p.UnitsSold, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		Deleted: p.Deleted, BrandID: p.BrandID, RatingCount: p.RatingCount, RatingSum: p.RatingSum,
	})
	if err != nil {
		return "", fmt.Errorf("encoding product %d: %w", p.ID, err)
	}
	return string(b), nil
}

// decodeProduct returns the product of a cache entry.
func decodeProduct(s string) (domain.Product, error) {
	var e cachedProduct
	if err := json.Unmarshal([]byte(s), &e); err != nil {
		return domain.Product{}, fmt.Errorf("decoding cached product: %w", err)
	}
	return domain.Product{
		ID: e.ID, Slug: e.Slug, Name: e.Name, Description: e.Description,
		Price:      domain.Money{Amount: e.PriceMinor, Currency: e.Currency},
		CategoryID: e.CategoryID, Stock: e.Stock, UnitsSold: e.UnitsSold,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, Deleted: e.Deleted,
		BrandID: e.BrandID, RatingCount: e.RatingCount, RatingSum: e.RatingSum,
	}, nil
}

// cachedDetail is the encoding of a product's cached details, fixed by its tags like
// cachedProduct. Gen is the product's generation when the details were read.
type cachedDetail struct {
	Gen        string          `json:"g"`
	Currency   string          `json:"cur"`
	Variants   []cachedVariant `json:"v"`
	Images     []cachedImage   `json:"i"`
	Attributes jsontext.Value  `json:"a"`
}

type cachedVariant struct {
	ID        int64          `json:"id"`
	Position  int            `json:"pos"`
	SKU       string         `json:"sku"`
	Options   []cachedOption `json:"opt"`
	Price     int64          `json:"price"`
	CompareAt *int64         `json:"cmp,omitempty"`
	Stock     int            `json:"stock"`
	Sold      int64          `json:"sold"`
	Image     int64          `json:"img,omitempty"`
}

type cachedOption struct {
	Name  string `json:"n"`
	Value string `json:"v"`
}

type cachedImage struct {
	ID       int64  `json:"id"`
	Position int    `json:"pos"`
	Src      string `json:"src"`
	Alt      string `json:"alt"`
	Width    int    `json:"w"`
	Height   int    `json:"h"`
}

type cachedAttribute struct {
	Name   string  `json:"n"`
	Type   string  `json:"t"`
	Text   string  `json:"s,omitempty"`
	Number float64 `json:"f,omitempty"`
	Bool   bool    `json:"b,omitempty"`
}

// encodeDetail returns the cache entry of d, read under generation gen. The variants'
// currency is their product's: one for all of them.
func encodeDetail(productID int64, d domain.ProductDetail, gen string) (string, error) {
	attrs, err := d.AttributeValues()
	if err != nil {
		return "", err
	}
	e := cachedDetail{Gen: gen, Variants: make([]cachedVariant, len(d.Variants)), Images: make([]cachedImage, len(d.Images))}
	for i, v := range d.Variants {
		e.Currency = v.Price.Currency
		opts := make([]cachedOption, len(v.Options))
		for k, o := range v.Options {
			opts[k] = cachedOption{Name: o.Name, Value: o.Value}
		}
		e.Variants[i] = cachedVariant{ID: v.ID, Position: v.Position, SKU: v.SKU, Options: opts, Price: v.Price.Amount,
			CompareAt: v.CompareAtMinor, Stock: v.Stock, Sold: v.UnitsSold, Image: v.ImageID}
	}
	for i, img := range d.Images {
		e.Images[i] = cachedImage{ID: img.ID, Position: img.Position, Src: img.Src, Alt: img.AltText, Width: img.Width, Height: img.Height}
	}
	as := make([]cachedAttribute, len(attrs))
	for i, a := range attrs {
		as[i] = cachedAttribute{Name: a.Name, Type: string(a.Type), Text: a.Text, Number: a.Number, Bool: a.Bool}
	}
	if e.Attributes, err = jsonv2.Marshal(as); err != nil {
		return "", fmt.Errorf("encoding attribute values of product %d: %w", productID, err)
	}
	b, err := jsonv2.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("encoding details of product %d: %w", productID, err)
	}
	return string(b), nil
}

// errOtherGeneration is the error of a details entry read under another generation.
var errOtherGeneration = errors.New("cached details of another generation")

// decodeDetail returns the details of product productID from its cache entry s, when
// the entry was read under generation gen. The attribute values are decoded when asked
// for, as the Postgres store does.
func decodeDetail(productID int64, gen, s string) (domain.ProductDetail, error) {
	var e cachedDetail
	if err := jsonv2.Unmarshal([]byte(s), &e); err != nil {
		return domain.ProductDetail{}, fmt.Errorf("decoding cached details of product %d: %w", productID, err)
	}
	if e.Gen != gen {
		return domain.ProductDetail{}, errOtherGeneration
	}
	d := domain.ProductDetail{Variants: make([]domain.Variant, len(e.Variants)), Images: make([]domain.Image, len(e.Images))}
	for i, v := range e.Variants {
		opts := make([]domain.SelectedOption, len(v.Options))
		for k, o := range v.Options {
			opts[k] = domain.SelectedOption{Name: o.Name, Value: o.Value}
		}
		d.Variants[i] = domain.Variant{ID: v.ID, ProductID: productID, Position: v.Position, SKU: v.SKU, Options: opts,
			Price: domain.Money{Amount: v.Price, Currency: e.Currency}, CompareAtMinor: v.CompareAt, Stock: v.Stock,
			UnitsSold: v.Sold, ImageID: v.Image}
	}
	for i, img := range e.Images {
		d.Images[i] = domain.Image{ID: img.ID, ProductID: productID, Position: img.Position, Src: img.Src, AltText: img.Alt,
			Width: img.Width, Height: img.Height}
	}
	if raw := e.Attributes; len(raw) > 0 && string(raw) != "[]" {
		d.Attributes = func() ([]domain.AttributeValue, error) {
			var as []cachedAttribute
			if err := jsonv2.Unmarshal(raw, &as); err != nil {
				return nil, fmt.Errorf("decoding cached attribute values of product %d: %w", productID, err)
			}
			out := make([]domain.AttributeValue, len(as))
			for i, a := range as {
				out[i] = domain.AttributeValue{Name: a.Name, Type: domain.AttributeType(a.Type), Text: a.Text, Number: a.Number, Bool: a.Bool}
			}
			return out, nil
		}
	}
	return d, nil
}
