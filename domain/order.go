package domain

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// OrderStatus is where an order is in its life.
type OrderStatus string

// The order statuses. PENDING → PAID → SHIPPED → DELIVERED; CANCELLED from PENDING or PAID;
// RETURNED from DELIVERED.
const (
	StatusPending   OrderStatus = "PENDING"
	StatusPaid      OrderStatus = "PAID"
	StatusShipped   OrderStatus = "SHIPPED"
	StatusDelivered OrderStatus = "DELIVERED"
	StatusCancelled OrderStatus = "CANCELLED"
	StatusReturned  OrderStatus = "RETURNED"
)

// AllOrderStatuses lists the statuses in lifecycle order.
var AllOrderStatuses = []OrderStatus{StatusPending, StatusPaid, StatusShipped, StatusDelivered, StatusCancelled, StatusReturned}

var transitions = map[OrderStatus][]OrderStatus{
	StatusPending:   {StatusPaid, StatusCancelled},
	StatusPaid:      {StatusShipped, StatusCancelled},
	StatusShipped:   {StatusDelivered},
	StatusDelivered: {StatusReturned},
}

// Valid reports whether s is a known status.
func (s OrderStatus) Valid() bool {
	for _, x := range AllOrderStatuses {
		if s == x {
			return true
		}
	}
	return false
}

// Final reports whether no transition leaves s.
func (s OrderStatus) Final() bool { return len(transitions[s]) == 0 }

// CanBecome reports whether the state machine allows s → to.
func (s OrderStatus) CanBecome(to OrderStatus) bool {
	for _, t := range transitions[s] {
		if t == to {
			return true
		}
	}
	return false
}

// CheckTransition returns nil when s → to is allowed, else a business error naming the
// current status, coded ILLEGAL_TRANSITION.
func (s OrderStatus) CheckTransition(to OrderStatus) *BusinessError {
	if s.CanBecome(to) {
		return nil
	}
	return Business("ILLEGAL_TRANSITION", nil, "the order is %s and cannot become %s", s, to)
}

// ReturnsStock reports whether the transition to s puts the order's units back in stock.
func (s OrderStatus) ReturnsStock() bool { return s == StatusCancelled || s == StatusReturned }

// EventType returns the outbox event type of the transition into s.
func (s OrderStatus) EventType() string {
	switch s {
	case StatusPending:
		return EventOrderCreated
	case StatusPaid:
		return EventOrderPaid
	case StatusShipped:
		return EventOrderShipped
	case StatusDelivered:
		return EventOrderDelivered
	case StatusCancelled:
		return EventOrderCancelled
	case StatusReturned:
		return EventOrderReturned
	}
	return "order.unknown"
}

// PaymentMethod is how an order is paid.
type PaymentMethod string

// The payment methods.
const (
	PaymentCard   PaymentMethod = "CARD"
	PaymentUPI    PaymentMethod = "UPI"
	PaymentWallet PaymentMethod = "WALLET"
	PaymentCOD    PaymentMethod = "COD"
)

// Valid reports whether m is a known payment method.
func (m PaymentMethod) Valid() bool {
	return m == PaymentCard || m == PaymentUPI || m == PaymentWallet || m == PaymentCOD
}

// Address is a postal address.
type Address struct {
	Name       string `json:"name"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postalCode"`
	Country    string `json:"country"`
	Phone      string `json:"phone,omitempty"`
}

// Normalize trims every field and upper-cases the country code.
func (a Address) Normalize() Address {
	t := strings.TrimSpace
	return Address{Name: t(a.Name), Line1: t(a.Line1), Line2: t(a.Line2), City: t(a.City), Region: t(a.Region),
		PostalCode: t(a.PostalCode), Country: strings.ToUpper(t(a.Country)), Phone: t(a.Phone)}
}

// Validate returns the problems of a normalized address, blaming fields under path.
func (a Address) Validate(path ...string) []*Error {
	var errs []*Error
	field := func(name, v string, required bool, max int) {
		p := append(append([]string{}, path...), name)
		switch {
		case required && v == "":
			errs = append(errs, FieldError(p, "%s is required", name))
		case utf8.RuneCountInString(v) > max || !validText(v):
			errs = append(errs, FieldError(p, "%s must be at most %d characters of text", name, max))
		}
	}
	field("name", a.Name, true, 100)
	field("line1", a.Line1, true, 200)
	field("line2", a.Line2, false, 200)
	field("city", a.City, true, 100)
	field("region", a.Region, false, 100)
	field("postalCode", a.PostalCode, true, 20)
	field("phone", a.Phone, false, 30)
	if len(a.Country) != 2 || strings.Trim(a.Country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		errs = append(errs, FieldError(append(append([]string{}, path...), "country"), "country must be a two-letter ISO 3166 code"))
	}
	return errs
}

// Shipment is how a parcel travels.
type Shipment struct {
	Carrier        string `json:"carrier"`
	TrackingNumber string `json:"trackingNumber"`
}

// Order is a customer's (or guest's) purchase.
type Order struct {
	ID       int64
	Number   string
	UserID   int64
	Email    string
	Status   OrderStatus
	Lines    []OrderLine
	Subtotal Money
	// Discounts took DiscountAmount off the subtotal; Total is what was charged:
	// Subtotal - DiscountAmount + ShippingAmount.
	Discounts      []AppliedDiscount
	DiscountAmount Money
	ShippingAmount Money
	// ShippingMethod is the method's copy at checkout; nil for orders placed without one.
	ShippingMethod  *OrderShippingMethod
	Total           Money
	RefundAmount    int64
	PaymentMethod   PaymentMethod
	PaymentRef      string
	ShippingAddress Address
	Shipment        *Shipment
	CartID          string
	IdempotencyKey  string
	SessionID       string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// VisibleTo reports whether the caller may see the order: its customer or an admin.
// Guest orders are visible to admins only (a guest follows them by the link in email).
func (o Order) VisibleTo(id Identity, signedIn bool) bool {
	return signedIn && (id.IsAdmin() || (o.UserID != 0 && o.UserID == id.UserID))
}

// OrderLine is a variant of a product in an order with its price, name, title and SKU
// at the time of purchase.
type OrderLine struct {
	// LineNumber names the line within its order (1, 2, 3…); it never changes, and an
	// amendment that removes a line leaves a gap.
	LineNumber   int
	ProductID    int64
	VariantID    int64
	Name         string
	VariantTitle string
	SKU          string
	Quantity     int
	UnitPrice    Money
	Total        Money
	// ReturnedQuantity is how many of the units came back through approved returns.
	ReturnedQuantity int
}

// StatusEvent is one entry of an order's status history. Sequence numbers start at 1 and
// have no gaps. Kind says what the entry records: a status change, or (the status
// staying) an amendment or a step of a return.
type StatusEvent struct {
	OrderID      int64
	Sequence     int
	Kind         HistoryKind
	Status       OrderStatus
	Previous     OrderStatus
	At           time.Time
	Note         string
	Shipment     *Shipment
	RefundAmount int64
	// ChargeAmount is what an amendment that made the order dearer charged.
	ChargeAmount int64
	// TotalAmount is the order's total after the entry, in minor units; zero when not
	// known (entries read from events of older writers).
	TotalAmount int64
	// ReturnID names the return of a return step.
	ReturnID int64
}

// OrderEventData is the payload of the order.* events: what the storefront and the
// analytics need to know of a transition without asking back.
type OrderEventData struct {
	OrderID       int64         `json:"orderId"`
	Number        string        `json:"number"`
	UserID        int64         `json:"userId,omitempty"`
	Sequence      int           `json:"sequence"`
	Kind          HistoryKind   `json:"kind,omitempty"`
	Status        OrderStatus   `json:"status"`
	Previous      OrderStatus   `json:"previous,omitempty"`
	TotalMinor    int64         `json:"totalMinor"`
	Currency      string        `json:"currency"`
	PaymentMethod PaymentMethod `json:"paymentMethod"`
	Carrier       string        `json:"carrier,omitempty"`
	Tracking      string        `json:"trackingNumber,omitempty"`
	Reason        string        `json:"reason,omitempty"`
	RefundMinor   int64         `json:"refundMinor,omitempty"`
	// ChargeMinor is what an amendment charged more.
	ChargeMinor int64  `json:"chargeMinor,omitempty"`
	SessionID   string `json:"sessionId,omitempty"`
	// Lines are the order's lines after the change.
	Lines []OrderLineData `json:"lines,omitempty"`
	// LineChanges are the units an amendment added (positive quantities) or removed
	// (negative), line by line, for the analytics of products sold.
	LineChanges []OrderLineData `json:"lineChanges,omitempty"`
	// ReturnID names the return of a return step.
	ReturnID int64 `json:"returnId,omitempty"`
}

// OrderLineData is an order line in an event payload.
type OrderLineData struct {
	LineNumber     int   `json:"lineNumber,omitempty"`
	ProductID      int64 `json:"productId"`
	VariantID      int64 `json:"variantId,omitempty"`
	Quantity       int   `json:"quantity"`
	UnitPriceMinor int64 `json:"unitPriceMinor"`
}

// PaymentEventData is the payload of payment.processed and payment.failed.
type PaymentEventData struct {
	OrderID     int64         `json:"orderId"`
	AmountMinor int64         `json:"amountMinor"`
	Currency    string        `json:"currency"`
	Method      PaymentMethod `json:"method"`
	Reference   string        `json:"reference,omitempty"`
	Reason      string        `json:"reason,omitempty"`
}

// Transition asks for an order to move to a new status.
type Transition struct {
	To       OrderStatus
	Note     string
	Shipment *Shipment
	// RefundAmount is the refund of a return in minor units; nil refunds the whole total.
	RefundAmount *int64
	// Expect, when set, makes the transition apply only from this status (idempotent
	// consumers use it: a message about a state the order has left changes nothing).
	Expect OrderStatus
	// Actor is the caller, for the customer's own cancellation rule.
	Actor Identity
}

// Limits on order input.
const (
	MaxIdempotencyKeyLength = 128
	MaxNoteLength           = 500
)

// CheckoutRequest is what a checkout takes, validated.
type CheckoutRequest struct {
	Cart            Cart
	UserID          int64
	Email           string
	PaymentMethod   PaymentMethod
	ShippingAddress Address
	IdempotencyKey  string
	// SessionID is the storefront session that checked out, for the conversion funnel.
	SessionID string
	// DiscountCodes are the normalized codes to apply.
	DiscountCodes []string
	// ShippingMethodID is the chosen method; zero picks the cheapest serving the address.
	ShippingMethodID int64
}

// OrderShippingMethod is a shipping method as an order keeps it.
type OrderShippingMethod struct {
	ID      int64
	Name    string
	MinDays int
	MaxDays int
}

// IdempotencyScope returns whose key space the request's idempotency key lives in: the
// customer's, or for a guest, the cart's.
func (r CheckoutRequest) IdempotencyScope() string {
	if r.UserID != 0 {
		return fmt.Sprintf("user:%d", r.UserID)
	}
	return "cart:" + r.Cart.ID
}

// OrderFilter narrows the admin's order listing.
type OrderFilter struct {
	Status OrderStatus
	From   *time.Time
	To     *time.Time
	Email  string
	UserID int64
}

// OrderCursorSort names the order of order listings (newest first) in their cursors,
// whose values are creation times in the form SortCreatedAt uses.
const OrderCursorSort = "ORDERS_NEWEST"

// OrderPage is one page of orders, newest first.
type OrderPage struct {
	Orders          []Order
	Cursors         []Cursor
	HasNextPage     bool
	HasPreviousPage bool
}

// OrderStore keeps orders, their lines and their status history.
type OrderStore interface {
	// PlaceOrder reserves stock for every line of the request's cart from the warehouses
	// that ship to the address, by AllocateLine's rule, with one conditional update per
	// variant and warehouse, records which warehouse served each line (its allocations),
	// and creates the PENDING order with its lines (at current prices),
	// its first status event and the order.created and inventory.reserved events, all in
	// one transaction. An order with the same idempotency scope and key is returned as it
	// is (existing is true) when it was placed from the same cart, and is a CONFLICT error
	// otherwise. Out-of-stock lines are a business error coded OUT_OF_STOCK naming the
	// variant; nothing is written then. The order's cost is ComputeCost's over the
	// reserved lines, the live discounts and the request's codes; each discount applied
	// counts one use with a conditional update of its counter (and, under a per-customer
	// limit, of the customer's row), so a limit holds under concurrent checkouts: a use
	// past a limit is a business error coded DISCOUNT_LIMIT_REACHED and nothing is
	// written. A cancelled order gives its uses back.
	PlaceOrder(ctx context.Context, r CheckoutRequest) (o Order, existing bool, err error)
	// Transition moves the order through the state machine in one transaction: the
	// status, a new history entry with the next sequence number, stock returned for
	// cancellations and returns (to the warehouses the lines' allocations name, or to the
	// default warehouse for lines without), and the outbox events. An illegal transition is a
	// *BusinessError coded ILLEGAL_TRANSITION (STALE when t.Expect does not hold); an
	// unknown order NOT_FOUND; a refund over the total a *BusinessError on refundAmount.
	Transition(ctx context.Context, orderID int64, t Transition) (Order, StatusEvent, error)
	// RecordPayment marks a PENDING order PAID with the payment reference and writes
	// order.paid and payment.processed.
	RecordPayment(ctx context.Context, orderID int64, reference string) (Order, error)
	// FailPayment cancels a PENDING order whose payment failed, returning its stock, and
	// writes order.cancelled, inventory.released and payment.failed.
	FailPayment(ctx context.Context, orderID int64, reason string) (Order, error)
	// OrderByIdempotencyKey returns the order placed with the key in the scope, or a
	// NOT_FOUND error.
	OrderByIdempotencyKey(ctx context.Context, scope, key string) (Order, error)
	// OrdersByID returns the orders with the given ids; unknown ids are absent.
	OrdersByID(ctx context.Context, ids []int64) (map[int64]Order, error)
	// StatusHistory returns each order's history in sequence order.
	StatusHistory(ctx context.Context, orderIDs []int64) (map[int64][]StatusEvent, error)
	// StatusEventsAfter returns the order's history entries with a sequence above after.
	StatusEventsAfter(ctx context.Context, orderID int64, after int) ([]StatusEvent, error)
	// ListOrders returns a page of orders matching f, newest first.
	ListOrders(ctx context.Context, f OrderFilter, page PageArgs) (OrderPage, error)
	// CountOrders counts the orders matching f.
	CountOrders(ctx context.Context, f OrderFilter) (int, error)
}

// PaymentRequest asks the payment provider to take money.
type PaymentRequest struct {
	OrderID int64
	Amount  Money
	Method  PaymentMethod
	Email   string
	Payer   string
}

// PaymentResult is the provider's answer. Declined carries the reason.
type PaymentResult struct {
	Approved  bool
	Reference string
	Reason    string
}

// PaymentProvider takes payments and gives money back. Each method returns an error when
// the provider could not be asked or did not answer in time: the outcome is then unknown,
// and the caller treats it as a failure. A refusal is a result with Approved false and
// the Reason.
type PaymentProvider interface {
	// Charge takes r.Amount from the payer.
	Charge(ctx context.Context, r PaymentRequest) (PaymentResult, error)
	// Refund gives r.Amount of an order's payment back to the payer.
	Refund(ctx context.Context, r RefundRequest) (PaymentResult, error)
}

// BusinessError is a business failure that a mutation reports as a user error (out of
// stock, an illegal transition, a reused idempotency key) rather than as an error.
type BusinessError struct{ UserError }

// Error returns the user error's message.
func (e *BusinessError) Error() string { return e.Message }

// Business returns a *BusinessError with the code and a formatted message.
func Business(code string, field []string, format string, args ...any) *BusinessError {
	return &BusinessError{UserError{Field: field, Message: fmt.Sprintf(format, args...), Code: code}}
}

// ValidateReason returns the problems of a cancellation or return reason.
func ValidateReason(reason string) []*Error {
	r := strings.TrimSpace(reason)
	if r == "" || utf8.RuneCountInString(r) > MaxNoteLength || !validText(r) {
		return []*Error{FieldError([]string{"reason"}, "reason must be 1 to %d characters of text", MaxNoteLength)}
	}
	return nil
}

// Validate returns the problems of a normalized shipment.
func (s Shipment) Validate() []*Error {
	var errs []*Error
	if s.Carrier == "" || utf8.RuneCountInString(s.Carrier) > 100 || !validText(s.Carrier) {
		errs = append(errs, FieldError([]string{"carrier"}, "carrier must be 1 to 100 characters of text"))
	}
	if s.TrackingNumber == "" || utf8.RuneCountInString(s.TrackingNumber) > 100 || !validText(s.TrackingNumber) {
		errs = append(errs, FieldError([]string{"trackingNumber"}, "trackingNumber must be 1 to 100 characters of text"))
	}
	return errs
}
