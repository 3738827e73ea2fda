package domain

import (
	"context"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on brands, attributes and their filters.
const (
	MaxBrandNameLength     = 100
	MaxAttributeNameLength = 60
	MaxAttributeTextLength = 200
	// MaxAttributes caps the attribute values of one product.
	MaxAttributes = 30
	// MaxAttributeFilters caps the attribute conditions of one listing.
	MaxAttributeFilters = 10
	// MaxFilterValues caps the values of one brand or attribute condition.
	MaxFilterValues = 50
	// MaxFacetValues caps the values a facet lists, most frequent first.
	MaxFacetValues = 50
)

// Brand is who makes a product.
type Brand struct {
	ID   int64
	Slug string
	Name string
}

// NewBrand is what creating (or renaming) a brand takes; Slug is derived from Name when
// empty.
type NewBrand struct {
	Name string
	Slug string
}

// Normalize trims the fields and derives the slug.
func (b NewBrand) Normalize() NewBrand {
	b.Name, b.Slug = strings.TrimSpace(b.Name), strings.TrimSpace(b.Slug)
	if b.Slug == "" {
		b.Slug = Slugify(b.Name)
	}
	return b
}

// Validate returns the problems of a normalized brand, blaming fields under input.
func (b NewBrand) Validate() []*Error {
	var errs []*Error
	if b.Name == "" || utf8.RuneCountInString(b.Name) > MaxBrandNameLength || !validText(b.Name) {
		errs = append(errs, FieldError([]string{"input", "name"}, "name must be 1 to %d characters of text", MaxBrandNameLength))
	} else if e := checkSlug([]string{"input", "slug"}, b.Slug); e != nil {
		errs = append(errs, e)
	}
	return errs
}

// AttributeType is the kind of value an attribute takes.
type AttributeType string

// The attribute types.
const (
	AttributeText    AttributeType = "TEXT"
	AttributeNumber  AttributeType = "NUMBER"
	AttributeBoolean AttributeType = "BOOLEAN"
)

// Valid reports whether t is a known attribute type.
func (t AttributeType) Valid() bool {
	return t == AttributeText || t == AttributeNumber || t == AttributeBoolean
}

// Attribute is a typed specification products may carry, such as Material (TEXT),
// Screen size (NUMBER) or Waterproof (BOOLEAN). Names are unique, ignoring case.
type Attribute struct {
	ID   int64
	Name string
	Type AttributeType
}

// AttributeValue is a product's value of an attribute; only the field of its type is set.
type AttributeValue struct {
	Name   string
	Type   AttributeType
	Text   string
	Number float64
	Bool   bool
}

// Display returns the value as text: the text, the number in its shortest form, or
// "true"/"false". Facets and filters use the same form.
func (v AttributeValue) Display() string {
	switch v.Type {
	case AttributeNumber:
		return strconv.FormatFloat(v.Number, 'f', -1, 64)
	case AttributeBoolean:
		return strconv.FormatBool(v.Bool)
	}
	return v.Text
}

// NewAttribute is what defining an attribute takes.
type NewAttribute struct {
	Name string
	Type AttributeType
}

// Validate returns the problems of an attribute definition, blaming fields under input.
func (a NewAttribute) Validate() []*Error {
	var errs []*Error
	if e := checkAttributeName([]string{"input", "name"}, a.Name); e != nil {
		errs = append(errs, e)
	}
	if !a.Type.Valid() {
		errs = append(errs, FieldError([]string{"input", "type"}, "type must be TEXT, NUMBER or BOOLEAN"))
	}
	return errs
}

func checkAttributeName(path []string, name string) *Error {
	if name == "" || utf8.RuneCountInString(name) > MaxAttributeNameLength || !validText(name) {
		return FieldError(path, "an attribute name must be 1 to %d characters of text", MaxAttributeNameLength)
	}
	return nil
}

// AttributeInput sets a product's value of an attribute, as text: a number in decimal
// notation for NUMBER attributes, "true" or "false" for BOOLEAN ones.
type AttributeInput struct {
	Name  string
	Value string
}

// ParseAttributeValue reads in as a value of the attribute a, or returns a BAD_USER_INPUT
// error blaming path.
func ParseAttributeValue(path []string, a Attribute, raw string) (AttributeValue, *Error) {
	raw = strings.TrimSpace(raw)
	v := AttributeValue{Name: a.Name, Type: a.Type}
	switch a.Type {
	case AttributeNumber:
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || strings.Trim(raw, "0123456789.-") != "" || math.Abs(f) > 1e12 {
			return v, FieldError(path, "%s takes a number, such as 13.3", a.Name)
		}
		v.Number = f
	case AttributeBoolean:
		b, err := strconv.ParseBool(raw)
		if err != nil || (raw != "true" && raw != "false") {
			return v, FieldError(path, "%s takes true or false", a.Name)
		}
		v.Bool = b
	default:
		if raw == "" || utf8.RuneCountInString(raw) > MaxAttributeTextLength || !validText(raw) {
			return v, FieldError(path, "%s takes 1 to %d characters of text", a.Name, MaxAttributeTextLength)
		}
		v.Text = raw
	}
	return v, nil
}

// AttributeFilter keeps products whose value of the attribute Name is one of Values (text,
// or numbers and booleans in their Display form), lies within Min..Max (numbers), or
// equals Bool (booleans). Name matches ignoring case.
type AttributeFilter struct {
	Name   string
	Values []string
	Min    *float64
	Max    *float64
	Bool   *bool
}

func (f AttributeFilter) validate(path []string) *Error {
	switch {
	case checkAttributeName(append(path, "name"), f.Name) != nil:
		return checkAttributeName(append(path, "name"), f.Name)
	case len(f.Values) > MaxFilterValues:
		return FieldError(append(path, "values"), "at most %d values", MaxFilterValues)
	case f.Values == nil && f.Min == nil && f.Max == nil && f.Bool == nil:
		return FieldError(path, "give values, min/max or boolean")
	case f.Min != nil && f.Max != nil && *f.Min > *f.Max:
		return FieldError(append(path, "min"), "min is greater than max")
	}
	for _, v := range f.Values {
		if len(v) > MaxAttributeTextLength*4 || !validText(v) {
			return FieldError(append(path, "values"), "values must be text")
		}
	}
	for _, x := range []*float64{f.Min, f.Max} {
		if x != nil && (math.IsNaN(*x) || math.IsInf(*x, 0)) {
			return FieldError(append(path, "min"), "min and max must be finite")
		}
	}
	return nil
}

// FacetKind says what a facet groups products by.
type FacetKind string

// The facet kinds.
const (
	FacetBrand     FacetKind = "BRAND"
	FacetAttribute FacetKind = "ATTRIBUTE"
)

// Facet counts the products of a listing by brand or by one attribute's values. As
// storefronts expect, a facet ignores the listing's own condition on it (the brand facet
// ignores the brand condition, a Colour facet the Colour condition), so a shopper sees
// what choosing another value would give; every other condition applies.
type Facet struct {
	Kind FacetKind
	// Name is the attribute's name, or "Brand".
	Name string
	Type AttributeType
	// Values are the most frequent values first (ties by value), at most MaxFacetValues.
	Values []FacetValue
	// Min and Max bound a NUMBER attribute's values among the matching products.
	Min, Max *float64
}

// FacetValue is one value of a facet and how many products of the listing have it.
type FacetValue struct {
	// Value is what a filter takes: a brand's slug, or an attribute value in Display form.
	Value string
	// Label is what to show: a brand's name, or the value.
	Label string
	Count int
}

// FacetReader computes facets. Implementations compute all of a listing's facets in a
// bounded number of statements, whatever the number of attributes.
type FacetReader interface {
	// ProductFacets returns the brand facet (when any matching product has a brand) and
	// one facet per attribute that a matching product has, brand first, then attributes
	// by name. f must be valid.
	ProductFacets(ctx context.Context, f ProductFilter) ([]Facet, error)
	// BrandsByID returns the brands with the given ids; unknown ids are absent.
	BrandsByID(ctx context.Context, ids []int64) (map[int64]Brand, error)
	// Brands returns every brand, by name.
	Brands(ctx context.Context) ([]Brand, error)
	// Attributes returns every attribute definition, by name.
	Attributes(ctx context.Context) ([]Attribute, error)
}

// AttributeWriter changes brands, attribute definitions and products' attribute values
// and brands. Product changes write product.updated to the outbox in the same
// transaction. Errors: CONFLICT (with the field) for a brand or attribute name or slug in
// use; NOT_FOUND for an unknown product or brand; BAD_USER_INPUT (with the field) for an
// unknown attribute or a value its type does not take. On error nothing changes.
type AttributeWriter interface {
	// CreateBrand adds a brand; b must be normalized and valid.
	CreateBrand(ctx context.Context, b NewBrand) (Brand, error)
	// CreateAttribute defines an attribute; a must be valid.
	CreateAttribute(ctx context.Context, a NewAttribute) (Attribute, error)
	// SetProductAttributes replaces a live product's attribute values with values (each
	// attribute once, by name, defined beforehand).
	SetProductAttributes(ctx context.Context, productID int64, values []AttributeInput) (Product, error)
}
