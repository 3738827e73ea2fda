package api_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/shopgraph/shopgraph/domain"
)

type cartPayload struct {
	Cart *struct {
		ID            string
		TotalQuantity int
		Subtotal      struct{ Amount string }
		Lines         []struct {
			ID        string
			Quantity  int
			UnitPrice struct{ Amount string }
			Total     struct{ Amount string }
			Product   struct{ ID, Slug string }
		}
	}
	UserErrors []struct {
		Field   []string
		Message string
		Code    string
	}
}

const cartFields = `cart { id totalQuantity subtotal { amount } lines { id quantity unitPrice { amount } total { amount } product { id slug } } } userErrors { field message code }`

type orderPayload struct {
	Order *struct {
		ID, Number, Status, Email string
		Total                     struct{ Amount string }
		RefundedAmount            *struct{ Amount string }
		Lines                     []struct {
			Quantity int
			Product  struct{ ID string }
		}
		Shipment      *struct{ Carrier, TrackingNumber string }
		StatusHistory []struct {
			Sequence       int
			Status         string
			PreviousStatus *string
			Note           *string
		}
	}
	UserErrors []struct {
		Field   []string
		Message string
		Code    string
	}
}

const orderFields = `order { id number status email total { amount } refundedAmount { amount } lines { quantity product { id } }
	shipment { carrier trackingNumber } statusHistory { sequence status previousStatus note } } userErrors { field message code }`

var address = map[string]any{"name": "Ada Lovelace", "line1": "12 Analytical Row", "city": "London", "postalCode": "N1 9GU", "country": "GB"}

func (h *harness) cartCreate(lines ...map[string]any) cartPayload {
	h.t.Helper()
	var out struct{ CartCreate cartPayload }
	h.data(`mutation($l: [CartLineInput!]) { cartCreate(lines: $l) { `+cartFields+` } }`, map[string]any{"l": lines}, &out)
	return out.CartCreate
}

func line(productID string, q int) map[string]any {
	return map[string]any{"productId": productID, "quantity": q}
}

func (h *harness) checkout(cartID, key string, extra map[string]any) orderPayload {
	h.t.Helper()
	in := map[string]any{"cartId": cartID, "paymentMethod": "CARD", "shippingAddress": address, "idempotencyKey": key}
	if h.token == "" {
		in["email"] = "guest@example.com"
	}
	for k, v := range extra {
		in[k] = v
	}
	var out struct{ Checkout orderPayload }
	h.data(`mutation($in: CheckoutInput!) { checkout(input: $in) { `+orderFields+` } }`, map[string]any{"in": in}, &out)
	return out.Checkout
}

// singleVariant is the SQL condition of a product (of the table products) with one live
// variant: one a cart line names without a variantId.
const singleVariant = `(SELECT count(*) FROM product_variants v WHERE v.product_id = products.id AND v.deleted_at IS NULL) = 1`

// stocked returns the global ids of n live products with one variant and at least min
// units, and sets nothing: tests that need exact stock set it themselves.
func (h *harness) stocked(n, min int) []string {
	h.t.Helper()
	rows, err := h.db.Pool.Query(context.Background(), `SELECT id FROM products WHERE deleted_at IS NULL AND stock >= $1 AND `+singleVariant+` ORDER BY id LIMIT $2`, min, n)
	if err != nil {
		h.t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			h.t.Fatal(err)
		}
		ids = append(ids, gid("Product", id))
	}
	if len(ids) != n {
		h.t.Fatalf("only %d products with %d units", len(ids), min)
	}
	return ids
}

func gid(typ string, id int64) string {
	return strings.TrimRight(b64(typ+":"+fmt.Sprint(id)), "=")
}

func (h *harness) stock(productGID string) int {
	h.t.Helper()
	var n int
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT stock FROM products WHERE id = $1`, dbID(h.t, productGID)).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func TestCartLifecycle(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stocked(3, 20)
	c := h.cartCreate(line(p[0], 2))
	if c.Cart == nil || len(c.Cart.ID) < 20 || c.Cart.TotalQuantity != 2 {
		t.Fatalf("cartCreate: %+v", c)
	}
	id := c.Cart.ID
	var add struct{ CartLinesAdd cartPayload }
	h.data(`mutation($c: ID!, $l: [CartLineInput!]!) { cartLinesAdd(cartId: $c, lines: $l) { `+cartFields+` } }`,
		map[string]any{"c": id, "l": []any{line(p[1], 1), line(p[0], 3)}}, &add)
	lines := add.CartLinesAdd.Cart.Lines
	if len(lines) != 2 || lines[0].Product.ID != p[0] || lines[0].Quantity != 5 || lines[1].Quantity != 1 {
		t.Fatalf("adding merges by product and keeps order: %+v", add.CartLinesAdd)
	}

	// Prices are always the catalog's current ones.
	admin, _ := h.signedIn(domain.RoleAdmin)
	var upd struct{ ProductUpdate productPayload }
	admin.data(`mutation($id: ID!) { productUpdate(id: $id, input: {price: "3.25"}) { `+productFields+` } }`, map[string]any{"id": p[0]}, &upd)
	var read struct{ Cart cartPayloadCart }
	h.data(`query($c: ID!) { cart(id: $c) { id totalQuantity subtotal { amount } lines { id quantity unitPrice { amount } total { amount } product { id slug } } } }`, map[string]any{"c": id}, &read)
	if read.Cart.Lines[0].UnitPrice.Amount != "3.25" || read.Cart.Lines[0].Total.Amount != "16.25" {
		t.Errorf("cart shows a stale price: %+v", read.Cart.Lines[0])
	}

	var upd2 struct{ CartLinesUpdate cartPayload }
	h.data(`mutation($c: ID!, $l: [CartLineUpdateInput!]!) { cartLinesUpdate(cartId: $c, lines: $l) { `+cartFields+` } }`,
		map[string]any{"c": id, "l": []any{map[string]any{"id": lines[0].ID, "quantity": 1}, map[string]any{"id": lines[1].ID, "quantity": 0}}}, &upd2)
	if l := upd2.CartLinesUpdate.Cart.Lines; len(l) != 1 || l[0].Quantity != 1 || upd2.CartLinesUpdate.Cart.Subtotal.Amount != "3.25" {
		t.Errorf("update: %+v", upd2.CartLinesUpdate)
	}
	var rm struct{ CartLinesRemove cartPayload }
	h.data(`mutation($c: ID!, $l: [ID!]!) { cartLinesRemove(cartId: $c, lineIds: $l) { `+cartFields+` } }`,
		map[string]any{"c": id, "l": []any{lines[0].ID}}, &rm)
	if rm.CartLinesRemove.Cart == nil || len(rm.CartLinesRemove.Cart.Lines) != 0 || rm.CartLinesRemove.Cart.Subtotal.Amount != "0.00" {
		t.Errorf("remove: %+v", rm.CartLinesRemove)
	}
}

type cartPayloadCart struct {
	ID            string
	TotalQuantity int
	Lines         []struct {
		ID        string
		Quantity  int
		UnitPrice struct{ Amount string }
		Total     struct{ Amount string }
	}
}

func TestCartBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stocked(1, 10)[0]
	var outOfStock int64
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT id FROM products WHERE stock = 0 AND deleted_at IS NULL AND `+singleVariant+` LIMIT 1`).Scan(&outOfStock); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		lines []map[string]any
		code  string
		field string
	}{
		{"zero quantity", []map[string]any{line(p, 0)}, "BAD_USER_INPUT", "lines.0.quantity"},
		{"negative quantity", []map[string]any{line(p, -2)}, "BAD_USER_INPUT", "lines.0.quantity"},
		{"quantity over the cap", []map[string]any{line(p, 100)}, "BAD_USER_INPUT", "lines.0.quantity"},
		{"unknown product", []map[string]any{line(gid("Product", 99999999), 1)}, "PRODUCT_UNAVAILABLE", "lines.0.productId"},
		{"garbage product id", []map[string]any{line("%%%", 1)}, "BAD_USER_INPUT", "lines.0.productId"},
		{"more than in stock", []map[string]any{line(gid("Product", outOfStock), 1)}, "OUT_OF_STOCK", "lines.0.quantity"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := h.cartCreate(tc.lines...)
			if c.Cart != nil || len(c.UserErrors) == 0 || c.UserErrors[0].Code != tc.code || strings.Join(c.UserErrors[0].Field, ".") != tc.field {
				t.Errorf("got %+v, want %s on %s", c, tc.code, tc.field)
			}
		})
	}
	for name, id := range map[string]string{"unknown cart": "no-such-cart", "NUL cart": "a\x00b"} {
		r := h.post(`mutation($c: ID!, $l: [CartLineInput!]!) { cartLinesAdd(cartId: $c, lines: $l) { `+cartFields+` } }`,
			map[string]any{"c": id, "l": []any{line(p, 1)}})
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"code":"NOT_FOUND"`) {
			t.Errorf("%s: %s %+v", name, r.Data, r.Errors)
		}
	}
	// A customer's cart is theirs alone: a guest or another customer holding its id sees nothing.
	alice, _ := h.signedIn(domain.RoleCustomer)
	bob, _ := h.signedIn(domain.RoleCustomer)
	ac := alice.cartCreate(line(p, 1))
	for who, c := range map[string]*harness{"guest": h, "another customer": bob} {
		var read struct{ Cart *struct{ ID string } }
		c.data(`query($c: ID!) { cart(id: $c) { id } }`, map[string]any{"c": ac.Cart.ID}, &read)
		if read.Cart != nil {
			t.Errorf("%s read a customer's cart", who)
		}
		r := c.post(`mutation($c: ID!, $l: [CartLineInput!]!) { cartLinesAdd(cartId: $c, lines: $l) { `+cartFields+` } }`,
			map[string]any{"c": ac.Cart.ID, "l": []any{line(p, 1)}})
		if !strings.Contains(string(r.Data), `"code":"NOT_FOUND"`) {
			t.Errorf("%s changed a customer's cart: %s", who, r.Data)
		}
	}
	// A customer has one cart: creating again returns it.
	again := alice.cartCreate()
	if again.Cart == nil || again.Cart.ID != ac.Cart.ID {
		t.Errorf("a customer's second cartCreate made another cart: %+v", again)
	}
}

func TestGuestCartMergesOnLogin(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stocked(2, 10)
	if _, err := h.db.Pool.Exec(context.Background(), `UPDATE product_variants SET stock = 3 WHERE product_id = $1`, dbID(t, p[1])); err != nil {
		t.Fatal(err)
	}
	reg := h.register("merger@example.com", "merge-me-please", "Merger")
	customer := h.as(*reg.Token)
	customer.cartCreate(line(p[0], 2), line(p[1], 2))
	guest := h.cartCreate(line(p[0], 1), line(p[1], 1))
	// Stock drops after the guest filled the cart: the merge caps by what is there now.
	if _, err := h.db.Pool.Exec(context.Background(), `UPDATE product_variants SET stock = 2 WHERE product_id = $1`, dbID(t, p[1])); err != nil {
		t.Fatal(err)
	}
	var out struct{ Login authPayload }
	h.data(loginMutation, map[string]any{"in": map[string]any{"email": "merger@example.com", "password": "merge-me-please", "guestCartId": guest.Cart.ID}}, &out)
	if out.Login.Token == nil {
		t.Fatalf("login: %+v", out.Login)
	}
	merged := h.as(*out.Login.Token).cartCreate()
	got := map[string]int{}
	for _, l := range merged.Cart.Lines {
		got[l.Product.ID] = l.Quantity
	}
	if got[p[0]] != 3 || got[p[1]] != 2 {
		t.Errorf("merged quantities %v, want %s:3 %s:2", got, p[0], p[1])
	}
	var read struct{ Cart *struct{ ID string } }
	h.data(`query($c: ID!) { cart(id: $c) { id } }`, map[string]any{"c": guest.Cart.ID}, &read)
	if read.Cart != nil {
		t.Error("the guest cart survived the merge")
	}
}

func TestCheckoutPaysAndEmptiesTheCart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stocked(2, 10)
	before := []int{h.stock(p[0]), h.stock(p[1])}
	c := h.cartCreate(line(p[0], 2), line(p[1], 1))
	o := h.checkout(c.Cart.ID, "key-1", nil)
	if o.Order == nil || o.Order.Status != "PAID" || o.Order.Email != "guest@example.com" || !strings.HasPrefix(o.Order.Number, "SG-") {
		t.Fatalf("checkout: %+v", o)
	}
	if h.stock(p[0]) != before[0]-2 || h.stock(p[1]) != before[1]-1 {
		t.Errorf("stock %d %d, want %d %d", h.stock(p[0]), h.stock(p[1]), before[0]-2, before[1]-1)
	}
	if hist := o.Order.StatusHistory; len(hist) != 2 || hist[0].Status != "PENDING" || hist[1].Status != "PAID" || hist[1].Sequence != 2 || *hist[1].PreviousStatus != "PENDING" {
		t.Errorf("history: %+v", hist)
	}
	var read struct{ Cart cartPayloadCart }
	h.data(`query($c: ID!) { cart(id: $c) { id totalQuantity lines { id quantity unitPrice { amount } total { amount } } } }`, map[string]any{"c": c.Cart.ID}, &read)
	if read.Cart.TotalQuantity != 0 {
		t.Errorf("cart not emptied: %+v", read.Cart)
	}
	want := "order.created,inventory.reserved,inventory.reserved,order.paid,payment.processed"
	var got []string
	rows, _ := h.db.Pool.Query(context.Background(), `SELECT type FROM outbox WHERE type LIKE 'order.%' OR type LIKE 'payment.%' OR type = 'inventory.reserved' ORDER BY position`)
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		got = append(got, s)
	}
	if strings.Join(got, ",") != want {
		t.Errorf("outbox %v, want %s", got, want)
	}
	// The same key again: the same order, nothing bought twice.
	again := h.checkout(c.Cart.ID, "key-1", nil)
	if again.Order == nil || again.Order.ID != o.Order.ID || h.stock(p[0]) != before[0]-2 {
		t.Errorf("retry: %+v", again)
	}
	// An empty cart with a new key is a user error.
	if empty := h.checkout(c.Cart.ID, "key-2", nil); empty.Order != nil || len(empty.UserErrors) != 1 || empty.UserErrors[0].Code != "EMPTY_CART" {
		t.Errorf("empty cart: %+v", empty)
	}
}

func TestCheckoutDeclinedPayment(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stocked(1, 10)[0]
	before := h.stock(p)
	c := h.cartCreate(line(p, 3))
	declined := map[string]any{"name": "Decline Test", "line1": "1 Main St", "city": "Pune", "postalCode": "411001", "country": "IN"}
	o := h.checkout(c.Cart.ID, "decline-1", map[string]any{"shippingAddress": declined})
	if o.Order == nil || o.Order.Status != "CANCELLED" {
		t.Fatalf("declined checkout: %+v", o)
	}
	last := o.Order.StatusHistory[len(o.Order.StatusHistory)-1]
	if last.Note == nil || !strings.Contains(*last.Note, "declined") {
		t.Errorf("the cancellation does not say why: %+v", last)
	}
	if h.stock(p) != before {
		t.Errorf("stock %d after a declined payment, want %d", h.stock(p), before)
	}
	// The cart is intact for another try.
	retry := h.checkout(c.Cart.ID, "decline-2", nil)
	if retry.Order == nil || retry.Order.Status != "PAID" || h.stock(p) != before-3 {
		t.Errorf("retry after decline: %+v", retry)
	}
}

func TestCheckoutBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stocked(1, 10)[0]
	c := h.cartCreate(line(p, 1))
	other := h.cartCreate(line(p, 1))
	h.checkout(c.Cart.ID, "used-key", nil)
	tests := []struct {
		name  string
		extra map[string]any
		code  string
		field string
	}{
		{"missing key", map[string]any{"idempotencyKey": ""}, "BAD_USER_INPUT", "input.idempotencyKey"},
		{"over-long key", map[string]any{"idempotencyKey": strings.Repeat("k", 129)}, "BAD_USER_INPUT", "input.idempotencyKey"},
		{"address without city", map[string]any{"shippingAddress": map[string]any{"name": "A", "line1": "B", "city": " ", "postalCode": "1", "country": "IN"}}, "BAD_USER_INPUT", "input.shippingAddress.city"},
		{"bad country", map[string]any{"shippingAddress": map[string]any{"name": "A", "line1": "B", "city": "C", "postalCode": "1", "country": "India"}}, "BAD_USER_INPUT", "input.shippingAddress.country"},
		{"guest without email", map[string]any{"email": nil}, "BAD_USER_INPUT", "input.email"},
		{"unknown cart", map[string]any{"cartId": "nope"}, "NOT_FOUND", "input.cartId"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := h.checkout(other.Cart.ID, "fresh-"+tc.name, tc.extra)
			if o.Order != nil || len(o.UserErrors) == 0 || o.UserErrors[0].Code != tc.code || strings.Join(o.UserErrors[0].Field, ".") != tc.field {
				t.Errorf("got %+v, want %s on %s", o, tc.code, tc.field)
			}
		})
	}
	var n int
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM orders`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d orders after refused checkouts, want 1 (%v)", n, err)
	}
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stocked(1, 30)[0]
	before := h.stock(p)
	customer, _ := h.signedIn(domain.RoleCustomer)
	c := customer.cartCreate(line(p, 2))
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := customer.checkout(c.Cart.ID, "same-key", nil)
			if o.Order != nil {
				ids[i] = o.Order.ID
			}
		}()
	}
	wg.Wait()
	for i, id := range ids {
		if id == "" || id != ids[0] {
			t.Fatalf("request %d got order %q, request 0 got %q", i, id, ids[0])
		}
	}
	var n int
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM orders`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d orders, want 1 (%v)", n, err)
	}
	if h.stock(p) != before-2 {
		t.Errorf("stock %d, want %d", h.stock(p), before-2)
	}
	// The customer's key spans carts: reusing it for a different cart (here a guest cart
	// the customer holds the id of) is refused, and nothing is bought.
	guest := h.cartCreate(line(p, 1))
	reuse := customer.checkout(guest.Cart.ID, "same-key", nil)
	if reuse.Order != nil || len(reuse.UserErrors) != 1 || reuse.UserErrors[0].Code != "IDEMPOTENCY_KEY_REUSED" {
		t.Errorf("key reused for another cart: %+v", reuse)
	}
	if h.stock(p) != before-2 {
		t.Errorf("stock %d after a refused reuse, want %d", h.stock(p), before-2)
	}
}

// checkoutAll checks out every cart at once, each with the idempotency key prefix-i, and
// returns the payloads in the carts' order.
func (h *harness) checkoutAll(carts []string, prefix string) []orderPayload {
	var wg sync.WaitGroup
	results := make([]orderPayload, len(carts))
	for i, id := range carts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = h.checkout(id, fmt.Sprintf("%s-%d", prefix, i), nil)
		}()
	}
	wg.Wait()
	return results
}

// TestNoOversell runs 200 concurrent checkouts for 10 products with 5 units each.
func TestNoOversell(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	products := h.stocked(10, 5)
	for _, p := range products {
		if _, err := h.db.Pool.Exec(context.Background(), `UPDATE product_variants SET stock = 5 WHERE product_id = $1`, dbID(t, p)); err != nil {
			t.Fatal(err)
		}
	}
	carts := make([]string, 200)
	for i := range carts {
		c := h.cartCreate(line(products[i%10], 1))
		if c.Cart == nil {
			t.Fatalf("cart %d: %+v", i, c.UserErrors)
		}
		carts[i] = c.Cart.ID
	}
	results := h.checkoutAll(carts, "k")
	sold := 0
	for i, r := range results {
		switch {
		case r.Order != nil && r.Order.Status == "PAID":
			for _, l := range r.Order.Lines {
				sold += l.Quantity
			}
		case r.Order == nil && len(r.UserErrors) == 1 && r.UserErrors[0].Code == "OUT_OF_STOCK":
		default:
			t.Errorf("checkout %d ended neither paid nor cleanly out of stock: %+v", i, r)
		}
	}
	var left, lines, negative int
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT coalesce(sum(stock), 0), count(*) FILTER (WHERE stock < 0) FROM products WHERE id = ANY($1)`,
		ids(t, products)).Scan(&left, &negative); err != nil {
		t.Fatal(err)
	}
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT coalesce(sum(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.status = 'PAID'`).Scan(&lines); err != nil {
		t.Fatal(err)
	}
	t.Logf("sold %d units, %d left, order lines sum to %d", sold, left, lines)
	if left != 0 || negative != 0 || lines != 50 || sold != 50 {
		t.Errorf("sold %d, order lines %d, left %d, negative %d; want 50, 50, 0, 0", sold, lines, left, negative)
	}
}

func ids(t *testing.T, gids []string) []int64 {
	t.Helper()
	out := make([]int64, len(gids))
	for i, g := range gids {
		fmt.Sscan(dbID(t, g), &out[i])
	}
	return out
}
