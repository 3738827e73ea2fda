package baseline

// The checkout baseline: what shopgraph's checkout mutation does in the databases for a
// cart, written as a plain handler. It reads the guest cart from Redis (one HGETALL, in
// shopgraph's cart format), places the order in one transaction of three round trips
// with the statements of store/postgres (PlaceOrder: the order's row, the locks on the
// products, variants and warehouse rows with the lines' data, the discounts and shipping
// methods; the conditional stock updates by the allocation rule of domain.AllocateLine,
// the discount uses, the lines, allocations, totals and first status entry; the outbox
// events and COMMIT), charges the payment as shopgraph's simulator does, records it in a
// second transaction of two round trips (the order's row locked; the change, its status
// entry, its outbox events and COMMIT), and takes the units out of the cart in Redis. The
// cost is domain.ComputeCost's rule, copied. It answers the bench's Checkout operation
// with the bytes shopgraph writes for it (the order's status history from what it wrote).
// It does not rate-limit, validate beyond what the bench sends, or retry an idempotency
// key: the bench sends none twice.

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// OpCheckout is the operation name of the bench's checkout.
const OpCheckout = "Checkout"

func init() { operations[OpCheckout] = (*Server).checkoutOp }

const defaultCurrency = "INR"

// The statements of store/postgres for a checkout (orders.go, stock.go, promotions.go,
// outbox.go).
const (
	insertOrderSQL = `WITH n AS (SELECT nextval(pg_get_serial_sequence('orders', 'id')) AS id)
	INSERT INTO orders AS o (id, number, user_id, email, status, currency, subtotal_minor, total_minor,
		payment_method, shipping_address, cart_id, idempotency_scope, idempotency_key, created_at, updated_at, session_id)
	SELECT n.id, 'SG-' || lpad(n.id::text, greatest(6, length(n.id::text)), '0'), $1, $2, 'PENDING', $3, 0, 0, $4, $5, $6, $7, $8, $9, $9, $10 FROM n
	ON CONFLICT (idempotency_scope, idempotency_key) DO NOTHING
	RETURNING o.id, o.number, o.created_at`
	lockProductsSQL = `SELECT p.id FROM products p WHERE p.id IN (SELECT v.product_id FROM product_variants v WHERE v.id = ANY($1))
		ORDER BY p.id FOR NO KEY UPDATE`
	lockVariantsSQL = `SELECT v.id, v.product_id, v.deleted_at IS NULL AND p.deleted_at IS NULL, p.name, v.options, v.sku, v.price_minor,
			p.currency, v.stock, c.path
		FROM product_variants v JOIN products p ON p.id = v.product_id LEFT JOIN categories c ON c.id = p.category_id
		WHERE v.id = ANY($1) ORDER BY v.id FOR NO KEY UPDATE OF v`
	lockStocksSQL = `SELECT s.variant_id, s.warehouse_id, s.quantity FROM warehouse_stocks s JOIN warehouses w ON w.id = s.warehouse_id
		WHERE s.variant_id = ANY($1) AND w.retired_at IS NULL AND ($2 = '' OR cardinality(w.ships_to) = 0 OR $2 = ANY(w.ships_to))
		ORDER BY s.variant_id, w.priority, w.id FOR NO KEY UPDATE OF s`
	discountsSQL = `SELECT d.id, coalesce(d.code, ''), d.title, d.kind, d.value, d.product_ids, d.category_ids,
	d.min_subtotal_minor, d.starts_at, d.ends_at, d.usage_limit, d.per_customer_limit, d.used_count, d.created_at FROM discounts d WHERE d.code IS NULL OR d.code = ANY($1) ORDER BY d.id`
	shippingMethodsSQL = `SELECT m.id, m.name, m.price_minor, m.rates, coalesce(m.free_over_minor, 0), m.countries, m.min_days, m.max_days FROM shipping_methods m WHERE m.deleted_at IS NULL ORDER BY m.id`
	takeStockSQL       = `UPDATE warehouse_stocks SET quantity = quantity - $3, updated_at = now()
				WHERE variant_id = $1 AND warehouse_id = $2 AND quantity >= $3 RETURNING quantity`
	unitsSoldSQL   = `UPDATE product_variants SET units_sold = units_sold + $2, updated_at = now() WHERE id = $1 RETURNING stock`
	useDiscountSQL = `UPDATE discounts SET used_count = used_count + 1
			WHERE id = $1 AND (usage_limit = 0 OR used_count < usage_limit)`
	useCustomerDiscountSQL = `INSERT INTO discount_customer_uses AS u (discount_id, customer, uses) VALUES ($1, $2, 1)
				ON CONFLICT (discount_id, customer) DO UPDATE SET uses = u.uses + 1 WHERE u.uses < $3`
	orderDiscountSQL = `INSERT INTO order_discounts (order_id, position, discount_id, code, title, amount_minor, customer)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`
	orderLineSQL = `INSERT INTO order_lines (order_id, line_no, product_id, variant_id, name, variant_title, sku, quantity, unit_price_minor)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	allocationSQL = `INSERT INTO order_line_allocations AS a (order_id, line_no, warehouse_id, quantity) VALUES ($1, $2, $3, $4)
			ON CONFLICT (order_id, line_no, warehouse_id) DO UPDATE SET quantity = a.quantity + excluded.quantity`
	orderTotalsSQL = `UPDATE orders SET subtotal_minor = $2, discount_minor = $3, shipping_minor = $4, total_minor = $5, last_sequence = 1,
				shipping_method_id = $6, shipping_method_name = $7, shipping_min_days = $8, shipping_max_days = $9 WHERE id = $1`
	firstStatusSQL = `INSERT INTO order_status_events (order_id, sequence, status, at, total_minor) VALUES ($1, 1, 'PENDING', $2, $3)`
	outboxSQL      = `
WITH inserted AS (
	INSERT INTO outbox (event_id, type, key, occurred_at, payload)
	SELECT e.id, e.type, e.key, e.at, e.payload
	FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[])
		WITH ORDINALITY AS e (id, type, key, at, payload, n)
	ORDER BY e.n
	RETURNING 1
)
SELECT pg_notify('shopgraph_outbox', '')`
	lockOrderSQL = `SELECT o.status, o.last_sequence FROM orders o WHERE o.id = $1 FOR UPDATE`
	paidSQL      = `UPDATE orders SET status = $2, last_sequence = $3, updated_at = $8,
			carrier = coalesce($4, carrier), tracking_number = coalesce($5, tracking_number),
			refund_minor = refund_minor + $6,
			payment_ref = CASE WHEN $7 <> '' THEN $7 ELSE payment_ref END
		WHERE id = $1`
	statusSQL = `INSERT INTO order_status_events (order_id, sequence, status, previous_status, note, carrier, tracking_number, refund_minor, at, total_minor)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
)

// checkoutVars are the variables of the bench's Checkout operation.
type checkoutVars struct {
	In struct {
		CartID           string          `json:"cartId"`
		PaymentMethod    string          `json:"paymentMethod"`
		ShippingAddress  json.RawMessage `json:"shippingAddress"`
		IdempotencyKey   string          `json:"idempotencyKey"`
		Email            string          `json:"email"`
		SessionID        string          `json:"sessionId"`
		DiscountCodes    []string        `json:"discountCodes"`
		ShippingMethodID string          `json:"shippingMethodId"`
	} `json:"in"`
}

type address struct {
	Name       string `json:"name"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	Region     string `json:"region"`
	PostalCode string `json:"postalCode"`
	Country    string `json:"country"`
	Phone      string `json:"phone"`
}

type cartLine struct {
	variantID int64
	quantity  int
	addedAt   int64
}

type lockedVariant struct {
	productID    int64
	live         bool
	name, sku    string
	options      []struct{ Name, Value string }
	price        int64
	currency     string
	stock        int
	categoryPath []int64
}

type stockLevel struct {
	variantID, warehouseID int64
	quantity               int
}

type discount struct {
	id                     int64
	code, title, kind      string
	value                  int64
	productIDs, categories []int64
	minSubtotal            int64
	startsAt               time.Time
	endsAt                 *time.Time
	usageLimit, perCust    int
	usedCount              int
	createdAt              time.Time
}

type shippingMethod struct {
	id          int64
	name        string
	price       int64
	rates       []byte
	freeOver    int64
	countries   []string
	min, max    int
	parsedRates []struct {
		MinSubtotal int64 `json:"minSubtotal"`
		Price       int64 `json:"price"`
	}
}

type applied struct {
	id          int64
	code, title string
	amount      int64
}

type event struct {
	typ, key string
	data     any
}

// redisOnce opens the Redis client of the checkout on first use: REDIS_URL and
// REDIS_PREFIX, as shopgraph reads them.
var redisOnce = sync.OnceValues(func() (*redis.Client, error) {
	u := os.Getenv("REDIS_URL")
	if u == "" {
		u = "redis://127.0.0.1:6379/0"
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	return redis.NewClient(opts), nil
})

func redisPrefix() string {
	if p, ok := os.LookupEnv("REDIS_PREFIX"); ok {
		return p
	}
	return "sg:"
}

// userError is a checkout refused for a business reason.
type userError struct{ field, message, code string }

func (e *userError) Error() string { return e.message }

func (s *Server) checkoutOp(ctx context.Context, raw json.RawMessage) ([]byte, error) {
	var v checkoutVars
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	data, err := s.checkout(ctx, v)
	var ue *userError
	if errors.As(err, &ue) {
		w := &jsonWriter{}
		w.raw(`{"checkout":{"order":null,"userErrors":[{"field":[`)
		for i, f := range strings.Split(ue.field, ".") {
			if i > 0 {
				w.raw(",")
			}
			w.str(f)
		}
		w.raw(`],"message":`)
		w.str(ue.message)
		w.raw(`,"code":`)
		w.str(ue.code)
		w.raw(`}]}}`)
		return w.b, nil
	}
	return data, err
}

func (s *Server) checkout(ctx context.Context, v checkoutVars) ([]byte, error) {
	rdb, err := redisOnce()
	if err != nil {
		return nil, err
	}
	in := v.In
	var addr address
	if err := json.Unmarshal(in.ShippingAddress, &addr); err != nil {
		return nil, err
	}
	addr.Country = strings.ToUpper(strings.TrimSpace(addr.Country))
	email := strings.ToLower(strings.TrimSpace(in.Email))
	var methodID int64
	if in.ShippingMethodID != "" {
		b, err := base64.RawURLEncoding.DecodeString(in.ShippingMethodID)
		id, ok := strings.CutPrefix(string(b), "ShippingMethod:")
		if err != nil || !ok {
			return nil, &userError{"input.shippingMethodId", "invalid id", "BAD_USER_INPUT"}
		}
		if methodID, err = strconv.ParseInt(id, 10, 64); err != nil {
			return nil, err
		}
	}

	// The cart: one HGETALL.
	cartKey := redisPrefix() + "cart:" + in.CartID
	h, err := rdb.HGetAll(ctx, cartKey).Result()
	if err != nil {
		return nil, err
	}
	if len(h) == 0 {
		return nil, &userError{"input.cartId", "no such cart", "NOT_FOUND"}
	}
	var lines []cartLine
	for f, q := range h {
		p, ok := strings.CutPrefix(f, "q:")
		if !ok {
			continue
		}
		id, err1 := strconv.ParseInt(p, 10, 64)
		n, err2 := strconv.Atoi(q)
		at, err3 := strconv.ParseInt(h["a:"+p], 10, 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("cart %s: %w", in.CartID, err)
		}
		lines = append(lines, cartLine{id, n, at})
	}
	if len(lines) == 0 {
		return nil, &userError{"input.cartId", "the cart is empty", "EMPTY_CART"}
	}
	slices.SortFunc(lines, func(a, b cartLine) int {
		return cmp.Or(cmp.Compare(a.addedAt, b.addedAt), cmp.Compare(a.variantID, b.variantID))
	})
	codes := []string{}
	if dc := h["dc"]; dc != "" {
		codes = strings.Split(dc, ",")
	}
	if in.DiscountCodes != nil {
		codes = codes[:0]
		for _, c := range in.DiscountCodes {
			codes = append(codes, strings.ToUpper(strings.TrimSpace(c)))
		}
	}

	o, err := s.placeOrder(ctx, in.CartID, email, in.PaymentMethod, addr, in.IdempotencyKey, in.SessionID, codes, methodID, lines)
	if err != nil {
		return nil, err
	}

	// The payment, as shopgraph's simulator answers it.
	if strings.Contains(strings.ToLower(addr.Name), "decline") || strings.Contains(strings.ToLower(addr.Name), "timeout") {
		return nil, errors.New("the baseline does not decline payments")
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	ref := "sim_" + hex.EncodeToString(b)
	if err := s.recordPayment(ctx, o, ref); err != nil {
		return nil, err
	}

	// The cart loses the ordered units: one pipeline.
	if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, l := range lines {
			p.HDel(ctx, cartKey, "q:"+strconv.FormatInt(l.variantID, 10), "a:"+strconv.FormatInt(l.variantID, 10))
		}
		p.HSet(ctx, cartKey, "upd", strconv.FormatInt(time.Now().UnixMicro(), 10))
		p.PExpire(ctx, cartKey, 30*24*time.Hour)
		return nil
	}); err != nil {
		return nil, err
	}

	w := &jsonWriter{}
	w.raw(`{"checkout":{"order":{"id":`)
	w.str(globalID("Order", o.id))
	w.raw(`,"number":`)
	w.str(o.number)
	w.raw(`,"status":"PAID","subtotal":`)
	money(w, o.subtotal)
	w.raw(`,"discountAmount":`)
	money(w, o.discount)
	w.raw(`,"shippingAmount":`)
	money(w, o.shipping)
	w.raw(`,"total":`)
	money(w, o.total)
	w.raw(`,"statusHistory":[{"sequence":1,"status":"PENDING","note":null},{"sequence":2,"status":"PAID","note":null}]},"userErrors":[]}}`)
	return w.b, nil
}

func money(w *jsonWriter, minor int64) {
	w.raw(`{"amount":`)
	w.str(formatMinor(minor))
	w.raw(`,"currencyCode":"` + defaultCurrency + `"}`)
}

// placed is what the checkout knows of the order it placed.
type placed struct {
	id                                  int64
	number                              string
	createdAt                           time.Time
	subtotal, discount, shipping, total int64
	paymentMethod                       string
	eventLines                          []map[string]any
}

func (s *Server) placeOrder(ctx context.Context, cartID, email, payment string, addr address, key, session string, codes []string, methodID int64, lines []cartLine) (placed, error) {
	var o placed
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return o, err
	}
	defer conn.Release()
	committed := false
	defer func() {
		if !committed {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			conn.Exec(rctx, "rollback")
			cancel()
		}
	}()
	addrJSON, err := json.Marshal(addr)
	if err != nil {
		return o, err
	}
	ids := make([]int64, len(lines))
	for i, l := range lines {
		ids[i] = l.variantID
	}
	now := time.Now()

	// Round trip 1.
	b := &pgx.Batch{}
	b.Queue("begin")
	b.Queue(insertOrderSQL, nil, email, defaultCurrency, payment, addrJSON, cartID, "cart:"+cartID, key, now, session)
	b.Queue(lockProductsSQL, ids)
	b.Queue(lockVariantsSQL, ids)
	b.Queue(lockStocksSQL, ids, addr.Country)
	b.Queue(discountsSQL, codes)
	b.Queue(shippingMethodsSQL)
	res := conn.SendBatch(ctx, b)
	variants := map[int64]lockedVariant{}
	levels := map[int64][]stockLevel{}
	var ds []discount
	var methods []shippingMethod
	err = func() error {
		defer res.Close()
		if _, err := res.Exec(); err != nil {
			return err
		}
		if err := res.QueryRow().Scan(&o.id, &o.number, &o.createdAt); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return errors.New("the baseline does not replay idempotency keys")
			}
			return err
		}
		if _, err := res.Exec(); err != nil {
			return err
		}
		rows, err := res.Query()
		if err != nil {
			return err
		}
		var id int64
		var v lockedVariant
		if _, err := pgx.ForEachRow(rows, []any{&id, &v.productID, &v.live, &v.name, &v.options, &v.sku, &v.price, &v.currency, &v.stock, &v.categoryPath}, func() error {
			lv := v
			lv.options, lv.categoryPath = slices.Clone(v.options), slices.Clone(v.categoryPath)
			variants[id] = lv
			return nil
		}); err != nil {
			return err
		}
		if rows, err = res.Query(); err != nil {
			return err
		}
		var l stockLevel
		if _, err := pgx.ForEachRow(rows, []any{&l.variantID, &l.warehouseID, &l.quantity}, func() error {
			levels[l.variantID] = append(levels[l.variantID], l)
			return nil
		}); err != nil {
			return err
		}
		if rows, err = res.Query(); err != nil {
			return err
		}
		var d discount
		if _, err := pgx.ForEachRow(rows, []any{&d.id, &d.code, &d.title, &d.kind, &d.value, &d.productIDs, &d.categories,
			&d.minSubtotal, &d.startsAt, &d.endsAt, &d.usageLimit, &d.perCust, &d.usedCount, &d.createdAt}, func() error {
			dd := d
			dd.productIDs, dd.categories = slices.Clone(d.productIDs), slices.Clone(d.categories)
			ds = append(ds, dd)
			return nil
		}); err != nil {
			return err
		}
		if rows, err = res.Query(); err != nil {
			return err
		}
		var m shippingMethod
		if _, err := pgx.ForEachRow(rows, []any{&m.id, &m.name, &m.price, &m.rates, &m.freeOver, &m.countries, &m.min, &m.max}, func() error {
			mm := m
			mm.countries = slices.Clone(m.countries)
			if err := json.Unmarshal(m.rates, &mm.parsedRates); err != nil {
				return err
			}
			methods = append(methods, mm)
			return nil
		}); err != nil {
			return err
		}
		return nil
	}()
	if err != nil {
		return o, err
	}

	// The allocation rule, line by line in product then variant order.
	field := func(id int64) string { return "cart.lines." + strconv.FormatInt(id, 10) }
	for _, l := range lines {
		if _, ok := variants[l.variantID]; !ok {
			return o, &userError{field(l.variantID), "a product in the cart is no longer sold", "PRODUCT_UNAVAILABLE"}
		}
	}
	slices.SortFunc(lines, func(a, b cartLine) int {
		return cmp.Or(cmp.Compare(variants[a.variantID].productID, variants[b.variantID].productID), cmp.Compare(a.variantID, b.variantID))
	})
	takes := make([][]stockLevel, len(lines))
	for i, l := range lines {
		if !variants[l.variantID].live {
			return o, &userError{field(l.variantID), "a product in the cart is no longer sold", "PRODUCT_UNAVAILABLE"}
		}
		ls := levels[l.variantID]
		available := 0
		for _, lv := range ls {
			available += max(lv.quantity, 0)
		}
		if available < l.quantity {
			return o, &userError{field(l.variantID), fmt.Sprintf("only %d units of a product in the cart are in stock", available), "OUT_OF_STOCK"}
		}
		var taken []stockLevel
		for _, lv := range ls {
			if lv.quantity >= l.quantity {
				lv.quantity = l.quantity
				taken = []stockLevel{lv}
				break
			}
		}
		if taken == nil {
			left := l.quantity
			for _, lv := range ls {
				if lv.quantity <= 0 {
					continue
				}
				n := min(lv.quantity, left)
				taken = append(taken, stockLevel{lv.variantID, lv.warehouseID, n})
				if left -= n; left == 0 {
					break
				}
			}
		}
		takes[i] = taken
		for _, t := range taken {
			for k := range ls {
				if ls[k].warehouseID == t.warehouseID {
					ls[k].quantity -= t.quantity
				}
			}
		}
	}

	// The cost: domain.ComputeCost and domain.ChooseShippingMethod.
	subtotal := int64(0)
	left := make([]int64, len(lines))
	for i, l := range lines {
		left[i] = variants[l.variantID].price * int64(l.quantity)
		subtotal += left[i]
	}
	var order []discount
	for _, d := range ds {
		if d.code == "" {
			order = append(order, d)
		}
	}
	for _, c := range codes {
		for _, d := range ds {
			if d.code != "" && d.code == c {
				order = append(order, d)
				break
			}
		}
	}
	var discounts []applied
	discountTotal := int64(0)
	for _, d := range order {
		if now.Before(d.startsAt) || (d.endsAt != nil && !now.Before(*d.endsAt)) || (d.usageLimit > 0 && d.usedCount >= d.usageLimit) || subtotal < d.minSubtotal {
			continue
		}
		var eligible []int
		for i, l := range lines {
			v := variants[l.variantID]
			ok := len(d.productIDs) == 0 && len(d.categories) == 0 || slices.Contains(d.productIDs, v.productID)
			for _, c := range v.categoryPath {
				ok = ok || slices.Contains(d.categories, c)
			}
			if ok && left[i] > 0 {
				eligible = append(eligible, i)
			}
		}
		var took int64
		switch d.kind {
		case "PERCENTAGE":
			for _, i := range eligible {
				full := variants[lines[i].variantID].price * int64(lines[i].quantity)
				cut := min((full*d.value+5000)/10000, left[i])
				left[i] -= cut
				took += cut
			}
		case "FIXED_AMOUNT":
			want := d.value
			slices.SortStableFunc(eligible, func(a, b int) int { return cmp.Compare(left[b], left[a]) })
			for _, i := range eligible {
				cut := min(want, left[i])
				left[i] -= cut
				want -= cut
				took += cut
			}
		}
		if took > 0 {
			discountTotal += took
			discounts = append(discounts, applied{d.id, d.code, d.title, took})
		}
	}
	charge := func(m *shippingMethod, goods int64) int64 {
		if m.freeOver > 0 && goods >= m.freeOver {
			return 0
		}
		price, best := m.price, int64(-1)
		for _, r := range m.parsedRates {
			if goods >= r.MinSubtotal && r.MinSubtotal > best {
				price, best = r.Price, r.MinSubtotal
			}
		}
		return price
	}
	goods := subtotal - discountTotal
	var method *shippingMethod
	for i := range methods {
		m := &methods[i]
		if len(m.countries) > 0 && !slices.Contains(m.countries, addr.Country) {
			continue
		}
		if methodID != 0 {
			if m.id == methodID {
				method = m
				break
			}
			continue
		}
		if method == nil || charge(m, goods) < charge(method, goods) {
			method = m
		}
	}
	if method == nil && (methodID != 0 || len(methods) > 0) {
		return o, &userError{"input.shippingMethodId", "this shipping method does not ship to " + addr.Country, "SHIPPING_METHOD_UNAVAILABLE"}
	}
	shipping := int64(0)
	if method != nil {
		shipping = charge(method, goods)
	}
	o.subtotal, o.discount, o.shipping, o.total = subtotal, discountTotal, shipping, subtotal-discountTotal+shipping
	o.paymentMethod = payment

	// Round trip 2: every write but the outbox.
	b = &pgx.Batch{}
	for i, l := range lines {
		for _, t := range takes[i] {
			b.Queue(takeStockSQL, l.variantID, t.warehouseID, t.quantity)
		}
		b.Queue(unitsSoldSQL, l.variantID, l.quantity)
	}
	customer := "email:" + email
	sortedDiscounts := slices.Clone(discounts)
	slices.SortFunc(sortedDiscounts, func(a, b applied) int { return cmp.Compare(a.id, b.id) })
	perCustomer := map[int64]int{}
	for _, d := range ds {
		perCustomer[d.id] = d.perCust
	}
	for _, a := range sortedDiscounts {
		b.Queue(useDiscountSQL, a.id)
		if perCustomer[a.id] > 0 {
			b.Queue(useCustomerDiscountSQL, a.id, customer, perCustomer[a.id])
		}
	}
	for i, a := range discounts {
		b.Queue(orderDiscountSQL, o.id, i+1, a.id, a.code, a.title, a.amount, customer)
	}
	for i, l := range lines {
		v := variants[l.variantID]
		b.Queue(orderLineSQL, o.id, i+1, v.productID, l.variantID, v.name, variantTitle(v.options), v.sku, l.quantity, v.price)
		for _, t := range takes[i] {
			b.Queue(allocationSQL, o.id, i+1, t.warehouseID, t.quantity)
		}
	}
	var mID *int64
	var mName string
	var minDays, maxDays int
	if method != nil {
		mID, mName, minDays, maxDays = &method.id, method.name, method.min, method.max
	}
	b.Queue(orderTotalsSQL, o.id, o.subtotal, o.discount, o.shipping, o.total, mID, mName, minDays, maxDays)
	b.Queue(firstStatusSQL, o.id, now, o.total)
	res = conn.SendBatch(ctx, b)
	var evs []event
	err = func() error {
		defer res.Close()
		for i, l := range lines {
			v := variants[l.variantID]
			lefts := make([]int, len(takes[i]))
			for k := range takes[i] {
				if err := res.QueryRow().Scan(&lefts[k]); err != nil {
					return err
				}
			}
			var stock int
			if err := res.QueryRow().Scan(&stock); err != nil {
				return err
			}
			key := strconv.FormatInt(v.productID, 10)
			for k, t := range takes[i] {
				evs = append(evs, event{"inventory.reserved", key, map[string]any{"productId": v.productID, "variantId": l.variantID,
					"delta": -t.quantity, "stock": stock, "orderId": o.id, "warehouseId": t.warehouseID, "warehouseStock": lefts[k]}})
			}
			if stock == 0 {
				evs = append(evs, event{"product.out_of_stock", key, map[string]any{"productId": v.productID, "variantId": l.variantID,
					"slug": "", "name": v.name, "priceMinor": v.price, "currency": v.currency, "categoryId": 0, "stock": 0}})
			}
			o.eventLines = append(o.eventLines, map[string]any{"lineNumber": i + 1, "productId": v.productID, "variantId": l.variantID,
				"quantity": l.quantity, "unitPriceMinor": v.price})
		}
		for _, a := range sortedDiscounts {
			tag, err := res.Exec()
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return &userError{"input.discountCodes", "a discount has reached its usage limit", "DISCOUNT_LIMIT_REACHED"}
			}
			if perCustomer[a.id] > 0 {
				if tag, err = res.Exec(); err != nil {
					return err
				}
				if tag.RowsAffected() == 0 {
					return &userError{"input.discountCodes", "a discount has reached its usage limit", "DISCOUNT_LIMIT_REACHED"}
				}
			}
		}
		return nil
	}()
	if err != nil {
		return o, err
	}

	// Round trip 3: the outbox and COMMIT.
	createdData := map[string]any{"orderId": o.id, "number": o.number, "sequence": 1, "kind": "STATUS_CHANGED",
		"status": "PENDING", "totalMinor": o.total, "currency": defaultCurrency, "paymentMethod": payment, "lines": o.eventLines}
	if session != "" {
		createdData["sessionId"] = session
	}
	created := event{"order.created", strconv.FormatInt(o.id, 10), createdData}
	args, err := outboxArgs(append([]event{created}, evs...), o.createdAt)
	if err != nil {
		return o, err
	}
	b = &pgx.Batch{}
	b.Queue(outboxSQL, args...)
	b.Queue("commit")
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return o, err
	}
	committed = true
	return o, nil
}

func (s *Server) recordPayment(ctx context.Context, o placed, ref string) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	committed := false
	defer func() {
		if !committed {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			conn.Exec(rctx, "rollback")
			cancel()
		}
	}()
	b := &pgx.Batch{}
	b.Queue("begin")
	b.Queue(lockOrderSQL, o.id)
	res := conn.SendBatch(ctx, b)
	var status string
	var seq int
	_, err = res.Exec()
	if err == nil {
		err = res.QueryRow().Scan(&status, &seq)
	}
	if cerr := res.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if status != "PENDING" {
		return fmt.Errorf("order %d is %s, not PENDING", o.id, status)
	}
	now := time.Now()
	at := now.Truncate(time.Microsecond)
	paid := event{"order.paid", strconv.FormatInt(o.id, 10), map[string]any{"orderId": o.id, "number": o.number, "sequence": seq + 1,
		"kind": "STATUS_CHANGED", "status": "PAID", "previous": "PENDING", "totalMinor": o.total, "currency": defaultCurrency,
		"paymentMethod": o.paymentMethod, "lines": o.eventLines}}
	processed := event{"payment.processed", strconv.FormatInt(o.id, 10), map[string]any{"orderId": o.id, "amountMinor": o.total,
		"currency": defaultCurrency, "method": o.paymentMethod, "reference": ref}}
	args, err := outboxArgs([]event{paid, processed}, at)
	if err != nil {
		return err
	}
	b = &pgx.Batch{}
	b.Queue(paidSQL, o.id, "PAID", seq+1, nil, nil, int64(0), ref, now)
	b.Queue(statusSQL, o.id, seq+1, "PAID", status, "", nil, nil, int64(0), now, o.total)
	b.Queue(outboxSQL, args...)
	b.Queue("commit")
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	committed = true
	return nil
}

// outboxArgs is store/postgres's: the events as the outbox statement's arrays.
func outboxArgs(evs []event, at time.Time) ([]any, error) {
	ids := make([]string, len(evs))
	types := make([]string, len(evs))
	keys := make([]string, len(evs))
	ats := make([]time.Time, len(evs))
	payloads := make([]string, len(evs))
	for i, e := range evs {
		b, err := json.Marshal(e.data)
		if err != nil {
			return nil, err
		}
		ids[i], types[i], keys[i], ats[i], payloads[i] = uuid.NewString(), e.typ, e.key, at, string(b)
	}
	return []any{ids, types, keys, ats, payloads}, nil
}
