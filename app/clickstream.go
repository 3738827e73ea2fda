package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/postgres"
)

// SeedDemo places the demo orders, has their customers review what was delivered, and backfills the storefront clickstream that led to
// them, plus sessions that browsed and left, through the same pipeline the storefront
// uses (publisher → JetStream → ingester). It returns the order counts by status and the
// number of clickstream events published.
func SeedDemo(ctx context.Context, db *postgres.DB, pub domain.AnalyticsPublisher, customers []domain.User, orders, dropoffs int, now time.Time) (map[domain.OrderStatus]int, int, error) {
	counts, seeded, err := seedOrders(ctx, db, customers, orders, now)
	if err != nil {
		return counts, 0, err
	}
	if _, err := SeedReviews(ctx, db); err != nil {
		return counts, 0, err
	}
	if pub == nil {
		return counts, 0, nil
	}
	var products []int64
	rows, err := db.Pool.Query(ctx, `SELECT id FROM products WHERE deleted_at IS NULL ORDER BY id`)
	if err != nil {
		return counts, 0, fmt.Errorf("listing products to browse: %w", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return counts, 0, err
		}
		products = append(products, id)
	}
	evs := Clickstream(seeded, products, dropoffs, now)
	for start := 0; start < len(evs); start += 500 {
		end := min(start+500, len(evs))
		if err := pub.PublishTracked(ctx, evs[start:end]); err != nil {
			return counts, start, fmt.Errorf("publishing the demo clickstream: %w", err)
		}
	}
	return counts, len(evs), nil
}

// Clickstream makes a deterministic demo clickstream: for every seeded order, the session
// that viewed its products, added them to the cart and started checking out shortly before
// it was placed; and dropoffs more sessions over the last 90 days that viewed products and
// left, some after adding to the cart, some after starting to check out.
func Clickstream(orders []SeededOrder, products []int64, dropoffs int, now time.Time) []domain.TrackedEvent {
	rng := rand.New(rand.NewPCG(11, 2026))
	var out []domain.TrackedEvent
	add := func(typ domain.TrackEventType, session string, product int64, at time.Time, query string) {
		out = append(out, domain.TrackedEvent{ID: uuid.NewString(), Type: typ, SessionID: session, ProductID: product, At: at.UTC(), Query: query})
	}
	for _, o := range orders {
		at := o.PlacedAt.Add(-time.Duration(5+rng.IntN(40)) * time.Minute)
		add(domain.TrackPageViewed, o.SessionID, 0, at, "")
		for _, p := range o.Products {
			at = at.Add(time.Duration(20+rng.IntN(200)) * time.Second)
			add(domain.TrackProductViewed, o.SessionID, p, at, "")
			at = at.Add(time.Duration(10+rng.IntN(60)) * time.Second)
			add(domain.TrackAddedToCart, o.SessionID, p, at, "")
		}
		add(domain.TrackCheckoutStarted, o.SessionID, 0, o.PlacedAt.Add(-time.Minute), "")
	}
	if len(products) == 0 {
		return out
	}
	searches := []string{"wireless headphones", "organic cotton", "waterproof jacket", "coffee grinder", "yoga mat"}
	for i := range dropoffs {
		session := fmt.Sprintf("seed-browse-%d", i)
		at := now.Add(-time.Duration(rng.Int64N(int64(90 * 24 * time.Hour))))
		add(domain.TrackPageViewed, session, 0, at, "")
		if rng.IntN(3) == 0 {
			at = at.Add(time.Minute)
			add(domain.TrackSearched, session, 0, at, searches[rng.IntN(len(searches))])
		}
		p := products[rng.IntN(len(products))]
		for range 1 + rng.IntN(3) {
			at = at.Add(time.Duration(30+rng.IntN(300)) * time.Second)
			p = products[rng.IntN(len(products))]
			add(domain.TrackProductViewed, session, p, at, "")
		}
		switch roll := rng.IntN(10); {
		case roll < 3:
			add(domain.TrackAddedToCart, session, p, at.Add(time.Minute), "")
		case roll < 4:
			add(domain.TrackAddedToCart, session, p, at.Add(time.Minute), "")
			add(domain.TrackCheckoutStarted, session, 0, at.Add(3*time.Minute), "")
		}
	}
	return out
}
