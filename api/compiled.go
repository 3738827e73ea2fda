package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shopgraph/shopgraph/graph"
	"github.com/shopgraph/shopgraph/graph/model"
)

// catalogWriter answers the storefront's hottest selections, products with their price,
// rating, category, images and variants, by writing their JSON straight to a buffer
// instead of going through gqlgen's executor, which for every field of every product
// makes a field context, a field set, a trip through the field middleware and (for lists
// and resolver fields) a goroutine: a page of 50 products is some 1,500 fields.
//
// It takes over a field whose value is a product or a list of products (Query.product,
// ProductConnection.nodes, ProductEdge.node) once its resolver has run, and only when
// every field selected below it is one it knows (see catalogFields); everything else,
// and every field it takes over that fails (a resolver's error, a null where the schema
// forbids one, a panic), is left to gqlgen, which then marshals the field as usual and
// reports the error as usual. Everything around the field, parsing, validation,
// persisted queries, the allow-list, the limits and their cost extension, identity and
// read routing, the field's own resolver and its errors, is gqlgen's in both cases.
// It calls the same resolvers as the generated code, with the same arguments, and times
// them for shopgraph_resolver_duration_seconds as the observer does; it stands aside when
// fields are traced (a span per field), and for @defer.
//
// TestCompiledCatalogMatchesExecutor checks, over the clients' operations and the
// bench's, that the answers are byte for byte those of gqlgen's executor.
type catalogWriter struct {
	// The resolvers of the fields it answers that have one, made once: the root makes a
	// new one on every call.
	product graph.ProductResolver
	image   graph.ImageResolver
	metrics *Metrics
}

func newCatalogWriter(root graph.ResolverRoot) *catalogWriter {
	return &catalogWriter{product: root.Product(), image: root.Image()}
}

// catalogFields lists, per object type, the fields the writer can answer, and the type of
// each object field ("" for a leaf). A selection with any other field is gqlgen's.
var catalogFields = map[string]map[string]string{
	"Product": {
		"__typename": "", "id": "", "slug": "", "name": "", "description": "", "price": "Money",
		"availableQuantity": "", "inStock": "", "createdAt": "", "category": "Category",
		"rating": "ProductRating", "variants": "ProductVariant", "images": "Image", "featuredImage": "Image",
		"priceRange": "PriceRange", "options": "ProductOption", "brand": "Brand",
	},
	"PriceRange":     {"__typename": "", "minVariantPrice": "Money", "maxVariantPrice": "Money"},
	"ProductOption":  {"__typename": "", "name": "", "values": ""},
	"Brand":          {"__typename": "", "id": "", "slug": "", "name": ""},
	"Money":          {"__typename": "", "amount": "", "currencyCode": ""},
	"Category":       {"__typename": "", "id": "", "slug": "", "name": "", "description": "", "parent": "Category"},
	"ProductRating":  {"__typename": "", "average": "", "count": ""},
	"ProductVariant": {"__typename": "", "id": "", "sku": "", "title": "", "selectedOptions": "SelectedOption", "price": "Money", "compareAtPrice": "Money", "availableQuantity": "", "inStock": ""},
	"SelectedOption": {"__typename": "", "name": "", "value": ""},
	"Image":          {"__typename": "", "id": "", "url": "", "altText": "", "width": "", "height": ""},
}

// implementors are what each type satisfies in fragments' type conditions, as in the
// generated code.
var implementors = map[string][]string{
	"Product":        {"Product", "Node"},
	"Money":          {"Money"},
	"Category":       {"Category", "Node"},
	"ProductRating":  {"ProductRating"},
	"ProductVariant": {"ProductVariant", "Node"},
	"SelectedOption": {"SelectedOption"},
	"Image":          {"Image"},
	"PriceRange":     {"PriceRange"},
	"ProductOption":  {"ProductOption"},
	"Brand":          {"Brand", "Node"},
}

// errFallback abandons the written answer: gqlgen answers the field instead.
var errFallback = fmt.Errorf("left to the executor")

// intercept returns the written answer of the field in ctx, whose resolver returned res,
// or nil when gqlgen is to marshal res itself.
func (c *catalogWriter) intercept(ctx context.Context, fc *graphql.FieldContext, res any) graphql.Marshaler {
	switch {
	case fc.Object == "Query" && fc.Field.Name == "product",
		fc.Object == "ProductEdge" && fc.Field.Name == "node":
		p, ok := res.(*model.Product)
		if !ok || p == nil {
			return nil
		}
		return c.write(ctx, fc, func(w *writer) error { return w.product(p, fc.Field.Selections) })
	case fc.Object == "ProductConnection" && fc.Field.Name == "nodes":
		ps, ok := res.([]*model.Product)
		if !ok {
			return nil
		}
		return c.write(ctx, fc, func(w *writer) error {
			return writeList(w, ps, func(p *model.Product) error { return w.product(p, fc.Field.Selections) })
		})
	}
	return nil
}

// write runs fill when the field's selection is one the writer knows, and returns the
// bytes it wrote; nil when fill gives up (or panics), so that gqlgen answers.
func (c *catalogWriter) write(ctx context.Context, fc *graphql.FieldContext, fill func(*writer) error) (m graphql.Marshaler) {
	if !graphql.HasOperationContext(ctx) {
		return nil
	}
	w := &writer{c: c, ctx: ctx, oc: graphql.GetOperationContext(ctx)}
	if !w.known(fc.Field.Selections, "Product") {
		return nil
	}
	w.buf.Grow(512)
	defer func() {
		if r := recover(); r != nil {
			m = nil // gqlgen runs the field again and reports the panic its own way
		}
	}()
	if err := fill(w); err != nil {
		return nil
	}
	return rawJSON(w.buf.Bytes())
}

// known reports whether every field selected on an object of type typ, and below, is
// one the writer can answer, with no @defer.
func (w *writer) known(sel ast.SelectionSet, typ string) bool {
	fields := catalogFields[typ]
	for _, f := range w.collect(sel, typ) {
		child, ok := fields[f.Name]
		if !ok || f.IsDeferred() || len(f.Deferrables) > 0 {
			return false
		}
		if child != "" && !w.known(f.Selections, child) {
			return false
		}
	}
	return true
}

// selectionKey names a selection set on a type within one operation.
type selectionKey struct {
	first *ast.Selection
	n     int
	typ   string
}

// collect returns the fields selected on an object of type typ, as the generated code
// collects them (fragments, @skip and @include applied), once per selection set and
// answer rather than once per object: gqlgen's own cache builds a key string each time.
func (w *writer) collect(sel ast.SelectionSet, typ string) []graphql.CollectedField {
	if len(sel) == 0 {
		return graphql.CollectFields(w.oc, sel, implementors[typ])
	}
	k := selectionKey{&sel[0], len(sel), typ}
	if fs, ok := w.collected[k]; ok {
		return fs
	}
	fs := graphql.CollectFields(w.oc, sel, implementors[typ])
	if w.collected == nil {
		w.collected = map[selectionKey][]graphql.CollectedField{}
	}
	w.collected[k] = fs
	return fs
}

// rawJSON is an answer already written.
type rawJSON []byte

func (r rawJSON) MarshalGQL(w io.Writer) { _, _ = w.Write(r) }

// writer writes one field's answer.
type writer struct {
	c         *catalogWriter
	ctx       context.Context
	oc        *graphql.OperationContext
	buf       bytes.Buffer
	collected map[selectionKey][]graphql.CollectedField
	// widths are url's width arguments, by field.
	widths map[*ast.Field]*int
}

// fields writes the object of type typ: each collected field's alias and what value
// writes for it.
func (w *writer) fields(sel ast.SelectionSet, typ string, value func(f graphql.CollectedField) error) error {
	w.buf.WriteByte('{')
	for i, f := range w.collect(sel, typ) {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		w.str(f.Alias)
		w.buf.WriteByte(':')
		if f.Name == "__typename" {
			w.str(typ)
			continue
		}
		if err := value(f); err != nil {
			return err
		}
	}
	w.buf.WriteByte('}')
	return nil
}

// resolved times a resolver as the observer does for the fields gqlgen runs.
func (w *writer) resolved(object, field string, start time.Time) {
	if w.c.metrics != nil {
		w.c.metrics.resolverObserver(object, field).Observe(time.Since(start).Seconds())
	}
}

func (w *writer) product(p *model.Product, sel ast.SelectionSet) error {
	return w.fields(sel, "Product", func(f graphql.CollectedField) error {
		switch f.Name {
		case "id":
			w.str(p.ID)
		case "slug":
			w.str(p.Slug)
		case "name":
			w.str(p.Name)
		case "description":
			w.str(p.Description)
		case "price":
			return w.money(p.Price, f.Selections, false)
		case "availableQuantity":
			w.int(p.AvailableQuantity)
		case "inStock":
			w.bool(p.InStock)
		case "createdAt":
			graphql.MarshalTime(p.CreatedAt).MarshalGQL(&w.buf)
		case "rating":
			if p.Rating == nil {
				return errFallback
			}
			return w.fields(f.Selections, "ProductRating", func(g graphql.CollectedField) error {
				switch g.Name {
				case "average":
					return w.float(p.Rating.Average)
				case "count":
					w.int(p.Rating.Count)
				}
				return nil
			})
		case "category":
			start := time.Now()
			c, err := w.c.product.Category(w.ctx, p)
			w.resolved("Product", "category", start)
			if err != nil || c == nil {
				return errFallback
			}
			return w.category(c, f.Selections)
		case "variants":
			start := time.Now()
			vs, err := w.c.product.Variants(w.ctx, p)
			w.resolved("Product", "variants", start)
			if err != nil || vs == nil {
				return errFallback
			}
			if err := writeList(w, vs, func(v *model.ProductVariant) error { return w.variant(v, f.Selections) }); err != nil {
				return err
			}
		case "images":
			start := time.Now()
			is, err := w.c.product.Images(w.ctx, p)
			w.resolved("Product", "images", start)
			if err != nil || is == nil {
				return errFallback
			}
			if err := writeList(w, is, func(im *model.Image) error { return w.image(im, f.Selections) }); err != nil {
				return err
			}
		case "featuredImage":
			start := time.Now()
			im, err := w.c.product.FeaturedImage(w.ctx, p)
			w.resolved("Product", "featuredImage", start)
			if err != nil {
				return errFallback
			}
			if im == nil {
				w.null()
				return nil
			}
			return w.image(im, f.Selections)
		case "priceRange":
			start := time.Now()
			r, err := w.c.product.PriceRange(w.ctx, p)
			w.resolved("Product", "priceRange", start)
			if err != nil || r == nil {
				return errFallback
			}
			return w.fields(f.Selections, "PriceRange", func(g graphql.CollectedField) error {
				switch g.Name {
				case "minVariantPrice":
					return w.money(r.MinVariantPrice, g.Selections, false)
				case "maxVariantPrice":
					return w.money(r.MaxVariantPrice, g.Selections, false)
				}
				return nil
			})
		case "options":
			start := time.Now()
			os, err := w.c.product.Options(w.ctx, p)
			w.resolved("Product", "options", start)
			if err != nil || os == nil {
				return errFallback
			}
			w.buf.WriteByte('[')
			for i, o := range os {
				if o == nil || o.Values == nil {
					return errFallback
				}
				if i > 0 {
					w.buf.WriteByte(',')
				}
				if err := w.fields(f.Selections, "ProductOption", func(g graphql.CollectedField) error {
					switch g.Name {
					case "name":
						w.str(o.Name)
					case "values":
						w.buf.WriteByte('[')
						for j, v := range o.Values {
							if j > 0 {
								w.buf.WriteByte(',')
							}
							w.str(v)
						}
						w.buf.WriteByte(']')
					}
					return nil
				}); err != nil {
					return err
				}
			}
			w.buf.WriteByte(']')
		case "brand":
			start := time.Now()
			b, err := w.c.product.Brand(w.ctx, p)
			w.resolved("Product", "brand", start)
			if err != nil {
				return errFallback
			}
			if b == nil {
				w.null()
				return nil
			}
			return w.fields(f.Selections, "Brand", func(g graphql.CollectedField) error {
				switch g.Name {
				case "id":
					w.str(b.ID)
				case "slug":
					w.str(b.Slug)
				case "name":
					w.str(b.Name)
				}
				return nil
			})
		default:
			return errFallback
		}
		return nil
	})
}

func (w *writer) money(m *model.Money, sel ast.SelectionSet, nullable bool) error {
	if m == nil {
		if !nullable {
			return errFallback
		}
		w.null()
		return nil
	}
	return w.fields(sel, "Money", func(f graphql.CollectedField) error {
		switch f.Name {
		case "amount":
			m.Amount.MarshalGQL(&w.buf)
		case "currencyCode":
			w.str(m.CurrencyCode)
		}
		return nil
	})
}

func (w *writer) category(c *model.Category, sel ast.SelectionSet) error {
	return w.fields(sel, "Category", func(f graphql.CollectedField) error {
		switch f.Name {
		case "id":
			w.str(c.ID)
		case "slug":
			w.str(c.Slug)
		case "name":
			w.str(c.Name)
		case "description":
			w.str(c.Description)
		case "parent":
			if c.Parent == nil {
				w.null()
				return nil
			}
			return w.category(c.Parent, f.Selections)
		}
		return nil
	})
}

func (w *writer) variant(v *model.ProductVariant, sel ast.SelectionSet) error {
	return w.fields(sel, "ProductVariant", func(f graphql.CollectedField) error {
		switch f.Name {
		case "id":
			w.str(v.ID)
		case "sku":
			w.str(v.Sku)
		case "title":
			w.str(v.Title)
		case "selectedOptions":
			if v.SelectedOptions == nil {
				return errFallback
			}
			w.buf.WriteByte('[')
			for i, o := range v.SelectedOptions {
				if o == nil {
					return errFallback
				}
				if i > 0 {
					w.buf.WriteByte(',')
				}
				if err := w.fields(f.Selections, "SelectedOption", func(g graphql.CollectedField) error {
					switch g.Name {
					case "name":
						w.str(o.Name)
					case "value":
						w.str(o.Value)
					}
					return nil
				}); err != nil {
					return err
				}
			}
			w.buf.WriteByte(']')
		case "price":
			return w.money(v.Price, f.Selections, false)
		case "compareAtPrice":
			return w.money(v.CompareAtPrice, f.Selections, true)
		case "availableQuantity":
			w.int(v.AvailableQuantity)
		case "inStock":
			w.bool(v.InStock)
		}
		return nil
	})
}

func (w *writer) image(im *model.Image, sel ast.SelectionSet) error {
	return w.fields(sel, "Image", func(f graphql.CollectedField) error {
		switch f.Name {
		case "id":
			w.str(im.ID)
		case "url":
			width, err := w.width(f.Field)
			if err != nil {
				return errFallback
			}
			start := time.Now()
			u, err := w.c.image.URL(w.ctx, im, width)
			w.resolved("Image", "url", start)
			if err != nil {
				return errFallback
			}
			w.str(u)
		case "altText":
			if im.AltText == nil {
				w.null()
				return nil
			}
			w.str(*im.AltText)
		case "width":
			w.int(im.Width)
		case "height":
			w.int(im.Height)
		}
		return nil
	})
}

// width reads url's argument as the generated code does (Int, nullable), once per field
// of the operation.
func (w *writer) width(f *ast.Field) (*int, error) {
	if width, ok := w.widths[f]; ok {
		return width, nil
	}
	var width *int
	if raw, ok := f.ArgumentMap(w.oc.Variables)["width"]; ok && raw != nil {
		n, err := graphql.UnmarshalInt(raw)
		if err != nil {
			return nil, err
		}
		width = &n
	}
	if w.widths == nil {
		w.widths = map[*ast.Field]*int{}
	}
	w.widths[f] = width
	return width, nil
}

// writeList writes items as a JSON array, each with write; a nil item is a null the
// writer leaves to gqlgen.
func writeList[T any](w *writer, items []*T, write func(*T) error) error {
	w.buf.WriteByte('[')
	for i, it := range items {
		if it == nil {
			return errFallback
		}
		if i > 0 {
			w.buf.WriteByte(',')
		}
		if err := write(it); err != nil {
			return err
		}
	}
	w.buf.WriteByte(']')
	return nil
}

func (w *writer) null() { w.buf.WriteString("null") }

func (w *writer) int(n int) { w.buf.Write(strconv.AppendInt(w.buf.AvailableBuffer(), int64(n), 10)) }

func (w *writer) bool(b bool) {
	if b {
		w.buf.WriteString("true")
	} else {
		w.buf.WriteString("false")
	}
}

// float writes as graphql.MarshalFloatContext does (%g), refusing what it refuses.
func (w *writer) float(f float64) error {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return errFallback
	}
	fmt.Fprintf(&w.buf, "%g", f)
	return nil
}

const hexDigits = "0123456789ABCDEF"

// str writes s quoted exactly as gqlgen's string marshaler does.
func (w *writer) str(s string) {
	b := &w.buf
	b.WriteByte('"')
	start := 0
	for i, c := range s {
		if c < 0x20 || c == '\\' || c == '"' {
			b.WriteString(s[start:i])
			switch c {
			case '\t':
				b.WriteString(`\t`)
			case '\r':
				b.WriteString(`\r`)
			case '\n':
				b.WriteString(`\n`)
			case '\\':
				b.WriteString(`\\`)
			case '"':
				b.WriteString(`\"`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			}
			start = i + 1
		}
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
