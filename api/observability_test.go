package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/shopgraph/shopgraph/api"
	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/store/redis"
	"github.com/shopgraph/shopgraph/testkit"
)

// observed is a harness wired as serve wires a process: telemetry of its own, the
// Postgres tracer and the Redis hook installed, and the logs captured.
type observed struct {
	*harness
	logs *logBuffer
}

// observedOptions adjust newObserved.
type observedOptions struct {
	// tracer, when set, records the spans.
	tracer trace.TracerProvider
	// deadRedis points the process at a Redis that refuses connections.
	deadRedis bool
}

func newObserved(t *testing.T, o observedOptions) *observed {
	t.Helper()
	tel, err := app.NewTelemetry(context.Background(), app.TelemetryConfig{TracerProvider: o.tracer})
	if err != nil {
		t.Fatal(err)
	}
	counter := &testkit.StatementCounter{}
	db, _ := testkit.Postgres(t, testkit.WithTracer(tel.PostgresTracer(counter)))
	var rdb *redis.Client
	if o.deadRedis {
		// Port 1 on loopback: nothing listens, so every command fails at once.
		rdb, err = redis.Open(redis.Config{URL: "redis://127.0.0.1:1/0", Prefix: testkit.UniqueName("sgt") + ":"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rdb.Close() })
	} else {
		rdb = testkit.Redis(t)
	}
	if err := tel.InstrumentRedis(rdb); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	cfg := app.Config{
		JWTSecret:         []byte("test-secret-0123456789abcdef"),
		Introspection:     true,
		LoaderWait:        20 * time.Millisecond,
		CostPerCaller:     redis.Limit{Rate: 1e6, Burst: 1e9},
		CheckoutPerCaller: redis.Limit{Rate: 1e6, Burst: 1e6},
	}
	a, err := app.New(cfg, app.Deps{Postgres: db, Redis: rdb, Log: logs.logger(), Telemetry: tel})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	return &observed{
		harness: &harness{t: t, srv: srv, db: db, counter: counter, app: a, rdb: rdb},
		logs:    logs,
	}
}

// send posts a GraphQL request with the operation name and headers given, and returns
// the decoded response and the response's headers.
func (o *observed) send(operation, query string, headers map[string]string) (gqlResponse, http.Header) {
	o.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "operationName": operation})
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, o.srv.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		o.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := o.srv.Client().Do(req)
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out gqlResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		o.t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, raw)
	}
	out.status = resp.StatusCode
	return out, resp.Header
}

// logBuffer collects JSON log lines from any goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// lines returns the records logged so far.
func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line is not JSON: %s", sc.Bytes())
		}
		out = append(out, rec)
	}
	return out
}

// withRequestID returns the records logged with request_id id.
func (b *logBuffer) withRequestID(t *testing.T, id string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, rec := range b.lines(t) {
		if rec["request_id"] == id {
			out = append(out, rec)
		}
	}
	return out
}

var generatedID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// TestRequestID checks that every request gets an id: a sane incoming X-Request-ID is
// kept, anything else replaced by a generated one; the id comes back in the response
// header, in extensions.requestId of every error, and in every log line of the request.
// Redis is down, so that a cart mutation fails with an error that is logged.
func TestRequestID(t *testing.T) {
	t.Parallel()
	o := newObserved(t, observedOptions{deadRedis: true})
	const mutation = `mutation CreateCart { cartCreate { cart { id } userErrors { code } } }`
	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"sane id is kept", "checkout-7f3a.B_9", true},
		{"64 characters are kept", strings.Repeat("a", 64), true},
		{"none is made up", "", false},
		{"65 characters are replaced", strings.Repeat("a", 65), false},
		{"spaces are replaced", "two words", false},
		{"non-ASCII is replaced", "idé", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			headers := map[string]string{}
			if tc.sent != "" {
				headers[api.RequestIDHeader] = tc.sent
			}
			resp, h := o.send("CreateCart", mutation, headers)
			id := h.Get(api.RequestIDHeader)
			switch {
			case tc.kept && id != tc.sent:
				t.Fatalf("X-Request-ID = %q, want the one sent, %q", id, tc.sent)
			case !tc.kept && !generatedID.MatchString(id):
				t.Fatalf("X-Request-ID = %q, want 32 generated hex digits", id)
			}
			if len(resp.Errors) == 0 {
				t.Fatalf("cartCreate with Redis down succeeded: %s", resp.Data)
			}
			for _, e := range resp.Errors {
				if e.Extensions["requestId"] != id {
					t.Errorf("error %q: extensions.requestId = %v, want %q", e.Message, e.Extensions["requestId"], id)
				}
			}
			if recs := o.logs.withRequestID(t, id); len(recs) == 0 {
				t.Errorf("no log line carries request_id %q; logged: %v", id, o.logs.lines(t))
			}
		})
	}
	t.Run("refused requests carry it too", func(t *testing.T) {
		resp, h := o.send("", `{ products { `, map[string]string{api.RequestIDHeader: "parse-failure-1"})
		if h.Get(api.RequestIDHeader) != "parse-failure-1" || len(resp.Errors) == 0 {
			t.Fatalf("header %q, errors %+v", h.Get(api.RequestIDHeader), resp.Errors)
		}
		if got := resp.Errors[0].Extensions["requestId"]; got != "parse-failure-1" {
			t.Fatalf("extensions.requestId = %v, want parse-failure-1", got)
		}
	})
	t.Run("unauthenticated refusals carry it too", func(t *testing.T) {
		resp, _ := o.send("", `{ me { id } }`, map[string]string{api.RequestIDHeader: "bad-token-1", "Authorization": "Bearer not-a-token"})
		if resp.status != http.StatusUnauthorized || resp.code() != "UNAUTHENTICATED" {
			t.Fatalf("status %d, errors %+v", resp.status, resp.Errors)
		}
		if got := resp.Errors[0].Extensions["requestId"]; got != "bad-token-1" {
			t.Fatalf("extensions.requestId = %v, want bad-token-1", got)
		}
	})
}

// TestRequestIDOnEveryRoute checks that the probes and GraphiQL answer with an id too.
func TestRequestIDOnEveryRoute(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, path := range []string{"/healthz", "/metrics", "/", "/no-such-page"} {
		resp, err := h.srv.Client().Get(h.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if id := resp.Header.Get(api.RequestIDHeader); !generatedID.MatchString(id) {
			t.Errorf("GET %s: X-Request-ID = %q", path, id)
		}
	}
}

// scrape fetches /metrics and parses the exposition text.
func (h *harness) scrape() map[string]*dto.MetricFamily {
	h.t.Helper()
	resp, err := h.srv.Client().Get(h.srv.URL + "/metrics")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		h.t.Fatalf("parsing /metrics: %v", err)
	}
	return families
}

// series returns the metric of family name whose labels include want, or nil.
func series(families map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	f := families[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.GetMetric() {
		for k, v := range want {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		return m
	}
	return nil
}

// TestMetrics runs a few operations and reads them back from /metrics.
func TestMetrics(t *testing.T) {
	t.Parallel()
	o := newObserved(t, observedOptions{})
	const list = `query ProductList { products(first: 5, sort: {key: NAME}) { nodes { name category { name children { name } } } } }`
	for range 2 {
		if resp, _ := o.send("ProductList", list, nil); len(resp.Errors) > 0 {
			t.Fatalf("ProductList: %+v", resp.Errors)
		}
	}
	if resp, _ := o.send("Broken", `query Broken { products(first: -1) { totalCount } }`, nil); len(resp.Errors) == 0 {
		t.Fatal("products(first: -1) succeeded")
	}
	if resp, _ := o.send("Malformed", `query Malformed { products { `, nil); len(resp.Errors) == 0 {
		t.Fatal("a malformed query succeeded")
	}
	if resp, _ := o.send("", `{ products(first: 1) { totalCount } }`, nil); len(resp.Errors) > 0 {
		t.Fatalf("anonymous query: %+v", resp.Errors)
	}
	if resp, _ := o.send("NewCart", `mutation NewCart { cartCreate { cart { id } } }`, nil); len(resp.Errors) > 0 {
		t.Fatalf("cartCreate: %+v", resp.Errors)
	}
	m := o.scrape()

	t.Run("requests by operation and outcome", func(t *testing.T) {
		for _, tc := range []struct {
			operation, outcome string
			want               float64
		}{
			{"ProductList", api.OutcomeOK, 2},
			{"Broken", api.OutcomeError, 1},
			{"Malformed", api.OutcomeRefused, 1},
			{"anonymous", api.OutcomeOK, 1},
			{"NewCart", api.OutcomeOK, 1},
		} {
			s := series(m, "shopgraph_graphql_requests_total", map[string]string{"operation": tc.operation, "outcome": tc.outcome})
			if s == nil || s.GetCounter().GetValue() != tc.want {
				t.Errorf("requests_total{operation=%q,outcome=%q} = %v, want %v", tc.operation, tc.outcome, s.GetCounter(), tc.want)
			}
		}
		if s := series(m, "shopgraph_graphql_request_duration_seconds", map[string]string{"operation": "ProductList"}); s.GetHistogram().GetSampleCount() != 2 {
			t.Errorf("request_duration_seconds{operation=ProductList} count = %d, want 2", s.GetHistogram().GetSampleCount())
		}
	})
	t.Run("resolvers, only those with a resolver", func(t *testing.T) {
		if s := series(m, "shopgraph_resolver_duration_seconds", map[string]string{"field": "Query.products"}); s.GetHistogram().GetSampleCount() != 4 {
			// ProductList twice, Broken (which ran and failed) and the anonymous query.
			t.Errorf("resolver_duration_seconds{field=Query.products} count = %d, want 4", s.GetHistogram().GetSampleCount())
		}
		if s := series(m, "shopgraph_resolver_duration_seconds", map[string]string{"field": "Product.category"}); s.GetHistogram().GetSampleCount() == 0 {
			t.Error("no resolver_duration_seconds{field=Product.category}")
		}
		if s := series(m, "shopgraph_resolver_duration_seconds", map[string]string{"field": "Product.name"}); s != nil {
			t.Error("Product.name, read from its parent, is timed")
		}
	})
	t.Run("stores", func(t *testing.T) {
		if s := series(m, "shopgraph_db_query_duration_seconds", map[string]string{"kind": "select"}); s.GetHistogram().GetSampleCount() == 0 {
			t.Error("no db_query_duration_seconds{kind=select}")
		}
		f := m["shopgraph_redis_command_duration_seconds"]
		var n uint64
		for _, s := range f.GetMetric() {
			n += s.GetHistogram().GetSampleCount()
		}
		if n == 0 {
			t.Error("no redis_command_duration_seconds after a cartCreate")
		}
	})
	t.Run("dataloader batches", func(t *testing.T) {
		s := series(m, "shopgraph_dataloader_batch_size", map[string]string{"loader": "categoryChildren"})
		h := s.GetHistogram()
		// One batch a ProductList, of the distinct categories of its five products. (The
		// categories themselves come primed: no categoryByID batch.)
		if h.GetSampleCount() != 2 || h.GetSampleSum() < 2 || h.GetSampleSum() > 10 {
			t.Errorf("dataloader_batch_size{loader=categoryChildren}: %d batches, %v keys; want 2 batches of 1 to 5 keys", h.GetSampleCount(), h.GetSampleSum())
		}
		if s := series(m, "shopgraph_dataloader_batch_size", map[string]string{"loader": "categoryByID"}); s.GetHistogram().GetSampleCount() != 0 {
			t.Errorf("dataloader_batch_size{loader=categoryByID}: %d batches; the listing primes the categories, want none", s.GetHistogram().GetSampleCount())
		}
	})
	t.Run("workers and runtime", func(t *testing.T) {
		for _, name := range []string{"shopgraph_subscriptions_open", "shopgraph_outbox_unpublished", "shopgraph_outbox_oldest_age_seconds", "go_goroutines", "process_resident_memory_bytes"} {
			if m[name] == nil {
				t.Errorf("%s is missing", name)
			}
		}
	})
}

// TestMetricsWorkers checks the metrics of the background workers of a process with NATS.
func TestMetricsWorkers(t *testing.T) {
	t.Parallel()
	url, subjects, stream := testkit.NATS(t)
	h := newHarnessOn(t, url, withStream(subjects, stream))
	m := h.scrape()
	for _, name := range []string{
		"shopgraph_subscriptions_open", "shopgraph_hub_messages_total",
		"shopgraph_outbox_published_total", "shopgraph_outbox_publish_failures_total",
		"shopgraph_outbox_relay_leading", "shopgraph_outbox_unpublished",
	} {
		if m[name] == nil {
			t.Errorf("%s is missing", name)
		}
	}
}

// TestPprofOnlyOnAdmin checks that the profiling endpoints are served by the admin
// handler and never by the public one.
func TestPprofOnlyOnAdmin(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin := httptest.NewServer(api.AdminHandler())
	t.Cleanup(admin.Close)
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/goroutine?debug=1", "/debug/pprof/heap"} {
		resp, err := h.srv.Client().Get(h.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("public GET %s: %s, want 404", path, resp.Status)
		}
		resp, err = admin.Client().Get(admin.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("admin GET %s: %s, want 200", path, resp.Status)
		}
	}
}

// endSignal is a span processor that reports the server spans that end.
type endSignal struct{ ended chan string }

func (e endSignal) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (e endSignal) OnEnd(s sdktrace.ReadOnlySpan) {
	if s.SpanKind() == trace.SpanKindServer {
		e.ended <- s.Name()
	}
}
func (e endSignal) Shutdown(context.Context) error   { return nil }
func (e endSignal) ForceFlush(context.Context) error { return nil }

// TestTracing checks that one query makes one trace: the HTTP server span, the
// GraphQL operation's span under it, resolver spans, and the Postgres statements'.
func TestTracing(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	sig := endSignal{ended: make(chan string, 16)}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSpanProcessor(sig))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	o := newObserved(t, observedOptions{tracer: tp})
	exp.Reset() // the set-up's statements

	const list = `query ProductList { products(first: 3) { nodes { name category { name } } } }`
	if resp, _ := o.send("ProductList", list, map[string]string{api.RequestIDHeader: "traced-1"}); len(resp.Errors) > 0 {
		t.Fatalf("ProductList: %+v", resp.Errors)
	}
	// The server span ends after the response is written: wait for it.
	select {
	case name := <-sig.ended:
		if name != "POST /graphql" {
			t.Fatalf("server span %q, want POST /graphql", name)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server span did not end")
	}

	spans := exp.GetSpans()
	var server, op *tracetest.SpanStub
	for i := range spans {
		switch s := &spans[i]; {
		case s.SpanKind == trace.SpanKindServer:
			server = s
		case s.Name == "query ProductList":
			op = s
		}
	}
	if server == nil || op == nil {
		t.Fatalf("want a server span and a query ProductList span; got %v", spanNames(spans))
	}
	traceID := server.SpanContext.TraceID()
	if op.Parent.SpanID() != server.SpanContext.SpanID() {
		t.Errorf("the operation's span is not a child of the server span")
	}
	var hasID bool
	for _, a := range server.Attributes {
		if a.Key == "http.request.id" && a.Value.AsString() == "traced-1" {
			hasID = true
		}
	}
	if !hasID {
		t.Errorf("the server span lacks http.request.id=traced-1: %v", server.Attributes)
	}
	var resolver, postgres bool
	for _, s := range spans {
		if s.SpanContext.TraceID() != traceID {
			continue // a pool's or a worker's own span
		}
		if s.Name == "Query.products" && s.Parent.SpanID() == op.SpanContext.SpanID() {
			resolver = true
		}
		for _, a := range s.Attributes {
			if a.Key == "db.system.name" && a.Value.AsString() == "postgresql" {
				postgres = true
			}
		}
	}
	if !resolver {
		t.Errorf("no Query.products span under the operation; got %v", spanNames(spans))
	}
	if !postgres {
		t.Errorf("no Postgres span; got %v", spanNames(spans))
	}
}

func spanNames(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}
