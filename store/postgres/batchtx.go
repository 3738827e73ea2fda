package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// batchTx is a transaction on one pooled connection whose BEGIN goes out with its first
// batch and whose COMMIT goes out with its last, so that a transaction of n batches costs
// n round trips, not n + 2. The statements of one batch run in order; when one fails,
// PostgreSQL skips the rest up to the batch's end, a COMMIT queued there included, and
// the transaction is rolled back by end. Checkouts and order transitions use it: each
// round trip of theirs is time the locks on stock rows and on the order are held.
type batchTx struct {
	conn      *pgxpool.Conn
	begun     bool
	committed bool
}

// beginBatchTx takes a connection from the pool for a transaction. The caller must call
// end, whatever happens.
func beginBatchTx(ctx context.Context, pool *pgxpool.Pool) (*batchTx, error) {
	c, err := pool.Acquire(ctx)
	if err != nil {
		return nil, translate(err, "acquiring a connection")
	}
	return &batchTx{conn: c}, nil
}

// batch returns a new batch for the transaction: the first one starts with BEGIN, whose
// result send reads.
func (t *batchTx) batch() *pgx.Batch {
	b := &pgx.Batch{}
	if !t.begun {
		b.Queue("begin")
	}
	return b
}

// send sends b (made by batch), reading BEGIN's result when b carries it; the caller reads
// the rest in order and closes the results (or reads a COMMIT it queued last with
// readCommit, which closes them).
func (t *batchTx) send(ctx context.Context, b *pgx.Batch) (pgx.BatchResults, error) {
	res := t.conn.SendBatch(ctx, b)
	if !t.begun {
		t.begun = true
		if _, err := res.Exec(); err != nil {
			res.Close()
			return nil, translate(err, "beginning transaction")
		}
	}
	return res, nil
}

// queueCommit ends b with the transaction's COMMIT; read its result with readCommit,
// after every other result of b.
func queueCommit(b *pgx.Batch) { b.Queue("commit") }

// readCommit reads the COMMIT queued by queueCommit and closes res.
func (t *batchTx) readCommit(res pgx.BatchResults) error {
	tag, err := res.Exec()
	if err == nil && tag.String() != "COMMIT" {
		err = errors.New("the transaction was rolled back at commit")
	}
	if cerr := res.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return translate(err, "committing")
	}
	t.committed = true
	return nil
}

// commit commits in a round trip of its own.
func (t *batchTx) commit(ctx context.Context) error {
	b := t.batch()
	queueCommit(b)
	res, err := t.send(ctx, b)
	if err != nil {
		return err
	}
	return t.readCommit(res)
}

// end rolls back a transaction that was not committed and gives the connection back.
// A connection left inside a transaction (a broken one) is closed by the pool.
func (t *batchTx) end(ctx context.Context) {
	if t.begun && !t.committed && !t.conn.Conn().IsClosed() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_, _ = t.conn.Exec(rctx, "rollback")
		cancel()
	}
	t.conn.Release()
}
