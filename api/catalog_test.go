package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/app"
)

type pageInfo struct {
	HasNextPage     bool    `json:"hasNextPage"`
	HasPreviousPage bool    `json:"hasPreviousPage"`
	StartCursor     *string `json:"startCursor"`
	EndCursor       *string `json:"endCursor"`
}

type productConn struct {
	TotalCount int `json:"totalCount"`
	Edges      []struct {
		Cursor string `json:"cursor"`
		Node   struct {
			ID   string `json:"id"`
			Slug string `json:"slug"`
		} `json:"node"`
	} `json:"edges"`
	PageInfo pageInfo `json:"pageInfo"`
}

const listQuery = `query($first: Int, $after: String, $last: Int, $before: String, $filter: ProductFilter, $sort: ProductSort) {
  products(first: $first, after: $after, last: $last, before: $before, filter: $filter, sort: $sort) {
    totalCount
    edges { cursor node { id slug } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`

func (h *harness) products(vars map[string]any) productConn {
	h.t.Helper()
	var out struct {
		Products productConn `json:"products"`
	}
	h.data(listQuery, vars, &out)
	return out.Products
}

// sqlSlugs returns the slugs of live products matching where, in the given order: the
// oracle the API's listings are checked against.
func (h *harness) sqlSlugs(where, order string, args ...any) []string {
	h.t.Helper()
	rows, err := h.db.Pool.Query(context.Background(), "SELECT slug FROM products p WHERE deleted_at IS NULL AND "+where+" ORDER BY "+order, args...)
	if err != nil {
		h.t.Fatal(err)
	}
	slugs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		h.t.Fatal(err)
	}
	return slugs
}

func (h *harness) categoryID(slug string) string {
	h.t.Helper()
	var out struct {
		Category struct{ ID string } `json:"category"`
	}
	h.data(`query($s: String) { category(slug: $s) { id } }`, map[string]any{"s": slug}, &out)
	return out.Category.ID
}

// walk pages through a whole listing, forward with first/after or backward with
// last/before, and returns the slugs in listing order.
func (h *harness) walk(vars map[string]any, pageSize int, backward bool) []string {
	h.t.Helper()
	var slugs []string
	var cursor *string
	for pages := 0; ; pages++ {
		if pages > 200 {
			h.t.Fatal("pagination does not end")
		}
		v := map[string]any{}
		for k, x := range vars {
			v[k] = x
		}
		if backward {
			v["last"], v["before"] = pageSize, cursor
		} else {
			v["first"], v["after"] = pageSize, cursor
		}
		c := h.products(v)
		var page []string
		for _, e := range c.Edges {
			page = append(page, e.Node.Slug)
		}
		if backward {
			slugs = append(page, slugs...)
			if pages == 0 && c.PageInfo.HasNextPage {
				h.t.Errorf("last page reports hasNextPage")
			}
			if !c.PageInfo.HasPreviousPage {
				return slugs
			}
			cursor = c.PageInfo.StartCursor
		} else {
			slugs = append(slugs, page...)
			if pages == 0 && c.PageInfo.HasPreviousPage {
				h.t.Errorf("first page reports hasPreviousPage")
			}
			if !c.PageInfo.HasNextPage {
				return slugs
			}
			cursor = c.PageInfo.EndCursor
		}
		if len(c.Edges) != pageSize {
			h.t.Fatalf("a page with more to come has %d edges, want %d", len(c.Edges), pageSize)
		}
	}
}

func TestProductSortsAndPaginationBothWays(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	electronics := h.categoryID("electronics")
	var rootID int64
	if err := h.db.Pool.QueryRow(context.Background(), "SELECT id FROM categories WHERE slug = 'electronics'").Scan(&rootID); err != nil {
		t.Fatal(err)
	}
	inTree := "category_id IN (SELECT id FROM categories WHERE $1 = ANY(path))"
	tests := []struct {
		key     string
		reverse bool
		order   string
	}{
		{"ID", false, "id"},
		{"ID", true, "id DESC"},
		{"PRICE", false, "price_minor, id"},
		{"PRICE", true, "price_minor DESC, id DESC"},
		{"NAME", false, "name, id"},
		{"NAME", true, "name DESC, id DESC"},
		{"CREATED_AT", false, "created_at, id"},
		{"CREATED_AT", true, "created_at DESC, id DESC"},
		{"BEST_SELLING", false, "units_sold DESC, id DESC"},
		{"BEST_SELLING", true, "units_sold, id"},
		{"RELEVANCE", false, "id"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/reverse=%v", tc.key, tc.reverse), func(t *testing.T) {
			want := h.sqlSlugs(inTree, tc.order, rootID)
			if len(want) < 100 {
				t.Fatalf("oracle returned only %d products", len(want))
			}
			vars := map[string]any{
				"filter": map[string]any{"categoryId": electronics},
				"sort":   map[string]any{"key": tc.key, "reverse": tc.reverse},
			}
			if got := h.walk(vars, 97, false); !equal(got, want) {
				t.Errorf("forward walk differs from SQL order: got %d items, want %d (first diff at %d)", len(got), len(want), firstDiff(got, want))
			}
			if got := h.walk(vars, 97, true); !equal(got, want) {
				t.Errorf("backward walk differs from SQL order: got %d items, want %d (first diff at %d)", len(got), len(want), firstDiff(got, want))
			}
		})
	}
}

func TestProductSearchRanksByRelevance(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	q := "wireless headphones"
	want := h.sqlSlugs("search @@ websearch_to_tsquery('english', $1)",
		"ts_rank(search, websearch_to_tsquery('english', $1)) DESC, id DESC", q)
	if len(want) == 0 {
		t.Fatal("the seed has no wireless headphones")
	}
	vars := map[string]any{"filter": map[string]any{"query": q}}
	if got := h.walk(vars, 7, false); !equal(got, want) {
		t.Errorf("search results differ from ts_rank order: got %v\nwant %v", got, want)
	}
	if got := h.walk(vars, 7, true); !equal(got, want) {
		t.Errorf("backward search results differ from ts_rank order: got %v\nwant %v", got, want)
	}
	if c := h.products(vars); c.TotalCount != len(want) {
		t.Errorf("totalCount = %d, want %d", c.TotalCount, len(want))
	}
}

func TestProductFilters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var gardenID int64
	if err := h.db.Pool.QueryRow(context.Background(), "SELECT id FROM categories WHERE slug = 'garden'").Scan(&gardenID); err != nil {
		t.Fatal(err)
	}
	garden := h.categoryID("garden")
	tests := []struct {
		name   string
		filter map[string]any
		where  string
		args   []any
	}{
		{"none", map[string]any{}, "true", nil},
		{"in stock", map[string]any{"inStock": true}, "stock > 0", nil},
		{"out of stock", map[string]any{"inStock": false}, "stock = 0", nil},
		{"min price", map[string]any{"minPrice": "100.00"}, "price_minor >= 10000", nil},
		{"max price", map[string]any{"maxPrice": "9.99"}, "price_minor <= 999", nil},
		{"price range", map[string]any{"minPrice": "20", "maxPrice": "30.5"}, "price_minor BETWEEN 2000 AND 3050", nil},
		{"category with descendants", map[string]any{"categoryId": garden}, "category_id IN (SELECT id FROM categories WHERE $1 = ANY(path))", []any{gardenID}},
		{"everything at once", map[string]any{"categoryId": garden, "inStock": true, "minPrice": "5", "query": "organic"},
			"category_id IN (SELECT id FROM categories WHERE $1 = ANY(path)) AND stock > 0 AND price_minor >= 500 AND search @@ websearch_to_tsquery('english', 'organic')", []any{gardenID}},
		{"nothing matches", map[string]any{"query": "zzqxjv"}, "false", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := h.sqlSlugs(tc.where, "id", tc.args...)
			c := h.products(map[string]any{"filter": tc.filter, "first": 100, "sort": map[string]any{"key": "ID"}})
			if c.TotalCount != len(want) {
				t.Errorf("totalCount = %d, want %d", c.TotalCount, len(want))
			}
			n := min(len(want), 100)
			var got []string
			for _, e := range c.Edges {
				got = append(got, e.Node.Slug)
			}
			if !equal(got, want[:n]) {
				t.Errorf("first page differs: got %v, want %v", got, want[:n])
			}
			if c.PageInfo.HasNextPage != (len(want) > 100) {
				t.Errorf("hasNextPage = %v with %d matches", c.PageInfo.HasNextPage, len(want))
			}
			if len(want) == 0 && (c.PageInfo.StartCursor != nil || c.PageInfo.EndCursor != nil || c.PageInfo.HasPreviousPage) {
				t.Errorf("empty page has cursors or a previous page: %+v", c.PageInfo)
			}
		})
	}
}

func TestPaginationEdges(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	all := h.sqlSlugs("true", "price_minor DESC, id DESC")
	sort := map[string]any{"key": "PRICE", "reverse": true}

	last := h.products(map[string]any{"last": 3, "sort": sort})
	if len(last.Edges) != 3 || last.Edges[2].Node.Slug != all[len(all)-1] || last.PageInfo.HasNextPage || !last.PageInfo.HasPreviousPage {
		t.Fatalf("last page: %+v", last)
	}
	// After the very last item: an empty page with nothing after it.
	after := h.products(map[string]any{"first": 5, "after": last.Edges[2].Cursor, "sort": sort})
	if len(after.Edges) != 0 || after.PageInfo.HasNextPage || !after.PageInfo.HasPreviousPage {
		t.Errorf("page after the last item: %+v", after)
	}
	// Before the very first item: an empty page with nothing before it.
	first := h.products(map[string]any{"first": 2, "sort": sort})
	before := h.products(map[string]any{"last": 5, "before": first.Edges[0].Cursor, "sort": sort})
	if len(before.Edges) != 0 || before.PageInfo.HasPreviousPage || !before.PageInfo.HasNextPage {
		t.Errorf("page before the first item: %+v", before)
	}
	// first: 0 answers the count and no edges.
	zero := h.products(map[string]any{"first": 0})
	if len(zero.Edges) != 0 || zero.TotalCount != len(all) || !zero.PageInfo.HasNextPage {
		t.Errorf("first: 0: %+v", zero)
	}
	// Both bounds: the items strictly between two cursors.
	page := h.products(map[string]any{"first": 10, "sort": sort})
	between := h.products(map[string]any{"first": 50, "after": page.Edges[1].Cursor, "before": page.Edges[6].Cursor, "sort": sort})
	var got []string
	for _, e := range between.Edges {
		got = append(got, e.Node.Slug)
	}
	if !equal(got, all[2:6]) {
		t.Errorf("between cursors: got %v, want %v", got, all[2:6])
	}
	// Neither first nor last: the default page of 20.
	if d := h.products(map[string]any{}); len(d.Edges) != 20 {
		t.Errorf("default page has %d edges, want 20", len(d.Edges))
	}
}

func TestProductAndCategoryLookups(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var slug, catSlug string
	var price int64
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT p.slug, p.price_minor, c.slug FROM products p JOIN categories c ON c.id = p.category_id ORDER BY p.id LIMIT 1`).Scan(&slug, &price, &catSlug); err != nil {
		t.Fatal(err)
	}
	var bySlug struct {
		Product struct {
			ID       string
			Slug     string
			Price    struct{ Amount, CurrencyCode string }
			Category struct{ Slug string }
		}
	}
	h.data(`query($s: String) { product(slug: $s) { id slug price { amount currencyCode } category { slug } } }`, map[string]any{"s": slug}, &bySlug)
	if bySlug.Product.Slug != slug || bySlug.Product.Category.Slug != catSlug || bySlug.Product.Price.Amount != fmt.Sprintf("%d.%02d", price/100, price%100) || bySlug.Product.Price.CurrencyCode != "USD" {
		t.Fatalf("product by slug: %+v", bySlug.Product)
	}
	catID := h.categoryID(catSlug)

	var byID struct {
		Product struct{ Slug string }
		Node    struct{ Slug string }
		Nodes   []*struct {
			Typename string `json:"__typename"`
		}
		Missing *struct{ ID string } `json:"missing"`
		Gone    *struct{ ID string } `json:"gone"`
	}
	h.data(`query($id: ID, $nid: ID!, $cid: ID!, $s: String) {
		product(id: $id) { slug }
		node(id: $nid) { ... on Product { slug } }
		nodes(ids: [$nid, $cid]) { __typename }
		missing: product(slug: "no-such-product") { id }
		gone: category(slug: $s) { id }
	}`, map[string]any{"id": bySlug.Product.ID, "nid": bySlug.Product.ID, "cid": catID, "s": "no-such-category"}, &byID)
	if byID.Product.Slug != slug || byID.Node.Slug != slug {
		t.Errorf("product and node by id: %+v", byID)
	}
	if len(byID.Nodes) != 2 || byID.Nodes[0].Typename != "Product" || byID.Nodes[1].Typename != "Category" {
		t.Errorf("nodes: %+v", byID.Nodes)
	}
	if byID.Missing != nil || byID.Gone != nil {
		t.Errorf("unknown slugs must be null: %+v %+v", byID.Missing, byID.Gone)
	}
}

func TestCategoryTree(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var out struct {
		Categories []struct {
			Slug     string
			Parent   *struct{ Slug string }
			Children []struct {
				Slug     string
				Parent   struct{ Slug string }
				Children []struct {
					Slug     string
					Products struct {
						TotalCount int
						Nodes      []struct{ Slug string }
					}
				}
				Products struct{ TotalCount int }
			}
		}
	}
	h.data(`{ categories { slug parent { slug } children { slug parent { slug } products(first: 1) { totalCount }
		children { slug products(first: 2, sort: {key: PRICE}) { totalCount nodes { slug } } } } } }`, nil, &out)
	var roots int
	if err := h.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM categories WHERE parent_id IS NULL").Scan(&roots); err != nil {
		t.Fatal(err)
	}
	if len(out.Categories) != roots || roots == 0 {
		t.Fatalf("got %d roots, want %d", len(out.Categories), roots)
	}
	leaves := 0
	for _, root := range out.Categories {
		if root.Parent != nil {
			t.Errorf("root %s has a parent", root.Slug)
		}
		for _, mid := range root.Children {
			if mid.Parent.Slug != root.Slug {
				t.Errorf("%s's parent is %s, want %s", mid.Slug, mid.Parent.Slug, root.Slug)
			}
			sum := 0
			for _, leaf := range mid.Children {
				leaves++
				sum += leaf.Products.TotalCount
				want := h.sqlSlugs("category_id = (SELECT id FROM categories WHERE slug = $1)", "price_minor, id", leaf.Slug)
				if leaf.Products.TotalCount != len(want) || len(leaf.Products.Nodes) != min(2, len(want)) {
					t.Errorf("%s: %d products (%d shown), want %d", leaf.Slug, leaf.Products.TotalCount, len(leaf.Products.Nodes), len(want))
					continue
				}
				for i, n := range leaf.Products.Nodes {
					if n.Slug != want[i] {
						t.Errorf("%s product %d = %s, want %s", leaf.Slug, i, n.Slug, want[i])
					}
				}
			}
			if mid.Products.TotalCount != sum {
				t.Errorf("%s counts %d products, its children %d", mid.Slug, mid.Products.TotalCount, sum)
			}
		}
	}
	if leaves == 0 {
		t.Fatal("no leaf categories")
	}
}

// TestNoNPlusOne counts the SQL statements of a nested listing: 100 products with their
// category and its ancestors must cost what 2 do. The categories come from the in-memory
// category tree, primed into the request's loader, so after the tree's first load a
// listing is one statement whatever the machine's timing. The category tree's edges that
// do batch (children, products) run with a wide batching window: what it proves is that
// every edge goes through a loader, which must not depend on how quickly a machine busy
// with the race detector schedules a hundred goroutines.
func TestNoNPlusOne(t *testing.T) {
	h := newHarness(t, func(c *app.Config) { c.LoaderWait = 500 * time.Millisecond })
	q := `query($n: Int) { products(first: $n, sort: {key: NAME}) { nodes { name category { name parent { name parent { name } } } } } }`
	count := func(n int) int64 {
		var out struct {
			Products struct{ Nodes []any }
		}
		h.counter.Reset()
		h.data(q, map[string]any{"n": n}, &out)
		if len(out.Products.Nodes) != n {
			t.Fatalf("got %d products, want %d", len(out.Products.Nodes), n)
		}
		return h.counter.Count()
	}
	first := count(2) // loads the category tree
	small, large := count(2), count(100)
	t.Logf("statements: %d for the first 2 products, then %d for 2, %d for 100", first, small, large)
	if first != 2 {
		t.Errorf("the first listing costs %d statements, want 2 (the tree and the listing)", first)
	}
	// The listing alone: category, parent and grandparent come primed from the tree.
	if small != 1 || large != 1 {
		t.Errorf("the nested listing costs %d statements for 2 products and %d for 100, want 1", small, large)
	}

	// Variants, images and ratings: one more statement for the whole page.
	detail := `query($n: Int) { products(first: $n) { nodes { rating { average count } featuredImage { url(width: 400) }
		variants { id title inStock image { url } } images { url } options { name } attributes { value } } } }`
	for _, n := range []int{2, 40} {
		h.counter.Reset()
		var out struct{ Products struct{ Nodes []any } }
		h.data(detail, map[string]any{"n": n}, &out)
		if c := h.counter.Count(); c != 2 || len(out.Products.Nodes) != n {
			t.Errorf("%d products with variants and images cost %d statements, want 2", len(out.Products.Nodes), c)
		}
	}

	// Category.products batches too: every leaf's listing in one statement.
	tree := `{ categories { children { children { products(first: 2) { nodes { name category { name } } } } } } }`
	h.counter.Reset()
	var out struct{ Categories []any }
	h.data(tree, nil, &out)
	// Roots and children come from the tree; the leaves' listings are one statement; the
	// products' categories are primed.
	if n := h.counter.Count(); n != 1 {
		t.Errorf("category tree with products costs %d statements, want 1", n)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	page := h.products(map[string]any{"first": 1, "sort": map[string]any{"key": "PRICE"}})
	priceCursor := page.Edges[0].Cursor
	categoryID := h.categoryID("garden")
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		code  string
	}{
		{"negative first", listQuery, map[string]any{"first": -1}, "BAD_USER_INPUT"},
		{"first over the cap", listQuery, map[string]any{"first": 101}, "BAD_USER_INPUT"},
		{"negative last", listQuery, map[string]any{"last": -5}, "BAD_USER_INPUT"},
		{"first and last", listQuery, map[string]any{"first": 1, "last": 1}, "BAD_USER_INPUT"},
		{"garbage cursor", listQuery, map[string]any{"after": "not-a-cursor"}, "BAD_USER_INPUT"},
		{"base64 garbage cursor", listQuery, map[string]any{"after": "eyJ4Ijp0cnVlfQ"}, "BAD_USER_INPUT"},
		{"cursor of another sort", listQuery, map[string]any{"after": priceCursor, "sort": map[string]any{"key": "NAME"}}, "BAD_USER_INPUT"},
		{"tampered cursor value", listQuery, map[string]any{"after": "eyJzIjoiUFJJQ0UiLCJ2IjoiYWJjIiwiaSI6MX0", "sort": map[string]any{"key": "PRICE"}}, "BAD_USER_INPUT"},
		{"garbage category id", listQuery, map[string]any{"filter": map[string]any{"categoryId": "!!"}}, "BAD_USER_INPUT"},
		{"product id as category id", listQuery, map[string]any{"filter": map[string]any{"categoryId": "UHJvZHVjdDox"}}, "BAD_USER_INPUT"},
		{"bad decimal", listQuery, map[string]any{"filter": map[string]any{"minPrice": "abc"}}, "BAD_USER_INPUT"},
		{"three decimals", listQuery, map[string]any{"filter": map[string]any{"minPrice": "1.001"}}, "BAD_USER_INPUT"},
		{"float decimal", listQuery, map[string]any{"filter": map[string]any{"minPrice": 1.5}}, "BAD_USER_INPUT"},
		{"negative price", listQuery, map[string]any{"filter": map[string]any{"maxPrice": "-1"}}, "BAD_USER_INPUT"},
		{"min over max", listQuery, map[string]any{"filter": map[string]any{"minPrice": "10", "maxPrice": "5"}}, "BAD_USER_INPUT"},
		{"query too long", listQuery, map[string]any{"filter": map[string]any{"query": strings.Repeat("a", 201)}}, "BAD_USER_INPUT"},
		{"unknown sort key", listQuery, map[string]any{"sort": map[string]any{"key": "COLOUR"}}, "GRAPHQL_VALIDATION_FAILED"},
		{"garbage product id", `{ product(id: "%%%") { id } }`, nil, "BAD_USER_INPUT"},
		{"category id as product id", `query($id: ID) { product(id: $id) { id } }`, map[string]any{"id": categoryID}, "BAD_USER_INPUT"},
		{"neither id nor slug", `{ product { id } }`, nil, "BAD_USER_INPUT"},
		{"garbage node id", `{ node(id: "UHJvZHVjdDphYmM") { id } }`, nil, "BAD_USER_INPUT"},
		{"unknown field", `{ products { nope } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
		{"malformed query", `{ products { `, nil, "GRAPHQL_PARSE_FAILED"},
		{"wrong argument type", `{ products(first: "ten") { totalCount } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.post(tc.query, tc.vars)
			if r.code() != tc.code {
				t.Fatalf("code = %q, want %q (errors %+v)", r.code(), tc.code, r.Errors)
			}
			if r.status != http.StatusOK {
				t.Errorf("status = %d, want 200 for application/json", r.status)
			}
			for _, e := range r.Errors {
				if strings.Contains(strings.ToLower(e.Message), "sql") || strings.Contains(e.Message, "panic") {
					t.Errorf("error leaks internals: %q", e.Message)
				}
			}
		})
	}
	// A slug full of NUL bytes or invalid UTF-8 is just not found.
	var out struct{ Product *struct{ ID string } }
	h.data(`query($s: String) { product(slug: $s) { id } }`, map[string]any{"s": "a\x00b"}, &out)
	if out.Product != nil {
		t.Errorf("a NUL slug found %+v", out.Product)
	}
}

func TestHTTPTransport(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const q = `{ products(first: 1) { totalCount } }`
	t.Run("GET", func(t *testing.T) {
		r := h.do(http.MethodGet, "/graphql?query="+url.QueryEscape(q), nil, nil)
		if r.status != http.StatusOK || len(r.Errors) > 0 || !strings.Contains(string(r.Data), "totalCount") {
			t.Errorf("GET: %d %s %+v", r.status, r.Data, r.Errors)
		}
	})
	t.Run("graphql-response+json parse error is 400", func(t *testing.T) {
		r := h.do(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ products { "}`), map[string]string{
			"Content-Type": "application/json", "Accept": "application/graphql-response+json"})
		if r.status != http.StatusBadRequest || r.code() != "GRAPHQL_PARSE_FAILED" {
			t.Errorf("status %d code %q", r.status, r.code())
		}
	})
	t.Run("graphql-response+json validation error is 400", func(t *testing.T) {
		r := h.do(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ nope }"}`), map[string]string{
			"Content-Type": "application/json", "Accept": "application/graphql-response+json"})
		if r.status != http.StatusBadRequest || r.code() != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("status %d code %q", r.status, r.code())
		}
	})
	t.Run("body that is not JSON is 400", func(t *testing.T) {
		r := h.do(http.MethodPost, "/graphql", strings.NewReader(`{"query":`), map[string]string{"Content-Type": "application/json"})
		if r.status != http.StatusBadRequest || len(r.Errors) == 0 {
			t.Errorf("status %d errors %+v", r.status, r.Errors)
		}
	})
}

func TestProbesAndGraphiQL(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// The storefront answers its routes, and other paths with its page and 404.
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/": 200, "/metrics": 200, "/graphiql": 200,
		"/admin": 200, "/admin/orders": 200, "/p/some-product": 200, "/nope": 404, "/nope.txt": 404, "/assets/nope.js": 404} {
		resp, err := h.srv.Client().Get(h.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
		page := map[string]string{"/": "storefront-", "/nope": "storefront-", "/admin": "admin-", "/graphiql": `id="graphiql"`}[path]
		if page != "" && !strings.Contains(string(body), page) {
			t.Errorf("GET %s: the page does not mention %q", path, page)
		}
	}
	// A browser opening /graphql itself gets GraphiQL; API clients get the API.
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/graphql", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `id="graphiql"`) {
		t.Errorf("GET /graphql as a browser = %d %.80q, want GraphiQL", resp.StatusCode, body)
	}
	if r := h.do(http.MethodGet, "/graphql?query="+url.QueryEscape("{ categories { id } }"), nil, map[string]string{"Accept": "application/json"}); len(r.Errors) > 0 {
		t.Errorf("GET /graphql with a query: %+v", r.Errors)
	}
}

func equal(a, b []string) bool { return firstDiff(a, b) == -1 }

func firstDiff(a, b []string) int {
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) || a[i] != b[i] {
			return i
		}
	}
	return -1
}
