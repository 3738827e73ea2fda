package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/shopgraph/shopgraph/domain"
)

var (
	_ domain.FacetReader     = (*CatalogStore)(nil)
	_ domain.AttributeWriter = (*CatalogStore)(nil)
)

// BrandsByID returns the brands with the given ids.
func (s *CatalogStore) BrandsByID(ctx context.Context, ids []int64) (map[int64]domain.Brand, error) {
	rows, err := s.db.read(ctx).Query(ctx, `SELECT id, slug, name FROM brands WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, translate(err, "brands by id")
	}
	out := make(map[int64]domain.Brand, len(ids))
	var b domain.Brand
	if _, err := pgx.ForEachRow(rows, []any{&b.ID, &b.Slug, &b.Name}, func() error {
		out[b.ID] = b
		return nil
	}); err != nil {
		return nil, translate(err, "brands by id")
	}
	return out, nil
}

// Brands returns every brand, by name.
func (s *CatalogStore) Brands(ctx context.Context) ([]domain.Brand, error) {
	rows, err := s.db.read(ctx).Query(ctx, `SELECT id, slug, name FROM brands ORDER BY lower(name), id`)
	if err != nil {
		return nil, translate(err, "brands")
	}
	out := []domain.Brand{}
	var b domain.Brand
	if _, err := pgx.ForEachRow(rows, []any{&b.ID, &b.Slug, &b.Name}, func() error {
		out = append(out, b)
		return nil
	}); err != nil {
		return nil, translate(err, "brands")
	}
	return out, nil
}

// Attributes returns every attribute definition, by name.
func (s *CatalogStore) Attributes(ctx context.Context) ([]domain.Attribute, error) {
	return loadAttributes(ctx, s.db.read(ctx))
}

func loadAttributes(ctx context.Context, q querier) ([]domain.Attribute, error) {
	rows, err := q.Query(ctx, `SELECT id, name, type FROM attributes ORDER BY lower(name), id`)
	if err != nil {
		return nil, translate(err, "attributes")
	}
	out := []domain.Attribute{}
	var a domain.Attribute
	var typ string
	if _, err := pgx.ForEachRow(rows, []any{&a.ID, &a.Name, &typ}, func() error {
		a.Type = domain.AttributeType(typ)
		out = append(out, a)
		return nil
	}); err != nil {
		return nil, translate(err, "attributes")
	}
	return out, nil
}

// CreateBrand adds a brand.
func (s *CatalogStore) CreateBrand(ctx context.Context, b domain.NewBrand) (domain.Brand, error) {
	out := domain.Brand{Name: b.Name, Slug: b.Slug}
	err := s.db.Pool.QueryRow(ctx, `INSERT INTO brands (slug, name) VALUES ($1, $2) RETURNING id`, b.Slug, b.Name).Scan(&out.ID)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		field := "slug"
		if pgErr.ConstraintName == "brands_name_idx" {
			field = "name"
		}
		return domain.Brand{}, &domain.Error{Code: domain.CodeConflict, Message: "another brand already has this " + field, Field: []string{"input", field}}
	}
	if err != nil {
		return domain.Brand{}, translate(err, "brand")
	}
	return out, nil
}

// CreateAttribute defines an attribute.
func (s *CatalogStore) CreateAttribute(ctx context.Context, a domain.NewAttribute) (domain.Attribute, error) {
	out := domain.Attribute{Name: strings.TrimSpace(a.Name), Type: a.Type}
	err := s.db.Pool.QueryRow(ctx, `INSERT INTO attributes (name, type) VALUES ($1, $2) RETURNING id`, out.Name, string(a.Type)).Scan(&out.ID)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return domain.Attribute{}, &domain.Error{Code: domain.CodeConflict, Message: "another attribute already has this name", Field: []string{"input", "name"}}
	}
	if err != nil {
		return domain.Attribute{}, translate(err, "attribute")
	}
	return out, nil
}

// setAttributes replaces a product's attribute values; field is the input list's path.
func setAttributes(ctx context.Context, tx pgx.Tx, productID int64, values []domain.AttributeInput, field []string) error {
	defs, err := loadAttributes(ctx, tx)
	if err != nil {
		return err
	}
	byName := make(map[string]domain.Attribute, len(defs))
	for _, a := range defs {
		byName[strings.ToLower(a.Name)] = a
	}
	batch := &pgx.Batch{}
	batch.Queue(`DELETE FROM product_attributes WHERE product_id = $1`, productID)
	seen := map[int64]bool{}
	for i, in := range values {
		at := append(append([]string{}, field...), strconv.Itoa(i))
		a, ok := byName[strings.ToLower(strings.TrimSpace(in.Name))]
		if !ok {
			return domain.FieldError(append(at, "name"), "no attribute is named %q; define it with attributeCreate", strings.TrimSpace(in.Name))
		}
		if seen[a.ID] {
			return domain.FieldError(append(at, "name"), "%s is given twice", a.Name)
		}
		seen[a.ID] = true
		v, perr := domain.ParseAttributeValue(append(at, "value"), a, in.Value)
		if perr != nil {
			return perr
		}
		var text *string
		var num *float64
		var b *bool
		switch a.Type {
		case domain.AttributeNumber:
			num = &v.Number
		case domain.AttributeBoolean:
			b = &v.Bool
		default:
			text = &v.Text
		}
		batch.Queue(`INSERT INTO product_attributes (product_id, attribute_id, text_value, number_value, bool_value) VALUES ($1, $2, $3, $4, $5)`,
			productID, a.ID, text, num, b)
	}
	return tx.SendBatch(ctx, batch).Close()
}

// SetProductAttributes replaces a live product's attribute values.
func (s *CatalogStore) SetProductAttributes(ctx context.Context, productID int64, values []domain.AttributeInput) (domain.Product, error) {
	return s.writeProduct(ctx, func(tx pgx.Tx) (domain.Product, []domain.Event, error) {
		var live bool
		if err := tx.QueryRow(ctx, `SELECT true FROM products WHERE id = $1 AND deleted_at IS NULL`, productID).Scan(&live); err != nil {
			return domain.Product{}, nil, err
		}
		if err := setAttributes(ctx, tx, productID, values, []string{"attributes"}); err != nil {
			return domain.Product{}, nil, err
		}
		return productUpdated(ctx, tx, productID)
	})
}

// facetsSQL builds the one statement that computes every facet of a listing. base holds
// the listing's products under every condition but the brand and attribute ones, with a
// column per such condition saying whether the product meets it; each facet then counts
// the base products that meet every condition except its own (a facet ignores its own
// condition, as storefronts expect), at most MaxFacetValues values each, most frequent
// first, with the lowest and highest value of number attributes.
func facetsSQL(f domain.ProductFilter, args pgx.NamedArgs) string {
	base := f
	base.Brands, base.Attributes = nil, nil
	category := ""
	if f.CategoryID != 0 {
		args["category"] = f.CategoryID
		category = "@category"
	}
	cols := []string{"p.id", "p.brand_id"}
	brandOK := "true"
	if f.Brands != nil {
		cols = append(cols, brandMatch(f, args)+" AS mb")
		brandOK = "m.mb"
	}
	var attrOK []string    // every attribute condition, for the brand facet
	var attrOther []string // every attribute condition but the facet's own
	for i, a := range f.Attributes {
		col := "m" + strconv.Itoa(i)
		cols = append(cols, attributeMatch(f, i, args)+" AS "+col)
		attrOK = append(attrOK, "m."+col)
		attrOther = append(attrOther, fmt.Sprintf("(lower(a.name) = lower(@attr%d_name) OR m.%s)", i, col))
		_ = a
	}
	all := func(conds []string) string {
		if len(conds) == 0 {
			return "true"
		}
		return strings.Join(conds, " AND ")
	}
	return `WITH m AS MATERIALIZED (SELECT ` + strings.Join(cols, ", ") + ` FROM products p WHERE ` + productWhere(base, category, args) + `),
	counts AS (
		SELECT 'BRAND' AS kind, 0::bigint AS attr, 'Brand' AS name, 'TEXT' AS type, b.slug AS value, b.name AS label,
			NULL::float8 AS num, NULL::bool AS flag, count(*) AS n
		FROM m JOIN brands b ON b.id = m.brand_id WHERE ` + all(attrOK) + `
		GROUP BY b.slug, b.name
		UNION ALL
		SELECT 'ATTRIBUTE', a.id, a.name, a.type, pa.text_value, pa.text_value, pa.number_value, pa.bool_value, count(*)
		FROM m JOIN product_attributes pa ON pa.product_id = m.id JOIN attributes a ON a.id = pa.attribute_id
		WHERE ` + brandOK + ` AND ` + all(attrOther) + `
		GROUP BY a.id, a.name, a.type, pa.text_value, pa.number_value, pa.bool_value
	)
	SELECT kind, name, type, coalesce(value, ''), coalesce(label, ''), num, flag, n, lo, hi FROM (
		SELECT c.*, row_number() OVER (PARTITION BY kind, attr ORDER BY n DESC, value, num, flag) AS rank,
			min(num) OVER (PARTITION BY kind, attr) AS lo, max(num) OVER (PARTITION BY kind, attr) AS hi
		FROM counts c
	) x WHERE rank <= ` + strconv.Itoa(domain.MaxFacetValues) + ` ORDER BY kind = 'ATTRIBUTE', lower(name), n DESC, value, num, flag`
}

// ProductFacets computes every facet of the listing in one statement.
func (s *CatalogStore) ProductFacets(ctx context.Context, f domain.ProductFilter) ([]domain.Facet, error) {
	args := pgx.NamedArgs{}
	rows, err := s.db.read(ctx).Query(ctx, facetsSQL(f, args), args)
	if err != nil {
		return nil, translate(err, "product facets")
	}
	out := []domain.Facet{}
	var kind, name, typ, value, label string
	var num, lo, hi *float64
	var flag *bool
	var n int
	_, err = pgx.ForEachRow(rows, []any{&kind, &name, &typ, &value, &label, &num, &flag, &n, &lo, &hi}, func() error {
		if len(out) == 0 || out[len(out)-1].Kind != domain.FacetKind(kind) || out[len(out)-1].Name != name {
			out = append(out, domain.Facet{Kind: domain.FacetKind(kind), Name: name, Type: domain.AttributeType(typ), Values: []domain.FacetValue{}})
			if typ == string(domain.AttributeNumber) {
				out[len(out)-1].Min, out[len(out)-1].Max = lo, hi
			}
		}
		fv := domain.FacetValue{Value: value, Label: label, Count: n}
		switch {
		case num != nil:
			fv.Value = domain.AttributeValue{Type: domain.AttributeNumber, Number: *num}.Display()
			fv.Label = fv.Value
		case flag != nil:
			fv.Value = strconv.FormatBool(*flag)
			fv.Label = fv.Value
		}
		f := &out[len(out)-1]
		f.Values = append(f.Values, fv)
		return nil
	})
	if err != nil {
		return nil, translate(err, "product facets")
	}
	for i := range out {
		slices.SortStableFunc(out[i].Values, func(a, b domain.FacetValue) int { return cmp.Compare(b.Count, a.Count) })
	}
	return out, nil
}
