package clickhouse_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/domain"
)

// funnelSessions makes n storefront sessions around start: most of them the way shoppers
// go (views, then the cart, checkout and payment a few minutes apart, stopping anywhere),
// the rest anything at all: steps out of order, repeated, in the same millisecond, a day
// or more apart, over midnight and over the edges of the ranges the tests ask about.
func funnelSessions(t *testing.T, rng *rand.Rand, n int, start time.Time) *events {
	t.Helper()
	ev := &events{t: t}
	view, cart, checkout := domain.TrackProductViewed, domain.TrackAddedToCart, domain.TrackCheckoutStarted
	orderID := int64(0)
	pay := func(session string, at time.Time) {
		orderID++
		ev.status(order{id: orderID, total: 1000, method: domain.PaymentCard, session: session}, domain.StatusPending, domain.StatusPaid, at, 0)
	}
	for i := range n {
		s := fmt.Sprintf("f%d", i)
		// Times on a grid of quarter hours and whole seconds with milliseconds, so that
		// steps fall on range edges and share seconds and milliseconds.
		at := start.Add(time.Duration(rng.IntN(4*24*4)) * 15 * time.Minute).Add(time.Duration(rng.IntN(3)-1) * time.Duration(rng.IntN(1000)) * time.Millisecond)
		if rng.IntN(3) > 0 {
			// A tidy session.
			for range 1 + rng.IntN(3) {
				ev.track(view, s, 1, at)
				at = at.Add(time.Duration(rng.IntN(120_000)) * time.Millisecond)
			}
			steps := rng.IntN(4)
			gap := func() time.Duration {
				if rng.IntN(8) == 0 {
					return time.Duration(20+rng.IntN(10)) * time.Hour // around the day's window
				}
				return time.Duration(rng.IntN(600_000)) * time.Millisecond
			}
			if steps >= 1 {
				at = at.Add(gap())
				ev.track(cart, s, 1, at)
			}
			if steps >= 2 {
				at = at.Add(gap())
				ev.track(checkout, s, 0, at)
			}
			if steps >= 3 {
				at = at.Add(gap())
				pay(s, at)
			}
			continue
		}
		// Anything at all.
		for range 1 + rng.IntN(7) {
			var d time.Duration
			switch rng.IntN(4) {
			case 0:
				d = time.Duration(rng.IntN(3)) * time.Millisecond
			case 1:
				d = time.Duration(rng.IntN(3600)) * time.Second
			case 2:
				d = time.Duration(rng.IntN(48)) * time.Hour
			default:
				d = -time.Duration(rng.IntN(3600_000)) * time.Millisecond
			}
			at = at.Add(d)
			switch rng.IntN(4) {
			case 0:
				ev.track(view, s, 1, at)
			case 1:
				ev.track(cart, s, 1, at)
			case 2:
				ev.track(checkout, s, 0, at)
			default:
				pay(s, at)
			}
		}
	}
	return ev
}

// levels turns a funnel back into sessions by level (1 to 4), as the raw query counts.
func levels(steps []domain.FunnelStep) []int64 {
	out := make([]int64, len(steps)+1)
	for i, st := range steps {
		out[i+1] = st.Sessions
		if i+1 < len(steps) {
			out[i+1] -= steps[i+1].Sessions
		}
	}
	return out
}

// TestConversionFunnelRollupAgreesWithTheRawEvents: over sessions of every shape and
// ranges of every kind (quarter-hour edges through sessions, a day, the whole span, an
// empty one), the funnel from the per-session rollup gives exactly what the
// ordered-steps query over the raw events gives, whether the rollup settles every
// session, leaves a few to their raw events, or leaves so many that the raw query runs.
func TestConversionFunnelRollupAgreesWithTheRawEvents(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s, _ := newStore(t)
	start := utc(t, "2024-03-10 00:00:00")
	rng := rand.New(rand.NewPCG(17, 2024))
	ev := funnelSessions(t, rng, 3000, start)
	ev.insert(ctx, s)

	ranges := []domain.DateRange{
		{From: start.Add(-24 * time.Hour), To: start.Add(7 * 24 * time.Hour)}, // everything
		{From: start, To: start.Add(24 * time.Hour)},
		{From: start.Add(30 * 24 * time.Hour), To: start.Add(31 * 24 * time.Hour)}, // nothing
	}
	for range 40 {
		from := start.Add(time.Duration(rng.IntN(5*24*4)) * 15 * time.Minute)
		ranges = append(ranges, domain.DateRange{From: from, To: from.Add(time.Duration(1+rng.IntN(3*24*4)) * 15 * time.Minute)})
	}
	paths := map[string]int{}
	for _, strict := range []bool{false, true} {
		store := s
		if strict {
			// So few may be named that most ranges fall back to the raw events.
			store = s.WithUndeterminedMax(5)
		}
		for _, r := range ranges {
			want, err := s.ConversionFunnelRaw(ctx, r)
			if err != nil {
				t.Fatalf("raw funnel of %v: %v", r, err)
			}
			got, path, err := store.ConversionFunnelPath(ctx, r)
			if err != nil {
				t.Fatalf("ConversionFunnel(%v): %v", r, err)
			}
			paths[path]++
			if g := levels(got); !reflect.DeepEqual(g[1:], want[1:]) {
				t.Errorf("ConversionFunnel(%v) by level = %v (%s), the raw events give %v", r, g[1:], path, want[1:])
			}
		}
	}
	t.Logf("paths taken: %v", paths)
	for _, p := range []string{"rollup", "rollup+some", "raw"} {
		if paths[p] == 0 {
			t.Errorf("no range took the %s path (%v): the test does not cover it", p, paths)
		}
	}
}

// TestFunnelRollupBackfill: the migration fills the rollup from the events already
// stored, and the funnel from the backfilled rollup is the raw events' funnel.
func TestFunnelRollupBackfill(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s, db := newStore(t)
	start := utc(t, "2024-03-10 00:00:00")
	ev := funnelSessions(t, rand.New(rand.NewPCG(18, 2024)), 500, start)
	ev.insert(ctx, s)
	if err := db.Conn.Exec(ctx, "TRUNCATE TABLE funnel_sessions"); err != nil {
		t.Fatalf("emptying the rollup: %v", err)
	}
	r := domain.DateRange{From: start.Add(-24 * time.Hour), To: start.Add(7 * 24 * time.Hour)}
	empty, err := s.ConversionFunnel(ctx, r)
	if err != nil {
		t.Fatalf("ConversionFunnel: %v", err)
	}
	if empty[0].Sessions != 0 {
		t.Fatalf("ConversionFunnel over an empty rollup = %v, want no sessions", empty)
	}
	src, err := os.ReadFile("migrations/00002_funnel_sessions.sql")
	if err != nil {
		t.Fatal(err)
	}
	up, _, _ := strings.Cut(string(src), "-- +goose Down")
	backfill := up[strings.Index(up, "INSERT INTO funnel_sessions"):]
	if err := db.Conn.Exec(ctx, strings.TrimSuffix(strings.TrimSpace(backfill), ";")); err != nil {
		t.Fatalf("backfill: %v", err)
	}
	want, err := s.ConversionFunnelRaw(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	got, path, err := s.ConversionFunnelPath(ctx, r)
	if err != nil {
		t.Fatalf("ConversionFunnel: %v", err)
	}
	if g := levels(got); !reflect.DeepEqual(g[1:], want[1:]) || want[1] == 0 {
		t.Errorf("ConversionFunnel after the backfill by level = %v (%s), the raw events give %v", g[1:], path, want[1:])
	}
}
