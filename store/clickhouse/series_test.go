package clickhouse_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/clickhouse"
)

func TestRevenueSeriesInTimeZones(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s, _ := newStore(t)
	ev := &events{t: t}
	// Paid orders; the comments give their local times.
	for i, p := range []struct {
		at    string
		total int64
	}{
		{"2024-03-10 06:30:00", 100},   // A: New York 01:30 EST, the night clocks spring forward
		{"2024-03-10 07:10:00", 200},   // B: New York 03:10 EDT
		{"2024-03-10 18:10:00", 500},   // C: Kolkata 23:40 (10th), Kathmandu 23:55 (10th)
		{"2024-03-10 18:20:00", 1000},  // D: Kolkata 23:50 (10th), Kathmandu 00:05 (11th)
		{"2024-03-10 18:40:00", 2000},  // E: Kolkata 00:10 (11th)
		{"2024-03-11 03:30:00", 4000},  // F: New York 23:30 EDT (10th)
		{"2024-03-11 04:30:00", 8000},  // G: New York 00:30 EDT (11th)
		{"2024-11-03 05:30:00", 10000}, // H: New York 01:30 EDT, the night clocks fall back
		{"2024-11-03 06:30:00", 20000}, // I: New York 01:30 EST, the same hour again
	} {
		o := order{id: int64(i + 1), total: p.total, method: domain.PaymentCard}
		ev.status(o, domain.StatusPending, domain.StatusPaid, utc(t, p.at), 0)
	}
	ev.insert(ctx, s)

	zone := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatalf("loading %s: %v", name, err)
		}
		return loc
	}
	kolkata, kathmandu, newYork := zone("Asia/Kolkata"), zone("Asia/Kathmandu"), zone("America/New_York")
	local := func(loc *time.Location, s string) time.Time {
		at, err := time.ParseInLocation(time.DateTime, s, loc)
		if err != nil {
			t.Fatalf("parsing %q: %v", s, err)
		}
		return at
	}
	for _, tc := range []struct {
		name     string
		loc      *time.Location
		from, to time.Time
		g        domain.Granularity
		want     []string // bucket start (RFC 3339, local offset) revenue/orders
	}{
		{"Kolkata days", kolkata, local(kolkata, "2024-03-10 00:00:00"), local(kolkata, "2024-03-12 00:00:00"), domain.Day,
			[]string{"2024-03-10T00:00:00+05:30 1800/4", "2024-03-11T00:00:00+05:30 14000/3"}},
		{"Kolkata hours, from widened", kolkata, local(kolkata, "2024-03-10 23:20:00"), local(kolkata, "2024-03-11 01:00:00"), domain.Hour,
			[]string{"2024-03-10T23:00:00+05:30 1500/2", "2024-03-11T00:00:00+05:30 2000/1"}},
		{"Kathmandu days", kathmandu, local(kathmandu, "2024-03-10 00:00:00"), local(kathmandu, "2024-03-12 00:00:00"), domain.Day,
			[]string{"2024-03-10T00:00:00+05:45 800/3", "2024-03-11T00:00:00+05:45 15000/4"}},
		{"Kathmandu hours", kathmandu, local(kathmandu, "2024-03-10 23:00:00"), local(kathmandu, "2024-03-11 00:30:00"), domain.Hour,
			[]string{"2024-03-10T23:00:00+05:45 500/1", "2024-03-11T00:00:00+05:45 3000/2"}},
		{"New York days across spring forward, empty day filled", newYork, local(newYork, "2024-03-09 00:00:00"), local(newYork, "2024-03-12 00:00:00"), domain.Day,
			[]string{"2024-03-09T00:00:00-05:00 0/0", "2024-03-10T00:00:00-05:00 7800/6", "2024-03-11T00:00:00-04:00 8000/1"}},
		{"New York hours across spring forward", newYork, utc(t, "2024-03-10 06:00:00"), utc(t, "2024-03-10 08:00:00"), domain.Hour,
			[]string{"2024-03-10T01:00:00-05:00 100/1", "2024-03-10T03:00:00-04:00 200/1"}},
		{"New York hours across fall back", newYork, utc(t, "2024-11-03 04:00:00"), utc(t, "2024-11-03 08:00:00"), domain.Hour,
			[]string{"2024-11-03T00:00:00-04:00 0/0", "2024-11-03T01:00:00-04:00 10000/1", "2024-11-03T01:00:00-05:00 20000/1", "2024-11-03T02:00:00-05:00 0/0"}},
		{"UTC by default, to widened", nil, utc(t, "2024-03-10 00:00:00"), utc(t, "2024-03-10 00:00:01"), domain.Day,
			[]string{"2024-03-10T00:00:00Z 3800/5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			points, err := s.RevenueSeries(ctx, domain.DateRange{From: tc.from, To: tc.to}, tc.g, tc.loc)
			if err != nil {
				t.Fatalf("RevenueSeries: %v", err)
			}
			got := make([]string, len(points))
			for i, p := range points {
				got[i] = fmt.Sprintf("%s %d/%d", p.Bucket.Format(time.RFC3339), p.RevenueMinor, p.Orders)
				if want := tc.loc; want != nil && p.Bucket.Location().String() != want.String() {
					t.Errorf("bucket %d is in %s, want %s", i, p.Bucket.Location(), want)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("RevenueSeries =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// The series' grid starts every bucket where toStartOfHour and toStartOfDay would, in
// every zone of the tests, and the number of buckets follows the local calendar.
func TestSeriesGrid(t *testing.T) {
	t.Parallel()
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	r := domain.DateRange{From: utc(t, "2024-03-09 12:00:00"), To: utc(t, "2024-03-12 03:00:00")}
	starts, end := clickhouse.SeriesGrid(r, domain.Day, newYork)
	// The 9th, the 10th (23 hours long) and the 11th, which holds To (23:00 local).
	if len(starts) != 3 || starts[1].Sub(starts[0]) != 24*time.Hour || starts[2].Sub(starts[1]) != 23*time.Hour {
		t.Errorf("day grid = %v", starts)
	}
	if want := utc(t, "2024-03-12 04:00:00"); !end.Equal(want) {
		t.Errorf("day grid ends %s, want %s", end.UTC(), want)
	}
	hours, _ := clickhouse.SeriesGrid(domain.DateRange{From: utc(t, "2024-03-10 05:00:00"), To: utc(t, "2024-03-10 09:00:00")}, domain.Hour, newYork)
	if len(hours) != 4 {
		t.Errorf("hour grid over 4 hours = %v", hours)
	}
	from, to := clickhouse.AlignRange(domain.DateRange{From: utc(t, "2024-03-10 10:14:59"), To: utc(t, "2024-03-10 10:15:01")})
	if !from.Equal(utc(t, "2024-03-10 10:00:00")) || !to.Equal(utc(t, "2024-03-10 10:30:00")) {
		t.Errorf("AlignRange = %s, %s", from, to)
	}
}
