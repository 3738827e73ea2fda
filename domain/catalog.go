package domain

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Product is an item of the catalog. Price, Stock and UnitsSold are roll-ups of its
// live variants, kept by the store in the same transaction as every variant change: the
// lowest price, the units of every variant available to sell now, and the units sold.
type Product struct {
	ID          int64
	Slug        string
	Name        string
	Description string
	Price       Money
	CategoryID  int64
	Stock       int
	UnitsSold   int64
	// BrandID is the product's brand; zero for none.
	BrandID int64
	// RatingCount and RatingSum cover the product's visible reviews, kept in the same
	// transaction as every review change.
	RatingCount int
	RatingSum   int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Deleted is true for a product removed from the catalog. Past orders keep pointing at
	// it, so batch reads by id still return it; listings and slug lookups never do.
	Deleted bool
}

// InStock reports whether at least one unit can be sold.
func (p Product) InStock() bool { return p.Stock > 0 && !p.Deleted }

// RatingAverage returns the mean rating of the visible reviews, 0 when there are none.
func (p Product) RatingAverage() float64 {
	if p.RatingCount == 0 {
		return 0
	}
	return float64(p.RatingSum) / float64(p.RatingCount)
}

// Category is a node of the catalog's category tree. ParentID is zero for a root.
type Category struct {
	ID          int64
	ParentID    int64
	Slug        string
	Name        string
	Description string
	Position    int
}

// ProductSortKey names an order of product listings.
type ProductSortKey string

// The product orders. Each has a natural direction (PRICE, NAME and CREATED_AT ascending,
// BEST_SELLING and RELEVANCE best first); Reverse flips it. Ties are broken by id in the
// same direction, so every order is total and cursors are stable.
const (
	SortRelevance   ProductSortKey = "RELEVANCE"
	SortPrice       ProductSortKey = "PRICE"
	SortName        ProductSortKey = "NAME"
	SortCreatedAt   ProductSortKey = "CREATED_AT"
	SortBestSelling ProductSortKey = "BEST_SELLING"
	SortID          ProductSortKey = "ID"
	// SortStock orders by units in stock, fewest first; the admin's low-stock listing
	// uses it, storefront clients cannot ask for it.
	SortStock ProductSortKey = "STOCK"
)

// Valid reports whether k is one of the known sort keys.
func (k ProductSortKey) Valid() bool {
	switch k {
	case SortRelevance, SortPrice, SortName, SortCreatedAt, SortBestSelling, SortID, SortStock:
		return true
	}
	return false
}

// ValidCursorValue reports whether v is a well-formed cursor value for the key: an integer
// for PRICE, BEST_SELLING and ID, an RFC 3339 UTC time with microseconds for CREATED_AT, a
// number for RELEVANCE, and any text for NAME. Stores produce values in these forms.
func (k ProductSortKey) ValidCursorValue(v string) bool {
	switch k {
	case SortPrice, SortBestSelling, SortID:
		_, err := strconv.ParseInt(v, 10, 64)
		return err == nil
	case SortStock:
		_, err := strconv.ParseInt(v, 10, 32)
		return err == nil
	case SortCreatedAt:
		// Exactly the form stores write: UTC, microseconds. Anything looser (a comma
		// before the fraction, an offset) is read differently by the database.
		t, err := time.Parse(CursorTimeLayout, v)
		return err == nil && t.Year() >= 1 && t.Format(CursorTimeLayout) == v
	case SortRelevance:
		// Plain decimal notation only, within the range of a 4-byte float: Go also
		// parses hex floats and "inf", and the database refuses underflows.
		f, err := strconv.ParseFloat(v, 64)
		return err == nil && strings.Trim(v, "0123456789.eE+-") == "" &&
			(f == 0 || (math.Abs(f) >= 1e-30 && math.Abs(f) <= 1e30))
	case SortName:
		return utf8.ValidString(v) && !strings.ContainsRune(v, 0)
	}
	return false
}

// CursorTimeLayout is the form of time values in cursors: UTC with microseconds, as the
// database keeps them.
const CursorTimeLayout = "2006-01-02T15:04:05.000000Z"

// MaxSearchQueryLength caps the full-text query a client may send.
const MaxSearchQueryLength = 200

// ProductFilter narrows a product listing. Zero values mean "no condition".
type ProductFilter struct {
	// Query is a full-text search over names and descriptions (web-search syntax).
	Query string
	// CategoryID keeps products of this category and of all its descendants.
	CategoryID int64
	// MinPrice and MaxPrice bound the price, inclusive, in minor units.
	MinPrice *int64
	MaxPrice *int64
	// InStock keeps only products with (true) or without (false) available stock.
	InStock *bool
	// MaxStock keeps only products with at most this many units in stock.
	MaxStock *int
	// Brands keeps products of one of these brands, by slug.
	Brands []string
	// Attributes keeps products meeting every one of these conditions.
	Attributes []AttributeFilter
}

// Validate returns a BAD_USER_INPUT error naming the offending field of filter.
func (f ProductFilter) Validate() error {
	if len(f.Query) > MaxSearchQueryLength || !validText(f.Query) {
		return FieldError([]string{"filter", "query"}, "query must be at most %d characters of text", MaxSearchQueryLength)
	}
	if f.MinPrice != nil && *f.MinPrice < 0 {
		return FieldError([]string{"filter", "minPrice"}, "minPrice must not be negative")
	}
	if f.MaxPrice != nil && *f.MaxPrice < 0 {
		return FieldError([]string{"filter", "maxPrice"}, "maxPrice must not be negative")
	}
	if f.MaxStock != nil && *f.MaxStock < 0 {
		return FieldError([]string{"threshold"}, "threshold must not be negative")
	}
	if f.MinPrice != nil && f.MaxPrice != nil && *f.MinPrice > *f.MaxPrice {
		return FieldError([]string{"filter", "minPrice"}, "minPrice is greater than maxPrice")
	}
	if len(f.Brands) > MaxFilterValues {
		return FieldError([]string{"filter", "brands"}, "at most %d brands", MaxFilterValues)
	}
	for _, b := range f.Brands {
		if len(b) > MaxSlugLength || !validText(b) {
			return FieldError([]string{"filter", "brands"}, "brands are brand slugs")
		}
	}
	if len(f.Attributes) > MaxAttributeFilters {
		return FieldError([]string{"filter", "attributes"}, "at most %d attribute conditions", MaxAttributeFilters)
	}
	for i, a := range f.Attributes {
		if e := a.validate([]string{"filter", "attributes", strconv.Itoa(i)}); e != nil {
			return e
		}
	}
	return nil
}

// HasQuery reports whether the filter carries a non-blank search query.
func (f ProductFilter) HasQuery() bool { return strings.TrimSpace(f.Query) != "" }

// ProductQuery is one page request of a product listing.
type ProductQuery struct {
	Filter  ProductFilter
	Sort    ProductSortKey
	Reverse bool
	Page    PageArgs
}

// ProductEdge is a product in a listing with the cursor that points at it.
type ProductEdge struct {
	Product Product
	Cursor  Cursor
}

// ProductPage is one page of a product listing, in the requested order.
type ProductPage struct {
	Edges           []ProductEdge
	HasNextPage     bool
	HasPreviousPage bool
}

// CatalogReader reads the catalog. Implementations return *Error values with CodeNotFound
// where stated; every other error is internal.
type CatalogReader interface {
	VariantReader
	FacetReader
	// ProductsByID returns the products with the given ids, deleted ones included (orders
	// refer to them); ids that do not exist are absent from the map.
	ProductsByID(ctx context.Context, ids []int64) (map[int64]Product, error)
	// ProductBySlug returns the live product with the slug, or a NOT_FOUND error.
	ProductBySlug(ctx context.Context, slug string) (Product, error)
	// ListProducts returns one page of live products matching q. q must be valid.
	ListProducts(ctx context.Context, q ProductQuery) (ProductPage, error)
	// CountProducts returns how many live products match the filter.
	CountProducts(ctx context.Context, f ProductFilter) (int, error)
	// ListCategoryProducts runs q once for each category id, as if q.Filter.CategoryID
	// were that id, in one round trip. Every id is a key of the result.
	ListCategoryProducts(ctx context.Context, categoryIDs []int64, q ProductQuery) (map[int64]ProductPage, error)
	// CountCategoryProducts counts, for each category id, the live products that match f
	// in it and its descendants. Every id is a key of the result.
	CountCategoryProducts(ctx context.Context, categoryIDs []int64, f ProductFilter) (map[int64]int, error)

	// CategoriesByID returns the categories with the given ids; unknown ids are absent.
	CategoriesByID(ctx context.Context, ids []int64) (map[int64]Category, error)
	// CategoryChildren returns the children of each parent id, ordered by position then
	// name; a parent without children maps to an empty slice. Every id is a key.
	CategoryChildren(ctx context.Context, parentIDs []int64) (map[int64][]Category, error)
	// RootCategories returns the categories without a parent, ordered by position then name.
	RootCategories(ctx context.Context) ([]Category, error)
	// CategoryBySlug returns the category with the slug, or a NOT_FOUND error.
	CategoryBySlug(ctx context.Context, slug string) (Category, error)
}
