package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/domain"
)

type orderConn struct {
	TotalCount int
	Edges      []struct {
		Cursor string
		Node   struct {
			ID, Number, Status, Email string
			Customer                  *struct{ Email string }
		}
	}
	PageInfo pageInfo
}

// TestOrderListings covers the customer's own orders and the admin's filtered listing,
// paging through both against the same listing computed in SQL.
func TestOrderListings(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, _ := h.signedIn(domain.RoleAdmin)
	customer, email := h.signedIn(domain.RoleCustomer)
	var customerID int64
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT id FROM users WHERE email = $1`, email).Scan(&customerID); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := app.SeedOrders(context.Background(), h.db, []domain.User{{ID: customerID, Email: email, Name: "Cus Tomer"}}, 60, now); err != nil {
		t.Fatal(err)
	}

	// The customer's own orders, newest first, paged forward and back.
	want := h.sqlOrderNumbers(`user_id = $1`, customerID)
	if len(want) < 10 {
		t.Fatalf("only %d orders of the customer", len(want))
	}
	if got := h.walkOrders(customer, `query($f: Int, $a: String, $l: Int, $b: String) { me { orders(first: $f, after: $a, last: $l, before: $b) {
		totalCount edges { cursor node { id number status email customer { email } } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`, "me", 7); !equal(got, want) {
		t.Errorf("me.orders: got %v\nwant %v", got, want)
	}

	// The admin's listing with each filter.
	from := now.Add(-30 * 24 * time.Hour)
	tests := []struct {
		name   string
		filter map[string]any
		where  string
		args   []any
	}{
		{"all", map[string]any{}, "true", nil},
		{"delivered", map[string]any{"status": "DELIVERED"}, "status = 'DELIVERED'", nil},
		{"last 30 days", map[string]any{"from": from.Format(time.RFC3339Nano)}, "created_at >= $1", []any{from}},
		{"by email", map[string]any{"customerEmail": "GUEST3@shoppers.example"}, "lower(email) = 'guest3@shoppers.example'", nil},
		{"nothing", map[string]any{"status": "RETURNED", "customerEmail": "nobody@example.com"}, "false", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := h.sqlOrderNumbers(tc.where, tc.args...)
			q := fmt.Sprintf(`query($f: Int, $a: String) { orders(first: $f, after: $a, filter: %s) {
				totalCount edges { cursor node { id number status email } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, gqlObject(tc.filter))
			if got := h.walkOrders(admin, q, "orders", 9); !equal(got, want) {
				t.Errorf("got %v\nwant %v", got, want)
			}
		})
	}
	if r := customer.post(`{ orders { totalCount } }`, nil); r.code() != "FORBIDDEN" {
		t.Errorf("a customer listed every order: %+v", r.Errors)
	}
}

// sqlOrderNumbers is the oracle: order numbers matching where, newest first.
func (h *harness) sqlOrderNumbers(where string, args ...any) []string {
	h.t.Helper()
	rows, err := h.db.Pool.Query(context.Background(), `SELECT number FROM orders WHERE `+where+` ORDER BY created_at DESC, id DESC`, args...)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// walkOrders pages forward through an order connection at path ("me" reads me.orders)
// and checks totalCount against the number of orders seen.
func (h *harness) walkOrders(who *harness, q, path string, size int) []string {
	h.t.Helper()
	var numbers []string
	var after *string
	for pages := 0; pages < 100; pages++ {
		var out struct {
			Me     struct{ Orders orderConn }
			Orders orderConn
		}
		who.data(q, map[string]any{"f": size, "a": after}, &out)
		c := out.Orders
		if path == "me" {
			c = out.Me.Orders
		}
		for _, e := range c.Edges {
			numbers = append(numbers, e.Node.Number)
		}
		if !c.PageInfo.HasNextPage {
			if c.TotalCount != len(numbers) {
				h.t.Errorf("totalCount %d, walked %d", c.TotalCount, len(numbers))
			}
			return numbers
		}
		after = c.PageInfo.EndCursor
	}
	h.t.Fatal("order pagination does not end")
	return nil
}

func gqlObject(m map[string]any) string {
	s := "{"
	for k, v := range m {
		switch v := v.(type) {
		case string:
			if k == "status" {
				s += fmt.Sprintf("%s: %s ", k, v)
			} else {
				s += fmt.Sprintf("%s: %q ", k, v)
			}
		}
	}
	return s + "}"
}
