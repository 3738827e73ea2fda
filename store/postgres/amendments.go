package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/domain"
)

var _ domain.AmendmentStore = (*OrderStore)(nil)

// AmendOrder applies an amendment to a PAID order in one transaction.
func (s *OrderStore) AmendOrder(ctx context.Context, orderID int64, a domain.Amendment, settle domain.Settler) (domain.Order, domain.StatusEvent, error) {
	var order domain.Order
	var ev domain.StatusEvent
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		seq, err := lockOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		o, err := loadOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		discounts, paths, err := orderPricing(ctx, tx, o)
		if err != nil {
			return err
		}
		plan, be := domain.PlanAmendment(o, a, discounts, paths)
		if be != nil {
			return be
		}
		evs, err := moveLineStock(ctx, tx, o.ID, o.ShippingAddress.Country, plan.Changes, "AMENDED")
		if err != nil {
			return err
		}
		now := domain.Now(ctx)
		ev = domain.StatusEvent{OrderID: o.ID, Sequence: seq + 1, Kind: domain.KindAmended, Status: o.Status, Previous: o.Status,
			At: now, Note: plan.Note(a.Reason), RefundAmount: plan.Refund, ChargeAmount: plan.Charge, TotalAmount: plan.Cost.Total}
		batch := &pgx.Batch{}
		kept := make(map[int]int, len(plan.Lines))
		for _, l := range plan.Lines {
			kept[l.LineNumber] = l.Quantity
		}
		for _, c := range plan.Changes {
			if q, ok := kept[c.LineNumber]; ok {
				batch.Queue(`UPDATE order_lines SET quantity = $3 WHERE order_id = $1 AND line_no = $2`, o.ID, c.LineNumber, q)
			} else {
				batch.Queue(`DELETE FROM order_lines WHERE order_id = $1 AND line_no = $2`, o.ID, c.LineNumber)
			}
		}
		batch.Queue(`UPDATE orders SET subtotal_minor = $2, discount_minor = $3, total_minor = $4 WHERE id = $1`,
			o.ID, plan.Cost.Subtotal, plan.Cost.DiscountTotal, plan.Cost.Total)
		// The order keeps the discounts that still take money off, with their new amounts.
		applied := make([]int64, 0, len(plan.Cost.Discounts))
		for _, d := range plan.Cost.Discounts {
			applied = append(applied, d.DiscountID)
			batch.Queue(`UPDATE order_discounts SET amount_minor = $3 WHERE order_id = $1 AND discount_id = $2`, o.ID, d.DiscountID, d.Amount)
		}
		// A discount that no longer applies gives its use back, as a cancellation would.
		batch.Queue(`UPDATE discounts d SET used_count = greatest(d.used_count - 1, 0)
			FROM order_discounts od WHERE od.order_id = $1 AND d.id = od.discount_id AND NOT od.discount_id = ANY($2)`, o.ID, applied)
		batch.Queue(`UPDATE discount_customer_uses u SET uses = greatest(u.uses - 1, 0)
			FROM order_discounts od WHERE od.order_id = $1 AND u.discount_id = od.discount_id AND u.customer = od.customer
				AND NOT od.discount_id = ANY($2)`, o.ID, applied)
		batch.Queue(`DELETE FROM order_discounts WHERE order_id = $1 AND NOT discount_id = ANY($2)`, o.ID, applied)
		queueHistory(batch, ev)
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return translate(err, "amending order")
		}
		if order, err = loadOrder(ctx, tx, o.ID); err != nil {
			return err
		}
		// Last: the money moves only once everything else is written, and a refusal rolls
		// it all back.
		if err := settleWith(ctx, settle, domain.Settlement{Order: o, Refund: plan.Refund, Charge: plan.Charge, Reason: a.Reason}); err != nil {
			return err
		}
		amended := orderEvent(order, ev)
		d := amended.Data.(domain.OrderEventData)
		for _, c := range plan.Changes {
			d.LineChanges = append(d.LineChanges, domain.OrderLineData{LineNumber: c.LineNumber, ProductID: c.ProductID, VariantID: c.VariantID,
				Quantity: c.Delta, UnitPriceMinor: c.UnitPrice})
		}
		amended.Data = d
		return WriteOutbox(ctx, tx, stamp(append([]domain.Event{amended}, evs...), now)...)
	})
	if err != nil {
		return domain.Order{}, domain.StatusEvent{}, translateTx(err, "amending order")
	}
	return order, ev, nil
}

// lockOrder locks the order's row for the rest of the transaction, serialising every
// change of the order as transition does, and returns its last history sequence. An
// unknown order is NOT_FOUND.
func lockOrder(ctx context.Context, tx pgx.Tx, orderID int64) (seq int, err error) {
	if err := tx.QueryRow(ctx, `SELECT last_sequence FROM orders WHERE id = $1 FOR UPDATE`, orderID).Scan(&seq); err != nil {
		return 0, translate(err, "order")
	}
	return seq, nil
}

// queueHistory queues a history entry that is not a status change (an amendment, a step
// of a return) and the order's new last sequence.
func queueHistory(batch *pgx.Batch, ev domain.StatusEvent) {
	var returnID *int64
	if ev.ReturnID != 0 {
		returnID = &ev.ReturnID
	}
	batch.Queue(`INSERT INTO order_status_events (order_id, sequence, kind, status, previous_status, note, refund_minor, charge_minor, total_minor, return_id, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, ev.OrderID, ev.Sequence, string(ev.Kind), string(ev.Status), string(ev.Previous),
		ev.Note, ev.RefundAmount, ev.ChargeAmount, ev.TotalAmount, returnID, ev.At)
	batch.Queue(`UPDATE orders SET status = $2, last_sequence = $3, updated_at = $4 WHERE id = $1`, ev.OrderID, string(ev.Status), ev.Sequence, ev.At)
}

// orderPricing reads what pricing an order's lines again needs: the order's discounts by
// id, and its products' category paths.
func orderPricing(ctx context.Context, tx pgx.Tx, o domain.Order) (map[int64]domain.Discount, map[int64][]int64, error) {
	ids := make([]int64, 0, len(o.Discounts))
	for _, d := range o.Discounts {
		ids = append(ids, d.DiscountID)
	}
	discounts := map[int64]domain.Discount{}
	if len(ids) > 0 {
		rows, err := tx.Query(ctx, `SELECT `+discountColumns+` FROM discounts d WHERE d.id = ANY($1)`, ids)
		if err != nil {
			return nil, nil, translate(err, "reading the order's discounts")
		}
		var r discountRow
		if _, err := pgx.ForEachRow(rows, r.dest(), func() error {
			d := toDomainDiscount(r)
			discounts[d.ID] = d
			return nil
		}); err != nil {
			return nil, nil, translate(err, "reading the order's discounts")
		}
	}
	pids := make([]int64, 0, len(o.Lines))
	for _, l := range o.Lines {
		pids = append(pids, l.ProductID)
	}
	paths, err := categoryPaths(ctx, tx, pids)
	if err != nil {
		return nil, nil, err
	}
	return discounts, paths, nil
}

// moveLineStock takes or puts back the units of the changes, and returns the inventory
// events. Units put back go to the warehouses their line's allocations took them from
// (releaseOrderLines); units taken come by the checkout's rule from the warehouses that
// ship to country, and are recorded as the line's allocations (reserveOrderLine). Every
// product, variant and warehouse row concerned is locked first, in the order checkout
// locks them, so that concurrent checkouts and changes cannot deadlock.
func moveLineStock(ctx context.Context, tx pgx.Tx, orderID int64, country string, changes []domain.LineChange, reason string) ([]domain.Event, error) {
	sorted := slices.Clone(changes)
	slices.SortFunc(sorted, func(a, b domain.LineChange) int {
		return cmp.Or(cmp.Compare(a.ProductID, b.ProductID), cmp.Compare(a.VariantID, b.VariantID), cmp.Compare(a.LineNumber, b.LineNumber))
	})
	productOf := map[int64]int64{}
	var variants []int64
	var releases []LineRelease
	for _, c := range sorted {
		if c.Delta == 0 {
			continue
		}
		if _, ok := productOf[c.VariantID]; !ok {
			variants = append(variants, c.VariantID)
		}
		productOf[c.VariantID] = c.ProductID
		if c.Delta < 0 {
			releases = append(releases, LineRelease{LineNo: c.LineNumber, Quantity: -c.Delta})
		}
	}
	if len(variants) == 0 {
		return nil, nil
	}
	if _, _, err := lockStock(ctx, tx, productOf, variants, ""); err != nil {
		return nil, err
	}
	var evs []domain.Event
	if len(releases) > 0 {
		released, _, err := releaseOrderLines(ctx, tx, orderID, releases, reason)
		if err != nil {
			return nil, err
		}
		evs = append(evs, released...)
	}
	for _, c := range sorted {
		if c.Delta <= 0 {
			continue
		}
		reserved, err := reserveOrderLine(ctx, tx, orderID, c.LineNumber, country, c.VariantID, c.Delta)
		var be *domain.BusinessError
		if errors.As(err, &be) {
			// Blame the amendment's lines, not a cart.
			if be.Code == "OUT_OF_STOCK" {
				return nil, domain.Business(be.Code, []string{"lines"}, "%s",
					strings.Replace(be.Message, "a product in the cart", fmt.Sprintf("line %d's product", c.LineNumber), 1))
			}
			return nil, domain.Business(be.Code, []string{"lines"}, "line %d's product is no longer sold", c.LineNumber)
		}
		if err != nil {
			return nil, err
		}
		for i := range reserved {
			if d, ok := reserved[i].Data.(domain.InventoryEventData); ok {
				d.Reason = reason
				reserved[i].Data = d
			}
		}
		evs = append(evs, reserved...)
	}
	return evs, nil
}

// settleWith calls settle; without one, no money can move, and only a change that moves
// none goes through.
func settleWith(ctx context.Context, settle domain.Settler, s domain.Settlement) error {
	if settle == nil {
		if s.Refund == 0 && s.Charge == 0 {
			return nil
		}
		return domain.Business("PAYMENT_FAILED", nil, "no payment provider is configured")
	}
	return settle(ctx, s)
}
