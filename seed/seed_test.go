package seed

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// sizes covers a single product, fewer products than leaves, exactly one
// per leaf, and the default catalog.
var sizes = []int{1, 7, 32, 500, DefaultProducts}

func TestGenerateIsDeterministic(t *testing.T) {
	for _, n := range sizes {
		a, b := Generate(n), Generate(n)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("Generate(%d) differs between two calls", n)
		}
	}
}

func TestSmallCatalogIsPrefixOfLarge(t *testing.T) {
	large := Generate(DefaultProducts).Products
	for _, n := range sizes {
		small := Generate(n).Products
		if !reflect.DeepEqual(small, large[:n]) {
			t.Errorf("Generate(%d).Products is not a prefix of Generate(%d).Products", n, DefaultProducts)
		}
	}
}

func TestGenerateWithoutProducts(t *testing.T) {
	c := Generate(0)
	if len(c.Products) != 0 || len(c.Categories) == 0 {
		t.Errorf("Generate(0) = %d categories, %d products; want categories only", len(c.Categories), len(c.Products))
	}
}

func TestCategories(t *testing.T) {
	cats := Generate(1).Categories
	if n := len(cats); n < 40 || n > 60 {
		t.Errorf("got %d categories, want 40..60", n)
	}
	depth := map[string]int{}
	// nextPos is the position the next child of a parent must have, so
	// siblings are numbered 0, 1, 2, ... in slice order.
	nextPos := map[string]int{}
	hasChild := map[string]bool{}
	for i, c := range cats {
		if !slugRE.MatchString(c.Slug) {
			t.Errorf("category %d: slug %q does not match %s", i, c.Slug, slugRE)
		}
		if _, dup := depth[c.Slug]; dup {
			t.Errorf("category %d: duplicate slug %q", i, c.Slug)
		}
		if c.Name == "" || c.Description == "" {
			t.Errorf("category %q: empty name or description", c.Slug)
		}
		d := 1
		if c.ParentSlug != "" {
			pd, ok := depth[c.ParentSlug]
			if !ok {
				t.Errorf("category %q: parent %q does not precede it", c.Slug, c.ParentSlug)
			}
			d = pd + 1
			hasChild[c.ParentSlug] = true
		}
		if d > 3 {
			t.Errorf("category %q: depth %d, want at most 3", c.Slug, d)
		}
		depth[c.Slug] = d
		if want := nextPos[c.ParentSlug]; c.Position != want {
			t.Errorf("category %q: position %d, want %d", c.Slug, c.Position, want)
		}
		nextPos[c.ParentSlug]++
	}
	roots := nextPos[""]
	if roots < 6 || roots > 8 {
		t.Errorf("got %d roots, want 6..8", roots)
	}
	for _, c := range cats {
		if depth[c.Slug] == 3 && hasChild[c.Slug] {
			t.Errorf("category %q: has children below depth 3", c.Slug)
		}
		if depth[c.Slug] < 3 && !hasChild[c.Slug] {
			t.Errorf("category %q: leaf at depth %d, want every leaf at depth 3", c.Slug, depth[c.Slug])
		}
	}
}

func TestProducts(t *testing.T) {
	for _, n := range sizes {
		c := Generate(n)
		if len(c.Products) != n {
			t.Fatalf("Generate(%d): got %d products", n, len(c.Products))
		}
		isParent := map[string]bool{}
		exists := map[string]bool{}
		for _, cat := range c.Categories {
			exists[cat.Slug] = true
			isParent[cat.ParentSlug] = true
		}
		slugs := map[string]bool{}
		ages := map[time.Duration]bool{}
		for i, p := range c.Products {
			if !exists[p.CategorySlug] || isParent[p.CategorySlug] {
				t.Errorf("n=%d product %d: category %q is not an existing leaf", n, i, p.CategorySlug)
			}
			if !slugRE.MatchString(p.Slug) {
				t.Errorf("n=%d product %d: slug %q does not match %s", n, i, p.Slug, slugRE)
			}
			if slugs[p.Slug] {
				t.Errorf("n=%d product %d: duplicate slug %q", n, i, p.Slug)
			}
			slugs[p.Slug] = true
			if !strings.HasPrefix(p.Slug, slugify(p.Name)) {
				t.Errorf("n=%d product %d: slug %q is not derived from name %q", n, i, p.Slug, p.Name)
			}
			if p.CreatedAgo < 0 || p.CreatedAgo > 365*24*time.Hour {
				t.Errorf("n=%d product %d: CreatedAgo %v outside 0..365 days", n, i, p.CreatedAgo)
			}
			if ages[p.CreatedAgo] {
				t.Errorf("n=%d product %d: duplicate CreatedAgo %v", n, i, p.CreatedAgo)
			}
			ages[p.CreatedAgo] = true
			if p.PriceCents < 199 || p.PriceCents > 249999 {
				t.Errorf("n=%d product %d: price %d cents outside 199..249999", n, i, p.PriceCents)
			}
			if p.Currency != "USD" {
				t.Errorf("n=%d product %d: currency %q", n, i, p.Currency)
			}
			if p.Stock < 0 || p.Stock > 500 {
				t.Errorf("n=%d product %d: stock %d outside 0..500", n, i, p.Stock)
			}
			if p.UnitsSold < 0 || p.UnitsSold > 5000 {
				t.Errorf("n=%d product %d: units sold %d outside 0..5000", n, i, p.UnitsSold)
			}
			if strings.TrimSpace(p.Name) == "" {
				t.Errorf("n=%d product %d: empty name", n, i)
			}
			if s := strings.Count(p.Description, ". ") + 1; !strings.HasSuffix(p.Description, ".") || s > 3 {
				t.Errorf("n=%d product %d: description %q is not 1-3 sentences", n, i, p.Description)
			}
		}
	}
}

// TestDistribution checks the shape of the default catalog that demos and
// benchmarks depend on.
func TestDistribution(t *testing.T) {
	c := Generate(DefaultProducts)
	n := len(c.Products)

	count := func(keep func(Product) bool) int {
		k := 0
		for _, p := range c.Products {
			if keep(p) {
				k++
			}
		}
		return k
	}
	mentions := func(word string) func(Product) bool {
		return func(p Product) bool {
			return strings.Contains(strings.ToLower(p.Name+" "+p.Description), word)
		}
	}
	pct := func(lo, hi float64) func(int) bool {
		return func(k int) bool { f := 100 * float64(k) / float64(n); return lo <= f && f <= hi }
	}
	atLeast := func(min int) func(int) bool { return func(k int) bool { return k >= min } }

	distinctPrices := map[int64]bool{}
	distinctNames := map[string]bool{}
	perLeaf := map[string]int{}
	for _, p := range c.Products {
		distinctPrices[p.PriceCents] = true
		distinctNames[p.Name] = true
		perLeaf[p.CategorySlug]++
	}

	tests := []struct {
		name string
		got  int
		ok   func(int) bool
		want string
	}{
		{"out of stock", count(func(p Product) bool { return p.Stock == 0 }), pct(3, 8), "3%..8%"},
		{"low stock", count(func(p Product) bool { return p.Stock >= 1 && p.Stock <= 5 }), pct(3, 8), "3%..8%"},
		{"wireless", count(mentions("wireless")), atLeast(10), ">= 10"},
		{"organic", count(mentions("organic")), atLeast(10), ">= 10"},
		{"waterproof", count(mentions("waterproof")), atLeast(10), ">= 10"},
		{"retail price endings", count(func(p Product) bool {
			e := p.PriceCents % 100
			return e == 99 || e == 49 || e == 0
		}), pct(85, 100), "85%..100%"},
		{"best-sellers over 1500 units", count(func(p Product) bool { return p.UnitsSold > 1500 }), pct(1, 10), "1%..10%"},
		{"never sold", count(func(p Product) bool { return p.UnitsSold == 0 }), pct(0, 20), "0%..20%"},
		{"distinct names", len(distinctNames), pct(95, 100), "95%..100%"},
		{"distinct prices", len(distinctPrices), pct(0, 50), "at most 50% (ties wanted)"},
	}
	for _, tt := range tests {
		if !tt.ok(tt.got) {
			t.Errorf("%s: got %d of %d products, want %s", tt.name, tt.got, n, tt.want)
		}
	}

	for _, cat := range c.Categories {
		leaf := true
		for _, child := range c.Categories {
			if child.ParentSlug == cat.Slug {
				leaf = false
				break
			}
		}
		if leaf && perLeaf[cat.Slug] < 20 {
			t.Errorf("leaf %q has %d products, want at least 20", cat.Slug, perLeaf[cat.Slug])
		}
	}
}

func TestSlugify(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Acme Wireless Noise-Cancelling Headphones", "acme-wireless-noise-cancelling-headphones"},
		{"Organic Cotton Crew T-Shirt, Navy", "organic-cotton-crew-t-shirt-navy"},
		{"Ferro & Co Chef's Knife", "ferro-and-co-chefs-knife"},
		{"Laptop 14-Inch, 16GB/512GB", "laptop-14-inch-16gb-512gb"},
		{"Board Game, Ages 8+", "board-game-ages-8"},
		{"  --Hello--  World--  ", "hello-world"},
		{"Café", "caf"},
	}
	for _, tt := range tests {
		if got := slugify(tt.in); got != tt.want {
			t.Errorf("slugify(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Generate(DefaultProducts)
	}
}
