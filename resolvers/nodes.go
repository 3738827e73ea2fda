package resolvers

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/graph/model"
)

// node fetches the object behind any global id. A malformed id is a BAD_USER_INPUT error;
// a well-formed id of nothing visible is null.
func (r *Resolver) node(ctx context.Context, gid string) (model.Node, error) {
	typ, id, ok := decodeAnyID(gid)
	if !ok {
		return nil, domain.FieldError([]string{"id"}, "id is not a valid global id")
	}
	switch typ {
	case typeProduct:
		p, err := r.productByID(ctx, id)
		if p == nil || err != nil {
			return nil, err
		}
		return p, nil
	case typeCategory:
		c, err := r.categoryByID(ctx, id)
		if c == nil || err != nil {
			return nil, err
		}
		return c, nil
	case typeOrder:
		o, err := r.visibleOrder(ctx, gid, "id")
		if o == nil || err != nil {
			return nil, err
		}
		return toOrder(*o), nil
	case typeVariant:
		v, err := loadersFrom(ctx).VariantByID().Load(ctx, id)()
		if domain.IsNotFound(err) || (err == nil && v.Deleted) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return toVariant(v), nil
	case typeBrand:
		b, err := loadersFrom(ctx).BrandByID().Load(ctx, id)()
		if domain.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return toBrand(b), nil
	case typeReview:
		l := loadersFrom(ctx).ReviewByID()
		if l == nil {
			return nil, nil
		}
		rv, err := l.Load(ctx, id)()
		if domain.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if caller, signedIn := domain.IdentityFrom(ctx); !rv.VisibleTo(caller, signedIn) {
			return nil, nil
		}
		return toReview(ctx, rv), nil
	case typeReturn:
		ret, err := r.visibleReturn(ctx, id)
		if ret == nil || err != nil {
			return nil, err
		}
		return ret, nil
	case typeWarehouse:
		return r.warehouseNode(ctx, id)
	case typeUser:
		caller, ok := domain.IdentityFrom(ctx)
		if !ok || (caller.UserID != id && !caller.IsAdmin()) {
			return nil, nil
		}
		u, err := loadersFrom(ctx).UserByID().Load(ctx, id)()
		if domain.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return toUser(u), nil
	}
	return nil, nil
}

// productByID returns the live product with the id through the request's loader, or nil.
func (r *Resolver) productByID(ctx context.Context, id int64) (*model.Product, error) {
	p, err := loadersFrom(ctx).ProductByID().Load(ctx, id)()
	if err == nil && p.Deleted {
		return nil, nil
	}
	return productOrNil(p, err)
}

// categoryByID returns the category with the id through the request's loader, or nil.
func (r *Resolver) categoryByID(ctx context.Context, id int64) (*model.Category, error) {
	c, err := r.categoryOf(ctx, id)
	if domain.IsNotFound(err) {
		return nil, nil
	}
	return c, err
}

// productOrNil turns a NOT_FOUND into a null product.
func productOrNil(p domain.Product, err error) (*model.Product, error) {
	if domain.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return toProduct(p), nil
}

// validText reports whether s can be a slug or similar key at all: Postgres refuses NUL
// bytes and invalid UTF-8, and no key is longer than this.
func validText(s string) bool {
	return len(s) <= 255 && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
