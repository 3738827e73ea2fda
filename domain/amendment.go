package domain

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// HistoryKind says what an entry of an order's history records: a status change, or a
// change made while the status stayed (an amendment, a step of a customer return).
type HistoryKind string

// The history kinds.
const (
	// KindStatusChanged is a transition of the state machine.
	KindStatusChanged HistoryKind = "STATUS_CHANGED"
	// KindAmended is an admin's edit of a paid order's lines; the status stays PAID.
	KindAmended HistoryKind = "AMENDED"
	// KindReturnRequested is a customer's return request; the status stays DELIVERED.
	KindReturnRequested HistoryKind = "RETURN_REQUESTED"
	// KindReturnApproved is an approved return: the refund, the units back in stock. The
	// order becomes RETURNED when nothing is left with the customer, else stays DELIVERED.
	KindReturnApproved HistoryKind = "RETURN_APPROVED"
	// KindReturnRejected is a rejected return request; the status stays DELIVERED.
	KindReturnRejected HistoryKind = "RETURN_REJECTED"
)

// AllHistoryKinds lists the history kinds.
var AllHistoryKinds = []HistoryKind{KindStatusChanged, KindAmended, KindReturnRequested, KindReturnApproved, KindReturnRejected}

// OrZero returns k, or KindStatusChanged for the zero kind (entries and events written
// before kinds existed are status changes).
func (k HistoryKind) OrZero() HistoryKind {
	if k == "" {
		return KindStatusChanged
	}
	return k
}

// EventType returns the outbox event type of a history entry of kind k into status s.
// Status changes keep their order.<status> types (so does an approved return that
// returns the last units: order.returned); the other kinds have their own.
func (k HistoryKind) EventType(s OrderStatus) string {
	switch k.OrZero() {
	case KindAmended:
		return EventOrderAmended
	case KindReturnRequested:
		return EventOrderReturnRequested
	case KindReturnApproved:
		if s == StatusReturned {
			return EventOrderReturned
		}
		return EventOrderPartiallyReturned
	case KindReturnRejected:
		return EventOrderReturnRejected
	}
	return s.EventType()
}

// MaxAmendmentLines caps the lines one amendment names.
const MaxAmendmentLines = 100

// OrderLineEdit sets the quantity of an order line, named by its line number; zero
// removes the line.
type OrderLineEdit struct {
	LineNumber int
	Quantity   int
}

// Amendment is an admin's edit of a paid order's lines, with the reason shown in the
// order's history.
type Amendment struct {
	Lines  []OrderLineEdit
	Reason string
}

// Validate returns the problems of the amendment's input: 1 to MaxAmendmentLines edits,
// each naming a line once, with a quantity of 0 to MaxLineQuantity, and a reason.
func (a Amendment) Validate() []*Error {
	var errs []*Error
	if len(a.Lines) == 0 || len(a.Lines) > MaxAmendmentLines {
		errs = append(errs, FieldError([]string{"lines"}, "name 1 to %d lines", MaxAmendmentLines))
	}
	seen := map[int]bool{}
	for i, l := range a.Lines {
		path := []string{"lines", strconv.Itoa(i)}
		if l.LineNumber < 1 {
			errs = append(errs, FieldError(append(path, "lineNumber"), "lineNumber must be positive"))
		} else if seen[l.LineNumber] {
			errs = append(errs, FieldError(append(path, "lineNumber"), "line %d is named twice", l.LineNumber))
		}
		seen[l.LineNumber] = true
		if e := ValidateQuantity(append(path, "quantity"), l.Quantity, true); e != nil {
			errs = append(errs, e)
		}
	}
	errs = append(errs, ValidateReason(a.Reason)...)
	return errs
}

// LineChange is how many units of an order line an amendment or a return moves: a
// positive Delta takes more units from stock, a negative one puts units back.
type LineChange struct {
	LineNumber int
	ProductID  int64
	VariantID  int64
	UnitPrice  int64
	Delta      int
}

// AmendmentPlan is what an amendment does to an order, computed before anything is
// written: the lines it keeps (quantities changed, removed lines gone), the stock moves,
// the new cost, and the money to refund or to charge (one of them is zero).
type AmendmentPlan struct {
	Lines   []OrderLine
	Changes []LineChange
	Cost    Cost
	Refund  int64
	Charge  int64
}

// PlanAmendment applies a validated amendment to a locked order. The rules:
//
//   - Only a PAID order can be amended (ILLEGAL_TRANSITION otherwise): once it has
//     shipped, the parcel is what it is; a PENDING order is still being paid.
//   - A line number the order does not have is LINE_NOT_FOUND; an amendment that
//     changes nothing is NO_CHANGE; one that removes every line is ORDER_EMPTY (the
//     admin cancels the order instead).
//   - Lines keep the unit price they were bought at.
//   - The new cost is ComputeCost's over the new lines with the discounts the order got
//     at checkout, and only those, applied by their rules as at checkout whatever their
//     dates and usage limits now (the order already holds its use): a discount whose
//     minimum subtotal the new lines no longer reach no longer applies, and gives its
//     use back (as a cancellation does); a percentage follows the lines.
//   - Shipping stays what was charged at checkout: the parcel still ships by the same
//     method, and an edit never adds a shipping charge nor refunds it.
//   - Refund = old total - new total when the total falls; when it rises (a line grew),
//     the difference is charged.
//
// discounts are the order's discounts by id (as the store has them); paths are the
// category paths of the order's products.
func PlanAmendment(o Order, a Amendment, discounts map[int64]Discount, paths map[int64][]int64) (AmendmentPlan, *BusinessError) {
	var p AmendmentPlan
	if o.Status != StatusPaid {
		return p, Business("ILLEGAL_TRANSITION", nil, "the order is %s: only a paid order that has not shipped can be edited", o.Status)
	}
	want := map[int]int{}
	for i, e := range a.Lines {
		found := false
		for _, l := range o.Lines {
			if l.LineNumber == e.LineNumber {
				found = true
			}
		}
		if !found {
			return p, Business("LINE_NOT_FOUND", []string{"lines", strconv.Itoa(i), "lineNumber"}, "the order has no line %d", e.LineNumber)
		}
		want[e.LineNumber] = e.Quantity
	}
	for _, l := range o.Lines {
		q, ok := want[l.LineNumber]
		if !ok {
			q = l.Quantity
		}
		if q != l.Quantity {
			p.Changes = append(p.Changes, LineChange{LineNumber: l.LineNumber, ProductID: l.ProductID, VariantID: l.VariantID,
				UnitPrice: l.UnitPrice.Amount, Delta: q - l.Quantity})
		}
		if q > 0 {
			nl := l
			nl.Quantity = q
			nl.Total = Money{Amount: l.UnitPrice.Amount * int64(q), Currency: l.UnitPrice.Currency}
			p.Lines = append(p.Lines, nl)
		}
	}
	if len(p.Changes) == 0 {
		return p, Business("NO_CHANGE", []string{"lines"}, "the quantities are those of the order already")
	}
	if len(p.Lines) == 0 {
		return p, Business("ORDER_EMPTY", []string{"lines"}, "an order cannot lose all its lines: cancel it instead")
	}
	p.Cost = OrderGoodsCost(o, p.Lines, discounts, paths)
	p.Cost.Shipping = o.ShippingAmount.Amount
	p.Cost.Total += p.Cost.Shipping
	switch d := p.Cost.Total - o.Total.Amount; {
	case d < 0:
		p.Refund = -d
	case d > 0:
		p.Charge = d
	}
	return p, nil
}

// OrderGoodsCost is ComputeCost over lines of the order o with the discounts the order
// got at checkout, applied by their rules as at checkout (dates and usage limits set
// aside), in the order they were applied; shipping is left out (zero). Amendments and
// returns price what they change with it, so that discounts stay consistent with
// checkout's.
func OrderGoodsCost(o Order, lines []OrderLine, discounts map[int64]Discount, paths map[int64][]int64) Cost {
	in := CostInput{Now: o.CreatedAt}
	for _, a := range o.Discounts {
		d, ok := discounts[a.DiscountID]
		if !ok {
			continue
		}
		d.StartsAt, d.EndsAt, d.UsageLimit = time.Time{}, time.Time{}, 0
		in.Discounts = append(in.Discounts, d)
		if d.Code != "" {
			in.Codes = append(in.Codes, d.Code)
		}
	}
	for _, l := range lines {
		if l.Quantity <= 0 {
			continue
		}
		in.Lines = append(in.Lines, CostLine{VariantID: l.VariantID, ProductID: l.ProductID, CategoryPath: paths[l.ProductID],
			UnitPrice: l.UnitPrice.Amount, Quantity: l.Quantity})
	}
	c := ComputeCost(in)
	c.Currency = o.Total.Currency
	return c
}

// Settlement is the money an order change moves through the payment provider: Refund
// back to the customer, or Charge more (never both).
type Settlement struct {
	Order  Order
	Refund int64
	Charge int64
	Reason string
}

// Settler moves the money of an order change. The stores call it inside the change's
// transaction, after every check and before the commit, so that a refused or failed
// settlement changes nothing: it returns a *BusinessError (PAYMENT_FAILED) when the
// provider refused or did not answer.
type Settler func(ctx context.Context, s Settlement) error

// SettleWith returns a Settler that refunds or charges through p, waiting at most timeout
// (zero: 10 seconds) for an answer.
func SettleWith(p PaymentProvider, timeout time.Duration) Settler {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return func(ctx context.Context, s Settlement) error {
		if s.Refund == 0 && s.Charge == 0 {
			return nil
		}
		if p == nil {
			return Business("PAYMENT_FAILED", nil, "no payment provider is configured")
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		o := s.Order
		var res PaymentResult
		var err error
		what := "the refund"
		if s.Refund > 0 {
			res, err = p.Refund(ctx, RefundRequest{OrderID: o.ID, Amount: Money{Amount: s.Refund, Currency: o.Total.Currency},
				Method: o.PaymentMethod, PaymentRef: o.PaymentRef, Payer: o.ShippingAddress.Name, Reason: s.Reason})
		} else {
			what = "the charge"
			res, err = p.Charge(ctx, PaymentRequest{OrderID: o.ID, Amount: Money{Amount: s.Charge, Currency: o.Total.Currency},
				Method: o.PaymentMethod, Email: o.Email, Payer: o.ShippingAddress.Name})
		}
		if err != nil {
			return Business("PAYMENT_FAILED", nil, "%s of %s could not be made: the payment provider did not answer; nothing was changed", what, FormatMinor(s.Refund+s.Charge))
		}
		if !res.Approved {
			return Business("PAYMENT_FAILED", nil, "%s of %s was declined (%s); nothing was changed", what, FormatMinor(s.Refund+s.Charge), res.Reason)
		}
		return nil
	}
}

// RefundRequest asks the payment provider to give money back for an order.
type RefundRequest struct {
	OrderID int64
	Amount  Money
	Method  PaymentMethod
	// PaymentRef is the reference of the order's payment.
	PaymentRef string
	Payer      string
	Reason     string
}

// AmendmentStore amends paid orders.
type AmendmentStore interface {
	// AmendOrder applies an amendment to a PAID order in one transaction, the order's row
	// locked: the plan of PlanAmendment (its business errors as they are), the units taken
	// from stock with a conditional update each (OUT_OF_STOCK when a line cannot grow) or
	// put back, the new lines and totals, a history entry of kind AMENDED with the next
	// sequence (the status stays PAID), and the order.amended and inventory events. settle
	// is called last, before the commit; its error rolls everything back. An unknown order
	// is NOT_FOUND.
	AmendOrder(ctx context.Context, orderID int64, a Amendment, settle Settler) (Order, StatusEvent, error)
}

// Note returns the history note of an amendment: its reason, with what it changed.
func (p AmendmentPlan) Note(reason string) string {
	var parts []string
	for _, c := range p.Changes {
		parts = append(parts, fmt.Sprintf("line %d %+d", c.LineNumber, c.Delta))
	}
	return NormalizeReason(reason) + " (" + strings.Join(parts, ", ") + ")"
}
