package postgres

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/domain"
)

var _ domain.MediaWriter = (*CatalogStore)(nil)

// insertImages appends images to a product from position from on, in one round trip.
func insertImages(ctx context.Context, tx pgx.Tx, productID int64, from int, imgs []domain.NewImage) error {
	if len(imgs) == 0 {
		return nil
	}
	batch := &pgx.Batch{}
	for i, img := range imgs {
		batch.Queue(`INSERT INTO product_images (product_id, position, src, alt_text, width, height) VALUES ($1, $2, $3, $4, $5, $6)`,
			productID, from+i, img.Src, img.AltText, img.Width, img.Height)
	}
	return tx.SendBatch(ctx, batch).Close()
}

// lockMedia serialises the image changes of one product (so the image cap holds) without
// locking the product row, which checkouts update, and checks that the product is live.
func lockMedia(ctx context.Context, tx pgx.Tx, productID int64) ([]int64, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('product-media:' || $1::bigint::text, 0))`, productID); err != nil {
		return nil, err
	}
	var live bool
	if err := tx.QueryRow(ctx, `SELECT true FROM products WHERE id = $1 AND deleted_at IS NULL`, productID).Scan(&live); err != nil {
		return nil, translate(err, "product")
	}
	rows, err := tx.Query(ctx, `SELECT id FROM product_images WHERE product_id = $1 ORDER BY position, id`, productID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// AddImages appends images to a live product.
func (s *CatalogStore) AddImages(ctx context.Context, productID int64, imgs []domain.NewImage) (domain.Product, []domain.Image, error) {
	var added []domain.Image
	p, err := s.writeProduct(ctx, func(tx pgx.Tx) (domain.Product, []domain.Event, error) {
		have, err := lockMedia(ctx, tx, productID)
		if err != nil {
			return domain.Product{}, nil, err
		}
		if len(have)+len(imgs) > domain.MaxImages {
			return domain.Product{}, nil, domain.FieldError([]string{"media"}, "a product has at most %d images; it has %d", domain.MaxImages, len(have))
		}
		if err := insertImages(ctx, tx, productID, len(have), imgs); err != nil {
			return domain.Product{}, nil, err
		}
		rows, err := tx.Query(ctx, `SELECT id, position, src, alt_text, width, height FROM product_images
			WHERE product_id = $1 AND NOT (id = ANY($2)) ORDER BY position, id`, productID, have)
		if err != nil {
			return domain.Product{}, nil, err
		}
		var img domain.Image
		if _, err := pgx.ForEachRow(rows, []any{&img.ID, &img.Position, &img.Src, &img.AltText, &img.Width, &img.Height}, func() error {
			img.ProductID = productID
			added = append(added, img)
			return nil
		}); err != nil {
			return domain.Product{}, nil, err
		}
		return productUpdated(ctx, tx, productID)
	})
	return p, added, err
}

// DeleteImages removes images of a live product.
func (s *CatalogStore) DeleteImages(ctx context.Context, productID int64, imageIDs []int64) (domain.Product, error) {
	return s.writeProduct(ctx, func(tx pgx.Tx) (domain.Product, []domain.Event, error) {
		have, err := lockMedia(ctx, tx, productID)
		if err != nil {
			return domain.Product{}, nil, err
		}
		for i, id := range imageIDs {
			if !containsID(have, id) {
				return domain.Product{}, nil, &domain.Error{Code: domain.CodeNotFound, Message: "no such image of this product", Field: []string{"mediaIds", strconv.Itoa(i)}}
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM product_images WHERE id = ANY($1)`, imageIDs); err != nil {
			return domain.Product{}, nil, err
		}
		return productUpdated(ctx, tx, productID)
	})
}

// ReorderImages puts a live product's images in the given order.
func (s *CatalogStore) ReorderImages(ctx context.Context, productID int64, imageIDs []int64) (domain.Product, error) {
	return s.writeProduct(ctx, func(tx pgx.Tx) (domain.Product, []domain.Event, error) {
		have, err := lockMedia(ctx, tx, productID)
		if err != nil {
			return domain.Product{}, nil, err
		}
		seen := map[int64]bool{}
		for i, id := range imageIDs {
			if !containsID(have, id) || seen[id] {
				return domain.Product{}, nil, &domain.Error{Code: domain.CodeNotFound, Message: "no such image of this product, or given twice", Field: []string{"mediaIds", strconv.Itoa(i)}}
			}
			seen[id] = true
		}
		if len(imageIDs) != len(have) {
			return domain.Product{}, nil, domain.FieldError([]string{"mediaIds"}, "give every one of the product's %d images", len(have))
		}
		if _, err := tx.Exec(ctx, `UPDATE product_images i SET position = o.n - 1 FROM unnest($1::bigint[]) WITH ORDINALITY AS o(id, n) WHERE i.id = o.id`, imageIDs); err != nil {
			return domain.Product{}, nil, err
		}
		return productUpdated(ctx, tx, productID)
	})
}
