// Package api assembles shopgraph's HTTP surface: the GraphQL endpoint with its
// transports and extensions, the browser clients, GraphiQL, health and readiness probes,
// and metrics.
package api

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/trace"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/graph"
	"github.com/shopgraph/shopgraph/resolvers"
	"github.com/shopgraph/shopgraph/web"
	"github.com/shopgraph/shopgraph/web/graphiql"
)

// Check reports whether one dependency answers; it must return within ctx's deadline.
type Check func(ctx context.Context) error

// Options configures the handler.
type Options struct {
	// Resolver is the root resolver, with its dependencies.
	Resolver *resolvers.Resolver
	// Log receives request and error logs.
	Log *slog.Logger
	// Checks are the dependencies /readyz probes, by name.
	Checks map[string]Check
	// Introspection allows schema introspection queries (on by default in development).
	Introspection bool
	// Authenticate, when set, wraps the GraphQL endpoint to establish the caller's
	// identity (or refuse a bad credential) before anything runs.
	Authenticate func(http.Handler) http.Handler
	// WebsocketAuth establishes the identity of a WebSocket connection from the
	// Authorization value of its connection-init payload ("" for a guest).
	WebsocketAuth func(ctx context.Context, authorization string) (context.Context, error)
	// Drain, when it ends, closes every open subscription (WebSocket and SSE) cleanly:
	// the server cancels it when it starts shutting down.
	Drain context.Context
	// Limits are checked before every operation; the zero value means DefaultLimits.
	Limits Limits
	// CostLimiter, when set, rate-limits callers by the cost of their operations.
	CostLimiter CostLimiter
	// PersistedQueries, when set, serves automatic persisted queries (Apollo APQ).
	PersistedQueries graphql.Cache[string]
	// AllowList, when set, lets only operations whose query hash it accepts run.
	AllowList func(ctx context.Context, hash string) (bool, error)
	// CORSOrigins are the browser origins (the storefront's, the dashboard's) allowed to
	// call the API; "*" allows any.
	CORSOrigins []string
	// Metrics, when set, receives the GraphQL metrics, and /metrics serves its registry;
	// nil serves Prometheus' default registry.
	Metrics *Metrics
	// TracerProvider, when set, traces every request (HTTP, GraphQL operation, fields
	// with a resolver); nil turns tracing off at no cost.
	TracerProvider trace.TracerProvider
	// WebsocketInitTimeout is how long a WebSocket may wait before sending
	// connection_init; zero means 10 s.
	WebsocketInitTimeout time.Duration
	// AroundOperation, when set, prepares the context each operation runs with, knowing
	// its type (ast.Query, ast.Mutation, ast.Subscription); the database's read routing
	// lives there. after, when not nil, is called once the operation's first response
	// is ready (a mutation's writes are committed by then).
	AroundOperation func(ctx context.Context, op ast.Operation) (_ context.Context, after func(context.Context))
	// GeneralExecutorOnly leaves every field to gqlgen's executor: the catalog writer,
	// which writes the answers of the product fields it knows itself, is off.
	GeneralExecutorOnly bool
}

// Subscription limits.
const (
	// wsInitTimeout is how long a WebSocket may wait before sending connection_init,
	// unless Options say otherwise.
	wsInitTimeout = 10 * time.Second
	// wsKeepAlive is the interval of keep-alive messages on idle WebSockets.
	wsKeepAlive = 15 * time.Second
	// wsMessageLimit caps one incoming WebSocket message.
	wsMessageLimit = 64 << 10
	// wsSetupWorkers caps the WebSocket operations of the process being set up (parsed,
	// validated, their resolver run) at once; the others wait their turn in a queue.
	wsSetupWorkers = 32
)

// maxBodyBytes caps a GraphQL request body; a storefront query is a few kilobytes.
const maxBodyBytes = 1 << 20

// NewHandler returns the HTTP handler of a shopgraph process.
func NewHandler(o Options) http.Handler {
	return newHandler(o, postTransport{})
}

// newHandler is NewHandler with post answering the POST requests (the tests compare
// shopgraph's transport with gqlgen's).
func newHandler(o Options, post graphql.Transport) http.Handler {
	o.Log = RequestLogger(o.Log)
	srv := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: o.Resolver, Directives: resolvers.Directives()}))
	srv.AddTransport(wsTransport{
		keepAlive:   wsKeepAlive,
		initTimeout: cmp.Or(o.WebsocketInitTimeout, wsInitTimeout),
		readLimit:   wsMessageLimit,
		setups:      newWSSetups(wsSetupWorkers),
		drain:       o.Drain,
		refuseCode:  4403,
		init: func(ctx context.Context, p transport.InitPayload) (context.Context, error) {
			ctx = resolvers.WithSubscriptionBudget(ctx)
			if o.WebsocketAuth == nil {
				return ctx, nil
			}
			return o.WebsocketAuth(ctx, p.Authorization())
		},
	})
	srv.AddTransport(transport.SSE{})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(post)
	if o.PersistedQueries != nil {
		srv.Use(extension.AutomaticPersistedQuery{Cache: o.PersistedQueries})
	}
	if o.AllowList != nil {
		srv.Use(allowList{allowed: o.AllowList})
	}
	limits := o.Limits
	if limits == (Limits{}) {
		limits = DefaultLimits
	}
	srv.SetParserTokenLimit(limits.MaxQueryLength / 2)
	srv.Use(limitsExtension{limits: limits, limiter: o.CostLimiter, onError: func(ctx context.Context, err error) {
		o.Log.WarnContext(ctx, "cost limiter unavailable; letting the operation through", "err", err)
	}})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetErrorPresenter(resolvers.ErrorPresenter(o.Log))
	srv.SetRecoverFunc(resolvers.RecoverFunc(o.Log))
	var catalog *catalogWriter
	if !o.GeneralExecutorOnly {
		catalog = newCatalogWriter(o.Resolver)
	}
	if obs := newObserver(o.Metrics, o.TracerProvider, catalog); obs != nil {
		srv.Use(obs)
	}
	if o.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		srv.SetDisableSuggestion(true)
	}

	if o.AroundOperation != nil {
		srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
			oc := graphql.GetOperationContext(ctx)
			if oc == nil || oc.Operation == nil {
				return next(ctx)
			}
			ctx, after := o.AroundOperation(ctx, oc.Operation.Operation)
			responses := next(ctx)
			if after == nil {
				return responses
			}
			var once sync.Once
			return func(ctx context.Context) *graphql.Response {
				resp := responses(ctx)
				once.Do(func() { after(ctx) })
				return resp
			}
		})
	}

	mux := http.NewServeMux()
	// Loaders live for one response: a query's, or one event of a subscription. Every
	// response reports what its operation cost.
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(resolvers.WithLoaders(ctx, o.Resolver.NewLoaders()))
		if c := costOf(ctx); c != nil && resp != nil {
			if resp.Extensions == nil {
				resp.Extensions = map[string]any{}
			}
			resp.Extensions["cost"] = c
		}
		return resp
	})
	var gql http.Handler = srv
	if o.Authenticate != nil {
		gql = o.Authenticate(gql)
	}
	gi := graphiql.Handler("/graphql")
	mux.Handle("/graphql", graphiqlForBrowsers(gi, streaming(o.Drain, http.MaxBytesHandler(oneJSONValue(gql), maxBodyBytes))))
	mux.Handle("GET "+graphiql.PagePath, gi)
	mux.Handle("GET "+graphiql.AssetPrefix, gi)
	// The storefront at / (every path no other route claims, for its client-side routes)
	// and the admin at /admin.
	mux.Handle("/", web.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET "+domain.MediaPath+"{file}", mediaHandler())
	mux.Handle("GET /readyz", readyz(o.Checks))
	mux.Handle("GET /metrics", metricsHandler(o.Metrics))
	return traced(o.TracerProvider, withRequestID(securityHeaders(withCORS(o.CORSOrigins, mux))))
}

// graphiqlForBrowsers shows GraphiQL to a browser that opens /graphql itself (a GET that
// accepts HTML and carries no query); every other request goes to the API.
func graphiqlForBrowsers(page, api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.RawQuery == "" && strings.Contains(r.Header.Get("Accept"), "text/html") &&
			r.Header.Get("Upgrade") == "" {
			r2 := r.Clone(r.Context())
			r2.URL.Path = graphiql.PagePath
			page.ServeHTTP(w, r2)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// readyz answers 200 when every dependency answers within two seconds, else 503 naming
// the ones that do not. The checks run concurrently so one slow dependency does not hide
// the state of the others.
func readyz(checks map[string]Check) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		var mu sync.Mutex
		var wg sync.WaitGroup
		status := map[string]string{}
		var down []string
		for name, check := range checks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := check(ctx)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					status[name] = "down"
					down = append(down, name)
					return
				}
				status[name] = "up"
			}()
		}
		wg.Wait()
		sort.Strings(down)
		code := http.StatusOK
		body := map[string]any{"status": "ready", "dependencies": status}
		if len(down) > 0 {
			code = http.StatusServiceUnavailable
			body["status"] = "unavailable"
			body["down"] = down
		}
		writeJSON(w, code, body)
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// streaming routes subscription requests (WebSocket upgrades and SSE) past the status
// rewriting, which would hide the connection's hijacking and flushing, and ties them to
// drain so that shutdown closes them cleanly.
func streaming(drain context.Context, next http.Handler) http.Handler {
	plain := statusForJSON(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBodyBytes {
			refuseBody(w, http.StatusRequestEntityTooLarge, "the request body is too large", "REQUEST_TOO_LARGE")
			return
		}
		if r.Header.Get("Upgrade") == "" && !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			plain.ServeHTTP(w, r)
			return
		}
		if drain != nil {
			ctx, cancel := context.WithCancel(r.Context())
			defer cancel()
			stop := context.AfterFunc(drain, cancel)
			defer stop()
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// statusForJSON follows the GraphQL-over-HTTP specification for the legacy
// application/json media type: a well-formed request gets 200 even when the document
// fails to parse or validate (gqlgen answers 422). application/graphql-response+json
// responses keep their 4xx codes.
func statusForJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&jsonStatusWriter{ResponseWriter: w}, r)
	})
}

type jsonStatusWriter struct {
	http.ResponseWriter
}

func (w *jsonStatusWriter) WriteHeader(code int) {
	if code == http.StatusUnprocessableEntity && w.Header().Get("Content-Type") == "application/json" {
		code = http.StatusOK
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer (flushing, hijacking).
func (w *jsonStatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
