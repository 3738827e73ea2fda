package clickhouse

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strings"
	"syscall"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/shopgraph/shopgraph/domain"
)

// The SQL of the analytics store lives in queries/*.sql, one statement a file, so that
// scripts/chdb-check.mjs runs the very same text on a current ClickHouse engine as the
// Go code sends to the servers. Parameters are clickhouse-go's client-side named
// placeholders (@name), bound with ch.Named.
//
//go:embed queries/*.sql
var queryFiles embed.FS

// statement is one of the store's SQL statements, named after its file.
type statement struct {
	name string
	sql  string
}

// loadStatement reads queries/<name>.sql. A missing file is a programming error, found
// at start-up by any test of the package.
func loadStatement(name string) statement {
	b, err := queryFiles.ReadFile("queries/" + name + ".sql")
	if err != nil {
		panic(fmt.Sprintf("clickhouse: missing query file: %v", err))
	}
	return statement{name: name, sql: strings.TrimSpace(string(b))}
}

var (
	insertEventsSQL      = loadStatement("insert_events")
	existingEventIDsSQL  = loadStatement("existing_event_ids")
	summarySQL           = loadStatement("summary")
	revenueSeriesHourSQL = loadStatement("revenue_series_hour")
	revenueSeriesDaySQL  = loadStatement("revenue_series_day")
	ordersByStatusSQL    = loadStatement("orders_by_status")
	revenueByMethodSQL   = loadStatement("revenue_by_payment_method")
	topProductsSQL       = loadStatement("top_products")
	conversionFunnelSQL  = loadStatement("conversion_funnel")
	funnelSessionsSQL    = loadStatement("conversion_funnel_sessions")
	funnelSomeSQL        = loadStatement("conversion_funnel_some")
	funnelSealedSQL      = loadStatement("conversion_funnel_sealed")
	funnelSealSQL        = loadStatement("funnel_seal")
	funnelSealLevelsSQL  = loadStatement("funnel_seal_levels")
	funnelSealCountsSQL  = loadStatement("funnel_seal_counts")
	funnelSealRecordSQL  = loadStatement("funnel_seal_record")
	funnelFingerprintSQL = loadStatement("funnel_fingerprint")
	funnelSealsSQL       = loadStatement("funnel_seals")
	funnelDropSealSQL    = loadStatement("funnel_drop_seal")
	funnelDropSealedSQL  = loadStatement("funnel_drop_sealed")
	funnelDropLevelsSQL  = loadStatement("funnel_drop_sealed_levels")
	funnelDropCountsSQL  = loadStatement("funnel_drop_sealed_counts")
	funnelGenerationsSQL = loadStatement("funnel_sealed_generations")
	eventCountsSQL       = loadStatement("event_counts")
)

// Time budgets used when the caller's context has no deadline.
const (
	defaultReadBudget   = 5 * time.Second
	defaultInsertBudget = 30 * time.Second
)

// The ClickHouse exception codes the store tells apart.
const (
	codeTimeoutExceeded        = 159 // TIMEOUT_EXCEEDED: max_execution_time ran out
	codeTooManySimultaneous    = 202 // TOO_MANY_SIMULTANEOUS_QUERIES
	codeNetworkError           = 210 // NETWORK_ERROR
	codeSocketTimeout          = 209 // SOCKET_TIMEOUT
	codeAllConnectionTriesFail = 279 // ALL_CONNECTION_TRIES_FAILED
)

// The safe messages of the store's coded errors.
const (
	msgUnavailable = "analytics are unavailable right now"
	msgTimeout     = "the analytics query ran out of time; try a shorter range"
)

// withBudget returns ctx bounded by its own deadline, or by def when it has none.
func withBudget(ctx context.Context, def time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, def)
}

// queryContext returns the context to give the driver for a query that must end by
// ctx's deadline: ClickHouse's max_execution_time is set to the whole seconds left, so
// that the server gives up on a slow query itself (exception TIMEOUT_EXCEEDED, and the
// connection stays usable) rather than the client cutting the connection at the
// deadline. With less than two seconds left the limit is one second (zero would mean
// none), and the deadline ends the query first.
//
// The driver's context carries no deadline of its own, only ctx's cancellation:
// clickhouse-go replaces max_execution_time by the time left plus five seconds whenever
// its context has a deadline (queryOptions in its context.go), which would leave the
// server running a query long after its client gave up. Call stop when the query is done.
func queryContext(ctx context.Context) (qctx context.Context, stop func()) {
	secs := 1
	if deadline, ok := ctx.Deadline(); ok {
		secs = max(1, int(math.Floor(time.Until(deadline).Seconds())))
	}
	qctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	unhook := context.AfterFunc(ctx, func() { cancel(context.Cause(ctx)) })
	qctx = ch.Context(qctx, ch.WithSettings(ch.Settings{"max_execution_time": secs}))
	return qctx, func() {
		unhook()
		cancel(nil)
	}
}

// read runs st with args, within ctx's deadline or the default read budget, and calls
// scan for every row. Errors come back classified by classify.
func (db *DB) read(ctx context.Context, st statement, args []any, scan func(driver.Rows) error) error {
	ctx, cancel := withBudget(ctx, defaultReadBudget)
	defer cancel()
	qctx, stop := queryContext(ctx)
	defer stop()
	err := func() error {
		rows, err := db.Conn.Query(qctx, st.sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return rows.Close()
	}()
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			// The driver saw queryContext's cancellation; say why ctx ended.
			err = context.Cause(ctx)
		}
		return classify(ctx, "running "+st.name, err)
	}
	return nil
}

// exec runs st, a statement without rows (INSERT ... SELECT, ALTER), with args within
// ctx's deadline or the default read budget. Errors come back classified by classify.
func (db *DB) exec(ctx context.Context, st statement, args []any) error {
	ctx, cancel := withBudget(ctx, defaultReadBudget)
	defer cancel()
	qctx, stop := queryContext(ctx)
	defer stop()
	if err := db.Conn.Exec(qctx, st.sql, args...); err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		return classify(ctx, "running "+st.name, err)
	}
	return nil
}

// classify turns a driver error into the store's contract: a SERVICE_UNAVAILABLE
// *domain.Error when ClickHouse cannot be reached or the connection broke, a TIMEOUT one
// when the query ran out of time (ClickHouse's own limit or ctx's deadline), and a
// wrapped internal error otherwise. The coded errors keep the cause in the chain for the
// logs; only their safe message reaches a client. ctx is the context the query ran with.
func classify(ctx context.Context, doing string, err error) error {
	var domErr *domain.Error
	switch {
	case isDial(err):
		domErr = domain.Errorf(domain.CodeServiceUnavailable, msgUnavailable)
	case isTimeout(ctx, err):
		domErr = domain.Errorf(domain.CodeTimeout, msgTimeout)
	case errors.Is(err, context.Canceled):
		// The caller went away: not a failure of the analytics store.
		return fmt.Errorf("%s: %w", doing, err)
	case isUnavailable(err):
		domErr = domain.Errorf(domain.CodeServiceUnavailable, msgUnavailable)
	default:
		return fmt.Errorf("%s: %w", doing, err)
	}
	return fmt.Errorf("%w: %w", domErr, fmt.Errorf("%s: %w", doing, err))
}

// isDial reports whether err is a failure to open a connection: the server is down or
// unreachable, even when the dial took long enough for ctx to expire meanwhile.
func isDial(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func isTimeout(ctx context.Context, err error) bool {
	var ex *ch.Exception
	if errors.As(err, &ex) && ex.Code == codeTimeoutExceeded {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return true
	}
	// A read cut by the connection deadline the driver sets from ctx.
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isUnavailable(err error) bool {
	var ex *ch.Exception
	if errors.As(err, &ex) {
		switch ex.Code {
		case codeTooManySimultaneous, codeNetworkError, codeSocketTimeout, codeAllConnectionTriesFail:
			return true
		}
		return false
	}
	var op *net.OpError
	return errors.As(err, &op) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, ch.ErrAcquireConnTimeout) || errors.Is(err, ch.ErrConnectionClosed)
}
