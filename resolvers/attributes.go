package resolvers

import (
	"context"
	"strings"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/graph/model"
)

func toBrand(b domain.Brand) *model.Brand {
	return &model.Brand{ID: encodeID(typeBrand, b.ID), DBID: b.ID, Slug: b.Slug, Name: b.Name}
}

func toAttributes(vs []domain.AttributeValue) []*model.ProductAttribute {
	out := make([]*model.ProductAttribute, len(vs))
	for i, v := range vs {
		a := &model.ProductAttribute{Name: v.Name, Type: model.AttributeType(v.Type), Value: v.Display()}
		switch v.Type {
		case domain.AttributeNumber:
			n := v.Number
			a.NumberValue = &n
		case domain.AttributeBoolean:
			b := v.Bool
			a.BooleanValue = &b
		}
		out[i] = a
	}
	return out
}

func toFacets(fs []domain.Facet) []*model.ProductFacet {
	out := make([]*model.ProductFacet, len(fs))
	for i, f := range fs {
		m := &model.ProductFacet{Kind: model.FacetKind(f.Kind), Name: f.Name, Type: model.AttributeType(f.Type),
			Values: make([]*model.FacetValue, len(f.Values)), Min: f.Min, Max: f.Max}
		for j, v := range f.Values {
			m.Values[j] = &model.FacetValue{Value: v.Value, Label: v.Label, Count: v.Count}
		}
		out[i] = m
	}
	return out
}

// facetsOf returns the function that computes the facets of a listing with filter f.
func (r *Resolver) facetsOf(f domain.ProductFilter) func(ctx context.Context) ([]*model.ProductFacet, error) {
	return func(ctx context.Context) ([]*model.ProductFacet, error) {
		fs, err := r.Catalog.ProductFacets(ctx, f)
		if err != nil {
			return nil, err
		}
		return toFacets(fs), nil
	}
}

func fromAttributeFilters(in []*model.AttributeFilter) []domain.AttributeFilter {
	if in == nil {
		return nil
	}
	out := make([]domain.AttributeFilter, len(in))
	for i, a := range in {
		out[i] = domain.AttributeFilter{Name: a.Name, Values: a.Values, Min: a.Min, Max: a.Max, Bool: a.Boolean}
	}
	return out
}

func fromAttributeInputs(in []*model.AttributeValueInput) []domain.AttributeInput {
	out := make([]domain.AttributeInput, len(in))
	for i, a := range in {
		out[i] = domain.AttributeInput{Name: a.Name, Value: a.Value}
	}
	return out
}

func (r *Resolver) productAttributesSet(ctx context.Context, productID string, attrs []*model.AttributeValueInput) (*model.ProductPayload, error) {
	pid, err := decodeID(productID, typeProduct, "productId")
	if err != nil {
		return productPayload(domain.Product{}, err)
	}
	if len(attrs) > domain.MaxAttributes {
		return &model.ProductPayload{UserErrors: domainUserErrors([]*domain.Error{domain.FieldError([]string{"attributes"}, "a product has at most %d attributes", domain.MaxAttributes)})}, nil
	}
	return productPayload(r.CatalogAdmin.SetProductAttributes(ctx, pid, fromAttributeInputs(attrs)))
}

func (r *Resolver) brandCreate(ctx context.Context, in model.BrandCreateInput) (*model.BrandPayload, error) {
	b := domain.NewBrand{Name: in.Name}
	if in.Slug != nil {
		b.Slug = *in.Slug
	}
	b = b.Normalize()
	if errs := b.Validate(); len(errs) > 0 {
		return &model.BrandPayload{UserErrors: domainUserErrors(errs)}, nil
	}
	out, err := r.CatalogAdmin.CreateBrand(ctx, b)
	if err != nil {
		ue, err := domain.SplitBusiness(err)
		if err != nil {
			return nil, err
		}
		return &model.BrandPayload{UserErrors: toUserErrors(ue)}, nil
	}
	return &model.BrandPayload{Brand: toBrand(out), UserErrors: []*model.UserError{}}, nil
}

func (r *Resolver) attributeCreate(ctx context.Context, in model.AttributeCreateInput) (*model.AttributePayload, error) {
	a := domain.NewAttribute{Name: strings.TrimSpace(in.Name), Type: domain.AttributeType(in.Type)}
	if errs := a.Validate(); len(errs) > 0 {
		return &model.AttributePayload{UserErrors: domainUserErrors(errs)}, nil
	}
	out, err := r.CatalogAdmin.CreateAttribute(ctx, a)
	if err != nil {
		ue, err := domain.SplitBusiness(err)
		if err != nil {
			return nil, err
		}
		return &model.AttributePayload{UserErrors: toUserErrors(ue)}, nil
	}
	return &model.AttributePayload{Attribute: &model.Attribute{Name: out.Name, Type: model.AttributeType(out.Type)}, UserErrors: []*model.UserError{}}, nil
}
