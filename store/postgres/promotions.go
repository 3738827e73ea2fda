package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/shopgraph/shopgraph/domain"
)

// DiscountStore keeps discount codes and automatic promotions.
type DiscountStore struct {
	db *DB
}

var _ domain.DiscountStore = (*DiscountStore)(nil)

// NewDiscountStore returns a DiscountStore over db.
func NewDiscountStore(db *DB) *DiscountStore { return &DiscountStore{db: db} }

const discountColumns = `d.id, coalesce(d.code, ''), d.title, d.kind, d.value, d.product_ids, d.category_ids,
	d.min_subtotal_minor, d.starts_at, d.ends_at, d.usage_limit, d.per_customer_limit, d.used_count, d.created_at`

type discountRow struct {
	d      domain.Discount
	kind   string
	endsAt *time.Time
}

func (r *discountRow) dest() []any {
	return []any{&r.d.ID, &r.d.Code, &r.d.Title, &r.kind, &r.d.Value, &r.d.ProductIDs, &r.d.CategoryIDs,
		&r.d.MinSubtotal, &r.d.StartsAt, &r.endsAt, &r.d.UsageLimit, &r.d.PerCustomerLimit, &r.d.UsedCount, &r.d.CreatedAt}
}

func toDomainDiscount(r discountRow) domain.Discount {
	d := r.d
	d.Kind = domain.DiscountKind(r.kind)
	d.EndsAt = time.Time{}
	if r.endsAt != nil {
		d.EndsAt = *r.endsAt
	}
	d.ProductIDs, d.CategoryIDs = slices.Clone(d.ProductIDs), slices.Clone(d.CategoryIDs)
	return d
}

// CreateDiscount stores a validated discount. A code in use is a CONFLICT on input.code.
func (s *DiscountStore) CreateDiscount(ctx context.Context, d domain.Discount) (domain.Discount, error) {
	var code *string
	if d.Code != "" {
		code = &d.Code
	}
	var ends *time.Time
	if !d.EndsAt.IsZero() {
		ends = &d.EndsAt
	}
	if d.StartsAt.IsZero() {
		d.StartsAt = domain.Now(ctx)
	}
	if d.ProductIDs == nil {
		d.ProductIDs = []int64{}
	}
	if d.CategoryIDs == nil {
		d.CategoryIDs = []int64{}
	}
	var r discountRow
	err := s.db.Pool.QueryRow(ctx, `INSERT INTO discounts AS d (code, title, kind, value, product_ids, category_ids,
			min_subtotal_minor, starts_at, ends_at, usage_limit, per_customer_limit)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING `+discountColumns,
		code, d.Title, string(d.Kind), d.Value, d.ProductIDs, d.CategoryIDs, d.MinSubtotal, d.StartsAt, ends,
		d.UsageLimit, d.PerCustomerLimit).Scan(r.dest()...)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return domain.Discount{}, domain.Business("CONFLICT", []string{"input", "code"}, "the code %s is already in use", d.Code)
	}
	if err != nil {
		return domain.Discount{}, translate(err, "creating discount")
	}
	return toDomainDiscount(r), nil
}

// CartDiscounts returns the automatic promotions and the discounts with the codes.
func (s *DiscountStore) CartDiscounts(ctx context.Context, codes []string) ([]domain.Discount, error) {
	return cartDiscounts(ctx, s.db.Pool, codes)
}

// CategoryPaths returns each product's category path.
func (s *DiscountStore) CategoryPaths(ctx context.Context, productIDs []int64) (map[int64][]int64, error) {
	return categoryPaths(ctx, s.db.Pool, productIDs)
}

func cartDiscounts(ctx context.Context, q querier, codes []string) ([]domain.Discount, error) {
	if codes == nil {
		codes = []string{}
	}
	rows, err := q.Query(ctx, `SELECT `+discountColumns+` FROM discounts d WHERE d.code IS NULL OR d.code = ANY($1) ORDER BY d.id`, codes)
	if err != nil {
		return nil, translate(err, "reading discounts")
	}
	var out []domain.Discount
	var r discountRow
	if _, err := pgx.ForEachRow(rows, r.dest(), func() error {
		out = append(out, toDomainDiscount(r))
		return nil
	}); err != nil {
		return nil, translate(err, "reading discounts")
	}
	return out, nil
}

// categoryPaths returns each product's category path (its category and the ancestors).
func categoryPaths(ctx context.Context, q querier, productIDs []int64) (map[int64][]int64, error) {
	rows, err := q.Query(ctx, `SELECT p.id, c.path FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = ANY($1)`, productIDs)
	if err != nil {
		return nil, translate(err, "reading category paths")
	}
	out := make(map[int64][]int64, len(productIDs))
	var id int64
	var path []int64
	if _, err := pgx.ForEachRow(rows, []any{&id, &path}, func() error {
		out[id] = slices.Clone(path)
		return nil
	}); err != nil {
		return nil, translate(err, "reading category paths")
	}
	return out, nil
}

// customerKey names the buyer for per-customer limits: the account, or a guest's email.
func customerKey(r domain.CheckoutRequest) string {
	if r.UserID != 0 {
		return fmt.Sprintf("user:%d", r.UserID)
	}
	return "email:" + strings.ToLower(r.Email)
}

// queueCostReads queues what a checkout's cost needs besides its lines: the automatic
// promotions and the discounts with the codes (cartDiscounts' statement), then the live
// shipping methods (liveShippingMethods'). Read them with readCostReads.
func queueCostReads(batch *pgx.Batch, codes []string) {
	if codes == nil {
		codes = []string{}
	}
	batch.Queue(`SELECT `+discountColumns+` FROM discounts d WHERE d.code IS NULL OR d.code = ANY($1) ORDER BY d.id`, codes)
	batch.Queue(`SELECT ` + shippingMethodColumns + ` FROM shipping_methods m WHERE m.deleted_at IS NULL ORDER BY m.id`)
}

// readCostReads reads the results of queueCostReads's statements.
func readCostReads(results pgx.BatchResults) ([]domain.Discount, []domain.ShippingMethod, error) {
	rows, err := results.Query()
	if err != nil {
		return nil, nil, translate(err, "reading discounts")
	}
	var ds []domain.Discount
	var r discountRow
	if _, err := pgx.ForEachRow(rows, r.dest(), func() error {
		ds = append(ds, toDomainDiscount(r))
		return nil
	}); err != nil {
		return nil, nil, translate(err, "reading discounts")
	}
	rows, err = results.Query()
	if err != nil {
		return nil, nil, translate(err, "reading shipping methods")
	}
	methods := []domain.ShippingMethod{}
	var m shippingMethodRow
	if _, err := pgx.ForEachRow(rows, m.dest(), func() error {
		sm, err := toDomainShippingMethod(m)
		methods = append(methods, sm)
		return err
	}); err != nil {
		return nil, nil, translate(err, "reading shipping methods")
	}
	return ds, methods, nil
}

// orderCost computes the cost of the reserved lines (paths: each product's category
// path) with the discounts live now and the chosen (or default) shipping method, as read
// inside the checkout's transaction.
func orderCost(ctx context.Context, r domain.CheckoutRequest, lines []domain.OrderLine, paths map[int64][]int64,
	ds []domain.Discount, methods []domain.ShippingMethod) (domain.Cost, *domain.ShippingMethod, error) {
	in := domain.CostInput{Discounts: ds, Codes: r.DiscountCodes, Now: domain.Now(ctx)}
	for _, l := range lines {
		in.Lines = append(in.Lines, domain.CostLine{VariantID: l.VariantID, ProductID: l.ProductID,
			CategoryPath: paths[l.ProductID], UnitPrice: l.UnitPrice.Amount, Quantity: l.Quantity})
	}
	cost := domain.ComputeCost(in)
	method, ok := domain.ChooseShippingMethod(methods, r.ShippingMethodID, r.ShippingAddress.Country, cost.Subtotal-cost.DiscountTotal)
	if !ok {
		if r.ShippingMethodID != 0 {
			return domain.Cost{}, nil, domain.Business("SHIPPING_METHOD_UNAVAILABLE", []string{"input", "shippingMethodId"},
				"this shipping method does not ship to %s", r.ShippingAddress.Country)
		}
		return domain.Cost{}, nil, domain.Business("SHIPPING_METHOD_UNAVAILABLE", []string{"input", "shippingAddress", "country"},
			"no shipping method ships to %s", r.ShippingAddress.Country)
	}
	if method != nil {
		in.Shipping = method
		cost = domain.ComputeCost(in)
	}
	// A code the shopper chose that another checkout has just used up fails the checkout
	// rather than charging the full price behind their back.
	for _, st := range cost.Codes {
		for _, d := range ds {
			if !st.Applicable && d.Code == st.Code && d.UsageLimit > 0 && d.UsedCount >= d.UsageLimit {
				return domain.Cost{}, nil, domain.Business("DISCOUNT_LIMIT_REACHED", []string{"input", "discountCodes"},
					"the discount code %s has reached its usage limit", d.Code)
			}
		}
	}
	return cost, method, nil
}

// redemption is one use of an applied discount: a conditional update of its total
// counter and, under a per-customer limit, a conditional upsert of the customer's row.
type redemption struct {
	applied     domain.AppliedDiscount
	perCustomer bool
}

// queueRedemptions queues one use of every applied discount, in id order so concurrent
// checkouts lock the counters in the same order, and the rows recording the order's
// discounts. readRedemptions reads their results: a limit reached is
// DISCOUNT_LIMIT_REACHED, and the caller must then roll back.
func queueRedemptions(batch *pgx.Batch, orderID int64, customer string, cost domain.Cost, ds []domain.Discount) []redemption {
	byID := make(map[int64]domain.Discount, len(ds))
	for _, d := range ds {
		byID[d.ID] = d
	}
	applied := slices.Clone(cost.Discounts)
	slices.SortFunc(applied, func(a, b domain.AppliedDiscount) int { return cmp.Compare(a.DiscountID, b.DiscountID) })
	out := make([]redemption, 0, len(applied))
	for _, a := range applied {
		d := byID[a.DiscountID]
		batch.Queue(`UPDATE discounts SET used_count = used_count + 1
			WHERE id = $1 AND (usage_limit = 0 OR used_count < usage_limit)`, d.ID)
		if d.PerCustomerLimit > 0 {
			batch.Queue(`INSERT INTO discount_customer_uses AS u (discount_id, customer, uses) VALUES ($1, $2, 1)
				ON CONFLICT (discount_id, customer) DO UPDATE SET uses = u.uses + 1 WHERE u.uses < $3`, d.ID, customer, d.PerCustomerLimit)
		}
		out = append(out, redemption{applied: a, perCustomer: d.PerCustomerLimit > 0})
	}
	for i, a := range cost.Discounts {
		batch.Queue(`INSERT INTO order_discounts (order_id, position, discount_id, code, title, amount_minor, customer)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, orderID, i+1, a.DiscountID, a.Code, a.Title, a.Amount, customer)
	}
	return out
}

// readRedemptions reads the results of queueRedemptions's statements (ds: what it was
// given). The first limit reached is the error, after every result has been read.
func readRedemptions(results pgx.BatchResults, rs []redemption, recorded int) error {
	var limit error
	for _, r := range rs {
		what := "the promotion " + r.applied.Title
		if r.applied.Code != "" {
			what = "the discount code " + r.applied.Code
		}
		tag, err := results.Exec()
		if err != nil {
			return translate(err, "counting discount use")
		}
		if tag.RowsAffected() == 0 && limit == nil {
			limit = domain.Business("DISCOUNT_LIMIT_REACHED", []string{"input", "discountCodes"}, "%s has reached its usage limit", what)
		}
		if r.perCustomer {
			tag, err := results.Exec()
			if err != nil {
				return translate(err, "counting the customer's discount use")
			}
			if tag.RowsAffected() == 0 && limit == nil {
				limit = domain.Business("DISCOUNT_LIMIT_REACHED", []string{"input", "discountCodes"}, "you have already used %s as often as it allows", what)
			}
		}
	}
	for range recorded {
		if _, err := results.Exec(); err != nil {
			return translate(err, "recording order discounts")
		}
	}
	return limit
}

// releaseDiscounts gives back the discount uses of a cancelled order.
func releaseDiscounts(batch *pgx.Batch, orderID int64) {
	batch.Queue(`UPDATE discounts d SET used_count = greatest(d.used_count - 1, 0)
		FROM order_discounts od WHERE od.order_id = $1 AND d.id = od.discount_id`, orderID)
	batch.Queue(`UPDATE discount_customer_uses u SET uses = greatest(u.uses - 1, 0)
		FROM order_discounts od WHERE od.order_id = $1 AND u.discount_id = od.discount_id AND u.customer = od.customer`, orderID)
}

// loadOrderDiscounts reads the discounts of the orders.
func loadOrderDiscounts(ctx context.Context, q querier, ids []int64) (map[int64][]domain.AppliedDiscount, error) {
	rows, err := q.Query(ctx, orderDiscountsSQL, ids)
	if err != nil {
		return nil, translate(err, "order discounts")
	}
	return scanOrderDiscounts(rows)
}

// orderDiscountsSQL reads the discounts of the orders with the ids ($1).
const orderDiscountsSQL = `SELECT order_id, discount_id, code, title, amount_minor FROM order_discounts
		WHERE order_id = ANY($1) ORDER BY order_id, position`

// scanOrderDiscounts reads what orderDiscountsSQL returns, by order.
func scanOrderDiscounts(rows pgx.Rows) (map[int64][]domain.AppliedDiscount, error) {
	out := map[int64][]domain.AppliedDiscount{}
	var orderID int64
	var a domain.AppliedDiscount
	if _, err := pgx.ForEachRow(rows, []any{&orderID, &a.DiscountID, &a.Code, &a.Title, &a.Amount}, func() error {
		out[orderID] = append(out[orderID], a)
		return nil
	}); err != nil {
		return nil, translate(err, "order discounts")
	}
	return out, nil
}
