package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/shopgraph/shopgraph/domain"
)

// OrderStore keeps orders, their lines and their status history.
type OrderStore struct {
	db *DB
}

var _ domain.OrderStore = (*OrderStore)(nil)

// NewOrderStore returns an OrderStore over db.
func NewOrderStore(db *DB) *OrderStore { return &OrderStore{db: db} }

const orderColumns = `o.id, o.number, coalesce(o.user_id, 0), o.email, o.status, o.currency, o.subtotal_minor,
	o.total_minor, o.discount_minor, o.shipping_minor, coalesce(o.shipping_method_id, 0), o.shipping_method_name,
	o.shipping_min_days, o.shipping_max_days, o.refund_minor, o.payment_method, o.payment_ref, o.shipping_address, o.carrier,
	o.tracking_number, o.cart_id, o.idempotency_key, o.session_id, o.created_at, o.updated_at`

type orderRow struct {
	id, userID, subtotal, total, refund int64
	discount, shipping, methodID        int64
	methodName                          string
	minDays, maxDays                    int
	number, email, status, currency     string
	method, ref, cartID, key, session   string
	address                             []byte
	carrier, tracking                   *string
	createdAt, updatedAt                time.Time
}

func (r *orderRow) dest() []any {
	return []any{&r.id, &r.number, &r.userID, &r.email, &r.status, &r.currency, &r.subtotal, &r.total,
		&r.discount, &r.shipping, &r.methodID, &r.methodName, &r.minDays, &r.maxDays, &r.refund, &r.method, &r.ref, &r.address, &r.carrier, &r.tracking, &r.cartID, &r.key, &r.session, &r.createdAt, &r.updatedAt}
}

func toDomainOrder(r orderRow) (domain.Order, error) {
	o := domain.Order{
		ID: r.id, Number: r.number, UserID: r.userID, Email: r.email, Status: domain.OrderStatus(r.status),
		Subtotal:       domain.Money{Amount: r.subtotal, Currency: r.currency},
		Total:          domain.Money{Amount: r.total, Currency: r.currency},
		DiscountAmount: domain.Money{Amount: r.discount, Currency: r.currency},
		ShippingAmount: domain.Money{Amount: r.shipping, Currency: r.currency},
		Discounts:      []domain.AppliedDiscount{},
		RefundAmount:   r.refund, PaymentMethod: domain.PaymentMethod(r.method), PaymentRef: r.ref,
		CartID: r.cartID, IdempotencyKey: r.key, SessionID: r.session, CreatedAt: r.createdAt, UpdatedAt: r.updatedAt,
	}
	if r.methodID != 0 {
		o.ShippingMethod = &domain.OrderShippingMethod{ID: r.methodID, Name: r.methodName, MinDays: r.minDays, MaxDays: r.maxDays}
	}
	if err := json.Unmarshal(r.address, &o.ShippingAddress); err != nil {
		return o, fmt.Errorf("decoding address of order %d: %w", r.id, err)
	}
	if r.carrier != nil && r.tracking != nil {
		o.Shipment = &domain.Shipment{Carrier: *r.carrier, TrackingNumber: *r.tracking}
	}
	return o, nil
}

// querier is what both a pool and a transaction can do.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// orderLinesSQL reads the lines of the orders with the ids ($1).
const orderLinesSQL = `SELECT l.order_id, l.line_no, l.product_id, l.variant_id, l.name, l.variant_title, l.sku, l.quantity,
			l.returned_quantity, l.unit_price_minor, o.currency
		FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.order_id = ANY($1) ORDER BY l.order_id, l.line_no`

// scanOrderLines adds the lines orderLinesSQL read to their orders in out.
func scanOrderLines(rows pgx.Rows, out map[int64]domain.Order) error {
	var orderID int64
	var l domain.OrderLine
	var currency string
	_, err := pgx.ForEachRow(rows, []any{&orderID, &l.LineNumber, &l.ProductID, &l.VariantID, &l.Name, &l.VariantTitle, &l.SKU, &l.Quantity, &l.ReturnedQuantity, &l.UnitPrice.Amount, &currency}, func() error {
		o := out[orderID]
		line := l
		line.UnitPrice.Currency = currency
		line.Total = domain.Money{Amount: line.UnitPrice.Amount * int64(line.Quantity), Currency: currency}
		o.Lines = append(o.Lines, line)
		out[orderID] = o
		return nil
	})
	if err != nil {
		return translate(err, "order lines")
	}
	return nil
}

// loadOrders reads orders and their lines: two statements whatever the number of ids.
func loadOrders(ctx context.Context, q querier, ids []int64) (map[int64]domain.Order, error) {
	rows, err := q.Query(ctx, `SELECT `+orderColumns+` FROM orders o WHERE o.id = ANY($1)`, ids)
	if err != nil {
		return nil, translate(err, "orders by id")
	}
	out := make(map[int64]domain.Order, len(ids))
	var r orderRow
	_, err = pgx.ForEachRow(rows, r.dest(), func() error {
		o, err := toDomainOrder(r)
		out[o.ID] = o
		return err
	})
	if err != nil {
		return nil, translate(err, "orders by id")
	}
	if len(out) == 0 {
		return out, nil
	}
	rows, err = q.Query(ctx, orderLinesSQL, ids)
	if err != nil {
		return nil, translate(err, "order lines")
	}
	if err := scanOrderLines(rows, out); err != nil {
		return nil, err
	}
	discounts, err := loadOrderDiscounts(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	for id, ds := range discounts {
		o := out[id]
		o.Discounts = ds
		out[id] = o
	}
	return out, nil
}

// OrdersByID returns the orders with the given ids.
func (s *OrderStore) OrdersByID(ctx context.Context, ids []int64) (map[int64]domain.Order, error) {
	return loadOrders(ctx, s.db.read(ctx), ids)
}

func loadOrder(ctx context.Context, q querier, id int64) (domain.Order, error) {
	m, err := loadOrders(ctx, q, []int64{id})
	if err != nil {
		return domain.Order{}, err
	}
	o, ok := m[id]
	if !ok {
		return domain.Order{}, domain.Errorf(domain.CodeNotFound, "order not found")
	}
	return o, nil
}

// OrderByIdempotencyKey returns the order placed with the key in the scope.
func (s *OrderStore) OrderByIdempotencyKey(ctx context.Context, scope, key string) (domain.Order, error) {
	var id int64
	err := s.db.Pool.QueryRow(ctx, `SELECT id FROM orders WHERE idempotency_scope = $1 AND idempotency_key = $2`, scope, key).Scan(&id)
	if err != nil {
		return domain.Order{}, translate(err, "order")
	}
	return loadOrder(ctx, s.db.Pool, id)
}

// insertOrderSQL creates a PENDING order with zero totals, unless the customer (or guest
// cart) already has one with the idempotency key, and returns it.
const insertOrderSQL = `WITH n AS (SELECT nextval(pg_get_serial_sequence('orders', 'id')) AS id)
	INSERT INTO orders AS o (id, number, user_id, email, status, currency, subtotal_minor, total_minor,
		payment_method, shipping_address, cart_id, idempotency_scope, idempotency_key, created_at, updated_at, session_id)
	SELECT n.id, 'SG-' || lpad(n.id::text, greatest(6, length(n.id::text)), '0'), $1, $2, 'PENDING', $3, 0, 0, $4, $5, $6, $7, $8, $9, $9, $10 FROM n
	ON CONFLICT (idempotency_scope, idempotency_key) DO NOTHING
	RETURNING ` + orderColumns

// PlaceOrder reserves the stock from the warehouses (by the rule of reserveUnits), creates
// the order and records the lines' allocations, discounts, first status and outbox events
// in one transaction of three round trips whatever the number of lines:
//
//  1. BEGIN; the order's row (a concurrent checkout with the same key waits here for the
//     first to commit, then finds its order instead of inserting a second one); the locks
//     on the products, variants and warehouse rows, reading the lines' data and stock;
//     the discounts and shipping methods the cost needs.
//  2. The conditional stock updates, the discount uses, the lines, allocations, totals
//     and the first status entry.
//  3. The outbox events, and COMMIT.
//
// Business failures (stock, discounts, shipping) are found before the second round trip
// when they can be, and roll everything back in any case.
func (s *OrderStore) PlaceOrder(ctx context.Context, r domain.CheckoutRequest) (domain.Order, bool, error) {
	if len(r.Cart.Lines) == 0 {
		return domain.Order{}, false, domain.Business("EMPTY_CART", []string{"input", "cartId"}, "the cart is empty")
	}
	address, err := json.Marshal(r.ShippingAddress)
	if err != nil {
		return domain.Order{}, false, fmt.Errorf("encoding address: %w", err)
	}
	tx, err := beginBatchTx(ctx, s.db.Pool)
	if err != nil {
		return domain.Order{}, false, err
	}
	defer tx.end(ctx)
	order, existing, err := s.placeOrder(ctx, tx, r, address)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" && pgErr.ConstraintName == "orders_user_id_fkey" {
		// A valid token of an account that no longer exists.
		return domain.Order{}, false, domain.Errorf(domain.CodeUnauthenticated, "the account behind this token no longer exists")
	}
	if err != nil {
		return domain.Order{}, false, translateTx(err, "placing order")
	}
	return order, existing, nil
}

func (s *OrderStore) placeOrder(ctx context.Context, tx *batchTx, r domain.CheckoutRequest, address []byte) (domain.Order, bool, error) {
	var userID *int64
	if r.UserID != 0 {
		userID = &r.UserID
	}
	reqs := make([]stockRequest, len(r.Cart.Lines))
	for i, l := range r.Cart.Lines {
		reqs[i] = stockRequest{VariantID: l.VariantID, Quantity: l.Quantity}
	}

	// Round trip 1: the order, the locks, what the cost needs.
	batch := tx.batch()
	batch.Queue(insertOrderSQL, userID, r.Email, domain.DefaultCurrency, string(r.PaymentMethod), address, r.Cart.ID,
		r.IdempotencyScope(), r.IdempotencyKey, domain.Now(ctx), r.SessionID)
	queueStockLocks(batch, requestedVariants(reqs), r.ShippingAddress.Country)
	queueCostReads(batch, r.DiscountCodes)
	results, err := tx.send(ctx, batch)
	if err != nil {
		return domain.Order{}, false, err
	}
	var row orderRow
	inserted := true
	if err := results.QueryRow().Scan(row.dest()...); errors.Is(err, pgx.ErrNoRows) {
		inserted = false
	} else if err != nil {
		results.Close()
		return domain.Order{}, false, translate(err, "inserting order")
	}
	locked, err := readStockLocks(results)
	if err != nil {
		results.Close()
		return domain.Order{}, false, err
	}
	ds, methods, err := readCostReads(results)
	if err != nil {
		results.Close()
		return domain.Order{}, false, err
	}
	if err := results.Close(); err != nil {
		return domain.Order{}, false, translate(err, "placing order")
	}
	if !inserted {
		order, err := s.priorOrder(ctx, tx, r)
		return order, true, err
	}
	order, err := toDomainOrder(row)
	if err != nil {
		return domain.Order{}, false, err
	}

	plan, err := planReservation(reqs, locked)
	if err != nil {
		return domain.Order{}, false, err
	}
	lines := make([]domain.OrderLine, len(plan.reqs))
	paths := map[int64][]int64{}
	for i, req := range plan.reqs {
		v := locked.variants[req.VariantID]
		lines[i] = domain.OrderLine{LineNumber: i + 1, ProductID: v.ProductID, VariantID: req.VariantID, Name: v.Name,
			VariantTitle: domain.VariantTitle(v.Options), SKU: v.SKU, Quantity: req.Quantity,
			UnitPrice: domain.Money{Amount: v.Price, Currency: v.Currency},
			Total:     domain.Money{Amount: v.Price * int64(req.Quantity), Currency: v.Currency}}
		if v.CategoryPath != nil {
			paths[v.ProductID] = v.CategoryPath
		}
	}
	cost, method, err := orderCost(ctx, r, lines, paths, ds, methods)
	if err != nil {
		return domain.Order{}, false, err
	}

	// Round trip 2: every write but the outbox.
	id := order.ID
	batch = tx.batch()
	queueReservation(batch, plan)
	customer := customerKey(r)
	redemptions := queueRedemptions(batch, id, customer, cost, ds)
	for i, l := range lines {
		batch.Queue(`INSERT INTO order_lines (order_id, line_no, product_id, variant_id, name, variant_title, sku, quantity, unit_price_minor)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, id, l.LineNumber, l.ProductID, l.VariantID, l.Name, l.VariantTitle, l.SKU, l.Quantity, l.UnitPrice.Amount)
		queueAllocations(batch, id, l.LineNumber, plan.takes[i])
	}
	var methodID *int64
	var methodName string
	var minDays, maxDays int
	if method != nil {
		methodID, methodName, minDays, maxDays = &method.ID, method.Name, method.MinDays, method.MaxDays
	}
	batch.Queue(`UPDATE orders SET subtotal_minor = $2, discount_minor = $3, shipping_minor = $4, total_minor = $5, last_sequence = 1,
				shipping_method_id = $6, shipping_method_name = $7, shipping_min_days = $8, shipping_max_days = $9 WHERE id = $1`,
		id, cost.Subtotal, cost.DiscountTotal, cost.Shipping, cost.Total, methodID, methodName, minDays, maxDays)
	batch.Queue(`INSERT INTO order_status_events (order_id, sequence, status, at, total_minor) VALUES ($1, 1, 'PENDING', $2, $3)`, id, domain.Now(ctx), cost.Total)
	results, err = tx.send(ctx, batch)
	if err != nil {
		return domain.Order{}, false, err
	}
	served, err := readReservation(results, id, plan, locked)
	if err == nil {
		err = readRedemptions(results, redemptions, len(cost.Discounts))
	}
	if err != nil {
		results.Close()
		return domain.Order{}, false, err
	}
	if err := results.Close(); err != nil {
		return domain.Order{}, false, translate(err, "writing order lines")
	}

	// The order as it now stands: what loadOrder would read.
	currency := order.Subtotal.Currency
	for i := range lines {
		lines[i].UnitPrice.Currency, lines[i].Total.Currency = currency, currency
	}
	order.Lines = lines
	order.Subtotal = domain.Money{Amount: cost.Subtotal, Currency: currency}
	order.Total = domain.Money{Amount: cost.Total, Currency: currency}
	order.DiscountAmount = domain.Money{Amount: cost.DiscountTotal, Currency: currency}
	order.ShippingAmount = domain.Money{Amount: cost.Shipping, Currency: currency}
	order.Discounts = append([]domain.AppliedDiscount{}, cost.Discounts...)
	if method != nil {
		order.ShippingMethod = &domain.OrderShippingMethod{ID: method.ID, Name: method.Name, MinDays: method.MinDays, MaxDays: method.MaxDays}
	}
	evs := []domain.Event{orderEvent(order, domain.StatusEvent{Sequence: 1, Status: domain.StatusPending, At: order.CreatedAt})}
	for _, sv := range served {
		evs = append(evs, sv.Events...)
	}

	// Round trip 3: the outbox and COMMIT.
	batch = tx.batch()
	if err := queueOutbox(batch, stamp(evs, order.CreatedAt)...); err != nil {
		return domain.Order{}, false, err
	}
	queueCommit(batch)
	results, err = tx.send(ctx, batch)
	if err != nil {
		return domain.Order{}, false, err
	}
	if _, err := results.Exec(); err != nil {
		results.Close()
		return domain.Order{}, false, translate(err, "outbox event")
	}
	if err := tx.readCommit(results); err != nil {
		return domain.Order{}, false, err
	}
	return order, false, nil
}

// priorOrder returns the order the request's idempotency key placed earlier, inside tx,
// or IDEMPOTENCY_KEY_REUSED when that order bought another cart. Nothing is written.
func (s *OrderStore) priorOrder(ctx context.Context, tx *batchTx, r domain.CheckoutRequest) (domain.Order, error) {
	var prior int64
	if err := tx.conn.QueryRow(ctx, `SELECT id FROM orders WHERE idempotency_scope = $1 AND idempotency_key = $2`,
		r.IdempotencyScope(), r.IdempotencyKey).Scan(&prior); err != nil {
		return domain.Order{}, translate(err, "order by idempotency key")
	}
	order, err := loadOrder(ctx, tx.conn, prior)
	if err != nil {
		return domain.Order{}, err
	}
	if order.CartID != r.Cart.ID {
		return domain.Order{}, domain.Business("IDEMPOTENCY_KEY_REUSED", []string{"input", "idempotencyKey"},
			"this idempotency key was already used for another cart")
	}
	if err := tx.commit(ctx); err != nil {
		return domain.Order{}, err
	}
	return order, nil
}

// stamp gives the events without a time the time of the change they belong to.
func stamp(evs []domain.Event, at time.Time) []domain.Event {
	for i := range evs {
		if evs[i].At.IsZero() {
			evs[i].At = at
		}
	}
	return evs
}

func orderEvent(o domain.Order, ev domain.StatusEvent) domain.Event {
	d := domain.OrderEventData{
		OrderID: o.ID, Number: o.Number, UserID: o.UserID, Sequence: ev.Sequence, Kind: ev.Kind.OrZero(), Status: ev.Status,
		Previous: ev.Previous, TotalMinor: o.Total.Amount, Currency: o.Total.Currency,
		PaymentMethod: o.PaymentMethod, Reason: ev.Note, RefundMinor: ev.RefundAmount, ChargeMinor: ev.ChargeAmount,
		SessionID: o.SessionID, ReturnID: ev.ReturnID,
	}
	// Every order event carries the lines: analytics counts products sold, and takes them
	// back, from the events alone.
	for _, l := range o.Lines {
		d.Lines = append(d.Lines, domain.OrderLineData{LineNumber: l.LineNumber, ProductID: l.ProductID, VariantID: l.VariantID, Quantity: l.Quantity, UnitPriceMinor: l.UnitPrice.Amount})
	}
	if ev.Shipment != nil {
		d.Carrier, d.Tracking = ev.Shipment.Carrier, ev.Shipment.TrackingNumber
	}
	return domain.Event{Type: ev.Kind.EventType(ev.Status), Key: strconv.FormatInt(o.ID, 10), At: ev.At, Data: d}
}

// Transition moves the order through the state machine in one transaction.
func (s *OrderStore) Transition(ctx context.Context, orderID int64, t domain.Transition) (domain.Order, domain.StatusEvent, error) {
	return s.transition(ctx, orderID, t, "", nil)
}

// RecordPayment marks a PENDING order PAID and writes payment.processed.
func (s *OrderStore) RecordPayment(ctx context.Context, orderID int64, reference string) (domain.Order, error) {
	o, _, err := s.transition(ctx, orderID, domain.Transition{To: domain.StatusPaid, Expect: domain.StatusPending}, reference,
		func(o domain.Order) []domain.Event {
			return []domain.Event{{Type: domain.EventPaymentProcessed, Key: strconv.FormatInt(o.ID, 10),
				Data: domain.PaymentEventData{OrderID: o.ID, AmountMinor: o.Total.Amount, Currency: o.Total.Currency, Method: o.PaymentMethod, Reference: reference}}}
		})
	return o, err
}

// FailPayment cancels a PENDING order whose payment failed.
func (s *OrderStore) FailPayment(ctx context.Context, orderID int64, reason string) (domain.Order, error) {
	o, _, err := s.transition(ctx, orderID, domain.Transition{To: domain.StatusCancelled, Expect: domain.StatusPending, Note: reason}, "",
		func(o domain.Order) []domain.Event {
			return []domain.Event{{Type: domain.EventPaymentFailed, Key: strconv.FormatInt(o.ID, 10),
				Data: domain.PaymentEventData{OrderID: o.ID, AmountMinor: o.Total.Amount, Currency: o.Total.Currency, Method: o.PaymentMethod, Reason: reason}}}
		})
	return o, err
}

func (s *OrderStore) transition(ctx context.Context, orderID int64, t domain.Transition, paymentRef string, extra func(domain.Order) []domain.Event) (domain.Order, domain.StatusEvent, error) {
	if t.To.ReturnsStock() {
		return s.transitionReleasing(ctx, orderID, t, paymentRef, extra)
	}
	tx, err := beginBatchTx(ctx, s.db.Pool)
	if err != nil {
		return domain.Order{}, domain.StatusEvent{}, err
	}
	defer tx.end(ctx)
	order, ev, err := transitionInPlace(ctx, tx, orderID, t, paymentRef, extra)
	if err != nil {
		return domain.Order{}, domain.StatusEvent{}, translateTx(err, "changing order status")
	}
	return order, ev, nil
}

// dbTime is t as PostgreSQL keeps it and pgx reads it back: to the microsecond, in the
// local time zone.
func dbTime(t time.Time) time.Time { return t.Truncate(time.Microsecond).Local() }

// transitionInPlace is a transition that moves no stock (to PAID, SHIPPED or DELIVERED)
// in two round trips: BEGIN with the order's row locked and read with its lines and
// discounts; then the change, its history entry, its outbox events and COMMIT. The order
// it returns is the one read, changed as the UPDATE changes it.
func transitionInPlace(ctx context.Context, tx *batchTx, orderID int64, t domain.Transition, paymentRef string, extra func(domain.Order) []domain.Event) (domain.Order, domain.StatusEvent, error) {
	// The row lock serialises every change of one order: sequence numbers have no gaps,
	// and the order's events reach the outbox in the order they happened. The lines and
	// discounts are read after it is taken.
	ids := []int64{orderID}
	batch := tx.batch()
	batch.Queue(`SELECT `+orderColumns+`, o.last_sequence FROM orders o WHERE o.id = $1 FOR UPDATE`, orderID)
	batch.Queue(orderLinesSQL, ids)
	batch.Queue(orderDiscountsSQL, ids)
	results, err := tx.send(ctx, batch)
	if err != nil {
		return domain.Order{}, domain.StatusEvent{}, err
	}
	var row orderRow
	var seq int
	if err := results.QueryRow().Scan(append(row.dest(), &seq)...); err != nil {
		results.Close()
		return domain.Order{}, domain.StatusEvent{}, translate(err, "order")
	}
	order, err := toDomainOrder(row)
	if err != nil {
		results.Close()
		return domain.Order{}, domain.StatusEvent{}, err
	}
	byID := map[int64]domain.Order{orderID: order}
	rows, err := results.Query()
	if err == nil {
		err = scanOrderLines(rows, byID)
	}
	if err != nil {
		results.Close()
		return domain.Order{}, domain.StatusEvent{}, translate(err, "order lines")
	}
	rows, err = results.Query()
	var discounts map[int64][]domain.AppliedDiscount
	if err == nil {
		discounts, err = scanOrderDiscounts(rows)
	}
	if err != nil {
		results.Close()
		return domain.Order{}, domain.StatusEvent{}, err
	}
	if err := results.Close(); err != nil {
		return domain.Order{}, domain.StatusEvent{}, translate(err, "order")
	}
	order = byID[orderID]
	if ds, ok := discounts[orderID]; ok {
		order.Discounts = ds
	}
	from := order.Status
	if t.Expect != "" && from != t.Expect {
		return domain.Order{}, domain.StatusEvent{}, domain.Business("STALE", nil, "the order is %s, not %s", from, t.Expect)
	}
	if be := from.CheckTransition(t.To); be != nil {
		return domain.Order{}, domain.StatusEvent{}, be
	}
	var carrier, tracking *string
	if t.Shipment != nil {
		carrier, tracking = &t.Shipment.Carrier, &t.Shipment.TrackingNumber
	}
	now := domain.Now(ctx)
	total := order.Total.Amount
	ev := domain.StatusEvent{OrderID: orderID, Sequence: seq + 1, Kind: domain.KindStatusChanged, Status: t.To, Previous: from, Note: t.Note,
		Shipment: t.Shipment, TotalAmount: total, At: dbTime(now)}
	batch = tx.batch()
	batch.Queue(`UPDATE orders SET status = $2, last_sequence = $3, updated_at = $8,
			carrier = coalesce($4, carrier), tracking_number = coalesce($5, tracking_number),
			refund_minor = refund_minor + $6,
			payment_ref = CASE WHEN $7 <> '' THEN $7 ELSE payment_ref END
		WHERE id = $1`, orderID, string(t.To), ev.Sequence, carrier, tracking, int64(0), paymentRef, now)
	batch.Queue(`INSERT INTO order_status_events (order_id, sequence, status, previous_status, note, carrier, tracking_number, refund_minor, at, total_minor)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, orderID, ev.Sequence, string(t.To), string(from), t.Note, carrier, tracking, int64(0), now, total)
	// The order as the UPDATE leaves it.
	order.Status, order.UpdatedAt = t.To, ev.At
	if t.Shipment != nil {
		order.Shipment = &domain.Shipment{Carrier: t.Shipment.Carrier, TrackingNumber: t.Shipment.TrackingNumber}
	}
	if paymentRef != "" {
		order.PaymentRef = paymentRef
	}
	evs := []domain.Event{orderEvent(order, ev)}
	if extra != nil {
		evs = append(evs, extra(order)...)
	}
	if err := queueOutbox(batch, stamp(evs, ev.At)...); err != nil {
		return domain.Order{}, domain.StatusEvent{}, err
	}
	queueCommit(batch)
	results, err = tx.send(ctx, batch)
	if err != nil {
		return domain.Order{}, domain.StatusEvent{}, err
	}
	for _, what := range []string{"updating order", "recording status", "outbox event"} {
		if _, err := results.Exec(); err != nil {
			results.Close()
			return domain.Order{}, domain.StatusEvent{}, translate(err, what)
		}
	}
	if err := tx.readCommit(results); err != nil {
		return domain.Order{}, domain.StatusEvent{}, err
	}
	return order, ev, nil
}

// transitionReleasing is a transition that puts the order's units back in stock
// (CANCELLED, RETURNED), in one transaction.
func (s *OrderStore) transitionReleasing(ctx context.Context, orderID int64, t domain.Transition, paymentRef string, extra func(domain.Order) []domain.Event) (domain.Order, domain.StatusEvent, error) {
	var order domain.Order
	var ev domain.StatusEvent
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		// The row lock serialises every change of one order: sequence numbers have no
		// gaps, and the order's events reach the outbox in the order they happened.
		var status string
		var seq int
		var total, refunded int64
		err := tx.QueryRow(ctx, `SELECT status, last_sequence, total_minor, refund_minor FROM orders WHERE id = $1 FOR UPDATE`, orderID).Scan(&status, &seq, &total, &refunded)
		if err != nil {
			return translate(err, "order")
		}
		from := domain.OrderStatus(status)
		if t.Expect != "" && from != t.Expect {
			return domain.Business("STALE", nil, "the order is %s, not %s", from, t.Expect)
		}
		if be := from.CheckTransition(t.To); be != nil {
			return be
		}
		// A return takes back what customer returns left, and refunds by default what
		// they did not refund yet.
		refund := int64(0)
		if t.To == domain.StatusReturned {
			refund = total - refunded
			if t.RefundAmount != nil {
				refund = *t.RefundAmount
			}
			if refund < 0 || refund > total-refunded {
				return domain.Business("INVALID_REFUND", []string{"refundAmount"}, "the refund must be between 0 and the %s paid and not yet refunded", domain.FormatMinor(total-refunded))
			}
		}
		var carrier, tracking *string
		if t.Shipment != nil {
			carrier, tracking = &t.Shipment.Carrier, &t.Shipment.TrackingNumber
		}
		ev = domain.StatusEvent{OrderID: orderID, Sequence: seq + 1, Kind: domain.KindStatusChanged, Status: t.To, Previous: from, Note: t.Note,
			Shipment: t.Shipment, RefundAmount: refund, TotalAmount: total}
		batch := &pgx.Batch{}
		now := domain.Now(ctx)
		batch.Queue(`UPDATE orders SET status = $2, last_sequence = $3, updated_at = $8,
				carrier = coalesce($4, carrier), tracking_number = coalesce($5, tracking_number),
				refund_minor = refund_minor + $6,
				payment_ref = CASE WHEN $7 <> '' THEN $7 ELSE payment_ref END
			WHERE id = $1`, orderID, string(t.To), ev.Sequence, carrier, tracking, refund, paymentRef, now)
		batch.Queue(`INSERT INTO order_status_events (order_id, sequence, status, previous_status, note, carrier, tracking_number, refund_minor, at, total_minor)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING at`, orderID, ev.Sequence, string(t.To), status, t.Note, carrier, tracking, refund, now, total)
		if t.To == domain.StatusCancelled {
			releaseDiscounts(batch, orderID)
		}
		results := tx.SendBatch(ctx, batch)
		if _, err := results.Exec(); err != nil {
			results.Close()
			return translate(err, "updating order")
		}
		if err := results.QueryRow().Scan(&ev.At); err != nil {
			results.Close()
			return translate(err, "recording status")
		}
		if err := results.Close(); err != nil {
			return translate(err, "updating order")
		}
		var released []domain.Event
		if t.To.ReturnsStock() {
			// Every unit the lines still hold goes back to the warehouse it came from.
			// Units that approved customer returns took back are on the shelf already.
			if released, _, err = releaseOrderLines(ctx, tx, orderID, nil, string(t.To)); err != nil {
				return err
			}
		}
		if t.To == domain.StatusReturned {
			// The whole order has come back.
			if _, err := tx.Exec(ctx, `UPDATE order_lines SET returned_quantity = quantity WHERE order_id = $1`, orderID); err != nil {
				return translate(err, "recording the return")
			}
		}
		order, err = loadOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		evs := append([]domain.Event{orderEvent(order, ev)}, released...)
		if extra != nil {
			evs = append(evs, extra(order)...)
		}
		return WriteOutbox(ctx, tx, stamp(evs, ev.At)...)
	})
	if err != nil {
		return domain.Order{}, domain.StatusEvent{}, translateTx(err, "changing order status")
	}
	return order, ev, nil
}

const statusEventColumns = `order_id, sequence, kind, status, coalesce(previous_status, ''), at, note, carrier, tracking_number, refund_minor,
	charge_minor, coalesce(total_minor, 0), coalesce(return_id, 0)`

func scanStatusEvents(rows pgx.Rows, each func(domain.StatusEvent)) error {
	var ev domain.StatusEvent
	var kind, status, prev string
	var carrier, tracking *string
	_, err := pgx.ForEachRow(rows, []any{&ev.OrderID, &ev.Sequence, &kind, &status, &prev, &ev.At, &ev.Note, &carrier, &tracking, &ev.RefundAmount,
		&ev.ChargeAmount, &ev.TotalAmount, &ev.ReturnID}, func() error {
		e := ev
		e.Kind, e.Status, e.Previous = domain.HistoryKind(kind), domain.OrderStatus(status), domain.OrderStatus(prev)
		if carrier != nil && tracking != nil {
			e.Shipment = &domain.Shipment{Carrier: *carrier, TrackingNumber: *tracking}
		}
		each(e)
		return nil
	})
	return err
}

// StatusHistory returns each order's history in sequence order.
func (s *OrderStore) StatusHistory(ctx context.Context, orderIDs []int64) (map[int64][]domain.StatusEvent, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+statusEventColumns+` FROM order_status_events
		WHERE order_id = ANY($1) ORDER BY order_id, sequence`, orderIDs)
	if err != nil {
		return nil, translate(err, "status history")
	}
	out := make(map[int64][]domain.StatusEvent, len(orderIDs))
	for _, id := range orderIDs {
		out[id] = []domain.StatusEvent{}
	}
	if err := scanStatusEvents(rows, func(e domain.StatusEvent) { out[e.OrderID] = append(out[e.OrderID], e) }); err != nil {
		return nil, translate(err, "status history")
	}
	return out, nil
}

// StatusEventsAfter returns the order's history after the given sequence.
func (s *OrderStore) StatusEventsAfter(ctx context.Context, orderID int64, after int) ([]domain.StatusEvent, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+statusEventColumns+` FROM order_status_events
		WHERE order_id = $1 AND sequence > $2 ORDER BY sequence`, orderID, after)
	if err != nil {
		return nil, translate(err, "status events")
	}
	out := []domain.StatusEvent{}
	if err := scanStatusEvents(rows, func(e domain.StatusEvent) { out = append(out, e) }); err != nil {
		return nil, translate(err, "status events")
	}
	return out, nil
}

// orderWhere returns the conditions of f.
func orderWhere(f domain.OrderFilter, args pgx.NamedArgs) string {
	conds := []string{"true"}
	if f.Status != "" {
		args["status"] = string(f.Status)
		conds = append(conds, "o.status = @status")
	}
	if f.From != nil {
		args["from"] = *f.From
		conds = append(conds, "o.created_at >= @from")
	}
	if f.To != nil {
		args["to"] = *f.To
		conds = append(conds, "o.created_at < @to")
	}
	if f.Email != "" {
		args["email"] = strings.ToLower(f.Email)
		conds = append(conds, "lower(o.email) = @email")
	}
	if f.UserID != 0 {
		args["user"] = f.UserID
		conds = append(conds, "o.user_id = @user")
	}
	return strings.Join(conds, " AND ")
}

// ListOrders returns a page of orders matching f, newest first, by keyset on
// (created_at, id).
func (s *OrderStore) ListOrders(ctx context.Context, f domain.OrderFilter, page domain.PageArgs) (domain.OrderPage, error) {
	args := pgx.NamedArgs{}
	sql := `SELECT o.id, to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM orders o WHERE ` + orderWhere(f, args)
	// Newest first: "after" means older, "before" newer.
	if page.After != nil {
		args["after_v"], args["after_id"] = page.After.Value, page.After.ID
		sql += " AND (o.created_at, o.id) < (@after_v::timestamptz, @after_id)"
	}
	if page.Before != nil {
		args["before_v"], args["before_id"] = page.Before.Value, page.Before.ID
		sql += " AND (o.created_at, o.id) > (@before_v::timestamptz, @before_id)"
	}
	dir := "DESC"
	if page.Backward() {
		dir = "ASC"
	}
	sql += fmt.Sprintf(" ORDER BY o.created_at %s, o.id %s LIMIT %d", dir, dir, page.Limit()+1)
	rows, err := s.db.read(ctx).Query(ctx, sql, args)
	if err != nil {
		return domain.OrderPage{}, translate(err, "listing orders")
	}
	var ids []int64
	var cursors []domain.Cursor
	var id int64
	var v string
	_, err = pgx.ForEachRow(rows, []any{&id, &v}, func() error {
		ids = append(ids, id)
		cursors = append(cursors, domain.Cursor{Sort: domain.OrderCursorSort, Value: v, ID: id})
		return nil
	})
	if err != nil {
		return domain.OrderPage{}, translate(err, "listing orders")
	}
	var p domain.OrderPage
	more := len(ids) > page.Limit()
	if more {
		ids, cursors = ids[:page.Limit()], cursors[:page.Limit()]
	}
	if page.Backward() {
		slices.Reverse(ids)
		slices.Reverse(cursors)
		p.HasPreviousPage, p.HasNextPage = more, page.Before != nil
	} else {
		p.HasNextPage, p.HasPreviousPage = more, page.After != nil
	}
	orders, err := s.OrdersByID(ctx, ids)
	if err != nil {
		return p, err
	}
	for _, id := range ids {
		p.Orders = append(p.Orders, orders[id])
	}
	p.Cursors = cursors
	return p, nil
}

// CountOrders counts the orders matching f.
func (s *OrderStore) CountOrders(ctx context.Context, f domain.OrderFilter) (int, error) {
	args := pgx.NamedArgs{}
	var n int
	if err := s.db.read(ctx).QueryRow(ctx, `SELECT count(*) FROM orders o WHERE `+orderWhere(f, args), args).Scan(&n); err != nil {
		return 0, translate(err, "counting orders")
	}
	return n, nil
}
