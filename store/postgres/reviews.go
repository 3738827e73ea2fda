package postgres

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/domain"
)

// ReviewStore keeps reviews and the products' ratings.
type ReviewStore struct {
	db *DB
}

var _ domain.ReviewStore = (*ReviewStore)(nil)

// NewReviewStore returns a ReviewStore over db.
func NewReviewStore(db *DB) *ReviewStore { return &ReviewStore{db: db} }

const reviewColumns = `r.id, r.product_id, r.user_id, u.name, r.rating, r.title, r.body, r.hidden_at IS NOT NULL, r.created_at, r.updated_at`

func scanReview(row pgx.Row) (domain.Review, error) {
	var r domain.Review
	var rating int16
	err := row.Scan(&r.ID, &r.ProductID, &r.UserID, &r.AuthorName, &rating, &r.Title, &r.Body, &r.Hidden, &r.CreatedAt, &r.UpdatedAt)
	r.Rating = int(rating)
	return r, err
}

func reviewByID(ctx context.Context, q pgx.Tx, id int64, lock bool) (domain.Review, error) {
	sql := `SELECT ` + reviewColumns + ` FROM reviews r JOIN users u ON u.id = r.user_id WHERE r.id = $1`
	if lock {
		sql += ` FOR UPDATE OF r`
	}
	r, err := scanReview(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, &domain.Error{Code: domain.CodeNotFound, Message: "no such review", Field: []string{"id"}}
	}
	return r, err
}

// reviewEvent returns an event of the review; the key is the product's id, so the
// catalog cache's invalidator (which listens to rating.*) drops the product's rating.
func reviewEvent(typ string, r domain.Review, reason string, prev int) domain.Event {
	d := domain.ReviewEventData{ReviewID: r.ID, ProductID: r.ProductID, UserID: r.UserID, Rating: r.Rating, PreviousRating: prev, Reason: reason}
	if typ == domain.EventCommentCreated || typ == domain.EventCommentUpdated {
		d.Title, d.Body = r.Title, r.Body
	}
	return domain.Event{Type: typ, Key: strconv.FormatInt(r.ProductID, 10), At: r.UpdatedAt, Data: d}
}

// rate adds count reviews totalling sum stars to the product's rating.
func rate(ctx context.Context, tx pgx.Tx, productID int64, count, sum int) error {
	if count == 0 && sum == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE products SET rating_count = rating_count + $2, rating_sum = rating_sum + $3, updated_at = now() WHERE id = $1`,
		productID, count, sum)
	return err
}

func (s *ReviewStore) write(ctx context.Context, fn func(tx pgx.Tx) (domain.Review, []domain.Event, error)) (domain.Review, error) {
	var out domain.Review
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		r, evs, err := fn(tx)
		if err != nil {
			return err
		}
		out = r
		return WriteOutbox(ctx, tx, evs...)
	})
	if err != nil {
		return domain.Review{}, translateTx(err, "review")
	}
	return out, nil
}

// purchasedStatuses are the order statuses that make a customer a buyer: PAID or later,
// cancellations aside.
const purchasedStatuses = `('PAID', 'SHIPPED', 'DELIVERED', 'RETURNED')`

// CreateReview writes a review by a customer who bought the product.
func (s *ReviewStore) CreateReview(ctx context.Context, n domain.NewReview) (domain.Review, error) {
	return s.write(ctx, func(tx pgx.Tx) (domain.Review, []domain.Event, error) {
		var live, bought bool
		err := tx.QueryRow(ctx, `SELECT p.deleted_at IS NULL, EXISTS (SELECT 1 FROM orders o JOIN order_lines l ON l.order_id = o.id
				WHERE o.user_id = $2 AND l.product_id = p.id AND o.status IN `+purchasedStatuses+`)
			FROM products p WHERE p.id = $1`, n.ProductID, n.UserID).Scan(&live, &bought)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && !live) {
			return domain.Review{}, nil, &domain.Error{Code: domain.CodeNotFound, Message: "no such product", Field: []string{"input", "productId"}}
		}
		if err != nil {
			return domain.Review{}, nil, err
		}
		if !bought {
			return domain.Review{}, nil, domain.Business("NOT_PURCHASED", []string{"input", "productId"}, "only customers who bought the product can review it")
		}
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO reviews (product_id, user_id, rating, title, body) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (product_id, user_id) DO NOTHING RETURNING id`, n.ProductID, n.UserID, n.Rating, n.Title, n.Body).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Review{}, nil, domain.Business("ALREADY_REVIEWED", []string{"input", "productId"}, "you have already reviewed this product; change your review instead")
		}
		if err != nil {
			return domain.Review{}, nil, err
		}
		if err := rate(ctx, tx, n.ProductID, 1, n.Rating); err != nil {
			return domain.Review{}, nil, err
		}
		r, err := reviewByID(ctx, tx, id, false)
		if err != nil {
			return r, nil, err
		}
		evs := []domain.Event{reviewEvent(domain.EventRatingAdded, r, "", 0)}
		if r.HasComment() {
			evs = append(evs, reviewEvent(domain.EventCommentCreated, r, "", 0))
		}
		return r, evs, nil
	})
}

// UpdateReview changes the caller's own review.
func (s *ReviewStore) UpdateReview(ctx context.Context, id, userID int64, c domain.ReviewChanges) (domain.Review, error) {
	return s.write(ctx, func(tx pgx.Tx) (domain.Review, []domain.Event, error) {
		old, err := reviewByID(ctx, tx, id, true)
		if err != nil || old.UserID != userID {
			return domain.Review{}, nil, &domain.Error{Code: domain.CodeNotFound, Message: "no such review of yours", Field: []string{"id"}}
		}
		next := old
		if c.Rating != nil {
			next.Rating = *c.Rating
		}
		if c.Title != nil {
			next.Title = *c.Title
		}
		if c.Body != nil {
			next.Body = *c.Body
		}
		if _, err := tx.Exec(ctx, `UPDATE reviews SET rating = $2, title = $3, body = $4, updated_at = now() WHERE id = $1`,
			id, next.Rating, next.Title, next.Body); err != nil {
			return domain.Review{}, nil, err
		}
		if !old.Hidden {
			if err := rate(ctx, tx, old.ProductID, 0, next.Rating-old.Rating); err != nil {
				return domain.Review{}, nil, err
			}
		}
		r, err := reviewByID(ctx, tx, id, false)
		if err != nil {
			return r, nil, err
		}
		var evs []domain.Event
		if r.Rating != old.Rating {
			evs = append(evs, reviewEvent(domain.EventRatingUpdated, r, "", old.Rating))
		}
		switch {
		case !old.HasComment() && r.HasComment():
			evs = append(evs, reviewEvent(domain.EventCommentCreated, r, "", 0))
		case old.HasComment() && !r.HasComment():
			evs = append(evs, reviewEvent(domain.EventCommentDeleted, r, "deleted", 0))
		case r.Title != old.Title || r.Body != old.Body:
			evs = append(evs, reviewEvent(domain.EventCommentUpdated, r, "", 0))
		}
		return r, evs, nil
	})
}

// DeleteReview deletes the caller's own review, or any review for an admin.
func (s *ReviewStore) DeleteReview(ctx context.Context, id int64, caller domain.Identity) (domain.Review, error) {
	return s.write(ctx, func(tx pgx.Tx) (domain.Review, []domain.Event, error) {
		r, err := reviewByID(ctx, tx, id, true)
		if err != nil || (r.UserID != caller.UserID && !caller.IsAdmin()) {
			return domain.Review{}, nil, &domain.Error{Code: domain.CodeNotFound, Message: "no such review of yours", Field: []string{"id"}}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM reviews WHERE id = $1`, id); err != nil {
			return domain.Review{}, nil, err
		}
		r.UpdatedAt = domain.Now(ctx)
		if r.Hidden {
			return r, nil, nil // its events were written when it was hidden
		}
		if err := rate(ctx, tx, r.ProductID, -1, -r.Rating); err != nil {
			return domain.Review{}, nil, err
		}
		evs := []domain.Event{reviewEvent(domain.EventRatingDeleted, r, "deleted", 0)}
		if r.HasComment() {
			evs = append(evs, reviewEvent(domain.EventCommentDeleted, r, "deleted", 0))
		}
		return r, evs, nil
	})
}

// HideReview hides a review, or shows it again.
func (s *ReviewStore) HideReview(ctx context.Context, id int64, hidden bool) (domain.Review, error) {
	return s.write(ctx, func(tx pgx.Tx) (domain.Review, []domain.Event, error) {
		old, err := reviewByID(ctx, tx, id, true)
		if err != nil {
			return old, nil, err
		}
		if old.Hidden == hidden {
			return old, nil, nil
		}
		if _, err := tx.Exec(ctx, `UPDATE reviews SET hidden_at = CASE WHEN $2 THEN now() END, updated_at = now() WHERE id = $1`, id, hidden); err != nil {
			return domain.Review{}, nil, err
		}
		count, sum := 1, old.Rating
		if hidden {
			count, sum = -1, -old.Rating
		}
		if err := rate(ctx, tx, old.ProductID, count, sum); err != nil {
			return domain.Review{}, nil, err
		}
		r, err := reviewByID(ctx, tx, id, false)
		if err != nil {
			return r, nil, err
		}
		rating, comment, reason := domain.EventRatingAdded, domain.EventCommentCreated, "shown"
		if hidden {
			rating, comment, reason = domain.EventRatingDeleted, domain.EventCommentDeleted, "hidden"
		}
		evs := []domain.Event{reviewEvent(rating, r, reason, 0)}
		if r.HasComment() {
			evs = append(evs, reviewEvent(comment, r, reason, 0))
		}
		return r, evs, nil
	})
}

// ReviewsByID returns the reviews with the given ids.
func (s *ReviewStore) ReviewsByID(ctx context.Context, ids []int64) (map[int64]domain.Review, error) {
	rows, err := s.db.read(ctx).Query(ctx, `SELECT `+reviewColumns+` FROM reviews r JOIN users u ON u.id = r.user_id WHERE r.id = ANY($1)`, ids)
	if err != nil {
		return nil, translate(err, "reviews by id")
	}
	out := make(map[int64]domain.Review, len(ids))
	for rows.Next() {
		r, err := scanReview(rows)
		if err != nil {
			rows.Close()
			return nil, translate(err, "reviews by id")
		}
		out[r.ID] = r
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "reviews by id")
	}
	return out, nil
}

// ProductReviews returns a page of each product's visible reviews in one statement, a
// lateral keyset scan per product.
func (s *ReviewStore) ProductReviews(ctx context.Context, productIDs []int64, page domain.PageArgs) (map[int64]domain.ReviewPage, error) {
	limit := page.Limit()
	args := []any{productIDs}
	bound := ""
	if page.After != nil {
		t, err := time.Parse(domain.CursorTimeLayout, page.After.Value)
		if err != nil {
			return nil, domain.FieldError([]string{"after"}, "after is not a valid cursor")
		}
		args = append(args, t, page.After.ID)
		bound = ` AND (r.created_at, r.id) < ($2, $3)`
	}
	sql := `SELECT x.pid, ` + reviewColumns + `, to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
		FROM unnest($1::bigint[]) AS x(pid) CROSS JOIN LATERAL (
			SELECT * FROM reviews r WHERE r.product_id = x.pid AND r.hidden_at IS NULL` + bound + `
			ORDER BY r.created_at DESC, r.id DESC LIMIT ` + strconv.Itoa(limit+1) + `) r
		JOIN users u ON u.id = r.user_id
		ORDER BY x.pid, r.created_at DESC, r.id DESC`
	rows, err := s.db.read(ctx).Query(ctx, sql, args...)
	if err != nil {
		return nil, translate(err, "product reviews")
	}
	out := make(map[int64]domain.ReviewPage, len(productIDs))
	for rows.Next() {
		var pid int64
		var r domain.Review
		var rating int16
		var cursor string
		if err := rows.Scan(&pid, &r.ID, &r.ProductID, &r.UserID, &r.AuthorName, &rating, &r.Title, &r.Body, &r.Hidden, &r.CreatedAt, &r.UpdatedAt, &cursor); err != nil {
			rows.Close()
			return nil, translate(err, "product reviews")
		}
		r.Rating = int(rating)
		p := out[pid]
		if len(p.Reviews) == limit {
			p.HasNextPage = true
		} else {
			p.Reviews = append(p.Reviews, r)
			p.Cursors = append(p.Cursors, domain.Cursor{Sort: domain.ReviewCursorSort, Value: cursor, ID: r.ID})
		}
		out[pid] = p
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "product reviews")
	}
	for _, id := range productIDs {
		if _, ok := out[id]; !ok {
			out[id] = domain.ReviewPage{Reviews: []domain.Review{}}
		}
	}
	return out, nil
}
