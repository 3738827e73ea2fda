package api

import (
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// traced wraps next in a server span per request, continuing the trace of a caller that
// sent W3C trace context (traceparent, baggage). With tp nil it returns next itself:
// tracing that is off costs nothing. The probes and /metrics, polled every few seconds,
// are not traced.
func traced(tp trace.TracerProvider, next http.Handler) http.Handler {
	if tp == nil {
		return next
	}
	return otelhttp.NewHandler(next, "shopgraph",
		otelhttp.WithTracerProvider(tp),
		// Metrics are Prometheus': otelhttp's own instruments stay off.
		otelhttp.WithMeterProvider(noop.NewMeterProvider()),
		otelhttp.WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})),
		otelhttp.WithFilter(func(r *http.Request) bool {
			switch r.URL.Path {
			case "/healthz", "/readyz", "/metrics":
				return false
			}
			return true
		}),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			// A span name must not carry what a client chose: unknown paths share one.
			switch r.URL.Path {
			case "/graphql", "/":
				return r.Method + " " + r.URL.Path
			}
			return r.Method
		}),
	)
}
