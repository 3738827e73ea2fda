package api_test

import (
	"testing"

	"github.com/shopgraph/shopgraph/domain"
)

type shippingPayload struct {
	ShippingMethod *struct{ ID, Name string }
	UserErrors     []struct {
		Field []string
		Code  string
	}
}

func (h *harness) shippingMethod(op string, vars map[string]any) shippingPayload {
	h.t.Helper()
	var out map[string]shippingPayload
	q := map[string]string{
		"create": `mutation($in: ShippingMethodInput!) { r: shippingMethodCreate(input: $in) { shippingMethod { id name } userErrors { field code } } }`,
		"update": `mutation($id: ID!, $in: ShippingMethodInput!) { r: shippingMethodUpdate(id: $id, input: $in) { shippingMethod { id name } userErrors { field code } } }`,
		"delete": `mutation($id: ID!) { r: shippingMethodDelete(id: $id) { shippingMethod { id name } userErrors { field code } } }`,
	}[op]
	h.data(q, vars, &out)
	return out["r"]
}

type shippingCheckout struct {
	Order *struct {
		Status                          string
		Subtotal, ShippingAmount, Total struct{ Amount string }
		ShippingMethod                  *struct{ Name string }
	}
	UserErrors []struct {
		Field []string
		Code  string
	}
}

func (h *harness) checkoutTo(cartID, key, country string, methodID any) shippingCheckout {
	h.t.Helper()
	addr := map[string]any{}
	for k, v := range address {
		addr[k] = v
	}
	addr["country"] = country
	in := map[string]any{"cartId": cartID, "paymentMethod": "CARD", "shippingAddress": addr, "idempotencyKey": key, "email": "ship@example.com"}
	if methodID != nil {
		in["shippingMethodId"] = methodID
	}
	var out struct{ Checkout shippingCheckout }
	h.data(`mutation($in: CheckoutInput!) { checkout(input: $in) { order { status subtotal { amount } shippingAmount { amount } total { amount } shippingMethod { name } } userErrors { field code } } }`,
		map[string]any{"in": in}, &out)
	return out.Checkout
}

func TestShippingMethodsListedAndCharged(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, _ := h.signedIn(domain.RoleAdmin)
	standard := admin.shippingMethod("create", map[string]any{"in": map[string]any{"name": "Standard", "price": "4.99", "freeOver": "1000000",
		"countries": []string{"gb", "US"}, "minDeliveryDays": 3, "maxDeliveryDays": 5,
		"rates": []map[string]any{{"minimumSubtotal": "0.01", "price": "3.99"}}}})
	express := admin.shippingMethod("create", map[string]any{"in": map[string]any{"name": "Express", "price": "14.99", "minDeliveryDays": 1, "maxDeliveryDays": 2}})
	if standard.ShippingMethod == nil || express.ShippingMethod == nil {
		t.Fatalf("create: %+v %+v", standard, express)
	}
	for _, bad := range []map[string]any{
		{"name": "", "price": "1", "minDeliveryDays": 1, "maxDeliveryDays": 2},
		{"name": "Neg", "price": "-1", "minDeliveryDays": 1, "maxDeliveryDays": 2},
		{"name": "Bad country", "price": "1", "countries": []string{"GBR"}, "minDeliveryDays": 1, "maxDeliveryDays": 2},
		{"name": "Days", "price": "1", "minDeliveryDays": 5, "maxDeliveryDays": 2},
	} {
		if p := admin.shippingMethod("create", map[string]any{"in": bad}); p.ShippingMethod != nil || len(p.UserErrors) == 0 {
			t.Errorf("create(%v): %+v", bad, p)
		}
	}
	if r := h.post(`{ shippingMethods { id } }`, nil); r.code() != "UNAUTHENTICATED" && r.code() != "FORBIDDEN" {
		t.Errorf("a guest listed the methods: %+v", r)
	}

	p, price := h.pricedProduct(50)
	c := h.cartCreate(line(p, 1))
	options := func(country string) []string {
		var out struct {
			Cart struct {
				ShippingMethods []struct {
					Method struct{ Name string }
					Cost   struct{ Amount string }
				}
			}
		}
		h.data(`query($id: ID!, $c: String!) { cart(id: $id) { shippingMethods(countryCode: $c) { method { name } cost { amount } } } }`,
			map[string]any{"id": c.Cart.ID, "c": country}, &out)
		var got []string
		for _, o := range out.Cart.ShippingMethods {
			got = append(got, o.Method.Name+" "+o.Cost.Amount)
		}
		return got
	}
	// Standard's order-value rate (3.99 from 0.01) wins over its flat 4.99.
	if got := options("gb"); len(got) != 2 || got[0] != "Standard 3.99" || got[1] != "Express 14.99" {
		t.Errorf("GB options %v", got)
	}
	if got := options("FR"); len(got) != 1 || got[0] != "Express 14.99" {
		t.Errorf("FR options %v", got)
	}

	if o := h.checkoutTo(c.Cart.ID, "fr", "FR", standard.ShippingMethod.ID); o.Order != nil || len(o.UserErrors) != 1 || o.UserErrors[0].Code != "SHIPPING_METHOD_UNAVAILABLE" {
		t.Fatalf("Standard to FR: %+v", o)
	}
	before := h.stock(p)
	o := h.checkoutTo(c.Cart.ID, "gb", "GB", express.ShippingMethod.ID)
	if o.Order == nil || o.Order.Status != "PAID" || o.Order.ShippingAmount.Amount != "14.99" || o.Order.ShippingMethod == nil ||
		o.Order.ShippingMethod.Name != "Express" || o.Order.Total.Amount != domain.FormatMinor(price+1499) {
		t.Fatalf("Express to GB: %+v", o)
	}
	if h.stock(p) != before-1 {
		t.Errorf("stock %d, want %d", h.stock(p), before-1)
	}
	// Without a method the cheapest serving the address is charged.
	c2 := h.cartCreate(line(p, 1))
	if o := h.checkoutTo(c2.Cart.ID, "us", "US", nil); o.Order == nil || o.Order.ShippingAmount.Amount != "3.99" || o.Order.ShippingMethod.Name != "Standard" {
		t.Fatalf("default to US: %+v", o)
	}
	if u := admin.shippingMethod("update", map[string]any{"id": express.ShippingMethod.ID, "in": map[string]any{"name": "Express 24h", "price": "19.99", "minDeliveryDays": 1, "maxDeliveryDays": 1}}); u.ShippingMethod == nil || u.ShippingMethod.Name != "Express 24h" {
		t.Errorf("update: %+v", u)
	}
	if d := admin.shippingMethod("delete", map[string]any{"id": express.ShippingMethod.ID}); len(d.UserErrors) != 0 {
		t.Errorf("delete: %+v", d)
	}
	if d := admin.shippingMethod("delete", map[string]any{"id": express.ShippingMethod.ID}); len(d.UserErrors) != 1 || d.UserErrors[0].Code != "NOT_FOUND" {
		t.Errorf("second delete: %+v", d)
	}
	c3 := h.cartCreate(line(p, 1))
	if o := h.checkoutTo(c3.Cart.ID, "fr2", "FR", nil); o.Order != nil || len(o.UserErrors) != 1 || o.UserErrors[0].Code != "SHIPPING_METHOD_UNAVAILABLE" {
		t.Errorf("FR after Express retired: %+v", o)
	}
}
