package postgres

import (
	"context"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/shopgraph/shopgraph/domain"
)

var _ domain.CatalogWriter = (*CatalogStore)(nil)

// writeProduct runs fn in a transaction, translates its errors for catalog writes and
// writes the events fn returns to the outbox before committing.
func (s *CatalogStore) writeProduct(ctx context.Context, fn func(tx pgx.Tx) (domain.Product, []domain.Event, error)) (domain.Product, error) {
	var out domain.Product
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		p, evs, err := fn(tx)
		if err != nil {
			return err
		}
		out = p
		return WriteOutbox(ctx, tx, evs...)
	})
	if err != nil {
		return domain.Product{}, translateCatalogWrite(err)
	}
	return out, nil
}

// translateCatalogWrite names the input field behind a constraint violation.
func translateCatalogWrite(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505" && pgErr.ConstraintName == "products_slug_live_idx":
			return &domain.Error{Code: domain.CodeConflict, Message: "another product already uses this slug", Field: []string{"input", "slug"}}
		case pgErr.Code == "23503" && pgErr.ConstraintName == "products_category_id_fkey":
			return domain.FieldError([]string{"input", "categoryId"}, "no such category")
		}
	}
	return translate(err, "product")
}

func productEvent(typ string, p domain.Product) domain.Event {
	return domain.Event{
		Type: typ, Key: strconv.FormatInt(p.ID, 10), At: p.UpdatedAt,
		Data: domain.ProductEventData{ProductID: p.ID, Slug: p.Slug, Name: p.Name, PriceMinor: p.Price.Amount,
			Currency: p.Price.Currency, CategoryID: p.CategoryID, Stock: p.Stock},
	}
}

func scanProduct(row pgx.Row) (domain.Product, error) {
	var r productRow
	if err := row.Scan(r.dest()...); err != nil {
		return domain.Product{}, err
	}
	return toDomainProduct(r), nil
}

const returningProduct = ` RETURNING id, slug, name, description, price_minor, currency, category_id, stock,
	units_sold, created_at, updated_at, deleted_at IS NOT NULL`

// CreateProduct adds a product and writes product.created.
func (s *CatalogStore) CreateProduct(ctx context.Context, np domain.NewProduct) (domain.Product, error) {
	return s.writeProduct(ctx, func(tx pgx.Tx) (domain.Product, []domain.Event, error) {
		p, err := scanProduct(tx.QueryRow(ctx, `INSERT INTO products (slug, name, description, price_minor, currency, category_id, stock)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`+returningProduct,
			np.Slug, np.Name, np.Description, np.Price, domain.DefaultCurrency, np.CategoryID, np.Stock))
		if err != nil {
			return p, nil, err
		}
		return p, []domain.Event{productEvent(domain.EventProductCreated, p)}, nil
	})
}

// UpdateProduct applies the changes and writes product.updated.
func (s *CatalogStore) UpdateProduct(ctx context.Context, id int64, c domain.ProductChanges) (domain.Product, error) {
	return s.writeProduct(ctx, func(tx pgx.Tx) (domain.Product, []domain.Event, error) {
		p, err := scanProduct(tx.QueryRow(ctx, `UPDATE products SET
				name = coalesce($2, name), description = coalesce($3, description), slug = coalesce($4, slug),
				price_minor = coalesce($5, price_minor), category_id = coalesce($6, category_id), updated_at = now()
			WHERE id = $1 AND deleted_at IS NULL`+returningProduct, id, c.Name, c.Description, c.Slug, c.Price, c.CategoryID))
		if err != nil {
			return p, nil, err
		}
		return p, []domain.Event{productEvent(domain.EventProductUpdated, p)}, nil
	})
}

// DeleteProduct marks the product deleted and writes product.deleted.
func (s *CatalogStore) DeleteProduct(ctx context.Context, id int64) (domain.Product, error) {
	return s.writeProduct(ctx, func(tx pgx.Tx) (domain.Product, []domain.Event, error) {
		p, err := scanProduct(tx.QueryRow(ctx, `UPDATE products SET deleted_at = now(), updated_at = now()
			WHERE id = $1 AND deleted_at IS NULL`+returningProduct, id))
		if err != nil {
			return p, nil, err
		}
		return p, []domain.Event{productEvent(domain.EventProductDeleted, p)}, nil
	})
}

// AdjustInventory changes the stock with one conditional update, so concurrent
// adjustments and checkouts never take it below zero, and writes inventory.adjusted (and
// product.out_of_stock when it reaches zero).
func (s *CatalogStore) AdjustInventory(ctx context.Context, id int64, delta int, reason string) (domain.Product, error) {
	return s.writeProduct(ctx, func(tx pgx.Tx) (domain.Product, []domain.Event, error) {
		p, err := scanProduct(tx.QueryRow(ctx, `UPDATE products SET stock = stock + $2, updated_at = now()
			WHERE id = $1 AND deleted_at IS NULL AND stock + $2 >= 0`+returningProduct, id, delta))
		if errors.Is(err, pgx.ErrNoRows) {
			var stock int
			if err := tx.QueryRow(ctx, `SELECT stock FROM products WHERE id = $1 AND deleted_at IS NULL`, id).Scan(&stock); err != nil {
				return p, nil, err
			}
			return p, nil, domain.FieldError([]string{"delta"}, "only %d units in stock: the stock cannot go below zero", stock)
		}
		if err != nil {
			return p, nil, err
		}
		evs := []domain.Event{{
			Type: domain.EventInventoryAdjusted, Key: strconv.FormatInt(p.ID, 10), At: p.UpdatedAt,
			Data: domain.InventoryEventData{ProductID: p.ID, Delta: delta, Stock: p.Stock, Reason: reason},
		}}
		if p.Stock == 0 {
			evs = append(evs, productEvent(domain.EventProductOutOfStock, p))
		}
		return p, evs, nil
	})
}
