package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/seed"
)

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
	rows := make([][]any, len(c.Products))
	for i, p := range c.Products {
		created := now.Add(-p.CreatedAgo).Truncate(time.Microsecond)
		rows[i] = []any{p.Slug, p.Name, p.Description, p.PriceCents, p.Currency, ids[p.CategorySlug],
			int32(p.Stock), int64(p.UnitsSold), created, created}
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"products"},
		[]string{"slug", "name", "description", "price_minor", "currency", "category_id", "stock", "units_sold", "created_at", "updated_at"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return false, fmt.Errorf("copying products: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("committing seed: %w", err)
	}
	// Fresh statistics, so the planner uses the indexes from the first query on (autovacuum
	// may be off or late).
	if _, err := db.Pool.Exec(ctx, `ANALYZE categories, products`); err != nil {
		return true, fmt.Errorf("analyzing the catalog: %w", err)
	}
	return true, nil
}
