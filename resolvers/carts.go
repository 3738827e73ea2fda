package resolvers

import (
	"context"
	"strconv"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/graph/model"
)

func toCart(c domain.Cart) *model.Cart {
	m := &model.Cart{ID: c.ID, Codes: c.DiscountCodes, UpdatedAt: c.UpdatedAt, Lines: make([]*model.CartLine, len(c.Lines))}
	for i, l := range c.Lines {
		m.Lines[i] = &model.CartLine{ID: encodeID(typeCartLine, l.VariantID), VariantID: l.VariantID, Quantity: l.Quantity}
	}
	return m
}

// cartPayload answers a cart mutation: the cart, or the user errors of a business
// failure; other errors (the cart store being down) are returned as errors.
func cartPayload(c domain.Cart, err error) (*model.CartPayload, error) {
	if err != nil {
		ue, err := domain.SplitBusiness(err)
		if err != nil {
			return nil, err
		}
		return &model.CartPayload{UserErrors: toUserErrors(ue)}, nil
	}
	return &model.CartPayload{Cart: toCart(c), UserErrors: []*model.UserError{}}, nil
}

func cartFailure(field []string, code, msg string) *model.CartPayload {
	return &model.CartPayload{UserErrors: []*model.UserError{{Field: field, Message: msg, Code: code}}}
}

// visibleCart returns the cart with the id when the caller may use it; a NOT_FOUND error
// otherwise, the same for a cart that does not exist and one that belongs to someone else.
func (r *Resolver) visibleCart(ctx context.Context, id string) (domain.Cart, error) {
	if !validText(id) {
		return domain.Cart{}, domain.Errorf(domain.CodeNotFound, "no such cart")
	}
	c, err := r.Carts.Cart(ctx, id)
	if err != nil {
		return c, err
	}
	caller, signedIn := domain.IdentityFrom(ctx)
	if !c.VisibleTo(caller, signedIn) {
		return domain.Cart{}, domain.Errorf(domain.CodeNotFound, "no such cart")
	}
	return c, nil
}

// checkLines decodes and validates lines to add to cart (the zero Cart for a new one):
// every product must be sold, its variant named when it has several (VARIANT_REQUIRED
// otherwise) and one of its own, and the cart's quantity of the variant plus the new
// units must be in stock and within the per-line cap. It returns the domain lines, or
// user errors.
func (r *Resolver) checkLines(ctx context.Context, cart domain.Cart, lines []*model.CartLineInput) ([]domain.CartLineInput, []*model.UserError) {
	if len(lines) > domain.MaxCartLines {
		return nil, []*model.UserError{{Field: []string{"lines"}, Message: "too many lines at once", Code: "BAD_USER_INPUT"}}
	}
	inCart := map[int64]int{}
	for _, l := range cart.Lines {
		inCart[l.VariantID] = l.Quantity
	}
	type want struct {
		product, variant int64
		quantity         int
	}
	wants := make([]want, 0, len(lines))
	var errs []*model.UserError
	ids := make([]int64, 0, len(lines))
	for i, l := range lines {
		path := []string{"lines", strconv.Itoa(i)}
		id, err := decodeID(l.ProductID, typeProduct, append(path, "productId")...)
		if err != nil {
			errs = append(errs, domainUserErrors([]*domain.Error{err.(*domain.Error)})...)
			continue
		}
		vid, derr := optionalID(l.VariantID, typeVariant, append(path, "variantId")...)
		if derr != nil {
			errs = append(errs, domainUserErrors([]*domain.Error{derr})...)
			continue
		}
		if e := domain.ValidateQuantity(append(path, "quantity"), l.Quantity, false); e != nil {
			errs = append(errs, domainUserErrors([]*domain.Error{e})...)
			continue
		}
		ids = append(ids, id)
		wants = append(wants, want{id, vid, l.Quantity})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	loaders := loadersFrom(ctx)
	productsThunk := loaders.ProductByID().LoadMany(ctx, ids)
	detailsThunk := loaders.ProductDetails().LoadMany(ctx, ids)
	products, loadErrs := productsThunk()
	details, detailErrs := detailsThunk()
	unavailable := []*model.UserError{{Message: "the catalog is unavailable right now", Code: string(domain.CodeServiceUnavailable)}}
	out := make([]domain.CartLineInput, 0, len(wants))
	wanted := map[int64]int{}
	for i, w := range wants {
		path := []string{"lines", strconv.Itoa(i)}
		if loadErrs != nil && loadErrs[i] != nil {
			if domain.IsNotFound(loadErrs[i]) {
				errs = append(errs, &model.UserError{Field: append(path, "productId"), Message: "no such product", Code: "PRODUCT_UNAVAILABLE"})
				continue
			}
			return nil, unavailable
		}
		if detailErrs != nil && detailErrs[i] != nil {
			return nil, unavailable
		}
		if products[i].Deleted {
			errs = append(errs, &model.UserError{Field: append(path, "productId"), Message: "this product is no longer sold", Code: "PRODUCT_UNAVAILABLE"})
			continue
		}
		vs := details[i].Variants
		var v *domain.Variant
		switch {
		case w.variant != 0:
			for k := range vs {
				if vs[k].ID == w.variant {
					v = &vs[k]
				}
			}
			if v == nil {
				errs = append(errs, &model.UserError{Field: append(path, "variantId"), Message: "no such variant of this product on sale", Code: "VARIANT_UNAVAILABLE"})
				continue
			}
		case len(vs) == 1:
			v = &vs[0]
		default:
			errs = append(errs, &model.UserError{Field: append(path, "variantId"),
				Message: "this product comes in " + strconv.Itoa(len(vs)) + " variants: say which one", Code: "VARIANT_REQUIRED"})
			continue
		}
		wanted[v.ID] += w.quantity
		if total := inCart[v.ID] + wanted[v.ID]; total > v.Stock {
			errs = append(errs, &model.UserError{Field: append(path, "quantity"),
				Message: "only " + strconv.Itoa(v.Stock) + " units are in stock", Code: "OUT_OF_STOCK"})
			continue
		}
		out = append(out, domain.CartLineInput{VariantID: v.ID, Quantity: w.quantity})
	}
	return out, errs
}

// lineVariantIDs decodes cart line ids into the variants they stand for.
func lineVariantIDs(ids []string, field string) ([]int64, []*model.UserError) {
	out := make([]int64, 0, len(ids))
	for i, id := range ids {
		pid, err := decodeID(id, typeCartLine, field, strconv.Itoa(i))
		if err != nil {
			return nil, domainUserErrors([]*domain.Error{err.(*domain.Error)})
		}
		out = append(out, pid)
	}
	return out, nil
}

// cartLineProduct loads a product through the request's loader.
func cartLineProduct(ctx context.Context, productID int64) (domain.Product, error) {
	return loadersFrom(ctx).ProductByID().Load(ctx, productID)()
}

// variantProduct loads the product of a variant through the request's loaders.
func variantProduct(ctx context.Context, variantID int64) (domain.Product, error) {
	v, err := lineVariant(ctx, variantID)
	if err != nil {
		return domain.Product{}, err
	}
	return cartLineProduct(ctx, v.ProductID)
}

// mergeGuestCart moves a guest cart into a customer's cart after sign-in, capping each line
// by the stock. Sign-in succeeds whether or not the merge can be done now.
func (r *Resolver) mergeGuestCart(ctx context.Context, guestCartID *string, userID int64) {
	if guestCartID == nil || r.Carts == nil || !validText(*guestCartID) {
		return
	}
	guest, err := r.Carts.Cart(ctx, *guestCartID)
	if err != nil || guest.UserID != 0 {
		return
	}
	ids := make([]int64, len(guest.Lines))
	for i, l := range guest.Lines {
		ids[i] = l.VariantID
	}
	variants, err := r.Catalog.VariantsByID(ctx, ids)
	if err != nil {
		return
	}
	caps := make(map[int64]int, len(ids))
	for _, id := range ids {
		v, ok := variants[id]
		if !ok || v.Deleted {
			caps[id] = 0
			continue
		}
		caps[id] = v.Stock
	}
	_, _ = r.Carts.MergeInto(ctx, guest.ID, userID, caps)
}
