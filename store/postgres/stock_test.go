package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/postgres"
	"github.com/shopgraph/shopgraph/testkit"
)

// TestReleaseLinesPartially: units come back the last warehouse of the allocation first,
// never beyond what a line still holds, and to the default warehouse when theirs has been
// retired; a later cancellation releases only what is left.
func TestReleaseLinesPartially(t *testing.T) {
	t.Parallel()
	db, _ := testkit.Postgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	warehouses := postgres.NewWarehouseStore(db)
	catalog := postgres.NewCatalogStore(db)
	orders := postgres.NewOrderStore(db)
	str := func(s string) *string { return &s }
	prio := func(n int) *int { return &n }
	w1, err := warehouses.CreateWarehouse(ctx, domain.WarehouseInput{Code: str("REL-1"), Name: str("One"), Priority: prio(-2)})
	if err != nil {
		t.Fatal(err)
	}
	w2, err := warehouses.CreateWarehouse(ctx, domain.WarehouseInput{Code: str("REL-2"), Name: str("Two"), Priority: prio(-1)})
	if err != nil {
		t.Fatal(err)
	}
	var productID, variantID, mainID int64
	if err := db.Pool.QueryRow(ctx, `SELECT p.id, v.id FROM products p JOIN product_variants v ON v.product_id = p.id
		WHERE p.deleted_at IS NULL AND v.deleted_at IS NULL
		AND (SELECT count(*) FROM product_variants x WHERE x.product_id = p.id AND x.deleted_at IS NULL) = 1 ORDER BY p.id LIMIT 1`).Scan(&productID, &variantID); err != nil {
		t.Fatal(err)
	}
	if err := db.Pool.QueryRow(ctx, `SELECT id FROM warehouses WHERE is_default`).Scan(&mainID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE product_variants SET stock = 0 WHERE id = $1`, variantID); err != nil {
		t.Fatal(err)
	}
	for w, n := range map[int64]int{w1.ID: 2, w2.ID: 3} {
		if _, err := catalog.AdjustWarehouseInventory(ctx, productID, variantID, w, n, "count"); err != nil {
			t.Fatal(err)
		}
	}
	held := func() map[int64]int {
		t.Helper()
		levels, err := warehouses.VariantStocks(ctx, []int64{variantID})
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64]int{}
		total := 0
		for _, l := range levels[variantID] {
			out[l.WarehouseID] = l.Quantity
			total += l.Quantity
		}
		var stock int
		if err := db.Pool.QueryRow(ctx, `SELECT stock FROM product_variants WHERE id = $1`, variantID).Scan(&stock); err != nil {
			t.Fatal(err)
		}
		if stock != total {
			t.Errorf("variant stock %d, warehouses hold %d", stock, total)
		}
		return out
	}

	o, _, err := orders.PlaceOrder(ctx, domain.CheckoutRequest{
		Cart:  domain.Cart{ID: "rel-cart", Lines: []domain.CartLine{{VariantID: variantID, Quantity: 4}}},
		Email: "rel@example.com", PaymentMethod: domain.PaymentCard, IdempotencyKey: "rel",
		ShippingAddress: domain.Address{Name: "R", Line1: "1 Road", City: "Leeds", PostalCode: "LS1", Country: "GB"},
	})
	if err != nil {
		t.Fatal(err)
	}
	allocs := func() map[int64][2]int {
		t.Helper()
		m, err := warehouses.OrderAllocations(ctx, []int64{o.ID})
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64][2]int{}
		for _, a := range m[o.ID] {
			out[a.WarehouseID] = [2]int{a.Quantity, a.Released}
		}
		return out
	}
	if a := allocs(); len(a) != 2 || a[w1.ID] != [2]int{2, 0} || a[w2.ID] != [2]int{2, 0} {
		t.Fatalf("allocations %v", a)
	}
	if h := held(); h[w1.ID] != 0 || h[w2.ID] != 1 {
		t.Fatalf("held %v", h)
	}

	// One unit back: to REL-2, the last of the allocation.
	if err := orders.ReleaseLines(ctx, o.ID, []postgres.LineRelease{{LineNo: 1, Quantity: 1}}, "partial return"); err != nil {
		t.Fatal(err)
	}
	if h := held(); h[w1.ID] != 0 || h[w2.ID] != 2 {
		t.Errorf("after one: held %v", h)
	}
	// REL-1 retires (it is empty); its units then come back to the default.
	if _, err := warehouses.RetireWarehouse(ctx, w1.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := orders.ReleaseLines(ctx, o.ID, []postgres.LineRelease{{LineNo: 1, Quantity: 9}}, "the rest"); err != nil {
		t.Fatal(err)
	}
	if h := held(); h[w1.ID] != 0 || h[w2.ID] != 3 || h[mainID] != 2 {
		t.Errorf("after the rest: held %v", h)
	}
	if a := allocs(); a[w1.ID] != [2]int{2, 2} || a[w2.ID] != [2]int{2, 2} {
		t.Errorf("allocations %v", a)
	}
	// Nothing is left to give back: a cancellation releases nothing more.
	if _, _, err := orders.Transition(ctx, o.ID, domain.Transition{To: domain.StatusCancelled, Note: "done"}); err != nil {
		t.Fatal(err)
	}
	if h := held(); h[w2.ID] != 3 || h[mainID] != 2 {
		t.Errorf("after the cancellation: held %v", h)
	}
	var events, units int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*), coalesce(sum((payload->>'delta')::int), 0) FROM outbox
		WHERE type = 'inventory.released' AND (payload->>'orderId')::bigint = $1`, o.ID).Scan(&events, &units); err != nil {
		t.Fatal(err)
	}
	if events != 3 || units != 4 {
		t.Errorf("%d inventory.released events for %d units, want 3 for 4", events, units)
	}
	if err := orders.ReleaseLines(ctx, 99999999, nil, "x"); !domain.IsNotFound(err) {
		t.Errorf("unknown order: %v", err)
	}
}

// TestDirectStockWritesReachWarehouses: a write of a variant's total (older code, scripts)
// is carried down to the warehouses, added units to the default and removed ones from the
// other warehouses first; a negative total is refused by the CHECK as before.
func TestDirectStockWritesReachWarehouses(t *testing.T) {
	t.Parallel()
	db, _ := testkit.Postgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	var variantID int64
	if err := db.Pool.QueryRow(ctx, `SELECT v.id FROM product_variants v WHERE v.deleted_at IS NULL AND v.stock >= 20
		AND (SELECT count(*) FROM warehouse_stocks s WHERE s.variant_id = v.id AND s.quantity > 0) = 3 ORDER BY v.id LIMIT 1`).Scan(&variantID); err != nil {
		t.Fatal(err)
	}
	held := func() (byCode map[string]int, total int) {
		t.Helper()
		rows, err := db.Pool.Query(ctx, `SELECT w.code, s.quantity, v.stock FROM warehouse_stocks s JOIN warehouses w ON w.id = s.warehouse_id
			JOIN product_variants v ON v.id = s.variant_id WHERE s.variant_id = $1`, variantID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		byCode = map[string]int{}
		sum := 0
		for rows.Next() {
			var code string
			var q int
			if err := rows.Scan(&code, &q, &total); err != nil {
				t.Fatal(err)
			}
			byCode[code] = q
			sum += q
		}
		if sum != total {
			t.Errorf("warehouses hold %d, the variant's total is %d", sum, total)
		}
		return byCode, total
	}
	before, total := held()
	if _, err := db.Pool.Exec(ctx, `UPDATE product_variants SET stock = stock + 5 WHERE id = $1`, variantID); err != nil {
		t.Fatal(err)
	}
	if got, _ := held(); got["MAIN"] != before["MAIN"]+5 || got["EU-BER"] != before["EU-BER"] || got["US-AUS"] != before["US-AUS"] {
		t.Errorf("after +5: %v, before %v", got, before)
	}
	// Down to what MAIN alone held: the regional warehouses give up theirs first.
	if _, err := db.Pool.Exec(ctx, `UPDATE product_variants SET stock = $2 WHERE id = $1`, variantID, before["MAIN"]); err != nil {
		t.Fatal(err)
	}
	if got, n := held(); got["MAIN"] != before["MAIN"] || got["EU-BER"] != 0 || got["US-AUS"] != 0 || n != before["MAIN"] {
		t.Errorf("after setting %d (of %d): %v", before["MAIN"], total, got)
	}
	_, err := db.Pool.Exec(ctx, `UPDATE product_variants SET stock = -1 WHERE id = $1`, variantID)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23514" {
		t.Errorf("a negative total: %v, want a check violation", err)
	}
}
