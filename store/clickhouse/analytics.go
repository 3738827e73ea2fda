package clickhouse

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"

	"github.com/shopgraph/shopgraph/domain"
)

// AnalyticsStore writes analytics rows to the events table and answers the dashboard
// from that table and its rollups. It is safe for concurrent use.
//
// The dashboard methods (dashboard.go) read 15-minute rollups, so each first widens its
// range to whole quarter hours of UTC: From down and To up. All figures of one range
// therefore agree with each other; a caller wanting exact edges passes quarter-hour
// ranges, as days and hours of every time zone are.
type AnalyticsStore struct {
	db *DB
	// abandoned holds the query ids of inserts that returned an error: the server may
	// still be running one, and write its rows after the caller gave up on it
	// (ExistingEventIDs waits for them).
	abandoned *queryIDs
	// funnelUndeterminedMax, when set, lowers funnelUndeterminedMax (tests).
	funnelUndeterminedMax int
	// spare holds the columns of the last insert, emptied, for the next one: an
	// ingester inserts one batch at a time.
	spare chan *eventColumns
}

var (
	_ domain.AnalyticsWriter = (*AnalyticsStore)(nil)
	_ domain.DashboardReader = (*AnalyticsStore)(nil)
)

// NewAnalyticsStore returns an AnalyticsStore over db, whose schema Migrate has created.
func NewAnalyticsStore(db *DB) *AnalyticsStore {
	return &AnalyticsStore{db: db, abandoned: &queryIDs{ids: make(map[string]struct{})}, spare: make(chan *eventColumns, 1)}
}

// queryIDs is a set of query ids, safe for concurrent use.
type queryIDs struct {
	mu  sync.Mutex
	ids map[string]struct{}
}

func (q *queryIDs) add(id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ids[id] = struct{}{}
}

func (q *queryIDs) remove(id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.ids, id)
}

func (q *queryIDs) list() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]string, 0, len(q.ids))
	for id := range q.ids {
		out = append(out, id)
	}
	return out
}

// existingIDsChunk bounds the ids of one ExistingEventIDs query: about 40 bytes each in
// the query text, well under ClickHouse's default max_query_size of 256 KiB.
const existingIDsChunk = 2000

// The range of ClickHouse's DateTime, which 18.16 and current servers share.
var (
	minDateTime = time.Unix(0, 0)
	maxDateTime = time.Date(2105, 12, 31, 0, 0, 0, 0, time.UTC)
)

// eventColumns is a batch of AnalyticsEvents in the column types of the events table,
// column by column in the order of insert_events.sql. An insert takes the store's spare
// columns and leaves them emptied, so that a batch of the ingester's does not allocate
// its columns, nor a row struct per event, again; the store keeps one set, as large as
// the largest batch it inserted.
type eventColumns struct {
	ids                                  []uuid.UUID
	seqs, tsMS                           []uint16
	types, services, users, sessions     []string
	entities, currencies, methods, metas []string
	amounts, revenues, products          []int64
	orders                               []int8
	quantities                           []int32
	times                                []time.Time
}

// add converts, checks and appends one row: the event id must be a UUID and every number
// must fit its column, so that a bad row fails the batch before anything is sent. It
// appends nothing when it returns an error.
func (c *eventColumns) add(e *domain.AnalyticsEvent) error {
	id, err := uuid.Parse(e.EventID)
	if err != nil {
		return fmt.Errorf("event id %q is not a UUID", e.EventID)
	}
	switch {
	case e.Seq < 0 || e.Seq > math.MaxUint16:
		return fmt.Errorf("seq %d is out of range", e.Seq)
	case e.OrdersDelta < math.MinInt8 || e.OrdersDelta > math.MaxInt8:
		return fmt.Errorf("orders delta %d is out of range", e.OrdersDelta)
	case e.Quantity < math.MinInt32 || e.Quantity > math.MaxInt32:
		return fmt.Errorf("quantity %d is out of range", e.Quantity)
	case e.At.Before(minDateTime) || !e.At.Before(maxDateTime):
		return fmt.Errorf("time %s is out of range", e.At.Format(time.RFC3339))
	}
	at := e.At.UTC()
	c.ids, c.seqs = append(c.ids, id), append(c.seqs, uint16(e.Seq))
	c.types, c.services, c.users = append(c.types, e.Type), append(c.services, e.Service), append(c.users, e.UserID)
	c.sessions, c.entities = append(c.sessions, e.SessionID), append(c.entities, e.EntityID)
	c.amounts, c.revenues = append(c.amounts, e.AmountMinor), append(c.revenues, e.RevenueMinor)
	c.orders, c.currencies = append(c.orders, int8(e.OrdersDelta)), append(c.currencies, e.Currency)
	c.methods, c.products = append(c.methods, e.PaymentMethod), append(c.products, e.ProductID)
	c.quantities = append(c.quantities, int32(e.Quantity))
	c.times = append(c.times, at.Truncate(time.Second))
	c.tsMS = append(c.tsMS, uint16(at.Nanosecond()/int(time.Millisecond)))
	c.metas = append(c.metas, e.Metadata)
	return nil
}

// values returns the columns, in the order of insert_events.sql.
func (c *eventColumns) values() []any {
	return []any{c.ids, c.seqs, c.types, c.services, c.users, c.sessions, c.entities, c.amounts,
		c.revenues, c.orders, c.currencies, c.methods, c.products, c.quantities, c.times, c.tsMS, c.metas}
}

// reset empties the columns, keeping their memory but not the strings they held.
func (c *eventColumns) reset() {
	for _, col := range []*[]string{&c.types, &c.services, &c.users, &c.sessions, &c.entities, &c.currencies, &c.methods, &c.metas} {
		clear(*col)
		*col = (*col)[:0]
	}
	c.ids, c.seqs, c.tsMS = c.ids[:0], c.seqs[:0], c.tsMS[:0]
	c.amounts, c.revenues, c.products = c.amounts[:0], c.revenues[:0], c.products[:0]
	c.orders, c.quantities, c.times = c.orders[:0], c.quantities[:0], c.times[:0]
}

// Insert stores the rows in one batch (one INSERT with an explicit column list, sent in
// ClickHouse's native block format). A row that cannot be stored (an event id that is
// not a UUID, a number too large for its column, a time outside 1970-2105) fails the
// whole batch before anything is sent. No rows is a no-op.
//
// ClickHouse writes a batch as one part per month of the rows' times, so a failure in
// the middle of a batch spanning months can leave some months written; the rows of one
// event share its time, so ExistingEventIDs then reports whole events, and a retry of
// the batch that skips them counts nothing twice.
//
// Insert returns a SERVICE_UNAVAILABLE error when ClickHouse cannot be reached and a
// TIMEOUT one when ctx's deadline (30 seconds when it has none) passes first.
func (s *AnalyticsStore) Insert(ctx context.Context, rows []domain.AnalyticsEvent) error {
	if len(rows) == 0 {
		return nil
	}
	var cols *eventColumns
	select {
	case cols = <-s.spare:
	default:
		cols = new(eventColumns) // the first insert, or one beside another
	}
	defer func() {
		cols.reset()
		select {
		case s.spare <- cols:
		default:
		}
	}()
	for i := range rows {
		if err := cols.add(&rows[i]); err != nil {
			return fmt.Errorf("analytics row %d (event %s, seq %d): %w", i, rows[i].EventID, rows[i].Seq, err)
		}
	}
	ctx, cancel := withBudget(ctx, defaultInsertBudget)
	defer cancel()
	id := uuid.NewString()
	if err := s.send(ch.Context(ctx, ch.WithQueryID(id)), cols); err != nil {
		s.abandoned.add(id)
		return classify(ctx, fmt.Sprintf("inserting %d analytics rows", len(rows)), err)
	}
	return nil
}

// settle waits until no insert that returned an error is still running on the server.
// An insert the client gave up on (its deadline passed, its connection broke) can go on
// there and store its rows later; a check of which events are stored that ran before
// those rows land would have them inserted twice. Gone from system.processes, an insert
// has stored its rows or never will.
func (s *AnalyticsStore) settle(ctx context.Context) error {
	for _, id := range s.abandoned.list() {
		for {
			var running uint64
			err := s.db.Conn.QueryRow(ctx, "SELECT count() FROM system.processes WHERE query_id = ?", id).Scan(&running)
			if err != nil {
				return classify(ctx, "waiting for an insert that failed to end on the server", err)
			}
			if running == 0 {
				break
			}
			select {
			case <-ctx.Done():
				return classify(ctx, "waiting for an insert that failed to end on the server", ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
		s.abandoned.remove(id)
	}
	return nil
}

func (s *AnalyticsStore) send(ctx context.Context, cols *eventColumns) (err error) {
	batch, err := s.db.Conn.PrepareBatch(ctx, insertEventsSQL.sql)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = batch.Abort() // the error that matters is the one returned
		}
	}()
	// Column by column: a row at a time boxes each of its 17 values in an interface and
	// converts it on its own, a third of the ingester's work in its profile.
	for i, values := range cols.values() {
		if err := batch.Column(i).Append(values); err != nil {
			return fmt.Errorf("appending column %d: %w", i, err)
		}
	}
	return batch.Send()
}

// ExistingEventIDs returns which of ids already have rows in the events table: the map
// holds true for those, and nothing for the others. An id that is not a UUID cannot
// have rows and is never in the map. Ids are compared as UUIDs, so any spelling of a
// stored id (upper case, say) is found, under the spelling the caller gave. It first
// waits until no insert of this store that returned an error is still running on the
// server, so that the answer counts whatever such an insert stores.
//
// It returns a SERVICE_UNAVAILABLE error when ClickHouse cannot be reached and a
// TIMEOUT one when the query runs out of time (5 seconds when ctx has no deadline).
func (s *AnalyticsStore) ExistingEventIDs(ctx context.Context, ids []string) (map[string]bool, error) {
	if err := s.settle(ctx); err != nil {
		return nil, err
	}
	found := make(map[string]bool)
	byCanonical := make(map[string][]string, len(ids))
	var set []any
	for _, id := range ids {
		u, err := uuid.Parse(id)
		if err != nil {
			continue
		}
		c := u.String()
		if _, seen := byCanonical[c]; !seen {
			set = append(set, c)
		}
		byCanonical[c] = append(byCanonical[c], id)
	}
	for start := 0; start < len(set); start += existingIDsChunk {
		chunk := set[start:min(start+existingIDsChunk, len(set))]
		args := []any{ch.Named("ids", ch.GroupSet{Value: chunk})}
		err := s.db.read(ctx, existingEventIDsSQL, args, func(rows driver.Rows) error {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			for _, given := range byCanonical[id] {
				found[given] = true
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return found, nil
}
