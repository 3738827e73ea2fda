package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/shopgraph/shopgraph/bench/gql"
	"github.com/shopgraph/shopgraph/bench/load"
	"github.com/shopgraph/shopgraph/bench/report"
)

// The mix of a storefront session, in requests per hundred: shoppers look at products far
// more often than they search, and read their cart more often than they add to it.
var mix = []struct {
	kind   string
	weight int
}{
	{"product-page", 40},
	{"list", 20},
	{"search", 15},
	{"cart-add", 10},
	{"cart-read", 15},
}

const (
	mixedListQuery   = `query CategoryPage($cat: ID!) { products(first: 20, filter: {categoryId: $cat}, sort: {key: BEST_SELLING}) { nodes { id slug name price { amount currencyCode } inStock } pageInfo { hasNextPage endCursor } } }`
	mixedSearchQuery = `query Search($q: String!) { products(first: 20, filter: {query: $q}) { totalCount nodes { id slug name price { amount currencyCode } inStock } } }`
	cartAddMutation  = `mutation CartAdd($cart: ID!, $lines: [CartLineInput!]!) { cartLinesAdd(cartId: $cart, lines: $lines) { cart { id totalQuantity subtotal { amount } } userErrors { field message code } } }`
	cartReadQuery    = `query Cart($id: ID!) { cart(id: $id) { id totalQuantity subtotal { amount currencyCode } lines { id quantity unitPrice { amount } total { amount } product { id slug name inStock } } } }`
)

func gid(typ string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.FormatInt(id, 10)))
}

// stocked returns up to n live products of one live variant with at least min units,
// by id: the mixed load's cart lines name no variant, as a storefront's product card
// adds such a product.
func (e *env) stocked(ctx context.Context, n, min int) ([]int64, error) {
	rows, err := e.db.Query(ctx, `SELECT p.id FROM products p WHERE p.deleted_at IS NULL AND p.stock >= $1
		AND (SELECT count(*) FROM product_variants v WHERE v.product_id = p.id AND v.deleted_at IS NULL) = 1
		ORDER BY p.id LIMIT $2`, min, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func mixed(ctx context.Context, e *env) (report.Run, error) {
	slugs, err := e.liveSlugs(ctx)
	if err != nil {
		return report.Run{}, err
	}
	var cats []int64
	rows, err := e.db.Query(ctx, `SELECT id FROM categories ORDER BY id`)
	if err != nil {
		return report.Run{}, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return report.Run{}, err
		}
		cats = append(cats, id)
	}
	rows.Close()
	// Search words: the frequent words of product names, as shoppers type them.
	words, err := e.searchWords(ctx, 200)
	if err != nil {
		return report.Run{}, err
	}
	products, err := e.stocked(ctx, 1000, 50)
	if err != nil {
		return report.Run{}, err
	}
	if len(products) == 0 {
		return report.Run{}, fmt.Errorf("no product with 50 units in stock")
	}
	// Guest carts, one line each, made before the run.
	client := gql.New(e.graphqlURL())
	carts := make([]string, 500)
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range carts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			id, err := client.CartCreate(ctx, gid("Product", products[rand.IntN(len(products))]), 1)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			carts[i] = id
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return report.Run{}, fmt.Errorf("creating carts: %w", firstErr)
	}

	total := 0
	for _, m := range mix {
		total += m.weight
	}
	next := func() (load.Request, bool) {
		n := rand.IntN(total)
		kind := mix[len(mix)-1].kind
		for _, m := range mix {
			if n < m.weight {
				kind = m.kind
				break
			}
			n -= m.weight
		}
		var body []byte
		switch kind {
		case "product-page":
			body = gql.Body("ProductPage", productPageQuery, map[string]any{"slug": slugs[rand.IntN(len(slugs))]})
		case "list":
			body = gql.Body("CategoryPage", mixedListQuery, map[string]any{"cat": gid("Category", cats[rand.IntN(len(cats))])})
		case "search":
			body = gql.Body("Search", mixedSearchQuery, map[string]any{"q": words[rand.IntN(len(words))]})
		case "cart-add":
			body = gql.Body("CartAdd", cartAddMutation, map[string]any{"cart": carts[rand.IntN(len(carts))],
				"lines": []any{map[string]any{"productId": gid("Product", products[rand.IntN(len(products))]), "quantity": 1}}})
		case "cart-read":
			body = gql.Body("Cart", cartReadQuery, map[string]any{"id": carts[rand.IntN(len(carts))]})
		}
		return load.Request{Kind: kind, Body: body}, true
	}
	check := func(kind string, b []byte) error {
		if err := load.NoGraphQLErrors(kind, b); err != nil {
			return err
		}
		switch kind {
		case "product-page":
			if !bytes.HasPrefix(b, []byte(`{"data":{"product":{`)) {
				return fmt.Errorf("no product: %.200s", b)
			}
		case "cart-add":
			if !bytes.Contains(b, []byte(`"userErrors":[]`)) {
				return fmt.Errorf("user errors: %.300s", b)
			}
		case "cart-read":
			if bytes.HasPrefix(b, []byte(`{"data":{"cart":null`)) {
				return fmt.Errorf("cart gone: %.200s", b)
			}
		}
		return nil
	}
	spec := load.Spec{URL: e.graphqlURL(), Clients: e.clients, Next: next, Check: check}
	spec.Duration = e.warmup
	w, err := load.Run(ctx, spec)
	if err != nil {
		return report.Run{}, err
	}
	e.logf("  warm-up: %s", w)
	spec.Duration = time.Duration(e.rounds) * e.duration
	cpu := startCPU(e.graphqlURL())
	s, err := load.Run(ctx, spec)
	if err != nil {
		return report.Run{}, err
	}
	s.CPU = cpu.stop()
	e.logf("  %s", s)
	if len(s.FailureSamples) > 0 {
		e.logf("  failures: %s", samples(s))
	}
	spec.Duration = e.duration
	if err := e.profiled(ctx, "mixed", spec); err != nil {
		e.logf("  %v", err)
	}
	name := "mixed"
	out := report.Run{Rows: []report.Row{
		{Workload: name, Metric: fmt.Sprintf("req/s, %d clients", e.clients), Shopgraph: fmt.Sprintf("%.0f", s.RPS()), Baseline: "—", Ratio: "—", Target: "—", Verdict: report.Info},
		{Workload: name, Metric: "p99 latency", Shopgraph: load.Ms(s.Quantile(0.99)), Baseline: "—", Ratio: "—", Target: "—", Verdict: report.Info},
		{Workload: name, Metric: "server CPU per request", Shopgraph: load.Ms(s.CPUPerRequest()), Baseline: "—", Ratio: "—", Target: "—", Verdict: report.Info},
		{Workload: name, Metric: "failed requests", Shopgraph: fmt.Sprintf("%d of %d", s.Failures, s.Requests), Baseline: "—", Ratio: "—", Target: "0", Verdict: report.Check(s.Failures == 0)},
	}}
	var kinds []string
	for k := range s.ByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var parts []string
	for _, k := range kinds {
		ks := s.ByKind[k]
		parts = append(parts, fmt.Sprintf("%s %d req, p50 %s, p99 %s", k, ks.Requests, load.Ms(ks.Quantile(0.5)), load.Ms(ks.Quantile(0.99))))
	}
	var weights []string
	for _, m := range mix {
		weights = append(weights, fmt.Sprintf("%s %d%%", m.kind, m.weight))
	}
	out.Notes = []string{
		"mix: " + strings.Join(weights, ", ") + "; 500 guest carts; no baseline (carts live in Redis behind shopgraph's own rules)",
		"by kind: " + strings.Join(parts, "; "),
	}
	out.Notes = append(out.Notes, limitedNotes(s)...)
	return out, nil
}

// searchWords returns up to n frequent words (four letters or more) of product names.
func (e *env) searchWords(ctx context.Context, n int) ([]string, error) {
	rows, err := e.db.Query(ctx, `SELECT name FROM products WHERE deleted_at IS NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	freq := map[string]int{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		for _, w := range strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return !unicode.IsLetter(r) }) {
			if len(w) >= 4 {
				freq[w]++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	words := make([]string, 0, len(freq))
	for w := range freq {
		words = append(words, w)
	}
	sort.Slice(words, func(i, j int) bool {
		if freq[words[i]] != freq[words[j]] {
			return freq[words[i]] > freq[words[j]]
		}
		return words[i] < words[j]
	})
	if len(words) > n {
		words = words[:n]
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("no product names")
	}
	return words, nil
}
