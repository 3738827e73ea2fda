package resolvers

import (
	"context"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/graph/model"
)

func toVariant(v domain.Variant) *model.ProductVariant {
	m := &model.ProductVariant{
		ID:                encodeID(typeVariant, v.ID),
		DBID:              v.ID,
		ProductID:         v.ProductID,
		ImageID:           v.ImageID,
		Sku:               v.SKU,
		Title:             v.Title(),
		SelectedOptions:   make([]*model.SelectedOption, len(v.Options)),
		Price:             toMoney(v.Price),
		AvailableQuantity: v.Stock,
		InStock:           v.InStock(),
	}
	if v.Deleted {
		m.AvailableQuantity = 0
	}
	for i, o := range v.Options {
		m.SelectedOptions[i] = &model.SelectedOption{Name: o.Name, Value: o.Value}
	}
	if v.CompareAtMinor != nil {
		m.CompareAtPrice = toMoney(domain.Money{Amount: *v.CompareAtMinor, Currency: v.Price.Currency})
	}
	return m
}

func toVariants(vs []domain.Variant) []*model.ProductVariant {
	out := make([]*model.ProductVariant, len(vs))
	for i, v := range vs {
		out[i] = toVariant(v)
	}
	return out
}

// productDetail loads a product's variants, images and attributes through the request's
// loader: one statement for every product of a page.
func productDetail(ctx context.Context, productID int64) (domain.ProductDetail, error) {
	return loadersFrom(ctx).ProductDetails().Load(ctx, productID)()
}

// lineVariant loads the variant of a cart or order line through the request's loader.
func lineVariant(ctx context.Context, variantID int64) (domain.Variant, error) {
	return loadersFrom(ctx).VariantByID().Load(ctx, variantID)()
}

// priceRange returns the lowest and highest price of the variants; p's price when there
// are none.
func priceRange(p *model.Product, vs []domain.Variant) *model.PriceRange {
	if len(vs) == 0 {
		return &model.PriceRange{MinVariantPrice: p.Price, MaxVariantPrice: p.Price}
	}
	lo, hi := vs[0].Price, vs[0].Price
	for _, v := range vs[1:] {
		if v.Price.Amount < lo.Amount {
			lo = v.Price
		}
		if v.Price.Amount > hi.Amount {
			hi = v.Price
		}
	}
	return &model.PriceRange{MinVariantPrice: toMoney(lo), MaxVariantPrice: toMoney(hi)}
}

func toOptions(vs []domain.Variant) []*model.ProductOption {
	opts := domain.OptionsOf(vs)
	out := make([]*model.ProductOption, len(opts))
	for i, o := range opts {
		out[i] = &model.ProductOption{Name: o.Name, Values: o.Values}
	}
	return out
}

func fromSelectedOptions(in []*model.SelectedOptionInput) []domain.SelectedOption {
	if in == nil {
		return nil
	}
	out := make([]domain.SelectedOption, len(in))
	for i, o := range in {
		out[i] = domain.SelectedOption{Name: o.Name, Value: o.Value}
	}
	return out
}

// optionalID decodes an optional global id of the wanted type; zero when absent.
func optionalID(gid *string, want string, field ...string) (int64, *domain.Error) {
	if gid == nil {
		return 0, nil
	}
	id, err := decodeID(*gid, want, field...)
	if err != nil {
		return 0, err.(*domain.Error)
	}
	return id, nil
}

// fromVariantInputs converts new variants; defaultPrice (nil outside productCreate) is the
// price of a variant given without one.
func fromVariantInputs(in []*model.ProductVariantInput, path []string, defaultPrice *int64) ([]domain.NewVariant, []*domain.Error) {
	out := make([]domain.NewVariant, len(in))
	var errs []*domain.Error
	for i, v := range in {
		at := func(f string) []string { return append(append([]string{}, path...), strconv.Itoa(i), f) }
		nv := domain.NewVariant{Options: fromSelectedOptions(v.SelectedOptions)}
		if v.Sku != nil {
			nv.SKU = *v.Sku
		}
		switch {
		case v.Price != nil:
			nv.Price = int64(*v.Price)
		case defaultPrice != nil:
			nv.Price = *defaultPrice
		default:
			errs = append(errs, domain.FieldError(at("price"), "price is required"))
		}
		if v.CompareAtPrice != nil {
			c := int64(*v.CompareAtPrice)
			nv.CompareAtMinor = &c
		}
		if v.Stock != nil {
			nv.Stock = *v.Stock
		}
		id, err := optionalID(v.ImageID, typeImage, at("imageId")...)
		if err != nil {
			errs = append(errs, err)
		}
		nv.ImageID = id
		out[i] = nv.Normalize()
	}
	return out, errs
}

// variantsPayload answers a variant mutation.
func variantsPayload(p domain.Product, vs []domain.Variant, err error) (*model.ProductVariantsPayload, error) {
	if err != nil {
		ue, err := domain.SplitBusiness(err)
		if err != nil {
			return nil, err
		}
		return &model.ProductVariantsPayload{Variants: []*model.ProductVariant{}, UserErrors: toUserErrors(ue)}, nil
	}
	return &model.ProductVariantsPayload{Product: toProduct(p), Variants: toVariants(vs), UserErrors: []*model.UserError{}}, nil
}

func variantsFailure(errs []*domain.Error) *model.ProductVariantsPayload {
	return &model.ProductVariantsPayload{Variants: []*model.ProductVariant{}, UserErrors: domainUserErrors(errs)}
}

func (r *Resolver) productVariantsCreate(ctx context.Context, productID string, in []*model.ProductVariantInput) (*model.ProductVariantsPayload, error) {
	pid, err := decodeID(productID, typeProduct, "productId")
	if err != nil {
		return variantsFailure([]*domain.Error{err.(*domain.Error)}), nil
	}
	if len(in) == 0 || len(in) > domain.MaxVariants {
		return variantsFailure([]*domain.Error{domain.FieldError([]string{"variants"}, "give 1 to %d variants", domain.MaxVariants)}), nil
	}
	vs, errs := fromVariantInputs(in, []string{"variants"}, nil)
	for i, v := range vs {
		errs = append(errs, v.Validate("variants", strconv.Itoa(i))...)
	}
	errs = append(errs, domain.ValidateVariantSet([]string{"variants"}, vs)...)
	if len(errs) > 0 {
		return variantsFailure(errs), nil
	}
	return variantsPayload(r.CatalogAdmin.CreateVariants(ctx, pid, vs))
}

func (r *Resolver) productVariantsUpdate(ctx context.Context, productID string, in []*model.ProductVariantUpdateInput) (*model.ProductVariantsPayload, error) {
	pid, err := decodeID(productID, typeProduct, "productId")
	if err != nil {
		return variantsFailure([]*domain.Error{err.(*domain.Error)}), nil
	}
	if len(in) == 0 || len(in) > domain.MaxVariants {
		return variantsFailure([]*domain.Error{domain.FieldError([]string{"variants"}, "give 1 to %d variants", domain.MaxVariants)}), nil
	}
	cs := make([]domain.VariantChanges, len(in))
	var errs []*domain.Error
	seen := map[int64]bool{}
	for i, v := range in {
		path := []string{"variants", strconv.Itoa(i)}
		id, err := decodeID(v.ID, typeVariant, append(path, "id")...)
		if err != nil {
			errs = append(errs, err.(*domain.Error))
			continue
		}
		if seen[id] {
			errs = append(errs, domain.FieldError(append(path, "id"), "the variant is given twice"))
		}
		seen[id] = true
		c := domain.VariantChanges{ID: id, SKU: v.Sku, Options: fromSelectedOptions(v.SelectedOptions),
			ClearCompareAt: v.ClearCompareAtPrice != nil && *v.ClearCompareAtPrice}
		if v.Price != nil {
			p := int64(*v.Price)
			c.Price = &p
		}
		if v.CompareAtPrice != nil {
			p := int64(*v.CompareAtPrice)
			c.CompareAtMinor = &p
		}
		if v.ImageID != nil {
			img, err := optionalID(v.ImageID, typeImage, append(path, "imageId")...)
			if err != nil {
				errs = append(errs, err)
			}
			c.ImageID = &img
		}
		cs[i] = c.Normalize()
		errs = append(errs, cs[i].Validate(path...)...)
	}
	if len(errs) > 0 {
		return variantsFailure(errs), nil
	}
	return variantsPayload(r.CatalogAdmin.UpdateVariants(ctx, pid, cs))
}

func (r *Resolver) productVariantsDelete(ctx context.Context, productID string, variantIDs []string) (*model.ProductVariantsPayload, error) {
	pid, err := decodeID(productID, typeProduct, "productId")
	if err != nil {
		return variantsFailure([]*domain.Error{err.(*domain.Error)}), nil
	}
	if len(variantIDs) == 0 || len(variantIDs) > domain.MaxVariants {
		return variantsFailure([]*domain.Error{domain.FieldError([]string{"variantIds"}, "give 1 to %d variants", domain.MaxVariants)}), nil
	}
	ids := make([]int64, len(variantIDs))
	for i, g := range variantIDs {
		id, err := decodeID(g, typeVariant, "variantIds", strconv.Itoa(i))
		if err != nil {
			return variantsFailure([]*domain.Error{err.(*domain.Error)}), nil
		}
		ids[i] = id
	}
	p, err := r.CatalogAdmin.DeleteVariants(ctx, pid, ids)
	return variantsPayload(p, nil, err)
}

// detailFields are the Product fields that read the product's details.
var detailFields = map[string]bool{"variants": true, "images": true, "featuredImage": true, "options": true, "attributes": true, "priceRange": true}

// primeDetails asks the details loader for every product of a page at once when the
// operation selects a detail field of the page's products, so the page's details are one
// statement: left to each product's resolver, under load the keys can straddle the
// loader's window and split the batch. It does not wait for the answer.
func primeDetails(ctx context.Context, page domain.ProductPage) {
	if len(page.Edges) == 0 || !graphql.HasOperationContext(ctx) || graphql.GetFieldContext(ctx) == nil {
		return
	}
	op := graphql.GetOperationContext(ctx)
	wanted := false
	var walk func(sel ast.SelectionSet, depth int)
	walk = func(sel ast.SelectionSet, depth int) {
		for _, f := range graphql.CollectFields(op, sel, nil) {
			switch {
			case wanted:
				return
			case depth == 0 && (f.Name == "nodes" || f.Name == "edges"):
				walk(f.Selections, 1)
			case depth == 1 && f.Name == "node":
				walk(f.Selections, 2)
			case depth >= 1 && detailFields[f.Name]:
				wanted = true
			}
		}
	}
	walk(graphql.GetFieldContext(ctx).Field.Selections, 0)
	if !wanted {
		return
	}
	ids := make([]int64, len(page.Edges))
	for i, e := range page.Edges {
		ids[i] = e.Product.ID
	}
	loadersFrom(ctx).ProductDetails().LoadMany(ctx, ids)
}
