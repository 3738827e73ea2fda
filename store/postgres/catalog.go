package postgres

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/domain"
)

// CatalogStore reads and writes the catalog: categories and products.
type CatalogStore struct {
	db *DB
}

var _ domain.CatalogReader = (*CatalogStore)(nil)

// NewCatalogStore returns a CatalogStore over db.
func NewCatalogStore(db *DB) *CatalogStore { return &CatalogStore{db: db} }

// productColumns are a product's columns. price_minor, stock and units_sold are the
// roll-ups of its variants (see the product_variants_rollup trigger).
const productColumns = `p.id, p.slug, p.name, p.description, p.price_minor, p.currency,
	p.category_id, p.stock, p.units_sold, p.created_at, p.updated_at, p.deleted_at IS NOT NULL,
	coalesce(p.brand_id, 0), p.rating_count, p.rating_sum`

// productRow is the scan target of productColumns.
type productRow struct {
	id, categoryID, priceMinor, unitsSold int64
	slug, name, description, currency     string
	stock, ratingCount                    int32
	createdAt, updatedAt                  time.Time
	deleted                               bool
	brandID, ratingSum                    int64
}

func (r *productRow) dest() []any {
	return []any{&r.id, &r.slug, &r.name, &r.description, &r.priceMinor, &r.currency,
		&r.categoryID, &r.stock, &r.unitsSold, &r.createdAt, &r.updatedAt, &r.deleted,
		&r.brandID, &r.ratingCount, &r.ratingSum}
}

func toDomainProduct(r productRow) domain.Product {
	return domain.Product{
		ID: r.id, Slug: r.slug, Name: r.name, Description: r.description,
		Price:      domain.Money{Amount: r.priceMinor, Currency: r.currency},
		CategoryID: r.categoryID, Stock: int(r.stock), UnitsSold: r.unitsSold,
		CreatedAt: r.createdAt, UpdatedAt: r.updatedAt, Deleted: r.deleted,
		BrandID: r.brandID, RatingCount: int(r.ratingCount), RatingSum: r.ratingSum,
	}
}

// ProductsByID returns the products with the given ids, deleted ones included.
func (s *CatalogStore) ProductsByID(ctx context.Context, ids []int64) (map[int64]domain.Product, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+productColumns+` FROM products p WHERE p.id = ANY($1)`, ids)
	if err != nil {
		return nil, translate(err, "products by id")
	}
	out := make(map[int64]domain.Product, len(ids))
	var r productRow
	_, err = pgx.ForEachRow(rows, r.dest(), func() error {
		out[r.id] = toDomainProduct(r)
		return nil
	})
	if err != nil {
		return nil, translate(err, "products by id")
	}
	return out, nil
}

// ProductBySlug returns the live product with the slug, or a NOT_FOUND error.
func (s *CatalogStore) ProductBySlug(ctx context.Context, slug string) (domain.Product, error) {
	var r productRow
	err := s.db.Pool.QueryRow(ctx, `SELECT `+productColumns+` FROM products p
		WHERE p.slug = $1 AND p.deleted_at IS NULL`, slug).Scan(r.dest()...)
	if err != nil {
		return domain.Product{}, translate(err, "product")
	}
	return toDomainProduct(r), nil
}

// sortSpec says how a sort key orders rows: the SQL expression, its text form for cursors
// when a plain ::text cast will not do, the cast that reads a cursor value back, and
// whether it runs descending. The text forms are those ProductSortKey.ValidCursorValue
// accepts.
type sortSpec struct {
	expr, text, cast string
	desc             bool
}

func productSort(key domain.ProductSortKey, hasQuery bool) sortSpec {
	switch key {
	case domain.SortPrice:
		return sortSpec{expr: "p.price_minor", cast: "bigint"}
	case domain.SortName:
		return sortSpec{expr: "p.name", cast: "text"}
	case domain.SortCreatedAt:
		return sortSpec{expr: "p.created_at", cast: "timestamptz",
			text: `to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`}
	case domain.SortStock:
		return sortSpec{expr: "p.stock", cast: "integer"}
	case domain.SortBestSelling:
		return sortSpec{expr: "p.units_sold", cast: "bigint", desc: true}
	case domain.SortRelevance:
		if hasQuery {
			return sortSpec{expr: "ts_rank(p.search, websearch_to_tsquery('english', @query))", cast: "real", desc: true}
		}
		// Without a query every rank is equal: the order is by id, and cursors still
		// carry a rank that reads back as one.
		return sortSpec{expr: "0::real", cast: "real"}
	}
	return sortSpec{expr: "0::bigint", cast: "bigint"}
}

// productListSQL builds the listing query for q. category is the SQL expression of the
// category to filter on ("" for none): a parameter for one listing, a lateral column for
// one listing per category. The query returns productColumns, the cursor value as text,
// and at most limit+1 rows, so the caller knows whether another page follows.
func productListSQL(q domain.ProductQuery, category string, args pgx.NamedArgs) string {
	var b strings.Builder
	spec := productSort(q.Sort, q.Filter.HasQuery())
	text := spec.text
	if text == "" {
		text = "(" + spec.expr + ")::text"
	}
	b.WriteString(`SELECT ` + productColumns + `, ` + text + ` FROM products p WHERE `)
	b.WriteString(productWhere(q.Filter, category, args))

	// The scan runs in the page's direction: forward pages in the listing's order,
	// backward pages (last/before) in the opposite order, reversed afterwards.
	desc := spec.desc != q.Reverse
	scanDesc := desc != q.Page.Backward()
	bound := func(c *domain.Cursor, name string, after bool) {
		if c == nil {
			return
		}
		op := ">"
		if desc == after {
			op = "<"
		}
		args[name+"_v"] = c.Value
		args[name+"_id"] = c.ID
		fmt.Fprintf(&b, " AND ((%s), p.id) %s (@%s_v::%s, @%s_id)", spec.expr, op, name, spec.cast, name)
	}
	bound(q.Page.After, "after", true)
	bound(q.Page.Before, "before", false)
	dir := "ASC"
	if scanDesc {
		dir = "DESC"
	}
	fmt.Fprintf(&b, " ORDER BY %s %s, p.id %s LIMIT %d", spec.expr, dir, dir, q.Page.Limit()+1)
	return b.String()
}

// productWhere returns the filter conditions of f, adding their arguments to args.
func productWhere(f domain.ProductFilter, category string, args pgx.NamedArgs) string {
	conds := []string{"p.deleted_at IS NULL"}
	if f.HasQuery() {
		args["query"] = f.Query
		conds = append(conds, "p.search @@ websearch_to_tsquery('english', @query)")
	}
	if category != "" {
		conds = append(conds, "p.category_id IN (SELECT id FROM categories WHERE path @> ARRAY["+category+"]::bigint[])")
	}
	if f.MinPrice != nil {
		args["min_price"] = *f.MinPrice
		conds = append(conds, "p.price_minor >= @min_price")
	}
	if f.MaxPrice != nil {
		args["max_price"] = *f.MaxPrice
		conds = append(conds, "p.price_minor <= @max_price")
	}
	if f.MaxStock != nil {
		args["max_stock"] = *f.MaxStock
		conds = append(conds, "p.stock <= @max_stock")
	}
	if f.InStock != nil {
		if *f.InStock {
			conds = append(conds, "p.stock > 0")
		} else {
			conds = append(conds, "p.stock = 0")
		}
	}
	if f.Brands != nil {
		conds = append(conds, brandMatch(f, args))
	}
	for i := range f.Attributes {
		conds = append(conds, attributeMatch(f, i, args))
	}
	return strings.Join(conds, " AND ")
}

// brandMatch returns the condition of f's brands on the product p, adding its argument.
func brandMatch(f domain.ProductFilter, args pgx.NamedArgs) string {
	args["brands"] = f.Brands
	return "p.brand_id IN (SELECT b.id FROM brands b WHERE b.slug = ANY(@brands::text[]))"
}

// attributeMatch returns the condition of f's i-th attribute filter on the product p,
// adding its arguments. Values match text values as they are, and number and boolean
// values by what they parse to, so "13.30" finds 13.3.
func attributeMatch(f domain.ProductFilter, i int, args pgx.NamedArgs) string {
	a := f.Attributes[i]
	n := "attr" + strconv.Itoa(i)
	args[n+"_name"] = a.Name
	var conds []string
	if a.Values != nil {
		nums, bools := []float64{}, []bool{}
		for _, v := range a.Values {
			if x, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && !math.IsInf(x, 0) && !math.IsNaN(x) {
				nums = append(nums, x)
			}
			if b, err := strconv.ParseBool(strings.TrimSpace(v)); err == nil {
				bools = append(bools, b)
			}
		}
		args[n+"_text"], args[n+"_num"], args[n+"_bool"] = a.Values, nums, bools
		conds = append(conds, fmt.Sprintf("(pa.text_value = ANY(@%[1]s_text::text[]) OR pa.number_value = ANY(@%[1]s_num::float8[]) OR pa.bool_value = ANY(@%[1]s_bool::bool[]))", n))
	}
	if a.Min != nil {
		args[n+"_min"] = *a.Min
		conds = append(conds, "pa.number_value >= @"+n+"_min::float8")
	}
	if a.Max != nil {
		args[n+"_max"] = *a.Max
		conds = append(conds, "pa.number_value <= @"+n+"_max::float8")
	}
	if a.Bool != nil {
		args[n+"_is"] = *a.Bool
		conds = append(conds, "pa.bool_value = @"+n+"_is::bool")
	}
	return `EXISTS (SELECT 1 FROM product_attributes pa JOIN attributes a ON a.id = pa.attribute_id
		WHERE pa.product_id = p.id AND lower(a.name) = lower(@` + n + `_name) AND ` + strings.Join(conds, " AND ") + `)`
}

// ListProducts returns one page of live products matching q.
func (s *CatalogStore) ListProducts(ctx context.Context, q domain.ProductQuery) (domain.ProductPage, error) {
	args := pgx.NamedArgs{}
	category := ""
	if q.Filter.CategoryID != 0 {
		args["category"] = q.Filter.CategoryID
		category = "@category"
	}
	rows, err := s.db.read(ctx).Query(ctx, productListSQL(q, category, args), args)
	if err != nil {
		return domain.ProductPage{}, translate(err, "listing products")
	}
	var edges []domain.ProductEdge
	var r productRow
	var value string
	_, err = pgx.ForEachRow(rows, append(r.dest(), &value), func() error {
		edges = append(edges, domain.ProductEdge{Product: toDomainProduct(r), Cursor: domain.Cursor{Sort: string(q.Sort), Value: value, ID: r.id}})
		return nil
	})
	if err != nil {
		return domain.ProductPage{}, translate(err, "listing products")
	}
	return toPage(q.Page, edges), nil
}

// toPage trims the look-ahead row, restores the listing order of a backward page and sets
// the page flags. A bound cursor on the other side means items exist beyond it.
func toPage(p domain.PageArgs, edges []domain.ProductEdge) domain.ProductPage {
	var page domain.ProductPage
	more := len(edges) > p.Limit()
	if more {
		edges = edges[:p.Limit()]
	}
	if p.Backward() {
		for i, j := 0, len(edges)-1; i < j; i, j = i+1, j-1 {
			edges[i], edges[j] = edges[j], edges[i]
		}
		page.HasPreviousPage = more
		page.HasNextPage = p.Before != nil
	} else {
		page.HasNextPage = more
		page.HasPreviousPage = p.After != nil
	}
	page.Edges = edges
	return page
}

// CountProducts returns how many live products match f.
func (s *CatalogStore) CountProducts(ctx context.Context, f domain.ProductFilter) (int, error) {
	args := pgx.NamedArgs{}
	category := ""
	if f.CategoryID != 0 {
		args["category"] = f.CategoryID
		category = "@category"
	}
	var n int
	err := s.db.read(ctx).QueryRow(ctx, `SELECT count(*) FROM products p WHERE `+productWhere(f, category, args), args).Scan(&n)
	if err != nil {
		return 0, translate(err, "counting products")
	}
	return n, nil
}

// ListCategoryProducts runs q for each category in one statement, a lateral subquery per
// category.
func (s *CatalogStore) ListCategoryProducts(ctx context.Context, categoryIDs []int64, q domain.ProductQuery) (map[int64]domain.ProductPage, error) {
	args := pgx.NamedArgs{"categories": categoryIDs}
	sql := `SELECT c.cid, x.* FROM unnest(@categories::bigint[]) AS c(cid)
		CROSS JOIN LATERAL (` + productListSQL(q, "c.cid", args) + `) x`
	rows, err := s.db.read(ctx).Query(ctx, sql, args)
	if err != nil {
		return nil, translate(err, "listing category products")
	}
	byCategory := make(map[int64][]domain.ProductEdge, len(categoryIDs))
	var r productRow
	var cid int64
	var value string
	_, err = pgx.ForEachRow(rows, append(append([]any{&cid}, r.dest()...), &value), func() error {
		byCategory[cid] = append(byCategory[cid], domain.ProductEdge{Product: toDomainProduct(r), Cursor: domain.Cursor{Sort: string(q.Sort), Value: value, ID: r.id}})
		return nil
	})
	if err != nil {
		return nil, translate(err, "listing category products")
	}
	out := make(map[int64]domain.ProductPage, len(categoryIDs))
	for _, id := range categoryIDs {
		out[id] = toPage(q.Page, byCategory[id])
	}
	return out, nil
}

// CountCategoryProducts counts matching live products per category in one statement.
func (s *CatalogStore) CountCategoryProducts(ctx context.Context, categoryIDs []int64, f domain.ProductFilter) (map[int64]int, error) {
	args := pgx.NamedArgs{"categories": categoryIDs}
	sql := `SELECT c.cid, (SELECT count(*) FROM products p WHERE ` + productWhere(f, "c.cid", args) + `)
		FROM unnest(@categories::bigint[]) AS c(cid)`
	rows, err := s.db.read(ctx).Query(ctx, sql, args)
	if err != nil {
		return nil, translate(err, "counting category products")
	}
	out := make(map[int64]int, len(categoryIDs))
	var cid int64
	var n int
	_, err = pgx.ForEachRow(rows, []any{&cid, &n}, func() error {
		out[cid] = n
		return nil
	})
	if err != nil {
		return nil, translate(err, "counting category products")
	}
	return out, nil
}

const categoryColumns = `c.id, coalesce(c.parent_id, 0), c.slug, c.name, c.description, c.position`

func scanCategories(rows pgx.Rows, each func(domain.Category)) error {
	var c domain.Category
	_, err := pgx.ForEachRow(rows, []any{&c.ID, &c.ParentID, &c.Slug, &c.Name, &c.Description, &c.Position}, func() error {
		each(c)
		return nil
	})
	return err
}

// CategoriesByID returns the categories with the given ids.
func (s *CatalogStore) CategoriesByID(ctx context.Context, ids []int64) (map[int64]domain.Category, error) {
	rows, err := s.db.read(ctx).Query(ctx, `SELECT `+categoryColumns+` FROM categories c WHERE c.id = ANY($1)`, ids)
	if err != nil {
		return nil, translate(err, "categories by id")
	}
	out := make(map[int64]domain.Category, len(ids))
	if err := scanCategories(rows, func(c domain.Category) { out[c.ID] = c }); err != nil {
		return nil, translate(err, "categories by id")
	}
	return out, nil
}

// CategoryChildren returns the children of each parent, in display order.
func (s *CatalogStore) CategoryChildren(ctx context.Context, parentIDs []int64) (map[int64][]domain.Category, error) {
	rows, err := s.db.read(ctx).Query(ctx, `SELECT `+categoryColumns+` FROM categories c
		WHERE c.parent_id = ANY($1) ORDER BY c.position, c.name, c.id`, parentIDs)
	if err != nil {
		return nil, translate(err, "category children")
	}
	out := make(map[int64][]domain.Category, len(parentIDs))
	for _, id := range parentIDs {
		out[id] = []domain.Category{}
	}
	if err := scanCategories(rows, func(c domain.Category) { out[c.ParentID] = append(out[c.ParentID], c) }); err != nil {
		return nil, translate(err, "category children")
	}
	return out, nil
}

// AllCategories returns every category, each parent's children in display order (by
// position, then name): the whole tree in one statement, for the resolvers' in-memory copy.
func (s *CatalogStore) AllCategories(ctx context.Context) ([]domain.Category, error) {
	rows, err := s.db.read(ctx).Query(ctx, `SELECT `+categoryColumns+` FROM categories c ORDER BY c.position, c.name, c.id`)
	if err != nil {
		return nil, translate(err, "categories")
	}
	out := []domain.Category{}
	if err := scanCategories(rows, func(c domain.Category) { out = append(out, c) }); err != nil {
		return nil, translate(err, "categories")
	}
	return out, nil
}

// RootCategories returns the categories without a parent, in display order.
func (s *CatalogStore) RootCategories(ctx context.Context) ([]domain.Category, error) {
	rows, err := s.db.read(ctx).Query(ctx, `SELECT `+categoryColumns+` FROM categories c
		WHERE c.parent_id IS NULL ORDER BY c.position, c.name, c.id`)
	if err != nil {
		return nil, translate(err, "root categories")
	}
	out := []domain.Category{}
	if err := scanCategories(rows, func(c domain.Category) { out = append(out, c) }); err != nil {
		return nil, translate(err, "root categories")
	}
	return out, nil
}

// CategoryBySlug returns the category with the slug, or a NOT_FOUND error.
func (s *CatalogStore) CategoryBySlug(ctx context.Context, slug string) (domain.Category, error) {
	rows, err := s.db.read(ctx).Query(ctx, `SELECT `+categoryColumns+` FROM categories c WHERE c.slug = $1`, slug)
	if err != nil {
		return domain.Category{}, translate(err, "category")
	}
	var out *domain.Category
	if err := scanCategories(rows, func(c domain.Category) { out = &c }); err != nil {
		return domain.Category{}, translate(err, "category")
	}
	if out == nil {
		return domain.Category{}, domain.Errorf(domain.CodeNotFound, "category not found")
	}
	return *out, nil
}
