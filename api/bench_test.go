package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/events"
	"github.com/shopgraph/shopgraph/testkit"
)

// BenchmarkProductList measures the storefront's product-list query (the bench's: 50
// products with their category and its parent, rating, first image and variants) through
// the whole HTTP handler against the seeded database, with the production loader window,
// answered by gqlgen's executor alone and with the catalog writer. It reports SQL
// statements per request next to time and allocations.
func BenchmarkProductList(b *testing.B) {
	query := `query ProductList($first: Int!) { products(first: $first) {
		nodes { id slug name price { amount currencyCode } inStock category { id name parent { id name } }
			rating { average count } featuredImage { url(width: 400) altText } variants { id title inStock } }
		pageInfo { hasNextPage endCursor } } }`
	benchmarkRead(b, query, map[string]any{"first": 50}, func(b *testing.B, body []byte) {
		var resp struct {
			Data struct {
				Products struct{ Nodes []json.RawMessage }
			}
			Errors []json.RawMessage
		}
		if err := json.Unmarshal(body, &resp); err != nil || len(resp.Errors) > 0 || len(resp.Data.Products.Nodes) != 50 {
			b.Fatalf("the first answer is not a page of 50 products (%v): %s", err, body)
		}
	})
}

// BenchmarkProductPage measures the bench's product-page query (a product by slug with
// its category, rating, variants with their options and prices, and images) in the same
// way; the product comes from the catalog cache in Redis after the first request.
func BenchmarkProductPage(b *testing.B) {
	query := `query ProductPage($slug: String!) { product(slug: $slug) { id slug name description price { amount currencyCode }
		availableQuantity inStock category { id name slug } rating { average count }
		variants { id sku title selectedOptions { name value } price { amount currencyCode } availableQuantity inStock }
		images { url(width: 800) altText width height } } }`
	benchmarkRead(b, query, map[string]any{"slug": ""}, func(b *testing.B, body []byte) {
		var resp struct {
			Data struct {
				Product *struct{ Variants []json.RawMessage }
			}
			Errors []json.RawMessage
		}
		if err := json.Unmarshal(body, &resp); err != nil || len(resp.Errors) > 0 || resp.Data.Product == nil || len(resp.Data.Product.Variants) == 0 {
			b.Fatalf("the first answer is not a product with variants (%v): %s", err, body)
		}
	})
}

// benchmarkRead runs query (a "slug" variable gets the first live product's) through
// the handler, once with gqlgen's executor alone, once with the catalog writer, and once
// with the catalog writer and the catalog cache in Redis (which the app has when it has
// NATS too, as deployed), after check has accepted the first answer.
func benchmarkRead(b *testing.B, query string, vars map[string]any, check func(*testing.B, []byte)) {
	counter := &testkit.StatementCounter{}
	db, _ := testkit.Postgres(b, testkit.WithTracer(counter))
	rdb := testkit.Redis(b)
	if _, ok := vars["slug"]; ok {
		var slug string
		if err := db.Pool.QueryRow(context.Background(), `SELECT slug FROM products WHERE deleted_at IS NULL ORDER BY id LIMIT 1`).Scan(&slug); err != nil {
			b.Fatal(err)
		}
		vars["slug"] = slug
	}
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	for _, mode := range []struct {
		name            string
		general, cached bool
	}{{"executor", true, false}, {"compiled", false, false}, {"compiled-cached", false, true}} {
		general := mode.general
		b.Run(mode.name, func(b *testing.B) {
			deps := app.Deps{Postgres: db, Redis: rdb, Log: testkit.Discard}
			if mode.cached {
				url, _, _ := testkit.NATS(b)
				bus, err := events.Connect(events.Config{URL: url, Name: b.Name()}, testkit.Discard)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(bus.NC.Close)
				deps.Bus = bus
			}
			a, err := app.New(app.Config{JWTSecret: []byte("bench-secret-0123456789"), CostLimitOff: true, GeneralExecutorOnly: general}, deps)
			if err != nil {
				b.Fatal(err)
			}
			if mode.cached && a.CatalogCache == nil {
				b.Fatal("no catalog cache")
			}
			h := a.Handler
			for range 2 { // twice: the cache takes a slug's product on its second lookup
				req, _ := http.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				check(b, w.Body.Bytes())
			}
			counter.Reset()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				w := &discardWriter{h: http.Header{}}
				h.ServeHTTP(w, req)
				if w.code != 0 && w.code != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
			}
			b.ReportMetric(float64(counter.Count())/float64(b.N), "stmts/op")
		})
	}
}

type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return io.Discard.Write(p) }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
