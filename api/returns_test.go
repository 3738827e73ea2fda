package api_test

import (
	"testing"

	"github.com/shopgraph/shopgraph/domain"
)

type returnView struct {
	ID, Status, Reason string
	RejectionReason    *string
	RefundAmount       *struct{ Amount string }
	Lines              []struct {
		LineNumber, Quantity int
		OrderLine            struct{ Quantity int }
	}
	DecidedAt *string
}

const returnFields = `id status reason rejectionReason refundAmount { amount } lines { lineNumber quantity orderLine { quantity } } decidedAt`

type returnPayload struct {
	Return     *returnView
	Order      *editedOrder
	UserErrors []userError
}

const (
	requestReturn = `mutation($in: ReturnRequestInput!) { returnRequest(input: $in) { return { ` + returnFields + ` } order { ` + editedOrderFields + ` } userErrors { field message code } } }`
	approveReturn = `mutation($id: ID!, $a: Decimal) { returnApprove(returnId: $id, refundAmount: $a) { return { ` + returnFields + ` } order { ` + editedOrderFields + ` } userErrors { field message code } } }`
	rejectReturn  = `mutation($id: ID!, $r: String!) { returnReject(returnId: $id, reason: $r) { return { ` + returnFields + ` } order { ` + editedOrderFields + ` } userErrors { field message code } } }`
)

func returnLine(n, q int) map[string]any { return map[string]any{"lineNumber": n, "quantity": q} }

// askReturn requests a return as who; top-level errors fail.
func askReturn(t *testing.T, who *harness, orderID, reason string, lines ...map[string]any) returnPayload {
	t.Helper()
	var out struct{ ReturnRequest returnPayload }
	who.data(requestReturn, map[string]any{"in": map[string]any{"orderId": orderID, "lines": lines, "reason": reason}}, &out)
	return out.ReturnRequest
}

func approve(t *testing.T, who *harness, returnID string, amount *string) returnPayload {
	t.Helper()
	vars := map[string]any{"id": returnID}
	if amount != nil {
		vars["a"] = *amount
	}
	var out struct{ ReturnApprove returnPayload }
	who.data(approveReturn, vars, &out)
	return out.ReturnApprove
}

func reject(t *testing.T, who *harness, returnID, reason string) returnPayload {
	t.Helper()
	var out struct{ ReturnReject returnPayload }
	who.data(rejectReturn, map[string]any{"id": returnID, "r": reason}, &out)
	return out.ReturnReject
}

// deliveredOrder checks out the lines as the customer (with extra checkout input) and has
// the admin ship and deliver the order; it returns the order's global id.
func deliveredOrder(t *testing.T, admin, customer *harness, key string, extra map[string]any, lines ...map[string]any) string {
	t.Helper()
	c := customer.cartCreate(lines...)
	o := customer.checkout(c.Cart.ID, key, extra)
	if o.Order == nil || o.Order.Status != "PAID" {
		t.Fatalf("checkout: %+v", o)
	}
	admin.ship(t, o.Order.ID)
	admin.deliver(t, o.Order.ID)
	return o.Order.ID
}

// TestCustomerReturns: the customer asks to return part of a delivered order; another
// customer cannot; asking for more than is left is refused; the admin rejects one request
// and approves the next (refund of the goods, stock back, the order stays DELIVERED),
// then a return of everything left makes the order RETURNED and refunds the rest. Every
// step is in the history and the outbox.
func TestCustomerReturns(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, _ := h.signedIn(domain.RoleAdmin)
	customer, _ := h.signedIn(domain.RoleCustomer)
	other, _ := h.signedIn(domain.RoleCustomer)
	p := h.stocked(2, 10)
	setStock(t, h, 10, p...)
	id := deliveredOrder(t, admin, customer, "ret-1", nil, line(p[0], 3), line(p[1], 1))
	order := readOrder(t, customer, id)
	first := 1
	if order.Lines[0].Product.ID != p[0] {
		first = 2
	}
	second := 3 - first
	price0 := priceOf(t, h, p[0])
	total := minor(t, order.Total.Amount)

	// Refusals: someone else's order, bad input, more than was bought, admin-only steps.
	if r := askReturn(t, other, id, "mine now", returnLine(first, 1)); r.Return != nil || r.UserErrors[0].Code != "NOT_FOUND" {
		t.Errorf("another customer asked: %+v", r)
	}
	if r := h.post(requestReturn, map[string]any{"in": map[string]any{"orderId": id, "lines": []any{returnLine(first, 1)}, "reason": "x"}}); r.code() != "UNAUTHENTICATED" {
		t.Errorf("a guest asked: %+v", r.Errors)
	}
	for name, lines := range map[string][]map[string]any{
		"zero units":   {returnLine(first, 0)},
		"no lines":     {},
		"a line twice": {returnLine(first, 1), returnLine(first, 1)},
	} {
		if r := askReturn(t, customer, id, "broken", lines...); r.Return != nil || r.UserErrors[0].Code != "BAD_USER_INPUT" {
			t.Errorf("%s: %+v", name, r)
		}
	}
	if r := askReturn(t, customer, id, "broken", returnLine(first, 4)); r.Return != nil || r.UserErrors[0].Code != "OVER_RETURN" {
		t.Errorf("returning more than bought: %+v", r)
	}
	if r := askReturn(t, customer, id, "broken", returnLine(7, 1)); r.Return != nil || r.UserErrors[0].Code != "LINE_NOT_FOUND" {
		t.Errorf("an unknown line: %+v", r)
	}

	// A request, then one for more than the open request leaves, then a rejection.
	r := askReturn(t, customer, id, "too big", returnLine(first, 2))
	if r.Return == nil || r.Return.Status != "REQUESTED" || r.Order.Status != "DELIVERED" || r.Return.Lines[0].OrderLine.Quantity != 3 {
		t.Fatalf("request: %+v", r)
	}
	rejected := r.Return.ID
	if r := askReturn(t, customer, id, "more", returnLine(first, 2)); r.UserErrors[0].Code != "OVER_RETURN" {
		t.Errorf("asking past an open request: %+v", r)
	}
	if r := customer.post(rejectReturn, map[string]any{"id": rejected, "r": "no"}); r.code() != "FORBIDDEN" {
		t.Errorf("a customer rejected: %+v", r.Errors)
	}
	if r := customer.post(approveReturn, map[string]any{"id": rejected}); r.code() != "FORBIDDEN" {
		t.Errorf("a customer approved: %+v", r.Errors)
	}
	r = reject(t, admin, rejected, "worn")
	if r.Return == nil || r.Return.Status != "REJECTED" || r.Return.RejectionReason == nil || *r.Return.RejectionReason != "worn" || h.stock(p[0]) != 7 {
		t.Fatalf("reject: %+v", r)
	}
	if r := approve(t, admin, rejected, nil); r.UserErrors[0].Code != "RETURN_DECIDED" {
		t.Errorf("approving a rejected return: %+v", r)
	}

	// A request approved: the goods' value refunded, stock back, still DELIVERED.
	r = askReturn(t, customer, id, "does not fit", returnLine(first, 2))
	if r.Return == nil {
		t.Fatalf("second request: %+v", r)
	}
	too := "100000.00"
	if a := approve(t, admin, r.Return.ID, &too); a.UserErrors[0].Code != "INVALID_REFUND" || h.stock(p[0]) != 7 {
		t.Errorf("refund over the total: %+v", a)
	}
	a := approve(t, admin, r.Return.ID, nil)
	if a.Return == nil || a.Return.Status != "APPROVED" || a.Return.RefundAmount == nil || minor(t, a.Return.RefundAmount.Amount) != 2*price0 || a.Return.DecidedAt == nil {
		t.Fatalf("approve: %+v", a)
	}
	if a.Order.Status != "DELIVERED" || h.stock(p[0]) != 9 {
		t.Errorf("after a partial return: status %s, stock %d", a.Order.Status, h.stock(p[0]))
	}
	for _, l := range a.Order.Lines {
		if l.LineNumber == first && l.ReturnedQuantity != 2 {
			t.Errorf("returned quantity: %+v", l)
		}
	}

	// Everything left comes back: RETURNED, the rest refunded.
	r = askReturn(t, customer, id, "all of it", returnLine(first, 1), returnLine(second, 1))
	a = approve(t, admin, r.Return.ID, nil)
	if a.Order == nil || a.Order.Status != "RETURNED" || minor(t, a.Return.RefundAmount.Amount) != total-2*price0 || h.stock(p[0]) != 10 || h.stock(p[1]) != 10 {
		t.Fatalf("the last units: %+v, stock %d %d", a, h.stock(p[0]), h.stock(p[1]))
	}
	if r := askReturn(t, customer, id, "again", returnLine(first, 1)); r.UserErrors[0].Code != "ILLEGAL_TRANSITION" {
		t.Errorf("a return of a returned order: %+v", r)
	}

	final := readOrder(t, customer, id)
	var kinds []string
	for i, e := range final.StatusHistory {
		if e.Sequence != i+1 {
			t.Errorf("history %d: sequence %d", i, e.Sequence)
		}
		kinds = append(kinds, e.Kind+":"+e.Status)
	}
	want := []string{"STATUS_CHANGED:PENDING", "STATUS_CHANGED:PAID", "STATUS_CHANGED:SHIPPED", "STATUS_CHANGED:DELIVERED",
		"RETURN_REQUESTED:DELIVERED", "RETURN_REJECTED:DELIVERED", "RETURN_REQUESTED:DELIVERED", "RETURN_APPROVED:DELIVERED",
		"RETURN_REQUESTED:DELIVERED", "RETURN_APPROVED:RETURNED"}
	if len(kinds) != len(want) {
		t.Fatalf("history %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Errorf("history %d: %s, want %s", i, kinds[i], want[i])
		}
	}
	if e := final.StatusHistory[7]; e.Return == nil || e.RefundAmount == nil || minor(t, e.RefundAmount.Amount) != 2*price0 {
		t.Errorf("approval entry: %+v", e)
	}
	if len(final.Returns) != 3 || final.Returns[0].Status != "REJECTED" || final.Returns[1].Status != "APPROVED" {
		t.Errorf("Order.returns: %+v", final.Returns)
	}
	key := orderKeyOf(t, id)
	for typ, n := range map[string]int{"order.return_requested": 3, "order.return_rejected": 1, "order.partially_returned": 1, "order.returned": 1} {
		if got := len(outboxEvents(t, h, typ, key)); got != n {
			t.Errorf("%d %s events in the outbox, want %d", got, typ, n)
		}
	}
	for typ, ret := range map[string]string{"return.requested": rejected, "return.rejected": rejected} {
		if evs := outboxEvents(t, h, typ, dbID(t, ret)); len(evs) != 1 || evs[0]["orderId"] != mustFloat(t, key) {
			t.Errorf("%s in the outbox: %v", typ, evs)
		}
	}

	// The return is a node its customer can read, and nobody else.
	var node struct{ Node *struct{ ID string } }
	customer.data(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": rejected}, &node)
	if node.Node == nil {
		t.Error("the customer cannot read the return")
	}
	other.data(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": rejected}, &node)
	if node.Node != nil {
		t.Error("another customer read the return")
	}
}

// TestReturnRefundFailureChangesNothing: a refused refund leaves the return REQUESTED,
// the stock and the order as they were.
func TestReturnRefundFailureChangesNothing(t *testing.T) {
	t.Parallel()
	h, admin, customer, p := shopWithOneProduct(t, 10)
	addr := norefundAddress()
	id := deliveredOrder(t, admin, customer, "ret-norefund", map[string]any{"shippingAddress": addr}, line(p, 2))
	r := askReturn(t, customer, id, "broken", returnLine(1, 1))
	if r.Return == nil {
		t.Fatalf("request: %+v", r)
	}
	a := approve(t, admin, r.Return.ID, nil)
	if a.Return != nil || len(a.UserErrors) != 1 || a.UserErrors[0].Code != "PAYMENT_FAILED" {
		t.Fatalf("approve with a refused refund: %+v", a)
	}
	got := readOrder(t, customer, id)
	if got.Status != "DELIVERED" || got.Lines[0].ReturnedQuantity != 0 || len(got.StatusHistory) != 5 || got.Returns[0].Status != "REQUESTED" || h.stock(p) != 8 {
		t.Errorf("a refused refund changed the order: %+v, stock %d", got, h.stock(p))
	}
	// Rejecting it still works, and a zero refund needs no provider.
	zero := "0"
	if a := approve(t, admin, r.Return.ID, &zero); a.Return == nil || a.Return.Status != "APPROVED" || h.stock(p) != 9 {
		t.Errorf("approve with no refund: %+v", a)
	}
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	var f float64
	for _, c := range s {
		f = f*10 + float64(c-'0')
	}
	return f
}
