package api_test

import (
	"context"
	"testing"
)

type facetView struct {
	Kind, Name, Type string
	Min, Max         *float64
	Values           []struct {
		Value, Label string
		Count        int
	}
}

const facetsQuery = `query($f: ProductFilter) { products(first: 5, filter: $f) { totalCount nodes { id } facets { kind name type min max values { value label count } } } }`

func (h *harness) facets(filter map[string]any) (int, map[string]facetView) {
	h.t.Helper()
	var out struct {
		Products struct {
			TotalCount int
			Facets     []facetView
		}
	}
	h.data(facetsQuery, map[string]any{"f": filter}, &out)
	m := map[string]facetView{}
	for _, f := range out.Products.Facets {
		m[f.Name] = f
	}
	return out.Products.TotalCount, m
}

// counts returns value → count of a facet.
func (f facetView) counts() map[string]int {
	m := map[string]int{}
	for _, v := range f.Values {
		m[v.Value] = v.Count
	}
	return m
}

// sqlCounts runs an oracle query returning (value, count) rows.
func (h *harness) sqlCounts(q string, args ...any) map[string]int {
	h.t.Helper()
	rows, err := h.db.Pool.Query(context.Background(), q, args...)
	if err != nil {
		h.t.Fatal(err)
	}
	m := map[string]int{}
	for rows.Next() {
		var v string
		var n int
		if err := rows.Scan(&v, &n); err != nil {
			h.t.Fatal(err)
		}
		m[v] = n
	}
	return m
}

func sameCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestFacetsAndAttributeFilters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cat := h.categoryID("electronics")
	catID := dbID(t, cat)
	inCat := `p.deleted_at IS NULL AND p.category_id IN (SELECT id FROM categories WHERE path @> ARRAY[` + catID + `]::bigint[])`

	total, fs := h.facets(map[string]any{"categoryId": cat})
	brands := h.sqlCounts(`SELECT b.slug, count(*) FROM products p JOIN brands b ON b.id = p.brand_id WHERE ` + inCat + ` GROUP BY b.slug`)
	if total == 0 || fs["Brand"].Kind != "BRAND" || !sameCounts(fs["Brand"].counts(), brands) {
		t.Fatalf("brand facet %+v, want %v", fs["Brand"], brands)
	}
	warranty := fs["Warranty (years)"]
	if warranty.Type != "NUMBER" || warranty.Min == nil || *warranty.Min != 1 || *warranty.Max != 3 || len(warranty.Values) != 3 {
		t.Errorf("warranty facet %+v", warranty)
	}
	if _, ok := fs["Pages"]; ok {
		t.Errorf("a books-only attribute faceted for electronics")
	}

	// Choosing a brand narrows every facet but the brand's own.
	var slug string
	for s := range brands {
		slug = s
		break
	}
	total2, fs2 := h.facets(map[string]any{"categoryId": cat, "brands": []string{slug}})
	if total2 != brands[slug] || !sameCounts(fs2["Brand"].counts(), brands) {
		t.Errorf("with brand %s: %d products (want %d), brand facet %v", slug, total2, brands[slug], fs2["Brand"].counts())
	}
	material := h.sqlCounts(`SELECT pa.text_value, count(*) FROM products p JOIN brands b ON b.id = p.brand_id AND b.slug = $1
		JOIN product_attributes pa ON pa.product_id = p.id JOIN attributes a ON a.id = pa.attribute_id AND a.name = 'Material'
		WHERE `+inCat+` GROUP BY 1`, slug)
	if !sameCounts(fs2["Material"].counts(), material) {
		t.Errorf("material facet under brand %s: %v, want %v", slug, fs2["Material"].counts(), material)
	}

	// Attribute filters: text values, a number range, a boolean; each facet ignores its own.
	m := fs["Material"].Values[0].Value
	byMaterial := h.sqlCounts(`SELECT 'n', count(*) FROM products p JOIN product_attributes pa ON pa.product_id = p.id
		JOIN attributes a ON a.id = pa.attribute_id AND a.name = 'Material' AND pa.text_value = $1 WHERE `+inCat, m)
	total3, fs3 := h.facets(map[string]any{"categoryId": cat, "attributes": []any{map[string]any{"name": "material", "values": []string{m}}}})
	if total3 != byMaterial["n"] || !sameCounts(fs3["Material"].counts(), fs["Material"].counts()) {
		t.Errorf("material %q: %d products (want %d), material facet %v (want all of %v)", m, total3, byMaterial["n"], fs3["Material"].counts(), fs["Material"].counts())
	}
	ranged := h.sqlCounts(`SELECT 'n', count(*) FROM products p JOIN product_attributes pa ON pa.product_id = p.id
		JOIN attributes a ON a.id = pa.attribute_id AND a.name = 'Warranty (years)' AND pa.number_value BETWEEN 2 AND 3 WHERE ` + inCat)
	if n, _ := h.facets(map[string]any{"categoryId": cat, "attributes": []any{map[string]any{"name": "Warranty (years)", "min": 2, "max": 3}}}); n != ranged["n"] {
		t.Errorf("warranty 2..3: %d products, want %d", n, ranged["n"])
	}
	if n, _ := h.facets(map[string]any{"categoryId": cat, "attributes": []any{map[string]any{"name": "Warranty (years)", "values": []string{"2", "3.0"}}}}); n != ranged["n"] {
		t.Errorf("warranty in [2, 3.0]: %d products, want %d", n, ranged["n"])
	}
	waterproof := h.sqlCounts(`SELECT 'n', count(*) FROM products p JOIN product_attributes pa ON pa.product_id = p.id
		JOIN attributes a ON a.id = pa.attribute_id AND a.name = 'Waterproof' AND pa.bool_value WHERE ` + inCat)
	if n, _ := h.facets(map[string]any{"categoryId": cat, "attributes": []any{map[string]any{"name": "Waterproof", "boolean": true}}}); n != waterproof["n"] || n == 0 {
		t.Errorf("waterproof: %d products, want %d", n, waterproof["n"])
	}

	// Bad filters are BAD_USER_INPUT naming the field.
	for _, bad := range []map[string]any{
		{"attributes": []any{map[string]any{"name": "Material"}}},
		{"attributes": []any{map[string]any{"name": "Weight (kg)", "min": 5, "max": 1}}},
		{"attributes": []any{map[string]any{"name": ""}}},
	} {
		if r := h.post(facetsQuery, map[string]any{"f": bad}); r.code() != "BAD_USER_INPUT" {
			t.Errorf("filter %v: %+v", bad, r.Errors)
		}
	}
}

// TestFacetsStatements counts the statements of a listing with facets: the page and the
// facets, two, whatever the number of attributes and conditions.
func TestFacetsStatements(t *testing.T) {
	h := newHarness(t)
	var attrs []any
	count := func(filter map[string]any) int64 {
		t.Helper()
		h.counter.Reset()
		var out struct{ Products struct{ Facets []facetView } }
		h.data(`query($f: ProductFilter) { products(first: 20, filter: $f) { nodes { id } facets { name values { value count } } } }`, map[string]any{"f": filter}, &out)
		if len(attrs) == 0 && len(out.Products.Facets) == 0 {
			t.Fatalf("no facets for %v", filter)
		}
		return h.counter.Count()
	}
	var got []int64
	for _, name := range []string{"Material", "Eco-friendly", "Warranty (years)", "Waterproof"} {
		got = append(got, count(map[string]any{"attributes": attrs}))
		cond := map[string]any{"name": name, "values": []string{"true", "1", "2", "3"}}
		if name == "Material" {
			cond = map[string]any{"name": name, "values": []string{"organic cotton", "recycled plastic"}}
		}
		attrs = append(attrs, cond)
	}
	got = append(got, count(map[string]any{"brands": []string{"acme", "sonora"}, "attributes": attrs}))
	t.Logf("statements for 0 to 4 attribute conditions, then with brands: %v", got)
	for i, n := range got {
		if n != 2 {
			t.Errorf("listing %d: %d statements, want 2 (the page and its facets)", i, n)
		}
	}
}
