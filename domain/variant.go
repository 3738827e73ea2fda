package domain

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on variants and their options.
const (
	// MaxVariants caps the live variants of one product.
	MaxVariants = 100
	// MaxOptions caps the options (Size, Colour...) of one product.
	MaxOptions = 3
	// MaxOptionLength caps an option's name and each of its values.
	MaxOptionLength = 60
	// MaxSKULength caps a SKU.
	MaxSKULength = 64
	// DefaultVariantTitle is the title of a variant without options.
	DefaultVariantTitle = "Default"
)

// SelectedOption is one option value of a variant, such as Size M.
type SelectedOption struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Variant is one buyable version of a product: its own SKU, option values, price and
// stock. A product has at least one live variant; one without options is its default
// variant, and a product with only that one is as simple to sell as before variants.
type Variant struct {
	ID        int64
	ProductID int64
	Position  int
	SKU       string
	// Options are the variant's option values, in the product's option order; every live
	// variant of a product has the same option names.
	Options []SelectedOption
	Price   Money
	// CompareAtMinor is the price before a reduction, in the price's currency; nil when
	// there is none.
	CompareAtMinor *int64
	Stock          int
	UnitsSold      int64
	// ImageID names the product image that shows this variant; zero for none.
	ImageID int64
	// Deleted is true for a variant removed from sale; order lines keep pointing at it.
	Deleted bool
}

// Title returns the variant's option values joined by " / ", such as "M / Blue", or
// DefaultVariantTitle for a variant without options.
func (v Variant) Title() string { return VariantTitle(v.Options) }

// VariantTitle is the title of a variant with the option values.
func VariantTitle(opts []SelectedOption) string {
	if len(opts) == 0 {
		return DefaultVariantTitle
	}
	vals := make([]string, len(opts))
	for i, o := range opts {
		vals[i] = o.Value
	}
	return strings.Join(vals, " / ")
}

// InStock reports whether at least one unit of the variant can be sold.
func (v Variant) InStock() bool { return v.Stock > 0 && !v.Deleted }

// ProductOption is a choice a product offers, with the values its live variants take, in
// the order they first appear.
type ProductOption struct {
	Name   string
	Values []string
}

// OptionsOf derives a product's options from its live variants (in variant order): the
// option names of the first variant, each with the distinct values the variants take.
func OptionsOf(variants []Variant) []ProductOption {
	var out []ProductOption
	for _, v := range variants {
		if v.Deleted {
			continue
		}
		if out == nil {
			out = make([]ProductOption, len(v.Options))
			for i, o := range v.Options {
				out[i].Name = o.Name
			}
		}
		for i, o := range v.Options {
			if i < len(out) && !slices.Contains(out[i].Values, o.Value) {
				out[i].Values = append(out[i].Values, o.Value)
			}
		}
	}
	if out == nil {
		return []ProductOption{}
	}
	return out
}

// SameOptionNames reports whether two variants' options have the same names in the same
// order, as every live variant of a product must.
func SameOptionNames(a, b []SelectedOption) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name {
			return false
		}
	}
	return true
}

// SameOptions reports whether two variants have the same option values.
func SameOptions(a, b []SelectedOption) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// NewVariant is what creating a variant takes. An empty SKU is derived from the product.
type NewVariant struct {
	SKU            string
	Options        []SelectedOption
	Price          int64
	CompareAtMinor *int64
	Stock          int
	ImageID        int64
}

// VariantChanges is a partial update of a variant: nil fields stay as they are. Stock
// changes go through inventory adjustments.
type VariantChanges struct {
	ID             int64
	SKU            *string
	Options        []SelectedOption // nil: unchanged
	Price          *int64
	CompareAtMinor *int64
	// ClearCompareAt removes the compare-at price.
	ClearCompareAt bool
	ImageID        *int64
}

// NormalizeOptions trims the option names and values.
func NormalizeOptions(opts []SelectedOption) []SelectedOption {
	if opts == nil {
		return nil
	}
	out := make([]SelectedOption, len(opts))
	for i, o := range opts {
		out[i] = SelectedOption{Name: strings.TrimSpace(o.Name), Value: strings.TrimSpace(o.Value)}
	}
	return out
}

// ValidateOptions returns the problems of normalized option values, blaming fields under
// path: at most MaxOptions, names and values of 1 to MaxOptionLength characters, no name
// twice.
func ValidateOptions(path []string, opts []SelectedOption) []*Error {
	if len(opts) > MaxOptions {
		return []*Error{FieldError(path, "a variant has at most %d options", MaxOptions)}
	}
	var errs []*Error
	seen := map[string]bool{}
	for i, o := range opts {
		p := append(append([]string{}, path...), strconv.Itoa(i))
		for _, f := range []struct{ name, v string }{{"name", o.Name}, {"value", o.Value}} {
			if f.v == "" || utf8.RuneCountInString(f.v) > MaxOptionLength || !validText(f.v) {
				errs = append(errs, FieldError(append(p, f.name), "an option %s must be 1 to %d characters of text", f.name, MaxOptionLength))
			}
		}
		key := strings.ToLower(o.Name)
		if seen[key] {
			errs = append(errs, FieldError(append(p, "name"), "option %q is given twice", o.Name))
		}
		seen[key] = true
	}
	return errs
}

func checkSKU(path []string, sku string) *Error {
	if sku == "" || len(sku) > MaxSKULength || strings.ContainsAny(sku, " \t\r\n") || !validText(sku) {
		return FieldError(path, "sku must be 1 to %d characters without spaces", MaxSKULength)
	}
	return nil
}

func checkCompareAt(path []string, compareAt *int64, price int64) *Error {
	if compareAt == nil {
		return nil
	}
	if e := checkPrice(path, *compareAt); e != nil {
		return e
	}
	if *compareAt < price {
		return FieldError(path, "compareAtPrice must not be below the price")
	}
	return nil
}

// Normalize trims the text fields.
func (v NewVariant) Normalize() NewVariant {
	v.SKU = strings.TrimSpace(v.SKU)
	v.Options = NormalizeOptions(v.Options)
	return v
}

// Validate returns the problems of a normalized variant, blaming fields under path.
func (v NewVariant) Validate(path ...string) []*Error {
	at := func(f string) []string { return append(append([]string{}, path...), f) }
	var errs []*Error
	if v.SKU != "" {
		errs = append(errs, checkSKU(at("sku"), v.SKU))
	}
	errs = append(errs, checkPrice(at("price"), v.Price), checkCompareAt(at("compareAtPrice"), v.CompareAtMinor, v.Price))
	if v.Stock < 0 || v.Stock > MaxStock {
		errs = append(errs, FieldError(at("stock"), "stock must be between 0 and %d", MaxStock))
	}
	out := collect(errs...)
	return append(out, ValidateOptions(at("selectedOptions"), v.Options)...)
}

// Normalize trims the text fields that are set.
func (c VariantChanges) Normalize() VariantChanges {
	if c.SKU != nil {
		s := strings.TrimSpace(*c.SKU)
		c.SKU = &s
	}
	c.Options = NormalizeOptions(c.Options)
	return c
}

// Validate returns the problems of the set fields of a normalized c, blaming fields under
// path. The compare-at price is checked against the price by the store, which knows both.
func (c VariantChanges) Validate(path ...string) []*Error {
	at := func(f string) []string { return append(append([]string{}, path...), f) }
	var errs []*Error
	if c.SKU != nil {
		errs = append(errs, checkSKU(at("sku"), *c.SKU))
	}
	if c.Price != nil {
		errs = append(errs, checkPrice(at("price"), *c.Price))
	}
	if c.CompareAtMinor != nil {
		errs = append(errs, checkPrice(at("compareAtPrice"), *c.CompareAtMinor))
	}
	out := collect(errs...)
	if c.Options != nil {
		out = append(out, ValidateOptions(at("selectedOptions"), c.Options)...)
	}
	return out
}

// ProductDetail is what a product page shows beyond the product itself: its live
// variants in display order, its images in display order, and its attribute values.
type ProductDetail struct {
	Variants []Variant
	Images   []Image
	// Attributes returns the attribute values in display order, decoding them on each
	// call: a store may hand them over undecoded, since most reads of details (product
	// lists) never show them. Nil means none; AttributeValues reads it.
	Attributes func() ([]AttributeValue, error)
}

// AttributeValues returns the product's attribute values: none when Attributes is nil.
func (d ProductDetail) AttributeValues() ([]AttributeValue, error) {
	if d.Attributes == nil {
		return []AttributeValue{}, nil
	}
	return d.Attributes()
}

// VariantReader reads variants and product details. Batch reads return maps; ids that do
// not exist are absent.
type VariantReader interface {
	// VariantsByID returns the variants with the given ids, deleted ones (and those of
	// deleted products) included: carts and orders refer to them.
	VariantsByID(ctx context.Context, ids []int64) (map[int64]Variant, error)
	// ProductDetails returns the live variants, images and attribute values of each
	// product, in display order, in one round trip. Every id is a key of the result.
	ProductDetails(ctx context.Context, productIDs []int64) (map[int64]ProductDetail, error)
}

// VariantWriter changes variants. Every change writes product.updated (and, for stock,
// the inventory events) to the outbox in the same transaction. Errors: NOT_FOUND for an
// unknown or deleted product or variant; CONFLICT (with the sku field) for a SKU in use;
// BAD_USER_INPUT (with its field) for option names that differ from the product's other
// variants, option values another variant has, an image of another product, a
// compare-at price below the price, or removing the last variant. On error nothing
// changes.
type VariantWriter interface {
	// CreateVariants adds variants to a live product; vs must be normalized and valid.
	CreateVariants(ctx context.Context, productID int64, vs []NewVariant) (Product, []Variant, error)
	// UpdateVariants changes variants of a live product; cs must be normalized and valid.
	UpdateVariants(ctx context.Context, productID int64, cs []VariantChanges) (Product, []Variant, error)
	// DeleteVariants removes variants of a live product from sale, keeping their rows for
	// orders. At least one live variant must remain.
	DeleteVariants(ctx context.Context, productID int64, variantIDs []int64) (Product, error)
	// AdjustVariantInventory adds delta (negative to remove) to the stock of a live
	// variant of a live product, never below zero; variantID zero means the product's
	// only variant (a BAD_USER_INPUT error on variantId when it has several).
	AdjustVariantInventory(ctx context.Context, productID, variantID int64, delta int, reason string) (Product, error)
	// AdjustWarehouseInventory is AdjustVariantInventory in one warehouse: the stock the
	// active warehouse warehouseID (zero: the default) holds of the variant changes by
	// delta, never below zero there (a BAD_USER_INPUT error on delta), and the variant's
	// total with it. NOT_FOUND on warehouseId for an unknown or retired warehouse.
	AdjustWarehouseInventory(ctx context.Context, productID, variantID, warehouseID int64, delta int, reason string) (Product, error)
}
