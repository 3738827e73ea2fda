package domain

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// ReturnStatus is where a customer return is: REQUESTED, then APPROVED or REJECTED.
type ReturnStatus string

// The return statuses.
const (
	ReturnRequested ReturnStatus = "REQUESTED"
	ReturnApproved  ReturnStatus = "APPROVED"
	ReturnRejected  ReturnStatus = "REJECTED"
)

// Return is a customer's request to send back units of a delivered order, and the shop's
// decision on it.
type Return struct {
	ID      int64
	OrderID int64
	Status  ReturnStatus
	Lines   []ReturnLine
	Reason  string
	// RejectionReason is why an admin rejected it.
	RejectionReason string
	// RefundAmount is what the approval refunded, in minor units of Currency.
	RefundAmount int64
	Currency     string
	// RequestedBy is the account that asked: the order's customer, or an admin.
	RequestedBy int64
	CreatedAt   time.Time
	DecidedAt   *time.Time
}

// ReturnLine is a number of units of an order line, named by its line number.
type ReturnLine struct {
	LineNumber int
	Quantity   int
}

// MaxReturnLines caps the lines of one return request.
const MaxReturnLines = 100

// ReturnRequest asks to return units of an order.
type ReturnRequest struct {
	OrderID int64
	Lines   []ReturnLine
	Reason  string
	// By is the account asking.
	By int64
}

// Validate returns the problems of the request's input, blaming fields under input.
func (r ReturnRequest) Validate() []*Error {
	var errs []*Error
	if len(r.Lines) == 0 || len(r.Lines) > MaxReturnLines {
		errs = append(errs, FieldError([]string{"input", "lines"}, "name 1 to %d lines", MaxReturnLines))
	}
	seen := map[int]bool{}
	for i, l := range r.Lines {
		path := []string{"input", "lines", strconv.Itoa(i)}
		if l.LineNumber < 1 {
			errs = append(errs, FieldError(append(path, "lineNumber"), "lineNumber must be positive"))
		} else if seen[l.LineNumber] {
			errs = append(errs, FieldError(append(path, "lineNumber"), "line %d is named twice", l.LineNumber))
		}
		seen[l.LineNumber] = true
		if e := ValidateQuantity(append(path, "quantity"), l.Quantity, false); e != nil {
			errs = append(errs, e)
		}
	}
	for _, e := range ValidateReason(r.Reason) {
		e.Field = []string{"input", "reason"}
		errs = append(errs, e)
	}
	return errs
}

// CheckReturnable reports whether the lines can be returned from the order: it must be
// DELIVERED (ILLEGAL_TRANSITION otherwise), every line must be the order's
// (LINE_NOT_FOUND), and no line may come back more than was bought, less what approved
// returns took back and what other open requests (pending, by line number) ask for
// (OVER_RETURN). field is the path of the lines in the caller's input.
func CheckReturnable(o Order, lines []ReturnLine, pending map[int]int, field []string) *BusinessError {
	if o.Status != StatusDelivered {
		return Business("ILLEGAL_TRANSITION", nil, "the order is %s: only a delivered order can be returned", o.Status)
	}
	for i, rl := range lines {
		path := append(append([]string{}, field...), strconv.Itoa(i))
		var line *OrderLine
		for j := range o.Lines {
			if o.Lines[j].LineNumber == rl.LineNumber {
				line = &o.Lines[j]
			}
		}
		if line == nil {
			return Business("LINE_NOT_FOUND", append(path, "lineNumber"), "the order has no line %d", rl.LineNumber)
		}
		left := line.Quantity - line.ReturnedQuantity - pending[rl.LineNumber]
		if rl.Quantity > left {
			return Business("OVER_RETURN", append(path, "quantity"), "only %d of line %d can still be returned", max(left, 0), rl.LineNumber)
		}
	}
	return nil
}

// ReturnRefund returns the refund of approving the return's lines from the order, and
// whether the approval takes back the last units the customer kept (the order then
// becomes RETURNED):
//
//   - By default, the value of the goods returned after discounts: what the units kept
//     cost before the return, less what the units kept after it cost, both by
//     OrderGoodsCost (so a discount whose minimum subtotal the units kept no longer reach
//     is taken back from the refund, as it would not have applied to them). Shipping is
//     not refunded, except that a return of the last units refunds everything not yet
//     refunded, shipping included, as orderReturn does.
//   - An admin's amount replaces the default; with it, the refund must be between zero and
//     what is left to refund, the total less earlier refunds (INVALID_REFUND on
//     refundAmount otherwise).
func ReturnRefund(o Order, lines []ReturnLine, amount *int64, discounts map[int64]Discount, paths map[int64][]int64) (refund int64, full bool, err *BusinessError) {
	back := map[int]int{}
	for _, l := range lines {
		back[l.LineNumber] += l.Quantity
	}
	var before, after []OrderLine
	full = true
	for _, l := range o.Lines {
		kept := l
		kept.Quantity = l.Quantity - l.ReturnedQuantity
		before = append(before, kept)
		left := kept
		left.Quantity -= back[l.LineNumber]
		if left.Quantity > 0 {
			full = false
		}
		after = append(after, left)
	}
	refundable := o.Total.Amount - o.RefundAmount
	if amount != nil {
		if *amount < 0 || *amount > refundable {
			return 0, full, Business("INVALID_REFUND", []string{"refundAmount"}, "the refund must be between 0 and the %s left to refund", FormatMinor(refundable))
		}
		return *amount, full, nil
	}
	if full {
		return refundable, true, nil
	}
	b, a := OrderGoodsCost(o, before, discounts, paths), OrderGoodsCost(o, after, discounts, paths)
	refund = (b.Subtotal - b.DiscountTotal) - (a.Subtotal - a.DiscountTotal)
	return min(max(refund, 0), refundable), false, nil
}

// ReturnEventData is the payload of the return.* events.
type ReturnEventData struct {
	ReturnID    int64            `json:"returnId"`
	OrderID     int64            `json:"orderId"`
	Number      string           `json:"number"`
	UserID      int64            `json:"userId,omitempty"`
	Status      ReturnStatus     `json:"status"`
	Reason      string           `json:"reason,omitempty"`
	RefundMinor int64            `json:"refundMinor,omitempty"`
	Currency    string           `json:"currency"`
	Lines       []ReturnLineData `json:"lines"`
}

// ReturnLineData is a returned line in an event payload.
type ReturnLineData struct {
	LineNumber int   `json:"lineNumber"`
	ProductID  int64 `json:"productId"`
	VariantID  int64 `json:"variantId"`
	Quantity   int   `json:"quantity"`
}

// NormalizeReason trims a reason as it is stored.
func NormalizeReason(reason string) string { return strings.TrimSpace(reason) }

// ReturnStore keeps customer returns. Every step runs in one transaction with the order's
// row locked, writes a history entry with the order's next sequence number (kinds
// RETURN_REQUESTED, RETURN_APPROVED, RETURN_REJECTED) and the order.* event of that
// entry plus a return.* event to the outbox. Unknown orders and returns are NOT_FOUND.
type ReturnStore interface {
	// RequestReturn records a REQUESTED return of a DELIVERED order, after
	// CheckReturnable (its business errors as they are) counting the other open requests.
	RequestReturn(ctx context.Context, r ReturnRequest) (Return, Order, error)
	// ApproveReturn approves a REQUESTED return (RETURN_DECIDED otherwise): the lines must
	// still be returnable, the refund is ReturnRefund's (amount, when set, replacing the
	// default), the units go back to stock, and the order becomes RETURNED when nothing
	// is left with the customer. settle is called last, before the commit, for the
	// refund; its error rolls everything back.
	ApproveReturn(ctx context.Context, returnID int64, amount *int64, settle Settler) (Return, Order, error)
	// RejectReturn rejects a REQUESTED return (RETURN_DECIDED otherwise) with a reason.
	RejectReturn(ctx context.Context, returnID int64, reason string) (Return, Order, error)
	// ReturnsByID returns the returns with the ids; unknown ids are absent.
	ReturnsByID(ctx context.Context, ids []int64) (map[int64]Return, error)
	// ReturnsByOrder returns each order's returns, oldest first (an empty list for an
	// order without).
	ReturnsByOrder(ctx context.Context, orderIDs []int64) (map[int64][]Return, error)
}
