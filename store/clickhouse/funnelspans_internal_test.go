package clickhouse

import (
	"testing"
	"time"
)

// TestFunnelSpans: the undetermined sessions' spans become whole seconds within the
// range, overlapping and touching ones merged, the closest joined beyond the limit.
func TestFunnelSpans(t *testing.T) {
	from := time.Unix(1000, 0).UTC()
	until := time.Unix(2000, 0).UTC()
	ms := func(first, last int64) funnelSpan { return funnelSpan{first: first, last: last} }
	cases := []struct {
		name     string
		sessions []funnelSpan
		limit    int
		want     string
	}{
		{"none", nil, 4, ""},
		{"outside the range", []funnelSpan{ms(0, 999_999), ms(2_000_000, 2_500_000)}, 4, ""},
		{"one, to the second", []funnelSpan{ms(1_200_100, 1_200_900)}, 4,
			"(ts >= toDateTime(1200) AND ts < toDateTime(1201))"},
		{"clipped to the range", []funnelSpan{ms(500_000, 1_100_000), ms(1_900_000, 2_600_000)}, 4,
			"(ts >= toDateTime(1000) AND ts < toDateTime(1101)) OR (ts >= toDateTime(1900) AND ts < toDateTime(2000))"},
		{"overlapping and touching merged, in order", []funnelSpan{ms(1_500_000, 1_600_000), ms(1_100_000, 1_200_000),
			ms(1_201_000, 1_300_000), ms(1_550_000, 1_700_500)}, 4,
			"(ts >= toDateTime(1100) AND ts < toDateTime(1301)) OR (ts >= toDateTime(1500) AND ts < toDateTime(1701))"},
		{"the closest joined beyond the limit", []funnelSpan{ms(1_100_000, 1_100_000), ms(1_150_000, 1_150_000),
			ms(1_500_000, 1_500_000), ms(1_505_000, 1_505_000), ms(1_900_000, 1_900_000)}, 3,
			"(ts >= toDateTime(1100) AND ts < toDateTime(1151)) OR (ts >= toDateTime(1500) AND ts < toDateTime(1506)) OR (ts >= toDateTime(1900) AND ts < toDateTime(1901))"},
	}
	for _, c := range cases {
		if got := funnelSpans(c.sessions, from, until, c.limit); got != c.want {
			t.Errorf("%s: funnelSpans = %q, want %q", c.name, got, c.want)
		}
	}
}
