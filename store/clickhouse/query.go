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

// withBudget returns ctx bounded by its own deadline or by def when it has none, with
// ClickHouse's max_execution_time set to the whole seconds left, so that the server gives
// up on a slow query itself (exception TIMEOUT_EXCEEDED, and the connection stays usable)
// rather than the client cutting the connection at the deadline. Less than two seconds
// left gives a one-second limit (zero would mean no limit): the deadline then ends the
// query first.
func withBudget(ctx context.Context, def time.Duration) (context.Context, context.CancelFunc) {
	cancel := context.CancelFunc(func() {})
	deadline, ok := ctx.Deadline()
	if !ok {
		ctx, cancel = context.WithTimeout(ctx, def)
		deadline, _ = ctx.Deadline()
	}
	secs := max(1, int(math.Floor(time.Until(deadline).Seconds())))
	return ch.Context(ctx, ch.WithSettings(ch.Settings{"max_execution_time": secs})), cancel
}

// read runs st with args within the context's budget and calls scan for every row.
// Errors come back classified by classify.
func (db *DB) read(ctx context.Context, st statement, args []any, scan func(driver.Rows) error) error {
	ctx, cancel := withBudget(ctx, defaultReadBudget)
	defer cancel()
	err := func() error {
		rows, err := db.Conn.Query(ctx, st.sql, args...)
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
