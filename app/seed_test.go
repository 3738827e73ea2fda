package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/testkit"
)

// TestSeedOrders checks that the demo orders cover every status, lie within the last 90
// days, and carry gap-free histories and their outbox events.
func TestSeedOrders(t *testing.T) {
	t.Parallel()
	db, _ := testkit.Postgres(t)
	ctx := context.Background()
	now := time.Now()
	counts, err := app.SeedOrders(ctx, db, nil, 40, now)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, s := range domain.AllOrderStatuses {
		if counts[s] == 0 {
			t.Errorf("no demo order is %s", s)
		}
		total += counts[s]
	}
	if total != 40 {
		t.Errorf("counted %d orders, want 40", total)
	}
	var bad int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM orders o WHERE o.created_at < $1 OR o.created_at > $2
		OR o.last_sequence <> (SELECT count(*) FROM order_status_events e WHERE e.order_id = o.id)
		OR o.status <> (SELECT status FROM order_status_events e WHERE e.order_id = o.id ORDER BY sequence DESC LIMIT 1)`,
		now.Add(-91*24*time.Hour), now.Add(time.Second)).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("%d demo orders are out of range or have a history that disagrees with them", bad)
	}
	var events, transitions int
	if err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM outbox WHERE type LIKE 'order.%'), (SELECT count(*) FROM order_status_events)`).Scan(&events, &transitions); err != nil {
		t.Fatal(err)
	}
	if events != transitions {
		t.Errorf("%d order events for %d history entries", events, transitions)
	}
	var future int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE occurred_at > $1`, now.Add(time.Second)).Scan(&future); err != nil || future != 0 {
		t.Errorf("%d events dated in the future (%v)", future, err)
	}
}

// TestSeedReviews checks that the customers of delivered demo orders review what they
// received, and that every product's rating covers exactly its reviews.
func TestSeedReviews(t *testing.T) {
	t.Parallel()
	db, _ := testkit.Postgres(t)
	ctx := context.Background()
	var customer domain.User
	if err := db.Pool.QueryRow(ctx, `INSERT INTO users (email, name, role, password_hash) VALUES ('rev@example.com', 'Rev', 'CUSTOMER', 'x') RETURNING id, email, name`).
		Scan(&customer.ID, &customer.Email, &customer.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := app.SeedOrders(ctx, db, []domain.User{customer}, 60, time.Now()); err != nil {
		t.Fatal(err)
	}
	n, err := app.SeedReviews(ctx, db)
	if err != nil || n == 0 {
		t.Fatalf("SeedReviews: %d reviews, %v", n, err)
	}
	again, err := app.SeedReviews(ctx, db)
	if err != nil || again != 0 {
		t.Errorf("a second SeedReviews wrote %d reviews (%v), want 0", again, err)
	}
	var bad, ratings int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM products p WHERE p.rating_count <> (SELECT count(*) FROM reviews r WHERE r.product_id = p.id)
		OR p.rating_sum <> (SELECT coalesce(sum(rating), 0) FROM reviews r WHERE r.product_id = p.id)`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE type = 'rating.added'`).Scan(&ratings); err != nil {
		t.Fatal(err)
	}
	if bad != 0 || ratings != n {
		t.Errorf("%d products whose rating disagrees with their reviews; %d rating.added events for %d reviews", bad, ratings, n)
	}
}
