package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/events"
	"github.com/shopgraph/shopgraph/store/postgres"
	"github.com/shopgraph/shopgraph/store/redis"
	"github.com/shopgraph/shopgraph/testkit"
)

// harness is one shopgraph handler over a database of the test's own.
type harness struct {
	t       *testing.T
	srv     *httptest.Server
	db      *postgres.DB
	counter *testkit.StatementCounter
	app     *app.App
	bus     *events.Bus
	rdb     *redis.Client
	// token, when set, is sent as the Bearer token of every request.
	token string
}

// harnessOption adjusts the wiring of a harness.
type harnessOption func(*app.Config)

func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	return newHarnessOn(t, "", opts...)
}

// newHarnessOn is newHarness with the app's background workers running against the NATS
// server at natsURL (a private one, or the shared one with subjects of the test's own).
func newHarnessOn(t *testing.T, natsURL string, opts ...harnessOption) *harness {
	t.Helper()
	counter := &testkit.StatementCounter{}
	db, _ := testkit.Postgres(t, testkit.WithTracer(counter))
	return newHarnessWith(t, db, counter, testkit.Redis(t), natsURL, opts...)
}

// sibling returns a second shopgraph process sharing this one's database and Redis, on
// the NATS server at natsURL: what two replicas behind a load balancer share.
func (h *harness) sibling(natsURL string, opts ...harnessOption) *harness {
	h.t.Helper()
	return newHarnessWith(h.t, h.db, h.counter, h.rdb, natsURL, opts...)
}

func newHarnessWith(t *testing.T, db *postgres.DB, counter *testkit.StatementCounter, rdb *redis.Client, natsURL string, opts ...harnessOption) *harness {
	t.Helper()
	return buildHarness(t, app.Deps{Postgres: db, Redis: rdb}, counter, natsURL, opts...)
}

// buildHarness wires an instance over deps (Log is filled in), connecting to NATS at
// natsURL when it is set and running the background workers then.
func buildHarness(t *testing.T, deps app.Deps, counter *testkit.StatementCounter, natsURL string, opts ...harnessOption) *harness {
	t.Helper()
	db, rdb := deps.Postgres, deps.Redis
	cfg := app.Config{
		JWTSecret:     []byte("test-secret-0123456789abcdef"),
		Introspection: true,
		// A wide batching window: the statement-count tests prove that every edge goes
		// through a loader, which must not depend on how busy the race detector is.
		LoaderWait: 20 * time.Millisecond,
		// Tests send far more than a shopper would; the limit tests set their own.
		CostPerCaller:     redis.Limit{Rate: 1e6, Burst: 1e9},
		CheckoutPerCaller: redis.Limit{Rate: 1e6, Burst: 1e6},
	}
	for _, o := range opts {
		o(&cfg)
	}
	deps.Log = testkit.Logger(t)
	if natsURL != "" {
		bus, err := events.Connect(events.Config{URL: natsURL, Name: t.Name()}, deps.Log)
		if err != nil {
			t.Fatal(err)
		}
		deps.Bus = bus
	}
	a, err := app.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	if deps.Bus != nil {
		ctx, cancel := context.WithCancel(context.Background())
		wait := a.Start(ctx)
		t.Cleanup(func() {
			cancel()
			wait()
			_ = deps.Bus.Close()
		})
	}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	return &harness{t: t, srv: srv, db: db, counter: counter, app: a, bus: deps.Bus, rdb: rdb}
}

// gqlResponse is a GraphQL response with its data left raw for the test to decode.
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	status int
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// code returns extensions.code of the first error, or "".
func (r gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// post sends a GraphQL request as application/json and decodes the response.
func (h *harness) post(query string, vars map[string]any) gqlResponse {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	headers := map[string]string{"Content-Type": "application/json"}
	if h.token != "" {
		headers["Authorization"] = "Bearer " + h.token
	}
	return h.do(http.MethodPost, "/graphql", bytes.NewReader(body), headers)
}

// do sends a raw request and decodes a GraphQL response from it.
func (h *harness) do(method, path string, body io.Reader, headers map[string]string) gqlResponse {
	h.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, h.srv.URL+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out gqlResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		h.t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, raw)
	}
	out.status = resp.StatusCode
	return out
}

// data posts a query that must succeed and decodes its data into v.
func (h *harness) data(query string, vars map[string]any, v any) {
	h.t.Helper()
	r := h.post(query, vars)
	if len(r.Errors) > 0 {
		h.t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		h.t.Fatalf("decoding data %s: %v", r.Data, err)
	}
}

func base64RawURL(s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return string(b), err
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
