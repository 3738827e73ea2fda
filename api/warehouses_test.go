package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/domain"
)

type warehousePayload struct {
	Warehouse *struct {
		ID, Code, Name    string
		ShipsTo           []string
		Priority          int
		IsDefault         bool
		Active            bool
		City, CountryCode *string
	}
	UserErrors []struct {
		Field   []string
		Message string
		Code    string
	}
}

const warehouseFields = `warehouse { id code name shipsTo priority isDefault active city countryCode } userErrors { field message code }`

func (h *harness) warehouse(op string, vars map[string]any) warehousePayload {
	h.t.Helper()
	q := map[string]string{
		"create": `mutation($in: WarehouseCreateInput!) { r: warehouseCreate(input: $in) { ` + warehouseFields + ` } }`,
		"update": `mutation($id: ID!, $in: WarehouseUpdateInput!) { r: warehouseUpdate(id: $id, input: $in) { ` + warehouseFields + ` } }`,
		"delete": `mutation($id: ID!, $to: ID) { r: warehouseDelete(id: $id, moveStockTo: $to) { ` + warehouseFields + ` } }`,
	}[op]
	var out map[string]warehousePayload
	h.data(q, vars, &out)
	return out["r"]
}

// newWarehouse creates a warehouse that must be accepted and returns its id.
func (h *harness) newWarehouse(in map[string]any) string {
	h.t.Helper()
	p := h.warehouse("create", map[string]any{"in": in})
	if p.Warehouse == nil || len(p.UserErrors) > 0 {
		h.t.Fatalf("warehouseCreate(%v): %+v", in, p)
	}
	return p.Warehouse.ID
}

type adjustPayload struct {
	Product    *struct{ AvailableQuantity int }
	UserErrors []struct {
		Field   []string
		Message string
		Code    string
	}
}

func (h *harness) adjustIn(productID, warehouseID string, delta int) adjustPayload {
	h.t.Helper()
	vars := map[string]any{"p": productID, "d": delta}
	if warehouseID != "" {
		vars["w"] = warehouseID
	}
	var out struct{ InventoryAdjust adjustPayload }
	h.data(`mutation($p: ID!, $d: Int!, $w: ID) { inventoryAdjust(productId: $p, delta: $d, reason: "count", warehouseId: $w) {
		product { availableQuantity } userErrors { field message code } } }`, vars, &out)
	return out.InventoryAdjust
}

// stocks returns what each warehouse (by code) holds of the product's only variant, as
// the admin sees it, and the variant's total.
func (h *harness) stocks(productID string) (map[string]int, int) {
	h.t.Helper()
	var out struct {
		Node struct {
			Variants []struct {
				AvailableQuantity int
				Stocks            []struct {
					Warehouse struct{ Code string }
					Quantity  int
				}
			}
		}
	}
	h.data(`query($id: ID!) { node(id: $id) { ... on Product { variants { availableQuantity stocks { warehouse { code } quantity } } } } }`,
		map[string]any{"id": productID}, &out)
	if len(out.Node.Variants) != 1 {
		h.t.Fatalf("product %s has %d variants", productID, len(out.Node.Variants))
	}
	got := map[string]int{}
	for _, s := range out.Node.Variants[0].Stocks {
		got[s.Warehouse.Code] = s.Quantity
	}
	return got, out.Node.Variants[0].AvailableQuantity
}

// freshProduct creates a product with one variant and no stock in any warehouse.
func (h *harness) freshProduct(name string) string {
	h.t.Helper()
	var out struct {
		ProductCreate struct {
			Product    *struct{ ID string }
			UserErrors []struct{ Message string }
		}
	}
	h.data(`mutation($in: ProductCreateInput!) { productCreate(input: $in) { product { id } userErrors { message } } }`,
		map[string]any{"in": map[string]any{"name": name, "description": "A test product.", "price": "10.00", "categoryId": h.categoryID("garden")}}, &out)
	if out.ProductCreate.Product == nil {
		h.t.Fatalf("productCreate: %+v", out.ProductCreate.UserErrors)
	}
	return out.ProductCreate.Product.ID
}

type allocatedOrder struct {
	Order *struct {
		ID     string
		Status string
		Lines  []struct {
			Quantity    int
			Allocations []struct {
				Warehouse        struct{ Code string }
				Quantity         int
				ReleasedQuantity int
			}
		}
	}
	UserErrors []struct {
		Field   []string
		Message string
		Code    string
	}
}

// buy checks out a cart of quantity units of the product to an address in country.
func (h *harness) buy(productID string, quantity int, country, key string) allocatedOrder {
	h.t.Helper()
	c := h.cartCreate(line(productID, quantity))
	if c.Cart == nil {
		h.t.Fatalf("cart: %+v", c.UserErrors)
	}
	addr := map[string]any{}
	for k, v := range address {
		addr[k] = v
	}
	addr["country"] = country
	in := map[string]any{"cartId": c.Cart.ID, "paymentMethod": "CARD", "shippingAddress": addr, "idempotencyKey": key}
	if h.token == "" {
		in["email"] = "warehouse-buyer@example.com"
	}
	var out struct{ Checkout allocatedOrder }
	h.data(`mutation($in: CheckoutInput!) { checkout(input: $in) { order { id status } userErrors { field message code } } }`,
		map[string]any{"in": in}, &out)
	return out.Checkout
}

// allocations returns an order's allocations as the admin sees them: "CODE:quantity" or
// "CODE:quantity-released" when some came back, line by line.
func (h *harness) allocations(orderID string) []string {
	h.t.Helper()
	var out struct{ Node allocatedOrderNode }
	h.data(`query($id: ID!) { node(id: $id) { ... on Order { status lines { quantity allocations { warehouse { code } quantity releasedQuantity } } } } }`,
		map[string]any{"id": orderID}, &out)
	var got []string
	for _, l := range out.Node.Lines {
		for _, a := range l.Allocations {
			s := fmt.Sprintf("%s:%d", a.Warehouse.Code, a.Quantity)
			if a.ReleasedQuantity > 0 {
				s += fmt.Sprintf("-%d", a.ReleasedQuantity)
			}
			got = append(got, s)
		}
	}
	return got
}

type allocatedOrderNode struct {
	Status string
	Lines  []struct {
		Quantity    int
		Allocations []struct {
			Warehouse        struct{ Code string }
			Quantity         int
			ReleasedQuantity int
		}
	}
}

// warehouseInvariants fails the test unless every variant's stock is the sum of its
// warehouses' and every product's the sum of its live variants'.
func (h *harness) warehouseInvariants() {
	h.t.Helper()
	var bad int
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM product_variants v WHERE
		v.stock <> (SELECT coalesce(sum(s.quantity), 0) FROM warehouse_stocks s WHERE s.variant_id = v.id)`).Scan(&bad); err != nil {
		h.t.Fatal(err)
	}
	if bad != 0 {
		h.t.Errorf("%d variants whose stock is not their warehouses' sum", bad)
	}
	h.rollupsHold()
}

// TestWarehouseAllocationRule checks the checkout's rule: the warehouses that ship to the
// address, in priority order; the whole line from the first that holds all of it, else
// split in that order; OUT_OF_STOCK naming what the eligible warehouses hold; and a
// cancellation puts the units back where they came from.
func TestWarehouseAllocationRule(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, _ := h.signedIn(domain.RoleAdmin)
	near := admin.newWarehouse(map[string]any{"code": "t-near", "name": "Near", "shipsTo": []string{"gb"}, "priority": -30, "countryCode": "gb", "city": "Leeds"})
	far := admin.newWarehouse(map[string]any{"code": "T-FAR", "name": "Far", "priority": -20})
	france := admin.newWarehouse(map[string]any{"code": "T-FR", "name": "France only", "shipsTo": []string{"FR"}, "priority": -40})
	p := admin.freshProduct("Allocation test lamp")
	for w, n := range map[string]int{near: 3, far: 5, france: 10} {
		if a := admin.adjustIn(p, w, n); a.Product == nil {
			t.Fatalf("adjust: %+v", a.UserErrors)
		}
	}
	if got, total := admin.stocks(p); total != 18 || got["T-NEAR"] != 3 || got["T-FAR"] != 5 || got["T-FR"] != 10 || got["MAIN"] != 0 {
		t.Fatalf("stocks %v total %d", got, total)
	}

	steps := []struct {
		name, country string
		quantity      int
		want          []string // allocations, or the user error's message
	}{
		{"whole line from the first eligible warehouse", "GB", 2, []string{"T-NEAR:2"}},
		{"whole line from the first that holds all of it", "GB", 4, []string{"T-FAR:4"}},
		{"split in priority order", "GB", 2, []string{"T-NEAR:1", "T-FAR:1"}},
		{"short: France's stock does not ship to GB", "GB", 1, []string{"only 0 units of a product in the cart are in stock"}},
		{"country decides", "FR", 3, []string{"T-FR:3"}},
	}
	orders := map[string]string{}
	for i, s := range steps {
		o := h.buy(p, s.quantity, s.country, fmt.Sprintf("alloc-%d", i))
		if o.Order == nil {
			if len(o.UserErrors) != 1 || o.UserErrors[0].Code != "OUT_OF_STOCK" || o.UserErrors[0].Message != s.want[0] {
				t.Errorf("%s: %+v", s.name, o.UserErrors)
			}
			continue
		}
		orders[s.name] = o.Order.ID
		if got := admin.allocations(o.Order.ID); strings.Join(got, " ") != strings.Join(s.want, " ") {
			t.Errorf("%s: allocations %v, want %v", s.name, got, s.want)
		}
	}
	if got, total := admin.stocks(p); total != 7 || got["T-NEAR"] != 0 || got["T-FAR"] != 0 || got["T-FR"] != 7 {
		t.Errorf("after the checkouts: stocks %v total %d", got, total)
	}

	// Cancelling the split order puts one unit back in each warehouse it came from.
	var cancel struct{ OrderCancel orderPayload }
	admin.data(`mutation($id: ID!) { orderCancel(orderId: $id, reason: "changed mind") { `+orderFields+` } }`,
		map[string]any{"id": orders["split in priority order"]}, &cancel)
	if cancel.OrderCancel.Order == nil || cancel.OrderCancel.Order.Status != "CANCELLED" {
		t.Fatalf("cancel: %+v", cancel.OrderCancel)
	}
	if got := admin.allocations(orders["split in priority order"]); strings.Join(got, " ") != "T-NEAR:1-1 T-FAR:1-1" {
		t.Errorf("allocations after the cancellation %v", got)
	}
	if got, total := admin.stocks(p); total != 9 || got["T-NEAR"] != 1 || got["T-FAR"] != 1 || got["T-FR"] != 7 {
		t.Errorf("after the cancellation: stocks %v total %d", got, total)
	}
	// The released events name the warehouses.
	rows, err := h.db.Pool.Query(context.Background(), `SELECT payload FROM outbox WHERE type = 'inventory.released' AND key = $1`, dbID(t, p))
	if err != nil {
		t.Fatal(err)
	}
	released := map[float64]float64{}
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		w, _ := d["warehouseId"].(float64)
		released[w] += d["delta"].(float64)
	}
	if len(released) != 2 {
		t.Errorf("released events by warehouse %v, want one unit to each of two", released)
	}

	// A return of a delivered order also goes back to its warehouse.
	fr := orders["country decides"]
	for _, m := range []string{
		`mutation($id: ID!) { orderShip(orderId: $id, carrier: "DHL", trackingNumber: "T1") { userErrors { code } } }`,
		`mutation($id: ID!) { orderDeliver(orderId: $id) { userErrors { code } } }`,
		`mutation($id: ID!) { orderReturn(orderId: $id, reason: "too bright") { userErrors { code } } }`,
	} {
		if r := admin.post(m, map[string]any{"id": fr}); len(r.Errors) > 0 || strings.Contains(string(r.Data), `"code"`) {
			t.Fatalf("%s: %s %+v", m, r.Data, r.Errors)
		}
	}
	if got, total := admin.stocks(p); total != 12 || got["T-FR"] != 10 {
		t.Errorf("after the return: stocks %v total %d", got, total)
	}
	h.warehouseInvariants()
}

// TestWarehouseOrdersBeforeWarehousesReleaseToDefault: an order line without allocations
// (placed before migration 00022) gives its units to the default warehouse when cancelled.
func TestWarehouseOrdersBeforeWarehousesReleaseToDefault(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, _ := h.signedIn(domain.RoleAdmin)
	p := admin.freshProduct("Legacy order lamp")
	if a := admin.adjustIn(p, "", 4); a.Product == nil || a.Product.AvailableQuantity != 4 {
		t.Fatalf("adjust in the default: %+v", a)
	}
	o := h.buy(p, 3, "IN", "legacy")
	if o.Order == nil {
		t.Fatalf("checkout: %+v", o.UserErrors)
	}
	// What an order placed before warehouses existed looks like.
	if _, err := h.db.Pool.Exec(context.Background(), `DELETE FROM order_line_allocations WHERE order_id = $1`, dbID(t, o.Order.ID)); err != nil {
		t.Fatal(err)
	}
	if got := admin.allocations(o.Order.ID); len(got) != 0 {
		t.Fatalf("allocations %v", got)
	}
	var cancel struct{ OrderCancel orderPayload }
	admin.data(`mutation($id: ID!) { orderCancel(orderId: $id, reason: "old order") { `+orderFields+` } }`, map[string]any{"id": o.Order.ID}, &cancel)
	if cancel.OrderCancel.Order == nil {
		t.Fatalf("cancel: %+v", cancel.OrderCancel.UserErrors)
	}
	if got, total := admin.stocks(p); total != 4 || got["MAIN"] != 4 {
		t.Errorf("stocks %v total %d, want all 4 back in MAIN", got, total)
	}
	h.warehouseInvariants()
}

// TestWarehouseAdmin covers the admin's warehouse mutations and per-warehouse
// adjustments, with the user errors of bad input leaving everything as it was.
func TestWarehouseAdmin(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, _ := h.signedIn(domain.RoleAdmin)
	listed := func(retired bool) []string {
		var out struct{ Warehouses []struct{ Code string } }
		admin.data(`query($r: Boolean) { warehouses(includeRetired: $r) { code } }`, map[string]any{"r": retired}, &out)
		var codes []string
		for _, w := range out.Warehouses {
			codes = append(codes, w.Code)
		}
		return codes
	}
	// The demo shop's warehouses, in allocation order.
	if got := strings.Join(listed(false), " "); got != "EU-BER US-AUS MAIN" {
		t.Fatalf("seeded warehouses %q", got)
	}
	count := func() int { return h.countRows(`SELECT count(*) FROM warehouses`) }
	before := count()
	for _, bad := range []struct {
		in    map[string]any
		field string
		code  string
	}{
		{map[string]any{"code": "main", "name": "Dup"}, "code", "CONFLICT"},
		{map[string]any{"code": "", "name": "No code"}, "code", "BAD_USER_INPUT"},
		{map[string]any{"code": "BAD CODE", "name": "Space"}, "code", "BAD_USER_INPUT"},
		{map[string]any{"code": "OK1", "name": " "}, "name", "BAD_USER_INPUT"},
		{map[string]any{"code": "OK2", "name": "Bad ship", "shipsTo": []string{"GBR"}}, "shipsTo", "BAD_USER_INPUT"},
		{map[string]any{"code": "OK3", "name": "Bad country", "countryCode": "X"}, "countryCode", "BAD_USER_INPUT"},
	} {
		p := admin.warehouse("create", map[string]any{"in": bad.in})
		if p.Warehouse != nil || len(p.UserErrors) != 1 || p.UserErrors[0].Code != bad.code ||
			strings.Join(p.UserErrors[0].Field, ".") != "input."+bad.field {
			t.Errorf("create(%v): %+v", bad.in, p)
		}
	}
	if count() != before {
		t.Fatalf("bad input created warehouses")
	}

	west := admin.newWarehouse(map[string]any{"code": "west", "name": "West", "shipsTo": []string{"us", "CA", "us"}, "priority": 5})
	up := admin.warehouse("update", map[string]any{"id": west, "in": map[string]any{"name": "West coast", "shipsTo": []string{}, "priority": 1}})
	if up.Warehouse == nil || up.Warehouse.Name != "West coast" || len(up.Warehouse.ShipsTo) != 0 || up.Warehouse.Priority != 1 || up.Warehouse.Code != "WEST" {
		t.Fatalf("update: %+v", up)
	}
	if p := admin.warehouse("update", map[string]any{"id": west, "in": map[string]any{"code": "EU-BER"}}); p.Warehouse != nil || len(p.UserErrors) != 1 || p.UserErrors[0].Code != "CONFLICT" {
		t.Errorf("update to a taken code: %+v", p)
	}
	main := ""
	var ws struct{ Warehouses []struct{ ID, Code string } }
	admin.data(`{ warehouses { id code } }`, nil, &ws)
	for _, w := range ws.Warehouses {
		if w.Code == "MAIN" {
			main = w.ID
		}
	}
	if p := admin.warehouse("update", map[string]any{"id": main, "in": map[string]any{"isDefault": false}}); p.Warehouse != nil || len(p.UserErrors) != 1 {
		t.Errorf("the default stopped being it: %+v", p)
	}

	// Adjustments per warehouse; without a warehouse, the default's stock changes.
	p := admin.freshProduct("Adjusted lamp")
	for _, a := range []struct {
		warehouse string
		delta     int
	}{{west, 7}, {"", 2}} {
		if r := admin.adjustIn(p, a.warehouse, a.delta); r.Product == nil || len(r.UserErrors) > 0 {
			t.Fatalf("adjust %+v: %+v", a, r)
		}
	}
	if got, total := admin.stocks(p); total != 9 || got["WEST"] != 7 || got["MAIN"] != 2 || got["EU-BER"] != 0 {
		t.Fatalf("stocks %v total %d", got, total)
	}
	events := h.countRows(`SELECT count(*) FROM outbox WHERE key = $1 AND type LIKE 'inventory.%'`, dbID(t, p))
	for _, bad := range []struct {
		warehouse string
		delta     int
		field     string
	}{
		{west, -8, "delta"},                          // only 7 there, though the total is 9
		{gid("Warehouse", 999999), 1, "warehouseId"}, // unknown
		{gid("Product", 1), 1, "warehouseId"},        // not a warehouse id
	} {
		r := admin.adjustIn(p, bad.warehouse, bad.delta)
		if r.Product != nil || len(r.UserErrors) != 1 || strings.Join(r.UserErrors[0].Field, ".") != bad.field {
			t.Errorf("adjust %+v: %+v", bad, r)
		}
	}
	if got, total := admin.stocks(p); total != 9 || got["WEST"] != 7 || got["MAIN"] != 2 {
		t.Errorf("bad adjustments changed stock: %v total %d", got, total)
	}
	if n := h.countRows(`SELECT count(*) FROM outbox WHERE key = $1 AND type LIKE 'inventory.%'`, dbID(t, p)); n != events {
		t.Errorf("bad adjustments wrote %d events", n-events)
	}
	var wid int64
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT (payload->>'warehouseId')::bigint FROM outbox WHERE key = $1 AND type = 'inventory.adjusted' ORDER BY position LIMIT 1`,
		dbID(t, p)).Scan(&wid); err != nil || gid("Warehouse", wid) != west {
		t.Errorf("inventory.adjusted names warehouse %d (%v), want %s", wid, err, west)
	}

	// Retirement: not the default; not with stock unless it moves; moved stock keeps the total.
	if r := admin.warehouse("delete", map[string]any{"id": main}); r.Warehouse != nil || len(r.UserErrors) != 1 || r.UserErrors[0].Code != "DEFAULT_WAREHOUSE" {
		t.Errorf("retire the default: %+v", r)
	}
	if r := admin.warehouse("delete", map[string]any{"id": west}); r.Warehouse != nil || len(r.UserErrors) != 1 || r.UserErrors[0].Code != "WAREHOUSE_NOT_EMPTY" {
		t.Errorf("retire with stock: %+v", r)
	}
	if r := admin.warehouse("delete", map[string]any{"id": west, "to": west}); r.Warehouse != nil || len(r.UserErrors) != 1 {
		t.Errorf("move to itself: %+v", r)
	}
	r := admin.warehouse("delete", map[string]any{"id": west, "to": main})
	if r.Warehouse == nil || r.Warehouse.Active || len(r.UserErrors) > 0 {
		t.Fatalf("retire moving stock: %+v", r)
	}
	if got, total := admin.stocks(p); total != 9 || got["MAIN"] != 9 || got["WEST"] != 0 {
		t.Errorf("after the move: stocks %v total %d", got, total)
	}
	if got := strings.Join(listed(false), " "); strings.Contains(got, "WEST") {
		t.Errorf("a retired warehouse is listed: %s", got)
	}
	if got := strings.Join(listed(true), " "); !strings.HasSuffix(got, "WEST") {
		t.Errorf("includeRetired: %s", got)
	}
	if a := admin.adjustIn(p, west, 1); a.Product != nil || len(a.UserErrors) != 1 || a.UserErrors[0].Code != "NOT_FOUND" {
		t.Errorf("adjust a retired warehouse: %+v", a)
	}
	if u := admin.warehouse("update", map[string]any{"id": west, "in": map[string]any{"name": "Back"}}); u.Warehouse != nil || len(u.UserErrors) != 1 {
		t.Errorf("update a retired warehouse: %+v", u)
	}
	// A new default takes the flag from the old one.
	north := admin.newWarehouse(map[string]any{"code": "NORTH", "name": "North", "isDefault": true})
	var def struct {
		Warehouses []struct {
			Code      string
			IsDefault bool
		}
	}
	admin.data(`{ warehouses { code isDefault } }`, nil, &def)
	var defaults []string
	for _, w := range def.Warehouses {
		if w.IsDefault {
			defaults = append(defaults, w.Code)
		}
	}
	if strings.Join(defaults, " ") != "NORTH" {
		t.Errorf("defaults %v", defaults)
	}
	if a := admin.adjustIn(p, "", 1); a.Product == nil {
		t.Fatalf("adjust: %+v", a)
	}
	if got, _ := admin.stocks(p); got["NORTH"] != 1 {
		t.Errorf("the new default did not receive the adjustment: %v", got)
	}
	// The node interface finds a warehouse for an admin.
	var node struct{ Node *struct{ Code string } }
	admin.data(`query($id: ID!) { node(id: $id) { ... on Warehouse { code } } }`, map[string]any{"id": north}, &node)
	if node.Node == nil || node.Node.Code != "NORTH" {
		t.Errorf("node: %+v", node.Node)
	}
	h.warehouseInvariants()
}

// TestWarehouseFieldsAreAdminOnly: customers and guests see neither stock per warehouse
// nor allocations, and cannot change warehouses.
func TestWarehouseFieldsAreAdminOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	customer, _ := h.signedIn(domain.RoleCustomer)
	p := h.stocked(1, 5)[0]
	o := customer.buy(p, 1, "GB", "mine")
	if o.Order == nil {
		t.Fatalf("checkout: %+v", o.UserErrors)
	}
	before := h.countRows(`SELECT count(*) FROM warehouses`)
	for who, x := range map[string]*harness{"guest": h, "customer": customer} {
		for name, q := range map[string]struct {
			q    string
			vars map[string]any
		}{
			"stocks":      {`query($id: ID!) { node(id: $id) { ... on Product { variants { stocks { quantity } } } } }`, map[string]any{"id": p}},
			"allocations": {`query($id: ID!) { order(id: $id) { lines { allocations { quantity } } } }`, map[string]any{"id": o.Order.ID}},
			"create":      {`mutation { warehouseCreate(input: {code: "SNEAK", name: "Sneak"}) { warehouse { id } } }`, nil},
		} {
			r := x.post(q.q, q.vars)
			if who == "guest" && name == "allocations" && string(r.Data) == `{"order":null}` {
				continue // a guest does not see the order at all
			}
			if c := r.code(); c != "FORBIDDEN" && c != "UNAUTHENTICATED" {
				t.Errorf("%s %s: %s %+v", who, name, r.Data, r.Errors)
			}
			if strings.Contains(string(r.Data), `"quantity":`) {
				t.Errorf("%s %s leaked: %s", who, name, r.Data)
			}
		}
	}
	if h.countRows(`SELECT count(*) FROM warehouses`) != before {
		t.Errorf("a warehouse was created")
	}
}

// TestNoOversellAcrossWarehouses runs 120 concurrent checkouts over two variants whose
// stock is spread over three warehouses, one of which does not ship to the buyers: each
// variant sells exactly what the eligible warehouses hold, no warehouse goes below zero,
// the allocations account for every unit, and the totals stay the warehouses' sums.
// Carts holding both variants lock both in the same order as carts holding one, so no
// checkout deadlocks.
func TestNoOversellAcrossWarehouses(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, _ := h.signedIn(domain.RoleAdmin)
	a := admin.newWarehouse(map[string]any{"code": "RACE-A", "name": "A", "priority": -3, "shipsTo": []string{"GB"}})
	b := admin.newWarehouse(map[string]any{"code": "RACE-B", "name": "B", "priority": -2})
	fr := admin.newWarehouse(map[string]any{"code": "RACE-FR", "name": "FR", "priority": -9, "shipsTo": []string{"FR"}})
	prod := h.catalogProduct(h.multiVariant(2))
	vs := prod.Variants[:2]
	// Empty every variant of the product, then place the test's stock.
	if _, err := h.db.Pool.Exec(context.Background(), `UPDATE product_variants SET stock = 0 WHERE product_id = $1`, dbID(t, prod.ID)); err != nil {
		t.Fatal(err)
	}
	placed := map[string]map[string]int{vs[0].ID: {a: 3, b: 4, fr: 6}, vs[1].ID: {a: 5, b: 2, fr: 6}}
	for v, byWarehouse := range placed {
		for w, n := range byWarehouse {
			var out struct{ InventoryAdjust adjustPayload }
			admin.data(`mutation($p: ID!, $v: ID!, $w: ID!, $d: Int!) { inventoryAdjust(productId: $p, variantId: $v, warehouseId: $w, delta: $d, reason: "race") {
				product { availableQuantity } userErrors { field message code } } }`, map[string]any{"p": prod.ID, "v": v, "w": w, "d": n}, &out)
			if out.InventoryAdjust.Product == nil {
				t.Fatalf("adjust: %+v", out.InventoryAdjust.UserErrors)
			}
		}
	}
	carts := make([]string, 120)
	for i := range carts {
		var lines []map[string]any
		switch i % 3 {
		case 0:
			lines = []map[string]any{{"productId": prod.ID, "variantId": vs[0].ID, "quantity": 1}}
		case 1:
			lines = []map[string]any{{"productId": prod.ID, "variantId": vs[1].ID, "quantity": 1}}
		default:
			lines = []map[string]any{{"productId": prod.ID, "variantId": vs[1].ID, "quantity": 1}, {"productId": prod.ID, "variantId": vs[0].ID, "quantity": 1}}
		}
		c := h.cartCreate(lines...)
		if c.Cart == nil {
			t.Fatalf("cart %d: %+v", i, c.UserErrors)
		}
		carts[i] = c.Cart.ID
	}
	results := h.checkoutAll(carts, "w")
	sold := map[string]int{}
	for i, r := range results {
		switch {
		case r.Order != nil && r.Order.Status == "PAID":
			switch i % 3 {
			case 0:
				sold[vs[0].ID]++
			case 1:
				sold[vs[1].ID]++
			default:
				sold[vs[0].ID]++
				sold[vs[1].ID]++
			}
		case r.Order == nil && len(r.UserErrors) == 1 && r.UserErrors[0].Code == "OUT_OF_STOCK":
		default:
			t.Errorf("checkout %d ended neither paid nor cleanly out of stock: %+v", i, r)
		}
	}
	t.Logf("sold per variant %v", sold)
	// 40 carts want each variant alone, far more than the 7 units GB can get of either.
	for _, v := range vs {
		if sold[v.ID] != 7 {
			t.Errorf("variant %s sold %d, want the 7 units A and B hold", v.Title, sold[v.ID])
		}
	}
	for _, v := range vs {
		var negative, inA, inB, inFR, total, allocated int
		if err := h.db.Pool.QueryRow(context.Background(), `SELECT
				count(*) FILTER (WHERE s.quantity < 0),
				coalesce(sum(s.quantity) FILTER (WHERE w.code = 'RACE-A'), 0),
				coalesce(sum(s.quantity) FILTER (WHERE w.code = 'RACE-B'), 0),
				coalesce(sum(s.quantity) FILTER (WHERE w.code = 'RACE-FR'), 0),
				(SELECT stock FROM product_variants WHERE id = $1),
				(SELECT coalesce(sum(a.quantity - a.released), 0) FROM order_line_allocations a JOIN order_lines l USING (order_id, line_no) WHERE l.variant_id = $1)
			FROM warehouse_stocks s JOIN warehouses w ON w.id = s.warehouse_id WHERE s.variant_id = $1`, dbID(t, v.ID)).
			Scan(&negative, &inA, &inB, &inFR, &total, &allocated); err != nil {
			t.Fatal(err)
		}
		if negative != 0 || inA != 0 || inB != 0 || inFR != 6 || total != 6 || allocated != 7 {
			t.Errorf("variant %s: negative %d, A %d, B %d, FR %d, total %d, allocated %d; want 0, 0, 0, 6, 6, 7",
				v.Title, negative, inA, inB, inFR, total, allocated)
		}
	}
	h.warehouseInvariants()
}

// TestWarehouseFieldsBatch: stock per warehouse and allocations cost a statement a level
// whatever the number of variants or orders (dataloaders).
func TestWarehouseFieldsBatch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *app.Config) { c.LoaderWait = 500 * time.Millisecond })
	admin, _ := h.signedIn(domain.RoleAdmin)
	stocksQ := `query($n: Int) { products(first: $n) { nodes { variants { stocks { warehouse { code } quantity } } } } }`
	count := func(q string, vars map[string]any) int64 {
		var out any
		h.counter.Reset()
		admin.data(q, vars, &out)
		return h.counter.Count()
	}
	small, large := count(stocksQ, map[string]any{"n": 2}), count(stocksQ, map[string]any{"n": 20})
	t.Logf("stocks: %d statements for 2 products, %d for 20", small, large)
	if small != large {
		t.Errorf("stock per warehouse costs %d statements for 2 products and %d for 20", small, large)
	}
	for i, p := range h.stocked(3, 5) {
		if o := h.buy(p, 1, "GB", fmt.Sprintf("batch-%d", i)); o.Order == nil {
			t.Fatalf("checkout: %+v", o.UserErrors)
		}
	}
	allocQ := `query($n: Int) { orders(first: $n) { nodes { lines { allocations { warehouse { code } quantity } } } } }`
	small, large = count(allocQ, map[string]any{"n": 1}), count(allocQ, map[string]any{"n": 3})
	t.Logf("allocations: %d statements for 1 order, %d for 3", small, large)
	if small != large {
		t.Errorf("allocations cost %d statements for 1 order and %d for 3", small, large)
	}
}

// TestWarehouseWritesDoNotDeadlock runs checkouts (of one variant, or two in either
// order), admin adjustments in every warehouse, cancellations and variant price changes of
// one product at once: every stock change locks products, variants and stock rows in the
// same order, so none fails (a deadlock would surface as an internal error), and the
// totals stay the warehouses' sums.
func TestWarehouseWritesDoNotDeadlock(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, _ := h.signedIn(domain.RoleAdmin)
	ws := []string{
		admin.newWarehouse(map[string]any{"code": "DL-A", "name": "A", "priority": -3}),
		admin.newWarehouse(map[string]any{"code": "DL-B", "name": "B", "priority": -2, "shipsTo": []string{"GB"}}),
	}
	prod := h.catalogProduct(h.multiVariant(2))
	vs := prod.Variants[:2]
	adjust := func(x *harness, v, w string, d int) gqlResponse {
		return x.post(`mutation($p: ID!, $v: ID!, $w: ID, $d: Int!) { inventoryAdjust(productId: $p, variantId: $v, warehouseId: $w, delta: $d, reason: "dl") {
			product { id } userErrors { code } } }`, map[string]any{"p": prod.ID, "v": v, "w": orNil(w), "d": d})
	}
	for _, v := range vs {
		for _, w := range ws {
			if r := adjust(admin, v.ID, w, 10); len(r.Errors) > 0 || strings.Contains(string(r.Data), `"code"`) {
				t.Fatalf("adjust: %s %+v", r.Data, r.Errors)
			}
		}
	}
	lines := func(i int) []map[string]any {
		a := map[string]any{"productId": prod.ID, "variantId": vs[0].ID, "quantity": 1}
		b := map[string]any{"productId": prod.ID, "variantId": vs[1].ID, "quantity": 1}
		return [][]map[string]any{{a}, {b}, {a, b}, {b, a}}[i%4]
	}
	// Orders to cancel while the rest goes on.
	var placed []string
	for i := range 8 {
		c := h.cartCreate(lines(i)...)
		o := h.checkout(c.Cart.ID, fmt.Sprintf("dl-pre-%d", i), nil)
		if o.Order == nil {
			t.Fatalf("checkout: %+v", o.UserErrors)
		}
		placed = append(placed, o.Order.ID)
	}
	carts := make([]string, 40)
	for i := range carts {
		carts[i] = h.cartCreate(lines(i)...).Cart.ID
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	for i, c := range carts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := h.checkout(c, fmt.Sprintf("dl-%d", i), nil); r.Order == nil && (len(r.UserErrors) != 1 || r.UserErrors[0].Code != "OUT_OF_STOCK") {
				fail("checkout %d: %+v", i, r.UserErrors)
			}
		}()
	}
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := ""
			if i%3 < 2 {
				w = ws[i%3]
			}
			if r := adjust(admin, vs[i%2].ID, w, 1); len(r.Errors) > 0 || strings.Contains(string(r.Data), `"code"`) {
				fail("adjust %d: %s %+v", i, r.Data, r.Errors)
			}
		}()
	}
	for i, id := range placed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := admin.post(`mutation($id: ID!) { orderCancel(orderId: $id, reason: "dl") { order { status } userErrors { code } } }`, map[string]any{"id": id})
			if len(r.Errors) > 0 || !strings.Contains(string(r.Data), "CANCELLED") {
				fail("cancel %d: %s %+v", i, r.Data, r.Errors)
			}
		}()
	}
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := admin.post(`mutation($p: ID!, $v: [ProductVariantUpdateInput!]!) { productVariantsUpdate(productId: $p, variants: $v) { userErrors { code } } }`,
				map[string]any{"p": prod.ID, "v": []map[string]any{{"id": vs[i%2].ID, "price": fmt.Sprintf("%d.00", 20+i)}}})
			if len(r.Errors) > 0 || strings.Contains(string(r.Data), `"code"`) {
				fail("price change %d: %s %+v", i, r.Data, r.Errors)
			}
		}()
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	h.warehouseInvariants()
}

// orNil is nil for "" (an omitted argument) and s otherwise.
func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}
