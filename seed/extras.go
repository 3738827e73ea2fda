package seed

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Variant is one variant of a demo product.
type Variant struct {
	SKU string
	// Options are name/value pairs in the product's option order; none for a
	// default variant.
	Options    []Option
	PriceCents int64
	// CompareAtCents is the price before a reduction; 0 for none.
	CompareAtCents int64
	Stock          int
	// Image is the index in the product's Images of the picture that shows the
	// variant; -1 for none.
	Image int
}

// Option is one option value of a variant, such as Size M.
type Option struct{ Name, Value string }

// Image is a picture of a demo product, drawn by the server itself.
type Image struct {
	AltText       string
	Width, Height int
}

// Attribute is an attribute definition: TEXT, NUMBER or BOOLEAN.
type Attribute struct{ Name, Type string }

// AttributeValue is a product's value of an attribute, in text form ("13.3",
// "true").
type AttributeValue struct{ Name, Value string }

// The attributes of the demo catalog.
var attributes = []Attribute{
	{"Material", "TEXT"},
	{"Warranty (years)", "NUMBER"},
	{"Weight (kg)", "NUMBER"},
	{"Waterproof", "BOOLEAN"},
	{"Eco-friendly", "BOOLEAN"},
	{"Pages", "NUMBER"},
}

func attributeDefs() []Attribute {
	out := append([]Attribute(nil), attributes...)
	// By name, as the store lists them.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && strings.ToLower(out[j].Name) < strings.ToLower(out[j-1].Name); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

var (
	apparel      = map[string]bool{"mens-t-shirts": true, "mens-jackets": true, "womens-dresses": true, "womens-sweaters": true}
	books        = map[string]bool{"mystery-thriller": true, "science-fiction-fantasy": true, "cookbooks": true, "biographies-memoirs": true}
	apparelSizes = []string{"S", "M", "L", "XL"}
	weights      = []int{2, 5, 10, 15, 20}
)

// extras gives product i its brand, variants, images and attributes from a generator
// of its own, so that they never change the draws of the catalog's other fields.
func extras(p *Product, s *leafSpec, material string, i int) {
	r := rand.New(rand.NewPCG(pcgSeed1^uint64(i+1), pcgSeed2))
	if books[s.slug] {
		p.Brand = "" // a book's "brand" is the first word of its title
	}
	sku := fmt.Sprintf("SG-%05d", i+1)
	p.Images = []Image{{AltText: p.Name, Width: 1200, Height: 1200}}
	for k := r.IntN(3); k > 0; k-- {
		p.Images = append(p.Images, Image{AltText: p.Name + ", detail", Width: 1200, Height: 900})
	}
	switch {
	case apparel[s.slug]:
		colours := pickN(r, s.variants, 2)
		first := len(p.Images)
		for _, c := range colours {
			p.Images = append(p.Images, Image{AltText: p.Name + " in " + c, Width: 900, Height: 1200})
		}
		for ci, c := range colours {
			for si, size := range apparelSizes {
				p.Variants = append(p.Variants, Variant{
					SKU:        fmt.Sprintf("%s-%s-%s", sku, strings.ToUpper(strings.ReplaceAll(c, " ", "")), size),
					Options:    []Option{{"Size", size}, {"Colour", c}},
					PriceCents: p.PriceCents + int64(si/3)*200, // XL costs 2.00 more
					Image:      first + ci,
				})
			}
		}
	case s.slug == "weights":
		for k, w := range weights[:2+r.IntN(3)] {
			p.Variants = append(p.Variants, Variant{
				SKU: fmt.Sprintf("%s-%dKG", sku, w), Options: []Option{{"Weight", fmt.Sprintf("%d kg", w)}},
				PriceCents: p.PriceCents + int64(k)*1000, Image: -1,
			})
		}
	case s.slug == "yoga-pilates":
		for _, c := range pickN(r, s.variants, 3) {
			p.Variants = append(p.Variants, Variant{SKU: sku + "-" + strings.ToUpper(strings.ReplaceAll(c, " ", "")),
				Options: []Option{{"Colour", c}}, PriceCents: p.PriceCents, Image: -1})
		}
	default:
		p.Variants = []Variant{{SKU: sku, PriceCents: p.PriceCents, Stock: p.Stock, Image: -1}}
	}
	if len(p.Variants) > 1 {
		// The product's stock, shared out over its variants; a few sell out.
		left := p.Stock
		for k := range p.Variants {
			if k == len(p.Variants)-1 {
				p.Variants[k].Stock = left
				break
			}
			n := 0
			if left > 0 && r.IntN(10) != 0 {
				n = r.IntN(left/(len(p.Variants)-k)*2 + 1)
				n = min(n, left)
			}
			p.Variants[k].Stock = n
			left -= n
		}
	}
	if r.IntN(6) == 0 {
		for k := range p.Variants {
			p.Variants[k].CompareAtCents = p.Variants[k].PriceCents * 5 / 4 / 100 * 100
		}
	}

	p.Attributes = []AttributeValue{{"Material", material}}
	switch {
	case books[s.slug]:
		p.Attributes = []AttributeValue{{"Pages", fmt.Sprint(180 + r.IntN(40)*10)}}
	case s.tmpl == tmplBuilt:
		p.Attributes = append(p.Attributes, AttributeValue{"Warranty (years)", fmt.Sprint(1 + r.IntN(3))})
	}
	if s.slug == "tents" || s.slug == "hiking-backpacks" || s.slug == "speakers" || s.slug == "mens-jackets" {
		p.Attributes = append(p.Attributes, AttributeValue{"Waterproof", fmt.Sprint(r.IntN(3) != 0)})
	}
	if s.slug == "tents" || s.slug == "hiking-backpacks" || s.slug == "laptops" {
		p.Attributes = append(p.Attributes, AttributeValue{"Weight (kg)", fmt.Sprintf("%d.%d", 1+r.IntN(4), r.IntN(10))})
	}
	if r.IntN(4) == 0 {
		p.Attributes = append(p.Attributes, AttributeValue{"Eco-friendly", "true"})
	}
}

// pickN returns n distinct words of words (all of them when there are fewer), in the
// order drawn.
func pickN(r *rand.Rand, words []string, n int) []string {
	idx := r.Perm(len(words))
	out := make([]string, 0, n)
	for _, k := range idx[:min(n, len(idx))] {
		out = append(out, words[k])
	}
	return out
}

// Slugify returns the URL handle the seed derives from a name, such as a brand's.
func Slugify(s string) string { return slugify(s) }
