package api_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/shopgraph/shopgraph/domain"
)

type discountPayload struct {
	Discount *struct {
		ID, Title string
		Code      *string
		UsedCount int
	}
	UserErrors []struct {
		Field   []string
		Message string
		Code    string
	}
}

func (h *harness) discountCreate(in map[string]any) discountPayload {
	h.t.Helper()
	var out struct{ DiscountCreate discountPayload }
	h.data(`mutation($in: DiscountCreateInput!) { discountCreate(input: $in) { discount { id title code usedCount } userErrors { field message code } } }`,
		map[string]any{"in": in}, &out)
	return out.DiscountCreate
}

type costView struct {
	ID            string
	DiscountCodes []struct {
		Code       string
		Applicable bool
	}
	Cost struct {
		SubtotalAmount, TotalDiscountAmount, ShippingAmount, TotalAmount struct{ Amount string }
		Discounts                                                        []struct {
			Title  string
			Code   *string
			Amount struct{ Amount string }
		}
	}
}

const costFields = `id discountCodes { code applicable } cost { subtotalAmount { amount } totalDiscountAmount { amount } shippingAmount { amount } totalAmount { amount } discounts { title code amount { amount } } }`

func (h *harness) setCodes(cartID string, codes ...string) (costView, []string) {
	h.t.Helper()
	var out struct {
		CartDiscountCodesUpdate struct {
			Cart       *costView
			UserErrors []struct{ Code string }
		}
	}
	h.data(`mutation($c: ID!, $d: [String!]!) { cartDiscountCodesUpdate(cartId: $c, discountCodes: $d) { cart { `+costFields+` } userErrors { code } } }`,
		map[string]any{"c": cartID, "d": codes}, &out)
	var errs []string
	for _, e := range out.CartDiscountCodesUpdate.UserErrors {
		errs = append(errs, e.Code)
	}
	if out.CartDiscountCodesUpdate.Cart == nil {
		return costView{}, errs
	}
	return *out.CartDiscountCodesUpdate.Cart, errs
}

// pricedProduct returns a single-variant product with plenty of stock and its price.
func (h *harness) pricedProduct(stock int) (string, int64) {
	h.t.Helper()
	p := h.stocked(1, 1)[0]
	var price int64
	if err := h.db.Pool.QueryRow(context.Background(), `UPDATE product_variants SET stock = $2 WHERE product_id = $1 RETURNING price_minor`,
		dbID(h.t, p), stock).Scan(&price); err != nil {
		h.t.Fatal(err)
	}
	return p, price
}

func TestDiscountCodeShowsOnCartAndIsCharged(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, _ := h.signedIn(domain.RoleAdmin)
	if d := admin.discountCreate(map[string]any{"code": "save10", "title": "Ten off", "kind": "PERCENTAGE", "value": "10"}); d.Discount == nil || *d.Discount.Code != "SAVE10" {
		t.Fatalf("discountCreate: %+v", d)
	}
	for _, bad := range []struct {
		in    map[string]any
		field string
	}{
		{map[string]any{"code": "SAVE10", "title": "Again", "kind": "FIXED_AMOUNT", "value": "1"}, "code"},
		{map[string]any{"code": "HUGE", "title": "Too much", "kind": "PERCENTAGE", "value": "150"}, "value"},
		{map[string]any{"code": "has space", "title": "Bad", "kind": "PERCENTAGE", "value": "5"}, "code"},
		{map[string]any{"title": "", "kind": "PERCENTAGE", "value": "5"}, "title"},
	} {
		d := admin.discountCreate(bad.in)
		if d.Discount != nil || len(d.UserErrors) == 0 || d.UserErrors[0].Field[len(d.UserErrors[0].Field)-1] != bad.field {
			t.Errorf("discountCreate(%v): %+v, want an error on %s", bad.in, d, bad.field)
		}
	}
	if r := h.post(`mutation { discountCreate(input: {title: "x", kind: FIXED_AMOUNT, value: "1"}) { discount { id } } }`, nil); r.code() != "UNAUTHENTICATED" && r.code() != "FORBIDDEN" {
		t.Errorf("a guest created a discount: %+v", r)
	}

	p, price := h.pricedProduct(50)
	c := h.cartCreate(line(p, 2))
	view, errs := h.setCodes(c.Cart.ID, " save10", "nope")
	if len(errs) != 0 {
		t.Fatalf("cartDiscountCodesUpdate: %v", errs)
	}
	want := (2*price*1000 + 5000) / 10000
	t.Logf("2 × %s, 10 %% off: %s, cost %+v", domain.FormatMinor(price), domain.FormatMinor(want), view.Cost)
	if len(view.DiscountCodes) != 2 || !view.DiscountCodes[0].Applicable || view.DiscountCodes[0].Code != "SAVE10" || view.DiscountCodes[1].Applicable {
		t.Errorf("discountCodes %+v", view.DiscountCodes)
	}
	if view.Cost.SubtotalAmount.Amount != domain.FormatMinor(2*price) || view.Cost.TotalDiscountAmount.Amount != domain.FormatMinor(want) ||
		view.Cost.TotalAmount.Amount != domain.FormatMinor(2*price-want) || len(view.Cost.Discounts) != 1 {
		t.Errorf("cost %+v", view.Cost)
	}
	if _, errs := h.setCodes(c.Cart.ID, "A", "B", "C", "D", "E", "F"); len(errs) != 1 || errs[0] != "BAD_USER_INPUT" {
		t.Errorf("six codes: %v", errs)
	}

	var out struct {
		Checkout struct {
			Order *struct {
				Status                                   string
				Subtotal, DiscountAmount, ShippingAmount struct{ Amount string }
				Total                                    struct{ Amount string }
				Discounts                                []struct{ Code *string }
			}
			UserErrors []struct{ Code string }
		}
	}
	h.data(`mutation($in: CheckoutInput!) { checkout(input: $in) { order { status subtotal { amount } discountAmount { amount } shippingAmount { amount } total { amount } discounts { code } } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"cartId": c.Cart.ID, "paymentMethod": "CARD", "shippingAddress": address, "idempotencyKey": "k1", "email": "g@example.com"}}, &out)
	o := out.Checkout.Order
	if o == nil || o.Status != "PAID" || o.Total.Amount != view.Cost.TotalAmount.Amount || o.DiscountAmount.Amount != domain.FormatMinor(want) ||
		len(o.Discounts) != 1 || *o.Discounts[0].Code != "SAVE10" {
		t.Fatalf("checkout: %+v", out.Checkout)
	}
	var used int
	var charged int64
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT used_count FROM discounts WHERE code = 'SAVE10'`).Scan(&used); err != nil || used != 1 {
		t.Errorf("used_count %d, want 1 (%v)", used, err)
	}
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT total_minor FROM orders`).Scan(&charged); err != nil || charged != 2*price-want {
		t.Errorf("total_minor %d, want %d (%v)", charged, 2*price-want, err)
	}
}

// TestDiscountLimitUnderConcurrency runs N concurrent checkouts with a code limited to K
// uses: exactly K orders get it, the others fail cleanly and buy nothing.
func TestDiscountLimitUnderConcurrency(t *testing.T) {
	t.Parallel()
	const n, k = 16, 5
	h := newHarness(t)
	admin, _ := h.signedIn(domain.RoleAdmin)
	if d := admin.discountCreate(map[string]any{"code": "FIRST5", "title": "First five", "kind": "FIXED_AMOUNT", "value": "1.00", "usageLimit": k}); d.Discount == nil {
		t.Fatalf("discountCreate: %+v", d)
	}
	p, _ := h.pricedProduct(1000)
	before := h.stock(p)
	carts := make([]string, n)
	for i := range carts {
		carts[i] = h.cartCreate(line(p, 1)).Cart.ID
	}
	var wg sync.WaitGroup
	results := make([]orderPayload, n)
	for i, id := range carts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = h.checkout(id, fmt.Sprintf("k-%d", i), map[string]any{"discountCodes": []string{"first5"}})
		}()
	}
	wg.Wait()
	paid, refused := 0, 0
	for i, r := range results {
		switch {
		case r.Order != nil && r.Order.Status == "PAID":
			paid++
		case r.Order == nil && len(r.UserErrors) == 1 && r.UserErrors[0].Code == "DISCOUNT_LIMIT_REACHED":
			refused++
		default:
			t.Errorf("checkout %d: %+v", i, r)
		}
	}
	var used, uses int
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT used_count, (SELECT count(*) FROM order_discounts) FROM discounts WHERE code = 'FIRST5'`).Scan(&used, &uses); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d checkouts, limit %d: %d paid, %d refused, used_count %d, order discounts %d", n, k, paid, refused, used, uses)
	if paid != k || refused != n-k || used != k || uses != k {
		t.Errorf("paid %d refused %d used %d order discounts %d; want %d, %d, %d, %d", paid, refused, used, uses, k, n-k, k, k)
	}
	if got := h.stock(p); got != before-k {
		t.Errorf("stock %d, want %d: refused checkouts must reserve nothing", got, before-k)
	}
}

// TestDiscountPerCustomerLimit lets a customer use a code once; cancelling the order
// gives the use back.
func TestDiscountPerCustomerLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, _ := h.signedIn(domain.RoleAdmin)
	if d := admin.discountCreate(map[string]any{"code": "ONCE", "title": "Once each", "kind": "PERCENTAGE", "value": "5", "perCustomerLimit": 1}); d.Discount == nil {
		t.Fatalf("discountCreate: %+v", d)
	}
	p, _ := h.pricedProduct(100)
	customer, _ := h.signedIn(domain.RoleCustomer)
	buy := func(key string) orderPayload {
		c := customer.cartCreate(line(p, 1))
		if _, errs := customer.setCodes(c.Cart.ID, "ONCE"); len(errs) != 0 {
			t.Fatalf("codes: %v", errs)
		}
		return customer.checkout(c.Cart.ID, key, nil)
	}
	first := buy("a")
	if first.Order == nil || first.Order.Status != "PAID" {
		t.Fatalf("first: %+v", first)
	}
	second := buy("b")
	if second.Order != nil || len(second.UserErrors) != 1 || second.UserErrors[0].Code != "DISCOUNT_LIMIT_REACHED" {
		t.Fatalf("second: %+v", second)
	}
	var out struct{ OrderCancel orderPayload }
	customer.data(`mutation($id: ID!) { orderCancel(orderId: $id, reason: "changed my mind") { `+orderFields+` } }`, map[string]any{"id": first.Order.ID}, &out)
	if out.OrderCancel.Order == nil || out.OrderCancel.Order.Status != "CANCELLED" {
		t.Fatalf("cancel: %+v", out.OrderCancel)
	}
	if third := buy("c"); third.Order == nil || third.Order.Status != "PAID" {
		t.Fatalf("after cancelling, the code is usable again: %+v", third)
	}
	var used int
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT used_count FROM discounts WHERE code = 'ONCE'`).Scan(&used); err != nil || used != 1 {
		t.Errorf("used_count %d, want 1 (%v)", used, err)
	}
}
