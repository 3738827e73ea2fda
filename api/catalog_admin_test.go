package api_test

import (
	"strings"
	"testing"

	"github.com/shopgraph/shopgraph/domain"
)

type userErrors []struct {
	Field   []string
	Message string
	Code    string
}

// only reports whether errs is exactly one error with the code on the field path.
func (errs userErrors) only(code, field string) bool {
	return len(errs) == 1 && errs[0].Code == code && strings.Join(errs[0].Field, ".") == field
}

func TestAdminVariantsMediaAttributes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, _ := h.signedIn(domain.RoleAdmin)
	cat := h.categoryID("mens-t-shirts")

	var brand struct {
		BrandCreate struct {
			Brand      *struct{ ID, Slug string }
			UserErrors userErrors
		}
	}
	admin.data(`mutation { brandCreate(input: {name: "Test Loom & Co"}) { brand { id slug } userErrors { field message code } } }`, nil, &brand)
	if brand.BrandCreate.Brand == nil || brand.BrandCreate.Brand.Slug != "test-loom-and-co" {
		t.Fatalf("brandCreate %+v", brand.BrandCreate)
	}
	brandID := brand.BrandCreate.Brand.ID
	admin.data(`mutation { brandCreate(input: {name: "TEST LOOM & CO", slug: "another-loom"}) { brand { id } userErrors { field message code } } }`, nil, &brand)
	if !brand.BrandCreate.UserErrors.only("CONFLICT", "input.name") {
		t.Errorf("a brand's name twice: %+v", brand.BrandCreate.UserErrors)
	}
	admin.data(`mutation { brandCreate(input: {name: "Loom", slug: "test-loom-and-co"}) { brand { id } userErrors { field message code } } }`, nil, &brand)
	if !brand.BrandCreate.UserErrors.only("CONFLICT", "input.slug") {
		t.Errorf("a brand's slug twice: %+v", brand.BrandCreate.UserErrors)
	}
	var attr struct {
		AttributeCreate struct{ UserErrors userErrors }
	}
	admin.data(`mutation { attributeCreate(input: {name: "Fit score", type: NUMBER}) { userErrors { field message code } } }`, nil, &attr)
	if len(attr.AttributeCreate.UserErrors) != 0 {
		t.Fatalf("attributeCreate %+v", attr.AttributeCreate.UserErrors)
	}

	type payload struct {
		Product    *catalogProductView
		UserErrors userErrors
	}
	create := func(input map[string]any) payload {
		t.Helper()
		var out struct{ ProductCreate payload }
		admin.data(`mutation($in: ProductCreateInput!) { productCreate(input: $in) { product { `+catalogProductFields+` } userErrors { field message code } } }`,
			map[string]any{"in": input}, &out)
		return out.ProductCreate
	}
	base := func() map[string]any {
		return map[string]any{"name": "Test Tee", "price": "20.00", "categoryId": cat}
	}

	// Bad input is a user error and creates nothing.
	before := h.countRows(`SELECT count(*) FROM products`)
	bad := []struct {
		name  string
		patch map[string]any
		code  string
		field string
	}{
		{"options differ", map[string]any{"variants": []any{
			map[string]any{"selectedOptions": []any{map[string]any{"name": "Size", "value": "S"}}},
			map[string]any{"selectedOptions": []any{map[string]any{"name": "Colour", "value": "Red"}}}}},
			"BAD_USER_INPUT", "input.variants.1.selectedOptions"},
		{"same options twice", map[string]any{"variants": []any{
			map[string]any{"selectedOptions": []any{map[string]any{"name": "Size", "value": "S"}}},
			map[string]any{"selectedOptions": []any{map[string]any{"name": "Size", "value": "S"}}}}},
			"BAD_USER_INPUT", "input.variants.1.selectedOptions"},
		{"compare-at below price", map[string]any{"variants": []any{map[string]any{"price": "10.00", "compareAtPrice": "9.00"}}},
			"BAD_USER_INPUT", "input.variants.0.compareAtPrice"},
		{"image url", map[string]any{"media": []any{map[string]any{"url": "javascript:alert(1)", "width": 10, "height": 10}}},
			"BAD_USER_INPUT", "input.media.0.url"},
		{"image size", map[string]any{"media": []any{map[string]any{"width": 0, "height": 10}}}, "BAD_USER_INPUT", "input.media.0.width"},
		{"unknown attribute", map[string]any{"attributes": []any{map[string]any{"name": "Nope", "value": "x"}}}, "BAD_USER_INPUT", "input.attributes.0.name"},
		{"number attribute", map[string]any{"attributes": []any{map[string]any{"name": "fit score", "value": "high"}}}, "BAD_USER_INPUT", "input.attributes.0.value"},
		{"unknown brand", map[string]any{"brandId": gid("Brand", 999999)}, "BAD_USER_INPUT", "input.brandId"},
	}
	for _, tc := range bad {
		in := base()
		for k, v := range tc.patch {
			in[k] = v
		}
		if got := create(in); got.Product != nil || !got.UserErrors.only(tc.code, tc.field) {
			t.Errorf("%s: %+v, want %s on %s", tc.name, got, tc.code, tc.field)
		}
	}
	if after := h.countRows(`SELECT count(*) FROM products`); after != before {
		t.Errorf("refused creates made %d products", after-before)
	}

	// Price and stock alone make one default variant, as before variants existed.
	simple := create(map[string]any{"name": "Plain Tee", "price": "12.50", "categoryId": cat, "stock": 7})
	if simple.Product == nil || len(simple.Product.Variants) != 1 || simple.Product.Variants[0].AvailableQuantity != 7 ||
		simple.Product.Price.Amount != "12.50" || len(simple.Product.Options) != 0 {
		t.Fatalf("simple product %+v", simple)
	}

	// Variants, images, brand and attributes in one go.
	in := base()
	in["brandId"] = brandID
	in["variants"] = []any{
		map[string]any{"sku": "TT-S", "selectedOptions": []any{map[string]any{"name": "Size", "value": "S"}}, "stock": 3},
		map[string]any{"sku": "TT-M", "selectedOptions": []any{map[string]any{"name": "Size", "value": "M"}}, "stock": 4, "price": "22.00"},
	}
	in["media"] = []any{map[string]any{"altText": "front", "width": 1000, "height": 500}, map[string]any{"url": "https://cdn.example.com/tt.jpg", "width": 10, "height": 10}}
	in["attributes"] = []any{map[string]any{"name": "Material", "value": "linen"}, map[string]any{"name": "FIT SCORE", "value": "7.5"}}
	full := create(in)
	p := full.Product
	if p == nil {
		t.Fatalf("productCreate %+v", full.UserErrors)
	}
	if len(p.Variants) != 2 || p.AvailableQuantity != 7 || p.Price.Amount != "20.00" || p.PriceRange.MaxVariantPrice.Amount != "22.00" ||
		p.Brand == nil || p.Brand.Slug != "test-loom-and-co" || len(p.Attributes) != 2 || p.Attributes[0].Value != "7.5" ||
		len(p.Images) != 2 || p.Images[1].URL != "https://cdn.example.com/tt.jpg" || p.Images[0].Small != "/media/"+dbID(t, p.Images[0].ID)+".svg?w=300&h=150" {
		t.Fatalf("product %+v", p)
	}

	type variantsPayload struct {
		Product    *catalogProductView
		Variants   []variantView
		UserErrors userErrors
	}
	variants := func(op string, vars map[string]any) variantsPayload {
		t.Helper()
		var out map[string]variantsPayload
		args := map[string]string{"productVariantsCreate": "$p: ID!, $v: [ProductVariantInput!]!", "productVariantsUpdate": "$p: ID!, $v: [ProductVariantUpdateInput!]!",
			"productVariantsDelete": "$p: ID!, $v: [ID!]!"}[op]
		arg := map[string]string{"productVariantsDelete": "variantIds"}[op]
		if arg == "" {
			arg = "variants"
		}
		admin.data(`mutation(`+args+`) { `+op+`(productId: $p, `+arg+`: $v) { product { `+catalogProductFields+` } variants { `+variantFields+` } userErrors { field message code } } }`,
			vars, &out)
		return out[op]
	}
	sizeL := map[string]any{"sku": "TT-L", "price": "24.00", "selectedOptions": []any{map[string]any{"name": "Size", "value": "L"}}}
	if got := variants("productVariantsCreate", map[string]any{"p": p.ID, "v": []any{map[string]any{"price": "1.00", "selectedOptions": []any{map[string]any{"name": "Colour", "value": "Red"}}}}}); !got.UserErrors.only("BAD_USER_INPUT", "variants.0.selectedOptions") {
		t.Errorf("a variant with other options: %+v", got.UserErrors)
	}
	if got := variants("productVariantsCreate", map[string]any{"p": p.ID, "v": []any{map[string]any{"sku": "TT-M", "price": "1.00", "selectedOptions": []any{map[string]any{"name": "Size", "value": "XS"}}}}}); !got.UserErrors.only("CONFLICT", "variants.0.sku") {
		t.Errorf("a SKU in use: %+v", got.UserErrors)
	}
	if got := variants("productVariantsCreate", map[string]any{"p": p.ID, "v": []any{map[string]any{"selectedOptions": []any{map[string]any{"name": "Size", "value": "XS"}}}}}); !got.UserErrors.only("BAD_USER_INPUT", "variants.0.price") {
		t.Errorf("a variant without a price: %+v", got.UserErrors)
	}
	added := variants("productVariantsCreate", map[string]any{"p": p.ID, "v": []any{sizeL}})
	if len(added.UserErrors) != 0 || len(added.Variants) != 1 || added.Product.PriceRange.MaxVariantPrice.Amount != "24.00" || len(added.Product.Options[0].Values) != 3 {
		t.Fatalf("productVariantsCreate %+v", added)
	}
	small := p.Variants[0]
	upd := variants("productVariantsUpdate", map[string]any{"p": p.ID, "v": []any{map[string]any{"id": small.ID, "price": "15.00", "compareAtPrice": "19.00", "imageId": p.Images[0].ID}}})
	if len(upd.UserErrors) != 0 || upd.Product.Price.Amount != "15.00" || upd.Variants[0].CompareAtPrice == nil || upd.Variants[0].Image == nil {
		t.Fatalf("productVariantsUpdate %+v", upd)
	}
	if got := variants("productVariantsUpdate", map[string]any{"p": p.ID, "v": []any{map[string]any{"id": small.ID, "selectedOptions": []any{map[string]any{"name": "Size", "value": "M"}}}}}); !got.UserErrors.only("BAD_USER_INPUT", "variants.0.selectedOptions") {
		t.Errorf("options another variant has: %+v", got.UserErrors)
	}
	if got := variants("productVariantsUpdate", map[string]any{"p": p.ID, "v": []any{map[string]any{"id": simple.Product.Variants[0].ID, "price": "1.00"}}}); !got.UserErrors.only("NOT_FOUND", "variants.0.id") {
		t.Errorf("another product's variant: %+v", got.UserErrors)
	}

	// Prices of a product with several variants are the variants'; stock needs a variant.
	var pu struct {
		ProductUpdate struct{ UserErrors userErrors }
	}
	admin.data(`mutation($id: ID!) { productUpdate(id: $id, input: {price: "9.99"}) { userErrors { field message code } } }`, map[string]any{"id": p.ID}, &pu)
	if !pu.ProductUpdate.UserErrors.only("BAD_USER_INPUT", "input.price") {
		t.Errorf("productUpdate price of a product with variants: %+v", pu.ProductUpdate.UserErrors)
	}
	var adj struct {
		InventoryAdjust struct {
			Product    *struct{ AvailableQuantity int }
			UserErrors userErrors
		}
	}
	const adjust = `mutation($p: ID!, $v: ID) { inventoryAdjust(productId: $p, variantId: $v, delta: 5, reason: "count") { product { availableQuantity } userErrors { field message code } } }`
	admin.data(adjust, map[string]any{"p": p.ID}, &adj)
	if !adj.InventoryAdjust.UserErrors.only("BAD_USER_INPUT", "variantId") {
		t.Errorf("inventoryAdjust without a variant: %+v", adj.InventoryAdjust.UserErrors)
	}
	admin.data(adjust, map[string]any{"p": p.ID, "v": small.ID}, &adj)
	if adj.InventoryAdjust.Product == nil || adj.InventoryAdjust.Product.AvailableQuantity != 12 {
		t.Errorf("inventoryAdjust of a variant: %+v", adj.InventoryAdjust)
	}
	admin.data(adjust, map[string]any{"p": simple.Product.ID}, &adj)
	if adj.InventoryAdjust.Product == nil || adj.InventoryAdjust.Product.AvailableQuantity != 12 {
		t.Errorf("inventoryAdjust of a product's only variant: %+v", adj.InventoryAdjust)
	}

	del := variants("productVariantsDelete", map[string]any{"p": p.ID, "v": []any{added.Variants[0].ID}})
	if len(del.UserErrors) != 0 || len(del.Product.Variants) != 2 || del.Product.PriceRange.MaxVariantPrice.Amount != "22.00" {
		t.Errorf("productVariantsDelete %+v", del)
	}
	if got := variants("productVariantsDelete", map[string]any{"p": simple.Product.ID, "v": []any{simple.Product.Variants[0].ID}}); !got.UserErrors.only("LAST_VARIANT", "variantIds") {
		t.Errorf("deleting the last variant: %+v", got.UserErrors)
	}

	// Media: reorder, delete; the variant that showed a deleted image shows none.
	var media struct {
		ProductMediaReorder, ProductMediaDelete struct {
			Product    *catalogProductView
			UserErrors userErrors
		}
	}
	admin.data(`mutation($p: ID!, $m: [ID!]!) { productMediaReorder(productId: $p, mediaIds: $m) { product { `+catalogProductFields+` } userErrors { field message code } } }`,
		map[string]any{"p": p.ID, "m": []string{p.Images[1].ID}}, &media)
	if !media.ProductMediaReorder.UserErrors.only("BAD_USER_INPUT", "mediaIds") {
		t.Errorf("reordering some images: %+v", media.ProductMediaReorder.UserErrors)
	}
	admin.data(`mutation($p: ID!, $m: [ID!]!) { productMediaReorder(productId: $p, mediaIds: $m) { product { `+catalogProductFields+` } userErrors { field message code } } }`,
		map[string]any{"p": p.ID, "m": []string{p.Images[1].ID, p.Images[0].ID}}, &media)
	if r := media.ProductMediaReorder.Product; r == nil || r.Images[0].ID != p.Images[1].ID {
		t.Errorf("productMediaReorder %+v", media.ProductMediaReorder)
	}
	admin.data(`mutation($p: ID!, $m: [ID!]!) { productMediaDelete(productId: $p, mediaIds: $m) { product { `+catalogProductFields+` } userErrors { field message code } } }`,
		map[string]any{"p": p.ID, "m": []string{p.Images[0].ID}}, &media)
	if r := media.ProductMediaDelete.Product; r == nil || len(r.Images) != 1 || r.Variants[0].Image != nil {
		t.Errorf("productMediaDelete %+v", media.ProductMediaDelete)
	}

	// Every change wrote product.updated; the cache's invalidator relies on it.
	types := strings.Join(h.outboxTypes(dbID(t, p.ID)), " ")
	if strings.Count(types, "product.updated") < 5 || !strings.Contains(types, "inventory.adjusted") {
		t.Errorf("outbox of the product: %s", types)
	}
	h.rollupsHold()

	// Customers cannot use the admin mutations.
	customer, _ := h.signedIn(domain.RoleCustomer)
	if r := customer.post(`mutation($p: ID!) { productVariantsDelete(productId: $p, variantIds: []) { userErrors { code } } }`, map[string]any{"p": p.ID}); r.code() != "FORBIDDEN" {
		t.Errorf("a customer deleting variants: %+v", r.Errors)
	}

}
