package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/auth"
	"github.com/shopgraph/shopgraph/domain"
)

// publicRootFields are the root fields anyone may call. Every other root field must carry
// @auth or @hasRole, so a new field cannot be added without deciding who may use it.
var publicRootFields = map[string]bool{
	"Query.node": true, "Query.nodes": true, "Query.product": true, "Query.products": true,
	"Query.categories": true, "Query.category": true, "Query.me": true, "Query.cart": true,
	"Query.order": true, "Query.brands": true, "Query.attributes": true,
	"Mutation.register": true, "Mutation.login": true, "Mutation.refreshToken": true,
	"Mutation.cartCreate": true, "Mutation.cartLinesAdd": true, "Mutation.cartLinesUpdate": true,
	"Mutation.cartLinesRemove": true, "Mutation.checkout": true, "Mutation.trackEvents": true,
	"Mutation.cartDiscountCodesUpdate": true,
	"Subscription.orderStatusChanged":  true,
}

// adminFields are the fields API.md reserves for admins.
var adminFields = map[string]bool{
	"Query.orders": true, "Query.dashboard": true, "Query.lowStockProducts": true,
	"Mutation.productCreate": true, "Mutation.productUpdate": true, "Mutation.productDelete": true,
	"Mutation.inventoryAdjust": true, "Mutation.orderShip": true, "Mutation.orderDeliver": true,
	"Mutation.orderReturn": true, "Mutation.productVariantsCreate": true, "Mutation.productVariantsUpdate": true,
	"Mutation.productVariantsDelete": true, "Mutation.productMediaCreate": true, "Mutation.productMediaDelete": true,
	"Mutation.productMediaReorder": true, "Mutation.productAttributesSet": true, "Mutation.brandCreate": true,
	"Mutation.attributeCreate": true, "Mutation.reviewHide": true,
	"Mutation.discountCreate": true, "Query.shippingMethods": true, "Mutation.shippingMethodCreate": true,
	"Mutation.shippingMethodUpdate": true, "Mutation.shippingMethodDelete": true,
	"Mutation.orderEditLines": true, "Mutation.returnApprove": true, "Mutation.returnReject": true,
	"Query.warehouses": true, "Mutation.warehouseCreate": true, "Mutation.warehouseUpdate": true, "Mutation.warehouseDelete": true,
}

// adminObjectFields are the fields of other types reserved for admins: the schema must
// mark them @hasRole(role: ADMIN) (TestSchemaDirectives).
var adminObjectFields = map[string]bool{
	"ProductVariant.stocks": true, "OrderLine.allocations": true,
}

// TestSchemaDirectives walks the schema: admin fields carry @hasRole(role: ADMIN), and
// every non-public root field carries an access directive.
func TestSchemaDirectives(t *testing.T) {
	src, err := os.ReadFile("../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(src)})
	if gerr != nil {
		t.Fatal(gerr)
	}
	checked := 0
	for _, root := range []*ast.Definition{schema.Query, schema.Mutation, schema.Subscription} {
		if root == nil {
			continue
		}
		for _, f := range root.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			name := root.Name + "." + f.Name
			checked++
			hasRole := f.Directives.ForName("hasRole")
			if adminFields[name] {
				if hasRole == nil || hasRole.Arguments.ForName("role") == nil || hasRole.Arguments.ForName("role").Value.Raw != "ADMIN" {
					t.Errorf("%s is admin-only but lacks @hasRole(role: ADMIN)", name)
				}
				continue
			}
			if !publicRootFields[name] && hasRole == nil && f.Directives.ForName("auth") == nil {
				t.Errorf("%s has no @auth or @hasRole and is not in the public list", name)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("walked only %d root fields", checked)
	}
	for name := range adminObjectFields {
		typ, field, _ := strings.Cut(name, ".")
		def := schema.Types[typ]
		if def == nil || def.Fields.ForName(field) == nil {
			t.Errorf("%s is not in the schema", name)
			continue
		}
		hasRole := def.Fields.ForName(field).Directives.ForName("hasRole")
		if hasRole == nil || hasRole.Arguments.ForName("role") == nil || hasRole.Arguments.ForName("role").Value.Raw != "ADMIN" {
			t.Errorf("%s is admin-only but lacks @hasRole(role: ADMIN)", name)
		}
	}
}

// TestAdminFieldsRefused calls every admin field as a guest and as a customer.
func TestAdminFieldsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	customer, _ := h.signedIn(domain.RoleCustomer)
	pid := h.products(map[string]any{"first": 1}).Edges[0].Node.ID
	cat := h.categoryID("garden")
	calls := map[string]struct {
		q    string
		vars map[string]any
	}{
		"lowStockProducts": {`{ lowStockProducts { totalCount } }`, nil},
		"productCreate": {`mutation($c: ID!) { productCreate(input: {name: "X", price: "1.00", categoryId: $c}) { product { id } } }`,
			map[string]any{"c": cat}},
		"productUpdate":   {`mutation($id: ID!) { productUpdate(id: $id, input: {price: "0.01"}) { product { id } } }`, map[string]any{"id": pid}},
		"productDelete":   {`mutation($id: ID!) { productDelete(id: $id) { product { id } } }`, map[string]any{"id": pid}},
		"inventoryAdjust": {`mutation($id: ID!) { inventoryAdjust(productId: $id, delta: -1, reason: "x") { product { id } } }`, map[string]any{"id": pid}},
		"inventoryAdjust in a warehouse": {`mutation($id: ID!, $w: ID!) { inventoryAdjust(productId: $id, delta: 5, reason: "x", warehouseId: $w) { product { id } } }`,
			map[string]any{"id": pid, "w": gid("Warehouse", 1)}},
		"warehouses":      {`{ warehouses { id code } }`, nil},
		"warehouseCreate": {`mutation { warehouseCreate(input: {code: "X", name: "X"}) { warehouse { id } } }`, nil},
		"warehouseUpdate": {`mutation($w: ID!) { warehouseUpdate(id: $w, input: {priority: -5}) { warehouse { id } } }`, map[string]any{"w": gid("Warehouse", 1)}},
		"warehouseDelete": {`mutation($w: ID!) { warehouseDelete(id: $w) { warehouse { id } } }`, map[string]any{"w": gid("Warehouse", 2)}},
	}
	for name, c := range calls {
		t.Run(name, func(t *testing.T) {
			for who, want := range map[*harness]string{h: "UNAUTHENTICATED", customer: "FORBIDDEN"} {
				r := who.post(c.q, c.vars)
				if r.code() != want {
					t.Errorf("code %q, want %q (%+v)", r.code(), want, r.Errors)
				}
				if string(r.Data) != "null" && !strings.Contains(string(r.Data), "null") {
					t.Errorf("data leaked: %s", r.Data)
				}
			}
		})
	}
	// Nothing changed: no catalog event was written.
	var n int
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE type LIKE 'product.%' OR type LIKE 'inventory.%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("refused mutations wrote %d catalog events", n)
	}
}

type productPayload struct {
	Product *struct {
		ID                string
		Slug              string
		Name              string
		Price             struct{ Amount string }
		AvailableQuantity int
		Category          struct{ Slug string }
	}
	UserErrors []struct {
		Field   []string
		Message string
		Code    string
	}
}

const productFields = `product { id slug name price { amount } availableQuantity category { slug } } userErrors { field message code }`

func (h *harness) outboxTypes(key string) []string {
	h.t.Helper()
	rows, err := h.db.Pool.Query(context.Background(), `SELECT type FROM outbox WHERE key = $1 ORDER BY position`, key)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func dbID(t *testing.T, gid string) string {
	t.Helper()
	raw, err := base64RawURL(gid)
	if err != nil {
		t.Fatal(err)
	}
	_, id, _ := strings.Cut(raw, ":")
	return id
}

func TestAdminCatalogMutations(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, _ := h.signedIn(domain.RoleAdmin)
	garden := h.categoryID("garden")

	var created struct{ ProductCreate productPayload }
	admin.data(`mutation($c: ID!) { productCreate(input: {name: "  Solar Lantern Deluxe ", description: "Lights up", price: "24.50", categoryId: $c, stock: 3}) { `+productFields+` } }`,
		map[string]any{"c": garden}, &created)
	p := created.ProductCreate.Product
	if p == nil || p.Slug != "solar-lantern-deluxe" || p.Name != "Solar Lantern Deluxe" || p.Price.Amount != "24.50" || p.AvailableQuantity != 3 || p.Category.Slug != "garden" {
		t.Fatalf("created: %+v %+v", p, created.ProductCreate.UserErrors)
	}
	id := p.ID

	var dup struct{ ProductCreate productPayload }
	admin.data(`mutation($c: ID!) { productCreate(input: {name: "Solar Lantern Deluxe", price: "1.00", categoryId: $c}) { `+productFields+` } }`,
		map[string]any{"c": garden}, &dup)
	if dup.ProductCreate.Product != nil || len(dup.ProductCreate.UserErrors) != 1 || dup.ProductCreate.UserErrors[0].Code != "CONFLICT" || strings.Join(dup.ProductCreate.UserErrors[0].Field, ".") != "input.slug" {
		t.Errorf("duplicate slug: %+v", dup.ProductCreate)
	}

	var upd struct{ ProductUpdate productPayload }
	admin.data(`mutation($id: ID!) { productUpdate(id: $id, input: {price: "19.99"}) { `+productFields+` } }`, map[string]any{"id": id}, &upd)
	if upd.ProductUpdate.Product == nil || upd.ProductUpdate.Product.Price.Amount != "19.99" || upd.ProductUpdate.Product.Name != "Solar Lantern Deluxe" {
		t.Errorf("update: %+v", upd.ProductUpdate)
	}

	var adj struct{ InventoryAdjust productPayload }
	admin.data(`mutation($id: ID!) { inventoryAdjust(productId: $id, delta: -4, reason: "count") { `+productFields+` } }`, map[string]any{"id": id}, &adj)
	if adj.InventoryAdjust.Product != nil || len(adj.InventoryAdjust.UserErrors) != 1 || strings.Join(adj.InventoryAdjust.UserErrors[0].Field, ".") != "delta" {
		t.Errorf("adjusting below zero: %+v", adj.InventoryAdjust)
	}
	admin.data(`mutation($id: ID!) { inventoryAdjust(productId: $id, delta: -3, reason: "damaged in storage") { `+productFields+` } }`, map[string]any{"id": id}, &adj)
	if adj.InventoryAdjust.Product == nil || adj.InventoryAdjust.Product.AvailableQuantity != 0 {
		t.Errorf("adjusting to zero: %+v", adj.InventoryAdjust)
	}

	var zero int
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM products WHERE stock = 0 AND deleted_at IS NULL`).Scan(&zero); err != nil {
		t.Fatal(err)
	}
	listed, found := 0, false
	var after *string
	for {
		var low struct {
			LowStockProducts struct {
				TotalCount int
				Edges      []struct {
					Cursor string
					Node   struct {
						Slug              string
						AvailableQuantity int
					}
				}
				PageInfo struct{ HasNextPage bool }
			}
		}
		admin.data(`query($a: String) { lowStockProducts(threshold: 0, first: 100, after: $a) { totalCount edges { cursor node { slug availableQuantity } } pageInfo { hasNextPage } } }`,
			map[string]any{"a": after}, &low)
		if low.LowStockProducts.TotalCount != zero {
			t.Fatalf("low stock totalCount %d, want %d", low.LowStockProducts.TotalCount, zero)
		}
		for _, e := range low.LowStockProducts.Edges {
			listed++
			found = found || e.Node.Slug == "solar-lantern-deluxe"
			if e.Node.AvailableQuantity != 0 {
				t.Errorf("%s has %d units but is listed at threshold 0", e.Node.Slug, e.Node.AvailableQuantity)
			}
			after = &e.Cursor
		}
		if !low.LowStockProducts.PageInfo.HasNextPage {
			break
		}
	}
	if listed != zero || !found {
		t.Errorf("low stock listed %d (ours found: %v), want %d", listed, found, zero)
	}

	var del struct{ ProductDelete productPayload }
	admin.data(`mutation($id: ID!) { productDelete(id: $id) { `+productFields+` } }`, map[string]any{"id": id}, &del)
	if del.ProductDelete.Product == nil {
		t.Fatalf("delete: %+v", del.ProductDelete)
	}
	var gone struct {
		Product *struct{ ID string }
		Node    *struct{ ID string }
	}
	h.data(`query($id: ID!) { product(slug: "solar-lantern-deluxe") { id } node(id: $id) { id } }`, map[string]any{"id": id}, &gone)
	if gone.Product != nil || gone.Node != nil {
		t.Errorf("a deleted product is still visible: %+v", gone)
	}
	admin.data(`mutation($id: ID!) { productDelete(id: $id) { `+productFields+` } }`, map[string]any{"id": id}, &del)
	if len(del.ProductDelete.UserErrors) != 1 || del.ProductDelete.UserErrors[0].Code != "NOT_FOUND" {
		t.Errorf("deleting twice: %+v", del.ProductDelete)
	}

	want := []string{"product.created", "product.updated", "inventory.adjusted", "product.out_of_stock", "product.deleted"}
	if got := h.outboxTypes(dbID(t, id)); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("outbox events %v, want %v", got, want)
	}
	var payload json.RawMessage
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT payload FROM outbox WHERE key = $1 AND type = 'product.updated'`, dbID(t, id)).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(payload), `"priceMinor": 1999`) && !strings.Contains(string(payload), `"priceMinor":1999`) {
		t.Errorf("product.updated payload: %s", payload)
	}
}

func TestAdminCatalogValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, _ := h.signedIn(domain.RoleAdmin)
	garden := h.categoryID("garden")
	pid := h.products(map[string]any{"first": 1}).Edges[0].Node.ID
	tests := []struct {
		name, q string
		vars    map[string]any
		field   string
	}{
		{"empty name", `mutation($c: ID!) { productCreate(input: {name: "  ", price: "1.00", categoryId: $c}) { ` + productFields + ` } }`, map[string]any{"c": garden}, "input.name"},
		{"negative price", `mutation($c: ID!) { productCreate(input: {name: "A", price: "-1.00", categoryId: $c}) { ` + productFields + ` } }`, map[string]any{"c": garden}, "input.price"},
		{"absurd stock", `mutation($c: ID!) { productCreate(input: {name: "A", price: "1.00", categoryId: $c, stock: 2000000000}) { ` + productFields + ` } }`, map[string]any{"c": garden}, "input.stock"},
		{"bad slug", `mutation($c: ID!) { productCreate(input: {name: "A", slug: "Not A Slug", price: "1.00", categoryId: $c}) { ` + productFields + ` } }`, map[string]any{"c": garden}, "input.slug"},
		{"unknown category", `mutation { productCreate(input: {name: "A", price: "1.00", categoryId: "Q2F0ZWdvcnk6OTk5OTk"}) { ` + productFields + ` } }`, nil, "input.categoryId"},
		{"product id as category", `mutation($c: ID!) { productCreate(input: {name: "A", price: "1.00", categoryId: $c}) { ` + productFields + ` } }`, map[string]any{"c": pid}, "input.categoryId"},
		{"empty update", `mutation($id: ID!) { productUpdate(id: $id, input: {}) { ` + productFields + ` } }`, map[string]any{"id": pid}, "input"},
		{"absurd delta", `mutation($id: ID!) { inventoryAdjust(productId: $id, delta: 5000000, reason: "x") { ` + productFields + ` } }`, map[string]any{"id": pid}, "delta"},
		{"empty reason", `mutation($id: ID!) { inventoryAdjust(productId: $id, delta: 5, reason: " ") { ` + productFields + ` } }`, map[string]any{"id": pid}, "reason"},
		{"unknown product", `mutation { productUpdate(id: "UHJvZHVjdDo5OTk5OTk5", input: {name: "B"}) { ` + productFields + ` } }`, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := admin.post(tc.q, tc.vars)
			if len(r.Errors) > 0 {
				t.Fatalf("errors instead of userErrors: %+v", r.Errors)
			}
			var out map[string]productPayload
			if err := json.Unmarshal(r.Data, &out); err != nil {
				t.Fatal(err)
			}
			for _, p := range out {
				if p.Product != nil || len(p.UserErrors) == 0 {
					t.Fatalf("accepted: %+v", p)
				}
				if got := strings.Join(p.UserErrors[0].Field, "."); got != tc.field {
					t.Errorf("field %q, want %q (%+v)", got, tc.field, p.UserErrors)
				}
			}
		})
	}
	var n int
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE type LIKE 'product.%' OR type LIKE 'inventory.%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("refused mutations wrote %d events", n)
	}
}

func TestGatewayMode(t *testing.T) {
	t.Parallel()
	trusted := newHarness(t, func(c *app.Config) {
		c.AuthMode = auth.ModeGateway
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	})
	_, adminEmail := trusted.signedIn(domain.RoleAdmin)
	q := `{ lowStockProducts(first: 1) { totalCount } }`
	body := `{"query":"` + strings.ReplaceAll(q, `"`, `\"`) + `"}`
	headers := map[string]string{"Content-Type": "application/json", "X-User-Email": adminEmail, "X-User-Role": "ADMIN"}
	if r := trusted.do(http.MethodPost, "/graphql", strings.NewReader(body), headers); len(r.Errors) > 0 {
		t.Errorf("trusted gateway headers refused: %+v", r.Errors)
	}
	headers["X-User-Role"] = "CUSTOMER"
	if r := trusted.do(http.MethodPost, "/graphql", strings.NewReader(body), headers); r.code() != "FORBIDDEN" {
		t.Errorf("gateway customer: %+v", r.Errors)
	}
	headers["X-User-Email"] = "nobody@example.com"
	if r := trusted.do(http.MethodPost, "/graphql", strings.NewReader(body), headers); r.status != http.StatusUnauthorized {
		t.Errorf("unknown gateway user: %d %+v", r.status, r.Errors)
	}

	untrusted := newHarness(t, func(c *app.Config) {
		c.AuthMode = auth.ModeGateway
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.9.8.0/24")}
	})
	_, email := untrusted.signedIn(domain.RoleAdmin)
	headers = map[string]string{"Content-Type": "application/json", "X-User-Email": email, "X-User-Role": "ADMIN"}
	if r := untrusted.do(http.MethodPost, "/graphql", strings.NewReader(body), headers); r.code() != "UNAUTHENTICATED" {
		t.Errorf("headers from an untrusted peer were honoured: %+v", r.Errors)
	}
}
