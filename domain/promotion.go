package domain

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// DiscountKind is how a discount takes money off.
type DiscountKind string

// The discount kinds.
const (
	// DiscountPercentage takes a share of each eligible line; Value is in basis points
	// (1250 is 12.5 %).
	DiscountPercentage DiscountKind = "PERCENTAGE"
	// DiscountFixedAmount takes a fixed amount off the eligible lines; Value is in minor
	// units.
	DiscountFixedAmount DiscountKind = "FIXED_AMOUNT"
)

// Valid reports whether k is a known kind.
func (k DiscountKind) Valid() bool { return k == DiscountPercentage || k == DiscountFixedAmount }

// Limits on discounts.
const (
	MaxDiscountCodeLength = 64
	MaxDiscountTitle      = 200
	// MaxCartDiscountCodes caps the codes a cart (or a checkout) may carry.
	MaxCartDiscountCodes = 5
	// MaxDiscountTargets caps the products and the categories a discount names.
	MaxDiscountTargets = 500
)

// Discount is a promotion: a discount code a shopper enters, or, with no code, an
// automatic promotion every cart that qualifies gets.
//
// A discount applies to the lines of the products it names and of the categories it names
// (with their subcategories); naming neither makes it apply to the whole order. It is live
// from StartsAt until EndsAt (zero: without end) while its total uses stay under
// UsageLimit and, per customer, under PerCustomerLimit (zero: no limit); the cart's
// subtotal must reach MinSubtotal.
type Discount struct {
	ID               int64
	Code             string
	Title            string
	Kind             DiscountKind
	Value            int64
	ProductIDs       []int64
	CategoryIDs      []int64
	MinSubtotal      int64
	StartsAt         time.Time
	EndsAt           time.Time
	UsageLimit       int
	PerCustomerLimit int
	UsedCount        int
	CreatedAt        time.Time
}

// Automatic reports whether the discount applies without a code.
func (d Discount) Automatic() bool { return d.Code == "" }

// LiveAt reports whether the discount may apply at t: started, not ended, not used up.
func (d Discount) LiveAt(t time.Time) bool {
	if t.Before(d.StartsAt) || (!d.EndsAt.IsZero() && !t.Before(d.EndsAt)) {
		return false
	}
	return d.UsageLimit == 0 || d.UsedCount < d.UsageLimit
}

// NormalizeDiscountCode trims a code and upper-cases it: codes match ignoring case.
func NormalizeDiscountCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// validDiscountCode reports whether a normalized code is acceptable: 1 to 64 letters,
// digits, '-' or '_'.
func validDiscountCode(code string) bool {
	if code == "" || len(code) > MaxDiscountCodeLength {
		return false
	}
	for _, r := range code {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// NormalizeDiscountCodes normalizes the codes a shopper gave, dropping blanks and
// repeats, and returns them in their order, or a BAD_USER_INPUT error blaming path for a
// code that cannot be one or too many codes.
func NormalizeDiscountCodes(path []string, codes []string) ([]string, *Error) {
	out := make([]string, 0, len(codes))
	for _, c := range codes {
		n := NormalizeDiscountCode(c)
		if n == "" || slices.Contains(out, n) {
			continue
		}
		if !validDiscountCode(n) {
			return nil, FieldError(path, "a discount code is 1 to %d letters, digits, '-' or '_'", MaxDiscountCodeLength)
		}
		out = append(out, n)
	}
	if len(out) > MaxCartDiscountCodes {
		return nil, FieldError(path, "at most %d discount codes", MaxCartDiscountCodes)
	}
	return out, nil
}

// Normalize trims the title and normalizes the code.
func (d Discount) Normalize() Discount {
	d.Code = NormalizeDiscountCode(d.Code)
	d.Title = strings.TrimSpace(d.Title)
	return d
}

// Validate returns the problems of a normalized new discount, blaming fields of input.
func (d Discount) Validate() []*Error {
	var errs []*Error
	f := func(name string) []string { return []string{"input", name} }
	if d.Code != "" && !validDiscountCode(d.Code) {
		errs = append(errs, FieldError(f("code"), "a discount code is 1 to %d letters, digits, '-' or '_'", MaxDiscountCodeLength))
	}
	if d.Title == "" || utf8.RuneCountInString(d.Title) > MaxDiscountTitle || !validText(d.Title) {
		errs = append(errs, FieldError(f("title"), "title must be 1 to %d characters of text", MaxDiscountTitle))
	}
	switch d.Kind {
	case DiscountPercentage:
		if d.Value <= 0 || d.Value > 10000 {
			errs = append(errs, FieldError(f("value"), "a percentage must be more than 0 and at most 100"))
		}
	case DiscountFixedAmount:
		if d.Value <= 0 || d.Value > maxMinorUnits {
			errs = append(errs, FieldError(f("value"), "a fixed amount must be positive"))
		}
	default:
		errs = append(errs, FieldError(f("kind"), "unknown discount kind"))
	}
	if d.MinSubtotal < 0 || d.MinSubtotal > maxMinorUnits {
		errs = append(errs, FieldError(f("minimumSubtotal"), "the minimum subtotal must not be negative"))
	}
	if !d.EndsAt.IsZero() && !d.EndsAt.After(d.StartsAt) {
		errs = append(errs, FieldError(f("endsAt"), "endsAt must be after startsAt"))
	}
	if d.UsageLimit < 0 {
		errs = append(errs, FieldError(f("usageLimit"), "usageLimit must not be negative"))
	}
	if d.PerCustomerLimit < 0 {
		errs = append(errs, FieldError(f("perCustomerLimit"), "perCustomerLimit must not be negative"))
	}
	if len(d.ProductIDs) > MaxDiscountTargets {
		errs = append(errs, FieldError(f("productIds"), "at most %d products", MaxDiscountTargets))
	}
	if len(d.CategoryIDs) > MaxDiscountTargets {
		errs = append(errs, FieldError(f("categoryIds"), "at most %d categories", MaxDiscountTargets))
	}
	return errs
}

// CostLine is a cart or order line as the cost calculation sees it.
type CostLine struct {
	VariantID int64
	ProductID int64
	// CategoryPath is the product's category and its ancestors, in any order.
	CategoryPath []int64
	UnitPrice    int64
	Quantity     int
}

// CostInput is what a cart's cost depends on.
type CostInput struct {
	Lines []CostLine
	// Discounts are the automatic promotions and the discounts of Codes, as the store has
	// them; those that are not live, or whose code is not in Codes, are ignored.
	Discounts []Discount
	// Codes are the codes the shopper entered, normalized, in their order.
	Codes []string
	// Shipping is the chosen shipping method; nil ships free.
	Shipping *ShippingMethod
	Now      time.Time
}

// AppliedDiscount is a discount that took money off, and how much.
type AppliedDiscount struct {
	DiscountID int64
	Code       string
	Title      string
	Amount     int64
}

// DiscountCodeStatus says whether a code the shopper entered takes money off the cart.
type DiscountCodeStatus struct {
	Code       string
	Applicable bool
}

// Cost is what a cart costs: the basis of Cart.cost and of what a checkout charges.
// Total = Subtotal - DiscountTotal + Shipping, never negative.
type Cost struct {
	Currency      string
	Subtotal      int64
	DiscountTotal int64
	Shipping      int64
	Total         int64
	Discounts     []AppliedDiscount
	Codes         []DiscountCodeStatus
}

// ComputeCost is the one calculation of what a cart costs; the cart shows it and a
// checkout charges it. It is exact, in integer minor units:
//
//   - The subtotal is the sum of unit price times quantity.
//   - Automatic promotions apply first (by id), then the entered codes in their order. A
//     discount applies when it is live at Now, the subtotal reaches its minimum, and at
//     least one line is eligible (its product, or its category or an ancestor, named; every
//     line when it names neither).
//   - A percentage is taken per eligible line, rounded half up to the minor unit, and never
//     more than what is left of the line after earlier discounts.
//   - A fixed amount is taken off the eligible lines, never more than what is left of
//     them, the largest remaining line first.
//   - Shipping is the method's charge for the subtotal after discounts (free-over
//     thresholds and order-value rates look at it), added after the discounts; it is
//     never discounted.
//
// A code is applicable when its discount took money off; codes are never an error here.
func ComputeCost(in CostInput) Cost {
	c := Cost{Currency: DefaultCurrency, Discounts: []AppliedDiscount{}, Codes: []DiscountCodeStatus{}}
	left := make([]int64, len(in.Lines))
	for i, l := range in.Lines {
		left[i] = l.UnitPrice * int64(l.Quantity)
		c.Subtotal += left[i]
	}
	var order []Discount
	auto := slices.Clone(in.Discounts)
	slices.SortFunc(auto, func(a, b Discount) int { return cmp.Compare(a.ID, b.ID) })
	for _, d := range auto {
		if d.Automatic() {
			order = append(order, d)
		}
	}
	applied := map[string]bool{}
	for _, code := range in.Codes {
		for _, d := range in.Discounts {
			if !d.Automatic() && d.Code == code {
				order = append(order, d)
				break
			}
		}
	}
	for _, d := range order {
		if !d.LiveAt(in.Now) || c.Subtotal < d.MinSubtotal {
			continue
		}
		amount := takeDiscount(d, in.Lines, left)
		if amount <= 0 {
			continue
		}
		c.DiscountTotal += amount
		c.Discounts = append(c.Discounts, AppliedDiscount{DiscountID: d.ID, Code: d.Code, Title: d.Title, Amount: amount})
		if d.Code != "" {
			applied[d.Code] = true
		}
	}
	for _, code := range in.Codes {
		c.Codes = append(c.Codes, DiscountCodeStatus{Code: code, Applicable: applied[code]})
	}
	if in.Shipping != nil {
		c.Shipping = in.Shipping.Charge(c.Subtotal - c.DiscountTotal)
	}
	c.Total = c.Subtotal - c.DiscountTotal + c.Shipping
	return c
}

// takeDiscount takes d off the eligible lines' remaining amounts in left and returns how
// much it took.
func takeDiscount(d Discount, lines []CostLine, left []int64) int64 {
	var eligible []int
	for i, l := range lines {
		if d.eligible(l) && left[i] > 0 {
			eligible = append(eligible, i)
		}
	}
	var took int64
	switch d.Kind {
	case DiscountPercentage:
		for _, i := range eligible {
			full := lines[i].UnitPrice * int64(lines[i].Quantity)
			cut := min((full*d.Value+5000)/10000, left[i])
			left[i] -= cut
			took += cut
		}
	case DiscountFixedAmount:
		want := d.Value
		slices.SortStableFunc(eligible, func(a, b int) int { return cmp.Compare(left[b], left[a]) })
		for _, i := range eligible {
			cut := min(want, left[i])
			left[i] -= cut
			want -= cut
			took += cut
		}
	}
	return took
}

// eligible reports whether the discount applies to the line.
func (d Discount) eligible(l CostLine) bool {
	if len(d.ProductIDs) == 0 && len(d.CategoryIDs) == 0 {
		return true
	}
	if slices.Contains(d.ProductIDs, l.ProductID) {
		return true
	}
	for _, c := range l.CategoryPath {
		if slices.Contains(d.CategoryIDs, c) {
			return true
		}
	}
	return false
}

// DiscountStore keeps discounts. Usage is counted by OrderStore.PlaceOrder, in the
// checkout's transaction.
type DiscountStore interface {
	// CreateDiscount stores a validated discount and returns it with its id. A code
	// already in use (ignoring case) is a CONFLICT error on input.code.
	CreateDiscount(ctx context.Context, d Discount) (Discount, error)
	// CartDiscounts returns the automatic promotions and the discounts with the codes
	// (normalized), live or not: ComputeCost decides what applies. Unknown codes are
	// absent.
	CartDiscounts(ctx context.Context, codes []string) ([]Discount, error)
	// CategoryPaths returns each product's category and its ancestors, which category
	// discounts match; unknown products are absent.
	CategoryPaths(ctx context.Context, productIDs []int64) (map[int64][]int64, error)
}
