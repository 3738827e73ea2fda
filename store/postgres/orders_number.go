package postgres

import (
	"context"

	"github.com/shopgraph/shopgraph/domain"
)

// OrderByNumber returns the order with the number (such as "SG-000123", compared
// exactly), with its lines, or a NOT_FOUND *domain.Error when there is none. It is how
// messages from outside (shipping providers) find an order: the number is the reference
// they are given. The lookup uses the unique index on orders.number.
func (s *OrderStore) OrderByNumber(ctx context.Context, number string) (domain.Order, error) {
	var id int64
	if err := s.db.Pool.QueryRow(ctx, `SELECT id FROM orders WHERE number = $1`, number).Scan(&id); err != nil {
		return domain.Order{}, translate(err, "order")
	}
	return loadOrder(ctx, s.db.Pool, id)
}
