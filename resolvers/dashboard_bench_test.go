package resolvers_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/auth"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/clickhouse"
	"github.com/shopgraph/shopgraph/testkit"
)

// BenchmarkDashboardHourlySeries measures the dashboard's hourly revenue series over 90
// days (2,160 points, each with its bucket, revenue and orders) through the whole HTTP
// handler as an admin, warm: the answer is in the dashboard cache (an hour-long window
// here, so that no window turns over during the run), as the bench's warm figure is.
// What it measures is the cache hit and the GraphQL execution of the points.
func BenchmarkDashboardHourlySeries(b *testing.B) {
	db, _ := testkit.Postgres(b)
	ch := testkit.ClickHouse(b)
	const secret = "bench-secret-0123456789"
	a, err := app.New(app.Config{JWTSecret: []byte(secret), CostLimitOff: true, DashboardCacheTTL: time.Hour},
		app.Deps{Postgres: db, Redis: testkit.Redis(b), ClickHouse: ch, Log: testkit.Discard})
	if err != nil {
		b.Fatal(err)
	}
	// A paid order in the range, so that a point carries figures.
	to := time.Now().UTC().Truncate(time.Hour)
	from := to.Add(-90 * 24 * time.Hour)
	payload, _ := json.Marshal(domain.OrderEventData{OrderID: 1, Number: "SG-1", UserID: 7, Status: domain.StatusPaid,
		Previous: domain.StatusPending, TotalMinor: 1234, Currency: domain.DefaultCurrency, PaymentMethod: domain.PaymentCard})
	rows, err := domain.ToAnalytics("00000000-0000-4000-8000-000000000001", domain.StatusPaid.EventType(), "1", to.Add(-time.Hour), payload)
	if err != nil {
		b.Fatal(err)
	}
	if err := clickhouse.NewAnalyticsStore(ch).Insert(b.Context(), rows); err != nil {
		b.Fatal(err)
	}
	tokens, err := auth.NewTokens([]byte(secret), time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := tokens.Issue(domain.Identity{UserID: 1, Email: "bench-admin@shopgraph.example", Role: domain.RoleAdmin})
	if err != nil {
		b.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{
		"query": `query Dash($r: DateRangeInput!) { dashboard(range: $r, timezone: "UTC") { asOf
			revenueSeries(granularity: HOUR) { bucket revenue { amount currencyCode } orders } } }`,
		"variables": map[string]any{"r": map[string]any{"from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339)}},
	})
	request := func() *http.Request {
		req, _ := http.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		return req
	}
	{
		w := httptest.NewRecorder()
		a.Handler.ServeHTTP(w, request())
		var resp struct {
			Data struct {
				Dashboard struct {
					RevenueSeries []struct {
						Orders int
					}
				}
			}
			Errors []json.RawMessage
		}
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || len(resp.Errors) > 0 || len(resp.Data.Dashboard.RevenueSeries) != 2160 {
			b.Fatalf("the first answer is not a series of 2160 hours (%v): %.500s", err, w.Body.String())
		}
		if resp.Data.Dashboard.RevenueSeries[2159].Orders != 1 {
			b.Fatalf("the paid order is not in the series' last hour: %.300s", w.Body.String())
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := &discardWriter{h: http.Header{}}
		a.Handler.ServeHTTP(w, request())
		if w.code != 0 && w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
	}
}

type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return io.Discard.Write(p) }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
