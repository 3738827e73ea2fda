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
// It costs two round trips whatever the number of requests: the locks (products,
// variants, warehouse rows) with the variants' data and the stock they hold
// (queueStockLocks); the conditional updates, which never take a warehouse below zero
// (queueReservation). The requests are served in product, then variant order, which is
// the order of the result. A request that cannot be served fails the whole reservation,
// before anything is written, with the business error PRODUCT_UNAVAILABLE (unknown or
// deleted variant or product) or OUT_OF_STOCK (naming what the eligible warehouses
// hold), blaming the field cart.lines.<variant id>. reserveUnits writes no allocation
// rows: the caller records them once the order lines exist (queueAllocations).
// PlaceOrder runs the same steps with its own statements in the same round trips.
func reserveUnits(ctx context.Context, tx pgx.Tx, orderID int64, country string, reqs []stockRequest) ([]reservedLine, error) {
	batch := &pgx.Batch{}
	queueStockLocks(batch, requestedVariants(reqs), country)
	results := tx.SendBatch(ctx, batch)
	locked, err := readStockLocks(results)
	if err != nil {
		results.Close()
		return nil, err
	}
	if err := results.Close(); err != nil {
		return nil, translate(err, "locking stock")
	}
	plan, err := planReservation(reqs, locked)
	if err != nil {
		return nil, err
	}
	batch = &pgx.Batch{}
	queueReservation(batch, plan)
	results = tx.SendBatch(ctx, batch)
	out, err := readReservation(results, orderID, plan, locked)
	if err != nil {
		results.Close()
		return nil, err
	}
	if err := results.Close(); err != nil {
		return nil, translate(err, "reserving stock")
	}
	return out, nil
}

// requestedVariants returns the variant ids of the requests.
func requestedVariants(reqs []stockRequest) []int64 {
	ids := make([]int64, len(reqs))
	for i, r := range reqs {
		ids[i] = r.VariantID
	}
	return ids
}

// lockedVariant is a variant as its lock read it: what an order line copies, whether it is
// on sale, its total stock and its product's category path.
type lockedVariant struct {
	ProductID    int64
	Live         bool
	Name, SKU    string
	Options      []domain.SelectedOption
	Price        int64
	Currency     string
	Stock        int
	CategoryPath []int64
}

// stockLocks is what queueStockLocks's statements read: each existing variant (deleted or
// not) and its stock per eligible warehouse, in allocation order.
type stockLocks struct {
	variants map[int64]lockedVariant
	levels   map[int64][]domain.StockLevel
}

// queueStockLocks queues three statements that lock, in the lock order, the products of
// the variants, the variants (reading what an order line needs) and their rows in the
// warehouses that ship to country (empty: the rows of every active warehouse). Read
// their results with readStockLocks.
func queueStockLocks(batch *pgx.Batch, variantIDs []int64, country string) {
	country = strings.ToUpper(strings.TrimSpace(country))
	batch.Queue(`SELECT p.id FROM products p WHERE p.id IN (SELECT v.product_id FROM product_variants v WHERE v.id = ANY($1))
		ORDER BY p.id FOR NO KEY UPDATE`, variantIDs)
	batch.Queue(`SELECT v.id, v.product_id, v.deleted_at IS NULL AND p.deleted_at IS NULL, p.name, v.options, v.sku, v.price_minor,
			p.currency, v.stock, c.path
		FROM product_variants v JOIN products p ON p.id = v.product_id LEFT JOIN categories c ON c.id = p.category_id
		WHERE v.id = ANY($1) ORDER BY v.id FOR NO KEY UPDATE OF v`, variantIDs)
	batch.Queue(`SELECT s.variant_id, s.warehouse_id, s.quantity FROM warehouse_stocks s JOIN warehouses w ON w.id = s.warehouse_id
		WHERE s.variant_id = ANY($1) AND w.retired_at IS NULL AND ($2 = '' OR cardinality(w.ships_to) = 0 OR $2 = ANY(w.ships_to))
		ORDER BY s.variant_id, w.priority, w.id FOR NO KEY UPDATE OF s`, variantIDs, country)
}

// readStockLocks reads the results of queueStockLocks's statements.
func readStockLocks(results pgx.BatchResults) (stockLocks, error) {
	if _, err := results.Exec(); err != nil {
		return stockLocks{}, translate(err, "locking products")
	}
	rows, err := results.Query()
	if err != nil {
		return stockLocks{}, translate(err, "locking variants")
	}
	out := stockLocks{variants: map[int64]lockedVariant{}, levels: map[int64][]domain.StockLevel{}}
	var id int64
	var v lockedVariant
	if _, err := pgx.ForEachRow(rows, []any{&id, &v.ProductID, &v.Live, &v.Name, &v.Options, &v.SKU, &v.Price, &v.Currency, &v.Stock, &v.CategoryPath}, func() error {
		lv := v
		lv.Options, lv.CategoryPath = slices.Clone(v.Options), slices.Clone(v.CategoryPath)
		out.variants[id] = lv
		return nil
	}); err != nil {
		return stockLocks{}, translate(err, "locking variants")
	}
	rows, err = results.Query()
	if err != nil {
		return stockLocks{}, translate(err, "locking stock")
	}
	var l domain.StockLevel
	if _, err := pgx.ForEachRow(rows, []any{&l.VariantID, &l.WarehouseID, &l.Quantity}, func() error {
		out.levels[l.VariantID] = append(out.levels[l.VariantID], l)
		return nil
	}); err != nil {
		return stockLocks{}, translate(err, "locking stock")
	}
	return out, nil
}

// reservationPlan is the requests in the order they are served (product, then variant)
// and the units each takes from each warehouse.
type reservationPlan struct {
	reqs  []stockRequest
	takes [][]domain.StockLevel
}

// planReservation applies the allocation rule to the locked stock, or fails with the
// business error of the first request that cannot be served (see reserveUnits).
func planReservation(reqs []stockRequest, locked stockLocks) (reservationPlan, error) {
	field := func(variantID int64) []string { return []string{"cart", "lines", strconv.FormatInt(variantID, 10)} }
	for _, r := range reqs {
		if _, ok := locked.variants[r.VariantID]; !ok {
			return reservationPlan{}, domain.Business("PRODUCT_UNAVAILABLE", field(r.VariantID), "a product in the cart is no longer sold")
		}
	}
	sorted := slices.Clone(reqs)
	slices.SortFunc(sorted, func(a, b stockRequest) int {
		return cmp.Or(cmp.Compare(locked.variants[a.VariantID].ProductID, locked.variants[b.VariantID].ProductID), cmp.Compare(a.VariantID, b.VariantID))
	})
	levels := make(map[int64][]domain.StockLevel, len(locked.levels))
	for id, ls := range locked.levels {
		levels[id] = slices.Clone(ls)
	}
	plan := reservationPlan{reqs: sorted, takes: make([][]domain.StockLevel, len(sorted))}
	for i, r := range sorted {
		if !locked.variants[r.VariantID].Live {
			return reservationPlan{}, domain.Business("PRODUCT_UNAVAILABLE", field(r.VariantID), "a product in the cart is no longer sold")
		}
		taken, available, ok := domain.AllocateLine(levels[r.VariantID], r.Quantity)
		if !ok {
			return reservationPlan{}, domain.Business("OUT_OF_STOCK", field(r.VariantID), "only %d units of a product in the cart are in stock", available)
		}
		plan.takes[i] = taken
		// The same variant asked for twice takes from what the first request left.
		for _, t := range taken {
			for k := range levels[r.VariantID] {
				if levels[r.VariantID][k].WarehouseID == t.WarehouseID {
					levels[r.VariantID][k].Quantity -= t.Quantity
				}
			}
		}
	}
	return plan, nil
}

// queueReservation queues the plan's conditional updates of the warehouse rows and each
// variant's units sold; read their results with readReservation.
func queueReservation(batch *pgx.Batch, plan reservationPlan) {
	for i, r := range plan.reqs {
		for _, t := range plan.takes[i] {
			batch.Queue(`UPDATE warehouse_stocks SET quantity = quantity - $3, updated_at = now()
				WHERE variant_id = $1 AND warehouse_id = $2 AND quantity >= $3 RETURNING quantity`, r.VariantID, t.WarehouseID, t.Quantity)
		}
		batch.Queue(`UPDATE product_variants SET units_sold = units_sold + $2, updated_at = now() WHERE id = $1 RETURNING stock`, r.VariantID, r.Quantity)
	}
}

// readReservation reads the results of queueReservation's statements and returns the
// lines served, in the plan's order, with their inventory events.
func readReservation(results pgx.BatchResults, orderID int64, plan reservationPlan, locked stockLocks) ([]reservedLine, error) {
	out := make([]reservedLine, len(plan.reqs))
	for i, r := range plan.reqs {
		left := make([]int, len(plan.takes[i]))
		for k, t := range plan.takes[i] {
			if err := results.QueryRow().Scan(&left[k]); err != nil {
				if errors.Is(err, pgx.ErrNoRows) {
					return nil, fmt.Errorf("stock of variant %d in warehouse %d changed under its lock", r.VariantID, t.WarehouseID)
				}
				return nil, translate(err, "reserving stock")
			}
		}
		var stock int
		if err := results.QueryRow().Scan(&stock); err != nil {
			return nil, translate(err, "reserving stock")
		}
		v := locked.variants[r.VariantID]
		line := domain.OrderLine{ProductID: v.ProductID, VariantID: r.VariantID, Name: v.Name,
			VariantTitle: domain.VariantTitle(v.Options), SKU: v.SKU, Quantity: r.Quantity,
			UnitPrice: domain.Money{Amount: v.Price, Currency: v.Currency}}
		key := strconv.FormatInt(v.ProductID, 10)
		var evs []domain.Event
		for k, t := range plan.takes[i] {
			evs = append(evs, domain.Event{Type: domain.EventInventoryReserved, Key: key,
				Data: domain.InventoryEventData{ProductID: v.ProductID, VariantID: r.VariantID, Delta: -t.Quantity, Stock: stock,
					OrderID: orderID, WarehouseID: t.WarehouseID, WarehouseStock: left[k]}})
		}
		if stock == 0 {
			evs = append(evs, domain.Event{Type: domain.EventProductOutOfStock, Key: key,
				Data: domain.ProductEventData{ProductID: v.ProductID, VariantID: r.VariantID, Name: v.Name, PriceMinor: v.Price, Currency: v.Currency}})
		}
		out[i] = reservedLine{Line: line, Taken: plan.takes[i], Events: evs}
	}
	return out, nil
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
