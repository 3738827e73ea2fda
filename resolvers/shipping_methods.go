package resolvers

import (
	"context"
	"slices"
	"strings"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/graph/model"
)

const typeShippingMethod = "ShippingMethod"

func usd(v int64) *model.Money {
	return toMoney(domain.Money{Amount: v, Currency: domain.DefaultCurrency})
}

func toShippingMethod(m domain.ShippingMethod) *model.ShippingMethod {
	out := &model.ShippingMethod{ID: encodeID(typeShippingMethod, m.ID), Name: m.Name, Price: usd(m.Price),
		Rates: make([]*model.ShippingRate, len(m.Rates)), Countries: append([]string{}, m.Countries...),
		MinDeliveryDays: m.MinDays, MaxDeliveryDays: m.MaxDays}
	for i, r := range m.Rates {
		out.Rates[i] = &model.ShippingRate{MinimumSubtotal: usd(r.MinSubtotal), Price: usd(r.Price)}
	}
	if m.FreeOver > 0 {
		out.FreeOver = usd(m.FreeOver)
	}
	return out
}

func toOrderShippingMethod(m *domain.OrderShippingMethod) *model.OrderShippingMethod {
	if m == nil {
		return nil
	}
	return &model.OrderShippingMethod{Name: m.Name, MinDeliveryDays: m.MinDays, MaxDeliveryDays: m.MaxDays}
}

func fromShippingMethodInput(in model.ShippingMethodInput) domain.ShippingMethod {
	m := domain.ShippingMethod{Name: in.Name, Price: int64(in.Price), Countries: in.Countries,
		MinDays: in.MinDeliveryDays, MaxDays: in.MaxDeliveryDays, Rates: []domain.ShippingRate{}}
	for _, r := range in.Rates {
		m.Rates = append(m.Rates, domain.ShippingRate{MinSubtotal: int64(r.MinimumSubtotal), Price: int64(r.Price)})
	}
	if in.FreeOver != nil {
		m.FreeOver = int64(*in.FreeOver)
	}
	return m.Normalize()
}

// shippingMethodPayload answers a shipping method mutation.
func shippingMethodPayload(m domain.ShippingMethod, err error) (*model.ShippingMethodPayload, error) {
	if err != nil {
		ue, err := domain.SplitBusiness(err)
		if err != nil {
			return nil, err
		}
		return &model.ShippingMethodPayload{UserErrors: toUserErrors(ue)}, nil
	}
	return &model.ShippingMethodPayload{ShippingMethod: toShippingMethod(m), UserErrors: []*model.UserError{}}, nil
}

// cartShippingOptions lists the methods serving the country with what each charges the
// cart, by the same cost calculation checkout uses, cheapest first (ties by id).
func (r *Resolver) cartShippingOptions(ctx context.Context, c *model.Cart, country string) ([]*model.ShippingOption, error) {
	out := []*model.ShippingOption{}
	if r.Shipping == nil {
		return out, nil
	}
	country = strings.ToUpper(strings.TrimSpace(country))
	methods, err := r.Shipping.ShippingMethods(ctx)
	if err != nil {
		return nil, err
	}
	in, err := r.cartCostInput(ctx, c)
	if err != nil {
		return nil, err
	}
	type option struct {
		m    domain.ShippingMethod
		cost int64
	}
	var opts []option
	for _, m := range methods {
		if !m.Serves(country) {
			continue
		}
		in.Shipping = &m
		opts = append(opts, option{m, domain.ComputeCost(in).Shipping})
	}
	slices.SortStableFunc(opts, func(a, b option) int {
		switch {
		case a.cost < b.cost:
			return -1
		case a.cost > b.cost:
			return 1
		}
		return 0
	})
	for _, o := range opts {
		out = append(out, &model.ShippingOption{Method: toShippingMethod(o.m), Cost: usd(o.cost)})
	}
	return out, nil
}
