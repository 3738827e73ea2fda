package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/domain"
)

// Stock lives in warehouse_stocks, one row per variant and warehouse; the variant's stock
// column is their total, kept by the warehouse_stocks_rollup trigger in the same
// transaction (migration 00022), and the product's by the variant roll-up. Everything
// here takes and gives back units in warehouse_stocks and leaves the totals to the
// triggers.
//
// Lock order. Every change of stock locks the products concerned (in id order), then
// their variants (in id order), then the warehouse rows, before it writes: the triggers
// only ever update upwards (warehouse row, variant, product), into rows already locked,
// so two checkouts, an admin adjustment and a cancellation can never wait on each other
// in a cycle. Code that changes stock should call reserveUnits, reserveOrderLine and
// releaseOrderLines rather than write the tables itself.

// stockRequest asks for quantity units of a variant.
type stockRequest struct {
	VariantID int64
	Quantity  int
}

// reservedLine is a stockRequest served: the order line it becomes (LineNo unset), the
// units taken from each warehouse, and the inventory events of the change.
type reservedLine struct {
	Line   domain.OrderLine
	Taken  []domain.StockLevel
	Events []domain.Event
}

// reserveUnits takes the units of every request from the warehouses that ship to country
// (an upper-case ISO code), by the allocation rule of domain.AllocateLine, inside tx.
// It costs three round trips whatever the number of requests: the variants' products;
// the locks (products, variants, warehouse rows) with the stock they hold; the
// conditional updates, which never take a warehouse below zero. The requests are served
// in product, then variant order, which is the order of the result. A request that
// cannot be served fails the whole reservation, before anything is written, with the
// business error PRODUCT_UNAVAILABLE (unknown or deleted variant or product) or
// OUT_OF_STOCK (naming what the eligible warehouses hold), blaming the field
// cart.lines.<variant id>. reserveUnits writes no allocation rows: the caller records
// them once the order lines exist (recordAllocations).
func reserveUnits(ctx context.Context, tx pgx.Tx, orderID int64, country string, reqs []stockRequest) ([]reservedLine, error) {
	country = strings.ToUpper(strings.TrimSpace(country))
	ids := make([]int64, len(reqs))
	for i, r := range reqs {
		ids[i] = r.VariantID
	}
	productOf, err := variantProducts(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	field := func(variantID int64) []string { return []string{"cart", "lines", strconv.FormatInt(variantID, 10)} }
	for _, r := range reqs {
		if _, ok := productOf[r.VariantID]; !ok {
			return nil, domain.Business("PRODUCT_UNAVAILABLE", field(r.VariantID), "a product in the cart is no longer sold")
		}
	}
	sorted := slices.Clone(reqs)
	slices.SortFunc(sorted, func(a, b stockRequest) int {
		return cmp.Or(cmp.Compare(productOf[a.VariantID], productOf[b.VariantID]), cmp.Compare(a.VariantID, b.VariantID))
	})
	live, levels, err := lockStock(ctx, tx, productOf, ids, country)
	if err != nil {
		return nil, err
	}
	plans := make([][]domain.StockLevel, len(sorted))
	for i, r := range sorted {
		if !live[r.VariantID] {
			return nil, domain.Business("PRODUCT_UNAVAILABLE", field(r.VariantID), "a product in the cart is no longer sold")
		}
		taken, available, ok := domain.AllocateLine(levels[r.VariantID], r.Quantity)
		if !ok {
			return nil, domain.Business("OUT_OF_STOCK", field(r.VariantID), "only %d units of a product in the cart are in stock", available)
		}
		plans[i] = taken
		// The same variant asked for twice takes from what the first request left.
		for _, t := range taken {
			for k := range levels[r.VariantID] {
				if levels[r.VariantID][k].WarehouseID == t.WarehouseID {
					levels[r.VariantID][k].Quantity -= t.Quantity
				}
			}
		}
	}
	batch := &pgx.Batch{}
	for i, r := range sorted {
		for _, t := range plans[i] {
			batch.Queue(`UPDATE warehouse_stocks SET quantity = quantity - $3, updated_at = now()
				WHERE variant_id = $1 AND warehouse_id = $2 AND quantity >= $3 RETURNING quantity`, r.VariantID, t.WarehouseID, t.Quantity)
		}
		batch.Queue(`UPDATE product_variants v SET units_sold = v.units_sold + $2, updated_at = now()
			FROM products p WHERE v.id = $1 AND p.id = v.product_id
			RETURNING v.product_id, p.name, v.options, v.sku, v.price_minor, p.currency, v.stock`, r.VariantID, r.Quantity)
	}
	results := tx.SendBatch(ctx, batch)
	out := make([]reservedLine, len(sorted))
	for i, r := range sorted {
		left := make([]int, len(plans[i]))
		for k, t := range plans[i] {
			if err := results.QueryRow().Scan(&left[k]); err != nil {
				results.Close()
				if errors.Is(err, pgx.ErrNoRows) {
					return nil, fmt.Errorf("stock of variant %d in warehouse %d changed under its lock", r.VariantID, t.WarehouseID)
				}
				return nil, translate(err, "reserving stock")
			}
		}
		var name, currency, sku string
		var opts []domain.SelectedOption
		var price, productID int64
		var stock int
		if err := results.QueryRow().Scan(&productID, &name, &opts, &sku, &price, &currency, &stock); err != nil {
			results.Close()
			return nil, translate(err, "reserving stock")
		}
		line := domain.OrderLine{ProductID: productID, VariantID: r.VariantID, Name: name,
			VariantTitle: domain.VariantTitle(opts), SKU: sku, Quantity: r.Quantity,
			UnitPrice: domain.Money{Amount: price, Currency: currency}}
		key := strconv.FormatInt(productID, 10)
		var evs []domain.Event
		for k, t := range plans[i] {
			evs = append(evs, domain.Event{Type: domain.EventInventoryReserved, Key: key,
				Data: domain.InventoryEventData{ProductID: productID, VariantID: r.VariantID, Delta: -t.Quantity, Stock: stock,
					OrderID: orderID, WarehouseID: t.WarehouseID, WarehouseStock: left[k]}})
		}
		if stock == 0 {
			evs = append(evs, domain.Event{Type: domain.EventProductOutOfStock, Key: key,
				Data: domain.ProductEventData{ProductID: productID, VariantID: r.VariantID, Name: name, PriceMinor: price, Currency: currency}})
		}
		out[i] = reservedLine{Line: line, Taken: plans[i], Events: evs}
	}
	if err := results.Close(); err != nil {
		return nil, translate(err, "reserving stock")
	}
	return out, nil
}

// variantProducts returns the product of each variant that exists, deleted or not.
func variantProducts(ctx context.Context, tx pgx.Tx, variantIDs []int64) (map[int64]int64, error) {
	rows, err := tx.Query(ctx, `SELECT id, product_id FROM product_variants WHERE id = ANY($1)`, variantIDs)
	if err != nil {
		return nil, translate(err, "reading variants")
	}
	productOf := make(map[int64]int64, len(variantIDs))
	var vid, pid int64
	if _, err := pgx.ForEachRow(rows, []any{&vid, &pid}, func() error {
		productOf[vid] = pid
		return nil
	}); err != nil {
		return nil, translate(err, "reading variants")
	}
	return productOf, nil
}

// lockStock locks, in one round trip and in the lock order, the products of the variants,
// the variants and their rows in the warehouses that ship to country (empty: the rows of
// every active warehouse), and returns whether each variant is on sale and its stock per
// eligible warehouse in allocation order.
func lockStock(ctx context.Context, tx pgx.Tx, productOf map[int64]int64, variantIDs []int64, country string) (map[int64]bool, map[int64][]domain.StockLevel, error) {
	products := make([]int64, 0, len(productOf))
	for _, p := range productOf {
		products = append(products, p)
	}
	batch := &pgx.Batch{}
	batch.Queue(`SELECT id FROM products WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`, products)
	batch.Queue(`SELECT v.id, v.deleted_at IS NULL AND p.deleted_at IS NULL FROM product_variants v JOIN products p ON p.id = v.product_id
		WHERE v.id = ANY($1) ORDER BY v.id FOR NO KEY UPDATE OF v`, variantIDs)
	batch.Queue(`SELECT s.variant_id, s.warehouse_id, s.quantity FROM warehouse_stocks s JOIN warehouses w ON w.id = s.warehouse_id
		WHERE s.variant_id = ANY($1) AND w.retired_at IS NULL AND ($2 = '' OR cardinality(w.ships_to) = 0 OR $2 = ANY(w.ships_to))
		ORDER BY s.variant_id, w.priority, w.id FOR NO KEY UPDATE OF s`, variantIDs, country)
	results := tx.SendBatch(ctx, batch)
	defer results.Close()
	if _, err := results.Exec(); err != nil {
		return nil, nil, translate(err, "locking products")
	}
	rows, err := results.Query()
	if err != nil {
		return nil, nil, translate(err, "locking variants")
	}
	live := map[int64]bool{}
	var id int64
	var ok bool
	if _, err := pgx.ForEachRow(rows, []any{&id, &ok}, func() error {
		live[id] = ok
		return nil
	}); err != nil {
		return nil, nil, translate(err, "locking variants")
	}
	rows, err = results.Query()
	if err != nil {
		return nil, nil, translate(err, "locking stock")
	}
	levels := map[int64][]domain.StockLevel{}
	var l domain.StockLevel
	if _, err := pgx.ForEachRow(rows, []any{&l.VariantID, &l.WarehouseID, &l.Quantity}, func() error {
		levels[l.VariantID] = append(levels[l.VariantID], l)
		return nil
	}); err != nil {
		return nil, nil, translate(err, "locking stock")
	}
	return live, levels, results.Close()
}

// queueAllocations queues the rows recording that the warehouses served the units taken
// for the order's line lineNo (adding to an allocation the line already has).
func queueAllocations(batch *pgx.Batch, orderID int64, lineNo int, taken []domain.StockLevel) {
	for _, t := range taken {
		batch.Queue(`INSERT INTO order_line_allocations AS a (order_id, line_no, warehouse_id, quantity) VALUES ($1, $2, $3, $4)
			ON CONFLICT (order_id, line_no, warehouse_id) DO UPDATE SET quantity = a.quantity + excluded.quantity`,
			orderID, lineNo, t.WarehouseID, t.Quantity)
	}
}

// reserveOrderLine takes quantity more units of the variant of an existing order line
// (an amendment that adds units or a line) by the checkout's rule, for an address in
// country, and records the allocations, inside tx; the caller changes the line's
// quantity itself. Errors as reserveUnits.
func reserveOrderLine(ctx context.Context, tx pgx.Tx, orderID int64, lineNo int, country string, variantID int64, quantity int) ([]domain.Event, error) {
	served, err := reserveUnits(ctx, tx, orderID, country, []stockRequest{{VariantID: variantID, Quantity: quantity}})
	if err != nil {
		return nil, err
	}
	batch := &pgx.Batch{}
	queueAllocations(batch, orderID, lineNo, served[0].Taken)
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return nil, translate(err, "recording allocations")
	}
	return served[0].Events, nil
}

// LineRelease gives back Quantity units of the order line LineNo; zero means every unit
// the line still holds.
type LineRelease struct {
	LineNo   int
	Quantity int
}

// releaseOrderLines puts units of the order's lines back where they were taken from,
// inside tx (which must hold the order's row lock, as transitions do): each line's
// allocations give back, the last warehouse in allocation order first, up to what they
// still hold; an allocation whose warehouse has been retired gives its units to the
// default warehouse; units of a line without allocations (orders placed before
// warehouses existed) go to the default warehouse. The variants' units sold go down by as
// much. It returns one inventory.released event per line and warehouse, with reason,
// and the units released per line number.
// A line is never released beyond its quantity: asking for more releases what is left.
// rel nil releases every line entirely.
func releaseOrderLines(ctx context.Context, tx pgx.Tx, orderID int64, rel []LineRelease, reason string) ([]domain.Event, map[int]int, error) {
	// A line holds its quantity less what approved returns took back; callers release
	// before they lower either (amendments, returns), so what the line holds is what its
	// allocations have not given back yet.
	rows, err := tx.Query(ctx, `SELECT l.line_no, l.product_id, l.variant_id, l.quantity - l.returned_quantity,
			coalesce((SELECT json_agg(json_build_object('w', a.warehouse_id, 'q', a.quantity, 'r', a.released)
				ORDER BY w.priority DESC, w.id DESC)
				FROM order_line_allocations a JOIN warehouses w ON w.id = a.warehouse_id
				WHERE a.order_id = l.order_id AND a.line_no = l.line_no), '[]'),
			(SELECT id FROM warehouses WHERE is_default)
		FROM order_lines l WHERE l.order_id = $1 ORDER BY l.line_no`, orderID)
	if err != nil {
		return nil, nil, translate(err, "reading order lines")
	}
	type alloc struct {
		W int64 `json:"w"`
		Q int   `json:"q"`
		R int   `json:"r"`
	}
	type line struct {
		no, quantity     int
		product, variant int64
		allocs           []alloc
	}
	var lines []line
	var defaultWarehouse *int64
	var l line
	var raw []byte
	if _, err := pgx.ForEachRow(rows, []any{&l.no, &l.product, &l.variant, &l.quantity, &raw, &defaultWarehouse}, func() error {
		l.allocs = nil
		if err := json.Unmarshal(raw, &l.allocs); err != nil {
			return fmt.Errorf("decoding allocations of order %d: %w", orderID, err)
		}
		lines = append(lines, l)
		return nil
	}); err != nil {
		return nil, nil, translate(err, "reading order lines")
	}
	// The warehouses units go back to are locked (shared) before the products, as
	// adjustments do: a retirement waits, or is seen.
	var whIDs []int64
	if defaultWarehouse != nil {
		whIDs = append(whIDs, *defaultWarehouse)
	}
	for _, l := range lines {
		for _, a := range l.allocs {
			whIDs = append(whIDs, a.W)
		}
	}
	rows, err = tx.Query(ctx, `SELECT id, retired_at IS NULL FROM warehouses WHERE id = ANY($1) ORDER BY id FOR SHARE`, whIDs)
	if err != nil {
		return nil, nil, translate(err, "locking warehouses")
	}
	active := map[int64]bool{}
	var whID int64
	var whLive bool
	if _, err := pgx.ForEachRow(rows, []any{&whID, &whLive}, func() error {
		active[whID] = whLive
		return nil
	}); err != nil {
		return nil, nil, translate(err, "locking warehouses")
	}
	want := map[int]int{}
	for _, r := range rel {
		want[r.LineNo] += r.Quantity
		if r.Quantity == 0 {
			want[r.LineNo] = -1
		}
	}
	// give is one change: units back to a warehouse, charged to an allocation (or none).
	type give struct {
		line      line
		warehouse int64
		from      int64 // the allocation's warehouse; zero for none
		units     int
	}
	var gives []give
	for _, l := range lines {
		n, asked := want[l.no]
		if rel == nil || n < 0 {
			n, asked = l.quantity, true
		}
		if !asked {
			continue
		}
		held := l.quantity
		n = min(n, held)
		covered := 0
		for _, a := range l.allocs {
			covered += a.Q - a.R
		}
		// Units beyond what the allocations hold (a line older than warehouses, or
		// grown by code that did not record its allocation) go to the default.
		if extra := min(n, max(held-covered, 0)); extra > 0 {
			if defaultWarehouse == nil {
				return nil, nil, fmt.Errorf("no default warehouse to release order %d into", orderID)
			}
			gives = append(gives, give{line: l, warehouse: *defaultWarehouse, units: extra})
			n -= extra
		}
		for _, a := range l.allocs {
			if n == 0 {
				break
			}
			k := min(n, a.Q-a.R)
			if k <= 0 {
				continue
			}
			to := a.W
			if !active[a.W] {
				if defaultWarehouse == nil {
					return nil, nil, fmt.Errorf("no default warehouse to release order %d into", orderID)
				}
				to = *defaultWarehouse
			}
			gives = append(gives, give{line: l, warehouse: to, from: a.W, units: k})
			n -= k
		}
	}
	if len(gives) == 0 {
		return nil, nil, nil
	}
	productOf := map[int64]int64{}
	var variants []int64
	for _, g := range gives {
		if _, ok := productOf[g.line.variant]; !ok {
			variants = append(variants, g.line.variant)
		}
		productOf[g.line.variant] = g.line.product
	}
	if _, _, err := lockStock(ctx, tx, productOf, variants, ""); err != nil {
		return nil, nil, err
	}
	// Sorted by variant, so that each variant's units sold change once, after its rows.
	slices.SortStableFunc(gives, func(a, b give) int { return cmp.Compare(a.line.variant, b.line.variant) })
	batch := &pgx.Batch{}
	sold := map[int64]int{}
	for _, g := range gives {
		batch.Queue(`INSERT INTO warehouse_stocks AS s (variant_id, warehouse_id, quantity) VALUES ($1, $2, $3)
			ON CONFLICT (variant_id, warehouse_id) DO UPDATE SET quantity = s.quantity + excluded.quantity, updated_at = now()
			RETURNING quantity`, g.line.variant, g.warehouse, g.units)
		if g.from != 0 {
			batch.Queue(`UPDATE order_line_allocations SET released = released + $4 WHERE order_id = $1 AND line_no = $2 AND warehouse_id = $3`,
				orderID, g.line.no, g.from, g.units)
		}
		sold[g.line.variant] += g.units
	}
	for _, v := range variants {
		batch.Queue(`UPDATE product_variants SET units_sold = greatest(units_sold - $2, 0), updated_at = now() WHERE id = $1 RETURNING stock`, v, sold[v])
	}
	results := tx.SendBatch(ctx, batch)
	defer results.Close()
	left := make([]int, len(gives))
	for i, g := range gives {
		if err := results.QueryRow().Scan(&left[i]); err != nil {
			return nil, nil, translate(err, "releasing stock")
		}
		if g.from != 0 {
			if _, err := results.Exec(); err != nil {
				return nil, nil, translate(err, "releasing allocations")
			}
		}
	}
	total := map[int64]int{}
	for _, v := range variants {
		var stock int
		if err := results.QueryRow().Scan(&stock); err != nil {
			return nil, nil, translate(err, "releasing stock")
		}
		total[v] = stock
	}
	if err := results.Close(); err != nil {
		return nil, nil, translate(err, "releasing stock")
	}
	evs := make([]domain.Event, len(gives))
	perLine := map[int]int{}
	for i, g := range gives {
		perLine[g.line.no] += g.units
		evs[i] = domain.Event{Type: domain.EventInventoryReleased, Key: strconv.FormatInt(g.line.product, 10),
			Data: domain.InventoryEventData{ProductID: g.line.product, VariantID: g.line.variant, Delta: g.units, Stock: total[g.line.variant],
				OrderID: orderID, Reason: reason, WarehouseID: g.warehouse, WarehouseStock: left[i]}}
	}
	return evs, perLine, nil
}

// ReleaseLines takes units of an order's lines back as returned: it puts them back where
// they came from (see releaseOrderLines) and counts them in the lines' returned quantity,
// in one transaction holding the order's row lock, and writes the inventory.released
// events with reason. The order's status does not change. NOT_FOUND when there is no such
// order.
func (s *OrderStore) ReleaseLines(ctx context.Context, orderID int64, lines []LineRelease, reason string) error {
	if lines == nil {
		lines = []LineRelease{}
	}
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `SELECT id FROM orders WHERE id = $1 FOR UPDATE`, orderID).Scan(&id); err != nil {
			return translate(err, "order")
		}
		evs, perLine, err := releaseOrderLines(ctx, tx, orderID, lines, reason)
		if err != nil {
			return err
		}
		batch := &pgx.Batch{}
		for no, n := range perLine {
			batch.Queue(`UPDATE order_lines SET returned_quantity = returned_quantity + $3 WHERE order_id = $1 AND line_no = $2`, orderID, no, n)
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return translate(err, "counting returned units")
		}
		return WriteOutbox(ctx, tx, stamp(evs, domain.Now(ctx))...)
	})
	return translateTx(err, "releasing order lines")
}
