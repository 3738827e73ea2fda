package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/bench/gql"
	"github.com/shopgraph/shopgraph/bench/load"
	"github.com/shopgraph/shopgraph/bench/pgcount"
	"github.com/shopgraph/shopgraph/bench/report"
)

// checkoutSelection is the checkout the bench sends: the storefront's (web/storefront
// Checkout.tsx: the order's id, number, status and history, and the user errors) with the
// amounts the order charged. The cart's cost and its shipping options are read first, in
// a separate request as the storefront's checkout page does (cartCostQuery), untimed.
const checkoutSelection = `mutation Checkout($in: CheckoutInput!) { checkout(input: $in) { order { id number status
	subtotal { amount currencyCode } discountAmount { amount currencyCode } shippingAmount { amount currencyCode } total { amount currencyCode }
	statusHistory { sequence status note } } userErrors { field message code } } }`

// cartCostQuery is what a storefront asks of a cart before paying: its cost with
// discounts, and what each shipping method would charge it for the address's country.
const cartCostQuery = `query CheckoutCart($id: ID!, $country: String!) { cart(id: $id) { id totalQuantity
	cost { subtotalAmount { amount currencyCode } totalDiscountAmount { amount currencyCode } shippingAmount { amount currencyCode }
		totalAmount { amount currencyCode } discounts { code title amount { amount } } }
	shippingMethods(countryCode: $country) { method { id name minDeliveryDays maxDeliveryDays } cost { amount currencyCode } } } }`

// scarceStock and scarceAttempts size the oversell probe: many more buyers than units.
const (
	scarceStock    = 50
	scarceAttempts = 200
)

func checkout(ctx context.Context, e *env) (report.Run, error) {
	admin, err := e.admin(ctx)
	if err != nil {
		return report.Run{}, err
	}
	baseURL, err := e.baseline(ctx)
	if err != nil {
		return report.Run{}, err
	}
	ids, err := e.singleVariant(ctx, 1002)
	if err != nil {
		return report.Run{}, err
	}
	if len(ids) < 1002 {
		return report.Run{}, fmt.Errorf("need 1,002 live products of one variant, have %d", len(ids))
	}
	hot, scarce, spread := ids[0], ids[1], ids[2:]
	// Ample stock, through the admin mutation so that shopgraph's cache learns of it: every
	// round checks out e.checkoutN carts on each server, spread and hot, and the statement
	// count 2 x countCheckouts more on the hot product.
	runs := 2 * e.rounds
	perProduct := runs*e.checkoutN/len(spread) + 20
	if err := e.restock(ctx, admin, spread, perProduct); err != nil {
		return report.Run{}, err
	}
	if err := e.restock(ctx, admin, []int64{hot}, runs*e.checkoutN+2*countCheckouts+100); err != nil {
		return report.Run{}, err
	}
	// The scarce product holds scarceStock units that can ship to the bench's address
	// (other warehouses may hold more, which no bench checkout can take).
	if err := e.setEligibleStock(ctx, admin, scarce, scarceStock); err != nil {
		return report.Run{}, err
	}
	before, err := e.stocks(ctx, ids)
	if err != nil {
		return report.Run{}, err
	}
	run := time.Now().UnixNano()
	sgURL := e.graphqlURL()

	// Alternating rounds: the baseline, then shopgraph, on the same kind of carts (made
	// beforehand, with their cost read as a storefront does, untimed), at the same
	// concurrency; spread over 1,000 products, then all on one.
	type side struct {
		stats    []*load.Stats
		cpu      time.Duration
		failures int
		notes    []string
	}
	var sgSpread, sgHot, baseSpread, baseHot side
	pickSpread := func(int) int64 { return spread[rand.IntN(len(spread))] }
	pickHot := func(int) int64 { return hot }
	var expected sync.Map // idempotency key -> the total the cart's cost and shipping option promised
	for r := range e.rounds {
		for _, c := range []struct {
			name string
			url  string
			pick func(int) int64
			into *side
		}{
			{"baseline spread", baseURL, pickSpread, &baseSpread},
			{"shopgraph spread", sgURL, pickSpread, &sgSpread},
			{"baseline hot", baseURL, pickHot, &baseHot},
			{"shopgraph hot", sgURL, pickHot, &sgHot},
		} {
			prefix := fmt.Sprintf("bench-%d-%d-%s", run, r, strings.ReplaceAll(c.name, " ", "-"))
			carts, err := e.makeCarts(ctx, prefix, e.checkoutN, c.pick, &expected)
			if err != nil {
				return report.Run{}, err
			}
			meter := startCPU(c.url)
			s, stats, err := e.checkoutRun(ctx, c.url, carts)
			if err != nil {
				return report.Run{}, err
			}
			c.into.cpu += meter.stop()
			c.into.stats = append(c.into.stats, s)
			c.into.failures += s.Failures
			e.logf("  round %d, %s: %.0f orders/s (%s)", r+1, c.name, s.RPS(), stats)
		}
	}
	wrong, err := e.wrongTotals(ctx, fmt.Sprintf("bench-%d-", run), &expected)
	if err != nil {
		return report.Run{}, err
	}

	// Oversell: many more buyers than units of one product.
	scarceKey := fmt.Sprintf("bench-%d-scarce", run)
	scarceCarts, err := e.makeCarts(ctx, scarceKey, scarceAttempts, func(int) int64 { return scarce }, nil)
	if err != nil {
		return report.Run{}, err
	}
	sc, _, err := e.checkoutRun(ctx, sgURL, scarceCarts)
	if err != nil {
		return report.Run{}, err
	}
	var sold, negative int
	var stockLeft int
	if err := e.db.QueryRow(ctx, `SELECT coalesce(sum(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id
		WHERE o.idempotency_key LIKE $1 AND o.status <> 'CANCELLED' AND l.product_id = $2`, scarceKey+"-%", scarce).Scan(&sold); err != nil {
		return report.Run{}, err
	}
	if stockLeft, err = e.eligibleStock(ctx, scarce); err != nil {
		return report.Run{}, err
	}
	if err := e.db.QueryRow(ctx, `SELECT count(*) FROM products WHERE stock < 0`).Scan(&negative); err != nil {
		return report.Run{}, err
	}

	// Statements and round trips per checkout, one client at a time, behind the counting
	// proxy (second processes of both servers), on the hot product.
	counts, err := e.countCheckouts(ctx, fmt.Sprintf("bench-%d-count", run), hot)
	if err != nil {
		return report.Run{}, err
	}

	// Every run: units taken from stock = units in the run's live orders.
	mismatch, err := e.stockMismatch(ctx, fmt.Sprintf("bench-%d-", run), before)
	if err != nil {
		return report.Run{}, err
	}
	oversold := sold - scarceStock
	e.logf("  scarce product: %d units, %d attempts: %d sold (%d paid orders), %d left; %d products below zero; %d products whose stock moved unlike their orders",
		scarceStock, scarceAttempts, sold, sc.OK, stockLeft, negative, mismatch)
	if err := e.setStock(ctx, admin, scarce, 100); err != nil {
		return report.Run{}, err
	}

	if e.profileDir != "" {
		if err := e.profileCheckouts(ctx, fmt.Sprintf("bench-%d-profile", run), pickSpread); err != nil {
			return report.Run{}, err
		}
	}

	rate := func(ss []*load.Stats) float64 {
		var ok int
		var el time.Duration
		for _, s := range ss {
			ok += s.OK
			el += s.Elapsed
		}
		if el <= 0 {
			return 0
		}
		return float64(ok) / el.Seconds()
	}
	p99 := func(ss []*load.Stats) time.Duration {
		var m time.Duration
		for _, s := range ss {
			m = max(m, s.Quantile(0.99))
		}
		return m
	}
	cpuPer := func(sd side) time.Duration {
		n := 0
		for _, s := range sd.stats {
			n += s.OK
		}
		if n == 0 || sd.cpu == 0 {
			return 0
		}
		return sd.cpu / time.Duration(n)
	}
	sgS, sgH, bS, bH := rate(sgSpread.stats), rate(sgHot.stats), rate(baseSpread.stats), rate(baseHot.stats)
	ratio := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	name := "checkout"
	rows := []report.Row{
		{Workload: name, Metric: fmt.Sprintf("orders/s, spread over 1,000 products, %d clients", e.checkoutC), Shopgraph: fmt.Sprintf("%.0f", sgS),
			Baseline: fmt.Sprintf("%.0f", bS), Ratio: report.Ratio(sgS, bS), Target: "≥ 0.60", Verdict: report.Check(ratio(sgS, bS) >= 0.6)},
		{Workload: name, Metric: fmt.Sprintf("orders/s, one hot product, %d clients", e.checkoutC), Shopgraph: fmt.Sprintf("%.0f", sgH),
			Baseline: fmt.Sprintf("%.0f", bH), Ratio: report.Ratio(sgH, bH), Target: "—", Verdict: report.Info},
		{Workload: name, Metric: "hot / spread orders/s", Shopgraph: fmt.Sprintf("%.2f", ratio(sgH, sgS)),
			Baseline: report.Ratio(bH, bS), Ratio: "—", Target: "≥ 0.25", Verdict: report.Check(ratio(sgH, sgS) >= 0.25)},
		{Workload: name, Metric: "server CPU per order, spread", Shopgraph: ms(cpuPer(sgSpread)), Baseline: ms(cpuPer(baseSpread)),
			Ratio: report.Ratio(float64(cpuPer(sgSpread)), float64(cpuPer(baseSpread))), Target: "—", Verdict: report.Info},
		{Workload: name, Metric: "SQL statements / round trips per checkout (1 client)", Shopgraph: fmt.Sprintf("%.1f / %.1f", counts.sg.Statements, counts.sg.RoundTrips),
			Baseline: fmt.Sprintf("%.1f / %.1f", counts.base.Statements, counts.base.RoundTrips), Ratio: report.Ratio(counts.sg.RoundTrips, counts.base.RoundTrips), Target: "—", Verdict: report.Info},
		{Workload: name, Metric: "p99 checkout latency, spread / hot", Shopgraph: load.Ms(p99(sgSpread.stats)) + " / " + load.Ms(p99(sgHot.stats)),
			Baseline: load.Ms(p99(baseSpread.stats)) + " / " + load.Ms(p99(baseHot.stats)), Ratio: "—", Target: "—", Verdict: report.Info},
		{Workload: name, Metric: "failed checkouts (spread + hot) / orders charging another total than the cart's cost", Shopgraph: fmt.Sprintf("%d / %d", sgSpread.failures+sgHot.failures, wrong),
			Baseline: fmt.Sprint(baseSpread.failures + baseHot.failures), Ratio: "—", Target: "0", Verdict: report.Check(sgSpread.failures+sgHot.failures == 0 && wrong == 0)},
		{Workload: name, Metric: fmt.Sprintf("units oversold (%d units, %d buyers)", scarceStock, scarceAttempts), Shopgraph: fmt.Sprint(oversold),
			Baseline: "—", Ratio: "—", Target: "0, all sold", Verdict: report.Check(oversold == 0 && stockLeft == 0 && negative == 0 && mismatch == 0)},
	}
	var all []*load.Stats
	all = append(append(all, sgSpread.stats...), sgHot.stats...)
	return report.Run{Rows: rows, Notes: append([]string{
		fmt.Sprintf("%d guest checkouts of one unit per run, %d rounds alternating the baseline and shopgraph; each cart is made and its cost and shipping options read (Cart.cost, Cart.shippingMethods, as the storefront's checkout page does in a request of its own) beforehand, untimed; the checkout names the cheapest shipping method and selects the storefront's fields and the order's amounts", e.checkoutN, e.rounds),
		"the baseline (bench/baseline/checkout.go) is net/http + pgx + go-redis doing what shopgraph's checkout does in the databases with the store's statements: the cart from Redis, the order with its stock reservation by the warehouses' allocation rule, lines, allocations, discounts, first status and outbox events in one transaction, the simulated payment, the payment's status and events in a second, and the cart emptied; it skips the rate limit and the GraphQL layer",
		fmt.Sprintf("statements and round trips counted by the PostgreSQL wire-protocol proxy over %d checkouts one at a time through a second process of each server (shopgraph's include its outbox relay's publishing of the checkout's events)", countCheckouts),
		fmt.Sprintf("oversell checked in SQL afterwards: sold units of the scarce product = %d (paid orders' lines), stock left %d, products below zero %d, products whose stock drop differs from their orders' units %d (baseline's orders included)", sold, stockLeft, negative, mismatch),
	}, limitedNotes(all...)...)}, nil
}

// eligibleStock returns the units of the product in the warehouses that ship to the
// bench's address.
func (e *env) eligibleStock(ctx context.Context, product int64) (int, error) {
	var n int
	err := e.db.QueryRow(ctx, `SELECT coalesce(sum(s.quantity), 0)::int FROM warehouse_stocks s
		JOIN product_variants v ON v.id = s.variant_id JOIN warehouses w ON w.id = s.warehouse_id
		WHERE v.product_id = $1 AND w.retired_at IS NULL AND (cardinality(w.ships_to) = 0 OR $2 = ANY(w.ships_to))`,
		product, gql.Address["country"]).Scan(&n)
	return n, err
}

// setEligibleStock makes the product's units that can ship to the bench's address n, by
// adjusting its default warehouse (which ships everywhere in the bench's data).
func (e *env) setEligibleStock(ctx context.Context, admin *gql.Client, product int64, n int) error {
	have, err := e.eligibleStock(ctx, product)
	if err != nil || have == n {
		return err
	}
	if err := admin.InventoryAdjust(ctx, gid("Product", product), n-have); err != nil {
		return err
	}
	if have, err = e.eligibleStock(ctx, product); err == nil && have != n {
		err = fmt.Errorf("product %d: %d units can ship to the bench's address after the adjustment, not %d", product, have, n)
	}
	return err
}

// singleVariant returns up to n live products with one live variant, by id: a cart line
// and inventoryAdjust need no variant id for them.
func (e *env) singleVariant(ctx context.Context, n int) ([]int64, error) {
	rows, err := e.db.Query(ctx, `SELECT p.id FROM products p WHERE p.deleted_at IS NULL
		AND (SELECT count(*) FROM product_variants v WHERE v.product_id = p.id AND v.deleted_at IS NULL) = 1
		ORDER BY p.id LIMIT $1`, n)
	if err != nil {
		return nil, err
	}
	var out []int64
	var id int64
	_, err = pgx.ForEachRow(rows, []any{&id}, func() error {
		out = append(out, id)
		return nil
	})
	return out, err
}

func ms(d time.Duration) string {
	if d == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// checkoutCart is a cart ready to check out: its id, idempotency key and the shipping
// method its cost read chose.
type checkoutCart struct {
	id, key, email, method string
}

// makeCarts makes n guest carts of one unit (pick chooses the product) and reads each
// one's cost and shipping options as a storefront does before paying; the checkout will
// name the cheapest option. expected, when set, records the total each promises by
// idempotency key. keyPrefix starts every idempotency key, so the orders can be found in
// SQL.
func (e *env) makeCarts(ctx context.Context, keyPrefix string, n int, pick func(int) int64, expected *sync.Map) ([]checkoutCart, error) {
	client := gql.New(e.graphqlURL())
	carts := make([]checkoutCart, n)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			id, err := client.CartCreate(ctx, gid("Product", pick(i)), 1)
			if err != nil {
				firstErr.CompareAndSwap(nil, err)
				return
			}
			var out struct {
				Cart struct {
					Cost struct {
						TotalAmount struct{ Amount string }
					}
					ShippingMethods []struct {
						Method struct{ ID string }
						Cost   struct{ Amount string }
					}
				}
			}
			if err := client.Do(ctx, cartCostQuery, map[string]any{"id": id, "country": gql.Address["country"]}, &out); err != nil {
				firstErr.CompareAndSwap(nil, fmt.Errorf("reading the cart's cost: %w", err))
				return
			}
			c := checkoutCart{id: id, key: fmt.Sprintf("%s-%d", keyPrefix, i), email: fmt.Sprintf("buyer%d@bench.example", i)}
			total, err := minor(out.Cart.Cost.TotalAmount.Amount)
			if err != nil {
				firstErr.CompareAndSwap(nil, err)
				return
			}
			if len(out.Cart.ShippingMethods) > 0 {
				c.method = out.Cart.ShippingMethods[0].Method.ID
				ship, err := minor(out.Cart.ShippingMethods[0].Cost.Amount)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				total += ship
			}
			if expected != nil {
				expected.Store(c.key, total)
			}
			carts[i] = c
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return nil, fmt.Errorf("making carts: %w", err)
	}
	return carts, nil
}

// minor reads a decimal amount such as "12.34" as minor units.
func minor(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	frac = (frac + "00")[:2]
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", s, err)
	}
	return n, nil
}

// checkoutBody is the request checking a cart out.
func checkoutBody(c checkoutCart) []byte {
	vars := gql.CheckoutVars(c.id, c.key, c.email)
	if c.method != "" {
		vars["in"].(map[string]any)["shippingMethodId"] = c.method
	}
	return gql.Body("Checkout", checkoutSelection, vars)
}

// checkoutRun checks the carts out at url with e.checkoutC clients and returns the timed
// figures.
func (e *env) checkoutRun(ctx context.Context, url string, carts []checkoutCart) (*load.Stats, string, error) {
	var idx atomic.Int64
	next := func() (load.Request, bool) {
		i := int(idx.Add(1)) - 1
		if i >= len(carts) {
			return load.Request{}, false
		}
		return load.Request{Kind: "checkout", Body: checkoutBody(carts[i])}, true
	}
	var outOfStock atomic.Int64
	check := checkoutCheck(&outOfStock)
	s, err := load.Run(ctx, load.Spec{URL: url, Clients: e.checkoutC, Next: next, Check: check, Timeout: time.Minute})
	if err != nil {
		return nil, "", err
	}
	if s.Failures > int(outOfStock.Load()) {
		e.logf("  failures: %s", samples(s))
	}
	return s, fmt.Sprintf("%d paid, %d out of stock, %d other failures", s.OK, outOfStock.Load(), s.Failures-int(outOfStock.Load())), nil
}

// checkoutCheck accepts paid orders and counts OUT_OF_STOCK answers.
func checkoutCheck(outOfStock *atomic.Int64) func(string, []byte) error {
	return func(kind string, b []byte) error {
		if err := load.NoGraphQLErrors(kind, b); err != nil {
			return err
		}
		if bytes.Contains(b, []byte(`"code":"OUT_OF_STOCK"`)) {
			outOfStock.Add(1)
			return errors.New("out of stock")
		}
		if !bytes.Contains(b, []byte(`"status":"PAID","subtotal"`)) || !bytes.Contains(b, []byte(`"userErrors":[]`)) ||
			!bytes.Contains(b, []byte(`{"sequence":2,"status":"PAID","note":null}`)) {
			return fmt.Errorf("not paid: %.300s", b)
		}
		return nil
	}
}

// wrongTotals counts the orders (idempotency keys starting with prefix) whose total is not
// what their cart's cost and shipping option promised.
func (e *env) wrongTotals(ctx context.Context, prefix string, expected *sync.Map) (int, error) {
	rows, err := e.db.Query(ctx, `SELECT idempotency_key, total_minor FROM orders WHERE idempotency_key LIKE $1`, prefix+"%")
	if err != nil {
		return 0, err
	}
	wrong := 0
	var key string
	var total int64
	if _, err := pgx.ForEachRow(rows, []any{&key, &total}, func() error {
		if want, ok := expected.Load(key); ok && want.(int64) != total {
			wrong++
		}
		return nil
	}); err != nil {
		return 0, err
	}
	return wrong, nil
}

// countCheckouts is how many checkouts the statement count runs on each server.
const countCheckouts = 200

type checkoutCounts struct{ sg, base perRequest }

// countCheckouts runs a second shopgraph and a second baseline behind the counting proxy
// and returns statements and round trips per checkout, one client at a time.
func (e *env) countCheckouts(ctx context.Context, keyPrefix string, product int64) (checkoutCounts, error) {
	var out checkoutCounts
	if e.shopgraph == "" {
		return out, nil
	}
	_, upstream, err := replaceHost(e.databaseURL, "")
	if err != nil {
		return out, err
	}
	proxy, err := pgcount.Listen(upstream)
	if err != nil {
		return out, err
	}
	defer proxy.Close()
	proxyURL, _, err := replaceHost(e.databaseURL, proxy.Addr())
	if err != nil {
		return out, err
	}
	sgURL, stopSG, err := startShopgraph(ctx, e.shopgraph, proxyURL)
	if err != nil {
		return out, err
	}
	defer stopSG()
	baseURL, stopBase, err := startBaseline(ctx, proxyURL)
	if err != nil {
		return out, err
	}
	defer stopBase()
	for _, u := range []string{sgURL, baseURL} {
		name := "sg"
		if u == baseURL {
			name = "base"
		}
		// Warm the connections and pgx's statement caches first.
		warm, err := e.makeCarts(ctx, keyPrefix+"-warm-"+name, 20, func(int) int64 { return product }, nil)
		if err != nil {
			return out, err
		}
		carts, err := e.makeCarts(ctx, keyPrefix+"-"+name, countCheckouts, func(int) int64 { return product }, nil)
		if err != nil {
			return out, err
		}
		var oos atomic.Int64
		for _, cs := range [][]checkoutCart{warm, carts} {
			var idx atomic.Int64
			next := func() (load.Request, bool) {
				i := int(idx.Add(1)) - 1
				if i >= len(cs) {
					return load.Request{}, false
				}
				return load.Request{Kind: "checkout", Body: checkoutBody(cs[i])}, true
			}
			// Background: what the process runs on its own (relay, leader checks), per second.
			idle0 := proxy.Counts()
			time.Sleep(time.Second)
			idle := proxy.Counts().Sub(idle0)
			start, before := time.Now(), proxy.Counts()
			s, err := load.Run(ctx, load.Spec{URL: u + "/graphql", Clients: 1, Next: next, Check: checkoutCheck(&oos)})
			if err != nil {
				return out, err
			}
			// The relay publishes the last checkouts' events just after: let it.
			time.Sleep(500 * time.Millisecond)
			c := proxy.Counts().Sub(before)
			secs := time.Since(start).Seconds()
			if s.Failures > 0 || s.OK == 0 {
				return out, fmt.Errorf("%d of %d counted checkouts failed: %q", s.Failures, s.Requests, s.FailureSamples)
			}
			pr := perRequest{
				Statements: (float64(c.Statements) - float64(idle.Statements)*secs) / float64(s.OK),
				RoundTrips: (float64(c.RoundTrips) - float64(idle.RoundTrips)*secs) / float64(s.OK),
			}
			if name == "sg" {
				out.sg = pr
			} else {
				out.base = pr
			}
		}
	}
	e.logf("  per checkout, one at a time: shopgraph %.2f statements in %.2f round trips, baseline %.2f in %.2f",
		out.sg.Statements, out.sg.RoundTrips, out.base.Statements, out.base.RoundTrips)
	return out, nil
}

// profileCheckouts runs one more spread round against shopgraph under pprof (not part of
// the figures): checkout-cpu.pprof and the allocation profiles in e.profileDir.
func (e *env) profileCheckouts(ctx context.Context, keyPrefix string, pick func(int) int64) error {
	carts, err := e.makeCarts(ctx, keyPrefix, e.checkoutN, pick, nil)
	if err != nil {
		return err
	}
	var idx atomic.Int64
	next := func() (load.Request, bool) {
		i := int(idx.Add(1)) - 1
		if i >= len(carts) {
			return load.Request{}, false
		}
		return load.Request{Kind: "checkout", Body: checkoutBody(carts[i])}, true
	}
	var oos atomic.Int64
	return e.profiled(ctx, "checkout", load.Spec{URL: e.graphqlURL(), Clients: e.checkoutC, Duration: e.duration, Next: next, Check: checkoutCheck(&oos), Timeout: time.Minute})
}

// restock brings every product to at least min units with inventoryAdjust.
func (e *env) restock(ctx context.Context, admin *gql.Client, ids []int64, min int) error {
	rows, err := e.db.Query(ctx, `SELECT id, stock FROM products WHERE id = ANY($1) AND stock < $2`, ids, min)
	if err != nil {
		return err
	}
	type low struct {
		id    int64
		stock int
	}
	var lows []low
	var l low
	if _, err := pgx.ForEachRow(rows, []any{&l.id, &l.stock}, func() error {
		lows = append(lows, l)
		return nil
	}); err != nil {
		return err
	}
	if len(lows) > 0 {
		e.logf("  restocking %d products to %d units", len(lows), min)
	}
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for _, l := range lows {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := admin.InventoryAdjust(ctx, gid("Product", l.id), min+100-l.stock); err != nil {
				firstErr.CompareAndSwap(nil, err)
			}
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return fmt.Errorf("restocking: %w", err)
	}
	return nil
}

// setStock sets a product's stock to exactly n with inventoryAdjust.
func (e *env) setStock(ctx context.Context, admin *gql.Client, id int64, n int) error {
	var stock int
	if err := e.db.QueryRow(ctx, `SELECT stock FROM products WHERE id = $1`, id).Scan(&stock); err != nil {
		return err
	}
	if stock == n {
		return nil
	}
	return admin.InventoryAdjust(ctx, gid("Product", id), n-stock)
}

// stocks returns the stock of each product.
func (e *env) stocks(ctx context.Context, ids []int64) (map[int64]int, error) {
	rows, err := e.db.Query(ctx, `SELECT id, stock FROM products WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]int, len(ids))
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// stockMismatch counts the products whose stock dropped by something other than the units
// of the run's live orders (idempotency keys starting with prefix) between before and now.
func (e *env) stockMismatch(ctx context.Context, prefix string, before map[int64]int) (int, error) {
	ids := make([]int64, 0, len(before))
	for id := range before {
		ids = append(ids, id)
	}
	after, err := e.stocks(ctx, ids)
	if err != nil {
		return 0, err
	}
	rows, err := e.db.Query(ctx, `SELECT l.product_id, sum(l.quantity)::int
		FROM order_lines l JOIN orders o ON o.id = l.order_id
		WHERE o.idempotency_key LIKE $1 AND o.status <> 'CANCELLED'
		GROUP BY l.product_id`, prefix+"%")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	units := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return 0, err
		}
		units[id] = n
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	bad := 0
	for id, b := range before {
		if b-after[id] != units[id] {
			bad++
		}
	}
	for id := range units {
		if _, ok := before[id]; !ok {
			bad++
		}
	}
	return bad, nil
}
