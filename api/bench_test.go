package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/testkit"
)

// BenchmarkProductList measures the storefront's product-list query (the bench's: 50
// products with their category and its parent, rating, first image and variants) through the whole HTTP handler against the seeded database, with the
// production loader window. It reports SQL statements per request next to time and
// allocations.
func BenchmarkProductList(b *testing.B) {
	counter := &testkit.StatementCounter{}
	db, _ := testkit.Postgres(b, testkit.WithTracer(counter))
	a, err := app.New(app.Config{JWTSecret: []byte("bench-secret-0123456789"), CostLimitOff: true}, app.Deps{Postgres: db, Redis: testkit.Redis(b), Log: testkit.Discard})
	if err != nil {
		b.Fatal(err)
	}
	h := a.Handler
	body, _ := json.Marshal(map[string]any{"query": `{ products(first: 50) {
		nodes { id slug name price { amount currencyCode } inStock category { id name parent { id name } }
			rating { average count } featuredImage { url(width: 400) altText } variants { id title inStock } }
		pageInfo { hasNextPage endCursor } } }`})
	run := func() {
		req, _ := http.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := &discardWriter{h: http.Header{}}
		h.ServeHTTP(w, req)
		if w.code != 0 && w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
	}
	{
		req, _ := http.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var resp struct {
			Data struct {
				Products struct{ Nodes []json.RawMessage }
			}
			Errors []json.RawMessage
		}
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || len(resp.Errors) > 0 || len(resp.Data.Products.Nodes) != 50 {
			b.Fatalf("the first answer is not a page of 50 products (%v): %s", err, w.Body.String())
		}
	}
	counter.Reset()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
	b.ReportMetric(float64(counter.Count())/float64(b.N), "stmts/op")
}

type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return io.Discard.Write(p) }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
