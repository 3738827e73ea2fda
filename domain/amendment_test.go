package domain

import (
	"testing"
	"time"
)

// paidOrder is a PAID order of 3 × 20.00 (line 1) and 1 × 10.00 (line 2), with a code of
// 5.00 off from 50.00 and 4.99 shipping: 70.00 - 5.00 + 4.99 = 69.99.
func paidOrder() (Order, map[int64]Discount) {
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	eur := func(m int64) Money { return Money{Amount: m, Currency: "EUR"} }
	o := Order{ID: 7, Status: StatusPaid, CreatedAt: at, Total: eur(6999), Subtotal: eur(7000), DiscountAmount: eur(500), ShippingAmount: eur(499),
		Discounts: []AppliedDiscount{{DiscountID: 3, Code: "SAVE5", Amount: 500}},
		Lines: []OrderLine{
			{LineNumber: 1, ProductID: 10, VariantID: 100, Quantity: 3, UnitPrice: eur(2000)},
			{LineNumber: 2, ProductID: 20, VariantID: 200, Quantity: 1, UnitPrice: eur(1000)},
		}}
	// The code has ended and is used up since: the order keeps it all the same.
	ds := map[int64]Discount{3: {ID: 3, Code: "SAVE5", Kind: DiscountFixedAmount, Value: 500, MinSubtotal: 5000,
		StartsAt: at.Add(-time.Hour), EndsAt: at.Add(time.Hour), UsageLimit: 1, UsedCount: 1}}
	return o, ds
}

func TestPlanAmendment(t *testing.T) {
	tests := []struct {
		name           string
		status         OrderStatus
		edits          []OrderLineEdit
		code           string
		total          int64
		refund, charge int64
		discount       int64
		lines          int
	}{
		{name: "one unit fewer keeps the discount", edits: []OrderLineEdit{{1, 2}}, total: 5000 - 500 + 499, refund: 2000, discount: 500, lines: 2},
		{name: "below the minimum drops the discount, shipping stays", edits: []OrderLineEdit{{1, 1}}, total: 3000 + 499, refund: 6999 - 3499, lines: 2},
		{name: "a line removed", edits: []OrderLineEdit{{2, 0}}, total: 6000 - 500 + 499, refund: 1000, discount: 500, lines: 1},
		{name: "a line grown charges the difference", edits: []OrderLineEdit{{2, 3}}, total: 9000 - 500 + 499, charge: 2000, discount: 500, lines: 2},
		{name: "every line removed", edits: []OrderLineEdit{{1, 0}, {2, 0}}, code: "ORDER_EMPTY"},
		{name: "no change", edits: []OrderLineEdit{{1, 3}}, code: "NO_CHANGE"},
		{name: "an unknown line", edits: []OrderLineEdit{{5, 1}}, code: "LINE_NOT_FOUND"},
		{name: "shipped", status: StatusShipped, edits: []OrderLineEdit{{1, 1}}, code: "ILLEGAL_TRANSITION"},
		{name: "pending", status: StatusPending, edits: []OrderLineEdit{{1, 1}}, code: "ILLEGAL_TRANSITION"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, ds := paidOrder()
			if tc.status != "" {
				o.Status = tc.status
			}
			p, be := PlanAmendment(o, Amendment{Lines: tc.edits, Reason: "test"}, ds, nil)
			if tc.code != "" {
				if be == nil || be.Code != tc.code {
					t.Fatalf("error %v, want %s", be, tc.code)
				}
				return
			}
			if be != nil {
				t.Fatal(be)
			}
			if p.Cost.Total != tc.total || p.Refund != tc.refund || p.Charge != tc.charge || p.Cost.DiscountTotal != tc.discount ||
				p.Cost.Shipping != 499 || len(p.Lines) != tc.lines {
				t.Errorf("plan %+v, want total %d refund %d charge %d discount %d, %d lines", p, tc.total, tc.refund, tc.charge, tc.discount, tc.lines)
			}
		})
	}
}

func TestAmendmentValidate(t *testing.T) {
	for name, a := range map[string]Amendment{
		"no lines":           {Reason: "x"},
		"negative":           {Lines: []OrderLineEdit{{1, -1}}, Reason: "x"},
		"too many units":     {Lines: []OrderLineEdit{{1, MaxLineQuantity + 1}}, Reason: "x"},
		"line zero":          {Lines: []OrderLineEdit{{0, 1}}, Reason: "x"},
		"a line named twice": {Lines: []OrderLineEdit{{1, 1}, {1, 2}}, Reason: "x"},
		"no reason":          {Lines: []OrderLineEdit{{1, 1}}, Reason: "  "},
	} {
		if errs := a.Validate(); len(errs) == 0 {
			t.Errorf("%s: valid", name)
		}
	}
	if errs := (Amendment{Lines: []OrderLineEdit{{1, 0}}, Reason: "x"}).Validate(); len(errs) != 0 {
		t.Errorf("removing a line: %v", errs)
	}
}

func TestReturnRefund(t *testing.T) {
	o, ds := paidOrder()
	o.Status = StatusDelivered
	tests := []struct {
		name     string
		returned map[int]int // already returned, by line
		refunded int64
		lines    []ReturnLine
		amount   *int64
		refund   int64
		full     bool
		code     string
	}{
		{name: "one unit, the discount still holding", lines: []ReturnLine{{1, 1}}, refund: 2000},
		{name: "two units: the rest is below the minimum, the discount comes off the refund", lines: []ReturnLine{{1, 2}}, refund: 6500 - 3000},
		{name: "everything: the rest of the total, shipping included", lines: []ReturnLine{{1, 3}, {2, 1}}, refund: 6999, full: true},
		{name: "the last units after a partial return", returned: map[int]int{1: 1}, refunded: 2000, lines: []ReturnLine{{1, 2}, {2, 1}}, refund: 4999, full: true},
		{name: "an admin's amount", lines: []ReturnLine{{2, 1}}, amount: ptr(int64(123)), refund: 123},
		{name: "an amount over what is left", refunded: 6000, lines: []ReturnLine{{2, 1}}, amount: ptr(int64(1000)), code: "INVALID_REFUND"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := o
			o.Lines = append([]OrderLine(nil), o.Lines...)
			for i := range o.Lines {
				o.Lines[i].ReturnedQuantity = tc.returned[o.Lines[i].LineNumber]
			}
			o.RefundAmount = tc.refunded
			refund, full, be := ReturnRefund(o, tc.lines, tc.amount, ds, nil)
			if tc.code != "" {
				if be == nil || be.Code != tc.code {
					t.Fatalf("error %v, want %s", be, tc.code)
				}
				return
			}
			if be != nil || refund != tc.refund || full != tc.full {
				t.Errorf("refund %d full %v (%v), want %d %v", refund, full, be, tc.refund, tc.full)
			}
		})
	}
}

func TestCheckReturnable(t *testing.T) {
	o, _ := paidOrder()
	if be := CheckReturnable(o, []ReturnLine{{1, 1}}, nil, nil); be == nil || be.Code != "ILLEGAL_TRANSITION" {
		t.Errorf("a paid order: %v", be)
	}
	o.Status = StatusDelivered
	o.Lines[0].ReturnedQuantity = 1
	if be := CheckReturnable(o, []ReturnLine{{1, 1}}, map[int]int{1: 1}, nil); be != nil {
		t.Errorf("the last unit of line 1: %v", be)
	}
	if be := CheckReturnable(o, []ReturnLine{{1, 2}}, map[int]int{1: 1}, nil); be == nil || be.Code != "OVER_RETURN" {
		t.Errorf("more than left: %v", be)
	}
	if be := CheckReturnable(o, []ReturnLine{{3, 1}}, nil, nil); be == nil || be.Code != "LINE_NOT_FOUND" {
		t.Errorf("an unknown line: %v", be)
	}
}

// TestAmendmentAnalytics: an amendment's revenue row is the charge less the refund, and
// its line changes are products sold or reversed; it never counts an order.
func TestAmendmentAnalytics(t *testing.T) {
	payload := []byte(`{"orderId":7,"sequence":3,"kind":"AMENDED","status":"PAID","previous":"PAID","totalMinor":3499,"currency":"EUR",
		"paymentMethod":"CARD","refundMinor":3500,"lineChanges":[{"productId":10,"quantity":-2,"unitPriceMinor":2000},{"productId":20,"quantity":1,"unitPriceMinor":1000}]}`)
	rows, err := ToAnalytics("e1", EventOrderAmended, "7", time.Now(), payload)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].RevenueMinor != -3500 || rows[0].OrdersDelta != 0 {
		t.Fatalf("rows %+v", rows)
	}
	if r := rows[1]; r.Type != AnalyticsLineReversed || r.Quantity != -2 || r.RevenueMinor != -4000 || r.Seq != 1 {
		t.Errorf("reversed row %+v", r)
	}
	if r := rows[2]; r.Type != AnalyticsLineSold || r.Quantity != 1 || r.RevenueMinor != 1000 || r.Seq != 2 {
		t.Errorf("sold row %+v", r)
	}
	// A partial return: the refund comes off revenue, the status stays.
	rows, err = ToAnalytics("e2", EventOrderPartiallyReturned, "7", time.Now(),
		[]byte(`{"orderId":7,"sequence":6,"kind":"RETURN_APPROVED","status":"DELIVERED","totalMinor":6999,"refundMinor":2000}`))
	if err != nil || len(rows) != 1 || rows[0].RevenueMinor != -2000 || rows[0].OrdersDelta != 0 {
		t.Errorf("partial return rows %+v %v", rows, err)
	}
}

func ptr[T any](v T) *T { return &v }
