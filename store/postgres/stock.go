package postgres

import (
	"context"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/domain"
)

// The stock movements of one order line after checkout: an amendment that grows or
// shrinks a line, a return that brings units back. Each is one statement inside the
// caller's transaction, on the line's variant (the roll-up trigger follows on the
// product). Callers move several lines in product, then variant, order, as checkout does,
// so that concurrent transactions lock rows in the same order.

// reserveLineUnits takes n more units of the order line's variant with one conditional
// update, never below zero, and returns the stock left. Too few units in stock is an
// OUT_OF_STOCK *domain.BusinessError blaming field; a variant or product deleted since
// is PRODUCT_UNAVAILABLE.
func reserveLineUnits(ctx context.Context, tx pgx.Tx, orderID int64, l domain.LineChange, n int, field []string) (stock int, err error) {
	err = tx.QueryRow(ctx, `UPDATE product_variants v SET stock = v.stock - $2, units_sold = v.units_sold + $2, updated_at = now()
		FROM products p
		WHERE v.id = $1 AND p.id = v.product_id AND v.deleted_at IS NULL AND p.deleted_at IS NULL AND v.stock >= $2
		RETURNING v.stock`, l.VariantID, n).Scan(&stock)
	if errors.Is(err, pgx.ErrNoRows) {
		var left int
		var deleted bool
		err := tx.QueryRow(ctx, `SELECT v.stock, v.deleted_at IS NOT NULL OR p.deleted_at IS NOT NULL
			FROM product_variants v JOIN products p ON p.id = v.product_id WHERE v.id = $1`, l.VariantID).Scan(&left, &deleted)
		if errors.Is(err, pgx.ErrNoRows) || deleted {
			return 0, domain.Business("PRODUCT_UNAVAILABLE", field, "line %d's product is no longer sold", l.LineNumber)
		}
		if err != nil {
			return 0, translate(err, "checking stock")
		}
		return 0, domain.Business("OUT_OF_STOCK", field, "only %d more units of line %d are in stock", left, l.LineNumber)
	}
	if err != nil {
		return 0, translate(err, "reserving stock of order "+strconv.FormatInt(orderID, 10))
	}
	return stock, nil
}

// releaseLineUnits puts n units of the order line's variant back on the shelf and
// returns the stock now. A variant deleted since still takes them back (its stock is
// what an admin sees if it is restored).
func releaseLineUnits(ctx context.Context, tx pgx.Tx, orderID int64, l domain.LineChange, n int) (stock int, err error) {
	err = tx.QueryRow(ctx, `UPDATE product_variants SET stock = stock + $2, units_sold = greatest(units_sold - $2, 0), updated_at = now()
		WHERE id = $1 RETURNING stock`, l.VariantID, n).Scan(&stock)
	if err != nil {
		return 0, translate(err, "returning stock of order "+strconv.FormatInt(orderID, 10))
	}
	return stock, nil
}
