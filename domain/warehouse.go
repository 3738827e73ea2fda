package domain

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on warehouses.
const (
	MaxWarehouseCode = 32
	MaxWarehouseName = 100
	MaxWarehouseCity = 100
	MaxWarehousePrio = 1_000_000
)

// Warehouse is a place that holds stock and ships orders (Shopify's Location, Saleor's
// Warehouse). It ships to ShipsTo (upper-case ISO country codes; empty: everywhere).
// Checkout takes stock from the warehouses that ship to the address in allocation order:
// Priority (lower first), then ID. Exactly one active warehouse is the default: it
// receives stock placed nowhere else and the units of orders placed before warehouses
// existed when they come back. A warehouse is retired, never deleted (Active false).
type Warehouse struct {
	ID          int64
	Code        string
	Name        string
	City        string
	CountryCode string
	ShipsTo     []string
	Priority    int
	IsDefault   bool
	Active      bool
	CreatedAt   time.Time
}

// ShipsToCountry reports whether the warehouse is active and ships to the country (an
// upper-case ISO code).
func (w Warehouse) ShipsToCountry(country string) bool {
	return w.Active && (len(w.ShipsTo) == 0 || slices.Contains(w.ShipsTo, country))
}

// WarehouseInput creates a warehouse (every field the caller gives) or changes one (nil
// fields stay as they are). Normalize before Validate.
type WarehouseInput struct {
	Code        *string
	Name        *string
	City        *string
	CountryCode *string
	ShipsTo     []string
	SetShipsTo  bool
	Priority    *int
	// IsDefault true makes the warehouse the default (the previous default stops being
	// it); false is refused for the default: another one is made the default instead.
	IsDefault *bool
}

// Normalize trims the text, upper-cases the code and the country codes, and sorts and
// dedupes ShipsTo.
func (in WarehouseInput) Normalize() WarehouseInput {
	trim := func(p *string, upper bool) *string {
		if p == nil {
			return nil
		}
		s := strings.TrimSpace(*p)
		if upper {
			s = strings.ToUpper(s)
		}
		return &s
	}
	in.Code, in.Name, in.City, in.CountryCode = trim(in.Code, true), trim(in.Name, false), trim(in.City, false), trim(in.CountryCode, true)
	if in.ShipsTo != nil {
		cs := make([]string, 0, len(in.ShipsTo))
		for _, c := range in.ShipsTo {
			cs = append(cs, strings.ToUpper(strings.TrimSpace(c)))
		}
		slices.Sort(cs)
		in.ShipsTo = slices.Compact(cs)
	}
	return in
}

// Validate returns the problems of a normalized input, blaming fields of input; create
// says that code and name are required.
func (in WarehouseInput) Validate(create bool) []*Error {
	var errs []*Error
	f := func(name string) []string { return []string{"input", name} }
	if create && in.Code == nil {
		errs = append(errs, FieldError(f("code"), "code is required"))
	}
	if in.Code != nil && !validWarehouseCode(*in.Code) {
		errs = append(errs, FieldError(f("code"), "code must be 1 to %d letters, digits, '-' or '_', starting with a letter or digit", MaxWarehouseCode))
	}
	if create && in.Name == nil {
		errs = append(errs, FieldError(f("name"), "name is required"))
	}
	if in.Name != nil && (*in.Name == "" || utf8.RuneCountInString(*in.Name) > MaxWarehouseName || !validText(*in.Name)) {
		errs = append(errs, FieldError(f("name"), "name must be 1 to %d characters of text", MaxWarehouseName))
	}
	if in.City != nil && (utf8.RuneCountInString(*in.City) > MaxWarehouseCity || !validText(*in.City)) {
		errs = append(errs, FieldError(f("city"), "city must be at most %d characters of text", MaxWarehouseCity))
	}
	if in.CountryCode != nil && *in.CountryCode != "" && !isCountryCode(*in.CountryCode) {
		errs = append(errs, FieldError(f("countryCode"), "countryCode is a two-letter ISO 3166 code"))
	}
	if len(in.ShipsTo) > MaxShippingCountries {
		errs = append(errs, FieldError(f("shipsTo"), "at most %d countries", MaxShippingCountries))
	}
	for _, c := range in.ShipsTo {
		if !isCountryCode(c) {
			errs = append(errs, FieldError(f("shipsTo"), "shipsTo lists two-letter ISO 3166 codes"))
			break
		}
	}
	if in.Priority != nil && (*in.Priority < -MaxWarehousePrio || *in.Priority > MaxWarehousePrio) {
		errs = append(errs, FieldError(f("priority"), "priority must be between -%d and %d", MaxWarehousePrio, MaxWarehousePrio))
	}
	return errs
}

func validWarehouseCode(s string) bool {
	if s == "" || len(s) > MaxWarehouseCode || s[0] == '-' || s[0] == '_' {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func isCountryCode(c string) bool {
	return len(c) == 2 && strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

// StockLevel is what one warehouse holds of one variant.
type StockLevel struct {
	VariantID   int64
	WarehouseID int64
	Quantity    int
}

// Allocation is how many units of an order line one warehouse served, and how many of
// them have come back to it (or, when it was retired meanwhile, to the default).
type Allocation struct {
	OrderID     int64
	LineNo      int
	WarehouseID int64
	Quantity    int
	Released    int
}

// AllocateLine is the checkout's allocation rule for one order line of quantity units.
// levels are the variant's stock in the warehouses that ship to the address, in
// allocation order (priority, then id). The whole line comes from the first warehouse
// that holds all of it, so that a line ships as one parcel whenever it can; when none
// does, it is split over the warehouses in allocation order, each giving what it holds,
// until the line is served. It returns the units taken per warehouse (in allocation
// order) and the total the warehouses hold; ok is false, with no allocations, when that
// total is short of quantity.
func AllocateLine(levels []StockLevel, quantity int) (taken []StockLevel, available int, ok bool) {
	for _, l := range levels {
		available += max(l.Quantity, 0)
	}
	if quantity <= 0 || available < quantity {
		return nil, available, false
	}
	for _, l := range levels {
		if l.Quantity >= quantity {
			l.Quantity = quantity
			return []StockLevel{l}, available, true
		}
	}
	left := quantity
	for _, l := range levels {
		if l.Quantity <= 0 {
			continue
		}
		n := min(l.Quantity, left)
		taken = append(taken, StockLevel{VariantID: l.VariantID, WarehouseID: l.WarehouseID, Quantity: n})
		if left -= n; left == 0 {
			break
		}
	}
	return taken, available, true
}

// WarehouseStore keeps the warehouses and reads stock per warehouse. Stock changes go
// through VariantWriter.AdjustWarehouseInventory, checkout and order transitions.
type WarehouseStore interface {
	// CreateWarehouse stores a normalized, valid input. CONFLICT on input.code when the
	// code is taken (retired warehouses keep theirs).
	CreateWarehouse(ctx context.Context, in WarehouseInput) (Warehouse, error)
	// UpdateWarehouse changes an active warehouse. NOT_FOUND when there is none;
	// CONFLICT on input.code when the code is taken; BAD_USER_INPUT on input.isDefault
	// when asked to stop being the default (make another one the default instead).
	UpdateWarehouse(ctx context.Context, id int64, in WarehouseInput) (Warehouse, error)
	// RetireWarehouse retires an active warehouse, first moving its stock to the active
	// warehouse moveTo when moveTo is not zero. NOT_FOUND when there is none (or no such
	// moveTo); the business error DEFAULT_WAREHOUSE for the default;
	// WAREHOUSE_NOT_EMPTY when it holds stock and moveTo is zero. On error nothing
	// changes.
	RetireWarehouse(ctx context.Context, id, moveTo int64) (Warehouse, error)
	// Warehouses returns the warehouses in allocation order, retired ones (last) only
	// when asked.
	Warehouses(ctx context.Context, includeRetired bool) ([]Warehouse, error)
	// WarehousesByID returns the warehouses with the ids, retired ones included.
	WarehousesByID(ctx context.Context, ids []int64) (map[int64]Warehouse, error)
	// VariantStocks returns each variant's stock per warehouse, in allocation order,
	// with every active warehouse listed (zero when it holds none) and retired ones only
	// when they still hold some.
	VariantStocks(ctx context.Context, variantIDs []int64) (map[int64][]StockLevel, error)
	// OrderAllocations returns the allocations of each order's lines, by line number
	// then allocation order.
	OrderAllocations(ctx context.Context, orderIDs []int64) (map[int64][]Allocation, error)
}
