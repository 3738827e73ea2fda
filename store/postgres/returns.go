package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/domain"
)

var _ domain.ReturnStore = (*OrderStore)(nil)

const returnColumns = `r.id, r.order_id, r.status, r.reason, r.rejection_reason, r.refund_minor, o.currency,
	coalesce(r.requested_by, 0), r.created_at, r.decided_at`

// loadReturns reads returns and their lines, by return id or, with byOrder, by order id:
// two statements whatever the number of ids.
func loadReturns(ctx context.Context, q querier, ids []int64, byOrder bool) ([]domain.Return, error) {
	where := `r.id = ANY($1)`
	if byOrder {
		where = `r.order_id = ANY($1)`
	}
	rows, err := q.Query(ctx, `SELECT `+returnColumns+` FROM returns r JOIN orders o ON o.id = r.order_id WHERE `+where+` ORDER BY r.order_id, r.id`, ids)
	if err != nil {
		return nil, translate(err, "returns")
	}
	var out []domain.Return
	var r domain.Return
	var status string
	if _, err := pgx.ForEachRow(rows, []any{&r.ID, &r.OrderID, &status, &r.Reason, &r.RejectionReason, &r.RefundAmount, &r.Currency,
		&r.RequestedBy, &r.CreatedAt, &r.DecidedAt}, func() error {
		x := r
		x.Status = domain.ReturnStatus(status)
		out = append(out, x)
		return nil
	}); err != nil {
		return nil, translate(err, "returns")
	}
	if len(out) == 0 {
		return out, nil
	}
	index := make(map[int64]int, len(out))
	rids := make([]int64, len(out))
	for i, r := range out {
		index[r.ID], rids[i] = i, r.ID
	}
	rows, err = q.Query(ctx, `SELECT return_id, line_no, quantity FROM return_lines WHERE return_id = ANY($1) ORDER BY return_id, line_no`, rids)
	if err != nil {
		return nil, translate(err, "return lines")
	}
	var rid int64
	var l domain.ReturnLine
	if _, err := pgx.ForEachRow(rows, []any{&rid, &l.LineNumber, &l.Quantity}, func() error {
		out[index[rid]].Lines = append(out[index[rid]].Lines, l)
		return nil
	}); err != nil {
		return nil, translate(err, "return lines")
	}
	return out, nil
}

// ReturnsByID returns the returns with the ids.
func (s *OrderStore) ReturnsByID(ctx context.Context, ids []int64) (map[int64]domain.Return, error) {
	rs, err := loadReturns(ctx, s.db.Pool, ids, false)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]domain.Return, len(rs))
	for _, r := range rs {
		out[r.ID] = r
	}
	return out, nil
}

// ReturnsByOrder returns each order's returns, oldest first.
func (s *OrderStore) ReturnsByOrder(ctx context.Context, orderIDs []int64) (map[int64][]domain.Return, error) {
	rs, err := loadReturns(ctx, s.db.Pool, orderIDs, true)
	if err != nil {
		return nil, err
	}
	out := make(map[int64][]domain.Return, len(orderIDs))
	for _, id := range orderIDs {
		out[id] = []domain.Return{}
	}
	for _, r := range rs {
		out[r.OrderID] = append(out[r.OrderID], r)
	}
	return out, nil
}

// RequestReturn records a REQUESTED return of a DELIVERED order.
func (s *OrderStore) RequestReturn(ctx context.Context, req domain.ReturnRequest) (domain.Return, domain.Order, error) {
	var ret domain.Return
	var order domain.Order
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		seq, err := lockOrder(ctx, tx, req.OrderID)
		if err != nil {
			return err
		}
		o, err := loadOrder(ctx, tx, req.OrderID)
		if err != nil {
			return err
		}
		pending, err := pendingReturns(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		if be := domain.CheckReturnable(o, req.Lines, pending, []string{"input", "lines"}); be != nil {
			return be
		}
		now := domain.Now(ctx)
		var by *int64
		if req.By != 0 {
			by = &req.By
		}
		reason := domain.NormalizeReason(req.Reason)
		if err := tx.QueryRow(ctx, `INSERT INTO returns (order_id, status, reason, requested_by, created_at) VALUES ($1, 'REQUESTED', $2, $3, $4) RETURNING id`,
			o.ID, reason, by, now).Scan(&ret.ID); err != nil {
			return translate(err, "recording the return")
		}
		ev := domain.StatusEvent{OrderID: o.ID, Sequence: seq + 1, Kind: domain.KindReturnRequested, Status: o.Status, Previous: o.Status,
			At: now, Note: reason, TotalAmount: o.Total.Amount, ReturnID: ret.ID}
		batch := &pgx.Batch{}
		for _, l := range req.Lines {
			batch.Queue(`INSERT INTO return_lines (return_id, order_id, line_no, quantity) VALUES ($1, $2, $3, $4)`, ret.ID, o.ID, l.LineNumber, l.Quantity)
		}
		if ret, order, err = recordReturnStep(ctx, tx, batch, ev, ret.ID, "recording the return"); err != nil {
			return err
		}
		return WriteOutbox(ctx, tx, stamp([]domain.Event{orderEvent(order, ev), returnEvent(domain.EventReturnRequested, order, ret)}, now)...)
	})
	if err != nil {
		return domain.Return{}, domain.Order{}, translateTx(err, "requesting a return")
	}
	return ret, order, nil
}

// ApproveReturn approves a REQUESTED return: refund, stock back, and the order RETURNED
// when nothing is left with the customer.
func (s *OrderStore) ApproveReturn(ctx context.Context, returnID int64, amount *int64, settle domain.Settler) (domain.Return, domain.Order, error) {
	var ret domain.Return
	var order domain.Order
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		r, o, seq, err := lockReturn(ctx, tx, returnID)
		if err != nil {
			return err
		}
		if be := domain.CheckReturnable(o, r.Lines, nil, []string{"returnId"}); be != nil {
			return be
		}
		discounts, paths, err := orderPricing(ctx, tx, o)
		if err != nil {
			return err
		}
		refund, full, be := domain.ReturnRefund(o, r.Lines, amount, discounts, paths)
		if be != nil {
			return be
		}
		changes := make([]domain.LineChange, 0, len(r.Lines))
		for _, rl := range r.Lines {
			for _, l := range o.Lines {
				if l.LineNumber == rl.LineNumber {
					changes = append(changes, domain.LineChange{LineNumber: l.LineNumber, ProductID: l.ProductID, VariantID: l.VariantID,
						UnitPrice: l.UnitPrice.Amount, Delta: -rl.Quantity})
				}
			}
		}
		evs, err := moveLineStock(ctx, tx, o.ID, o.ShippingAddress.Country, changes, string(domain.StatusReturned))
		if err != nil {
			return err
		}
		now := domain.Now(ctx)
		status := o.Status
		if full {
			status = domain.StatusReturned
		}
		ev := domain.StatusEvent{OrderID: o.ID, Sequence: seq + 1, Kind: domain.KindReturnApproved, Status: status, Previous: o.Status,
			At: now, Note: fmt.Sprintf("return %d approved: %s", r.ID, r.Reason), RefundAmount: refund, TotalAmount: o.Total.Amount, ReturnID: r.ID}
		batch := &pgx.Batch{}
		for _, l := range r.Lines {
			batch.Queue(`UPDATE order_lines SET returned_quantity = returned_quantity + $3 WHERE order_id = $1 AND line_no = $2`, o.ID, l.LineNumber, l.Quantity)
		}
		batch.Queue(`UPDATE orders SET refund_minor = refund_minor + $2 WHERE id = $1`, o.ID, refund)
		batch.Queue(`UPDATE returns SET status = 'APPROVED', refund_minor = $2, decided_at = $3 WHERE id = $1`, r.ID, refund, now)
		if ret, order, err = recordReturnStep(ctx, tx, batch, ev, r.ID, "approving the return"); err != nil {
			return err
		}
		if err := settleWith(ctx, settle, domain.Settlement{Order: o, Refund: refund, Reason: r.Reason}); err != nil {
			return err
		}
		all := append([]domain.Event{orderEvent(order, ev), returnEvent(domain.EventReturnApproved, order, ret)}, evs...)
		return WriteOutbox(ctx, tx, stamp(all, now)...)
	})
	if err != nil {
		return domain.Return{}, domain.Order{}, translateTx(err, "approving a return")
	}
	return ret, order, nil
}

// RejectReturn rejects a REQUESTED return with a reason.
func (s *OrderStore) RejectReturn(ctx context.Context, returnID int64, reason string) (domain.Return, domain.Order, error) {
	var ret domain.Return
	var order domain.Order
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		r, o, seq, err := lockReturn(ctx, tx, returnID)
		if err != nil {
			return err
		}
		now := domain.Now(ctx)
		reason := domain.NormalizeReason(reason)
		ev := domain.StatusEvent{OrderID: o.ID, Sequence: seq + 1, Kind: domain.KindReturnRejected, Status: o.Status, Previous: o.Status,
			At: now, Note: fmt.Sprintf("return %d rejected: %s", r.ID, reason), TotalAmount: o.Total.Amount, ReturnID: r.ID}
		batch := &pgx.Batch{}
		batch.Queue(`UPDATE returns SET status = 'REJECTED', rejection_reason = $2, decided_at = $3 WHERE id = $1`, r.ID, reason, now)
		if ret, order, err = recordReturnStep(ctx, tx, batch, ev, r.ID, "rejecting the return"); err != nil {
			return err
		}
		return WriteOutbox(ctx, tx, stamp([]domain.Event{orderEvent(order, ev), returnEvent(domain.EventReturnRejected, order, ret)}, now)...)
	})
	if err != nil {
		return domain.Return{}, domain.Order{}, translateTx(err, "rejecting a return")
	}
	return ret, order, nil
}

// recordReturnStep sends batch (the step's writes) with the history entry ev, then reads
// back the return and its order as the step left them.
func recordReturnStep(ctx context.Context, tx pgx.Tx, batch *pgx.Batch, ev domain.StatusEvent, returnID int64, doing string) (domain.Return, domain.Order, error) {
	queueHistory(batch, ev)
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return domain.Return{}, domain.Order{}, translate(err, doing)
	}
	return reloadReturn(ctx, tx, returnID)
}

// lockReturn locks the return's order, then the return, and checks that the return is
// still REQUESTED (RETURN_DECIDED otherwise). It returns the return, the order and the
// order's last sequence. An unknown return is NOT_FOUND.
func lockReturn(ctx context.Context, tx pgx.Tx, returnID int64) (domain.Return, domain.Order, int, error) {
	var orderID int64
	if err := tx.QueryRow(ctx, `SELECT order_id FROM returns WHERE id = $1`, returnID).Scan(&orderID); err != nil {
		return domain.Return{}, domain.Order{}, 0, translate(err, "return")
	}
	// The order first, as every change of the order locks it, then the return.
	seq, err := lockOrder(ctx, tx, orderID)
	if err != nil {
		return domain.Return{}, domain.Order{}, 0, err
	}
	var status string
	if err := tx.QueryRow(ctx, `SELECT status FROM returns WHERE id = $1 FOR UPDATE`, returnID).Scan(&status); err != nil {
		return domain.Return{}, domain.Order{}, 0, translate(err, "return")
	}
	if domain.ReturnStatus(status) != domain.ReturnRequested {
		return domain.Return{}, domain.Order{}, 0, domain.Business("RETURN_DECIDED", []string{"returnId"}, "the return was already %s", status)
	}
	r, o, err := reloadReturn(ctx, tx, returnID)
	return r, o, seq, err
}

// reloadReturn reads a return and its order inside the transaction.
func reloadReturn(ctx context.Context, tx pgx.Tx, returnID int64) (domain.Return, domain.Order, error) {
	rs, err := loadReturns(ctx, tx, []int64{returnID}, false)
	if err != nil {
		return domain.Return{}, domain.Order{}, err
	}
	if len(rs) == 0 {
		return domain.Return{}, domain.Order{}, domain.Errorf(domain.CodeNotFound, "return not found")
	}
	o, err := loadOrder(ctx, tx, rs[0].OrderID)
	return rs[0], o, err
}

// pendingReturns returns the units open return requests of the order ask for, by line.
func pendingReturns(ctx context.Context, tx pgx.Tx, orderID int64) (map[int]int, error) {
	rows, err := tx.Query(ctx, `SELECT l.line_no, sum(l.quantity)::int FROM return_lines l JOIN returns r ON r.id = l.return_id
		WHERE r.order_id = $1 AND r.status = 'REQUESTED' GROUP BY l.line_no`, orderID)
	if err != nil {
		return nil, translate(err, "open returns")
	}
	out := map[int]int{}
	var line, n int
	if _, err := pgx.ForEachRow(rows, []any{&line, &n}, func() error {
		out[line] = n
		return nil
	}); err != nil {
		return nil, translate(err, "open returns")
	}
	return out, nil
}

// returnEvent is a return.* event about r.
func returnEvent(typ string, o domain.Order, r domain.Return) domain.Event {
	d := domain.ReturnEventData{ReturnID: r.ID, OrderID: o.ID, Number: o.Number, UserID: o.UserID, Status: r.Status,
		Reason: r.Reason, RefundMinor: r.RefundAmount, Currency: o.Total.Currency}
	if r.Status == domain.ReturnRejected {
		d.Reason = r.RejectionReason
	}
	for _, rl := range r.Lines {
		for _, l := range o.Lines {
			if l.LineNumber == rl.LineNumber {
				d.Lines = append(d.Lines, domain.ReturnLineData{LineNumber: l.LineNumber, ProductID: l.ProductID, VariantID: l.VariantID, Quantity: rl.Quantity})
			}
		}
	}
	slices.SortFunc(d.Lines, func(a, b domain.ReturnLineData) int { return cmp.Compare(a.LineNumber, b.LineNumber) })
	return domain.Event{Type: typ, Key: strconv.FormatInt(r.ID, 10), Data: d}
}
