package api_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/redis"
	"github.com/shopgraph/shopgraph/testkit"
)

// The fuzz targets run the real handler over a database of their own, made once per fuzz
// target (and once per fuzzing worker process). Plain `go test` runs their seed corpus;
// `make fuzz` runs each for FUZZTIME.

// fuzzHarness is one shopgraph instance for a fuzz target, called without a network.
type fuzzHarness struct {
	handler http.Handler
	// failures counts the log records of internal failures and recovered panics.
	failures atomic.Int64
	last     atomic.Value // the last such record, for the failure message
}

// newFuzzHarness wires an instance like newHarness does, for a testing.F.
func newFuzzHarness(f *testing.F) *fuzzHarness {
	f.Helper()
	db, _ := testkit.Postgres(f)
	fh := &fuzzHarness{}
	log := slog.New(slog.NewTextHandler(failureWatch{fh}, &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := app.New(app.Config{
		JWTSecret:         testSecret,
		Introspection:     true,
		CostPerCaller:     redis.Limit{Rate: 1e6, Burst: 1e9},
		CheckoutPerCaller: redis.Limit{Rate: 1e6, Burst: 1e6},
		LoginPerAccount:   redis.Limit{Rate: 1e6, Burst: 1e6},
		LoginPerAddress:   redis.Limit{Rate: 1e6, Burst: 1e6},
	}, app.Deps{Postgres: db, Redis: testkit.Redis(f), Log: log})
	if err != nil {
		f.Fatal(err)
	}
	fh.handler = a.Handler
	return fh
}

// failureWatch counts what the error presenter and the panic handler log.
type failureWatch struct{ fh *fuzzHarness }

func (w failureWatch) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(`msg="resolver panicked"`)) || bytes.Contains(p, []byte(`msg="resolver failed"`)) {
		w.fh.failures.Add(1)
		w.fh.last.Store(string(p))
	}
	return len(p), nil
}

// stackTrace matches what a Go stack trace looks like.
var stackTrace = regexp.MustCompile(`goroutine \d+ \[|\.go:\d+ \+0x|runtime/debug\.Stack|panic\(`)

// fuzzResponse is a decoded answer of the handler.
type fuzzResponse struct {
	status int
	raw    []byte
	gql    gqlResponse
	// hasData and hasErrors report which of the two keys the answer has.
	hasData, hasErrors bool
}

// knownFailureLogs are internal failures the security suite reports as gaps; the fuzz
// targets let them pass unless SHOPGRAPH_STRICT is set.
var knownFailureLogs = []string{
	// A NUL byte reaching Postgres (TestSecurityInjection).
	"invalid byte sequence for encoding",
	// A forged cursor that passes validation but not the SQL cast (TestSecurityForgedCursors).
	"SQLSTATE 22007", "SQLSTATE 22008", "SQLSTATE 22009", "SQLSTATE 22P02", "SQLSTATE 22003",
}

// post serves one POST of body (with the Accept header, if any) and checks what every
// answer must be: not a 5xx, a JSON object with data or errors, no stack trace, no
// internal failure logged.
func (fh *fuzzHarness) post(t *testing.T, accept string, body []byte) fuzzResponse {
	t.Helper()
	before := fh.failures.Load()
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	fh.handler.ServeHTTP(rec, req)
	out := fuzzResponse{status: rec.Code, raw: rec.Body.Bytes()}
	if out.status >= 500 {
		t.Fatalf("status %d: %s", out.status, out.raw)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(out.raw, &keys); err != nil {
		t.Fatalf("status %d, the answer is not a JSON object (%v): %q", out.status, err, out.raw)
	}
	_, out.hasData = keys["data"]
	_, out.hasErrors = keys["errors"]
	if !out.hasData && !out.hasErrors {
		t.Fatalf("status %d, the answer has neither data nor errors: %s", out.status, out.raw)
	}
	if err := json.Unmarshal(out.raw, &out.gql); err != nil {
		t.Fatalf("the answer does not have the GraphQL shape (%v): %s", err, out.raw)
	}
	out.gql.status = out.status
	if stackTrace.Match(out.raw) {
		t.Fatalf("the answer carries a stack trace: %s", out.raw)
	}
	if n := fh.failures.Load() - before; n > 0 {
		last, _ := fh.last.Load().(string)
		for _, known := range knownFailureLogs {
			if !strictGaps && strings.Contains(last, known) {
				return out
			}
		}
		t.Fatalf("the request made the server log an internal failure: %s\nanswer: %s", last, out.raw)
	}
	return out
}

// FuzzHTTPRequest posts arbitrary bodies to the GraphQL endpoint.
func FuzzHTTPRequest(f *testing.F) {
	seeds := []string{
		`{"query":"{ products(first: 3) { totalCount edges { cursor node { id slug name price { amount currencyCode } category { slug } } } pageInfo { hasNextPage endCursor } } }"}`,
		`{"query":"query($s: String) { product(slug: $s) { id name } }","variables":{"s":"x"}}`,
		`{"query":"query($f: ProductFilter, $s: ProductSort) { products(filter: $f, sort: $s) { totalCount } }","variables":{"f":{"query":"garden hose","minPrice":"1.00","maxPrice":"99.99","inStock":true},"s":{"key":"PRICE","reverse":true}}}`,
		`{"query":"{ categories { slug children { slug parent { slug } } } }"}`,
		`{"query":"{ node(id: \"UHJvZHVjdDox\") { id ... on Product { name } } nodes(ids: [\"Q2F0ZWdvcnk6MQ\", \"x\"]) { id } }"}`,
		`{"query":"mutation { cartCreate(lines: [{productId: \"UHJvZHVjdDox\", quantity: 1}]) { cart { id lines { quantity } } userErrors { code field } } }"}`,
		`{"query":"mutation($c: ID!) { cartLinesAdd(cartId: $c, lines: []) { userErrors { code } } }","variables":{"c":"nope"}}`,
		`{"query":"mutation($in: LoginInput!) { login(input: $in) { token userErrors { code } } }","variables":{"in":{"email":"a@example.com","password":"x"}}}`,
		`{"query":"mutation($in: CheckoutInput!) { checkout(input: $in) { userErrors { code } } }","variables":{"in":{"cartId":"x","paymentMethod":"CARD","idempotencyKey":"k","shippingAddress":{"name":"a","line1":"b","city":"c","postalCode":"1","country":"IN"}}}}`,
		`{"query":"{ me { id orders { totalCount } } cart(id: \"x\") { id } order(id: \"T3JkZXI6MQ\") { id } }"}`,
		`{"query":"{ orders { totalCount } }"}`,
		`{"query":"query A { categories { slug } } query B { products { totalCount } }","operationName":"B"}`,
		`{"query":"{ __schema { types { name } } }"}`,
		`{"query":"{ products(first: 100) { nodes { category { products(first: 100) { nodes { name } } } } } }"}`,
		`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"0000000000000000000000000000000000000000000000000000000000000000"}}}`,
		`{"query":"{ categories { slug } }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"bad"}}}`,
		`{"query":"subscription { orderStatusChanged(orderId: \"x\") { sequence } }"}`,
		`{"query":"{ products(first: -1) { totalCount } }"}`,
		`{"query":"{ products(after: \"eyJzIjoiSUQiLCJ2IjoiMSIsImkiOjF9\") { totalCount } }"}`,
		`{"query":"{ a: categories { slug } b: categories { slug } }"}`,
		`{"query":"fragment F on Query { categories { slug } } { ...F }"}`,
		`{"query":"{ products(filter: {query: \"\\u0000\"}) { totalCount } }"}`,
		`{"query":1}`, `{"variables":"x"}`, `{"query":"{","variables":{}}`, `{}`, `null`, `[]`, `[{"query":"{ categories { slug } }"}]`,
		`{"query":"{ categories { slug } }"}{"query":"{ categories { slug } }"}`, "", "\x00", `{"query":"\ud800"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), false)
	}
	f.Add([]byte(`{"query":"{ nope }"}`), true)
	fh := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, body []byte, graphqlResponseJSON bool) {
		accept := ""
		if graphqlResponseJSON {
			accept = "application/graphql-response+json"
		}
		fh.post(t, accept, body)
	})
}

// productSortKeys are the sort keys a client may send.
var productSortKeys = []string{"RELEVANCE", "PRICE", "NAME", "CREATED_AT", "BEST_SELLING", "ID"}

// filterKnownBug returns why the inputs hit a known bug, or "" when they do not;
// SHOPGRAPH_STRICT=1 reports none, so that the seeds below reproduce them.
func filterKnownBug(query, cursor string) string {
	if strictGaps {
		return ""
	}
	if strings.ContainsRune(query, 0) && strings.TrimSpace(query) != "" {
		return "a NUL byte in filter.query reaches Postgres (see TestSecurityInjection)"
	}
	raw, err := base64RawURL(cursor)
	if err != nil {
		return ""
	}
	var c struct{ S, V string }
	if json.Unmarshal([]byte(raw), &c) != nil {
		return ""
	}
	if why := forgedCursorBug(c.S, c.V, strings.TrimSpace(query) != ""); why != "" {
		return why + " (see TestSecurityForgedCursors)"
	}
	return ""
}

// forgedCursorBug tells whether a cursor value of the sort key passes
// domain.ProductSortKey.ValidCursorValue but fails the SQL cast of store/postgres'
// listing, and why.
func forgedCursorBug(sort, value string, hasQuery bool) string {
	switch sort {
	case "CREATED_AT", domain.OrderCursorSort:
		if strings.Contains(value, ",") || !strings.HasSuffix(value, "Z") {
			return "a CREATED_AT cursor with a comma before its fraction, or a UTC offset Postgres refuses"
		}
	case "RELEVANCE":
		if !hasQuery {
			if _, err := strconv.ParseInt(value, 10, 64); err != nil {
				return "a RELEVANCE cursor without a search query is cast to bigint"
			}
			return ""
		}
		if f, err := strconv.ParseFloat(value, 64); err == nil && f != 0 && float32(f) == 0 {
			return "a RELEVANCE cursor that underflows real"
		}
	}
	return ""
}

// FuzzProductFilter sends arbitrary filters, sorts and cursors through the handler to the
// real database: the answer is a page or a BAD_USER_INPUT error, never an internal error.
func FuzzProductFilter(f *testing.F) {
	cursor := func(sort, value string, id int64) string {
		b, _ := json.Marshal(map[string]any{"s": sort, "v": value, "i": id})
		return b64(string(b))
	}
	type seed struct {
		query, minPrice, maxPrice, category, after string
		sort, inStock                              uint8
		reverse, backward                          bool
		first                                      int8
	}
	garden := gid("Category", 1)
	for _, s := range []seed{
		{query: "garden", sort: 0, first: 5},
		{query: `"crew neck" -wool`, sort: 0, first: 5, reverse: true},
		{query: "a | b & !c", minPrice: "1.00", maxPrice: "100", inStock: 1, sort: 1, first: 10},
		{category: garden, sort: 2, first: 3, after: cursor("NAME", "M", 5)},
		{sort: 3, first: 2, after: cursor("CREATED_AT", "2026-01-02T03:04:05.000006Z", 9), backward: true},
		{sort: 4, first: 20, after: cursor("BEST_SELLING", "12", 3), inStock: 2},
		{sort: 5, first: 1, after: cursor("ID", "7", 7)},
		{sort: 1, first: 5, after: cursor("PRICE", "-9223372036854775808", 1)},
		{sort: 0, first: 5, after: cursor("RELEVANCE", "0", 1)},
		{query: "garden", sort: 0, first: 5, after: cursor("RELEVANCE", "0.0607927", 12)},
		{sort: 0, first: 5, after: cursor("RELEVANCE", "1.5", 1)},
		{query: "garden", sort: 0, first: 5, after: cursor("RELEVANCE", "1e-50", 12)},
		{query: "garden", sort: 0, first: 5, after: cursor("RELEVANCE", "3.4e38", 12), backward: true},
		{sort: 3, first: 5, after: cursor("CREATED_AT", "0001-01-01T00:00:00+23:59", 12)},
		{sort: 3, first: 5, after: cursor("CREATED_AT", "9999-12-31T23:59:59.999999999-23:59", 12)},
		{sort: 2, first: 5, after: cursor("NAME", "\u202e\ufffd", 12)},
		{minPrice: "abc", first: 5},
		{minPrice: "99999999999.99", maxPrice: "0.01", first: 101},
		{category: "UHJvZHVjdDox", first: -1},
		{query: strings.Repeat("x", 201)},
		{query: "ünïcødé ☃"},
		// Known bugs, skipped unless SHOPGRAPH_STRICT is set.
		{query: "a\x00b", first: 5},
		{sort: 3, first: 5, after: cursor("CREATED_AT", "2026-01-02T03:04:05,000006Z", 9)},
	} {
		f.Add(s.query, s.minPrice, s.maxPrice, s.category, s.after, s.sort, s.inStock, s.reverse, s.backward, s.first)
	}
	fh := newFuzzHarness(f)
	f.Fuzz(func(t *testing.T, query, minPrice, maxPrice, category, after string, sort, inStock uint8, reverse, backward bool, first int8) {
		if why := filterKnownBug(query, after); why != "" {
			t.Skip(why)
		}
		filter := map[string]any{}
		if query != "" {
			filter["query"] = query
		}
		if minPrice != "" {
			filter["minPrice"] = minPrice
		}
		if maxPrice != "" {
			filter["maxPrice"] = maxPrice
		}
		if category != "" {
			filter["categoryId"] = category
		}
		switch inStock % 3 {
		case 1:
			filter["inStock"] = true
		case 2:
			filter["inStock"] = false
		}
		vars := map[string]any{"filter": filter, "sort": map[string]any{"key": productSortKeys[int(sort)%len(productSortKeys)], "reverse": reverse}}
		size, bound := "first", "after"
		if backward {
			size, bound = "last", "before"
		}
		vars[size] = int(first)
		if after != "" {
			vars[bound] = after
		}
		body, err := json.Marshal(map[string]any{"query": listQuery, "variables": vars})
		if err != nil {
			t.Skip("not JSON-encodable")
		}
		r := fh.post(t, "", body)
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
		for _, c := range r.gql.codes() {
			if c != string(domain.CodeBadUserInput) {
				t.Fatalf("error code %q for %s: %s", c, body, r.raw)
			}
		}
		if len(r.gql.Errors) == 0 {
			var out struct{ Products productConn }
			if err := json.Unmarshal(r.gql.Data, &out); err != nil {
				t.Fatalf("data %s: %v", r.gql.Data, err)
			}
			if n := len(out.Products.Edges); n > max(int(first), 0) {
				t.Fatalf("%d edges for a page of %d", n, first)
			}
		}
	})
}
