package resolvers

import (
	"context"
	"strconv"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/graph/model"
)

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toAddress(a domain.Address) *model.Address {
	return &model.Address{Name: a.Name, Line1: a.Line1, Line2: strPtr(a.Line2), City: a.City, Region: strPtr(a.Region),
		PostalCode: a.PostalCode, Country: a.Country, Phone: strPtr(a.Phone)}
}

func fromAddressInput(a *model.AddressInput) domain.Address {
	if a == nil {
		return domain.Address{}
	}
	deref := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	return domain.Address{Name: a.Name, Line1: a.Line1, Line2: deref(a.Line2), City: a.City, Region: deref(a.Region),
		PostalCode: a.PostalCode, Country: a.Country, Phone: deref(a.Phone)}
}

func toShipment(s *domain.Shipment) *model.Shipment {
	if s == nil {
		return nil
	}
	return &model.Shipment{Carrier: s.Carrier, TrackingNumber: s.TrackingNumber}
}

func toOrder(o domain.Order) *model.Order {
	m := &model.Order{
		ID: encodeID(typeOrder, o.ID), DBID: o.ID, Number: o.Number, Status: model.OrderStatus(o.Status),
		UserID: o.UserID, Email: o.Email, Subtotal: toMoney(o.Subtotal), Total: toMoney(o.Total),
		Discounts:      toAppliedDiscounts(o.Discounts, o.Total.Currency),
		DiscountAmount: toMoney(domain.Money{Amount: o.DiscountAmount.Amount, Currency: o.Total.Currency}),
		ShippingAmount: toMoney(domain.Money{Amount: o.ShippingAmount.Amount, Currency: o.Total.Currency}),
		ShippingMethod: toOrderShippingMethod(o.ShippingMethod),
		PaymentMethod:  model.PaymentMethod(o.PaymentMethod), ShippingAddress: toAddress(o.ShippingAddress),
		Shipment: toShipment(o.Shipment), CreatedAt: o.CreatedAt,
	}
	if o.RefundAmount > 0 {
		m.RefundedAmount = toMoney(domain.Money{Amount: o.RefundAmount, Currency: o.Total.Currency})
	}
	m.Lines = make([]*model.OrderLine, len(o.Lines))
	for i, l := range o.Lines {
		m.Lines[i] = toOrderLine(o.ID, l)
	}
	return m
}

func toOrderLine(orderID int64, l domain.OrderLine) *model.OrderLine {
	return &model.OrderLine{OrderID: orderID, ProductID: l.ProductID, VariantID: l.VariantID, Name: l.Name, VariantTitle: l.VariantTitle, Sku: l.SKU,
		Quantity: l.Quantity, UnitPrice: toMoney(l.UnitPrice), Total: toMoney(l.Total), LineNumber: l.LineNumber, ReturnedQuantity: l.ReturnedQuantity}
}

// moneyOrNil returns the amount in the currency, or nil for zero.
func moneyOrNil(amount int64, currency string) *model.Money {
	if amount == 0 {
		return nil
	}
	return toMoney(domain.Money{Amount: amount, Currency: currency})
}

func toStatusEvent(e domain.StatusEvent) *model.OrderStatusEvent {
	m := &model.OrderStatusEvent{Sequence: e.Sequence, OrderID: e.OrderID, Status: model.OrderStatus(e.Status),
		At: e.At, Note: strPtr(e.Note), Shipment: toShipment(e.Shipment), Kind: model.OrderEventKind(e.Kind.OrZero()),
		RefundAmount: moneyOrNil(e.RefundAmount, domain.DefaultCurrency), ChargeAmount: moneyOrNil(e.ChargeAmount, domain.DefaultCurrency),
		ReturnID: e.ReturnID}
	if e.TotalAmount != 0 {
		m.Total = toMoney(domain.Money{Amount: e.TotalAmount, Currency: domain.DefaultCurrency})
	}
	if e.Previous != "" {
		p := model.OrderStatus(e.Previous)
		m.PreviousStatus = &p
	}
	return m
}

func toOrderConnection(p domain.OrderPage, count func(context.Context) (int, error)) *model.OrderConnection {
	c := &model.OrderConnection{
		Edges:    make([]*model.OrderEdge, len(p.Orders)),
		PageInfo: &model.PageInfo{HasNextPage: p.HasNextPage, HasPreviousPage: p.HasPreviousPage},
		Count:    count,
	}
	for i, o := range p.Orders {
		c.Edges[i] = &model.OrderEdge{Cursor: encodeCursor(p.Cursors[i]), Node: toOrder(o)}
	}
	if n := len(c.Edges); n > 0 {
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = &c.Edges[0].Cursor, &c.Edges[n-1].Cursor
	}
	return c
}

// decodeOrderCursor reads a cursor of an order listing, or returns a BAD_USER_INPUT error.
func decodeOrderCursor(s *string, field string) (*domain.Cursor, error) {
	c, err := decodeCursor(s, domain.OrderCursorSort, field)
	if err != nil || c == nil {
		return c, err
	}
	if !domain.SortCreatedAt.ValidCursorValue(c.Value) {
		return nil, domain.FieldError([]string{field}, "%s is not a valid cursor for this listing", field)
	}
	return c, nil
}

// listOrders runs an order listing for a connection field.
func (r *Resolver) listOrders(ctx context.Context, f domain.OrderFilter, first *int, after *string, last *int, before *string) (*model.OrderConnection, error) {
	page, err := domain.PageArgs{First: first, Last: last}.Normalize()
	if err != nil {
		return nil, err
	}
	if page.After, err = decodeOrderCursor(after, "after"); err != nil {
		return nil, err
	}
	if page.Before, err = decodeOrderCursor(before, "before"); err != nil {
		return nil, err
	}
	p, err := r.Orders.ListOrders(ctx, f, page)
	if err != nil {
		return nil, err
	}
	return toOrderConnection(p, func(ctx context.Context) (int, error) { return r.Orders.CountOrders(ctx, f) }), nil
}

// visibleOrder loads the order behind a global id when the caller may see it; nil
// otherwise, so that nobody learns whether someone else's order exists.
func (r *Resolver) visibleOrder(ctx context.Context, gid string, field ...string) (*domain.Order, error) {
	id, err := decodeID(gid, typeOrder, field...)
	if err != nil {
		return nil, err
	}
	o, err := loadersFrom(ctx).OrderByID().Load(ctx, id)()
	if domain.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	caller, signedIn := domain.IdentityFrom(ctx)
	if !o.VisibleTo(caller, signedIn) {
		return nil, nil
	}
	return &o, nil
}

// orderPayload answers an order mutation from a transition's outcome.
func orderPayload(o domain.Order, err error) (*model.OrderPayload, error) {
	if err != nil {
		ue, err := domain.SplitBusiness(err)
		if err != nil {
			return nil, err
		}
		return &model.OrderPayload{UserErrors: toUserErrors(ue)}, nil
	}
	return &model.OrderPayload{Order: toOrder(o), UserErrors: []*model.UserError{}}, nil
}

var noSuchOrder = &model.OrderPayload{UserErrors: []*model.UserError{{Field: []string{"orderId"}, Message: "no such order", Code: "NOT_FOUND"}}}

// transition applies t to the order behind gid, which the caller must be able to see.
func (r *Resolver) transition(ctx context.Context, gid string, t domain.Transition) (*model.OrderPayload, error) {
	o, err := r.visibleOrder(ctx, gid, "orderId")
	if err != nil {
		return orderPayload(domain.Order{}, err)
	}
	if o == nil {
		return noSuchOrder, nil
	}
	t.Actor, _ = domain.IdentityFrom(ctx)
	updated, _, err := r.Orders.Transition(ctx, o.ID, t)
	return orderPayload(updated, err)
}

func orderKey(id int64) string { return strconv.FormatInt(id, 10) }
