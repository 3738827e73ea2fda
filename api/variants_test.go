package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shopgraph/shopgraph/domain"
)

type variantView struct {
	ID                string
	Sku               string
	Title             string
	SelectedOptions   []struct{ Name, Value string }
	Price             struct{ Amount string }
	CompareAtPrice    *struct{ Amount string }
	AvailableQuantity int
	InStock           bool
	Image             *struct{ ID string }
}

const variantFields = `id sku title selectedOptions { name value } price { amount } compareAtPrice { amount } availableQuantity inStock image { id }`

type catalogProductView struct {
	ID                string
	Price             struct{ Amount string }
	PriceRange        struct{ MinVariantPrice, MaxVariantPrice struct{ Amount string } }
	AvailableQuantity int
	InStock           bool
	Options           []struct {
		Name   string
		Values []string
	}
	Variants []variantView
	Images   []struct {
		ID      string
		URL     string
		Small   string
		AltText *string
		Width   int
		Height  int
	}
	Brand      *struct{ Name, Slug string }
	Attributes []struct{ Name, Type, Value string }
	Rating     struct {
		Average float64
		Count   int
	}
}

const catalogProductFields = `id price { amount } priceRange { minVariantPrice { amount } maxVariantPrice { amount } }
	availableQuantity inStock options { name values } variants { ` + variantFields + ` }
	images { id url small: url(width: 300) altText width height } brand { name slug }
	attributes { name type value } rating { average count }`

func (h *harness) catalogProduct(gid string) catalogProductView {
	h.t.Helper()
	var out struct{ Node catalogProductView }
	h.data(`query($id: ID!) { node(id: $id) { ... on Product { `+catalogProductFields+` } } }`, map[string]any{"id": gid}, &out)
	return out.Node
}

// multiVariant returns the global id of a live seeded product with at least n variants
// on sale.
func (h *harness) multiVariant(n int) string {
	h.t.Helper()
	var id int64
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT id FROM products WHERE deleted_at IS NULL
		AND (SELECT count(*) FROM product_variants v WHERE v.product_id = products.id AND v.deleted_at IS NULL) >= $1
		ORDER BY id LIMIT 1`, n).Scan(&id); err != nil {
		h.t.Fatal(err)
	}
	return gid("Product", id)
}

// rollupsHold fails the test unless every product's stock and price are the sum and the
// minimum of its live variants'.
func (h *harness) rollupsHold() {
	h.t.Helper()
	var bad int
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM products p WHERE
		p.stock <> (SELECT coalesce(sum(v.stock), 0) FROM product_variants v WHERE v.product_id = p.id AND v.deleted_at IS NULL)
		OR p.price_minor <> (SELECT min(v.price_minor) FROM product_variants v WHERE v.product_id = p.id AND v.deleted_at IS NULL)`).Scan(&bad); err != nil {
		h.t.Fatal(err)
	}
	if bad != 0 {
		h.t.Errorf("%d products whose stock or price is not their variants' sum or minimum", bad)
	}
}

func TestProductVariantsAndMedia(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.rollupsHold()

	// A seeded T-shirt: sizes times colours, the colours' pictures, price from its cheapest.
	p := h.catalogProduct(h.multiVariant(8))
	if len(p.Options) != 2 || p.Options[0].Name != "Size" || p.Options[1].Name != "Colour" || len(p.Options[0].Values) != 4 {
		t.Fatalf("options %+v", p.Options)
	}
	sum := 0
	for _, v := range p.Variants {
		sum += v.AvailableQuantity
		if len(v.SelectedOptions) != 2 || v.Title != v.SelectedOptions[0].Value+" / "+v.SelectedOptions[1].Value {
			t.Errorf("variant %+v: title and options disagree", v)
		}
		if v.Image == nil {
			t.Errorf("variant %s shows no image", v.Title)
		}
	}
	if sum != p.AvailableQuantity || p.InStock != (sum > 0) {
		t.Errorf("product has %d units (in stock %v), its variants %d", p.AvailableQuantity, p.InStock, sum)
	}
	if p.Price != p.PriceRange.MinVariantPrice || p.PriceRange.MaxVariantPrice == p.PriceRange.MinVariantPrice {
		t.Errorf("price %v, range %v: XL costs more", p.Price, p.PriceRange)
	}
	if len(p.Images) < 3 || p.Brand == nil || len(p.Attributes) == 0 {
		t.Errorf("images %d, brand %v, attributes %v", len(p.Images), p.Brand, p.Attributes)
	}

	// Images are drawn by the server at the size asked for, in the image's proportions.
	img := p.Images[len(p.Images)-1] // a colour's picture, 900 × 1200
	if img.URL != fmt.Sprintf("/media/%s.svg?w=900&h=1200", dbID(t, img.ID)) || !strings.HasSuffix(img.Small, "?w=300&h=400") {
		t.Fatalf("urls %q and %q", img.URL, img.Small)
	}
	resp, err := http.Get(h.srv.URL + img.Small)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(string(body), `width="300" height="400"`) {
		t.Errorf("GET %s: %d %s %.120s", img.Small, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	for _, bad := range []string{"/media/abc.svg", "/media/12.png", "/media/12.svg?w=0", "/media/12.svg?w=99999"} {
		resp, err := http.Get(h.srv.URL + bad)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 && resp.StatusCode != 400 {
			t.Errorf("GET %s: %d, want 404 or 400", bad, resp.StatusCode)
		}
	}
	r := h.post(`query($id: ID!) { node(id: $id) { ... on Product { images { url(width: 5000) } } } }`, map[string]any{"id": p.ID})
	if r.code() != "BAD_USER_INPUT" {
		t.Errorf("url(width: 5000): %+v", r.Errors)
	}

	// A product without options is as before: one default variant.
	simple := h.catalogProduct(h.stocked(1, 1)[0])
	if len(simple.Options) != 0 || len(simple.Variants) != 1 || simple.Variants[0].Title != "Default" ||
		simple.Variants[0].AvailableQuantity != simple.AvailableQuantity || simple.Variants[0].Price != simple.Price {
		t.Errorf("simple product %+v", simple)
	}
}

func TestCartLinesNameVariants(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	multi := h.catalogProduct(h.multiVariant(8))
	simple := h.stocked(1, 5)[0]
	other := h.catalogProduct(h.stocked(2, 5)[1])
	var inStock variantView
	for _, v := range multi.Variants {
		if v.AvailableQuantity >= 2 {
			inStock = v
			break
		}
	}
	if inStock.ID == "" {
		t.Fatal("no variant with 2 units")
	}
	withVariant := func(p, v string, q int) map[string]any {
		return map[string]any{"productId": p, "variantId": v, "quantity": q}
	}
	tests := []struct {
		name  string
		line  map[string]any
		field string
		code  string
	}{
		{"several variants, none named", line(multi.ID, 1), "variantId", "VARIANT_REQUIRED"},
		{"another product's variant", withVariant(multi.ID, other.Variants[0].ID, 1), "variantId", "VARIANT_UNAVAILABLE"},
		{"not a variant id", withVariant(multi.ID, multi.ID, 1), "variantId", "BAD_USER_INPUT"},
		{"more than the variant has", withVariant(multi.ID, inStock.ID, inStock.AvailableQuantity+1), "quantity", "OUT_OF_STOCK"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := h.cartCreate(tc.line)
			if c.Cart != nil || len(c.UserErrors) != 1 || c.UserErrors[0].Code != tc.code ||
				strings.Join(c.UserErrors[0].Field, ".") != "lines.0."+tc.field {
				t.Errorf("got %+v, want %s on lines.0.%s", c, tc.code, tc.field)
			}
		})
	}

	var out struct {
		CartCreate struct {
			Cart struct {
				ID    string
				Lines []struct {
					ID        string
					Quantity  int
					UnitPrice struct{ Amount string }
					Product   struct{ ID string }
					Variant   struct{ ID, Title string }
				}
			}
			UserErrors []any
		}
	}
	h.data(`mutation($l: [CartLineInput!]) { cartCreate(lines: $l) { cart { id lines { id quantity unitPrice { amount } product { id } variant { id title } } } userErrors { code } } }`,
		map[string]any{"l": []any{withVariant(multi.ID, inStock.ID, 2), line(simple, 1)}}, &out)
	c := out.CartCreate
	if len(c.UserErrors) != 0 || len(c.Cart.Lines) != 2 {
		t.Fatalf("cart %+v", c)
	}
	l := c.Cart.Lines[0]
	if l.Product.ID != multi.ID || l.Variant.ID != inStock.ID || l.Variant.Title != inStock.Title || l.UnitPrice != inStock.Price {
		t.Errorf("line %+v, want variant %+v", l, inStock)
	}
	// The order keeps the variant, its title and SKU.
	o := h.checkout(c.Cart.ID, "variant-order", nil)
	if o.Order == nil || o.Order.Status != "PAID" {
		t.Fatalf("checkout %+v", o)
	}
	var order struct {
		Node struct {
			Lines []struct {
				VariantTitle, Sku string
				Variant           struct{ ID string }
			}
		}
	}
	admin, _ := h.signedIn(domain.RoleAdmin)
	admin.data(`query($id: ID!) { node(id: $id) { ... on Order { lines { variantTitle sku variant { id } } } } }`, map[string]any{"id": o.Order.ID}, &order)
	titles := map[string]string{}
	for _, l := range order.Node.Lines {
		titles[l.Variant.ID] = l.VariantTitle + " " + l.Sku
	}
	if len(order.Node.Lines) != 2 || titles[inStock.ID] != inStock.Title+" "+inStock.Sku || !strings.HasPrefix(titles[c.Cart.Lines[1].Variant.ID], "Default ") {
		t.Errorf("order lines %+v", order.Node.Lines)
	}
	if got := h.catalogProduct(multi.ID); got.AvailableQuantity != multi.AvailableQuantity-2 {
		t.Errorf("product stock %d after buying 2 of %d", got.AvailableQuantity, multi.AvailableQuantity)
	}
	h.rollupsHold()
}

// TestNoOversellPerVariant runs 150 concurrent checkouts over three variants of one
// product with 5 units each: every variant sells exactly 5, the product 15, and the
// product's stock stays the sum of its variants'.
func TestNoOversellPerVariant(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.catalogProduct(h.multiVariant(3))
	vs := p.Variants[:3]
	for _, v := range p.Variants {
		n := 0
		if v.ID == vs[0].ID || v.ID == vs[1].ID || v.ID == vs[2].ID {
			n = 5
		}
		if _, err := h.db.Pool.Exec(context.Background(), `UPDATE product_variants SET stock = $2 WHERE id = $1`, dbID(t, v.ID), n); err != nil {
			t.Fatal(err)
		}
	}
	carts := make([]string, 150)
	for i := range carts {
		c := h.cartCreate(map[string]any{"productId": p.ID, "variantId": vs[i%3].ID, "quantity": 1})
		if c.Cart == nil {
			t.Fatalf("cart %d: %+v", i, c.UserErrors)
		}
		carts[i] = c.Cart.ID
	}
	results := h.checkoutAll(carts, "v")
	sold := map[string]int{}
	for i, r := range results {
		switch {
		case r.Order != nil && r.Order.Status == "PAID":
			sold[vs[i%3].ID]++
		case r.Order == nil && len(r.UserErrors) == 1 && r.UserErrors[0].Code == "OUT_OF_STOCK":
		default:
			t.Errorf("checkout %d ended neither paid nor cleanly out of stock: %+v", i, r)
		}
	}
	after := h.catalogProduct(p.ID)
	t.Logf("sold per variant %v; product stock left %d", sold, after.AvailableQuantity)
	for _, v := range vs {
		if sold[v.ID] != 5 {
			t.Errorf("variant %s sold %d, want 5", v.Title, sold[v.ID])
		}
	}
	if after.AvailableQuantity != 0 || after.InStock {
		t.Errorf("product stock %d (in stock %v), want 0", after.AvailableQuantity, after.InStock)
	}
	h.rollupsHold()
}
