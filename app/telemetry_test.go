package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/events"
	"github.com/shopgraph/shopgraph/testkit"
)

// TestTelemetryEndpoint checks which OTLP endpoints turn tracing on, and which are
// refused.
func TestTelemetryEndpoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, endpoint string
		tracing, fails bool
	}{
		{"empty is off", "", false, false},
		{"http base URL", "http://127.0.0.1:4318", true, false},
		{"https with a path", "https://collector.example/otlp/", true, false},
		{"no scheme", "127.0.0.1:4318", false, true},
		{"grpc scheme", "grpc://127.0.0.1:4317", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tel, err := app.NewTelemetry(context.Background(), app.TelemetryConfig{OTLPEndpoint: tc.endpoint})
			if tc.fails {
				if err == nil {
					t.Fatalf("NewTelemetry(%q) succeeded", tc.endpoint)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tel.Tracing() != tc.tracing {
				t.Fatalf("Tracing() = %v, want %v", tel.Tracing(), tc.tracing)
			}
			// Nothing was traced: shutting down sends nothing and needs no collector.
			if err := tel.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestTelemetryExportsOTLP checks that a traced request reaches the collector, at the
// endpoint's /v1/traces in OTLP/HTTP protobuf, when the telemetry is shut down.
func TestTelemetryExportsOTLP(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var paths, types []string
	var bodies int
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		paths = append(paths, r.URL.Path)
		types = append(types, r.Header.Get("Content-Type"))
		bodies += len(body)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	t.Cleanup(collector.Close)

	tel, err := app.NewTelemetry(context.Background(), app.TelemetryConfig{OTLPEndpoint: collector.URL})
	if err != nil {
		t.Fatal(err)
	}
	db, _ := testkit.Postgres(t, testkit.WithTracer(tel.PostgresTracer()))
	a, err := app.New(app.Config{JWTSecret: []byte("test-secret-0123456789abcdef")},
		app.Deps{Postgres: db, Redis: testkit.Redis(t), Log: testkit.Logger(t), Telemetry: tel})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Post(srv.URL+"/graphql", "application/json", strings.NewReader(`{"query":"{ products(first: 2) { totalCount } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	srv.Close() // the server span ends before Close returns

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) == 0 || bodies == 0 {
		t.Fatal("the collector received no spans")
	}
	for i := range paths {
		if paths[i] != "/v1/traces" || types[i] != "application/x-protobuf" {
			t.Errorf("export %d: %s as %q, want /v1/traces as application/x-protobuf", i, paths[i], types[i])
		}
	}
}

// TestTelemetryServesOneApp checks that two Apps cannot share a registry.
func TestTelemetryServesOneApp(t *testing.T) {
	t.Parallel()
	db, _ := testkit.Postgres(t)
	tel, err := app.NewTelemetry(context.Background(), app.TelemetryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	deps := app.Deps{Postgres: db, Redis: testkit.Redis(t), Log: testkit.Logger(t), Telemetry: tel}
	cfg := app.Config{JWTSecret: []byte("test-secret-0123456789abcdef")}
	if _, err := app.New(cfg, deps); err != nil {
		t.Fatal(err)
	}
	if _, err := app.New(cfg, deps); err == nil {
		t.Fatal("a second App got the same Telemetry")
	}
}

// gauge returns the value of the unlabelled gauge name in reg, and whether it is there.
func gauge(t *testing.T, reg prometheus.Gatherer, name string) (float64, bool) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// TestOutboxLagMetrics checks the outbox gauges against the seeded outbox.
func TestOutboxLagMetrics(t *testing.T) {
	t.Parallel()
	db, _ := testkit.Postgres(t)
	ctx := context.Background()
	if _, err := app.SeedOrders(ctx, db, nil, 10, time.Now()); err != nil {
		t.Fatal(err)
	}
	var want int
	if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM outbox WHERE published_at IS NULL").Scan(&want); err != nil {
		t.Fatal(err)
	}
	if want == 0 {
		t.Fatal("the seed wrote no outbox events")
	}
	a, err := app.New(app.Config{JWTSecret: []byte("test-secret-0123456789abcdef")},
		app.Deps{Postgres: db, Redis: testkit.Redis(t), Log: testkit.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	reg := a.Telemetry.Registry
	if n, ok := gauge(t, reg, "shopgraph_outbox_unpublished"); !ok || int(n) != want {
		t.Errorf("shopgraph_outbox_unpublished = %v (present %v), want %d", n, ok, want)
	}
	if age, ok := gauge(t, reg, "shopgraph_outbox_oldest_age_seconds"); !ok || age <= 0 {
		t.Errorf("shopgraph_outbox_oldest_age_seconds = %v (present %v), want > 0", age, ok)
	}
	if open, ok := gauge(t, reg, "shopgraph_subscriptions_open"); !ok || open != 0 {
		t.Errorf("shopgraph_subscriptions_open = %v (present %v), want 0", open, ok)
	}
	if _, ok := gauge(t, reg, "shopgraph_ingester_lag"); ok {
		t.Error("shopgraph_ingester_lag without an ingester")
	}
}

// discardWriter is an analytics store that stores nothing.
type discardWriter struct{}

func (discardWriter) Insert(context.Context, []domain.AnalyticsEvent) error { return nil }
func (discardWriter) ExistingEventIDs(context.Context, []string) (map[string]bool, error) {
	return map[string]bool{}, nil
}

// TestIngesterLagMetric checks that a process running the ingester reports its lag once
// the ingester has set its consumer up.
func TestIngesterLagMetric(t *testing.T) {
	t.Parallel()
	natsURL, subjects, stream := testkit.NATS(t)
	log := testkit.Logger(t)
	bus, err := events.Connect(events.Config{URL: natsURL, Name: t.Name()}, log)
	if err != nil {
		t.Fatal(err)
	}
	db, _ := testkit.Postgres(t)
	a, err := app.New(app.Config{JWTSecret: []byte("test-secret-0123456789abcdef"), Ingest: true, Subjects: subjects, StreamName: stream},
		app.Deps{Postgres: db, Redis: testkit.Redis(t), Bus: bus, AnalyticsWriter: discardWriter{}, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := a.Start(ctx)
	t.Cleanup(func() {
		cancel()
		wait()
		_ = bus.Close()
	})
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(20 * time.Second)
	for {
		if n, ok := gauge(t, a.Telemetry.Registry, "shopgraph_ingester_lag"); ok {
			if n != 0 {
				t.Errorf("shopgraph_ingester_lag = %v on an empty stream, want 0", n)
			}
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("shopgraph_ingester_lag never appeared")
		}
	}
}
