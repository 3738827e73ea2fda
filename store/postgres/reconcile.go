package postgres

import (
	"context"

	"github.com/shopgraph/shopgraph/domain"
)

// OrderTotals returns the paid-order count and revenue of the range by the dashboard's
// rule, from the status history: orders paid in the range, minus paid orders cancelled in
// it; the totals they were paid at, minus those cancellations (at the total then), plus
// what amendments in the range charged, minus what amendments and returns in it refunded.
// The analytics store answers the same question from the events, so the two must agree
// exactly once every event is ingested. An entry's total_minor is the order's total right
// after it (older entries have none: nothing had changed their order's total).
func (s *OrderStore) OrderTotals(ctx context.Context, r domain.DateRange) (orders, revenueMinor int64, err error) {
	err = s.db.Pool.QueryRow(ctx, `
		SELECT
			coalesce(sum(CASE WHEN e.kind <> 'STATUS_CHANGED' THEN 0
			                  WHEN e.status = 'PAID' THEN 1
			                  WHEN e.status = 'CANCELLED' AND e.previous_status = 'PAID' THEN -1
			                  ELSE 0 END), 0),
			coalesce(sum(CASE WHEN e.kind <> 'STATUS_CHANGED' THEN 0
			                  WHEN e.status = 'PAID' THEN coalesce(e.total_minor, o.total_minor)
			                  WHEN e.status = 'CANCELLED' AND e.previous_status = 'PAID' THEN -coalesce(e.total_minor, o.total_minor)
			                  ELSE 0 END
			             + e.charge_minor - e.refund_minor), 0)
		FROM order_status_events e JOIN orders o ON o.id = e.order_id
		WHERE e.at >= $1 AND e.at < $2`, r.From, r.To).Scan(&orders, &revenueMinor)
	if err != nil {
		return 0, 0, translate(err, "order totals")
	}
	return orders, revenueMinor, nil
}
