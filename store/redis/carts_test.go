package redis_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/redis"
	"github.com/shopgraph/shopgraph/testkit"
)

// qty is a cart line reduced to what most tests compare: product and quantity.
type qty struct {
	P int64
	Q int
}

// quantities returns the cart's lines as (product, quantity), in the cart's order.
func quantities(c domain.Cart) []qty {
	out := []qty{}
	for _, l := range c.Lines {
		out = append(out, qty{l.VariantID, l.Quantity})
	}
	return out
}

func newCartStore(t *testing.T) (*redis.CartStore, *redis.Client) {
	t.Helper()
	c := testkit.Redis(t)
	return redis.NewCartStore(c), c
}

func createCart(t *testing.T, s *redis.CartStore, userID int64) domain.Cart {
	t.Helper()
	c, err := s.CreateCart(context.Background(), userID)
	if err != nil {
		t.Fatalf("CreateCart(%d): %v", userID, err)
	}
	return c
}

func getCart(t *testing.T, s *redis.CartStore, id string) domain.Cart {
	t.Helper()
	c, err := s.Cart(context.Background(), id)
	if err != nil {
		t.Fatalf("Cart: %v", err)
	}
	return c
}

func addLines(t *testing.T, s *redis.CartStore, id string, lines ...qty) domain.Cart {
	t.Helper()
	in := make([]domain.CartLineInput, len(lines))
	for i, l := range lines {
		in[i] = domain.CartLineInput{VariantID: l.P, Quantity: l.Q}
	}
	c, err := s.AddLines(context.Background(), id, in)
	if err != nil {
		t.Fatalf("AddLines(%v): %v", lines, err)
	}
	return c
}

// cartWith returns a new cart of the user holding the lines, added in their order.
func cartWith(t *testing.T, s *redis.CartStore, userID int64, lines ...qty) domain.Cart {
	t.Helper()
	c := createCart(t, s, userID)
	if len(lines) == 0 {
		return c
	}
	return addLines(t, s, c.ID, lines...)
}

func requireQuantities(t *testing.T, c domain.Cart, want ...qty) {
	t.Helper()
	if want == nil {
		want = []qty{}
	}
	if got := quantities(c); !reflect.DeepEqual(got, want) {
		t.Fatalf("cart lines = %v, want %v", got, want)
	}
}

// requireError fails unless err is a *domain.Error with the code (and, when field is not
// nil, the field), and returns it.
func requireError(t *testing.T, err error, code domain.Code, field []string) *domain.Error {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("error = %v, want a %s domain error", err, code)
	}
	if de.Code != code || domain.ErrorCode(err) != code {
		t.Fatalf("error %q has code %s, want %s", err, de.Code, code)
	}
	if field != nil && !reflect.DeepEqual(de.Field, field) {
		t.Fatalf("error %q blames %q, want %q", err, de.Field, field)
	}
	return de
}

// requireUnchanged fails unless the cart is exactly as before, update time included.
func requireUnchanged(t *testing.T, s *redis.CartStore, before domain.Cart) {
	t.Helper()
	if after := getCart(t, s, before.ID); !reflect.DeepEqual(after, before) {
		t.Fatalf("cart changed:\n got %+v\nwant %+v", after, before)
	}
}

func requireTTL(t *testing.T, c *redis.Client, key string) {
	t.Helper()
	d, err := c.RDB.PTTL(context.Background(), key).Result()
	if err != nil {
		t.Fatalf("PTTL %s: %v", key, err)
	}
	if d <= domain.CartTTL-time.Minute || d > domain.CartTTL {
		t.Fatalf("TTL of %s = %s, want about %s", key, d, domain.CartTTL)
	}
}

func TestCartCreateAndGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newCartStore(t)
	before := time.Now()

	guest := createCart(t, s, 0)
	if guest.UserID != 0 || len(guest.Lines) != 0 {
		t.Fatalf("new guest cart = %+v, want empty and ownerless", guest)
	}
	if guest.UpdatedAt.Before(before.Add(-time.Minute)) || guest.UpdatedAt.After(time.Now().Add(time.Minute)) {
		t.Fatalf("UpdatedAt = %s, want about now", guest.UpdatedAt)
	}
	if got := getCart(t, s, guest.ID); !reflect.DeepEqual(got, guest) {
		t.Fatalf("Cart = %+v, want %+v", got, guest)
	}
	if other := createCart(t, s, 0); other.ID == guest.ID {
		t.Fatal("two guests got one cart")
	}

	mine := createCart(t, s, 7)
	if mine.UserID != 7 || len(mine.Lines) != 0 {
		t.Fatalf("new customer cart = %+v, want empty and owned by 7", mine)
	}
	mine = addLines(t, s, mine.ID, qty{1, 1})
	if again := createCart(t, s, 7); !reflect.DeepEqual(again, mine) {
		t.Fatalf("second CreateCart(7) = %+v, want the existing %+v", again, mine)
	}
	got, ok, err := s.CartOfUser(ctx, 7)
	if err != nil || !ok || !reflect.DeepEqual(got, mine) {
		t.Fatalf("CartOfUser(7) = %+v, %v, %v; want %+v", got, ok, err, mine)
	}
	if got := getCart(t, s, mine.ID); !reflect.DeepEqual(got, mine) {
		t.Fatalf("Cart(customer's id) = %+v, want %+v", got, mine)
	}
	for _, uid := range []int64{8, 0, -1} {
		if c, ok, err := s.CartOfUser(ctx, uid); err != nil || ok {
			t.Fatalf("CartOfUser(%d) = %+v, %v, %v; want none", uid, c, ok, err)
		}
	}
	if _, err := s.CreateCart(ctx, -1); err == nil {
		t.Fatal("CreateCart(-1) succeeded")
	}
}

func TestCartIDsAreUnguessable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, c := newCartStore(t)
	seen := make(map[string]bool)
	for range 1000 {
		id := createCart(t, s, 0).ID
		b, err := base64.RawURLEncoding.Strict().DecodeString(id)
		if len(id) != 22 || err != nil || len(b) != 16 {
			t.Fatalf("cart id %q is not 16 bytes of unpadded base64url (%v)", id, err)
		}
		if seen[id] {
			t.Fatalf("cart id %q handed out twice", id)
		}
		seen[id] = true
	}
	for id := range seen {
		if n, err := c.RDB.Exists(ctx, c.Key("cart", id)).Result(); err != nil || n != 1 {
			t.Fatalf("cart %s is not stored at %s (%v)", id, c.Key("cart", id), err)
		}
		break
	}
}

func TestCartAddLinesMergesAndKeepsOrder(t *testing.T) {
	t.Parallel()
	s, _ := newCartStore(t)
	c := createCart(t, s, 0)

	c1 := addLines(t, s, c.ID, qty{3, 1}, qty{1, 2})
	requireQuantities(t, c1, qty{3, 1}, qty{1, 2})
	c2 := addLines(t, s, c.ID, qty{2, 1}, qty{3, 4}, qty{2, 1})
	requireQuantities(t, c2, qty{3, 5}, qty{1, 2}, qty{2, 2})
	if !reflect.DeepEqual(getCart(t, s, c.ID), c2) {
		t.Fatal("Cart differs from what AddLines returned")
	}

	// A line keeps the time it was first added; later additions only raise its quantity.
	if c2.Lines[0].AddedAt != c1.Lines[0].AddedAt || c2.Lines[1].AddedAt != c1.Lines[1].AddedAt {
		t.Fatalf("adding to existing lines moved their AddedAt: %+v then %+v", c1.Lines, c2.Lines)
	}
	for i := 1; i < len(c2.Lines); i++ {
		if !c2.Lines[i-1].AddedAt.Before(c2.Lines[i].AddedAt) {
			t.Fatalf("lines not in the order they were added: %+v", c2.Lines)
		}
	}
	if !c.UpdatedAt.Before(c1.UpdatedAt) || !c1.UpdatedAt.Before(c2.UpdatedAt) {
		t.Fatalf("UpdatedAt did not move forward: %s, %s, %s", c.UpdatedAt, c1.UpdatedAt, c2.UpdatedAt)
	}
	if last := c2.Lines[len(c2.Lines)-1].AddedAt; c2.UpdatedAt.Before(last) {
		t.Fatalf("UpdatedAt %s is before the last AddedAt %s", c2.UpdatedAt, last)
	}
	if c2.TotalQuantity() != 9 {
		t.Fatalf("TotalQuantity = %d, want 9", c2.TotalQuantity())
	}

	// Many adds in a row, one product each, come back in that order whatever the ids.
	order := []int64{50, 10, 40, 20, 30}
	d := createCart(t, s, 0)
	var want []qty
	for _, p := range order {
		d = addLines(t, s, d.ID, qty{p, 1})
		want = append(want, qty{p, 1})
	}
	requireQuantities(t, getCart(t, s, d.ID), want...)
}

func TestCartAddLinesRefusesWholeBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newCartStore(t)

	full := make([]qty, domain.MaxCartLines)
	for i := range full {
		full[i] = qty{int64(i + 1), 1}
	}
	tests := []struct {
		name  string
		have  []qty
		add   []qty
		field []string
	}{
		{"line over the cap", []qty{{1, 90}}, []qty{{2, 1}, {1, 10}}, []string{"lines", "1", "quantity"}},
		{"line exactly at the cap then over", []qty{{1, 90}}, []qty{{1, 9}, {1, 1}}, []string{"lines", "1", "quantity"}},
		{"one product twice in a batch", nil, []qty{{3, 2}, {5, 50}, {5, 50}}, []string{"lines", "2", "quantity"}},
		{"cart over the product cap", full, []qty{{1, 1}, {1000, 1}}, []string{"lines"}},
		{"zero quantity", []qty{{1, 1}}, []qty{{2, 1}, {3, 0}}, []string{"lines", "1", "quantity"}},
		{"negative quantity", nil, []qty{{2, -1}}, []string{"lines", "0", "quantity"}},
		{"quantity over the cap", nil, []qty{{2, domain.MaxLineQuantity + 1}}, []string{"lines", "0", "quantity"}},
		{"variant id zero", nil, []qty{{0, 1}}, []string{"lines", "0", "variantId"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := cartWith(t, s, 0, tc.have...)
			in := make([]domain.CartLineInput, len(tc.add))
			for i, l := range tc.add {
				in[i] = domain.CartLineInput{VariantID: l.P, Quantity: l.Q}
			}
			c, err := s.AddLines(ctx, before.ID, in)
			requireError(t, err, domain.CodeBadUserInput, tc.field)
			if c.ID != "" {
				t.Fatalf("AddLines returned %+v with its error", c)
			}
			requireUnchanged(t, s, before)
		})
	}

	t.Run("a full cart takes more of its products", func(t *testing.T) {
		t.Parallel()
		c := cartWith(t, s, 0, full...)
		c = addLines(t, s, c.ID, qty{1, 98}, qty{domain.MaxCartLines, 3})
		if n := len(c.Lines); n != domain.MaxCartLines {
			t.Fatalf("cart has %d lines, want %d", n, domain.MaxCartLines)
		}
		if got := c.Lines[0]; got.VariantID != 1 || got.Quantity != domain.MaxLineQuantity {
			t.Fatalf("first line = %+v, want product 1 at the cap", got)
		}
	})
}

func TestCartUpdateAndRemoveLines(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newCartStore(t)
	c := cartWith(t, s, 0, qty{1, 1}, qty{2, 2}, qty{3, 3})

	got, err := s.UpdateLines(ctx, c.ID, []domain.CartLineUpdate{{VariantID: 1, Quantity: 5}, {VariantID: 2, Quantity: 0}})
	if err != nil {
		t.Fatalf("UpdateLines: %v", err)
	}
	requireQuantities(t, got, qty{1, 5}, qty{3, 3})
	if got.Lines[0].AddedAt != c.Lines[0].AddedAt {
		t.Fatal("an updated line lost its place")
	}
	if !got.UpdatedAt.After(c.UpdatedAt) {
		t.Fatal("UpdateLines did not move UpdatedAt")
	}

	// Of two updates of one product the last wins, even across a removal.
	got, err = s.UpdateLines(ctx, c.ID, []domain.CartLineUpdate{{VariantID: 3, Quantity: 0}, {VariantID: 3, Quantity: 7}})
	if err != nil {
		t.Fatalf("UpdateLines: %v", err)
	}
	requireQuantities(t, got, qty{1, 5}, qty{3, 7})
	if got.Lines[1].AddedAt != c.Lines[2].AddedAt {
		t.Fatal("a line set to zero then back lost its place")
	}

	t.Run("unknown product", func(t *testing.T) {
		before := getCart(t, s, c.ID)
		_, err := s.UpdateLines(ctx, c.ID, []domain.CartLineUpdate{{VariantID: 1, Quantity: 9}, {VariantID: 2, Quantity: 1}})
		de := requireError(t, err, domain.CodeNotFound, []string{"lines", "1", "variantId"})
		if !strings.Contains(de.Message, "2") {
			t.Fatalf("message %q does not name product 2", de.Message)
		}
		requireUnchanged(t, s, before)
	})
	t.Run("quantity out of range", func(t *testing.T) {
		before := getCart(t, s, c.ID)
		for _, q := range []int{-1, domain.MaxLineQuantity + 1} {
			_, err := s.UpdateLines(ctx, c.ID, []domain.CartLineUpdate{{VariantID: 3, Quantity: 1}, {VariantID: 1, Quantity: q}})
			requireError(t, err, domain.CodeBadUserInput, []string{"lines", "1", "quantity"})
		}
		requireUnchanged(t, s, before)
	})

	got, err = s.RemoveLines(ctx, c.ID, []int64{1, 42})
	if err != nil {
		t.Fatalf("RemoveLines: %v", err)
	}
	requireQuantities(t, got, qty{3, 7})
	got, err = s.RemoveLines(ctx, c.ID, []int64{3})
	if err != nil {
		t.Fatalf("RemoveLines: %v", err)
	}
	// An empty cart is still a cart.
	requireQuantities(t, got)
	requireQuantities(t, getCart(t, s, c.ID))
}

func TestCartNotFound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, c := newCartStore(t)

	deleted := createCart(t, s, 0).ID
	if err := c.RDB.Del(ctx, c.Key("cart", deleted)).Err(); err != nil {
		t.Fatal(err)
	}
	expired := createCart(t, s, 0).ID
	// An expiry time in the past expires the key at once.
	if err := c.RDB.PExpireAt(ctx, c.Key("cart", expired), time.Unix(1, 0)).Err(); err != nil {
		t.Fatal(err)
	}
	unknown := base64.RawURLEncoding.EncodeToString(make([]byte, 16))
	ids := map[string]string{
		"unknown":   unknown,
		"deleted":   deleted,
		"expired":   expired,
		"empty":     "",
		"short":     "abc",
		"too long":  unknown + "A",
		"not b64":   strings.Repeat("!", 22),
		"key glob":  strings.Repeat("*", 22),
		"padded":    unknown[:20] + "==",
		"non-canon": unknown[:21] + "B",
	}
	ops := map[string]func(id string) error{
		"Cart": func(id string) error { _, err := s.Cart(ctx, id); return err },
		"AddLines": func(id string) error {
			_, err := s.AddLines(ctx, id, []domain.CartLineInput{{VariantID: 1, Quantity: 1}})
			return err
		},
		"UpdateLines": func(id string) error {
			_, err := s.UpdateLines(ctx, id, []domain.CartLineUpdate{{VariantID: 1, Quantity: 1}})
			return err
		},
		"RemoveLines": func(id string) error { _, err := s.RemoveLines(ctx, id, []int64{1}); return err },
		"Clear": func(id string) error {
			return s.Clear(ctx, id, []domain.CartLineInput{{VariantID: 1, Quantity: 1}})
		},
	}
	for name, id := range ids {
		for op, call := range ops {
			t.Run(name+"/"+op, func(t *testing.T) {
				err := call(id)
				de := requireError(t, err, domain.CodeNotFound, nil)
				if id != "" && strings.Contains(de.Message, id) {
					t.Fatalf("message %q repeats the cart id", de.Message)
				}
			})
		}
	}
	// No write created a cart under any of those ids.
	keys, err := c.RDB.Keys(ctx, c.Key("cart", "*")).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Fatalf("carts stored after writes to missing carts: %v", keys)
	}
}

func TestCartCustomerHasOneCartUnderConcurrency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, c := newCartStore(t)
	const n = 20
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		ids   = make([]string, n)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			cart, err := s.CreateCart(ctx, 42)
			if err != nil {
				t.Errorf("CreateCart: %v", err)
				return
			}
			ids[i] = cart.ID
		}()
	}
	close(start)
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent CreateCart(42) returned different carts: %v", ids)
		}
	}
	keys, err := c.RDB.Keys(ctx, c.Key("cart", "*")).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 {
		t.Fatalf("%d carts stored, want 1: %v", len(keys), keys)
	}
	if mine, ok, err := s.CartOfUser(ctx, 42); err != nil || !ok || mine.ID != ids[0] {
		t.Fatalf("CartOfUser(42) = %+v, %v, %v; want cart %s", mine, ok, err, ids[0])
	}
}

func TestCartConcurrentAddLinesLoseNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newCartStore(t)
	c := createCart(t, s, 0)

	const n = 50
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		granted int
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// One unit of a shared product and one of the goroutine's own: all fit.
			lines := []domain.CartLineInput{{VariantID: 1, Quantity: 1}, {VariantID: int64(100 + i), Quantity: 1}}
			if _, err := s.AddLines(ctx, c.ID, lines); err != nil {
				t.Errorf("AddLines: %v", err)
			}
			// Three units of a product 50 times is 150: exactly 33 adds fit under 99.
			_, err := s.AddLines(ctx, c.ID, []domain.CartLineInput{{VariantID: 2, Quantity: 3}})
			if err != nil {
				if domain.ErrorCode(err) != domain.CodeBadUserInput {
					t.Errorf("AddLines over the cap: %v, want BAD_USER_INPUT", err)
				}
				return
			}
			mu.Lock()
			granted++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()

	got := getCart(t, s, c.ID)
	q := map[int64]int{}
	for _, l := range got.Lines {
		q[l.VariantID] = l.Quantity
	}
	if q[1] != n {
		t.Fatalf("product 1 has %d units after %d concurrent adds of 1, want %d", q[1], n, n)
	}
	for i := range n {
		if q[int64(100+i)] != 1 {
			t.Fatalf("product %d has %d units, want 1", 100+i, q[int64(100+i)])
		}
	}
	if want := domain.MaxLineQuantity / 3; granted != want || q[2] != 3*want {
		t.Fatalf("%d adds of 3 granted and product 2 has %d units; want %d and %d", granted, q[2], want, 3*want)
	}
	if len(got.Lines) != n+2 {
		t.Fatalf("cart has %d lines, want %d", len(got.Lines), n+2)
	}
}

func TestCartMergeInto(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, c := newCartStore(t)

	mine := cartWith(t, s, 5, qty{2, 4}, qty{5, 1}, qty{6, 10}, qty{7, 60})
	guest := cartWith(t, s, 0, qty{1, 3}, qty{2, 5}, qty{3, 1}, qty{6, 1}, qty{7, 60}, qty{4, 2})
	caps := map[int64]int{2: 6, 3: 0, 6: 2, 9: 5}

	got, err := s.MergeInto(ctx, guest.ID, 5, caps)
	if err != nil {
		t.Fatalf("MergeInto: %v", err)
	}
	if got.ID != mine.ID || got.UserID != 5 {
		t.Fatalf("MergeInto returned cart %s of user %d, want %s of 5", got.ID, got.UserID, mine.ID)
	}
	// 2: 4+5 capped by the stock at 6; 6: 10 kept although the stock is 2 (a merge only
	// adds); 7: 60+60 capped at MaxLineQuantity; 1 and 4 come over in their order; 3 is
	// out of stock and stays out.
	requireQuantities(t, got, qty{2, 6}, qty{5, 1}, qty{6, 10}, qty{7, 99}, qty{1, 3}, qty{4, 2})
	if !reflect.DeepEqual(getCart(t, s, mine.ID), got) {
		t.Fatal("Cart differs from what MergeInto returned")
	}
	if _, err := s.Cart(ctx, guest.ID); !domain.IsNotFound(err) {
		t.Fatalf("guest cart after the merge: %v, want NOT_FOUND", err)
	}
	if n, _ := c.RDB.Exists(ctx, c.Key("cart", guest.ID)).Result(); n != 0 {
		t.Fatal("the guest cart is still stored")
	}
	// Merging it again changes nothing: it is gone.
	again, err := s.MergeInto(ctx, guest.ID, 5, nil)
	if err != nil || !reflect.DeepEqual(again, got) {
		t.Fatalf("second MergeInto = %+v, %v; want the cart unchanged", again, err)
	}

	t.Run("customer without a cart", func(t *testing.T) {
		t.Parallel()
		g := cartWith(t, s, 0, qty{8, 2}, qty{3, 1})
		got, err := s.MergeInto(ctx, g.ID, 6, nil)
		if err != nil {
			t.Fatalf("MergeInto: %v", err)
		}
		if got.UserID != 6 || got.ID == g.ID {
			t.Fatalf("MergeInto returned %+v, want a new cart of user 6", got)
		}
		requireQuantities(t, got, qty{8, 2}, qty{3, 1})
		for i := range got.Lines {
			if got.Lines[i].AddedAt != g.Lines[i].AddedAt {
				t.Fatalf("merged lines lost the time they were added: %+v, guest %+v", got.Lines, g.Lines)
			}
		}
		mine, ok, err := s.CartOfUser(ctx, 6)
		if err != nil || !ok || !reflect.DeepEqual(mine, got) {
			t.Fatalf("CartOfUser(6) = %+v, %v, %v; want the merged cart", mine, ok, err)
		}
		requireTTL(t, c, c.Key("usercart", "6"))
		if _, err := s.Cart(ctx, g.ID); !domain.IsNotFound(err) {
			t.Fatalf("guest cart after the merge: %v, want NOT_FOUND", err)
		}
	})

	t.Run("products over the cart cap are left out", func(t *testing.T) {
		t.Parallel()
		lines := make([]qty, domain.MaxCartLines-1)
		for i := range lines {
			lines[i] = qty{int64(1000 + i), 1}
		}
		cartWith(t, s, 7, lines...)
		g := cartWith(t, s, 0, qty{3, 1}, qty{1000, 2}, qty{2, 1}, qty{1, 1})
		got, err := s.MergeInto(ctx, g.ID, 7, nil)
		if err != nil {
			t.Fatalf("MergeInto: %v", err)
		}
		if len(got.Lines) != domain.MaxCartLines {
			t.Fatalf("merged cart has %d lines, want %d", len(got.Lines), domain.MaxCartLines)
		}
		q := map[int64]int{}
		for _, l := range got.Lines {
			q[l.VariantID] = l.Quantity
		}
		// Product 3 came first into the guest cart and takes the last place; 1000 was
		// there already; 2 and 1 do not fit.
		if q[3] != 1 || q[1000] != 3 || q[2] != 0 || q[1] != 0 {
			t.Fatalf("merged quantities 3:%d 1000:%d 2:%d 1:%d, want 1, 3, 0, 0", q[3], q[1000], q[2], q[1])
		}
		if _, err := s.Cart(ctx, g.ID); !domain.IsNotFound(err) {
			t.Fatalf("guest cart after the merge: %v, want NOT_FOUND", err)
		}
	})

	t.Run("user id must be positive", func(t *testing.T) {
		t.Parallel()
		g := cartWith(t, s, 0, qty{1, 1})
		if _, err := s.MergeInto(ctx, g.ID, 0, nil); err == nil {
			t.Fatal("MergeInto to user 0 succeeded")
		}
		requireUnchanged(t, s, g)
	})
}

func TestCartMergeIntoLeavesCustomerCartsAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, c := newCartStore(t)
	alice := cartWith(t, s, 1, qty{1, 1}, qty{2, 2})
	bob := cartWith(t, s, 2, qty{3, 3})

	tests := []struct {
		name   string
		source string
		user   int64
		want   domain.Cart
	}{
		{"another customer's cart", alice.ID, 2, bob},
		{"the customer's own cart", alice.ID, 1, alice},
		{"a cart that does not exist", base64.RawURLEncoding.EncodeToString(make([]byte, 16)), 2, bob},
		{"an id that cannot exist", "not-a-cart", 1, alice},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.MergeInto(ctx, tc.source, tc.user, nil)
			if err != nil {
				t.Fatalf("MergeInto: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("MergeInto = %+v, want the customer's cart unchanged %+v", got, tc.want)
			}
			requireUnchanged(t, s, alice)
			requireUnchanged(t, s, bob)
		})
	}

	// A customer without a cart gets an empty one, whatever there was to merge.
	got, err := s.MergeInto(ctx, alice.ID, 3, nil)
	if err != nil {
		t.Fatalf("MergeInto: %v", err)
	}
	if got.UserID != 3 || len(got.Lines) != 0 || got.ID == alice.ID {
		t.Fatalf("MergeInto for a customer without a cart = %+v, want a new empty cart of theirs", got)
	}
	requireUnchanged(t, s, alice)
	keys, err := c.RDB.Keys(ctx, c.Key("cart", "*")).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 {
		t.Fatalf("%d carts stored, want 3: %v", len(keys), keys)
	}
}

func TestCartClear(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newCartStore(t)
	c := cartWith(t, s, 0, qty{1, 2}, qty{2, 3}, qty{3, 1}, qty{4, 5})

	// During the checkout the shopper adds two more of 2 and lowers 4 to one.
	addLines(t, s, c.ID, qty{2, 2})
	if _, err := s.UpdateLines(ctx, c.ID, []domain.CartLineUpdate{{VariantID: 4, Quantity: 1}}); err != nil {
		t.Fatal(err)
	}
	ordered := []domain.CartLineInput{
		{VariantID: 1, Quantity: 2}, {VariantID: 2, Quantity: 3}, {VariantID: 4, Quantity: 5}, {VariantID: 9, Quantity: 1},
	}
	if err := s.Clear(ctx, c.ID, ordered); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	got := getCart(t, s, c.ID)
	// 1 went; 2 keeps the two units added during the checkout, at its place; 3 was not
	// ordered; 4 was ordered in full and more; 9 was never there.
	requireQuantities(t, got, qty{2, 2}, qty{3, 1})
	if got.Lines[0].AddedAt != c.Lines[1].AddedAt {
		t.Fatal("a line that kept units lost its place")
	}

	if err := s.Clear(ctx, c.ID, []domain.CartLineInput{{VariantID: 2, Quantity: 2}, {VariantID: 3, Quantity: 1}}); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	requireQuantities(t, getCart(t, s, c.ID))

	if err := s.Clear(ctx, c.ID, []domain.CartLineInput{{VariantID: 1, Quantity: 0}}); err == nil || domain.ErrorCode(err) != domain.CodeInternal {
		t.Fatalf("Clear with a zero quantity = %v, want an internal error", err)
	}
}

func TestCartWritesRefreshTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, c := newCartStore(t)
	cart := createCart(t, s, 11)
	cartKey, userKey := c.Key("cart", cart.ID), c.Key("usercart", "11")
	requireTTL(t, c, cartKey)
	requireTTL(t, c, userKey)
	guest := createCart(t, s, 0)
	requireTTL(t, c, c.Key("cart", guest.ID))

	writes := []struct {
		name  string
		write func() error
	}{
		{"AddLines", func() error {
			_, err := s.AddLines(ctx, cart.ID, []domain.CartLineInput{{VariantID: 1, Quantity: 2}, {VariantID: 2, Quantity: 1}})
			return err
		}},
		{"UpdateLines", func() error {
			_, err := s.UpdateLines(ctx, cart.ID, []domain.CartLineUpdate{{VariantID: 1, Quantity: 3}})
			return err
		}},
		{"RemoveLines", func() error { _, err := s.RemoveLines(ctx, cart.ID, []int64{2}); return err }},
		{"Clear", func() error { return s.Clear(ctx, cart.ID, []domain.CartLineInput{{VariantID: 1, Quantity: 1}}) }},
		{"MergeInto", func() error {
			g := cartWith(t, s, 0, qty{5, 1})
			_, err := s.MergeInto(ctx, g.ID, 11, nil)
			return err
		}},
	}
	for _, w := range writes {
		// Age both keys, as days without a write would.
		for _, k := range []string{cartKey, userKey} {
			if err := c.RDB.PExpire(ctx, k, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.write(); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		requireTTL(t, c, cartKey)
		requireTTL(t, c, userKey)
	}
	requireQuantities(t, getCart(t, s, cart.ID), qty{1, 2}, qty{5, 1})

	// The customer's pointer, lost on its own, comes back with the next write.
	if err := c.RDB.Del(ctx, userKey).Err(); err != nil {
		t.Fatal(err)
	}
	addLines(t, s, cart.ID, qty{6, 1})
	requireTTL(t, c, userKey)
	if mine, ok, err := s.CartOfUser(ctx, 11); err != nil || !ok || mine.ID != cart.ID {
		t.Fatalf("CartOfUser(11) = %+v, %v, %v; want cart %s", mine, ok, err, cart.ID)
	}
}

func TestCartRedisDownIsServiceUnavailable(t *testing.T) {
	t.Parallel()
	c, err := redis.Open(redis.Config{URL: "redis://127.0.0.1:1/0", Prefix: "down:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	s := redis.NewCartStore(c)
	ctx := context.Background()
	id := base64.RawURLEncoding.EncodeToString(make([]byte, 16))
	line := []domain.CartLineInput{{VariantID: 1, Quantity: 1}}

	ops := []struct {
		name string
		call func() error
	}{
		{"CreateCart guest", func() error { _, err := s.CreateCart(ctx, 0); return err }},
		{"CreateCart customer", func() error { _, err := s.CreateCart(ctx, 1); return err }},
		{"Cart", func() error { _, err := s.Cart(ctx, id); return err }},
		{"CartOfUser", func() error { _, _, err := s.CartOfUser(ctx, 1); return err }},
		{"AddLines", func() error { _, err := s.AddLines(ctx, id, line); return err }},
		{"UpdateLines", func() error {
			_, err := s.UpdateLines(ctx, id, []domain.CartLineUpdate{{VariantID: 1, Quantity: 1}})
			return err
		}},
		{"RemoveLines", func() error { _, err := s.RemoveLines(ctx, id, []int64{1}); return err }},
		{"MergeInto", func() error { _, err := s.MergeInto(ctx, id, 1, nil); return err }},
		{"Clear", func() error { return s.Clear(ctx, id, line) }},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			err := op.call()
			de := requireError(t, err, domain.CodeServiceUnavailable, nil)
			if de.Message != "carts are unavailable right now; try again shortly" {
				t.Fatalf("message = %q", de.Message)
			}
			// The cause stays in the chain, for the logs.
			var opErr *net.OpError
			if !errors.As(err, &opErr) {
				t.Fatalf("error %q does not hold the network error", err)
			}
		})
	}
}

func TestCartCancelledIsNotUnavailable(t *testing.T) {
	t.Parallel()
	s, _ := newCartStore(t)
	cart := createCart(t, s, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.AddLines(ctx, cart.ID, []domain.CartLineInput{{VariantID: 1, Quantity: 1}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("AddLines with a cancelled context = %v, want context.Canceled", err)
	}
	if code := domain.ErrorCode(err); code == domain.CodeServiceUnavailable {
		t.Fatalf("a cancelled request is reported as %s", code)
	}
}

func TestCartServerRefusalOfTheCommandIsInternal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, c := newCartStore(t)
	// A key of the wrong type makes Redis refuse the command: a fault of ours, not an
	// outage, so it must reach the logs as an internal error.
	id := base64.RawURLEncoding.EncodeToString([]byte("0123456789abcdef"))
	if err := c.RDB.Set(ctx, c.Key("cart", id), "not a hash", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	_, err := s.Cart(ctx, id)
	if code := domain.ErrorCode(err); err == nil || code != domain.CodeInternal {
		t.Fatalf("Cart of a key of the wrong type = %v (%s), want an internal error", err, code)
	}
	_, err = s.AddLines(ctx, id, []domain.CartLineInput{{VariantID: 1, Quantity: 1}})
	if code := domain.ErrorCode(err); err == nil || code != domain.CodeInternal {
		t.Fatalf("AddLines to a key of the wrong type = %v (%s), want an internal error", err, code)
	}
}

// TestCartDiscountCodes: codes are kept with the cart, replaced as a whole, and do not
// count against the line limit.
func TestCartDiscountCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newCartStore(t)
	c := createCart(t, s, 0)
	got, err := s.SetDiscountCodes(ctx, c.ID, []string{"SAVE10", "WELCOME"})
	if err != nil || !reflect.DeepEqual(got.DiscountCodes, []string{"SAVE10", "WELCOME"}) {
		t.Fatalf("SetDiscountCodes: %+v, %v", got, err)
	}
	lines := make([]domain.CartLineInput, domain.MaxCartLines)
	for i := range lines {
		lines[i] = domain.CartLineInput{VariantID: int64(i + 1), Quantity: 1}
	}
	if full, err := s.AddLines(ctx, c.ID, lines); err != nil || len(full.Lines) != domain.MaxCartLines {
		t.Fatalf("a cart with codes holds %d lines: %v", len(full.Lines), err)
	}
	if _, err := s.AddLines(ctx, c.ID, []domain.CartLineInput{{VariantID: 1000, Quantity: 1}}); domain.ErrorCode(err) != domain.CodeBadUserInput {
		t.Fatalf("line %d accepted: %v", domain.MaxCartLines+1, err)
	}
	if got := getCart(t, s, c.ID); !reflect.DeepEqual(got.DiscountCodes, []string{"SAVE10", "WELCOME"}) {
		t.Fatalf("codes after adding lines: %v", got.DiscountCodes)
	}
	if got, err := s.SetDiscountCodes(ctx, c.ID, nil); err != nil || got.DiscountCodes != nil {
		t.Fatalf("clearing codes: %v, %v", got.DiscountCodes, err)
	}
	if _, err := s.SetDiscountCodes(ctx, "nope", []string{"X"}); !domain.IsNotFound(err) {
		t.Fatalf("unknown cart: %v", err)
	}
}
