package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/lru"

	"github.com/shopgraph/shopgraph/api"
	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/testkit"
	"github.com/shopgraph/shopgraph/web"
)

// TestPostTransportMatchesGqlgen sends the same requests to handlers over the same data
// and resolver that differ only in their POST transport, shopgraph's or gqlgen's, with
// the catalog writer and without: every answer must be the same status, headers and
// bytes. The requests are the clients' queries, the bench's, the dashboard's hourly
// series, a product whose name and description hold what JSON escapes for HTML, and
// every way a request fails (it does not parse, validate, decode, name a known
// operation, or find its persisted query).
func TestPostTransportMatchesGqlgen(t *testing.T) {
	t.Parallel()
	db, _ := testkit.Postgres(t)
	rdb, ch := testkit.Redis(t), testkit.ClickHouse(t)
	h := buildHarness(t, app.Deps{Postgres: db, Redis: rdb, ClickHouse: ch}, &testkit.StatementCounter{}, "",
		func(c *app.Config) { c.DashboardCacheTTL = time.Hour })

	// The first product's name and description hold <, >, &, U+2028, U+2029 and what
	// a JSON string escapes.
	const name = "<b>&</b> \u2028\u2029 ünï 😀 \"q\" \\ \t end"
	var slug, category string
	if err := db.Pool.QueryRow(context.Background(), `UPDATE products p SET name = $1, description = '<p>Soft &amp; light</p>'
		FROM categories c WHERE c.id = p.category_id AND p.id = (SELECT min(id) FROM products WHERE deleted_at IS NULL)
		RETURNING p.slug, c.slug`, name).Scan(&slug, &category); err != nil {
		t.Fatal(err)
	}

	// Handlers built as the app builds its own, but for the transport; an administrator
	// is whoever says so.
	authenticate := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "Bearer admin" {
				r = r.WithContext(domain.WithIdentity(r.Context(), domain.Identity{UserID: 1, Email: "admin@example.com", Role: domain.RoleAdmin}))
			}
			next.ServeHTTP(w, r)
		})
	}
	type pair struct {
		name         string
		ours, theirs *httptest.Server
	}
	var pairs []pair
	for _, general := range []bool{false, true} {
		server := func(build func(api.Options) http.Handler) *httptest.Server {
			srv := httptest.NewServer(build(api.Options{
				Resolver: h.app.Resolver, Log: testkit.Logger(t), Introspection: true, Authenticate: authenticate,
				PersistedQueries: lru.New[string](100), GeneralExecutorOnly: general,
			}))
			t.Cleanup(srv.Close)
			return srv
		}
		pairs = append(pairs, pair{fmt.Sprintf("general executor only %v", general), server(api.NewHandler), server(api.NewHandlerWithGqlgenPOST)})
	}

	type request struct {
		name    string
		body    string
		headers map[string]string
	}
	query := func(q string, vars map[string]any) string {
		b, err := json.Marshal(map[string]any{"query": q, "variables": vars})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	admin := map[string]string{"Authorization": "Bearer admin"}
	to := time.Now().UTC().Truncate(time.Hour)
	series := map[string]any{"r": map[string]any{"from": to.Add(-90 * 24 * time.Hour).Format(time.RFC3339), "to": to.Format(time.RFC3339)}}
	apq := `{ categories { slug name } }`
	sum := sha256.Sum256([]byte(apq))
	apqHash := hex.EncodeToString(sum[:])
	persisted := func(hash, q string) string {
		body := map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}}
		if q != "" {
			body["query"] = q
		}
		b, _ := json.Marshal(body)
		return string(b)
	}
	requests := []request{
		{"product with HTML in its name", query(`query($s: String!) { product(slug: $s) { id name description } }`, map[string]any{"s": slug}), nil},
		{"product with HTML in its name, every field", query(`query($s: String!) { product(slug: $s) { id slug name description price { amount currencyCode }
			category { name } variants { id title selectedOptions { name value } } images { url(width: 320) altText } } }`, map[string]any{"s": slug}), nil},
		{"products with HTML in a name", query(`query($s: String!) { category(slug: $s) { products(first: 50) { nodes { id name description } } } }`, map[string]any{"s": category}), nil},
		{"node", query(`{ products(first: 3) { nodes { __typename ... on Node { id } name } } }`, nil), nil},
		{"hourly series", query(`query($r: DateRangeInput!) { dashboard(range: $r, timezone: "UTC") { asOf
			revenueSeries(granularity: HOUR) { bucket revenue { amount currencyCode } orders } } }`, series), admin},
		{"hourly series as a guest", query(`query($r: DateRangeInput!) { dashboard(range: $r) { revenueSeries(granularity: HOUR) { bucket } } }`, series), nil},
		{"admin field as a guest", query(`query($s: String!) { product(slug: $s) { id variants { id stocks { quantity } } } }`, map[string]any{"s": slug}), nil},
		{"introspection", query(`{ __schema { queryType { name } } __typename }`, nil), nil},
		{"defer", query(`query($s: String!) { product(slug: $s) { id ... @defer(label: "<late>") { name } } }`, map[string]any{"s": slug}), nil},
		{"validation error", query(`{ products(first: 5) { nodes { id nope } } }`, nil), nil},
		{"validation error, graphql-response+json", query(`{ nope }`, nil), map[string]string{"Accept": "application/graphql-response+json"}},
		{"validation error, any type", query(`{ nope }`, nil), map[string]string{"Accept": "*/*"}},
		{"validation error, unknown type", query(`{ nope }`, nil), map[string]string{"Accept": "text/html"}},
		{"ok, graphql-response+json", query(`{ __typename }`, nil), map[string]string{"Accept": "application/graphql-response+json; charset=utf-8"}},
		{"bad variable", query(`query($n: Int!) { products(first: $n) { nodes { id } } }`, map[string]any{"n": "<x>"}), nil},
		{"missing variable", query(`query($n: Int!) { products(first: $n) { nodes { id } } }`, nil), nil},
		{"parse error", query(`{ products(first: `, nil), nil},
		{"parse error, graphql-response+json", query(`{ products(`, nil), map[string]string{"Accept": "application/graphql-response+json"}},
		{"over the limits", query(`{ products(first: 100) { nodes { variants { id } category { products(first: 100) { nodes { id } } } } } }`, nil), nil},
		{"unknown operation name", `{"query":"query A { __typename } query B { __typename }","operationName":"C"}`, nil},
		{"no operation name among two", `{"query":"query A { __typename } query B { __typename }"}`, nil},
		{"operation name", `{"query":"query A { __typename } query B { categories { slug } }","operationName":"B"}`, nil},
		{"subscription over POST", `{"query":"subscription { orderStatusChanged(orderId: \"1\") { status } }"}`, nil},
		{"no query", `{}`, nil},
		{"bad JSON body", `{"query": "{ __typename }"`, nil},
		{"bad JSON body, graphql-response+json", `{"query": `, map[string]string{"Accept": "application/graphql-response+json"}},
		{"query not a string", `{"query": 5}`, nil},
		{"variables not an object", `{"query": "{ __typename }", "variables": [1]}`, nil},
		{"empty body", ``, nil},
		{"two bodies", `{"query":"{ __typename }"}{"query":"{ __typename }"}`, nil},
		{"charset", query(`{ __typename }`, nil), map[string]string{"Content-Type": "application/json; charset=utf-8"}},
		{"persisted query miss", persisted(apqHash, ""), nil},
		{"persisted query hash mismatch", persisted(strings.Repeat("0", 64), apq), nil},
		{"persisted query registered", persisted(apqHash, apq), nil},
		{"persisted query hit", persisted(apqHash, ""), nil},
		{"persisted query bad version", `{"extensions":{"persistedQuery":{"version":2,"sha256Hash":"` + apqHash + `"}}}`, nil},
	}
	week := map[string]any{"from": to.Add(-7 * 24 * time.Hour).Format(time.RFC3339), "to": to.Format(time.RFC3339)}
	for _, o := range web.Operations() {
		if o.Type != "query" {
			continue // mutations change the data, subscriptions are not answered over POST
		}
		vars := map[string]any{"slug": slug, "id": "UHJvZHVjdDox", "first": 5, "reviews": 2,
			"range": series["r"], "granularity": "HOUR", "timezone": "UTC"}
		for i := range 6 {
			vars[fmt.Sprintf("g%d", i)] = week
		}
		switch o.Name {
		case "CategoryListing":
			vars["slug"] = category
		case "ProductMoreReviews":
			vars["after"] = "x"
		}
		requests = append(requests, request{o.Client + "/" + o.Name, query(o.Query, vars), admin})
	}
	for name, q := range benchQueries(t) {
		requests = append(requests, request{"bench/" + name, query(q, map[string]any{"slug": slug, "first": 50}), nil})
	}

	send := func(srv *httptest.Server, r request, id string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/graphql", strings.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(api.RequestIDHeader, id)
		for k, v := range r.headers {
			req.Header.Set(k, v)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	var sawSeries, sawEscapes bool
	for _, p := range pairs {
		for i, r := range requests {
			id := fmt.Sprintf("post-%d", i)
			got, gotBody := send(p.ours, r, id)
			want, wantBody := send(p.theirs, r, id)
			if got.StatusCode != want.StatusCode || !sameAnswer(t, gotBody, wantBody) {
				t.Errorf("%s, %s: shopgraph's POST answers\n%d %s\nwhere gqlgen's answers\n%d %s", p.name, r.name, got.StatusCode, gotBody, want.StatusCode, wantBody)
				continue
			}
			got.Header.Del("Date")
			want.Header.Del("Date")
			if fmt.Sprint(got.Header) != fmt.Sprint(want.Header) || got.ContentLength != want.ContentLength ||
				!slices.Equal(got.TransferEncoding, want.TransferEncoding) {
				t.Errorf("%s, %s: shopgraph's POST answers headers %v (length %d, %v), gqlgen's %v (length %d, %v)", p.name, r.name,
					got.Header, got.ContentLength, got.TransferEncoding, want.Header, want.ContentLength, want.TransferEncoding)
			}
			sawSeries = sawSeries || strings.Contains(r.name, "Dashboard") && bytes.Count(gotBody, []byte(`"bucket"`)) == 2160
			sawEscapes = sawEscapes || bytes.Contains(gotBody, []byte(`\u003cb\u003e\u0026\u003c/b\u003e \u2028\u2029 ünï 😀 \"q\" \\ \t end`))
		}
	}
	// The comparison must have been over the answers it is for, not over two refusals.
	if !sawSeries {
		t.Error("no answer held the hourly series' 2,160 points")
	}
	if !sawEscapes {
		t.Error("no answer held the product's name, escaped")
	}
}
