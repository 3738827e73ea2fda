package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/testkit"
)

// BenchmarkProductList measures the storefront's product-list query (20 products with
// their category) through the whole HTTP handler against the seeded database, with the
// production loader window. It reports SQL statements per request next to time and
// allocations.
func BenchmarkProductList(b *testing.B) {
	counter := &testkit.StatementCounter{}
	db, _ := testkit.Postgres(b, testkit.WithTracer(counter))
	a, err := app.New(app.Config{JWTSecret: []byte("bench-secret-0123456789")}, app.Deps{Postgres: db, Redis: testkit.Redis(b), Log: testkit.Discard})
	if err != nil {
		b.Fatal(err)
	}
	h := a.Handler
	body, _ := json.Marshal(map[string]any{"query": `{ products(first: 20, sort: {key: BEST_SELLING}) {
		edges { cursor node { id slug name price { amount currencyCode } inStock category { id name slug } } }
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
	run()
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
