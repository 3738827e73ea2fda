package api

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// The outcomes of a GraphQL request, the outcome label of shopgraph_graphql_requests_total.
const (
	// OutcomeOK is an operation that ran and answered without errors.
	OutcomeOK = "ok"
	// OutcomeError is an operation that ran and answered with at least one error
	// (partial data included).
	OutcomeError = "error"
	// OutcomeRefused is a request refused before any resolver ran: malformed, failing
	// to parse or validate, over a limit, or not allowed.
	OutcomeRefused = "refused"
)

// Operation label values that are not a client's operation name.
const (
	anonymousOperation = "anonymous"
	// otherOperation stands for every operation name past maxOperationNames, and for
	// names that are not GraphQL names: clients choose operation names, and must not be
	// able to grow the metrics without bound.
	otherOperation = "other"
)

// maxOperationNames caps the distinct operation labels of one process. A shop's clients
// use a few dozen operations; past the cap, new names count under "other".
const maxOperationNames = 500

// Metrics are the GraphQL metrics of one handler, registered on a registry of the
// caller's (never the global one, so that tests can run several handlers) that the
// handler serves at /metrics. A Metrics must be given to one handler only.
type Metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	resolvers *prometheus.HistogramVec
	// fields caches resolvers' observer of each field (fieldKey): the schema bounds them,
	// and a list of fifty products asks for the same few a hundred times.
	fields sync.Map

	mu    sync.Mutex
	names map[string]struct{}
}

// fieldKey names a field with a resolver, without building the "Type.field" label.
type fieldKey struct{ object, field string }

// resolverObserver returns the resolver-duration observer of the field.
func (m *Metrics) resolverObserver(object, field string) prometheus.Observer {
	k := fieldKey{object, field}
	if o, ok := m.fields.Load(k); ok {
		return o.(prometheus.Observer)
	}
	o, _ := m.fields.LoadOrStore(k, m.resolvers.WithLabelValues(object+"."+field))
	return o.(prometheus.Observer)
}

// NewMetrics registers the GraphQL metrics on reg and returns them:
//
//   - shopgraph_graphql_requests_total{operation,outcome}: operations by name
//     ("anonymous" without one) and outcome (ok, error, refused);
//   - shopgraph_graphql_request_duration_seconds{operation}: how long queries and
//     mutations took, from the request's arrival to the response (subscriptions, which
//     last as long as the client wants, are not timed);
//   - shopgraph_resolver_duration_seconds{field}: how long each field with a resolver
//     took ("Type.field"); fields read straight from their parent are not measured.
//
// It returns an error when reg already holds metrics of these names.
func NewMetrics(reg *prometheus.Registry) (*Metrics, error) {
	m := &Metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopgraph_graphql_requests_total",
			Help: "GraphQL operations by operation name and outcome (ok, error, refused).",
		}, []string{"operation", "outcome"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shopgraph_graphql_request_duration_seconds",
			Help:    "Time from a query's or mutation's arrival to its response, by operation name.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation"}),
		resolvers: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shopgraph_resolver_duration_seconds",
			Help:    "Time spent in the resolvers of fields that have one, by Type.field.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"field"}),
		names: map[string]struct{}{},
	}
	for _, c := range []prometheus.Collector{m.requests, m.durations, m.resolvers} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Handler serves the registry in the Prometheus exposition format. A collector that
// fails leaves its metrics out of the answer; the rest are still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// metricsHandler serves m's registry, or the default registry when m is nil.
func metricsHandler(m *Metrics) http.Handler {
	if m == nil {
		return promhttp.Handler()
	}
	return m.Handler()
}

// operation returns the label for an operation name.
func (m *Metrics) operation(name string) string {
	if name == "" {
		return anonymousOperation
	}
	if !isGraphQLName(name) {
		return otherOperation
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.names[name]; ok {
		return name
	}
	if len(m.names) >= maxOperationNames {
		return otherOperation
	}
	m.names[name] = struct{}{}
	return name
}

// isGraphQLName reports whether s is a GraphQL name of at most 128 characters.
func isGraphQLName(s string) bool {
	if len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// observer is the gqlgen extension behind the metrics and the GraphQL spans. Either of
// its parts may be off (nil); with both off it is not installed at all.
type observer struct {
	metrics *Metrics
	// tracer starts a span for each operation and each field with a resolver.
	tracer trace.Tracer
	// catalog, when set, writes the answers of product fields it knows straight to the
	// response; it is off while fields are traced.
	catalog *catalogWriter
}

var (
	_ graphql.HandlerExtension     = observer{}
	_ graphql.OperationInterceptor = observer{}
	_ graphql.ResponseInterceptor  = observer{}
	_ graphql.FieldInterceptor     = observer{}
)

// newObserver returns the extension, or nil when there is nothing to observe and no
// catalog writer.
func newObserver(m *Metrics, tp trace.TracerProvider, catalog *catalogWriter) graphql.HandlerExtension {
	if m == nil && tp == nil && catalog == nil {
		return nil
	}
	o := observer{metrics: m}
	if tp != nil {
		o.tracer = tp.Tracer("github.com/shopgraph/shopgraph/api")
	} else if catalog != nil {
		o.catalog = catalog
		catalog.metrics = m
	}
	return o
}

func (observer) ExtensionName() string                   { return "ShopgraphObserver" }
func (observer) Validate(graphql.ExecutableSchema) error { return nil }

// dispatchedKey marks the responses of operations that were dispatched, so that
// InterceptResponse can tell them from requests refused before they ran.
type dispatchedKey struct{}

// InterceptOperation counts and times an operation and wraps it in a span. Counting
// happens at its first response: a query's or mutation's only one, a subscription's
// first event (or its end, or its error).
func (o observer) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	var name string
	kind := ast.Query
	if oc.Operation != nil {
		name, kind = oc.Operation.Name, oc.Operation.Operation
	}
	start := oc.Stats.OperationStart
	if start.IsZero() {
		start = time.Now()
	}
	var span trace.Span
	if o.tracer != nil {
		spanName := string(kind)
		if name != "" {
			spanName += " " + name
		}
		ctx, span = o.tracer.Start(ctx, spanName, trace.WithAttributes(
			attribute.String("graphql.operation.type", string(kind)),
			attribute.String("graphql.operation.name", name),
		))
	}
	h := next(ctx)
	if span != nil && kind == ast.Subscription {
		// A subscription lives as long as its client wants: its span covers the set-up.
		span.End()
		span = nil
	}
	var once sync.Once
	return func(ctx context.Context) *graphql.Response {
		resp := h(context.WithValue(ctx, dispatchedKey{}, true))
		once.Do(func() {
			failed := resp != nil && len(resp.Errors) > 0
			if o.metrics != nil {
				op := o.metrics.operation(name)
				outcome := OutcomeOK
				if failed {
					outcome = OutcomeError
				}
				o.metrics.requests.WithLabelValues(op, outcome).Inc()
				if kind != ast.Subscription {
					o.metrics.durations.WithLabelValues(op).Observe(time.Since(start).Seconds())
				}
			}
			if span != nil {
				if failed {
					span.SetAttributes(attribute.Int("graphql.errors", len(resp.Errors)))
					span.SetStatus(codes.Error, resp.Errors[0].Message)
				}
				span.End()
			}
		})
		return resp
	}
}

// InterceptResponse counts the requests refused before they were dispatched: their
// responses are the ones InterceptOperation did not see.
func (o observer) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if o.metrics != nil && ctx.Value(dispatchedKey{}) == nil {
		var name string
		if graphql.HasOperationContext(ctx) {
			oc := graphql.GetOperationContext(ctx)
			name = oc.OperationName
			if oc.Operation != nil {
				name = oc.Operation.Name
			}
		}
		o.metrics.requests.WithLabelValues(o.metrics.operation(name), OutcomeRefused).Inc()
	}
	return resp
}

// InterceptField times, and traces, the fields that have a resolver. The others are
// read from their parent object and would cost more to measure than to run. A product
// field that the catalog writer knows gets its written answer (see catalogWriter), and
// so does the dashboard's revenue series (see interceptSeries).
func (o observer) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return next(ctx)
	}
	if !fc.IsResolver {
		if o.catalog == nil || fc.Object != "ProductEdge" {
			return next(ctx)
		}
		res, err := next(ctx)
		if err == nil {
			if m := o.catalog.intercept(ctx, fc, res); m != nil {
				return m, nil
			}
		}
		return res, err
	}
	var span trace.Span
	if o.tracer != nil {
		ctx, span = o.tracer.Start(ctx, fc.Object+"."+fc.Field.Name, trace.WithAttributes(
			attribute.String("graphql.field.path", fc.Path().String()),
		))
	}
	start := time.Now()
	res, err := next(ctx)
	if o.metrics != nil {
		o.metrics.resolverObserver(fc.Object, fc.Field.Name).Observe(time.Since(start).Seconds())
	}
	if span != nil {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "resolver failed")
		}
		span.End()
	}
	if err == nil && o.catalog != nil {
		if m := o.catalog.intercept(ctx, fc, res); m != nil {
			return m, nil
		}
		if m := o.catalog.interceptSeries(ctx, fc, res); m != nil {
			return m, nil
		}
	}
	return res, err
}
