package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/api"
	"github.com/shopgraph/shopgraph/resolvers"
	"github.com/shopgraph/shopgraph/store/postgres"
	"github.com/shopgraph/shopgraph/testkit"
)

// harness is one shopgraph handler over a database of the test's own.
type harness struct {
	t       *testing.T
	srv     *httptest.Server
	db      *postgres.DB
	counter *testkit.StatementCounter
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	counter := &testkit.StatementCounter{}
	db, _ := testkit.Postgres(t, testkit.WithTracer(counter))
	h := api.NewHandler(api.Options{
		// A wide batching window: the statement-count tests prove that every edge goes
		// through a loader, which must not depend on how busy the race detector is.
		Resolver:      &resolvers.Resolver{Catalog: postgres.NewCatalogStore(db), LoaderWait: 20 * time.Millisecond},
		Log:           testkit.Logger(t),
		Introspection: true,
		Checks:        map[string]api.Check{"postgres": db.Ping},
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &harness{t: t, srv: srv, db: db, counter: counter}
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
	return h.do(http.MethodPost, "/graphql", bytes.NewReader(body), map[string]string{"Content-Type": "application/json"})
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
