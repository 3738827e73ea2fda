package api_test

import (
	"strings"
	"testing"

	"github.com/shopgraph/shopgraph/domain"
)

type reviewPayload struct {
	Review *struct {
		ID, Title, Body, AuthorName string
		Rating                      int
		Hidden, ViewerIsAuthor      bool
	}
	UserErrors userErrors
}

const reviewFields = `review { id title body authorName rating hidden viewerIsAuthor } userErrors { field message code }`

func (h *harness) reviewCreate(productID string, rating int, title string) reviewPayload {
	h.t.Helper()
	var out struct{ ReviewCreate reviewPayload }
	h.data(`mutation($in: ReviewCreateInput!) { reviewCreate(input: $in) { `+reviewFields+` } }`,
		map[string]any{"in": map[string]any{"productId": productID, "rating": rating, "title": title, "body": "Worth it."}}, &out)
	return out.ReviewCreate
}

func (h *harness) rating(productID string) (float64, int, []string) {
	h.t.Helper()
	var out struct {
		Node struct {
			Rating struct {
				Average float64
				Count   int
			}
			Reviews struct {
				TotalCount int
				Nodes      []struct{ Title string }
			}
		}
	}
	h.data(`query($id: ID!) { node(id: $id) { ... on Product { rating { average count } reviews(first: 10) { totalCount nodes { title } } } } }`, map[string]any{"id": productID}, &out)
	var titles []string
	for _, n := range out.Node.Reviews.Nodes {
		titles = append(titles, n.Title)
	}
	if out.Node.Reviews.TotalCount != out.Node.Rating.Count {
		h.t.Errorf("reviews.totalCount %d, rating.count %d", out.Node.Reviews.TotalCount, out.Node.Rating.Count)
	}
	return out.Node.Rating.Average, out.Node.Rating.Count, titles
}

func TestReviews(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := h.stocked(1, 10)[0]
	var fresh int
	// A product nobody has reviewed yet.
	if err := h.db.Pool.QueryRow(t.Context(), `SELECT rating_count FROM products WHERE id = $1`, dbID(t, p)).Scan(&fresh); err != nil || fresh != 0 {
		t.Fatalf("rating_count %d, %v", fresh, err)
	}
	buyer := func(email string) *harness {
		c := h.as(*h.register(email, "long enough password", "Buyer "+email[:3]).Token)
		cart := c.cartCreate(line(p, 1))
		if o := c.checkout(cart.Cart.ID, "review-"+email, nil); o.Order == nil || o.Order.Status != "PAID" {
			t.Fatalf("checkout: %+v", o)
		}
		return c
	}
	ann, bob := buyer("ann@example.com"), buyer("bob@example.com")
	stranger, _ := h.signedIn(domain.RoleCustomer)
	admin, _ := h.signedIn(domain.RoleAdmin)

	if r := h.post(`mutation { reviewCreate(input: {productId: "x", rating: 5}) { userErrors { code } } }`, nil); r.code() != "UNAUTHENTICATED" {
		t.Errorf("a guest's review: %+v", r.Errors)
	}
	if got := stranger.reviewCreate(p, 5, "never bought it"); got.Review != nil || !got.UserErrors.only("NOT_PURCHASED", "input.productId") {
		t.Errorf("a review without a purchase: %+v", got)
	}
	if got := ann.reviewCreate(p, 6, "too many stars"); !got.UserErrors.only("BAD_USER_INPUT", "input.rating") {
		t.Errorf("rating 6: %+v", got)
	}
	first := ann.reviewCreate(p, 4, "Good")
	if first.Review == nil || !first.Review.ViewerIsAuthor || first.Review.AuthorName != "Buyer ann" {
		t.Fatalf("reviewCreate %+v", first)
	}
	if got := ann.reviewCreate(p, 5, "again"); !got.UserErrors.only("ALREADY_REVIEWED", "input.productId") {
		t.Errorf("a second review: %+v", got)
	}
	second := bob.reviewCreate(p, 2, "Meh")
	if avg, n, titles := h.rating(p); avg != 3 || n != 2 || strings.Join(titles, ",") != "Meh,Good" {
		t.Errorf("rating %v of %d, reviews %v; want 3 of 2, newest first", avg, n, titles)
	}

	// Only the author edits; others are told there is no such review of theirs.
	var upd struct{ ReviewUpdate reviewPayload }
	const update = `mutation($id: ID!, $in: ReviewUpdateInput!) { reviewUpdate(id: $id, input: $in) { ` + reviewFields + ` } }`
	bob.data(update, map[string]any{"id": first.Review.ID, "in": map[string]any{"rating": 1}}, &upd)
	if !upd.ReviewUpdate.UserErrors.only("NOT_FOUND", "id") {
		t.Errorf("editing another's review: %+v", upd.ReviewUpdate)
	}
	ann.data(update, map[string]any{"id": first.Review.ID, "in": map[string]any{"rating": 5, "title": "Great"}}, &upd)
	if upd.ReviewUpdate.Review == nil || upd.ReviewUpdate.Review.Rating != 5 {
		t.Fatalf("reviewUpdate %+v", upd.ReviewUpdate)
	}
	if avg, n, _ := h.rating(p); avg != 3.5 || n != 2 {
		t.Errorf("rating %v of %d after the edit, want 3.5 of 2", avg, n)
	}

	// An admin hides a review: it leaves the listing and the rating, and comes back.
	var hide struct{ ReviewHide reviewPayload }
	if r := ann.post(`mutation($id: ID!) { reviewHide(id: $id) { userErrors { code } } }`, map[string]any{"id": second.Review.ID}); r.code() != "FORBIDDEN" {
		t.Errorf("a customer hiding a review: %+v", r.Errors)
	}
	admin.data(`mutation($id: ID!) { reviewHide(id: $id) { `+reviewFields+` } }`, map[string]any{"id": second.Review.ID}, &hide)
	if hide.ReviewHide.Review == nil || !hide.ReviewHide.Review.Hidden {
		t.Fatalf("reviewHide %+v", hide.ReviewHide)
	}
	if avg, n, titles := h.rating(p); avg != 5 || n != 1 || len(titles) != 1 {
		t.Errorf("with one review hidden: rating %v of %d, reviews %v", avg, n, titles)
	}
	node := `query($id: ID!) { node(id: $id) { id } }`
	var seen struct{ Node *struct{ ID string } }
	stranger.data(node, map[string]any{"id": second.Review.ID}, &seen)
	if seen.Node != nil {
		t.Errorf("a stranger sees a hidden review")
	}
	bob.data(node, map[string]any{"id": second.Review.ID}, &seen)
	if seen.Node == nil {
		t.Errorf("its author does not see a hidden review")
	}

	// Deleting: only one's own (or an admin's).
	var del struct{ ReviewDelete reviewPayload }
	const remove = `mutation($id: ID!) { reviewDelete(id: $id) { ` + reviewFields + ` } }`
	bob.data(remove, map[string]any{"id": first.Review.ID}, &del)
	if !del.ReviewDelete.UserErrors.only("NOT_FOUND", "id") {
		t.Errorf("deleting another's review: %+v", del.ReviewDelete)
	}
	ann.data(remove, map[string]any{"id": first.Review.ID}, &del)
	if del.ReviewDelete.Review == nil {
		t.Fatalf("reviewDelete %+v", del.ReviewDelete)
	}
	if avg, n, _ := h.rating(p); avg != 0 || n != 0 {
		t.Errorf("rating %v of %d after deleting the one visible review", avg, n)
	}

	// Each change wrote its events to the outbox, keyed by the product.
	want := "rating.added comment.created rating.added comment.created rating.updated comment.updated rating.deleted comment.deleted rating.deleted comment.deleted"
	var got []string
	for _, typ := range h.outboxTypes(dbID(t, p)) {
		if strings.HasPrefix(typ, "rating.") || strings.HasPrefix(typ, "comment.") {
			got = append(got, typ)
		}
	}
	if strings.Join(got, " ") != want {
		t.Errorf("review events\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

// TestReviewsNoNPlusOne counts the statements of a page of products with their ratings
// and first reviews: the page, and one for every product's reviews.
func TestReviewsNoNPlusOne(t *testing.T) {
	h := newHarness(t)
	count := func(n int) int64 {
		var out struct{ Products struct{ Nodes []any } }
		h.counter.Reset()
		h.data(`query($n: Int) { products(first: $n) { nodes { id rating { average count } reviews(first: 3) { totalCount nodes { rating title authorName } } } } }`, map[string]any{"n": n}, &out)
		if len(out.Products.Nodes) != n {
			t.Fatalf("%d products, want %d", len(out.Products.Nodes), n)
		}
		return h.counter.Count()
	}
	small, large := count(2), count(50)
	t.Logf("statements: %d for 2 products, %d for 50", small, large)
	if small != 2 || large != 2 {
		t.Errorf("products with reviews cost %d and %d statements, want 2", small, large)
	}
}
