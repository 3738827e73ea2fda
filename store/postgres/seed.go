package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/seed"
)

// attributeType returns the type of the attribute named name among defs.
func attributeType(defs []seed.Attribute, name string) string {
	for _, a := range defs {
		if a.Name == name {
			return a.Type
		}
	}
	return "TEXT"
}

// SeedCatalog loads the demo catalog into an empty catalog, in one transaction, with
// creation times counted back from now. It returns false, changing nothing, when the
// catalog already has categories, so running it twice is safe.
func (db *DB) SeedCatalog(ctx context.Context, c seed.Catalog, now time.Time) (bool, error) {
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("beginning seed: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	// Two seeds started together must not both see an empty catalog.
	if _, err := tx.Exec(ctx, `LOCK TABLE categories IN EXCLUSIVE MODE`); err != nil {
		return false, fmt.Errorf("locking categories: %w", err)
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM categories)`).Scan(&exists); err != nil {
		return false, fmt.Errorf("checking catalog: %w", err)
	}
	if exists {
		return false, nil
	}
	ids := make(map[string]int64, len(c.Categories))
	for _, cat := range c.Categories {
		var parent *int64
		if cat.ParentSlug != "" {
			p := ids[cat.ParentSlug]
			parent = &p
		}
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO categories (parent_id, slug, name, description, position)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, parent, cat.Slug, cat.Name, cat.Description, cat.Position).Scan(&id)
		if err != nil {
			return false, fmt.Errorf("inserting category %s: %w", cat.Slug, err)
		}
		ids[cat.Slug] = id
	}
	brands := make(map[string]int64, len(c.Brands))
	for _, b := range c.Brands {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO brands (slug, name) VALUES ($1, $2) RETURNING id`, seed.Slugify(b), b).Scan(&id); err != nil {
			return false, fmt.Errorf("inserting brand %s: %w", b, err)
		}
		brands[b] = id
	}
	attrs := make(map[string]int64, len(c.Attributes))
	for _, a := range c.Attributes {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO attributes (name, type) VALUES ($1, $2) RETURNING id`, a.Name, a.Type).Scan(&id); err != nil {
			return false, fmt.Errorf("inserting attribute %s: %w", a.Name, err)
		}
		attrs[a.Name] = id
	}
	// Products start with no stock: their variants bring it (the roll-up trigger adds
	// each variant's stock and keeps the lowest price).
	rows := make([][]any, len(c.Products))
	for i, p := range c.Products {
		created := now.Add(-p.CreatedAgo).Truncate(time.Microsecond)
		var brand *int64
		if id, ok := brands[p.Brand]; ok {
			brand = &id
		}
		rows[i] = []any{p.Slug, p.Name, p.Description, p.PriceCents, p.Currency, ids[p.CategorySlug],
			int32(0), int64(p.UnitsSold), created, created, brand}
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"products"},
		[]string{"slug", "name", "description", "price_minor", "currency", "category_id", "stock", "units_sold", "created_at", "updated_at", "brand_id"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return false, fmt.Errorf("copying products: %w", err)
	}
	productIDs := make(map[string]int64, len(c.Products))
	idRows, err := tx.Query(ctx, `SELECT id, slug FROM products`)
	if err != nil {
		return false, fmt.Errorf("reading product ids: %w", err)
	}
	var pid int64
	var slug string
	if _, err := pgx.ForEachRow(idRows, []any{&pid, &slug}, func() error {
		productIDs[slug] = pid
		return nil
	}); err != nil {
		return false, fmt.Errorf("reading product ids: %w", err)
	}
	var images [][]any
	for _, p := range c.Products {
		for k, img := range p.Images {
			images = append(images, []any{productIDs[p.Slug], int32(k), img.AltText, int32(img.Width), int32(img.Height)})
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"product_images"}, []string{"product_id", "position", "alt_text", "width", "height"}, pgx.CopyFromRows(images)); err != nil {
		return false, fmt.Errorf("copying images: %w", err)
	}
	type imageKey struct {
		product  int64
		position int32
	}
	imageIDs := make(map[imageKey]int64, len(images))
	imgRows, err := tx.Query(ctx, `SELECT id, product_id, position FROM product_images`)
	if err != nil {
		return false, fmt.Errorf("reading image ids: %w", err)
	}
	var imgID int64
	var key imageKey
	if _, err := pgx.ForEachRow(imgRows, []any{&imgID, &key.product, &key.position}, func() error {
		imageIDs[key] = imgID
		return nil
	}); err != nil {
		return false, fmt.Errorf("reading image ids: %w", err)
	}
	warehouseIDs, err := seedWarehouses(ctx, tx, c.Warehouses)
	if err != nil {
		return false, err
	}
	var variants, values [][]any
	for _, p := range c.Products {
		id := productIDs[p.Slug]
		for k, v := range p.Variants {
			opts := make([]domain.SelectedOption, len(v.Options))
			for j, o := range v.Options {
				opts[j] = domain.SelectedOption{Name: o.Name, Value: o.Value}
			}
			var compareAt, image *int64
			if v.CompareAtCents > 0 {
				compareAt = &v.CompareAtCents
			}
			if v.Image >= 0 {
				x := imageIDs[imageKey{id, int32(v.Image)}]
				image = &x
			}
			stock := int32(v.Stock)
			if len(warehouseIDs) > 0 {
				stock = 0 // placed per warehouse below
			}
			variants = append(variants, []any{id, int32(k), v.SKU, opts, v.PriceCents, compareAt, stock, image})
		}
		for _, a := range p.Attributes {
			var text, num, flag any
			switch typ := attributeType(c.Attributes, a.Name); typ {
			case "NUMBER":
				f, err := strconv.ParseFloat(a.Value, 64)
				if err != nil {
					return false, fmt.Errorf("attribute %s of %s: %w", a.Name, p.Slug, err)
				}
				num = f
			case "BOOLEAN":
				flag = a.Value == "true"
			default:
				text = a.Value
			}
			values = append(values, []any{id, attrs[a.Name], text, num, flag})
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"product_variants"},
		[]string{"product_id", "position", "sku", "options", "price_minor", "compare_at_minor", "stock", "image_id"}, pgx.CopyFromRows(variants)); err != nil {
		return false, fmt.Errorf("copying variants: %w", err)
	}
	if err := seedStock(ctx, tx, c, warehouseIDs); err != nil {
		return false, err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"product_attributes"},
		[]string{"product_id", "attribute_id", "text_value", "number_value", "bool_value"}, pgx.CopyFromRows(values)); err != nil {
		return false, fmt.Errorf("copying attribute values: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("committing seed: %w", err)
	}
	// Fresh statistics, so the planner uses the indexes from the first query on (autovacuum
	// may be off or late).
	if _, err := db.Pool.Exec(ctx, `ANALYZE categories, products, product_variants, product_images, product_attributes, warehouses, warehouse_stocks`); err != nil {
		return true, fmt.Errorf("analyzing the catalog: %w", err)
	}
	return true, nil
}

// seedWarehouses sets up the demo warehouses, the first as the default one the migration
// made, and returns their ids in order.
func seedWarehouses(ctx context.Context, tx pgx.Tx, ws []seed.Warehouse) ([]int64, error) {
	ids := make([]int64, len(ws))
	for i, w := range ws {
		shipsTo := w.ShipsTo
		if shipsTo == nil {
			shipsTo = []string{}
		}
		var err error
		if i == 0 {
			err = tx.QueryRow(ctx, `UPDATE warehouses SET code = $1, name = $2, city = $3, country_code = $4, ships_to = $5, priority = $6
				WHERE is_default RETURNING id`, w.Code, w.Name, w.City, w.Country, shipsTo, w.Priority).Scan(&ids[i])
		} else {
			err = tx.QueryRow(ctx, `INSERT INTO warehouses (code, name, city, country_code, ships_to, priority)
				VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, w.Code, w.Name, w.City, w.Country, shipsTo, w.Priority).Scan(&ids[i])
		}
		if err != nil {
			return nil, fmt.Errorf("setting up warehouse %s: %w", w.Code, err)
		}
	}
	return ids, nil
}

// seedStock places every variant's stock in the demo warehouses by seed.SpreadStock; the
// roll-up trigger makes the variants' and products' totals.
func seedStock(ctx context.Context, tx pgx.Tx, c seed.Catalog, warehouseIDs []int64) error {
	if len(warehouseIDs) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT id, sku FROM product_variants WHERE deleted_at IS NULL`)
	if err != nil {
		return fmt.Errorf("reading variant ids: %w", err)
	}
	bySKU := map[string]int64{}
	var id int64
	var sku string
	if _, err := pgx.ForEachRow(rows, []any{&id, &sku}, func() error {
		bySKU[sku] = id
		return nil
	}); err != nil {
		return fmt.Errorf("reading variant ids: %w", err)
	}
	var stocks [][]any
	for i, p := range c.Products {
		for k, v := range p.Variants {
			for w, n := range seed.SpreadStock(i, k, v.Stock) {
				if n > 0 && w < len(warehouseIDs) {
					stocks = append(stocks, []any{bySKU[v.SKU], warehouseIDs[w], int32(n)})
				}
			}
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"warehouse_stocks"}, []string{"variant_id", "warehouse_id", "quantity"}, pgx.CopyFromRows(stocks)); err != nil {
		return fmt.Errorf("copying warehouse stock: %w", err)
	}
	return nil
}
