package resolvers

import (
	"context"
	"encoding/json"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/graph/model"
)

func toReview(ctx context.Context, r domain.Review) *model.Review {
	caller, signedIn := domain.IdentityFrom(ctx)
	return &model.Review{
		ID: encodeID(typeReview, r.ID), DBID: r.ID, ProductID: r.ProductID, AuthorName: r.AuthorName,
		Rating: r.Rating, Title: r.Title, Body: r.Body, Hidden: r.Hidden,
		ViewerIsAuthor: signedIn && caller.UserID == r.UserID,
		CreatedAt:      r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

func toRating(p domain.Product) *model.ProductRating {
	return &model.ProductRating{Average: p.RatingAverage(), Count: p.RatingCount}
}

// productReviews answers Product.reviews through the request's loader: one statement for
// the reviews of every product of a page. totalCount is the product's rating count.
func (r *Resolver) productReviews(ctx context.Context, obj *model.Product, first *int, after *string) (*model.ReviewConnection, error) {
	page, err := domain.PageArgs{First: first}.Normalize()
	if err != nil {
		return nil, err
	}
	if page.After, err = decodeCursor(after, domain.ReviewCursorSort, "after"); err != nil {
		return nil, err
	}
	conn := &model.ReviewConnection{Edges: []*model.ReviewEdge{}, PageInfo: &model.PageInfo{HasPreviousPage: page.After != nil}}
	count := obj.Rating.Count
	conn.Count = func(context.Context) (int, error) { return count, nil }
	l := loadersFrom(ctx).ProductReviews()
	if l == nil {
		return conn, nil
	}
	ps, _ := json.Marshal(page)
	res, err := l.Load(ctx, reviewPageKey{obj.DBID, string(ps)})()
	if err != nil {
		return nil, err
	}
	for i, rv := range res.Reviews {
		conn.Edges = append(conn.Edges, &model.ReviewEdge{Cursor: encodeCursor(res.Cursors[i]), Node: toReview(ctx, rv)})
	}
	conn.PageInfo.HasNextPage = res.HasNextPage
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[n-1].Cursor
	}
	return conn, nil
}

// reviewPayload answers a review mutation. A committed change moved the product's rating:
// the product is dropped from the catalog cache at once, so the author's next read shows
// it (the rating events drop it everywhere else, a moment later).
func (r *Resolver) reviewPayload(ctx context.Context, rv domain.Review, err error) (*model.ReviewPayload, error) {
	if err != nil {
		ue, err := domain.SplitBusiness(err)
		if err != nil {
			return nil, err
		}
		return &model.ReviewPayload{UserErrors: toUserErrors(ue)}, nil
	}
	if r.ProductChanged != nil {
		// A failure leaves the entry to the events' invalidation; the review is saved.
		_ = r.ProductChanged(context.WithoutCancel(ctx), rv.ProductID)
	}
	return &model.ReviewPayload{Review: toReview(ctx, rv), UserErrors: []*model.UserError{}}, nil
}

func reviewFailure(errs []*domain.Error) *model.ReviewPayload {
	return &model.ReviewPayload{UserErrors: domainUserErrors(errs)}
}

func (r *Resolver) reviewCreate(ctx context.Context, in model.ReviewCreateInput) (*model.ReviewPayload, error) {
	caller, _ := domain.IdentityFrom(ctx)
	pid, err := decodeID(in.ProductID, typeProduct, "input", "productId")
	if err != nil {
		return reviewFailure([]*domain.Error{err.(*domain.Error)}), nil
	}
	n := domain.NewReview{ProductID: pid, UserID: caller.UserID, Rating: in.Rating}
	if in.Title != nil {
		n.Title = *in.Title
	}
	if in.Body != nil {
		n.Body = *in.Body
	}
	n = n.Normalize()
	if errs := n.Validate(); len(errs) > 0 {
		return reviewFailure(errs), nil
	}
	rv, err := r.Reviews.CreateReview(ctx, n)
	return r.reviewPayload(ctx, rv, err)
}

func (r *Resolver) reviewUpdate(ctx context.Context, id string, in model.ReviewUpdateInput) (*model.ReviewPayload, error) {
	caller, _ := domain.IdentityFrom(ctx)
	rid, err := decodeID(id, typeReview, "id")
	if err != nil {
		return reviewFailure([]*domain.Error{err.(*domain.Error)}), nil
	}
	c := domain.ReviewChanges{Rating: in.Rating, Title: in.Title, Body: in.Body}.Normalize()
	if errs := c.Validate(); len(errs) > 0 {
		return reviewFailure(errs), nil
	}
	rv, err := r.Reviews.UpdateReview(ctx, rid, caller.UserID, c)
	return r.reviewPayload(ctx, rv, err)
}

func (r *Resolver) reviewDelete(ctx context.Context, id string) (*model.ReviewPayload, error) {
	caller, _ := domain.IdentityFrom(ctx)
	rid, err := decodeID(id, typeReview, "id")
	if err != nil {
		return reviewFailure([]*domain.Error{err.(*domain.Error)}), nil
	}
	rv, err := r.Reviews.DeleteReview(ctx, rid, caller)
	return r.reviewPayload(ctx, rv, err)
}

func (r *Resolver) reviewHide(ctx context.Context, id string, hidden *bool) (*model.ReviewPayload, error) {
	rid, err := decodeID(id, typeReview, "id")
	if err != nil {
		return reviewFailure([]*domain.Error{err.(*domain.Error)}), nil
	}
	rv, err := r.Reviews.HideReview(ctx, rid, hidden == nil || *hidden)
	return r.reviewPayload(ctx, rv, err)
}
