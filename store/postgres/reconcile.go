package postgres

import (
	"context"

	"github.com/shopgraph/shopgraph/domain"
)

// OrderTotals returns the paid-order count and revenue of the range by the dashboard's
// rule, from the status history: orders paid in the range, minus paid orders cancelled in
// it; their totals, minus those cancellations and the refunds of returns in it. The
// analytics store answers the same question from the events, so the two must agree
// exactly once every event is ingested.
func (s *OrderStore) OrderTotals(ctx context.Context, r domain.DateRange) (orders, revenueMinor int64, err error) {
	err = s.db.Pool.QueryRow(ctx, `
		SELECT
			coalesce(sum(CASE WHEN e.status = 'PAID' THEN 1
			                  WHEN e.status = 'CANCELLED' AND e.previous_status = 'PAID' THEN -1
			                  ELSE 0 END), 0),
			coalesce(sum(CASE WHEN e.status = 'PAID' THEN o.total_minor
			                  WHEN e.status = 'CANCELLED' AND e.previous_status = 'PAID' THEN -o.total_minor
			                  WHEN e.status = 'RETURNED' THEN -e.refund_minor
			                  ELSE 0 END), 0)
		FROM order_status_events e JOIN orders o ON o.id = e.order_id
		WHERE e.at >= $1 AND e.at < $2`, r.From, r.To).Scan(&orders, &revenueMinor)
	if err != nil {
		return 0, 0, translate(err, "order totals")
	}
	return orders, revenueMinor, nil
}
