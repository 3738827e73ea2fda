package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
)

// StatementObserver is told how long each statement took, by kind: the statement's
// first keyword (select, insert, update, delete, with, begin, commit, rollback, ...,
// "other" for the rest), "batch" for a pipelined batch, "copy" for a COPY. err is the
// statement's error, if any. It is called on the connection's goroutine, concurrently
// for different connections, and must be quick.
type StatementObserver func(kind string, d time.Duration, err error)

// TimingTracer is a pgx tracer that times statements, batches and copies for a
// StatementObserver (see Config.Tracer).
type TimingTracer struct {
	observe StatementObserver
}

// NewTimingTracer returns a tracer that tells observe how long each statement took.
func NewTimingTracer(observe StatementObserver) *TimingTracer {
	return &TimingTracer{observe: observe}
}

var (
	_ pgx.QueryTracer    = (*TimingTracer)(nil)
	_ pgx.BatchTracer    = (*TimingTracer)(nil)
	_ pgx.CopyFromTracer = (*TimingTracer)(nil)
)

// startKey holds, in a traced statement's context, when it started and its kind.
type startKey struct{}

type started struct {
	at   time.Time
	kind string
}

// TraceQueryStart notes when the statement started.
func (t *TimingTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, startKey{}, started{time.Now(), statementKind(data.SQL)})
}

// TraceQueryEnd reports the statement's duration.
func (t *TimingTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	t.end(ctx, data.Err)
}

// TraceBatchStart notes when the batch started.
func (t *TimingTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return context.WithValue(ctx, startKey{}, started{time.Now(), "batch"})
}

// TraceBatchQuery does nothing: a batch is timed as a whole, one round trip.
func (t *TimingTracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

// TraceBatchEnd reports the batch's duration.
func (t *TimingTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	t.end(ctx, data.Err)
}

// TraceCopyFromStart notes when the copy started.
func (t *TimingTracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	return context.WithValue(ctx, startKey{}, started{time.Now(), "copy"})
}

// TraceCopyFromEnd reports the copy's duration.
func (t *TimingTracer) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromEndData) {
	t.end(ctx, data.Err)
}

func (t *TimingTracer) end(ctx context.Context, err error) {
	if s, ok := ctx.Value(startKey{}).(started); ok {
		t.observe(s.kind, time.Since(s.at), err)
	}
}

// statementKinds are the first keywords reported as such; any other is "other", so
// that the kinds stay few whatever SQL runs.
var statementKinds = map[string]bool{
	"select": true, "insert": true, "update": true, "delete": true, "with": true,
	"begin": true, "commit": true, "rollback": true, "savepoint": true, "release": true,
	"listen": true, "unlisten": true, "notify": true,
}

// statementKind returns the lower-cased first keyword of sql when it is one of
// statementKinds, else "other".
func statementKind(sql string) string {
	sql = strings.TrimLeft(sql, " \t\r\n(")
	end := strings.IndexFunc(sql, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
	})
	if end < 0 {
		end = len(sql)
	}
	if end > 10 {
		return "other"
	}
	kw := strings.ToLower(sql[:end])
	if statementKinds[kw] {
		return kw
	}
	return "other"
}

// Tracers combines tracers into the one Config.Tracer takes: each sees every statement
// (and every batch, copy, connect or pool acquire it implements the tracer of), in the
// order given. Nil tracers are left out; with none left, Tracers returns nil.
func Tracers(tracers ...pgx.QueryTracer) pgx.QueryTracer {
	var keep []pgx.QueryTracer
	for _, t := range tracers {
		if t != nil {
			keep = append(keep, t)
		}
	}
	switch len(keep) {
	case 0:
		return nil
	case 1:
		return keep[0]
	}
	return multitracer.New(keep...)
}
