package domain

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on reviews.
const (
	MaxReviewTitleLength = 120
	MaxReviewBodyLength  = 5000
)

// ReviewCursorSort names the order of review listings (newest first) in their cursors,
// whose values are creation times in the form SortCreatedAt uses.
const ReviewCursorSort = "REVIEWS_NEWEST"

// The review events. A review is a rating and, when it has a title or text, a comment:
// each change writes the events of what it changed, to the outbox, in its transaction.
const (
	EventRatingAdded    = "rating.added"
	EventRatingUpdated  = "rating.updated"
	EventRatingDeleted  = "rating.deleted"
	EventCommentCreated = "comment.created"
	EventCommentUpdated = "comment.updated"
	EventCommentDeleted = "comment.deleted"
)

// Review is a customer's review of a product they bought: one per customer and product.
// A hidden review (an admin's decision) is left out of listings and of the rating.
type Review struct {
	ID         int64
	ProductID  int64
	UserID     int64
	AuthorName string
	Rating     int
	Title      string
	Body       string
	Hidden     bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// HasComment reports whether the review says something beyond its rating.
func (r Review) HasComment() bool { return r.Title != "" || r.Body != "" }

// VisibleTo reports whether the caller may read the review: anyone when it is visible,
// only admins and its author when it is hidden.
func (r Review) VisibleTo(id Identity, signedIn bool) bool {
	return !r.Hidden || (signedIn && (id.IsAdmin() || id.UserID == r.UserID))
}

// ReviewEventData is the payload of the rating.* and comment.* events.
type ReviewEventData struct {
	ReviewID  int64 `json:"reviewId"`
	ProductID int64 `json:"productId"`
	UserID    int64 `json:"userId"`
	Rating    int   `json:"rating"`
	// PreviousRating is the rating before a rating.updated.
	PreviousRating int    `json:"previousRating,omitempty"`
	Title          string `json:"title,omitempty"`
	Body           string `json:"body,omitempty"`
	// Reason says why a review left or came back: "hidden", "shown" or "deleted".
	Reason string `json:"reason,omitempty"`
}

// NewReview is what writing a review takes.
type NewReview struct {
	ProductID int64
	UserID    int64
	Rating    int
	Title     string
	Body      string
}

// ReviewChanges is a partial update of a review: nil fields stay as they are.
type ReviewChanges struct {
	Rating *int
	Title  *string
	Body   *string
}

func checkRating(path []string, r int) *Error {
	if r < 1 || r > 5 {
		return FieldError(path, "rating must be between 1 and 5")
	}
	return nil
}

func checkReviewText(path []string, name, s string, max int) *Error {
	if utf8.RuneCountInString(s) > max || !validText(s) {
		return FieldError(path, "%s must be at most %d characters of text", name, max)
	}
	return nil
}

// Normalize trims the text.
func (n NewReview) Normalize() NewReview {
	n.Title, n.Body = strings.TrimSpace(n.Title), strings.TrimSpace(n.Body)
	return n
}

// Validate returns the problems of a normalized review, blaming fields under input.
func (n NewReview) Validate() []*Error {
	return collect(
		checkRating([]string{"input", "rating"}, n.Rating),
		checkReviewText([]string{"input", "title"}, "title", n.Title, MaxReviewTitleLength),
		checkReviewText([]string{"input", "body"}, "body", n.Body, MaxReviewBodyLength),
	)
}

// Normalize trims the text that is set.
func (c ReviewChanges) Normalize() ReviewChanges {
	trim := func(s *string) *string {
		if s == nil {
			return nil
		}
		t := strings.TrimSpace(*s)
		return &t
	}
	c.Title, c.Body = trim(c.Title), trim(c.Body)
	return c
}

// Validate returns the problems of the set fields of a normalized c.
func (c ReviewChanges) Validate() []*Error {
	if c.Rating == nil && c.Title == nil && c.Body == nil {
		return []*Error{FieldError([]string{"input"}, "nothing to change")}
	}
	var errs []*Error
	if c.Rating != nil {
		errs = append(errs, checkRating([]string{"input", "rating"}, *c.Rating))
	}
	if c.Title != nil {
		errs = append(errs, checkReviewText([]string{"input", "title"}, "title", *c.Title, MaxReviewTitleLength))
	}
	if c.Body != nil {
		errs = append(errs, checkReviewText([]string{"input", "body"}, "body", *c.Body, MaxReviewBodyLength))
	}
	return collect(errs...)
}

// ReviewPage is one page of a product's visible reviews, newest first.
type ReviewPage struct {
	Reviews     []Review
	Cursors     []Cursor
	HasNextPage bool
}

// ReviewStore keeps reviews. Every change updates the product's rating (count and sum of
// its visible reviews) and writes its rating.* and comment.* events to the outbox, all
// in one transaction. Errors: NOT_FOUND for an unknown or deleted product, or a review
// that is not the caller's to change (the same for one that does not exist); business
// errors NOT_PURCHASED (the customer has no order of the product PAID or later) and
// ALREADY_REVIEWED. On error nothing changes.
type ReviewStore interface {
	// CreateReview writes a review of a live product by a customer who bought it; n must
	// be normalized and valid.
	CreateReview(ctx context.Context, n NewReview) (Review, error)
	// UpdateReview changes the review when it is userID's; c must be normalized and valid.
	UpdateReview(ctx context.Context, id, userID int64, c ReviewChanges) (Review, error)
	// DeleteReview deletes the review when it is the caller's or the caller is an admin,
	// and returns it as it was.
	DeleteReview(ctx context.Context, id int64, caller Identity) (Review, error)
	// HideReview hides (or shows again) a review.
	HideReview(ctx context.Context, id int64, hidden bool) (Review, error)
	// ReviewsByID returns the reviews with the given ids, hidden ones included.
	ReviewsByID(ctx context.Context, ids []int64) (map[int64]Review, error)
	// ProductReviews returns one page of each product's visible reviews, newest first, in
	// one round trip; page is forward only (First and After). Every id is a key.
	ProductReviews(ctx context.Context, productIDs []int64, page PageArgs) (map[int64]ReviewPage, error)
}
