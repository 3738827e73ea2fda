package api_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/clickhouse"
	"github.com/shopgraph/shopgraph/testkit"
	"github.com/shopgraph/shopgraph/web"
)

// TestCompiledSeriesMatchesExecutor is TestCompiledCatalogMatchesExecutor for the
// dashboard: the admin client's dashboard operations and a set of probes of the revenue
// series (aliases, fragments, directives, fields the writer leaves to gqlgen, @defer,
// time zones with offsets, negative and large amounts), sent to two processes over the
// same Postgres, Redis and ClickHouse, one with the catalog writer and one with gqlgen's
// executor alone. The answers must be the same bytes, status and headers.
func TestCompiledSeriesMatchesExecutor(t *testing.T) {
	db, _ := testkit.Postgres(t)
	rdb, ch := testkit.Redis(t), testkit.ClickHouse(t)
	// An hour-long cache: both processes answer the figures first stored in Redis.
	ttl := func(c *app.Config) { c.DashboardCacheTTL = time.Hour }
	fast := buildHarness(t, app.Deps{Postgres: db, Redis: rdb, ClickHouse: ch}, &testkit.StatementCounter{}, "", ttl)
	general := buildHarness(t, app.Deps{Postgres: db, Redis: rdb, ClickHouse: ch}, &testkit.StatementCounter{}, "", ttl,
		func(c *app.Config) { c.GeneralExecutorOnly = true })
	signed, _ := fast.signedIn(domain.RoleAdmin)
	admin := signed.token

	// Orders in a few hours of the range: paid ones of small, odd and large totals, and a
	// paid order cancelled, whose hour's revenue is negative.
	to := time.Now().UTC().Truncate(time.Hour)
	from := to.Add(-90 * 24 * time.Hour)
	var rows []domain.AnalyticsEvent
	event := func(n int, status, previous domain.OrderStatus, total int64, at time.Time) {
		payload, _ := json.Marshal(domain.OrderEventData{OrderID: int64(n), Number: fmt.Sprintf("SG-%d", n), UserID: 7, Status: status,
			Previous: previous, TotalMinor: total, Currency: domain.DefaultCurrency, PaymentMethod: domain.PaymentCard})
		rs, err := domain.ToAnalytics(fmt.Sprintf("00000000-0000-4000-8000-%012d", len(rows)+1), status.EventType(), fmt.Sprint(n), at, payload)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, rs...)
	}
	event(1, domain.StatusPaid, domain.StatusPending, 1234, to.Add(-time.Hour))
	event(2, domain.StatusPaid, domain.StatusPending, 5, to.Add(-time.Hour+time.Minute))
	event(3, domain.StatusPaid, domain.StatusPending, 100_000_000_07, to.Add(-30*time.Hour))
	event(4, domain.StatusPaid, domain.StatusPending, 250, to.Add(-50*24*time.Hour))
	event(4, domain.StatusCancelled, domain.StatusPaid, 250, to.Add(-40*24*time.Hour))
	event(5, domain.StatusPaid, domain.StatusPending, 99, from.Add(time.Hour))
	if err := clickhouse.NewAnalyticsStore(ch).Insert(t.Context(), rows); err != nil {
		t.Fatal(err)
	}

	rng := map[string]any{"from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339)}
	week := map[string]any{"from": to.Add(-7 * 24 * time.Hour).Format(time.RFC3339), "to": to.Format(time.RFC3339)}
	type op struct {
		name  string
		query string
		vars  map[string]any
	}
	var ops []op
	dashboards := 0
	for _, o := range web.Operations() {
		if o.Type != "query" || o.Client != "admin" || o.Name != "AdminDashboard" {
			continue
		}
		dashboards++
		for _, g := range []string{"HOUR", "DAY"} {
			for _, tz := range []any{nil, "UTC", "Asia/Kolkata", "America/New_York"} {
				vars := map[string]any{"range": rng, "timezone": tz, "granularity": g}
				for i := range 6 {
					vars[fmt.Sprintf("g%d", i)] = week
				}
				ops = append(ops, op{fmt.Sprintf("admin/%s %s %v", o.Name, g, tz), o.Query, vars})
			}
		}
	}
	if dashboards == 0 {
		t.Fatal("the admin client has no AdminDashboard operation")
	}
	series := func(sel string) string {
		return `query($r: DateRangeInput!, $tz: String, $g: Granularity!) { dashboard(range: $r, timezone: $tz) { revenueSeries(granularity: $g) ` + sel + ` } }`
	}
	hourly := map[string]any{"r": rng, "tz": "Asia/Kolkata", "g": "HOUR"}
	probes := []op{
		{"every field", series(`{ __typename bucket revenue { __typename amount currencyCode } orders }`), hourly},
		{"every field, New York days", series(`{ bucket revenue { amount currencyCode } orders }`), map[string]any{"r": rng, "tz": "America/New_York", "g": "DAY"}},
		{"aliases and repeats", series(`{ b: bucket bucket o: orders orders orders money: revenue { a: amount amount c: currencyCode } revenue { amount } }`), hourly},
		{"fragments", `fragment P on RevenuePoint { bucket revenue { ...M } } fragment M on Money { amount currencyCode }
			query($r: DateRangeInput!, $g: Granularity!) { dashboard(range: $r) { revenueSeries(granularity: $g) { ...P ... on RevenuePoint { orders } ... { __typename } } } }`,
			map[string]any{"r": rng, "g": "HOUR"}},
		{"include and skip", `query($r: DateRangeInput!, $y: Boolean!, $n: Boolean!) { dashboard(range: $r) { revenueSeries(granularity: HOUR) {
			bucket @include(if: $y) orders @skip(if: $y) revenue @include(if: $n) { amount } } } }`, map[string]any{"r": rng, "y": true, "n": false}},
		{"only a typename", series(`{ __typename }`), hourly},
		{"an unknown field", series(`{ bucket nope }`), hourly},
		{"defer in a point", series(`{ bucket ... @defer { orders } }`), hourly},
		{"the series deferred", `query($r: DateRangeInput!) { dashboard(range: $r) { asOf ... @defer { revenueSeries(granularity: DAY) { bucket orders } } } }`, map[string]any{"r": rng}},
		{"two series", `query($r: DateRangeInput!) { dashboard(range: $r) { h: revenueSeries(granularity: HOUR) { orders } d: revenueSeries(granularity: DAY) { bucket revenue { amount } } } }`, map[string]any{"r": rng}},
		{"hourly over its limit", series(`{ bucket }`), map[string]any{"r": map[string]any{"from": from.Add(-24 * time.Hour).Format(time.RFC3339), "to": rng["to"]}, "g": "HOUR"}},
		{"an unknown time zone", series(`{ bucket }`), map[string]any{"r": rng, "tz": "Nowhere/Else", "g": "DAY"}},
		{"an empty range", series(`{ bucket orders }`), map[string]any{"r": map[string]any{"from": rng["to"], "to": rng["to"]}, "g": "HOUR"}},
	}
	ops = append(ops, probes...)

	for _, o := range ops {
		body, err := json.Marshal(map[string]any{"query": o.query, "variables": o.vars})
		if err != nil {
			t.Fatal(err)
		}
		for _, token := range []string{"", admin} {
			who := "guest"
			if token != "" {
				who = "admin"
			}
			want := general.exchange(token, string(body))
			got := fast.exchange(token, string(body))
			if got.status != want.status || !sameAnswer(t, got.body, want.body) {
				t.Errorf("%s as %s: the catalog writer answers\n%d %.2000s\nwhere the executor answers\n%d %.2000s", o.name, who, got.status, got.body, want.status, want.body)
				continue
			}
			for _, k := range []string{"Content-Type", "Cache-Control", "Content-Security-Policy", "Retry-After"} {
				if got.header.Get(k) != want.header.Get(k) {
					t.Errorf("%s as %s: header %s is %q, the executor's %q", o.name, who, k, got.header.Get(k), want.header.Get(k))
				}
			}
		}
	}

	// The comparison above must have been over series with figures: 2,160 hours, the
	// orders where they were placed.
	fast.token = admin
	var dash struct {
		Dashboard struct {
			RevenueSeries []struct {
				Bucket  string
				Revenue struct{ Amount string }
				Orders  int
			}
		}
	}
	fast.data(series(`{ bucket revenue { amount } orders }`), map[string]any{"r": rng, "tz": "UTC", "g": "HOUR"}, &dash)
	s := dash.Dashboard.RevenueSeries
	if len(s) != 2160 {
		t.Fatalf("the hourly series has %d points, want 2160", len(s))
	}
	if last := s[2159]; last.Orders != 2 || last.Revenue.Amount != "12.39" {
		t.Errorf("the last hour is %+v, want 2 orders for 12.39", last)
	}
	if p := s[2160-40*24]; p.Revenue.Amount != "-2.50" {
		t.Errorf("the cancelled order's hour is %+v, want -2.50", p)
	}
}
