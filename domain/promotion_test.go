package domain

import (
	"testing"
	"time"
)

func TestComputeCost(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	lines := []CostLine{
		{VariantID: 1, ProductID: 10, CategoryPath: []int64{1, 2}, UnitPrice: 1999, Quantity: 3}, // 59.97
		{VariantID: 2, ProductID: 20, CategoryPath: []int64{1, 3}, UnitPrice: 505, Quantity: 1},  // 5.05
	}
	pct := func(id int64, code string, bp int64) Discount {
		return Discount{ID: id, Code: code, Title: code, Kind: DiscountPercentage, Value: bp, StartsAt: now.Add(-time.Hour)}
	}
	fixed := func(id int64, code string, minor int64) Discount {
		return Discount{ID: id, Code: code, Title: code, Kind: DiscountFixedAmount, Value: minor, StartsAt: now.Add(-time.Hour)}
	}
	with := func(d Discount, f func(*Discount)) Discount { f(&d); return d }
	tests := []struct {
		name      string
		discounts []Discount
		codes     []string
		shipping  int64
		discount  int64
		total     int64
		applied   []bool
	}{
		{name: "no discount", shipping: 499, discount: 0, total: 6502 + 499},
		// 10 % per line, half up: 599.7 → 600, 50.5 → 51.
		{name: "percentage per line rounds half up", discounts: []Discount{pct(1, "TEN", 1000)}, codes: []string{"TEN"}, discount: 651, total: 5851, applied: []bool{true}},
		{name: "code not entered does nothing", discounts: []Discount{pct(1, "TEN", 1000)}, discount: 0, total: 6502},
		{name: "unknown code is not applicable", codes: []string{"NOPE"}, discount: 0, total: 6502, applied: []bool{false}},
		{name: "automatic promotion applies without a code", discounts: []Discount{pct(1, "", 1000)}, discount: 651, total: 5851},
		{name: "fixed amount capped at the eligible lines", discounts: []Discount{with(fixed(1, "FIVE", 1000), func(d *Discount) { d.ProductIDs = []int64{20} })},
			codes: []string{"FIVE"}, discount: 505, total: 5997, applied: []bool{true}},
		{name: "category of an ancestor matches", discounts: []Discount{with(pct(1, "CAT", 5000), func(d *Discount) { d.CategoryIDs = []int64{2} })},
			codes: []string{"CAT"}, discount: 2999, total: 3503, applied: []bool{true}}, // 2998.5 → 2999
		{name: "minimum subtotal not reached", discounts: []Discount{with(fixed(1, "BIG", 100), func(d *Discount) { d.MinSubtotal = 10000 })},
			codes: []string{"BIG"}, discount: 0, total: 6502, applied: []bool{false}},
		{name: "not started", discounts: []Discount{with(fixed(1, "SOON", 100), func(d *Discount) { d.StartsAt = now.Add(time.Hour) })},
			codes: []string{"SOON"}, discount: 0, total: 6502, applied: []bool{false}},
		{name: "ended", discounts: []Discount{with(fixed(1, "OLD", 100), func(d *Discount) { d.EndsAt = now })},
			codes: []string{"OLD"}, discount: 0, total: 6502, applied: []bool{false}},
		{name: "used up", discounts: []Discount{with(fixed(1, "GONE", 100), func(d *Discount) { d.UsageLimit, d.UsedCount = 3, 3 })},
			codes: []string{"GONE"}, discount: 0, total: 6502, applied: []bool{false}},
		{name: "stacked discounts never pass the subtotal; shipping stays", discounts: []Discount{pct(2, "", 10000), fixed(1, "MORE", 500)},
			codes: []string{"MORE"}, shipping: 300, discount: 6502, total: 300, applied: []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ComputeCost(CostInput{Lines: lines, Discounts: tt.discounts, Codes: tt.codes, Shipping: &ShippingMethod{Price: tt.shipping}, Now: now})
			if c.Subtotal != 6502 || c.DiscountTotal != tt.discount || c.Total != tt.total || c.Shipping != tt.shipping {
				t.Fatalf("cost %+v, want discount %d total %d", c, tt.discount, tt.total)
			}
			var sum int64
			for _, d := range c.Discounts {
				sum += d.Amount
			}
			if sum != c.DiscountTotal || c.Total != c.Subtotal-c.DiscountTotal+c.Shipping {
				t.Errorf("cost does not add up: %+v", c)
			}
			if len(c.Codes) != len(tt.applied) {
				t.Fatalf("codes %+v, want %v", c.Codes, tt.applied)
			}
			for i, a := range tt.applied {
				if c.Codes[i].Applicable != a {
					t.Errorf("code %s applicable %v, want %v", c.Codes[i].Code, c.Codes[i].Applicable, a)
				}
			}
		})
	}
}

func TestNormalizeDiscountCodes(t *testing.T) {
	got, err := NormalizeDiscountCodes(nil, []string{" save10 ", "SAVE10", "", "x_y-1"})
	if err != nil || len(got) != 2 || got[0] != "SAVE10" || got[1] != "X_Y-1" {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range [][]string{{"a,b"}, {"no spaces"}, {"A", "B", "C", "D", "E", "F"}} {
		if _, err := NormalizeDiscountCodes([]string{"discountCodes"}, bad); err == nil || err.Code != CodeBadUserInput {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestShippingCharge(t *testing.T) {
	m := ShippingMethod{Price: 799, FreeOver: 10000, Rates: []ShippingRate{{MinSubtotal: 5000, Price: 399}, {MinSubtotal: 2000, Price: 599}}}.Normalize()
	for goods, want := range map[int64]int64{0: 799, 1999: 799, 2000: 599, 4999: 599, 5000: 399, 9999: 399, 10000: 0} {
		if got := m.Charge(goods); got != want {
			t.Errorf("Charge(%d) = %d, want %d", goods, got, want)
		}
	}
	// Free over a threshold looks at the subtotal after discounts.
	c := ComputeCost(CostInput{Lines: []CostLine{{UnitPrice: 10000, Quantity: 1}}, Shipping: &m,
		Discounts: []Discount{{ID: 1, Title: "a", Kind: DiscountFixedAmount, Value: 1}}, Now: time.Now()})
	if c.Shipping != 399 || c.Total != 10000-1+399 {
		t.Errorf("cost %+v", c)
	}
	ms := []ShippingMethod{{ID: 1, Price: 500, Countries: []string{"GB"}}, {ID: 2, Price: 300}, {ID: 3, Price: 300}}
	if got, ok := ChooseShippingMethod(ms, 0, "GB", 0); !ok || got.ID != 2 {
		t.Errorf("default %+v", got)
	}
	if _, ok := ChooseShippingMethod(ms, 1, "FR", 0); ok {
		t.Error("method 1 does not serve FR")
	}
	if got, ok := ChooseShippingMethod(nil, 0, "FR", 0); !ok || got != nil {
		t.Error("no methods ship free without one")
	}
}
