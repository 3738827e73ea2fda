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
		case pgErr.Code == "23503" && pgErr.ConstraintName == "products_brand_id_fkey":
			return domain.FieldError([]string{"input", "brandId"}, "no such brand")
		}
	}
	return translateTx(err, "product")
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

const returningProduct = ` RETURNING ` + productColumns

// CreateProduct adds a product with its variants (or one default variant), images and
// attribute values, and writes product.created.
func (s *CatalogStore) CreateProduct(ctx context.Context, np domain.NewProduct) (domain.Product, error) {
	return s.writeProduct(ctx, func(tx pgx.Tx) (domain.Product, []domain.Event, error) {
		var brand *int64
		if np.BrandID != 0 {
			brand = &np.BrandID
		}
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO products (slug, name, description, price_minor, currency, category_id, stock, brand_id)
			VALUES ($1, $2, $3, $4, $5, $6, 0, $7) RETURNING id`,
			np.Slug, np.Name, np.Description, np.Price, domain.DefaultCurrency, np.CategoryID, brand).Scan(&id)
		if err != nil {
			return domain.Product{}, nil, err
		}
		for i, v := range np.DefaultVariants() {
			if _, err := insertVariant(ctx, tx, id, i, v, []string{"input", "variants", strconv.Itoa(i)}); err != nil {
				return domain.Product{}, nil, err
			}
		}
		if err := insertImages(ctx, tx, id, 0, np.Images); err != nil {
			return domain.Product{}, nil, err
		}
		if len(np.Attributes) > 0 {
			if err := setAttributes(ctx, tx, id, np.Attributes, []string{"input", "attributes"}); err != nil {
				return domain.Product{}, nil, err
			}
		}
		p, err := scanProduct(tx.QueryRow(ctx, `SELECT `+productColumns+` FROM products p WHERE p.id = $1`, id))
		if err != nil {
			return p, nil, err
		}
		return p, []domain.Event{productEvent(domain.EventProductCreated, p)}, nil
	})
}

// UpdateProduct applies the changes and writes product.updated. A price goes to the
// product's only variant, and clears its compare-at price when it is not above the new
// price.
func (s *CatalogStore) UpdateProduct(ctx context.Context, id int64, c domain.ProductChanges) (domain.Product, error) {
	return s.writeProduct(ctx, func(tx pgx.Tx) (domain.Product, []domain.Event, error) {
		if c.Price != nil {
			live, err := lockVariants(ctx, tx, id)
			if err != nil {
				return domain.Product{}, nil, err
			}
			if len(live) != 1 {
				return domain.Product{}, nil, domain.FieldError([]string{"input", "price"},
					"the product has %d variants: change their prices with productVariantsUpdate", len(live))
			}
			// A price at or above the compare-at price ends the reduction.
			if _, err := tx.Exec(ctx, `UPDATE product_variants SET price_minor = $2,
					compare_at_minor = CASE WHEN compare_at_minor > $2 THEN compare_at_minor END, updated_at = now()
				WHERE id = $1`, live[0].ID, *c.Price); err != nil {
				return domain.Product{}, nil, err
			}
		}
		p, err := scanProduct(tx.QueryRow(ctx, `UPDATE products p SET
				name = coalesce($2, name), description = coalesce($3, description), slug = coalesce($4, slug),
				category_id = coalesce($5, category_id), brand_id = coalesce($6, brand_id), updated_at = now()
			WHERE id = $1 AND deleted_at IS NULL`+returningProduct, id, c.Name, c.Description, c.Slug, c.CategoryID, c.BrandID))
		if err != nil {
			return p, nil, err
		}
		return p, []domain.Event{productEvent(domain.EventProductUpdated, p)}, nil
	})
}

// DeleteProduct marks the product deleted and writes product.deleted.
func (s *CatalogStore) DeleteProduct(ctx context.Context, id int64) (domain.Product, error) {
	return s.writeProduct(ctx, func(tx pgx.Tx) (domain.Product, []domain.Event, error) {
		p, err := scanProduct(tx.QueryRow(ctx, `UPDATE products p SET deleted_at = now(), updated_at = now()
			WHERE id = $1 AND deleted_at IS NULL`+returningProduct, id))
		if err != nil {
			return p, nil, err
		}
		return p, []domain.Event{productEvent(domain.EventProductDeleted, p)}, nil
	})
}
