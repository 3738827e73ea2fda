package clickhouse

import (
	"context"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// QueryObserver is told how long each call to ClickHouse took, by kind: "query" (from
// sending the query to closing its rows), "select", "exec", or "insert" (a batch, from
// its preparation to its sending). err is the call's error, if any. It is called on the
// caller's goroutine and must be quick.
type QueryObserver func(kind string, d time.Duration, err error)

// Observe has every query, exec and batch insert of db timed by observe. It must be
// called before db is used: it replaces db.Conn.
func (db *DB) Observe(observe QueryObserver) {
	db.Conn = observedConn{Conn: db.Conn, observe: observe}
}

// observedConn is a driver.Conn that times the calls that reach the server.
type observedConn struct {
	driver.Conn
	observe QueryObserver
}

func (c observedConn) Select(ctx context.Context, dest any, query string, args ...any) error {
	start := time.Now()
	err := c.Conn.Select(ctx, dest, query, args...)
	c.observe("select", time.Since(start), err)
	return err
}

func (c observedConn) Query(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	start := time.Now()
	rows, err := c.Conn.Query(ctx, query, args...)
	if err != nil {
		c.observe("query", time.Since(start), err)
		return nil, err
	}
	return &observedRows{Rows: rows, start: start, observe: c.observe}, nil
}

func (c observedConn) QueryRow(ctx context.Context, query string, args ...any) driver.Row {
	start := time.Now()
	row := c.Conn.QueryRow(ctx, query, args...)
	c.observe("query", time.Since(start), row.Err())
	return row
}

func (c observedConn) Exec(ctx context.Context, query string, args ...any) error {
	start := time.Now()
	err := c.Conn.Exec(ctx, query, args...)
	c.observe("exec", time.Since(start), err)
	return err
}

func (c observedConn) PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	start := time.Now()
	b, err := c.Conn.PrepareBatch(ctx, query, opts...)
	if err != nil {
		c.observe("insert", time.Since(start), err)
		return nil, err
	}
	return &observedBatch{Batch: b, start: start, observe: c.observe}, nil
}

// observedRows reports its query when it is first closed.
type observedRows struct {
	driver.Rows
	start   time.Time
	observe QueryObserver
	closed  bool
}

func (r *observedRows) Close() error {
	err := r.Rows.Close()
	if !r.closed {
		r.closed = true
		r.observe("query", time.Since(r.start), r.Rows.Err())
	}
	return err
}

// observedBatch reports its insert when it is sent.
type observedBatch struct {
	driver.Batch
	start   time.Time
	observe QueryObserver
}

func (b *observedBatch) Send() error {
	err := b.Batch.Send()
	b.observe("insert", time.Since(b.start), err)
	return err
}
