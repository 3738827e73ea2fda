package api_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/events"
	"github.com/shopgraph/shopgraph/store/postgres"
	"github.com/shopgraph/shopgraph/store/redis"
	"github.com/shopgraph/shopgraph/testkit"
)

// invalidationGiveUp is how long a change made through one replica may take to be served
// by another before the test calls the invalidation missing: far below the entries' hour
// of life, so only an invalidation can pass. How fast it is, is the bench's business (the
// test logs it).
const invalidationGiveUp = 10 * time.Second

func withCatalogCacheTTL(ttl time.Duration) harnessOption {
	return func(c *app.Config) { c.CatalogCacheTTL = ttl }
}

// newReplicas starts n shopgraph processes as a deployment runs them: each with its own
// pools and connections, all on one Postgres database, one Redis key prefix, and the
// NATS server at natsURL (with the subjects and stream the options name). Each runs its
// background workers until the test ends. The harnesses' counters count the statements
// of the first replica's pool only.
func newReplicas(t *testing.T, natsURL string, n int, opts ...harnessOption) []*harness {
	t.Helper()
	counter := &testkit.StatementCounter{}
	db, dbURL := testkit.Postgres(t, testkit.WithTracer(counter))
	rdb := testkit.Redis(t)
	cfg := app.Config{JWTSecret: []byte("test-secret-0123456789abcdef"), Introspection: true}
	for _, o := range opts {
		o(&cfg)
	}
	out := make([]*harness, n)
	for i := range out {
		pool, rc := db, rdb
		if i > 0 {
			var err error
			if pool, err = postgres.Open(context.Background(), postgres.Config{URL: dbURL, MaxConns: 8}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
			// rdb.Key() is the bare prefix of the test's keys.
			if rc, err = redis.Open(redis.Config{URL: testkit.RedisURL(), Prefix: rdb.Key()}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = rc.Close() })
		}
		log := testkit.Logger(t).With("replica", i)
		bus, err := events.Connect(events.Config{URL: natsURL, Name: fmt.Sprintf("%s-%d", t.Name(), i)}, log)
		if err != nil {
			t.Fatal(err)
		}
		a, err := app.New(cfg, app.Deps{Postgres: pool, Redis: rc, Bus: bus, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		if a.CatalogCache == nil || a.Invalidator == nil {
			t.Fatal("the app has Redis and NATS but no catalog cache")
		}
		ctx, cancel := context.WithCancel(context.Background())
		wait := a.Start(ctx)
		t.Cleanup(func() {
			cancel()
			wait()
			bus.NC.Close() // not Drain: the goroutine check needs the connection gone now
		})
		srv := httptest.NewServer(a.Handler)
		t.Cleanup(srv.Close)
		out[i] = &harness{t: t, srv: srv, db: pool, counter: counter, app: a, bus: bus}
	}
	return out
}

// waitDeployed waits until the replicas can pass events around: the stream exists, one
// relay leads, and every invalidator's subscriptions are confirmed by the server.
func waitDeployed(t *testing.T, stream string, rs ...*harness) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, h := range rs {
		select {
		case <-h.app.Invalidator.Ready():
		case <-ctx.Done():
			t.Fatal("an invalidator never subscribed")
		}
	}
	for {
		_, err := rs[0].bus.JS.Stream(ctx, stream)
		leading := 0
		for _, h := range rs {
			if h.app.Relay.Leading() {
				leading++
			}
		}
		if err == nil && leading == 1 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("not deployed: stream %v, %d relays leading", err, leading)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// checkGoroutines records the number of goroutines and, when the test ends (after every
// other cleanup, since it is registered first), waits until it is back to that number,
// failing with every goroutine's stack if it is not within a few seconds. Only a test
// that does not run in parallel with others may use it.
func checkGoroutines(t *testing.T) {
	t.Helper()
	start := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > start {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutines: %d at the start, %d after cleanup:\n%s", start, runtime.NumGoroutine(), buf)
				return
			}
			time.Sleep(20 * time.Millisecond) // poll interval, bounded by the deadline
		}
	})
}

// cachedView is what the test reads of a product.
type cachedView struct {
	Slug              string
	Price             struct{ Amount string }
	AvailableQuantity int
}

const productView = `slug price { amount } availableQuantity`

// productByID reads the product through h; nil when there is none.
func (h *harness) productByID(gid string) *cachedView {
	h.t.Helper()
	var out struct{ Product *cachedView }
	h.data(`query($id: ID!) { product(id: $id) { `+productView+` } }`, map[string]any{"id": gid}, &out)
	return out.Product
}

// productBySlug reads the product through h; nil when there is none.
func (h *harness) productBySlug(slug string) *cachedView {
	h.t.Helper()
	var out struct{ Product *cachedView }
	h.data(`query($s: String!) { product(slug: $s) { `+productView+` } }`, map[string]any{"s": slug}, &out)
	return out.Product
}

// converge polls read until it reports true and returns how long after start that was.
// It fails the test when read is still false invalidationGiveUp after start.
func converge(t *testing.T, start time.Time, what string, read func() bool) time.Duration {
	t.Helper()
	giveUp := start.Add(invalidationGiveUp)
	for !read() {
		if time.Now().After(giveUp) {
			t.Fatalf("%s: still stale %v after the change", what, time.Since(start))
		}
		time.Sleep(5 * time.Millisecond) // poll interval, bounded by giveUp
	}
	took := time.Since(start)
	t.Logf("%s: served by the other replica %v after the change", what, took)
	return took
}

// TestCatalogCacheAcrossReplicas is the acceptance test of the catalog cache: two
// replicas share the database, the Redis cache and NATS; a change made through one is
// served by the other within invalidationGiveUp, although entries live for an hour. Not
// parallel: it ends with a goroutine check.
func TestCatalogCacheAcrossReplicas(t *testing.T) {
	checkGoroutines(t)
	url, subjects, stream := testkit.NATS(t)
	rs := newReplicas(t, url, 2, withStream(subjects, stream), withCatalogCacheTTL(time.Hour))
	a, b := rs[0], rs[1]
	waitDeployed(t, stream, a, b)
	admin, _ := a.signedIn(domain.RoleAdmin)
	gid := a.stocked(1, 5)[0]
	id := dbID(t, gid)

	// B reads the product: it is cached, by id and (on the second lookup) by slug.
	before := b.productByID(gid)
	if before == nil {
		t.Fatal("the product is not there")
	}
	b.productBySlug(before.Slug)
	b.productBySlug(before.Slug)

	// Without an invalidation the cache would keep serving this for an hour: a change
	// made behind its back (no event) is not seen, by either replica.
	if _, err := a.db.Pool.Exec(context.Background(), `UPDATE products SET price_minor = price_minor + 1 WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]*harness{"A": a, "B": b} {
		if got := h.productByID(gid); got.Price.Amount != before.Price.Amount {
			t.Fatalf("replica %s serves %s after a change without an event, want the cached %s: the cache is not in use", name, got.Price.Amount, before.Price.Amount)
		}
		if got := h.productBySlug(before.Slug); got.Price.Amount != before.Price.Amount {
			t.Fatalf("replica %s serves %s by slug after a change without an event, want the cached %s", name, got.Price.Amount, before.Price.Amount)
		}
	}
	invalidatedBefore := a.app.Invalidator.Invalidated() + b.app.Invalidator.Invalidated()

	t.Run("price", func(t *testing.T) {
		newPrice := "1234.56"
		if before.Price.Amount == newPrice {
			newPrice = "1234.57"
		}
		start := time.Now()
		var upd struct{ ProductUpdate productPayload }
		admin.data(`mutation($id: ID!, $p: Decimal!) { productUpdate(id: $id, input: {price: $p}) { `+productFields+` } }`,
			map[string]any{"id": gid, "p": newPrice}, &upd)
		if upd.ProductUpdate.Product == nil || upd.ProductUpdate.Product.Price.Amount != newPrice {
			t.Fatalf("productUpdate: %+v", upd.ProductUpdate)
		}
		t.Logf("productUpdate through A took %v", time.Since(start))
		converge(t, start, "new price by id", func() bool { return b.productByID(gid).Price.Amount == newPrice })
		if got := b.productBySlug(before.Slug); got == nil || got.Price.Amount != newPrice {
			t.Errorf("by slug on B: %+v, want price %s", got, newPrice)
		}
		if got := a.productByID(gid); got.Price.Amount != newPrice {
			t.Errorf("on A: price %s, want %s", got.Price.Amount, newPrice)
		}
		if n := a.app.Invalidator.Invalidated() + b.app.Invalidator.Invalidated(); n <= invalidatedBefore {
			t.Errorf("the invalidators invalidated nothing (%d before, %d after), yet the price changed", invalidatedBefore, n)
		}
	})

	t.Run("stock", func(t *testing.T) {
		stock := b.productByID(gid).AvailableQuantity
		start := time.Now()
		var adj struct{ InventoryAdjust productPayload }
		admin.data(`mutation($id: ID!) { inventoryAdjust(productId: $id, delta: 5, reason: "restock") { `+productFields+` } }`, map[string]any{"id": gid}, &adj)
		if adj.InventoryAdjust.Product == nil || adj.InventoryAdjust.Product.AvailableQuantity != stock+5 {
			t.Fatalf("inventoryAdjust: %+v", adj.InventoryAdjust)
		}
		converge(t, start, "restocked quantity", func() bool { return b.productByID(gid).AvailableQuantity == stock+5 })

		// A checkout through A reserves stock (inventory.reserved).
		customer, _ := a.signedIn(domain.RoleCustomer)
		c := customer.cartCreate(line(gid, 2))
		start = time.Now()
		o := customer.checkout(c.Cart.ID, "cache-1", nil)
		if o.Order == nil {
			t.Fatalf("checkout: %+v", o)
		}
		converge(t, start, "quantity after a checkout", func() bool { return b.productByID(gid).AvailableQuantity == stock+3 })
	})

	t.Run("slug", func(t *testing.T) {
		newSlug := "renamed-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		start := time.Now()
		var upd struct{ ProductUpdate productPayload }
		admin.data(`mutation($id: ID!, $s: String!) { productUpdate(id: $id, input: {slug: $s}) { `+productFields+` } }`,
			map[string]any{"id": gid, "s": newSlug}, &upd)
		if upd.ProductUpdate.Product == nil || upd.ProductUpdate.Product.Slug != newSlug {
			t.Fatalf("productUpdate: %+v", upd.ProductUpdate)
		}
		converge(t, start, "old slug gone", func() bool { return b.productBySlug(before.Slug) == nil })
		if got := b.productBySlug(newSlug); got == nil || got.Slug != newSlug {
			t.Errorf("new slug on B: %+v", got)
		}
	})

	t.Run("delete", func(t *testing.T) {
		start := time.Now()
		var del struct{ ProductDelete productPayload }
		admin.data(`mutation($id: ID!) { productDelete(id: $id) { `+productFields+` } }`, map[string]any{"id": gid}, &del)
		if del.ProductDelete.Product == nil {
			t.Fatalf("productDelete: %+v", del.ProductDelete)
		}
		converge(t, start, "deleted product", func() bool { return b.productByID(gid) == nil })
	})
}

// detailsView is what a product page shows of a product's details.
type detailsView struct {
	Variants []struct {
		ID                string
		SKU               string
		Price             struct{ Amount string }
		AvailableQuantity int
	}
	Images     []struct{ AltText string }
	Attributes []struct{ Name, Value string }
}

// details reads the product's details through h; nil when there is no product.
func (h *harness) details(gid string) *detailsView {
	h.t.Helper()
	var out struct{ Product *detailsView }
	h.data(`query($id: ID!) { product(id: $id) { variants { id sku price { amount } availableQuantity } images { altText }
		attributes { name value } } }`, map[string]any{"id": gid}, &out)
	return out.Product
}

// TestCatalogCacheDetailsAcrossReplicas checks that a product's details (variants,
// images, attribute values) are cached with it and that every kind of change to them made
// through one replica is served by the other, although entries live for an hour. Not
// parallel: it ends with a goroutine check.
func TestCatalogCacheDetailsAcrossReplicas(t *testing.T) {
	checkGoroutines(t)
	url, subjects, stream := testkit.NATS(t)
	rs := newReplicas(t, url, 2, withStream(subjects, stream), withCatalogCacheTTL(time.Hour))
	a, b := rs[0], rs[1]
	waitDeployed(t, stream, a, b)
	admin, _ := a.signedIn(domain.RoleAdmin)
	gid := a.stocked(1, 5)[0]
	id := dbID(t, gid)

	before := b.details(gid)
	if before == nil || len(before.Variants) != 1 {
		t.Fatalf("the product is not there with one variant: %+v", before)
	}
	variant := before.Variants[0]
	if again := b.details(gid); again.Variants[0].SKU != variant.SKU {
		t.Fatalf("second read: %+v, first %+v", again, before)
	}
	// A change behind the cache's back (no event) is not seen: the details are cached.
	sneaky := variant.SKU + "-SNEAKY"
	if _, err := a.db.Pool.Exec(context.Background(), `UPDATE product_variants SET sku = $2 WHERE product_id = $1 AND deleted_at IS NULL`, id, sneaky); err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]*harness{"A": a, "B": b} {
		if got := h.details(gid).Variants[0].SKU; got != variant.SKU {
			t.Fatalf("replica %s serves sku %s after a change without an event, want the cached %s: the details are not cached", name, got, variant.SKU)
		}
	}

	t.Run("variant", func(t *testing.T) {
		newPrice := "1.23" // below any compare-at price
		if variant.Price.Amount == newPrice {
			newPrice = "1.24"
		}
		start := time.Now()
		var upd struct {
			ProductVariantsUpdate struct{ UserErrors []struct{ Message string } }
		}
		admin.data(`mutation($p: ID!, $v: [ProductVariantUpdateInput!]!) { productVariantsUpdate(productId: $p, variants: $v) { userErrors { message } } }`,
			map[string]any{"p": gid, "v": []any{map[string]any{"id": variant.ID, "price": newPrice}}}, &upd)
		if len(upd.ProductVariantsUpdate.UserErrors) > 0 {
			t.Fatalf("productVariantsUpdate: %+v", upd)
		}
		converge(t, start, "variant price", func() bool { return b.details(gid).Variants[0].Price.Amount == newPrice })
		// The entry was read anew: the change made without an event comes with it.
		if got := b.details(gid).Variants[0].SKU; got != sneaky {
			t.Errorf("sku on B: %s, want %s", got, sneaky)
		}
	})

	t.Run("stock", func(t *testing.T) {
		stock := b.details(gid).Variants[0].AvailableQuantity
		start := time.Now()
		var adj struct{ InventoryAdjust productPayload }
		admin.data(`mutation($id: ID!) { inventoryAdjust(productId: $id, delta: 3, reason: "restock") { `+productFields+` } }`, map[string]any{"id": gid}, &adj)
		if adj.InventoryAdjust.Product == nil {
			t.Fatalf("inventoryAdjust: %+v", adj.InventoryAdjust)
		}
		converge(t, start, "variant stock after a restock", func() bool { return b.details(gid).Variants[0].AvailableQuantity == stock+3 })

		customer, _ := a.signedIn(domain.RoleCustomer)
		c := customer.cartCreate(line(gid, 2))
		start = time.Now()
		if o := customer.checkout(c.Cart.ID, "details-1", nil); o.Order == nil {
			t.Fatalf("checkout: %+v", o)
		}
		converge(t, start, "variant stock after a checkout", func() bool { return b.details(gid).Variants[0].AvailableQuantity == stock+1 })
	})

	t.Run("image", func(t *testing.T) {
		alt := "cache test " + strconv.FormatInt(time.Now().UnixNano(), 36)
		start := time.Now()
		var add struct {
			ProductMediaCreate struct{ UserErrors []struct{ Message string } }
		}
		admin.data(`mutation($p: ID!, $alt: String!) { productMediaCreate(productId: $p, media: [{altText: $alt, width: 640, height: 480}]) { userErrors { message } } }`,
			map[string]any{"p": gid, "alt": alt}, &add)
		if len(add.ProductMediaCreate.UserErrors) > 0 {
			t.Fatalf("productMediaCreate: %+v", add)
		}
		converge(t, start, "added image", func() bool {
			imgs := b.details(gid).Images
			return len(imgs) > 0 && imgs[len(imgs)-1].AltText == alt
		})
	})

	t.Run("attributes", func(t *testing.T) {
		value := "linen " + strconv.FormatInt(time.Now().UnixNano(), 36)
		start := time.Now()
		var set struct{ ProductAttributesSet productPayload }
		admin.data(`mutation($p: ID!, $v: String!) { productAttributesSet(productId: $p, attributes: [{name: "Material", value: $v}]) { `+productFields+` } }`,
			map[string]any{"p": gid, "v": value}, &set)
		if set.ProductAttributesSet.Product == nil {
			t.Fatalf("productAttributesSet: %+v", set.ProductAttributesSet)
		}
		converge(t, start, "attribute value", func() bool {
			as := b.details(gid).Attributes
			return len(as) == 1 && as[0].Name == "Material" && as[0].Value == value
		})
	})
}
