package app

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/postgres"
)

// SeedOrders places n demo orders spread over the 90 days before now, through the same
// order store the checkout uses, each with a real status history and real outbox events:
// most end delivered, the rest are spread over every other status. Customers are drawn
// from customers; about one order in five is a guest's. The choices are deterministic.
func SeedOrders(ctx context.Context, db *postgres.DB, customers []domain.User, n int, now time.Time) (map[domain.OrderStatus]int, error) {
	counts, _, err := seedOrders(ctx, db, customers, n, now)
	return counts, err
}

// SeededOrder is what the clickstream backfill needs to know of a demo order.
type SeededOrder struct {
	SessionID string
	PlacedAt  time.Time
	Products  []int64
}

func seedOrders(ctx context.Context, db *postgres.DB, customers []domain.User, n int, now time.Time) (map[domain.OrderStatus]int, []SeededOrder, error) {
	rows, err := db.Pool.Query(ctx, `SELECT v.id, v.product_id FROM product_variants v JOIN products p ON p.id = v.product_id
		WHERE v.deleted_at IS NULL AND p.deleted_at IS NULL AND v.stock >= 20 ORDER BY v.id`)
	if err != nil {
		return nil, nil, fmt.Errorf("listing variants to order: %w", err)
	}
	var products []int64 // variant ids
	productOf := map[int64]int64{}
	for rows.Next() {
		var id, pid int64
		if err := rows.Scan(&id, &pid); err != nil {
			return nil, nil, err
		}
		products = append(products, id)
		productOf[id] = pid
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(products) == 0 {
		return nil, nil, fmt.Errorf("no products in stock to order")
	}
	if err := seedDiscounts(ctx, db, now); err != nil {
		return nil, nil, err
	}
	if err := seedShippingMethods(ctx, db); err != nil {
		return nil, nil, err
	}
	orders := postgres.NewOrderStore(db)
	rng := rand.New(rand.NewPCG(2026, 11))
	methods := []domain.PaymentMethod{domain.PaymentCard, domain.PaymentCard, domain.PaymentUPI, domain.PaymentWallet, domain.PaymentCOD}
	cities := []struct{ city, postal, country string }{
		{"Pune", "411001", "IN"}, {"Bengaluru", "560001", "IN"}, {"London", "N1 9GU", "GB"}, {"Austin", "73301", "US"}, {"Berlin", "10115", "DE"},
	}
	counts := map[domain.OrderStatus]int{}
	var seeded []SeededOrder
	for i := range n {
		placed := now.Add(-time.Duration(rng.Int64N(int64(90 * 24 * time.Hour)))).Truncate(time.Second)
		lines := make([]domain.CartLine, 1+rng.IntN(3))
		seen := map[int64]bool{}
		for j := range lines {
			p := products[rng.IntN(len(products))]
			for seen[p] {
				p = products[rng.IntN(len(products))]
			}
			seen[p] = true
			lines[j] = domain.CartLine{VariantID: p, Quantity: 1 + rng.IntN(2)}
		}
		c := cities[rng.IntN(len(cities))]
		req := domain.CheckoutRequest{
			Cart:            domain.Cart{ID: fmt.Sprintf("seed-%d", i), Lines: lines},
			Email:           fmt.Sprintf("guest%d@shoppers.example", i),
			PaymentMethod:   methods[rng.IntN(len(methods))],
			ShippingAddress: domain.Address{Name: "Demo Shopper", Line1: fmt.Sprintf("%d Market Street", 1+rng.IntN(200)), City: c.city, PostalCode: c.postal, Country: c.country},
			IdempotencyKey:  fmt.Sprintf("seed-%d", i),
			SessionID:       fmt.Sprintf("seed-session-%d", i),
		}
		so := SeededOrder{SessionID: req.SessionID, PlacedAt: placed}
		for _, l := range lines {
			so.Products = append(so.Products, productOf[l.VariantID])
		}
		seeded = append(seeded, so)
		if rng.IntN(5) != 0 && len(customers) > 0 {
			u := customers[rng.IntN(len(customers))]
			req.UserID, req.Email = u.ID, u.Email
			req.ShippingAddress.Name = u.Name
		} else if i%2 == 0 {
			// Guests (each their own email) try the demo codes; a code a cart does not
			// qualify for is ignored.
			req.DiscountCodes = []string{seedCodes[i/2%len(seedCodes)]}
		}
		at := placed
		step := func(d time.Duration) context.Context {
			if at = at.Add(d); at.After(now) {
				at = now
			}
			return domain.WithTime(ctx, at)
		}
		o, _, err := orders.PlaceOrder(step(0), req)
		if err != nil {
			return counts, seeded, fmt.Errorf("placing demo order %d: %w", i, err)
		}
		final := seedFate(rng.IntN(100), now.Sub(placed))
		if i < len(domain.AllOrderStatuses) {
			final = domain.AllOrderStatuses[i] // every status is represented, whatever n
		}
		if final == domain.StatusPending {
			counts[final]++
			continue
		}
		if final == domain.StatusCancelled && rng.IntN(2) == 0 {
			if _, err := orders.FailPayment(step(time.Minute), o.ID, "payment declined: card declined"); err != nil {
				return counts, seeded, err
			}
			counts[final]++
			continue
		}
		if _, err := orders.RecordPayment(step(time.Minute), o.ID, fmt.Sprintf("seed_%d", i)); err != nil {
			return counts, seeded, err
		}
		path := map[domain.OrderStatus][]domain.Transition{
			domain.StatusPaid:      nil,
			domain.StatusCancelled: {{To: domain.StatusCancelled, Note: "customer changed their mind"}},
			domain.StatusShipped:   {{To: domain.StatusShipped, Shipment: &domain.Shipment{Carrier: "DHL", TrackingNumber: fmt.Sprintf("JD%08d", i)}}},
			domain.StatusDelivered: {{To: domain.StatusShipped, Shipment: &domain.Shipment{Carrier: "DHL", TrackingNumber: fmt.Sprintf("JD%08d", i)}}, {To: domain.StatusDelivered}},
			domain.StatusReturned: {{To: domain.StatusShipped, Shipment: &domain.Shipment{Carrier: "BlueDart", TrackingNumber: fmt.Sprintf("BD%08d", i)}},
				{To: domain.StatusDelivered}, {To: domain.StatusReturned, Note: "arrived damaged"}},
		}[final]
		for _, t := range path {
			if _, _, err := orders.Transition(step(time.Duration(6+rng.IntN(30))*time.Hour), o.ID, t); err != nil {
				return counts, seeded, fmt.Errorf("moving demo order %d to %s: %w", i, t.To, err)
			}
		}
		counts[final]++
	}
	return counts, seeded, nil
}

// seedCodes are the demo discount codes.
var seedCodes = []string{"WELCOME10", "SAVE5"}

// seedDiscounts creates the demo discount codes, live since before the oldest demo order:
// WELCOME10 takes 10 % off, once per customer; SAVE5 takes 5.00 off orders of 50.00 or
// more, 1000 times in all. Codes that exist already are left as they are.
func seedDiscounts(ctx context.Context, db *postgres.DB, now time.Time) error {
	store := postgres.NewDiscountStore(db)
	start := now.Add(-120 * 24 * time.Hour)
	for _, d := range []domain.Discount{
		{Code: "WELCOME10", Title: "Welcome: 10% off", Kind: domain.DiscountPercentage, Value: 1000, PerCustomerLimit: 1, StartsAt: start},
		{Code: "SAVE5", Title: "5.00 off orders over 50.00", Kind: domain.DiscountFixedAmount, Value: 500, MinSubtotal: 5000, UsageLimit: 1000, StartsAt: start},
	} {
		if errs := d.Validate(); len(errs) > 0 {
			return fmt.Errorf("demo discount %s: %w", d.Code, errs[0])
		}
		_, err := store.CreateDiscount(ctx, d)
		var be *domain.BusinessError
		if err != nil && !(errors.As(err, &be) && be.Code == "CONFLICT") {
			return fmt.Errorf("creating demo discount %s: %w", d.Code, err)
		}
	}
	return nil
}

// seedShippingMethods creates the demo shipping methods, unless some exist: Standard
// (4.99, free from 50.00, everywhere, 3 to 5 days) and Express (14.99, everywhere, 1 to 2
// days). Demo orders take the default, the cheapest.
func seedShippingMethods(ctx context.Context, db *postgres.DB) error {
	store := postgres.NewShippingMethodStore(db)
	existing, err := store.ShippingMethods(ctx)
	if err != nil || len(existing) > 0 {
		return err
	}
	for _, m := range []domain.ShippingMethod{
		{Name: "Standard", Price: 499, FreeOver: 5000, MinDays: 3, MaxDays: 5},
		{Name: "Express", Price: 1499, MinDays: 1, MaxDays: 2},
	} {
		if _, err := store.CreateShippingMethod(ctx, m); err != nil {
			return fmt.Errorf("creating demo shipping method %s: %w", m.Name, err)
		}
	}
	return nil
}

// seedFate picks a demo order's final status from a roll of 0-99 and its age: recent orders
// are still on their way, old ones mostly delivered.
func seedFate(roll int, age time.Duration) domain.OrderStatus {
	switch {
	case age < 2*24*time.Hour && roll < 30:
		return domain.StatusPending
	case age < 4*24*time.Hour && roll < 60:
		return domain.StatusPaid
	case age < 7*24*time.Hour && roll < 80:
		return domain.StatusShipped
	}
	switch {
	case roll < 3:
		return domain.StatusPending
	case roll < 10:
		return domain.StatusCancelled
	case roll < 15:
		return domain.StatusReturned
	case roll < 20:
		return domain.StatusPaid
	case roll < 25:
		return domain.StatusShipped
	}
	return domain.StatusDelivered
}
