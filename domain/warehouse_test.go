package domain

import (
	"fmt"
	"testing"
)

func TestAllocateLine(t *testing.T) {
	lv := func(qs ...int) []StockLevel {
		out := make([]StockLevel, len(qs))
		for i, q := range qs {
			out[i] = StockLevel{VariantID: 1, WarehouseID: int64(i + 1), Quantity: q}
		}
		return out
	}
	for _, c := range []struct {
		name      string
		levels    []StockLevel
		quantity  int
		want      string
		available int
		ok        bool
	}{
		{"first holds all", lv(5, 9), 3, "[1:3]", 14, true},
		{"the first that holds all, not the first", lv(2, 9), 3, "[2:3]", 11, true},
		{"split in order", lv(2, 2, 5), 6, "[1:2 2:2 3:2]", 9, true},
		{"split skips empty warehouses", lv(0, 2, 0, 3), 4, "[2:2 4:2]", 5, true},
		{"exactly everything", lv(1, 1), 2, "[1:1 2:1]", 2, true},
		{"short", lv(1, 1), 3, "[]", 2, false},
		{"no warehouse", nil, 1, "[]", 0, false},
		{"nothing asked", lv(3), 0, "[]", 3, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			taken, available, ok := AllocateLine(c.levels, c.quantity)
			got := "["
			for i, s := range taken {
				if i > 0 {
					got += " "
				}
				got += fmt.Sprintf("%d:%d", s.WarehouseID, s.Quantity)
			}
			got += "]"
			if got != c.want || available != c.available || ok != c.ok {
				t.Errorf("AllocateLine = %s, %d, %v; want %s, %d, %v", got, available, ok, c.want, c.available, c.ok)
			}
		})
	}
}

func TestWarehouseInputValidate(t *testing.T) {
	s := func(v string) *string { return &v }
	prio := 2_000_000
	for _, c := range []struct {
		in     WarehouseInput
		create bool
		field  string
	}{
		{WarehouseInput{Name: s("x")}, true, "code"},
		{WarehouseInput{Code: s("A")}, true, "name"},
		{WarehouseInput{Code: s("-A"), Name: s("x")}, true, "code"},
		{WarehouseInput{Code: s("a b"), Name: s("x")}, true, "code"},
		{WarehouseInput{Code: s("A"), Name: s("x"), CountryCode: s("deu")}, true, "countryCode"},
		{WarehouseInput{ShipsTo: []string{"gb", "1x"}}, false, "shipsTo"},
		{WarehouseInput{Priority: &prio}, false, "priority"},
		{WarehouseInput{Code: s(" ok-1 "), Name: s(" Fine "), ShipsTo: []string{"gb", "GB"}}, true, ""},
		{WarehouseInput{}, false, ""},
	} {
		errs := c.in.Normalize().Validate(c.create)
		switch {
		case c.field == "" && len(errs) > 0:
			t.Errorf("%+v: %v", c.in, errs[0])
		case c.field != "" && (len(errs) != 1 || errs[0].Field[1] != c.field):
			t.Errorf("%+v: %v, want one error on %s", c.in, errs, c.field)
		}
	}
	n := WarehouseInput{Code: s(" ok-1 "), ShipsTo: []string{"gb", "FR", "GB"}}.Normalize()
	if *n.Code != "OK-1" || fmt.Sprint(n.ShipsTo) != "[FR GB]" {
		t.Errorf("Normalize: %q %v", *n.Code, n.ShipsTo)
	}
}
