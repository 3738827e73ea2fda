package resolvers

import (
	"context"
	"strings"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/graph/model"
)

// cartCost computes the cart's cost with the one domain calculation checkout uses: the
// variants through the request's loader, the discounts and category paths from the
// discount store.
func (r *Resolver) cartCost(ctx context.Context, c *model.Cart) (domain.Cost, error) {
	in, err := r.cartCostInput(ctx, c)
	if err != nil {
		return domain.Cost{}, err
	}
	return domain.ComputeCost(in), nil
}

// cartCostInput gathers what the cart's cost depends on, without a shipping method.
func (r *Resolver) cartCostInput(ctx context.Context, c *model.Cart) (domain.CostInput, error) {
	ids := make([]int64, len(c.Lines))
	for i, l := range c.Lines {
		ids[i] = l.VariantID
	}
	variants, errs := loadersFrom(ctx).VariantByID().LoadMany(ctx, ids)()
	pids := make([]int64, 0, len(ids))
	for i := range c.Lines {
		if errs != nil && errs[i] != nil {
			return domain.CostInput{}, errs[i]
		}
		pids = append(pids, variants[i].ProductID)
	}
	in := domain.CostInput{Codes: c.Codes, Now: domain.Now(ctx)}
	if r.Discounts != nil {
		ds, err := r.Discounts.CartDiscounts(ctx, c.Codes)
		if err != nil {
			return domain.CostInput{}, err
		}
		paths, err := r.Discounts.CategoryPaths(ctx, pids)
		if err != nil {
			return domain.CostInput{}, err
		}
		in.Discounts = ds
		for i, l := range c.Lines {
			in.Lines = append(in.Lines, domain.CostLine{VariantID: l.VariantID, ProductID: variants[i].ProductID,
				CategoryPath: paths[variants[i].ProductID], UnitPrice: variants[i].Price.Amount, Quantity: l.Quantity})
		}
	} else {
		for i, l := range c.Lines {
			in.Lines = append(in.Lines, domain.CostLine{VariantID: l.VariantID, ProductID: variants[i].ProductID,
				UnitPrice: variants[i].Price.Amount, Quantity: l.Quantity})
		}
	}
	return in, nil
}

func toCartCost(c domain.Cost) *model.CartCost {
	m := func(v int64) *model.Money { return toMoney(domain.Money{Amount: v, Currency: c.Currency}) }
	return &model.CartCost{SubtotalAmount: m(c.Subtotal), TotalDiscountAmount: m(c.DiscountTotal),
		ShippingAmount: m(c.Shipping), TotalAmount: m(c.Total), Discounts: toAppliedDiscounts(c.Discounts, c.Currency)}
}

func toAppliedDiscounts(ds []domain.AppliedDiscount, currency string) []*model.AppliedDiscount {
	out := make([]*model.AppliedDiscount, len(ds))
	for i, d := range ds {
		out[i] = &model.AppliedDiscount{Title: d.Title, Code: strPtr(d.Code), Amount: toMoney(domain.Money{Amount: d.Amount, Currency: currency})}
	}
	return out
}

func toDiscount(d domain.Discount) *model.Discount {
	m := &model.Discount{ID: encodeID(typeDiscount, d.ID), Code: strPtr(d.Code), Title: d.Title, Kind: model.DiscountKind(d.Kind),
		Value: model.Decimal(d.Value), ProductIds: make([]string, len(d.ProductIDs)), CategoryIds: make([]string, len(d.CategoryIDs)),
		MinimumSubtotal: toMoney(domain.Money{Amount: d.MinSubtotal, Currency: domain.DefaultCurrency}),
		StartsAt:        d.StartsAt, UsedCount: d.UsedCount}
	for i, id := range d.ProductIDs {
		m.ProductIds[i] = encodeID(typeProduct, id)
	}
	for i, id := range d.CategoryIDs {
		m.CategoryIds[i] = encodeID(typeCategory, id)
	}
	if !d.EndsAt.IsZero() {
		t := d.EndsAt
		m.EndsAt = &t
	}
	if d.UsageLimit > 0 {
		n := d.UsageLimit
		m.UsageLimit = &n
	}
	if d.PerCustomerLimit > 0 {
		n := d.PerCustomerLimit
		m.PerCustomerLimit = &n
	}
	return m
}

// fromDiscountInput decodes a new discount, or returns the user errors of bad ids.
func fromDiscountInput(in model.DiscountCreateInput) (domain.Discount, []*domain.Error) {
	d := domain.Discount{Title: in.Title, Kind: domain.DiscountKind(in.Kind), Value: int64(in.Value)}
	if in.Code != nil {
		d.Code = *in.Code
		if strings.TrimSpace(d.Code) == "" {
			return d, []*domain.Error{domain.FieldError([]string{"input", "code"}, "the code must not be blank; omit it for an automatic promotion")}
		}
	}
	var errs []*domain.Error
	var err *domain.Error
	if d.ProductIDs, err = decodeIDs(in.ProductIds, typeProduct, "productIds"); err != nil {
		errs = append(errs, err)
	}
	if d.CategoryIDs, err = decodeIDs(in.CategoryIds, typeCategory, "categoryIds"); err != nil {
		errs = append(errs, err)
	}
	if in.MinimumSubtotal != nil {
		d.MinSubtotal = int64(*in.MinimumSubtotal)
	}
	if in.StartsAt != nil {
		d.StartsAt = *in.StartsAt
	}
	if in.EndsAt != nil {
		d.EndsAt = *in.EndsAt
	}
	if in.UsageLimit != nil {
		d.UsageLimit = *in.UsageLimit
	}
	if in.PerCustomerLimit != nil {
		d.PerCustomerLimit = *in.PerCustomerLimit
	}
	return d, errs
}
