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
}

var (
	_ domain.AnalyticsWriter = (*AnalyticsStore)(nil)
	_ domain.DashboardReader = (*AnalyticsStore)(nil)
)

// NewAnalyticsStore returns an AnalyticsStore over db, whose schema Migrate has created.
func NewAnalyticsStore(db *DB) *AnalyticsStore {
	return &AnalyticsStore{db: db, abandoned: &queryIDs{ids: make(map[string]struct{})}}
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

// eventRow is an AnalyticsEvent in the column types of the events table.
type eventRow struct {
	eventID                                   uuid.UUID
	seq                                       uint16
	typ, service, userID, sessionID, entityID string
	amountMinor, revenueMinor                 int64
	ordersDelta                               int8
	currency, paymentMethod                   string
	productID                                 int64
	quantity                                  int32
	ts                                        time.Time
	tsMS                                      uint16
	metadata                                  string
}

// fromDomainEvent converts and checks one row: the event id must be a UUID and every
// number must fit its column, so that a bad row fails the batch before anything is sent.
func fromDomainEvent(e domain.AnalyticsEvent) (eventRow, error) {
	id, err := uuid.Parse(e.EventID)
	if err != nil {
		return eventRow{}, fmt.Errorf("event id %q is not a UUID", e.EventID)
	}
	switch {
	case e.Seq < 0 || e.Seq > math.MaxUint16:
		return eventRow{}, fmt.Errorf("seq %d is out of range", e.Seq)
	case e.OrdersDelta < math.MinInt8 || e.OrdersDelta > math.MaxInt8:
		return eventRow{}, fmt.Errorf("orders delta %d is out of range", e.OrdersDelta)
	case e.Quantity < math.MinInt32 || e.Quantity > math.MaxInt32:
		return eventRow{}, fmt.Errorf("quantity %d is out of range", e.Quantity)
	case e.At.Before(minDateTime) || !e.At.Before(maxDateTime):
		return eventRow{}, fmt.Errorf("time %s is out of range", e.At.Format(time.RFC3339))
	}
	at := e.At.UTC()
	return eventRow{
		eventID: id, seq: uint16(e.Seq), typ: e.Type, service: e.Service, userID: e.UserID,
		sessionID: e.SessionID, entityID: e.EntityID, amountMinor: e.AmountMinor,
		revenueMinor: e.RevenueMinor, ordersDelta: int8(e.OrdersDelta), currency: e.Currency,
		paymentMethod: e.PaymentMethod, productID: e.ProductID, quantity: int32(e.Quantity),
		ts: at.Truncate(time.Second), tsMS: uint16(at.Nanosecond() / int(time.Millisecond)),
		metadata: e.Metadata,
	}, nil
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
	converted := make([]eventRow, len(rows))
	for i, e := range rows {
		r, err := fromDomainEvent(e)
		if err != nil {
			return fmt.Errorf("analytics row %d (event %s, seq %d): %w", i, e.EventID, e.Seq, err)
		}
		converted[i] = r
	}
	ctx, cancel := withBudget(ctx, defaultInsertBudget)
	defer cancel()
	id := uuid.NewString()
	if err := s.send(ch.Context(ctx, ch.WithQueryID(id)), converted); err != nil {
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

func (s *AnalyticsStore) send(ctx context.Context, rows []eventRow) (err error) {
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
	for i, values := range columns(rows) {
		if err := batch.Column(i).Append(values); err != nil {
			return fmt.Errorf("appending column %d: %w", i, err)
		}
	}
	return batch.Send()
}

// columns returns the values of rows by column, in the order of insert_events.sql.
func columns(rows []eventRow) []any {
	n := len(rows)
	var (
		ids                                  = make([]uuid.UUID, n)
		seqs, tsMS                           = make([]uint16, n), make([]uint16, n)
		types, services, users, sessions     = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		entities, currencies, methods, metas = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		amounts, revenues, products          = make([]int64, n), make([]int64, n), make([]int64, n)
		orders                               = make([]int8, n)
		quantities                           = make([]int32, n)
		times                                = make([]time.Time, n)
	)
	for i := range rows {
		r := &rows[i]
		ids[i], seqs[i], types[i], services[i], users[i], sessions[i], entities[i] = r.eventID, r.seq, r.typ, r.service, r.userID, r.sessionID, r.entityID
		amounts[i], revenues[i], orders[i], currencies[i], methods[i] = r.amountMinor, r.revenueMinor, r.ordersDelta, r.currency, r.paymentMethod
		products[i], quantities[i], times[i], tsMS[i], metas[i] = r.productID, r.quantity, r.ts, r.tsMS, r.metadata
	}
	return []any{ids, seqs, types, services, users, sessions, entities, amounts, revenues, orders,
		currencies, methods, products, quantities, times, tsMS, metas}
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
