package clickhouse_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/clickhouse"
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

	ranges := funnelRanges(rng, start)
	paths := map[string]int{}
	agreeWithRaw(ctx, t, s, ranges, paths)
	t.Logf("paths taken: %v", paths)
	covers(t, paths, "rollup", "rollup+some", "raw")
}

// covers fails the test unless some range took each of the paths.
func covers(t *testing.T, paths map[string]int, want ...string) {
	t.Helper()
	for _, p := range want {
		if paths[p] == 0 {
			t.Errorf("no range took the %s path (%v): the test does not cover it", p, paths)
		}
	}
}

// funnelRanges returns the ranges the funnel tests ask about over sessions made by
// funnelSessions from start: everything, the first day, an empty one, and 40 of
// quarter-hour edges anywhere.
func funnelRanges(rng *rand.Rand, start time.Time) []domain.DateRange {
	ranges := []domain.DateRange{
		{From: start.Add(-24 * time.Hour), To: start.Add(7 * 24 * time.Hour)}, // everything
		{From: start, To: start.Add(24 * time.Hour)},
		{From: start.Add(30 * 24 * time.Hour), To: start.Add(31 * 24 * time.Hour)}, // nothing
	}
	for range 40 {
		from := start.Add(time.Duration(rng.IntN(5*24*4)) * 15 * time.Minute)
		ranges = append(ranges, domain.DateRange{From: from, To: from.Add(time.Duration(1+rng.IntN(3*24*4)) * 15 * time.Minute)})
	}
	return ranges
}

// agreeWithRaw checks that the funnel of every range, as s finds it and as a copy of s
// that names only 5 undetermined sessions (most ranges then fall back to the raw
// events) finds it, is the ordered-steps query's over the raw events, and that s names
// every undetermined session. It counts the paths taken into paths.
func agreeWithRaw(ctx context.Context, t *testing.T, s *clickhouse.AnalyticsStore, ranges []domain.DateRange, paths map[string]int) {
	t.Helper()
	for _, strict := range []bool{false, true} {
		store := s
		if strict {
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
			if !strict && path == "raw" {
				// No two of these sessions share a key, and fewer than 2000 are ever left
				// undetermined: every one of them must have been named.
				t.Errorf("ConversionFunnel(%v) fell back to the raw events of the whole range", r)
			}
		}
	}
}

// TestConversionFunnelSealAgreesWithTheRawEvents: with the first two days sealed, the
// funnel of every range is still the raw events' funnel: read from the seal and the
// rollup after it while the seal is current, from the rollup alone once rows arrive for
// the sealed days, and from a new seal of them.
func TestConversionFunnelSealAgreesWithTheRawEvents(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s, db := newStore(t)
	start := utc(t, "2024-03-10 00:00:00")
	rng := rand.New(rand.NewPCG(19, 2024))
	funnelSessions(t, rng, 3000, start).insert(ctx, s)
	ranges := funnelRanges(rng, start)
	horizon := start.Add(24 * time.Hour)

	sealed, err := s.SealFunnel(ctx, horizon)
	if err != nil || !sealed {
		t.Fatalf("SealFunnel = %v, %v; want a new seal", sealed, err)
	}
	if again, err := s.SealFunnel(ctx, horizon); err != nil || again {
		t.Fatalf("SealFunnel of the same rollup again = %v, %v; want no new seal", again, err)
	}
	paths := map[string]int{}
	agreeWithRaw(ctx, t, s, ranges, paths)
	t.Logf("paths taken over a current seal: %v", paths)
	covers(t, paths, "sealed+some", "rollup", "raw")

	// Events arriving late, on the sealed days and after, some of sessions already
	// sealed (funnelSessions names its sessions f0, f1, ...).
	funnelSessions(t, rng, 300, start.Add(12*time.Hour)).insert(ctx, s)
	if current, _, err := s.FunnelSealState(ctx); err != nil || current {
		t.Fatalf("seal current after rows arrived for its days = %v, %v; want stale", current, err)
	}
	paths = map[string]int{}
	agreeWithRaw(ctx, t, s, ranges, paths)
	t.Logf("paths taken over a stale seal: %v", paths)
	if paths["sealed"]+paths["sealed+some"] > 0 {
		t.Errorf("a stale seal was read (%v)", paths)
	}

	if sealed, err := s.SealFunnel(ctx, horizon); err != nil || !sealed {
		t.Fatalf("SealFunnel after late rows = %v, %v; want a new seal", sealed, err)
	}
	paths = map[string]int{}
	agreeWithRaw(ctx, t, s, ranges, paths)
	t.Logf("paths taken over the new seal: %v", paths)
	covers(t, paths, "sealed+some")

	// The older seal stays for a minute after the newer one, then goes; so does a
	// generation no seal recorded, once it is half an hour old.
	orphan := time.Now().Add(-time.Hour).UnixNano()
	if err := db.Conn.Exec(ctx, fmt.Sprintf("INSERT INTO funnel_sealed (generation, session_hash) SELECT %d, 1", orphan)); err != nil {
		t.Fatal(err)
	}
	generations := func() int {
		t.Helper()
		var n uint64
		if err := db.Conn.QueryRow(ctx, "SELECT uniqExact(generation) FROM funnel_sealed").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	if err := s.PruneSealsAt(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n := generations(); n != 2 {
		t.Errorf("generations right after the second seal = %d, want 2 (both seals)", n)
	}
	if err := s.PruneSealsAt(ctx, time.Now().Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := generations(); n != 1 {
		t.Errorf("generations two minutes after the second seal = %d, want 1", n)
	}
	if current, _, err := s.FunnelSealState(ctx); err != nil || !current {
		t.Errorf("newest seal current after pruning = %v, %v; want current", current, err)
	}
}

// TestFunnelSealerSealsClosedDays: the sealer seals the days up to two days back once
// their rollup has stayed the same between two looks, and the funnel of the sessions
// shoppers make (steps in order, minutes apart, none across the range's edges) is read
// from the seal alone.
func TestFunnelSealerSealsClosedDays(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s, _ := newStore(t)
	start := time.Now().UTC().Truncate(24 * time.Hour).Add(-5 * 24 * time.Hour)
	rng := rand.New(rand.NewPCG(20, 2024))
	ev := &events{t: t}
	steps := []domain.TrackEventType{domain.TrackProductViewed, domain.TrackAddedToCart, domain.TrackCheckoutStarted}
	for i := range 500 {
		at := start.Add(time.Hour + time.Duration(rng.Int64N(int64(4*24*time.Hour))))
		for _, step := range steps[:1+rng.IntN(len(steps))] {
			ev.track(step, fmt.Sprintf("s%d", i), 1, at)
			at = at.Add(time.Duration(rng.IntN(300_000)) * time.Millisecond)
		}
	}
	ev.insert(ctx, s)

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- clickhouse.NewFunnelSealer(s, 20*time.Millisecond, nil).Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("FunnelSealer.Run: %v", err)
		}
	})
	for {
		current, horizon, err := s.FunnelSealState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if current && horizon.Equal(clickhouse.SealHorizon(time.Now())) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no current seal of the closed days: %v", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	r := domain.DateRange{From: start, To: time.Now()}
	want, err := s.ConversionFunnelRaw(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	got, path, err := s.ConversionFunnelPath(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if g := levels(got); !reflect.DeepEqual(g[1:], want[1:]) || want[1] == 0 || want[3] == 0 || path != "sealed" {
		t.Errorf("ConversionFunnel(%v) by level = %v (%s), the raw events give %v, want it from the seal", r, g[1:], path, want[1:])
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
