package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/store/redis"
)

func TestQueryLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	deep := "{ categories { " + strings.Repeat("children { ", 12) + "slug" + strings.Repeat(" }", 12) + " } }"
	var aliases strings.Builder
	aliases.WriteString("{ ")
	for i := range 31 {
		fmt.Fprintf(&aliases, "a%d: categories { slug } ", i)
	}
	aliases.WriteString("}")
	tests := []struct {
		name, query, code string
	}{
		{"priced over the limit", `{ products(first: 100) { nodes { category { products(first: 100) { nodes { name } } } } } }`, "QUERY_TOO_COMPLEX"},
		{"too deep", deep, "QUERY_TOO_DEEP"},
		{"too many aliases", aliases.String(), "TOO_MANY_ALIASES"},
		{"too long", "{ products { totalCount } }" + strings.Repeat(" ", 17<<10), "QUERY_TOO_LARGE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.counter.Reset()
			r := h.post(tc.query, nil)
			if r.code() != tc.code || (r.Data != nil && string(r.Data) != "null") {
				t.Fatalf("code %q data %s, want %s and no data (%+v)", r.code(), r.Data, tc.code, r.Errors)
			}
			if n := h.counter.Count(); n != 0 {
				t.Errorf("a refused query ran %d statements", n)
			}
			if tc.code == "QUERY_TOO_COMPLEX" {
				c, _ := r.Errors[0].Extensions["cost"].(map[string]any)
				if c["requested"].(float64) <= 1000 || c["limit"].(float64) != 1000 {
					t.Errorf("cost extension %v", c)
				}
			}
		})
	}
	// Every answer reports its cost: 2 + 10 products × (the product and its category).
	body := `{"query":"{ products(first: 10) { nodes { name category { name } } } }"}`
	resp := h.do(http.MethodPost, "/graphql", strings.NewReader(body), map[string]string{"Content-Type": "application/json"})
	raw := h.rawPost(body)
	var out struct {
		Extensions struct {
			Cost struct{ Requested, Limit int }
		}
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.Extensions.Cost.Requested != 22 || out.Extensions.Cost.Limit != 1000 {
		t.Errorf("cost extension of a cheap query: %s (%v) %+v", raw, err, resp.Errors)
	}
}

// rawPost returns the whole response body of a POST.
func (h *harness) rawPost(body string) []byte {
	h.t.Helper()
	resp, err := h.srv.Client().Post(h.srv.URL+"/graphql", "application/json", strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return []byte(b.String())
}

func TestCostRateLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *app.Config) { c.CostPerCaller = redis.Limit{Rate: 0.01, Burst: 50} })
	q := `{ products(first: 10) { nodes { category { name } } } }` // 22 points
	for i := range 2 {
		if r := h.post(q, nil); len(r.Errors) > 0 {
			t.Fatalf("query %d: %+v", i, r.Errors)
		}
	}
	r := h.post(q, nil)
	if r.code() != "RATE_LIMITED" {
		t.Fatalf("third query: %+v", r.Errors)
	}
	if ra, _ := r.Errors[0].Extensions["retryAfter"].(float64); ra < 1 {
		t.Errorf("retryAfter %v", r.Errors[0].Extensions["retryAfter"])
	}
}

func apqBody(query, hash string) string {
	b, _ := json.Marshal(map[string]any{"query": query, "extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}})
	return string(b)
}

func hashOf(q string) string {
	s := sha256.Sum256([]byte(q))
	return hex.EncodeToString(s[:])
}

// TestPersistedQueries: a query registered through one replica runs by hash on another,
// also with GET (so a CDN can cache it).
func TestPersistedQueries(t *testing.T) {
	t.Parallel()
	a := newHarness(t)
	b := a.sibling("")
	q := `{ products(first: 1) { totalCount } }`
	hash := hashOf(q)
	byHash := func(h *harness) gqlResponse {
		return h.do(http.MethodPost, "/graphql", strings.NewReader(apqBody("", hash)), map[string]string{"Content-Type": "application/json"})
	}
	if r := byHash(b); r.code() != "PERSISTED_QUERY_NOT_FOUND" {
		t.Fatalf("unknown hash: %+v", r.Errors)
	}
	if r := a.do(http.MethodPost, "/graphql", strings.NewReader(apqBody(q, hash)), map[string]string{"Content-Type": "application/json"}); len(r.Errors) > 0 {
		t.Fatalf("registering: %+v", r.Errors)
	}
	if r := byHash(b); len(r.Errors) > 0 || !strings.Contains(string(r.Data), "totalCount") {
		t.Fatalf("by hash on the other replica: %s %+v", r.Data, r.Errors)
	}
	ext := url.QueryEscape(`{"persistedQuery":{"version":1,"sha256Hash":"` + hash + `"}}`)
	if r := b.do(http.MethodGet, "/graphql?extensions="+ext, nil, nil); len(r.Errors) > 0 || !strings.Contains(string(r.Data), "totalCount") {
		t.Errorf("GET by hash: %s %+v", r.Data, r.Errors)
	}
	if r := a.do(http.MethodPost, "/graphql", strings.NewReader(apqBody(q, strings.Repeat("0", 64))), map[string]string{"Content-Type": "application/json"}); r.code() == "" {
		t.Error("a query with the wrong hash was accepted")
	}
}

func TestAllowListMode(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *app.Config) { c.AllowListOnly = true })
	pq := redis.NewPersistedQueries(h.rdb, true)
	allowed := `{ categories { slug } }`
	if err := pq.Register(t.Context(), hashOf(allowed), allowed); err != nil {
		t.Fatal(err)
	}
	if r := h.post(allowed, nil); len(r.Errors) > 0 {
		t.Errorf("a registered query: %+v", r.Errors)
	}
	if r := h.do(http.MethodPost, "/graphql", strings.NewReader(apqBody("", hashOf(allowed))), map[string]string{"Content-Type": "application/json"}); len(r.Errors) > 0 {
		t.Errorf("a registered hash: %+v", r.Errors)
	}
	other := `{ products { totalCount } }`
	if r := h.post(other, nil); r.code() != "OPERATION_NOT_ALLOWED" {
		t.Errorf("an unregistered query: %+v", r.Errors)
	}
	// Clients cannot register their way in.
	h.do(http.MethodPost, "/graphql", strings.NewReader(apqBody(other, hashOf(other))), map[string]string{"Content-Type": "application/json"})
	if r := h.do(http.MethodPost, "/graphql", strings.NewReader(apqBody("", hashOf(other))), map[string]string{"Content-Type": "application/json"}); r.code() != "PERSISTED_QUERY_NOT_FOUND" {
		t.Errorf("a client registered a query in allow-list mode: %+v", r.Errors)
	}
}

func TestCORSAndSecurityHeaders(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *app.Config) { c.CORSOrigins = []string{"https://shop.example"} })
	req, _ := http.NewRequest(http.MethodOptions, h.srv.URL+"/graphql", nil)
	req.Header.Set("Origin", "https://shop.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" {
		t.Errorf("preflight from the storefront: %v", resp.Header)
	}
	req.Header.Set("Origin", "https://evil.example")
	resp, err = h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin allowed: %v", resp.Header)
	}
	resp, err = h.srv.Client().Post(h.srv.URL+"/graphql", "application/json", strings.NewReader(`{"query":"{ categories { slug } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
		if resp.Header.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, resp.Header.Get(k), v)
		}
	}
}

func TestIntrospectionOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *app.Config) { c.Introspection = false })
	if r := h.post(`{ __schema { types { name } } }`, nil); len(r.Errors) == 0 {
		t.Error("introspection answered while switched off")
	}
	r := h.post(`{ produc { id } }`, nil)
	if len(r.Errors) == 0 || strings.Contains(r.Errors[0].Message, "Did you mean") {
		t.Errorf("field suggestions leak with introspection off: %+v", r.Errors)
	}
}
