package app

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/postgres"
)

// reviewLines are the demo reviews' titles and texts, by rating.
var reviewLines = map[int][][2]string{
	5: {{"Love it", "Exactly as described and arrived quickly. Would buy again."}, {"Excellent quality", "Better than I expected for the price."}, {"Perfect", ""}},
	4: {{"Very good", "Does the job well; one small niggle with the packaging."}, {"Solid buy", "Good value. Sizing runs slightly large."}, {"", ""}},
	3: {{"It's fine", "Decent, nothing special."}, {"Average", "Works, but I expected a little more."}},
	2: {{"Disappointed", "The colour was not what the pictures showed."}, {"Not great", ""}},
	1: {{"Broke quickly", "Stopped working after two weeks."}},
}

// SeedReviews has the customers of delivered demo orders review about half of the
// products they received, through the review store (so each product's rating and the
// rating.* and comment.* events are as a storefront would leave them). Ratings lean
// positive, as real shops' do. The choices are deterministic; it returns how many
// reviews it wrote, and skips products a customer already reviewed.
func SeedReviews(ctx context.Context, db *postgres.DB) (int, error) {
	rows, err := db.Pool.Query(ctx, `SELECT DISTINCT o.user_id, l.product_id FROM orders o JOIN order_lines l ON l.order_id = o.id
		WHERE o.status = 'DELIVERED' AND o.user_id IS NOT NULL ORDER BY 1, 2`)
	if err != nil {
		return 0, fmt.Errorf("listing delivered products: %w", err)
	}
	type pair struct{ user, product int64 }
	var pairs []pair
	for rows.Next() {
		var p pair
		if err := rows.Scan(&p.user, &p.product); err != nil {
			return 0, err
		}
		pairs = append(pairs, p)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	store := postgres.NewReviewStore(db)
	rng := rand.New(rand.NewPCG(14, 2026))
	n := 0
	for _, p := range pairs {
		if rng.IntN(2) == 0 {
			continue
		}
		rating := []int{5, 5, 5, 4, 4, 4, 3, 2, 1}[rng.IntN(9)]
		lines := reviewLines[rating]
		line := lines[rng.IntN(len(lines))]
		_, err := store.CreateReview(ctx, domain.NewReview{ProductID: p.product, UserID: p.user, Rating: rating, Title: line[0], Body: line[1]})
		var be *domain.BusinessError
		if errors.As(err, &be) && be.Code == "ALREADY_REVIEWED" {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("reviewing product %d: %w", p.product, err)
		}
		n++
	}
	return n, nil
}
