package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/shopgraph/shopgraph/domain"
)

// RequestIDHeader carries a request's id: taken from the request when a client or a
// proxy in front sent a sane one, made up otherwise, and always echoed in the response.
const RequestIDHeader = "X-Request-ID"

// maxRequestIDLen caps an incoming request id; a longer one is replaced, not truncated,
// so that an id in the logs is always exactly what some party sent or made.
const maxRequestIDLen = 64

// withRequestID gives every request an id: the incoming X-Request-ID when it is sane
// (1 to 64 characters of [A-Za-z0-9._-], so that it is safe in logs and headers), else
// 32 random hex digits. The id is set on the response header before next runs, put in
// the request's context (domain.RequestIDFrom), and recorded on the request's span.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		ctx := domain.WithRequestID(r.Context(), id)
		trace.SpanFromContext(ctx).SetAttributes(attribute.String("http.request.id", id))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// validRequestID reports whether id may be used as given.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// RequestLogHandler returns h with every record logged under a request's context
// carrying that request's id as request_id, and, when the request is traced, its trace
// id as trace_id, so that all the lines of one request can be found together (and next
// to its trace). Records logged without a request's context are unchanged. Wrapping a
// handler that RequestLogHandler returned returns it as is. The attributes are added
// last: after WithGroup they land inside the group, as any attribute of the record does.
func RequestLogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(requestLogHandler); ok {
		return h
	}
	return requestLogHandler{h}
}

// RequestLogger returns log with RequestLogHandler around its handler (log itself when
// it already has it); nil stays nil.
func RequestLogger(log *slog.Logger) *slog.Logger {
	if log == nil {
		return nil
	}
	if _, ok := log.Handler().(requestLogHandler); ok {
		return log
	}
	return slog.New(RequestLogHandler(log.Handler()))
}

type requestLogHandler struct{ slog.Handler }

func (h requestLogHandler) Handle(ctx context.Context, rec slog.Record) error {
	if id := domain.RequestIDFrom(ctx); id != "" {
		rec.AddAttrs(slog.String("request_id", id))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		rec.AddAttrs(slog.String("trace_id", sc.TraceID().String()))
	}
	return h.Handler.Handle(ctx, rec)
}

func (h requestLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestLogHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestLogHandler) WithGroup(name string) slog.Handler {
	return requestLogHandler{h.Handler.WithGroup(name)}
}
