package clickhouse_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/uuid"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/clickhouse"
	"github.com/shopgraph/shopgraph/testkit"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &net.AddrError{Err: "connect: connection refused"}}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	for _, tc := range []struct {
		name string
		err  error
		want domain.Code
	}{
		{"dial refused", refused, domain.CodeServiceUnavailable},
		{"connection reset", reset, domain.CodeServiceUnavailable},
		{"eof", fmt.Errorf("read: %w", io.EOF), domain.CodeServiceUnavailable},
		{"no connection in time", ch.ErrAcquireConnTimeout, domain.CodeServiceUnavailable},
		{"too many queries", &ch.Exception{Code: 202, Message: "Too many simultaneous queries"}, domain.CodeServiceUnavailable},
		{"max_execution_time", &ch.Exception{Code: 159, Message: "Timeout exceeded: elapsed 2.0 seconds"}, domain.CodeTimeout},
		{"deadline", fmt.Errorf("reading: %w", context.DeadlineExceeded), domain.CodeTimeout},
		{"syntax error", &ch.Exception{Code: 62, Message: "Syntax error"}, domain.CodeInternal},
		{"cancelled", context.Canceled, domain.CodeInternal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := clickhouse.Classify(context.Background(), "running q", tc.err)
			if got := domain.ErrorCode(err); got != tc.want {
				t.Errorf("code %s, want %s (error %q)", got, tc.want, err)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("%q does not wrap its cause", err)
			}
			var de *domain.Error
			if tc.want == domain.CodeServiceUnavailable && (!errors.As(err, &de) || de.Message != "analytics are unavailable right now") {
				t.Errorf("clients see %q", err)
			}
		})
	}
	// A read cut by the deadline the driver set from ctx.
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if got := domain.ErrorCode(clickhouse.Classify(ctx, "running q", &net.OpError{Op: "read", Err: io.ErrUnexpectedEOF})); got != domain.CodeTimeout {
		t.Errorf("read error after the deadline: code %s, want TIMEOUT", got)
	}
}

// proxied returns a store whose connections to the test's database go through a proxy
// that the test can take down.
func proxied(t *testing.T) (*clickhouse.AnalyticsStore, *testkit.TCPProxy) {
	t.Helper()
	db := testkit.ClickHouse(t)
	u, err := url.Parse(testkit.ClickHouseURL())
	if err != nil {
		t.Fatalf("parsing clickhouse url: %v", err)
	}
	proxy := testkit.StartTCPProxy(t, u.Host)
	pdb, err := clickhouse.Open(clickhouse.Config{URL: testkit.ClickHouseDatabaseURL(t, proxy.Addr(), db.Database)})
	if err != nil {
		t.Fatalf("opening through the proxy: %v", err)
	}
	t.Cleanup(func() { _ = pdb.Close() })
	return clickhouse.NewAnalyticsStore(pdb), proxy
}

// everyMethod calls every method of the store once, with ctx, and returns their errors.
func everyMethod(ctx context.Context, s *clickhouse.AnalyticsStore) map[string]error {
	day := domain.DateRange{From: time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 3, 11, 0, 0, 0, 0, time.UTC)}
	errs := map[string]error{}
	_, errs["Summary"] = s.Summary(ctx, day)
	_, errs["RevenueSeries"] = s.RevenueSeries(ctx, day, domain.Hour, time.UTC)
	_, errs["OrdersByStatus"] = s.OrdersByStatus(ctx, day)
	_, errs["RevenueByPaymentMethod"] = s.RevenueByPaymentMethod(ctx, day)
	_, errs["TopProducts"] = s.TopProducts(ctx, day, 10, domain.ByUnits)
	_, errs["ConversionFunnel"] = s.ConversionFunnel(ctx, day)
	_, errs["EventCounts"] = s.EventCounts(ctx, day)
	_, _, errs["OrderTotals"] = s.OrderTotals(ctx, day)
	_, errs["ExistingEventIDs"] = s.ExistingEventIDs(ctx, []string{uuid.NewString()})
	errs["Insert"] = s.Insert(ctx, []domain.AnalyticsEvent{{EventID: uuid.NewString(), Type: "user.registered", At: day.From}})
	return errs
}

func TestUnavailableWhenClickHouseIsDown(t *testing.T) {
	t.Parallel()
	s, proxy := proxied(t)
	ctx := testCtx(t)
	for name, err := range everyMethod(ctx, s) {
		if err != nil {
			t.Fatalf("%s through the proxy: %v", name, err)
		}
	}

	proxy.Down() // closes the pooled connections too
	for name, err := range everyMethod(ctx, s) {
		wantCode(t, name+" with ClickHouse down", err, domain.CodeServiceUnavailable)
		var de *domain.Error
		if errors.As(err, &de); de.Message != "analytics are unavailable right now" {
			t.Errorf("%s: clients see %q", name, de.Message)
		}
	}
	// A refused connection is reported as such, not by waiting for the deadline.
	_, err := s.Summary(ctx, domain.DateRange{From: time.Unix(0, 0), To: time.Unix(3600, 0)})
	wantCode(t, "Summary with ClickHouse down", err, domain.CodeServiceUnavailable)
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		t.Errorf("Summary with ClickHouse down waited for the deadline: %v", err)
	}
	t.Log(err)

	proxy.Up()
	// The pool dials again on demand.
	for name, err := range everyMethod(ctx, s) {
		if err != nil {
			t.Errorf("%s with ClickHouse back: %v", name, err)
		}
	}
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)

	t.Run("deadline already passed", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Millisecond))
		defer cancel()
		for name, err := range everyMethod(ctx, s) {
			wantCode(t, name, err, domain.CodeTimeout)
		}
	})

	// system.numbers never ends: only a time limit stops the count.
	const endless = "SELECT count() FROM system.numbers"

	t.Run("server stops the query", func(t *testing.T) {
		t.Parallel()
		// 2.9 s left: max_execution_time is 2 s, so ClickHouse gives up first, with most
		// of a second to spare for its answer to arrive on a busy machine.
		ctx, cancel := context.WithTimeout(context.Background(), 2900*time.Millisecond)
		defer cancel()
		err := s.RunForTest(ctx, endless)
		wantCode(t, "endless query", err, domain.CodeTimeout)
		var ex *ch.Exception
		if !errors.As(err, &ex) || ex.Code != 159 {
			t.Errorf("error %q does not wrap ClickHouse's TIMEOUT_EXCEEDED (159)", err)
		}
		t.Log(err)
	})

	t.Run("deadline ends the query", func(t *testing.T) {
		t.Parallel()
		// 500 ms left: max_execution_time is its minimum, 1 s, so the deadline ends it.
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		err := s.RunForTest(ctx, endless)
		wantCode(t, "endless query", err, domain.CodeTimeout)
		// The context's deadline ended it, not ClickHouse's own limit.
		var ex *ch.Exception
		if errors.As(err, &ex) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %q: want the context's deadline, not a ClickHouse exception", err)
		}
		t.Log(err)
	})

	t.Run("no deadline gets the default budget", func(t *testing.T) {
		t.Parallel()
		// 5 s: ClickHouse stops the query after 4.
		started := time.Now()
		err := s.RunForTest(context.Background(), endless)
		wantCode(t, "endless query", err, domain.CodeTimeout)
		// ClickHouse's own limit ended it, and not before the default budget.
		var ex *ch.Exception
		if !errors.As(err, &ex) || ex.Code != 159 {
			t.Errorf("error %q does not wrap ClickHouse's TIMEOUT_EXCEEDED (159)", err)
		}
		if took := time.Since(started); took < 3500*time.Millisecond {
			t.Errorf("the query was stopped after %s, before the 4 s default budget", took)
		}
	})
}
