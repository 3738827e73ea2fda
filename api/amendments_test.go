package api_test

import (
	"context"
	"encoding/json"
	"maps"
	"runtime"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/testkit"
)

type editedOrder struct {
	ID, Status string
	Subtotal   struct{ Amount string }
	Total      struct{ Amount string }
	Lines      []struct {
		LineNumber, Quantity, ReturnedQuantity int
		Product                                struct{ ID string }
	}
	StatusHistory []historyEntry
	Returns       []returnView
}

type historyEntry struct {
	Sequence     int
	Kind, Status string
	Note         *string
	RefundAmount *struct{ Amount string }
	ChargeAmount *struct{ Amount string }
	Total        *struct{ Amount string }
	Return       *struct{ ID string }
}

type userError struct {
	Field   []string
	Message string
	Code    string
}

type editPayload struct {
	Order        *editedOrder
	Event        *historyEntry
	RefundAmount *struct{ Amount string }
	ChargeAmount *struct{ Amount string }
	UserErrors   []userError
}

const historyFields = `sequence kind status note refundAmount { amount } chargeAmount { amount } total { amount } return { id }`

const editedOrderFields = `id status subtotal { amount } total { amount } lines { lineNumber quantity returnedQuantity product { id } }
	statusHistory { ` + historyFields + ` } returns { ` + returnFields + ` }`

const editLines = `mutation($id: ID!, $lines: [OrderLineEditInput!]!, $r: String!) { orderEditLines(orderId: $id, lines: $lines, reason: $r) {
	order { ` + editedOrderFields + ` } event { ` + historyFields + ` } refundAmount { amount } chargeAmount { amount } userErrors { field message code } } }`

// edit amends the order's lines as who and returns the payload; top-level errors fail.
func edit(t *testing.T, who *harness, orderID, reason string, lines ...map[string]any) editPayload {
	t.Helper()
	var out struct{ OrderEditLines editPayload }
	who.data(editLines, map[string]any{"id": orderID, "lines": lines, "r": reason}, &out)
	return out.OrderEditLines
}

func lineEdit(n, q int) map[string]any { return map[string]any{"lineNumber": n, "quantity": q} }

// readOrder reads the order as who.
func readOrder(t *testing.T, who *harness, orderID string) editedOrder {
	t.Helper()
	var out struct{ Order *editedOrder }
	who.data(`query($id: ID!) { order(id: $id) { `+editedOrderFields+` } }`, map[string]any{"id": orderID}, &out)
	if out.Order == nil {
		t.Fatalf("order %s not visible", orderID)
	}
	return *out.Order
}

// outboxEvents returns the payloads of the order's outbox events of the type, oldest first.
func outboxEvents(t *testing.T, h *harness, typ, key string) []map[string]any {
	t.Helper()
	rows, err := h.db.Pool.Query(context.Background(), `SELECT payload FROM outbox WHERE type = $1 AND key = $2 ORDER BY position`, typ, key)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// setStock gives the products exactly n units each.
func setStock(t *testing.T, h *harness, n int, products ...string) {
	t.Helper()
	for _, p := range products {
		if _, err := h.db.Pool.Exec(context.Background(), `UPDATE product_variants SET stock = $2 WHERE product_id = $1`, dbID(t, p), n); err != nil {
			t.Fatal(err)
		}
	}
}

func priceOf(t *testing.T, h *harness, product string) int64 {
	t.Helper()
	var minor int64
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT price_minor FROM product_variants WHERE product_id = $1`, dbID(t, product)).Scan(&minor); err != nil {
		t.Fatal(err)
	}
	return minor
}

func minor(t *testing.T, amount string) int64 {
	t.Helper()
	v, err := domain.ParseMinor(amount)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestAmendOrder: an admin takes units off one line and removes another of a paid order;
// the units go back to stock, the difference is refunded, the history gains an AMENDED
// entry with the next sequence, order.amended is in the outbox, and a live tracker
// receives the amendment and keeps following. Then growing a line charges the difference,
// and after shipping the order cannot be edited any more.
func TestAmendOrder(t *testing.T) {
	url, subjects, stream := testkit.NATS(t)
	h := newHarnessOn(t, url, withStream(subjects, stream))
	admin, _ := h.signedIn(domain.RoleAdmin)
	customer, _ := h.signedIn(domain.RoleCustomer)
	p := h.stocked(2, 10)
	setStock(t, h, 10, p...)
	c := customer.cartCreate(line(p[0], 3), line(p[1], 2))
	o := customer.checkout(c.Cart.ID, "amend-1", nil)
	if o.Order == nil || o.Order.Status != "PAID" {
		t.Fatalf("checkout: %+v", o)
	}
	id := o.Order.ID
	order := readOrder(t, customer, id)
	if len(order.Lines) != 2 || order.Lines[0].LineNumber != 1 || order.Lines[1].LineNumber != 2 {
		t.Fatalf("lines: %+v", order.Lines)
	}
	first := 1
	if order.Lines[0].Product.ID != p[0] {
		first = 2
	}
	second := 3 - first
	price0, price1 := priceOf(t, h, p[0]), priceOf(t, h, p[1])
	total := minor(t, order.Total.Amount)

	before := runtime.NumGoroutine()
	ws := h.dialWS("graphql-transport-ws", map[string]any{"Authorization": "Bearer " + customer.token})
	ws.subscribe("1", id, nil)
	if e := ws.event("1", "next"); e.Sequence != 2 || e.Status != "PAID" {
		t.Fatalf("first tracking message: %+v", e)
	}

	// Refused edits change nothing.
	refusals := []struct {
		name  string
		lines []map[string]any
		code  string
	}{
		{"negative quantity", []map[string]any{lineEdit(first, -1)}, "BAD_USER_INPUT"},
		{"a line named twice", []map[string]any{lineEdit(first, 1), lineEdit(first, 2)}, "BAD_USER_INPUT"},
		{"no lines", []map[string]any{}, "BAD_USER_INPUT"},
		{"an unknown line", []map[string]any{lineEdit(9, 1)}, "LINE_NOT_FOUND"},
		{"nothing changes", []map[string]any{lineEdit(first, 3)}, "NO_CHANGE"},
		{"every line removed", []map[string]any{lineEdit(1, 0), lineEdit(2, 0)}, "ORDER_EMPTY"},
		{"more than the stock", []map[string]any{lineEdit(first, 3+11)}, "OUT_OF_STOCK"},
	}
	for _, tc := range refusals {
		r := edit(t, admin, id, "test", tc.lines...)
		if r.Order != nil || len(r.UserErrors) != 1 || r.UserErrors[0].Code != tc.code {
			t.Errorf("%s: %+v", tc.name, r)
		}
	}
	if r := edit(t, admin, id, "", lineEdit(first, 1)); len(r.UserErrors) != 1 || r.UserErrors[0].Field[0] != "reason" {
		t.Errorf("no reason: %+v", r)
	}
	if r := customer.post(editLines, map[string]any{"id": id, "lines": []any{lineEdit(first, 1)}, "r": "mine"}); r.code() != "FORBIDDEN" {
		t.Errorf("a customer edited the order: %+v", r.Errors)
	}
	if got := readOrder(t, admin, id); got.Total.Amount != order.Total.Amount || len(got.StatusHistory) != 2 || h.stock(p[0]) != 7 || h.stock(p[1]) != 8 {
		t.Fatalf("refused edits changed the order: %+v, stock %d %d", got, h.stock(p[0]), h.stock(p[1]))
	}

	// Down: 3 → 1 of the first product, the second removed.
	r := edit(t, admin, id, "customer called", lineEdit(first, 1), lineEdit(second, 0))
	if r.Order == nil || len(r.UserErrors) != 0 {
		t.Fatalf("edit: %+v", r)
	}
	wantTotal := total - 2*price0 - 2*price1
	if got := minor(t, r.Order.Total.Amount); got != wantTotal || r.RefundAmount == nil || minor(t, r.RefundAmount.Amount) != total-wantTotal || r.ChargeAmount != nil {
		t.Errorf("total %s refund %+v, want total %d refund %d", r.Order.Total.Amount, r.RefundAmount, wantTotal, total-wantTotal)
	}
	if r.Order.Status != "PAID" || len(r.Order.Lines) != 1 || r.Order.Lines[0].LineNumber != first || r.Order.Lines[0].Quantity != 1 {
		t.Errorf("order after the edit: %+v", r.Order)
	}
	if h.stock(p[0]) != 9 || h.stock(p[1]) != 10 {
		t.Errorf("stock %d and %d after the edit, want 9 and 10", h.stock(p[0]), h.stock(p[1]))
	}
	hist := r.Order.StatusHistory
	if len(hist) != 3 || hist[2].Sequence != 3 || hist[2].Kind != "AMENDED" || hist[2].Status != "PAID" || hist[2].RefundAmount == nil ||
		hist[2].Note == nil || *hist[2].Note == "" || hist[0].Kind != "STATUS_CHANGED" {
		t.Errorf("history: %+v", hist)
	}
	if r.Event == nil || r.Event.Sequence != 3 || r.Event.Kind != "AMENDED" {
		t.Errorf("event: %+v", r.Event)
	}
	key := orderKeyOf(t, id)
	amended := outboxEvents(t, h, "order.amended", key)
	if len(amended) != 1 || amended[0]["refundMinor"] != float64(total-wantTotal) || amended[0]["totalMinor"] != float64(wantTotal) ||
		amended[0]["sequence"] != float64(3) || lenOf(amended[0]["lines"]) != 1 || lenOf(amended[0]["lineChanges"]) != 2 {
		t.Errorf("order.amended in the outbox: %+v", amended)
	}

	// The tracker gets the amendment live, and keeps following.
	if e := ws.event("1", "next"); e.Sequence != 3 || e.Kind != "AMENDED" || e.Status != "PAID" || e.RefundAmount == nil || minor(t, e.RefundAmount.Amount) != total-wantTotal {
		t.Errorf("tracker got %+v", e)
	}

	// Up: the line grows back to 2 and the difference is charged.
	r = edit(t, admin, id, "customer wants two after all", lineEdit(first, 2))
	if r.Order == nil || r.ChargeAmount == nil || minor(t, r.ChargeAmount.Amount) != price0 || r.RefundAmount != nil || h.stock(p[0]) != 8 {
		t.Fatalf("growing a line: %+v, stock %d", r, h.stock(p[0]))
	}
	if e := ws.event("1", "next"); e.Sequence != 4 || e.Kind != "AMENDED" || e.ChargeAmount == nil {
		t.Errorf("tracker got %+v", e)
	}

	admin.ship(t, id)
	if e := ws.event("1", "next"); e.Sequence != 5 || e.Status != "SHIPPED" {
		t.Errorf("shipped: %+v", e)
	}
	if r := edit(t, admin, id, "too late", lineEdit(first, 1)); r.Order != nil || r.UserErrors[0].Code != "ILLEGAL_TRANSITION" || h.stock(p[0]) != 8 {
		t.Errorf("editing a shipped order: %+v", r)
	}
	// A resumed tracker replays the amendments with their sequences.
	two := 2
	ws.subscribe("2", id, &two)
	for want := 3; want <= 5; want++ {
		if e := ws.event("2", "next"); e.Sequence != want {
			t.Fatalf("resume: sequence %d, want %d", e.Sequence, want)
		}
	}
	ws.conn.Close(websocket.StatusNormalClosure, "")
	checkSubscriptionGoroutines(t, before)

	// A pending order (its payment in flight) cannot be edited either.
	c2 := customer.cartCreate(line(p[0], 1))
	o2 := customer.checkout(c2.Cart.ID, "amend-2", nil)
	if _, err := h.db.Pool.Exec(context.Background(), `UPDATE orders SET status = 'PENDING' WHERE id = $1`, dbID(t, o2.Order.ID)); err != nil {
		t.Fatal(err)
	}
	if r := edit(t, admin, o2.Order.ID, "test", lineEdit(1, 2)); r.Order != nil || r.UserErrors[0].Code != "ILLEGAL_TRANSITION" {
		t.Errorf("editing a pending order: %+v", r)
	}
}

// shopWithOneProduct returns a harness with an admin and a customer signed in, and a
// single-variant product with stock units.
func shopWithOneProduct(t *testing.T, stock int) (h, admin, customer *harness, product string) {
	t.Helper()
	h = newHarness(t)
	admin, _ = h.signedIn(domain.RoleAdmin)
	customer, _ = h.signedIn(domain.RoleCustomer)
	product = h.stocked(1, 10)[0]
	setStock(t, h, stock, product)
	return h, admin, customer, product
}

// norefundAddress is the test address under a payer name whose refunds the payment
// simulator refuses.
func norefundAddress() map[string]any {
	addr := maps.Clone(address)
	addr["name"] = "Norefund Tester"
	return addr
}

// TestAmendRefundFailureChangesNothing: when the payment provider refuses the refund,
// the order, its stock, its history and the outbox stay as they were.
func TestAmendRefundFailureChangesNothing(t *testing.T) {
	t.Parallel()
	h, admin, customer, p := shopWithOneProduct(t, 10)
	addr := norefundAddress()
	c := customer.cartCreate(line(p, 3))
	o := customer.checkout(c.Cart.ID, "norefund-1", map[string]any{"shippingAddress": addr})
	if o.Order == nil || o.Order.Status != "PAID" {
		t.Fatalf("checkout: %+v", o)
	}
	r := edit(t, admin, o.Order.ID, "customer called", lineEdit(1, 1))
	if r.Order != nil || len(r.UserErrors) != 1 || r.UserErrors[0].Code != "PAYMENT_FAILED" {
		t.Fatalf("edit with a refused refund: %+v", r)
	}
	got := readOrder(t, admin, o.Order.ID)
	if got.Total.Amount != o.Order.Total.Amount || got.Lines[0].Quantity != 3 || len(got.StatusHistory) != 2 || h.stock(p) != 7 {
		t.Errorf("a refused refund changed the order: %+v, stock %d", got, h.stock(p))
	}
	if evs := outboxEvents(t, h, "order.amended", orderKeyOf(t, o.Order.ID)); len(evs) != 0 {
		t.Errorf("order.amended written: %v", evs)
	}
}

func orderKeyOf(t *testing.T, gid string) string {
	t.Helper()
	return dbID(t, gid)
}

// lenOf is the length of a decoded JSON array, or -1.
func lenOf(v any) int {
	a, ok := v.([]any)
	if !ok {
		return -1
	}
	return len(a)
}

// TestAmendBelowDiscountMinimum: taking an order below its discount's minimum subtotal
// drops the discount (and gives its use back) while shipping stays as charged, and the
// refund is exactly the difference of the totals.
func TestAmendBelowDiscountMinimum(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, _ := h.signedIn(domain.RoleAdmin)
	customer, _ := h.signedIn(domain.RoleCustomer)
	ctx := context.Background()
	var product, price int64
	if err := h.db.Pool.QueryRow(ctx, `SELECT products.id, v.price_minor FROM products JOIN product_variants v ON v.product_id = products.id
		WHERE products.deleted_at IS NULL AND v.deleted_at IS NULL AND v.price_minor BETWEEN 1000 AND 4999 AND `+singleVariant+`
		ORDER BY products.id LIMIT 1`).Scan(&product, &price); err != nil {
		t.Fatal(err)
	}
	p := gid("Product", product)
	setStock(t, h, 20, p)
	var discountID int64
	if err := h.db.Pool.QueryRow(ctx, `INSERT INTO discounts (code, title, kind, value, min_subtotal_minor, starts_at)
		VALUES ('AMEND5', '5.00 off from 50.00', 'FIXED_AMOUNT', 500, 5000, now() - interval '1 hour') RETURNING id`).Scan(&discountID); err != nil {
		t.Fatal(err)
	}
	q := int((5000 + price - 1) / price)
	c := customer.cartCreate(line(p, q))
	o := customer.checkout(c.Cart.ID, "amend-min", map[string]any{"discountCodes": []string{"AMEND5"}})
	if o.Order == nil || o.Order.Status != "PAID" {
		t.Fatalf("checkout: %+v", o)
	}
	var discount, shipping, used int64
	if err := h.db.Pool.QueryRow(ctx, `SELECT o.discount_minor, o.shipping_minor, d.used_count FROM orders o, discounts d WHERE o.id = $1 AND d.id = $2`,
		dbID(t, o.Order.ID), discountID).Scan(&discount, &shipping, &used); err != nil {
		t.Fatal(err)
	}
	if discount != 500 || used != 1 {
		t.Fatalf("checkout discount %d, uses %d", discount, used)
	}
	r := edit(t, admin, o.Order.ID, "fewer", lineEdit(1, 1))
	if r.Order == nil {
		t.Fatalf("edit: %+v", r)
	}
	total := minor(t, o.Order.Total.Amount)
	if got := minor(t, r.Order.Total.Amount); got != price+shipping || minor(t, r.RefundAmount.Amount) != total-got {
		t.Errorf("total %d refund %s, want %d (no discount, shipping %d kept)", got, r.RefundAmount.Amount, price+shipping, shipping)
	}
	if err := h.db.Pool.QueryRow(ctx, `SELECT o.discount_minor, d.used_count FROM orders o, discounts d WHERE o.id = $1 AND d.id = $2`,
		dbID(t, o.Order.ID), discountID).Scan(&discount, &used); err != nil {
		t.Fatal(err)
	}
	if discount != 0 || used != 0 {
		t.Errorf("after the edit: discount %d, uses %d; want 0, 0", discount, used)
	}
}

// TestAmendmentsRaceForTheLastUnits: two admins grow lines of two orders at once, each
// wanting the last two units; one gets them, the other is told OUT_OF_STOCK, and the stock
// ends at zero, never below.
func TestAmendmentsRaceForTheLastUnits(t *testing.T) {
	t.Parallel()
	h, admin, customer, p := shopWithOneProduct(t, 4)
	var orders []string
	for _, key := range []string{"race-1", "race-2"} {
		c := customer.cartCreate(line(p, 1))
		o := customer.checkout(c.Cart.ID, key, nil)
		if o.Order == nil {
			t.Fatalf("checkout: %+v", o)
		}
		orders = append(orders, o.Order.ID)
	}
	results := make([]editPayload, len(orders))
	var wg sync.WaitGroup
	for i, id := range orders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out struct{ OrderEditLines editPayload }
			r := admin.post(editLines, map[string]any{"id": id, "lines": []any{lineEdit(1, 3)}, "r": "more"})
			if err := json.Unmarshal(r.Data, &out); err != nil || len(r.Errors) > 0 {
				t.Errorf("edit %d: %v %+v", i, err, r.Errors)
			}
			results[i] = out.OrderEditLines
		}()
	}
	wg.Wait()
	won, refused := 0, 0
	for _, r := range results {
		switch {
		case r.Order != nil:
			won++
		case len(r.UserErrors) == 1 && r.UserErrors[0].Code == "OUT_OF_STOCK":
			refused++
		}
	}
	if won != 1 || refused != 1 || h.stock(p) != 0 {
		t.Errorf("%d edits went through, %d out of stock, stock %d; want 1, 1, 0", won, refused, h.stock(p))
	}
}

// TestAmendThenCancelReturnsEveryUnit: units an amendment gave back are not given back
// twice when the order is cancelled later, and units it took are; every warehouse ends
// with what it held before the checkout, and every allocation is released.
func TestAmendThenCancelReturnsEveryUnit(t *testing.T) {
	t.Parallel()
	h, admin, customer, p := shopWithOneProduct(t, 10)
	c := customer.cartCreate(line(p, 4))
	o := customer.checkout(c.Cart.ID, "amend-cancel", nil)
	if o.Order == nil || o.Order.Status != "PAID" || h.stock(p) != 6 {
		t.Fatalf("checkout: %+v, stock %d", o, h.stock(p))
	}
	id := o.Order.ID
	if r := edit(t, admin, id, "fewer", lineEdit(1, 1)); r.Order == nil || h.stock(p) != 9 {
		t.Fatalf("down to 1: %+v, stock %d", r, h.stock(p))
	}
	if r := edit(t, admin, id, "more", lineEdit(1, 3)); r.Order == nil || h.stock(p) != 7 {
		t.Fatalf("up to 3: %+v, stock %d", r, h.stock(p))
	}
	var out struct{ OrderCancel orderPayload }
	admin.data(`mutation($id: ID!) { orderCancel(orderId: $id, reason: "test") { `+orderFields+` } }`, map[string]any{"id": id}, &out)
	if out.OrderCancel.Order == nil || out.OrderCancel.Order.Status != "CANCELLED" {
		t.Fatalf("cancel: %+v", out.OrderCancel)
	}
	if got := h.stock(p); got != 10 {
		t.Errorf("stock %d after the cancellation, want 10", got)
	}
	var held, warehouses int
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT coalesce(sum(quantity - released), 0), count(DISTINCT warehouse_id)
		FROM order_line_allocations WHERE order_id = $1`, dbID(t, id)).Scan(&held, &warehouses); err != nil {
		t.Fatal(err)
	}
	if held != 0 || warehouses == 0 {
		t.Errorf("allocations still hold %d units over %d warehouses, want 0", held, warehouses)
	}
	var total, sum int
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT v.stock, (SELECT coalesce(sum(s.quantity), 0) FROM warehouse_stocks s WHERE s.variant_id = v.id)
		FROM product_variants v WHERE v.product_id = $1`, dbID(t, p)).Scan(&total, &sum); err != nil {
		t.Fatal(err)
	}
	if total != 10 || sum != 10 {
		t.Errorf("variant total %d, warehouses hold %d; want 10 and 10", total, sum)
	}
}
