package domain

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on catalog input.
const (
	MaxProductNameLength        = 200
	MaxProductDescriptionLength = 5000
	MaxSlugLength               = 120
	MaxStock                    = 1_000_000
	MaxStockDelta               = 1_000_000
	MaxReasonLength             = 500
	// MaxPriceMinor caps a price at one million in a two-decimal currency.
	MaxPriceMinor = 100_000_000
)

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Slugify derives a URL handle from a name: ASCII letters and digits, lower-cased, runs
// of anything else folded into single hyphens.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		case r == '&':
			if b.Len() > 0 {
				b.WriteString("-and")
			}
			dash = true
		default:
			dash = true
		}
		if b.Len() >= MaxSlugLength {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > MaxSlugLength {
		s = strings.Trim(s[:MaxSlugLength], "-")
	}
	return s
}

// NewProduct is what creating a product takes. Slug is derived from Name when empty.
// Without Variants the product gets one default variant with Price and Stock; with them,
// a variant without a price of its own (Price zero) takes Price.
type NewProduct struct {
	Name        string
	Description string
	Slug        string
	Price       int64
	CategoryID  int64
	Stock       int
	BrandID     int64
	Variants    []NewVariant
	Images      []NewImage
	Attributes  []AttributeInput
}

// ProductChanges is a partial update of a product: nil fields stay as they are.
type ProductChanges struct {
	Name        *string
	Description *string
	Slug        *string
	// Price sets the price of the product's only variant (a product with several
	// variants changes them with UpdateVariants).
	Price      *int64
	CategoryID *int64
	BrandID    *int64
}

// Empty reports whether the update changes nothing.
func (c ProductChanges) Empty() bool {
	return c.Name == nil && c.Description == nil && c.Slug == nil && c.Price == nil && c.CategoryID == nil && c.BrandID == nil
}

func validText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

func checkName(path []string, name string) *Error {
	n := strings.TrimSpace(name)
	switch {
	case n == "":
		return FieldError(path, "name must not be empty")
	case utf8.RuneCountInString(n) > MaxProductNameLength || !validText(n):
		return FieldError(path, "name must be at most %d characters of text", MaxProductNameLength)
	}
	return nil
}

func checkDescription(path []string, d string) *Error {
	if utf8.RuneCountInString(d) > MaxProductDescriptionLength || !validText(d) {
		return FieldError(path, "description must be at most %d characters of text", MaxProductDescriptionLength)
	}
	return nil
}

func checkSlug(path []string, s string) *Error {
	if len(s) > MaxSlugLength || !slugPattern.MatchString(s) {
		return FieldError(path, "slug must be lower-case letters, digits and single hyphens, at most %d characters", MaxSlugLength)
	}
	return nil
}

func checkPrice(path []string, p int64) *Error {
	switch {
	case p < 0:
		return FieldError(path, "price must not be negative")
	case p > MaxPriceMinor:
		return FieldError(path, "price must be at most %s", FormatMinor(MaxPriceMinor))
	}
	return nil
}

func collect(errs ...*Error) []*Error {
	var out []*Error
	for _, e := range errs {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

// Normalize trims the text fields and derives the slug when it is empty.
func (p NewProduct) Normalize() NewProduct {
	p.Name = strings.TrimSpace(p.Name)
	p.Description = strings.TrimSpace(p.Description)
	p.Slug = strings.TrimSpace(p.Slug)
	if p.Slug == "" {
		p.Slug = Slugify(p.Name)
	}
	if p.Variants != nil {
		vs := make([]NewVariant, len(p.Variants))
		for i, v := range p.Variants {
			vs[i] = v.Normalize()
			if vs[i].Price == 0 {
				vs[i].Price = p.Price
			}
		}
		p.Variants = vs
	}
	for i := range p.Images {
		p.Images[i] = p.Images[i].Normalize()
	}
	return p
}

// DefaultVariants returns the variants to create with the product: the given ones, or
// one default variant with the product's price and stock.
func (p NewProduct) DefaultVariants() []NewVariant {
	if len(p.Variants) > 0 {
		return p.Variants
	}
	return []NewVariant{{Price: p.Price, Stock: p.Stock}}
}

// Validate returns the problems of a normalized p, each blaming its field under input.
func (p NewProduct) Validate() []*Error {
	var stock *Error
	if p.Stock < 0 || p.Stock > MaxStock {
		stock = FieldError([]string{"input", "stock"}, "stock must be between 0 and %d", MaxStock)
	}
	var slug *Error
	if checkName(nil, p.Name) == nil {
		slug = checkSlug([]string{"input", "slug"}, p.Slug)
	}
	errs := collect(
		checkName([]string{"input", "name"}, p.Name),
		checkDescription([]string{"input", "description"}, p.Description),
		slug,
		checkPrice([]string{"input", "price"}, p.Price),
		stock,
	)
	if len(p.Variants) > MaxVariants {
		errs = append(errs, FieldError([]string{"input", "variants"}, "a product has at most %d variants", MaxVariants))
	}
	for i, v := range p.Variants {
		errs = append(errs, v.Validate("input", "variants", strconv.Itoa(i))...)
	}
	errs = append(errs, ValidateVariantSet([]string{"input", "variants"}, p.Variants)...)
	if len(p.Images) > MaxImages {
		errs = append(errs, FieldError([]string{"input", "media"}, "a product has at most %d images", MaxImages))
	}
	for i, img := range p.Images {
		errs = append(errs, img.Validate("input", "media", strconv.Itoa(i))...)
	}
	if len(p.Attributes) > MaxAttributes {
		errs = append(errs, FieldError([]string{"input", "attributes"}, "a product has at most %d attributes", MaxAttributes))
	}
	return errs
}

// ValidateVariantSet returns the problems of variants created together: the same option
// names in the same order, and no two with the same option values.
func ValidateVariantSet(path []string, vs []NewVariant) []*Error {
	var errs []*Error
	for i := 1; i < len(vs); i++ {
		p := append(append([]string{}, path...), strconv.Itoa(i), "selectedOptions")
		if !SameOptionNames(vs[0].Options, vs[i].Options) {
			errs = append(errs, FieldError(p, "every variant must have the options of the first, in the same order"))
			continue
		}
		for j := 0; j < i; j++ {
			if SameOptions(vs[j].Options, vs[i].Options) {
				errs = append(errs, FieldError(p, "two variants have the same option values"))
				break
			}
		}
	}
	return errs
}

// Normalize trims the text fields that are set.
func (c ProductChanges) Normalize() ProductChanges {
	trim := func(s *string) *string {
		if s == nil {
			return nil
		}
		t := strings.TrimSpace(*s)
		return &t
	}
	c.Name, c.Description, c.Slug = trim(c.Name), trim(c.Description), trim(c.Slug)
	return c
}

// Validate returns the problems of the set fields of a normalized c.
func (c ProductChanges) Validate() []*Error {
	var errs []*Error
	if c.Empty() {
		errs = append(errs, FieldError([]string{"input"}, "nothing to change"))
	}
	if c.Name != nil {
		errs = append(errs, checkName([]string{"input", "name"}, *c.Name))
	}
	if c.Description != nil {
		errs = append(errs, checkDescription([]string{"input", "description"}, *c.Description))
	}
	if c.Slug != nil {
		errs = append(errs, checkSlug([]string{"input", "slug"}, *c.Slug))
	}
	if c.Price != nil {
		errs = append(errs, checkPrice([]string{"input", "price"}, *c.Price))
	}
	return collect(errs...)
}

// ValidateAdjustment returns the problems of an inventory adjustment.
func ValidateAdjustment(delta int, reason string) []*Error {
	var errs []*Error
	switch {
	case delta == 0:
		errs = append(errs, FieldError([]string{"delta"}, "delta must not be zero"))
	case delta > MaxStockDelta || delta < -MaxStockDelta:
		errs = append(errs, FieldError([]string{"delta"}, "delta must be between -%d and %d", MaxStockDelta, MaxStockDelta))
	}
	r := strings.TrimSpace(reason)
	if r == "" || utf8.RuneCountInString(r) > MaxReasonLength || !validText(r) {
		errs = append(errs, FieldError([]string{"reason"}, "reason must be 1 to %d characters of text", MaxReasonLength))
	}
	return errs
}

// CatalogWriter changes the catalog. Every change writes its events (product.*,
// inventory.adjusted, product.out_of_stock) to the outbox in the same transaction.
// Errors: NOT_FOUND for an unknown or deleted product, CONFLICT (with the slug field) for
// a slug in use, BAD_USER_INPUT (with its field) for an unknown category or stock that
// would fall below zero.
type CatalogWriter interface {
	VariantWriter
	MediaWriter
	AttributeWriter
	// CreateProduct adds a product with its variants (or one default variant), images and
	// attribute values; p must be normalized and valid.
	CreateProduct(ctx context.Context, p NewProduct) (Product, error)
	// UpdateProduct applies the changes to a live product; c must be normalized and valid.
	UpdateProduct(ctx context.Context, id int64, c ProductChanges) (Product, error)
	// DeleteProduct removes a live product from the catalog, keeping its row for orders.
	DeleteProduct(ctx context.Context, id int64) (Product, error)
	// AdjustInventory adds delta (negative to remove) to the stock of a live product's
	// only variant, never below zero (AdjustVariantInventory with variant zero).
	AdjustInventory(ctx context.Context, id int64, delta int, reason string) (Product, error)
}
