package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/bench/gql"
	"github.com/shopgraph/shopgraph/bench/load"
	"github.com/shopgraph/shopgraph/bench/report"
)

// reserveSQL is the conditional update of store/postgres/orders.go reserveStock: the
// baseline of a checkout is this statement alone, in its own transaction.
const reserveSQL = `UPDATE products SET stock = stock - $2, units_sold = units_sold + $2, updated_at = now()
			WHERE id = $1 AND deleted_at IS NULL AND stock >= $2
			RETURNING name, price_minor, currency, stock`

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
	ids, err := e.stocked(ctx, 1002, 0)
	if err != nil {
		return report.Run{}, err
	}
	if len(ids) < 1002 {
		return report.Run{}, fmt.Errorf("need 1,002 live products, have %d", len(ids))
	}
	hot, scarce, spread := ids[0], ids[1], ids[2:]
	// Ample stock, through the admin mutation so that shopgraph's cache learns of it.
	perProduct := 2*e.checkoutN/len(spread) + 20
	if err := e.restock(ctx, admin, spread, perProduct); err != nil {
		return report.Run{}, err
	}
	if err := e.restock(ctx, admin, []int64{hot}, 2*e.checkoutN+100); err != nil {
		return report.Run{}, err
	}
	run := time.Now().UnixNano()

	// Baseline: the conditional update alone, at the same concurrency.
	baseSpread, err := e.updateLoop(ctx, func(int) int64 { return spread[rand.IntN(len(spread))] })
	if err != nil {
		return report.Run{}, err
	}
	baseHot, err := e.updateLoop(ctx, func(int) int64 { return hot })
	if err != nil {
		return report.Run{}, err
	}
	e.logf("  baseline updates/s: spread %.0f, hot %.0f", baseSpread, baseHot)

	if err := e.setStock(ctx, admin, scarce, scarceStock); err != nil {
		return report.Run{}, err
	}
	before, err := e.stocks(ctx, ids)
	if err != nil {
		return report.Run{}, err
	}

	// shopgraph: guest carts made beforehand, then only the checkouts are timed.
	sgSpread, spreadStats, err := e.checkoutRun(ctx, fmt.Sprintf("bench-%d-spread", run), e.checkoutN, func(int) int64 { return spread[rand.IntN(len(spread))] })
	if err != nil {
		return report.Run{}, err
	}
	sgHot, hotStats, err := e.checkoutRun(ctx, fmt.Sprintf("bench-%d-hot", run), e.checkoutN, func(int) int64 { return hot })
	if err != nil {
		return report.Run{}, err
	}
	e.logf("  shopgraph orders/s: spread %.0f (%s), hot %.0f (%s)", sgSpread.RPS(), spreadStats, sgHot.RPS(), hotStats)

	// Oversell: many more buyers than units of one product.
	scarceKey := fmt.Sprintf("bench-%d-scarce", run)
	sc, _, err := e.checkoutRun(ctx, scarceKey, scarceAttempts, func(int) int64 { return scarce })
	if err != nil {
		return report.Run{}, err
	}
	var sold, stockLeft, negative int
	if err := e.db.QueryRow(ctx, `SELECT coalesce(sum(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id
		WHERE o.idempotency_key LIKE $1 AND o.status <> 'CANCELLED' AND l.product_id = $2`, scarceKey+"-%", scarce).Scan(&sold); err != nil {
		return report.Run{}, err
	}
	if err := e.db.QueryRow(ctx, `SELECT stock FROM products WHERE id = $1`, scarce).Scan(&stockLeft); err != nil {
		return report.Run{}, err
	}
	if err := e.db.QueryRow(ctx, `SELECT count(*) FROM products WHERE stock < 0`).Scan(&negative); err != nil {
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

	name := "checkout"
	ratio := 0.0
	if sgSpread.RPS() > 0 {
		ratio = sgHot.RPS() / sgSpread.RPS()
	}
	rows := []report.Row{
		{Workload: name, Metric: fmt.Sprintf("orders/s, spread over 1,000 products, %d clients", e.checkoutC), Shopgraph: fmt.Sprintf("%.0f", sgSpread.RPS()),
			Baseline: fmt.Sprintf("%.0f", baseSpread), Ratio: report.Ratio(sgSpread.RPS(), baseSpread), Target: "—", Verdict: report.Info},
		{Workload: name, Metric: fmt.Sprintf("orders/s, one hot product, %d clients", e.checkoutC), Shopgraph: fmt.Sprintf("%.0f", sgHot.RPS()),
			Baseline: fmt.Sprintf("%.0f", baseHot), Ratio: report.Ratio(sgHot.RPS(), baseHot), Target: "—", Verdict: report.Info},
		{Workload: name, Metric: "hot / spread orders/s", Shopgraph: fmt.Sprintf("%.2f", ratio),
			Baseline: report.Ratio(baseHot, baseSpread), Ratio: "—", Target: "≥ 0.25", Verdict: report.Check(ratio >= 0.25)},
		{Workload: name, Metric: "p99 checkout latency, spread / hot", Shopgraph: load.Ms(sgSpread.Quantile(0.99)) + " / " + load.Ms(sgHot.Quantile(0.99)),
			Baseline: "—", Ratio: "—", Target: "—", Verdict: report.Info},
		{Workload: name, Metric: "failed checkouts (spread + hot)", Shopgraph: fmt.Sprint(sgSpread.Failures + sgHot.Failures),
			Baseline: "—", Ratio: "—", Target: "0", Verdict: report.Check(sgSpread.Failures+sgHot.Failures == 0)},
		{Workload: name, Metric: fmt.Sprintf("units oversold (%d units, %d buyers)", scarceStock, scarceAttempts), Shopgraph: fmt.Sprint(oversold),
			Baseline: "—", Ratio: "—", Target: "0, all sold", Verdict: report.Check(oversold == 0 && stockLeft == 0 && negative == 0 && mismatch == 0)},
	}
	return report.Run{Rows: rows, Notes: append([]string{
		fmt.Sprintf("%d guest checkouts of one unit per run (carts made beforehand, not timed); shopgraph's checkout is two transactions (order + reservation + outbox, then payment) plus the Redis cart; the baseline is the store's conditional UPDATE alone, one transaction each, at the same concurrency, so the ratio is the price of a whole checkout over the bare reservation", e.checkoutN),
		fmt.Sprintf("oversell checked in SQL afterwards: sold units of the scarce product = %d (paid orders' lines), stock left %d, products below zero %d, products whose stock drop differs from their orders' units %d", sold, stockLeft, negative, mismatch),
	}, limitedNotes(sgSpread, sgHot)...)}, nil
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

// updateLoop runs e.checkoutN reservations of one unit, e.checkoutC at a time, each in its
// own transaction, then gives the units back. It returns reservations per second.
func (e *env) updateLoop(ctx context.Context, pick func(int) int64) (float64, error) {
	var next atomic.Int64
	taken := make([]int64, e.checkoutN)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	start := time.Now()
	for range e.checkoutC {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= e.checkoutN || ctx.Err() != nil {
					return
				}
				id := pick(i)
				err := pgx.BeginFunc(ctx, e.db, func(tx pgx.Tx) error {
					var name, currency string
					var price int64
					var stock int
					err := tx.QueryRow(ctx, reserveSQL, id, 1).Scan(&name, &price, &currency, &stock)
					if errors.Is(err, pgx.ErrNoRows) {
						return nil // out of stock: a business outcome, not counted as taken
					}
					if err == nil {
						taken[i] = id
					}
					return err
				})
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err, ok := firstErr.Load().(error); ok {
		return 0, err
	}
	// Give the units back, so the baseline leaves the catalog as it found it.
	back := map[int64]int{}
	for _, id := range taken {
		if id != 0 {
			back[id]++
		}
	}
	for id, n := range back {
		if _, err := e.db.Exec(ctx, `UPDATE products SET stock = stock + $2, units_sold = greatest(units_sold - $2, 0) WHERE id = $1`, id, n); err != nil {
			return 0, err
		}
	}
	return float64(e.checkoutN) / elapsed.Seconds(), nil
}

// checkoutRun makes n guest carts of one unit (pick chooses the product), then checks
// them out with e.checkoutC clients and returns the timed figures. keyPrefix starts every
// idempotency key, so the run's orders can be found in SQL.
func (e *env) checkoutRun(ctx context.Context, keyPrefix string, n int, pick func(int) int64) (*load.Stats, string, error) {
	client := gql.New(e.graphqlURL())
	carts := make([]string, n)
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
			}
			carts[i] = id
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return nil, "", fmt.Errorf("creating carts: %w", err)
	}
	var idx atomic.Int64
	next := func() (load.Request, bool) {
		i := int(idx.Add(1)) - 1
		if i >= n {
			return load.Request{}, false
		}
		vars := gql.CheckoutVars(carts[i], fmt.Sprintf("%s-%d", keyPrefix, i), fmt.Sprintf("buyer%d@bench.example", i))
		return load.Request{Kind: "checkout", Body: gql.Body("Checkout", gql.CheckoutMutation, vars)}, true
	}
	var outOfStock atomic.Int64
	check := func(kind string, b []byte) error {
		if err := load.NoGraphQLErrors(kind, b); err != nil {
			return err
		}
		if bytes.Contains(b, []byte(`"code":"OUT_OF_STOCK"`)) {
			outOfStock.Add(1)
			return errors.New("out of stock")
		}
		if !bytes.Contains(b, []byte(`"status":"PAID"`)) || !bytes.Contains(b, []byte(`"userErrors":[]`)) {
			return fmt.Errorf("not paid: %.300s", b)
		}
		return nil
	}
	s, err := load.Run(ctx, load.Spec{URL: e.graphqlURL(), Clients: e.checkoutC, Next: next, Check: check, Timeout: time.Minute})
	if err != nil {
		return nil, "", err
	}
	if s.Failures > int(outOfStock.Load()) {
		e.logf("  failures: %s", samples(s))
	}
	return s, fmt.Sprintf("%d paid, %d out of stock, %d other failures", s.OK, outOfStock.Load(), s.Failures-int(outOfStock.Load())), nil
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
