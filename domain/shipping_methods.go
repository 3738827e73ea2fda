package domain

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits on shipping methods.
const (
	MaxShippingMethodName = 100
	MaxShippingRates      = 20
	MaxShippingCountries  = 250
	MaxDeliveryDays       = 365
)

// ShippingRate is a price of a shipping method for orders whose subtotal after discounts
// reaches MinSubtotal.
type ShippingRate struct {
	MinSubtotal int64 `json:"minSubtotal"`
	Price       int64 `json:"price"`
}

// ShippingMethod is a way an order can travel, managed by the admin. Its price is Price,
// or by order value the Rates tier with the highest minimum the subtotal after discounts
// reaches; from FreeOver (zero: never) it ships free. It serves the Countries (ISO codes;
// empty: everywhere) and delivers in MinDays to MaxDays.
type ShippingMethod struct {
	ID        int64
	Name      string
	Price     int64
	Rates     []ShippingRate
	FreeOver  int64
	Countries []string
	MinDays   int
	MaxDays   int
}

// Serves reports whether the method ships to the country (an upper-case ISO code).
func (m ShippingMethod) Serves(country string) bool {
	return len(m.Countries) == 0 || slices.Contains(m.Countries, country)
}

// Charge returns what the method charges for an order whose subtotal after discounts is
// goods, in minor units.
func (m ShippingMethod) Charge(goods int64) int64 {
	if m.FreeOver > 0 && goods >= m.FreeOver {
		return 0
	}
	price, best := m.Price, int64(-1)
	for _, r := range m.Rates {
		if goods >= r.MinSubtotal && r.MinSubtotal > best {
			price, best = r.Price, r.MinSubtotal
		}
	}
	return price
}

// Normalize trims the name and upper-cases, sorts and dedupes the countries and sorts the
// rates by their minimum.
func (m ShippingMethod) Normalize() ShippingMethod {
	m.Name = strings.TrimSpace(m.Name)
	cs := make([]string, 0, len(m.Countries))
	for _, c := range m.Countries {
		cs = append(cs, strings.ToUpper(strings.TrimSpace(c)))
	}
	slices.Sort(cs)
	m.Countries = slices.Compact(cs)
	m.Rates = slices.Clone(m.Rates)
	slices.SortFunc(m.Rates, func(a, b ShippingRate) int { return cmp.Compare(a.MinSubtotal, b.MinSubtotal) })
	return m
}

// Validate returns the problems of a normalized method, blaming fields of input.
func (m ShippingMethod) Validate() []*Error {
	var errs []*Error
	f := func(name string) []string { return []string{"input", name} }
	if m.Name == "" || utf8.RuneCountInString(m.Name) > MaxShippingMethodName || !validText(m.Name) {
		errs = append(errs, FieldError(f("name"), "name must be 1 to %d characters of text", MaxShippingMethodName))
	}
	if m.Price < 0 || m.Price > maxMinorUnits {
		errs = append(errs, FieldError(f("price"), "price must not be negative"))
	}
	if m.FreeOver < 0 || m.FreeOver > maxMinorUnits {
		errs = append(errs, FieldError(f("freeOver"), "freeOver must not be negative"))
	}
	if len(m.Rates) > MaxShippingRates {
		errs = append(errs, FieldError(f("rates"), "at most %d rates", MaxShippingRates))
	}
	for i, r := range m.Rates {
		if r.MinSubtotal < 0 || r.Price < 0 || r.MinSubtotal > maxMinorUnits || r.Price > maxMinorUnits ||
			(i > 0 && r.MinSubtotal == m.Rates[i-1].MinSubtotal) {
			errs = append(errs, FieldError(f("rates"), "rates need distinct, non-negative minimums and non-negative prices"))
			break
		}
	}
	if len(m.Countries) > MaxShippingCountries {
		errs = append(errs, FieldError(f("countries"), "at most %d countries", MaxShippingCountries))
	}
	for _, c := range m.Countries {
		if len(c) != 2 || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			errs = append(errs, FieldError(f("countries"), "countries are two-letter ISO 3166 codes"))
			break
		}
	}
	if m.MinDays < 0 || m.MaxDays < m.MinDays || m.MaxDays > MaxDeliveryDays {
		errs = append(errs, FieldError(f("maxDeliveryDays"), "delivery days must satisfy 0 <= min <= max <= %d", MaxDeliveryDays))
	}
	return errs
}

// ChooseShippingMethod picks the method a checkout uses among methods (the live ones):
// the one with id wanted, which must serve the country, or, when wanted is zero, the one
// charging least for goods (ties by id). ok is false when no method fits; with no methods
// at all the order ships without a method and free, as before methods existed.
func ChooseShippingMethod(methods []ShippingMethod, wanted int64, country string, goods int64) (m *ShippingMethod, ok bool) {
	if len(methods) == 0 && wanted == 0 {
		return nil, true
	}
	var best *ShippingMethod
	for i := range methods {
		c := &methods[i]
		if !c.Serves(country) {
			continue
		}
		if wanted != 0 {
			if c.ID == wanted {
				return c, true
			}
			continue
		}
		if best == nil || c.Charge(goods) < best.Charge(goods) || (c.Charge(goods) == best.Charge(goods) && c.ID < best.ID) {
			best = c
		}
	}
	return best, best != nil
}

// ShippingMethodStore keeps shipping methods.
type ShippingMethodStore interface {
	// CreateShippingMethod stores a validated method and returns it with its id.
	CreateShippingMethod(ctx context.Context, m ShippingMethod) (ShippingMethod, error)
	// UpdateShippingMethod replaces a live method's settings; NOT_FOUND when there is none.
	UpdateShippingMethod(ctx context.Context, m ShippingMethod) (ShippingMethod, error)
	// DeleteShippingMethod retires a method (orders keep their copy); NOT_FOUND when
	// there is no live one.
	DeleteShippingMethod(ctx context.Context, id int64) error
	// ShippingMethods returns the live methods by id.
	ShippingMethods(ctx context.Context) ([]ShippingMethod, error)
}
