package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/web"
)

// benchQueries returns the product-page and product-list queries of the bench's
// workloads, read from its source so that the two stay the same.
func benchQueries(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../bench/cmd/bench/reads.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || len(vs.Values) != 1 {
			return true
		}
		name := vs.Names[0].Name
		if name != "productPageQuery" && name != "productListQuery" {
			return true
		}
		lit, ok := vs.Values[0].(*ast.BasicLit)
		if !ok {
			t.Fatalf("%s is not a literal", name)
		}
		q, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = q
		return true
	})
	if len(out) != 2 {
		t.Fatalf("found %d of the bench's two queries in reads.go", len(out))
	}
	return out
}

// requestIDs matches the request id every error carries, different for every request.
var requestIDs = regexp.MustCompile(`,?"requestId":"[0-9a-f]*"`)

// sameAnswer reports whether two GraphQL answers are the same bytes, but for their
// request ids and, when there are several errors, their order: gqlgen runs a list's
// elements and an object's resolver fields concurrently, so its own errors come in any
// order from one run to the next.
func sameAnswer(t *testing.T, a, b []byte) bool {
	t.Helper()
	a, b = requestIDs.ReplaceAll(a, nil), requestIDs.ReplaceAll(b, nil)
	if bytes.Equal(a, b) {
		return true
	}
	type answer struct {
		Errors     []json.RawMessage `json:"errors"`
		Data       json.RawMessage   `json:"data"`
		Extensions json.RawMessage   `json:"extensions"`
	}
	var x, y answer
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil || len(x.Errors) != len(y.Errors) ||
		!bytes.Equal(x.Data, y.Data) || !bytes.Equal(x.Extensions, y.Extensions) {
		return false
	}
	key := func(e json.RawMessage) string { return string(e) }
	slices.SortFunc(x.Errors, func(p, q json.RawMessage) int { return strings.Compare(key(p), key(q)) })
	slices.SortFunc(y.Errors, func(p, q json.RawMessage) int { return strings.Compare(key(p), key(q)) })
	for i := range x.Errors {
		if !bytes.Equal(x.Errors[i], y.Errors[i]) {
			return false
		}
	}
	// Both are gqlgen's response, whose members come in one order.
	return true
}

// exchange is one request's answer as a client sees it.
type exchange struct {
	status int
	header http.Header
	body   []byte
}

func (h *harness) exchange(token, body string) exchange {
	h.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, h.srv.URL+"/graphql", bytes.NewReader([]byte(body)))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return exchange{status: resp.StatusCode, header: resp.Header, body: raw}
}

// TestCompiledCatalogMatchesExecutor sends every query of the clients' operations and of
// the bench, with the variables a client would send, and a set of queries that probe the
// catalog writer's edges (aliases, fragments, directives, errors, nulls, selections it
// leaves to gqlgen), to two processes over the same data: one with the catalog writer,
// one with gqlgen's executor alone. The answers must be the same bytes, status and
// headers, for a guest and for an administrator.
func TestCompiledCatalogMatchesExecutor(t *testing.T) {
	fast := newHarness(t)
	general := fast.sibling("", func(c *app.Config) { c.GeneralExecutorOnly = true })
	signed, _ := fast.signedIn(domain.RoleAdmin)
	admin := signed.token

	// Real keys for the operations' variables.
	var slug, gid, catSlug string
	ctx := context.Background()
	var pid int64
	if err := fast.db.Pool.QueryRow(ctx, `SELECT p.id, p.slug, c.slug FROM products p JOIN categories c ON c.id = p.category_id
		WHERE p.deleted_at IS NULL AND EXISTS (SELECT 1 FROM product_images i WHERE i.product_id = p.id) ORDER BY p.id LIMIT 1`).Scan(&pid, &slug, &catSlug); err != nil {
		t.Fatal(err)
	}
	var ids struct {
		Product struct{ ID string } `json:"product"`
	}
	fast.data(`query($s: String!) { product(slug: $s) { id } }`, map[string]any{"s": slug}, &ids)
	gid = ids.Product.ID
	if gid == "" {
		t.Fatalf("no product answers slug %q", slug)
	}

	type op struct {
		name  string
		query string
		vars  map[string]any
	}
	var ops []op
	varsFor := map[string]map[string]any{
		"ProductPage":        {"slug": slug, "reviews": 5},
		"ProductMoreReviews": {"id": gid, "first": 3, "after": "x"},
		"CategoryListing":    {"slug": catSlug, "first": 24},
		"SearchProducts":     {"first": 24, "filter": map[string]any{"query": "a"}},
		"HomePage":           {},
		"AdminProduct":       {"id": gid},
		"AdminProducts":      {},
	}
	for _, o := range web.Operations() {
		if o.Type != "query" {
			continue // mutations change the data, subscriptions are not answered over POST
		}
		vars, ok := varsFor[o.Name]
		if !ok {
			vars = map[string]any{"id": gid, "first": 10}
		}
		ops = append(ops, op{o.Client + "/" + o.Name, o.Query, vars})
	}
	for name, q := range benchQueries(t) {
		switch name {
		case "productPageQuery":
			ops = append(ops, op{"bench/product-page", q, map[string]any{"slug": slug}})
			ops = append(ops, op{"bench/product-page missing", q, map[string]any{"slug": "no-such-product"}})
		case "productListQuery":
			ops = append(ops, op{"bench/product-list", q, map[string]any{"first": 50}})
			ops = append(ops, op{"bench/product-list empty", q, map[string]any{"first": 0}})
		}
	}
	every := `id slug name description price { amount currencyCode __typename } availableQuantity inStock createdAt
		category { id slug name description parent { id slug name description parent { id name } } }
		rating { average count } featuredImage { id url altText width height }
		images { id url(width: 320) altText width height __typename }
		variants { id sku title selectedOptions { name value } price { amount currencyCode } compareAtPrice { amount currencyCode } availableQuantity inStock }`
	probes := []op{
		{"every field, page 1", `query($after: String) { products(first: 20, after: $after) { nodes { ` + every + ` } pageInfo { endCursor } } }`, map[string]any{}},
		{"every field, by price", `{ products(first: 20, sort: {key: PRICE, reverse: true}) { edges { cursor node { ` + every + ` } } } }`, nil},
		{"every field, category listing", `query($s: String!) { category(slug: $s) { products(first: 20) { nodes { ` + every + ` } } } }`, map[string]any{"s": catSlug}},
		{"aliases and repeats", `{ products(first: 5) { nodes { a: id b: id id name n: name price { x: amount amount } img: featuredImage { u: url(width: 100) v: url } } } }`, nil},
		{"fragments", `fragment P on Product { id name ... on Node { id } } fragment N on Node { ... on Product { slug } ... on Category { name } }
			{ products(first: 5) { nodes { ...P ...N __typename category { ...N __typename } variants { ... on ProductVariant { id } ...N } } } }`, nil},
		{"include and skip", `query($y: Boolean!, $n: Boolean!) { products(first: 5) { nodes { id name @include(if: $y) slug @skip(if: $y) category @include(if: $n) { id } } } }`, map[string]any{"y": true, "n": false}},
		{"width from a variable", `query($w: Int) { products(first: 5) { nodes { featuredImage { url(width: $w) } images { url(width: $w) } } } }`, map[string]any{"w": 640}},
		{"width null", `query($w: Int) { products(first: 5) { nodes { featuredImage { url(width: $w) } } } }`, map[string]any{"w": nil}},
		{"width out of range", `{ products(first: 5) { nodes { id featuredImage { url(width: 5) } } } }`, nil},
		{"width out of range on a page", `query($s: String!) { product(slug: $s) { id images { url(width: 100000) } } }`, map[string]any{"s": slug}},
		{"price ranges, brands, options", `{ products(first: 20) { nodes { id priceRange { __typename minVariantPrice { amount currencyCode } maxVariantPrice { amount } }
			brand { __typename id slug name } options { __typename name values } } } }`, nil},
		{"a field left to gqlgen", `{ products(first: 5) { nodes { id attributes { name } reviews(first: 2) { totalCount } } } }`, nil},
		{"a variant field left to gqlgen", `query($s: String!) { product(slug: $s) { id variants { id image { url } } } }`, map[string]any{"s": slug}},
		{"admin-only stocks", `query($s: String!) { product(slug: $s) { id variants { id stocks { quantity } } } }`, map[string]any{"s": slug}},
		{"by id", `query($id: ID!) { product(id: $id) { ` + every + ` } }`, map[string]any{"id": gid}},
		{"node", `query($id: ID!) { node(id: $id) { ... on Product { id name variants { id } } } }`, map[string]any{"id": gid}},
		{"defer", `query($s: String!) { product(slug: $s) { id ... @defer { name } } }`, map[string]any{"s": slug}},
		{"two roots", `query($s: String!) { product(slug: $s) { id name } products(first: 3) { nodes { id } } }`, map[string]any{"s": slug}},
		{"low stock, for an administrator", `{ lowStockProducts(threshold: 100000, first: 10) { nodes { id inStock variants { id availableQuantity } featuredImage { url(width: 200) } } } }`, nil},
		{"over the cost limit", `{ products(first: 100) { nodes { ` + every + ` } } }`, nil},
		{"unknown field", `{ products(first: 5) { nodes { id nope } } }`, nil},
	}
	ops = append(ops, probes...)

	for _, o := range ops {
		body, err := json.Marshal(map[string]any{"query": o.query, "variables": o.vars})
		if err != nil {
			t.Fatal(err)
		}
		for _, token := range []string{"", admin} {
			who := "guest"
			if token != "" {
				who = "admin"
			}
			want := general.exchange(token, string(body))
			got := fast.exchange(token, string(body))
			if got.status != want.status || !sameAnswer(t, got.body, want.body) {
				t.Errorf("%s as %s: the catalog writer answers\n%d %s\nwhere the executor answers\n%d %s", o.name, who, got.status, got.body, want.status, want.body)
				continue
			}
			for _, k := range []string{"Content-Type", "Cache-Control", "Content-Security-Policy", "Retry-After"} {
				if got.header.Get(k) != want.header.Get(k) {
					t.Errorf("%s as %s: header %s is %q, the executor's %q", o.name, who, k, got.header.Get(k), want.header.Get(k))
				}
			}
		}
	}
	// The comparison above must have been over answers with data, not over two equal
	// refusals: the bench's list answers its 50 products.
	var list struct {
		Products struct{ Nodes []json.RawMessage } `json:"products"`
	}
	fast.data(benchQueries(t)["productListQuery"], map[string]any{"first": 50}, &list)
	if len(list.Products.Nodes) != 50 {
		t.Fatalf("the bench's list answered %d products, want 50", len(list.Products.Nodes))
	}
}
