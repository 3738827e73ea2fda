// Package seed generates the deterministic demo catalog that `shopgraph seed`
// loads and that tests and benchmarks build on.
//
// The catalog is a pure function of the product count: it uses a fixed
// pseudo-random seed, never reads the clock and never iterates over a map,
// so fixtures, golden files and benchmark numbers stay comparable between
// runs and machines. Randomness only picks among hand-written vocabulary, so
// names and descriptions read like a real shop's.
package seed

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Category is one node of the demo category tree.
type Category struct {
	Slug        string // unique, lower-case, [a-z0-9-]
	Name        string
	Description string
	ParentSlug  string // "" for a root
	Position    int    // order among siblings, 0-based
}

// Product is one demo product.
type Product struct {
	Slug         string // unique, [a-z0-9-], derived from the name, suffixed to be unique
	Name         string
	Description  string // 1-3 sentences mentioning material, feature and use
	PriceCents   int64  // realistic for the category, 199..249999, mostly ending in 99, 49 or 00
	Currency     string // "USD"
	CategorySlug string // always a leaf category
	Stock        int    // 0..500; about 5% exactly 0 and about 5% between 1 and 5
	UnitsSold    int    // historical units sold, 0..5000, skewed towards a few best-sellers
	// CreatedAgo is how long before "now" the product was created, within
	// 0..365 days and distinct for every product, so sorting by creation
	// time is total.
	CreatedAgo time.Duration
	// Brand is the brand the name starts with, or "" for a product without one.
	Brand string
	// Variants are the product's variants: one default variant (no options) with
	// the product's price and stock, or for apparel, weights and mats a variant
	// per size, colour or weight, whose stocks add up to Stock and whose lowest
	// price is PriceCents.
	Variants []Variant
	// Images are the product's pictures, in display order (1 to 3).
	Images []Image
	// Attributes are the product's specifications, by attribute name.
	Attributes []AttributeValue
}

// Catalog is the whole demo catalog, categories parents-before-children.
type Catalog struct {
	Categories []Category
	Products   []Product
	// Brands are the brands of the products, sorted.
	Brands []string
	// Attributes are the attribute definitions the products use, by name.
	Attributes []Attribute
	// Warehouses are the demo warehouses; each variant's stock is spread over them by
	// SpreadStock.
	Warehouses []Warehouse
}

// DefaultProducts is the number of products `shopgraph seed` makes.
const DefaultProducts = 5000

// The seed is fixed so the catalog is reproducible; changing it changes
// every product and thus every fixture derived from the catalog.
const (
	pcgSeed1 = 0x5407_9a9b_5eed_0001
	pcgSeed2 = 0xca7a_1095_0fde_3001
)

// createdSpan bounds CreatedAgo. Ages are whole milliseconds so they stay
// distinct after a database truncates timestamps to micro- or milliseconds.
const createdSpan = 365 * 24 * time.Hour

// nameTries is how often a product name is redrawn when it is already
// taken. A few tries make names mostly distinct without ever looping long
// when a leaf's vocabulary is nearly exhausted.
const nameTries = 8

// Generate returns the demo catalog with n products (n >= 1). The same n
// always yields the same catalog; for n < 1 it returns the categories alone.
//
// Each product depends only on the products before it, so the products of
// Generate(n) are a prefix of those of Generate(m) for every m > n: a test
// using a small catalog sees the same first products as the seeded database.
func Generate(n int) Catalog {
	cats, leaves := buildCategories()
	if n < 1 {
		return Catalog{Categories: cats}
	}
	g := newGenerator(leaves, n)
	products := make([]Product, n)
	brands := map[string]bool{}
	for i := range products {
		products[i] = g.product(i)
		if b := products[i].Brand; b != "" {
			brands[b] = true
		}
	}
	names := make([]string, 0, len(brands))
	for b := range brands {
		names = append(names, b)
	}
	sort.Strings(names)
	return Catalog{Categories: cats, Products: products, Brands: names, Attributes: attributeDefs(), Warehouses: DemoWarehouses()}
}

// leaf is a leaf category with the closing sentences that apply to it.
type leaf struct {
	spec   *leafSpec
	extras []string
}

// buildCategories flattens the tree in pre-order, which puts every parent
// before its children, and collects the leaves in the same order.
func buildCategories() ([]Category, []leaf) {
	var cats []Category
	var leaves []leaf
	for ri := range tree {
		r := &tree[ri]
		cats = append(cats, Category{Slug: r.slug, Name: r.name, Description: r.desc, Position: ri})
		for gi := range r.groups {
			grp := &r.groups[gi]
			cats = append(cats, Category{Slug: grp.slug, Name: grp.name, Description: grp.desc, ParentSlug: r.slug, Position: gi})
			for li := range grp.leaves {
				s := &grp.leaves[li]
				cats = append(cats, Category{Slug: s.slug, Name: s.name, Description: s.desc, ParentSlug: grp.slug, Position: li})
				extras := s.extras
				if extras == nil {
					extras = r.extras
				}
				leaves = append(leaves, leaf{spec: s, extras: extras})
			}
		}
	}
	return cats, leaves
}

type generator struct {
	r      *rand.Rand
	leaves []leaf
	cum    []int // cumulative leaf weights, for weighted picks
	// The sets below are only probed, never ranged over, so they cannot
	// leak map iteration order into the output.
	names map[string]struct{}
	slugs map[string]struct{}
	ages  map[time.Duration]struct{}
	b     strings.Builder
	// brand and material are those of the last name and description drawn.
	brand, material string
}

func newGenerator(leaves []leaf, n int) *generator {
	g := &generator{
		r:      rand.New(rand.NewPCG(pcgSeed1, pcgSeed2)),
		leaves: leaves,
		cum:    make([]int, len(leaves)),
		names:  make(map[string]struct{}, n),
		slugs:  make(map[string]struct{}, n),
		ages:   make(map[time.Duration]struct{}, n),
	}
	total := 0
	for i, l := range leaves {
		total += l.spec.weight
		g.cum[i] = total
	}
	return g
}

func (g *generator) product(i int) Product {
	l := g.pickLeaf(i)
	s := l.spec
	name := g.name(s)
	p := Product{
		Slug:         g.uniqueSlug(slugify(name)),
		Name:         name,
		Brand:        g.brand,
		Description:  g.description(l),
		PriceCents:   g.price(s),
		Currency:     "USD",
		CategorySlug: s.slug,
		Stock:        g.stock(),
		UnitsSold:    g.unitsSold(),
		CreatedAgo:   g.createdAgo(),
	}
	// The extras draw from a generator of the product's own, so that adding them
	// left every earlier field of every product as it was.
	extras(&p, s, g.material, i)
	return p
}

// pickLeaf gives the first products one leaf each, so even a small catalog
// covers every leaf, and then weights leaves by popularity.
func (g *generator) pickLeaf(i int) leaf {
	if i < len(g.leaves) {
		return g.leaves[i]
	}
	k := g.r.IntN(g.cum[len(g.cum)-1])
	return g.leaves[sort.SearchInts(g.cum, k+1)]
}

func (g *generator) pick(words []string) string {
	return words[g.r.IntN(len(words))]
}

func (g *generator) name(s *leafSpec) string {
	var name string
	for range nameTries {
		g.brand = ""
		name = g.drawName(s)
		if _, taken := g.names[name]; !taken {
			break
		}
	}
	g.names[name] = struct{}{}
	return name
}

func (g *generator) drawName(s *leafSpec) string {
	b := &g.b
	b.Reset()
	b.Grow(80) // fits every name, sparing repeated growth
	// Not every product carries a brand or a variant, which is both
	// realistic and widens the space of distinct names.
	if g.r.IntN(5) != 0 {
		g.brand = g.pick(s.brands)
		b.WriteString(g.brand)
		b.WriteByte(' ')
	}
	b.WriteString(g.pick(s.adjs))
	b.WriteByte(' ')
	b.WriteString(g.pick(s.nouns))
	if g.r.IntN(4) != 0 {
		b.WriteString(", ")
		b.WriteString(g.pick(s.variants))
	}
	return b.String()
}

// slugify lower-cases ASCII letters and digits and joins the words between
// them with single hyphens. Apostrophes vanish so "Chef's" becomes "chefs"
// rather than "chef-s", and "&" reads as "and".
func slugify(s string) string {
	out := make([]byte, 0, len(s)+4)
	sep := false
	put := func(c byte) {
		if sep && len(out) > 0 {
			out = append(out, '-')
		}
		sep = false
		out = append(out, c)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			put(c)
		case 'A' <= c && c <= 'Z':
			put(c + 'a' - 'A')
		case c == '\'':
		case c == '&':
			sep = true
			put('a')
			put('n')
			put('d')
			sep = true
		default:
			sep = true
		}
	}
	return string(out)
}

// uniqueSlug appends -2, -3, ... to a slug that is taken. The loop checks
// the suffixed form too, since a name may itself end in a number.
func (g *generator) uniqueSlug(base string) string {
	slug := base
	for k := 2; ; k++ {
		if _, taken := g.slugs[slug]; !taken {
			break
		}
		slug = base + "-" + strconv.Itoa(k)
	}
	g.slugs[slug] = struct{}{}
	return slug
}

func (g *generator) description(l leaf) string {
	s := l.spec
	// One material, feature and use per product keeps the sentences of a
	// description consistent with each other.
	material, feature, use := g.pick(s.materials), g.pick(s.features), g.pick(s.uses)
	g.material = material
	b := &g.b
	b.Reset()
	b.Grow(192) // fits every description, sparing repeated growth
	expand(b, g.pick(s.tmpl.lead), material, feature, use)
	if g.r.IntN(100) < 85 {
		b.WriteByte(' ')
		expand(b, g.pick(s.tmpl.use), material, feature, use)
	}
	if g.r.IntN(100) < 40 {
		b.WriteByte(' ')
		b.WriteString(g.pick(l.extras))
	}
	return b.String()
}

// expand writes tmpl with its placeholders filled in. It is hand-rolled
// because a strings.Replacer per product would cost more than the rest of
// the generator together.
func expand(b *strings.Builder, tmpl, material, feature, use string) {
	for {
		open := strings.IndexByte(tmpl, '{')
		if open < 0 {
			b.WriteString(tmpl)
			return
		}
		end := strings.IndexByte(tmpl[open:], '}')
		if end < 0 {
			panic("seed: unterminated placeholder in " + strconv.Quote(tmpl))
		}
		end += open
		b.WriteString(tmpl[:open])
		switch key := tmpl[open+1 : end]; key {
		case "material":
			b.WriteString(material)
		case "feature":
			b.WriteString(feature)
		case "use":
			b.WriteString(use)
		default:
			panic("seed: unknown placeholder {" + key + "}")
		}
		tmpl = tmpl[end+1:]
	}
}

// unit is the resolution of the skewed draws below.
const unit = 1 << 16

// price draws whole dollars with integer arithmetic only: floating-point
// functions such as math.Pow may differ in the last bit between
// architectures, which could move a price across a rounding boundary.
func (g *generator) price(s *leafSpec) int64 {
	// Squaring a uniform draw skews towards the cheap end of the range, as
	// real assortments are.
	u := g.r.Int64N(unit)
	d := s.minDollars + (s.maxDollars-s.minDollars)*(u*u/unit)/unit
	// Shops price expensive goods in round steps ($1,299.99, not
	// $1,287.99); coarse steps also give sorting by price plenty of ties.
	var step int64
	switch {
	case d >= 1000:
		step = 50
	case d >= 200:
		step = 10
	case d >= 50:
		step = 5
	default:
		step = 1
	}
	d = (d + step/2) / step * step
	var cents int64
	switch k := g.r.IntN(100); {
	case k < 65:
		cents = d*100 - 1 // $19.99
	case k < 80:
		cents = d*100 - 51 // $19.49
	case k < 95:
		cents = d * 100 // $20.00
	default:
		cents = d*100 - 5 // $19.95
	}
	return min(max(cents, 199), 249999)
}

// stock makes out-of-stock and low-stock products common enough that
// filters and badges for them have something to show.
func (g *generator) stock() int {
	switch k := g.r.IntN(100); {
	case k < 5:
		return 0
	case k < 10:
		return 1 + g.r.IntN(5)
	default:
		u := g.r.Int64N(unit)
		return 6 + int(u*u*495/(unit*unit))
	}
}

// unitsSold gives most products modest sales and a few percent
// best-seller numbers, so a best-selling sort has a clear top.
func (g *generator) unitsSold() int {
	if g.r.IntN(100) < 3 {
		return 1500 + g.r.IntN(3501)
	}
	u := g.r.Int64N(unit)
	return int(u * u * u / unit * 1200 / (unit * unit))
}

func (g *generator) createdAgo() time.Duration {
	const span = int64(createdSpan / time.Millisecond)
	for {
		d := time.Duration(g.r.Int64N(span+1)) * time.Millisecond
		if _, taken := g.ages[d]; !taken {
			g.ages[d] = struct{}{}
			return d
		}
	}
}
