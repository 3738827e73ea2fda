package resolvers

import (
	"context"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/graph/model"
)

func toReturn(r domain.Return) *model.Return {
	m := &model.Return{ID: encodeID(typeReturn, r.ID), DBID: r.ID, OrderID: r.OrderID, Status: model.ReturnStatus(r.Status),
		Reason: r.Reason, RejectionReason: strPtr(r.RejectionReason), RequestedAt: r.CreatedAt, DecidedAt: r.DecidedAt,
		Lines: make([]*model.ReturnLine, len(r.Lines))}
	if r.Status == domain.ReturnApproved {
		m.RefundAmount = toMoney(domain.Money{Amount: r.RefundAmount, Currency: r.Currency})
	}
	for i, l := range r.Lines {
		m.Lines[i] = &model.ReturnLine{OrderID: r.OrderID, LineNumber: l.LineNumber, Quantity: l.Quantity}
	}
	return m
}

// returnPayload answers a return mutation from a store's outcome.
func returnPayload(r domain.Return, o domain.Order, err error) (*model.ReturnPayload, error) {
	if err != nil {
		ue, err := domain.SplitBusiness(err)
		if err != nil {
			return nil, err
		}
		return &model.ReturnPayload{UserErrors: toUserErrors(ue)}, nil
	}
	return &model.ReturnPayload{Return: toReturn(r), Order: toOrder(o), UserErrors: []*model.UserError{}}, nil
}

// requestReturn records a return request of the caller's own delivered order (or, for an
// admin, of any order). Orders the caller cannot see are "no such order"; guest orders
// have no customer to ask, so only an admin can request their returns.
func (r *Resolver) requestReturn(ctx context.Context, in model.ReturnRequestInput) (*model.ReturnPayload, error) {
	req := domain.ReturnRequest{Reason: in.Reason}
	for _, l := range in.Lines {
		req.Lines = append(req.Lines, domain.ReturnLine{LineNumber: l.LineNumber, Quantity: l.Quantity})
	}
	if errs := req.Validate(); len(errs) > 0 {
		return &model.ReturnPayload{UserErrors: domainUserErrors(errs)}, nil
	}
	o, err := r.visibleOrder(ctx, in.OrderID, "input", "orderId")
	if err != nil {
		return returnPayload(domain.Return{}, domain.Order{}, err)
	}
	if o == nil {
		return &model.ReturnPayload{UserErrors: []*model.UserError{{Field: []string{"input", "orderId"}, Message: "no such order", Code: "NOT_FOUND"}}}, nil
	}
	caller, _ := domain.IdentityFrom(ctx)
	req.OrderID, req.By = o.ID, caller.UserID
	return returnPayload(r.Returns.RequestReturn(ctx, req))
}

// decideReturn applies an admin's decision to the return behind gid.
func (r *Resolver) decideReturn(ctx context.Context, gid string, decide func(id int64) (domain.Return, domain.Order, error)) (*model.ReturnPayload, error) {
	id, err := decodeID(gid, typeReturn, "returnId")
	if err != nil {
		return returnPayload(domain.Return{}, domain.Order{}, err)
	}
	ret, o, err := decide(id)
	if domain.IsNotFound(err) {
		return &model.ReturnPayload{UserErrors: []*model.UserError{{Field: []string{"returnId"}, Message: "no such return", Code: "NOT_FOUND"}}}, nil
	}
	return returnPayload(ret, o, err)
}

// visibleReturn loads the return with the id when the caller may see its order; nil
// otherwise.
func (r *Resolver) visibleReturn(ctx context.Context, id int64) (*model.Return, error) {
	l := loadersFrom(ctx).ReturnByID()
	if l == nil {
		return nil, nil
	}
	ret, err := l.Load(ctx, id)()
	if domain.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	o, err := loadersFrom(ctx).OrderByID().Load(ctx, ret.OrderID)()
	if domain.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if caller, signedIn := domain.IdentityFrom(ctx); !o.VisibleTo(caller, signedIn) {
		return nil, nil
	}
	return toReturn(ret), nil
}

// amendOrder edits the lines of the order behind gid (admins only, by the schema).
func (r *Resolver) amendOrder(ctx context.Context, gid string, lines []*model.OrderLineEditInput, reason string) (*model.OrderEditPayload, error) {
	a := domain.Amendment{Reason: reason}
	for _, l := range lines {
		a.Lines = append(a.Lines, domain.OrderLineEdit{LineNumber: l.LineNumber, Quantity: l.Quantity})
	}
	fail := func(err error) (*model.OrderEditPayload, error) {
		ue, err := domain.SplitBusiness(err)
		if err != nil {
			return nil, err
		}
		return &model.OrderEditPayload{UserErrors: toUserErrors(ue)}, nil
	}
	if errs := a.Validate(); len(errs) > 0 {
		return &model.OrderEditPayload{UserErrors: domainUserErrors(errs)}, nil
	}
	o, err := r.visibleOrder(ctx, gid, "orderId")
	if err != nil {
		return fail(err)
	}
	if o == nil {
		return &model.OrderEditPayload{UserErrors: noSuchOrder.UserErrors}, nil
	}
	updated, ev, err := r.Amendments.AmendOrder(ctx, o.ID, a, r.Settle)
	if err != nil {
		return fail(err)
	}
	return &model.OrderEditPayload{Order: toOrder(updated), Event: toStatusEvent(ev), UserErrors: []*model.UserError{},
		RefundAmount: moneyOrNil(ev.RefundAmount, updated.Total.Currency), ChargeAmount: moneyOrNil(ev.ChargeAmount, updated.Total.Currency)}, nil
}

// returnLineOrderLine finds the order line of a return line through the order loader.
func returnLineOrderLine(ctx context.Context, l *model.ReturnLine) (*model.OrderLine, error) {
	o, err := loadersFrom(ctx).OrderByID().Load(ctx, l.OrderID)()
	if err != nil {
		return nil, err
	}
	for _, ol := range o.Lines {
		if ol.LineNumber == l.LineNumber {
			return toOrderLine(l.OrderID, ol), nil
		}
	}
	return nil, domain.Errorf(domain.CodeNotFound, "order line not found")
}
