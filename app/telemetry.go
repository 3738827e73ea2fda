package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/extra/redisotel/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/shopgraph/shopgraph/api"
	"github.com/shopgraph/shopgraph/store/clickhouse"
	"github.com/shopgraph/shopgraph/store/postgres"
	"github.com/shopgraph/shopgraph/store/redis"
)

// ServiceName names shopgraph's spans (the service.name resource attribute), unless
// OTEL_SERVICE_NAME says otherwise.
const ServiceName = "shopgraph"

// TelemetryConfig says where a process's spans go. Its metrics always go to the
// Telemetry's own registry, served at /metrics.
type TelemetryConfig struct {
	// OTLPEndpoint is the base URL of an OpenTelemetry collector's OTLP/HTTP receiver,
	// such as http://127.0.0.1:4318 (the value of OTEL_EXPORTER_OTLP_ENDPOINT): spans
	// are sent to its /v1/traces path, in protobuf, in batches. The exporter reads the
	// other standard variables itself (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT,
	// _COMPRESSION, _CERTIFICATE), and the provider the sampler's (OTEL_TRACES_SAMPLER,
	// parent-based always-on by default) and OTEL_RESOURCE_ATTRIBUTES. Empty leaves
	// tracing off: no provider, no instrumentation installed, no cost.
	OTLPEndpoint string
	// TracerProvider, when set, receives the spans instead, whatever OTLPEndpoint says
	// (tests give one with an in-memory exporter). Shutting it down is the caller's job.
	TracerProvider trace.TracerProvider
}

// Telemetry is the metrics registry and the tracer provider of one App, and the
// instrumentation of its stores. Create it before opening the stores (the Postgres
// tracer goes in at Open), pass it in Deps, and Shutdown it last. A Telemetry serves one
// App: a second New with it fails.
type Telemetry struct {
	// Registry holds every metric of the process: Go runtime and process metrics,
	// GraphQL, stores, loaders and background workers. /metrics serves it.
	Registry *prometheus.Registry

	tp       trace.TracerProvider
	shutdown func(context.Context) error
	taken    atomic.Bool

	api         *api.Metrics
	db          *prometheus.HistogramVec
	redis       *prometheus.HistogramVec
	clickhouse  *prometheus.HistogramVec
	loaderBatch *prometheus.HistogramVec
}

// NewTelemetry returns the telemetry of a process as cfg says: a fresh registry with
// every metric of shopgraph registered, and tracing on or off. It returns an error when
// the endpoint is not an http(s) URL or the exporter cannot be set up; the exporter does
// not connect here, and a collector that is down only loses spans, never requests.
func NewTelemetry(ctx context.Context, cfg TelemetryConfig) (*Telemetry, error) {
	reg := prometheus.NewRegistry()
	t := &Telemetry{
		Registry: reg,
		shutdown: func(context.Context) error { return nil },
		db: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shopgraph_db_query_duration_seconds",
			Help:    "PostgreSQL statement durations, by kind: first keyword, batch or copy.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"kind"}),
		redis: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shopgraph_redis_command_duration_seconds",
			Help:    "Redis command durations, by command (pipeline for a pipeline).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"command"}),
		clickhouse: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shopgraph_clickhouse_query_duration_seconds",
			Help:    "ClickHouse call durations, by kind: query, select, exec or insert.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"kind"}),
		loaderBatch: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shopgraph_dataloader_batch_size",
			Help:    "Keys per batch a dataloader sends to its store, by loader.",
			Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000},
		}, []string{"loader"}),
	}
	err := registerAll(reg,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		t.db, t.redis, t.clickhouse, t.loaderBatch)
	if err != nil {
		return nil, err
	}
	if t.api, err = api.NewMetrics(reg); err != nil {
		return nil, err
	}
	switch {
	case cfg.TracerProvider != nil:
		t.tp = cfg.TracerProvider
	case cfg.OTLPEndpoint != "":
		tp, err := newOTLPProvider(ctx, cfg.OTLPEndpoint)
		if err != nil {
			return nil, err
		}
		t.tp, t.shutdown = tp, tp.Shutdown
	}
	return t, nil
}

// newOTLPProvider returns a batching tracer provider exporting to the OTLP/HTTP
// receiver at endpoint.
func newOTLPProvider(ctx context.Context, endpoint string) (*sdktrace.TracerProvider, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("otlp endpoint %q: want an http or https URL such as http://127.0.0.1:4318", endpoint)
	}
	// As the OpenTelemetry specification says of OTEL_EXPORTER_OTLP_ENDPOINT: the
	// traces go to the signal's path under the base URL.
	u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.String()))
	if err != nil {
		return nil, fmt.Errorf("creating otlp exporter: %w", err)
	}
	// The service name comes first so that OTEL_SERVICE_NAME and
	// OTEL_RESOURCE_ATTRIBUTES (read by WithFromEnv) override it.
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", ServiceName)),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
		resource.WithHost(),
	)
	if err != nil && res == nil {
		return nil, fmt.Errorf("describing the otel resource: %w", err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

// Tracing reports whether spans are recorded.
func (t *Telemetry) Tracing() bool { return t.tp != nil }

// Shutdown flushes the spans not yet exported and stops the exporter that NewTelemetry
// started, within ctx; a TracerProvider given in TelemetryConfig is left alone. Call it
// once the server has stopped.
func (t *Telemetry) Shutdown(ctx context.Context) error { return t.shutdown(ctx) }

// PostgresTracer returns the pgx tracer for postgres.Config.Tracer: statement
// durations into shopgraph_db_query_duration_seconds and, with tracing on, a span per
// statement. extra tracers (a test's statement counter) see every statement too.
func (t *Telemetry) PostgresTracer(extra ...pgx.QueryTracer) pgx.QueryTracer {
	tracers := append(append([]pgx.QueryTracer{}, extra...), postgres.NewTimingTracer(func(kind string, d time.Duration, _ error) {
		t.db.WithLabelValues(kind).Observe(d.Seconds())
	}))
	if t.tp != nil {
		tracers = append(tracers, otelpgx.NewTracer(
			otelpgx.WithTracerProvider(t.tp),
			otelpgx.WithMeterProvider(noop.NewMeterProvider()),
		))
	}
	return postgres.Tracers(tracers...)
}

// InstrumentRedis times every command of c into shopgraph_redis_command_duration_seconds
// and, with tracing on, gives each a span (without its arguments: they hold session
// tokens and carts). It must be called before c is used.
func (t *Telemetry) InstrumentRedis(c *redis.Client) error {
	c.Observe(func(cmd string, d time.Duration, _ error) {
		t.redis.WithLabelValues(cmd).Observe(d.Seconds())
	})
	if t.tp == nil {
		return nil
	}
	if err := redisotel.InstrumentTracing(c.RDB, redisotel.WithTracerProvider(t.tp), redisotel.WithDBStatement(false)); err != nil {
		return fmt.Errorf("tracing redis: %w", err)
	}
	return nil
}

// InstrumentClickHouse times every query and insert of db into
// shopgraph_clickhouse_query_duration_seconds. It must be called before db is used.
func (t *Telemetry) InstrumentClickHouse(db *clickhouse.DB) {
	db.Observe(func(kind string, d time.Duration, _ error) {
		t.clickhouse.WithLabelValues(kind).Observe(d.Seconds())
	})
}

// observeBatch records one dataloader batch.
func (t *Telemetry) observeBatch(loader string, keys int) {
	t.loaderBatch.WithLabelValues(loader).Observe(float64(keys))
}

// take claims t for one App.
func (t *Telemetry) take() error {
	if !t.taken.CompareAndSwap(false, true) {
		return errors.New("app: a Telemetry serves one App; create one per App")
	}
	return nil
}

// telemetryOrDefault returns deps' Telemetry, or a fresh one without tracing.
func telemetryOrDefault(deps Deps) (*Telemetry, error) {
	if deps.Telemetry != nil {
		return deps.Telemetry, nil
	}
	return NewTelemetry(context.Background(), TelemetryConfig{})
}

func registerAll(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("registering metrics: %w", err)
		}
	}
	return nil
}
