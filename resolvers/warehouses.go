package resolvers

import (
	"context"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/graph/model"
)

const typeWarehouse = "Warehouse"

func toWarehouse(w domain.Warehouse) *model.Warehouse {
	out := &model.Warehouse{ID: encodeID(typeWarehouse, w.ID), Code: w.Code, Name: w.Name, ShipsTo: append([]string{}, w.ShipsTo...),
		Priority: w.Priority, IsDefault: w.IsDefault, Active: w.Active, CreatedAt: w.CreatedAt}
	if w.City != "" {
		out.City = &w.City
	}
	if w.CountryCode != "" {
		out.CountryCode = &w.CountryCode
	}
	return out
}

func fromWarehouseCreateInput(in model.WarehouseCreateInput) domain.WarehouseInput {
	return domain.WarehouseInput{Code: &in.Code, Name: &in.Name, City: in.City, CountryCode: in.CountryCode,
		ShipsTo: in.ShipsTo, SetShipsTo: true, Priority: in.Priority, IsDefault: in.IsDefault}.Normalize()
}

func fromWarehouseUpdateInput(in model.WarehouseUpdateInput) domain.WarehouseInput {
	return domain.WarehouseInput{Code: in.Code, Name: in.Name, City: in.City, CountryCode: in.CountryCode,
		ShipsTo: in.ShipsTo, SetShipsTo: in.ShipsTo != nil, Priority: in.Priority, IsDefault: in.IsDefault}.Normalize()
}

// warehousePayload answers a warehouse mutation.
func warehousePayload(w domain.Warehouse, err error) (*model.WarehousePayload, error) {
	if err != nil {
		ue, err := domain.SplitBusiness(err)
		if err != nil {
			return nil, err
		}
		return &model.WarehousePayload{UserErrors: toUserErrors(ue)}, nil
	}
	return &model.WarehousePayload{Warehouse: toWarehouse(w), UserErrors: []*model.UserError{}}, nil
}

func warehouseFailure(errs ...*domain.Error) *model.WarehousePayload {
	return &model.WarehousePayload{UserErrors: domainUserErrors(errs)}
}

func (r *Resolver) warehouseCreate(ctx context.Context, input model.WarehouseCreateInput) (*model.WarehousePayload, error) {
	in := fromWarehouseCreateInput(input)
	if errs := in.Validate(true); len(errs) > 0 {
		return warehouseFailure(errs...), nil
	}
	return warehousePayload(r.Warehouses.CreateWarehouse(ctx, in))
}

func (r *Resolver) warehouseUpdate(ctx context.Context, id string, input model.WarehouseUpdateInput) (*model.WarehousePayload, error) {
	wid, derr := optionalID(&id, typeWarehouse, "id")
	if derr != nil {
		return warehouseFailure(derr), nil
	}
	in := fromWarehouseUpdateInput(input)
	if errs := in.Validate(false); len(errs) > 0 {
		return warehouseFailure(errs...), nil
	}
	w, err := r.Warehouses.UpdateWarehouse(ctx, wid, in)
	if domain.IsNotFound(err) {
		return warehouseFailure(&domain.Error{Code: domain.CodeNotFound, Message: "no such active warehouse", Field: []string{"id"}}), nil
	}
	return warehousePayload(w, err)
}

func (r *Resolver) warehouseDelete(ctx context.Context, id string, moveStockTo *string) (*model.WarehousePayload, error) {
	wid, derr := optionalID(&id, typeWarehouse, "id")
	if derr != nil {
		return warehouseFailure(derr), nil
	}
	to, derr := optionalID(moveStockTo, typeWarehouse, "moveStockTo")
	if derr != nil {
		return warehouseFailure(derr), nil
	}
	return warehousePayload(r.Warehouses.RetireWarehouse(ctx, wid, to))
}

func (r *Resolver) warehouses(ctx context.Context, includeRetired *bool) ([]*model.Warehouse, error) {
	ws, err := r.Warehouses.Warehouses(ctx, includeRetired != nil && *includeRetired)
	if err != nil {
		return nil, err
	}
	out := make([]*model.Warehouse, len(ws))
	for i, w := range ws {
		out[i] = toWarehouse(w)
	}
	return out, nil
}

// warehouseOf loads a warehouse, retired or not, through the request's loader.
func warehouseOf(ctx context.Context, id int64) (*model.Warehouse, error) {
	l := loadersFrom(ctx).WarehouseByID()
	if l == nil {
		return nil, domain.Errorf(domain.CodeNotFound, "warehouse not found")
	}
	w, err := l.Load(ctx, id)()
	if err != nil {
		return nil, err
	}
	return toWarehouse(w), nil
}

// variantStocks loads a variant's stock per warehouse through the request's loader: one
// statement for every variant of the response.
func variantStocks(ctx context.Context, variantID int64) ([]*model.Stock, error) {
	l := loadersFrom(ctx).VariantStocks()
	if l == nil {
		return []*model.Stock{}, nil
	}
	levels, err := l.Load(ctx, variantID)()
	if err != nil {
		return nil, err
	}
	out := make([]*model.Stock, len(levels))
	for i, s := range levels {
		out[i] = &model.Stock{WarehouseID: s.WarehouseID, Quantity: s.Quantity}
	}
	return out, nil
}

// lineAllocations loads an order line's allocations through the request's loader: one
// statement for every order of the response.
func lineAllocations(ctx context.Context, line *model.OrderLine) ([]*model.OrderLineAllocation, error) {
	l := loadersFrom(ctx).OrderAllocations()
	if l == nil {
		return []*model.OrderLineAllocation{}, nil
	}
	all, err := l.Load(ctx, line.OrderID)()
	if err != nil {
		return nil, err
	}
	out := []*model.OrderLineAllocation{}
	for _, a := range all {
		if a.LineNo == line.LineNumber {
			out = append(out, &model.OrderLineAllocation{WarehouseID: a.WarehouseID, Quantity: a.Quantity, ReleasedQuantity: a.Released})
		}
	}
	return out, nil
}

// node resolution of a Warehouse: admins only; null for anyone else.
func (r *Resolver) warehouseNode(ctx context.Context, id int64) (model.Node, error) {
	if caller, ok := domain.IdentityFrom(ctx); !ok || !caller.IsAdmin() {
		return nil, nil
	}
	w, err := warehouseOf(ctx, id)
	if domain.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return w, nil
}
