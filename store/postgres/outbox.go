package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shopgraph/shopgraph/domain"
)

// The outbox and its ordering.
//
// A state change writes its events with WriteOutbox inside its own transaction; the relay
// (events.Relay) publishes them after commit, in position order, and marks them published.
//
// position is an identity column: it is assigned when a row is inserted, not when its
// transaction commits. Two transactions A (position 10) and B (position 11) may commit B
// first, and a reader may then see 11 while 10 is still invisible. The relay therefore
// asks for "every unpublished row, by position" rather than "every row after the last one
// published": 10 is published as soon as it becomes visible, never skipped. The global
// publication order is thus the order in which rows became visible, which is not exactly
// position order across unrelated transactions, and need not be.
//
// What must hold is the order of the events of one entity, and it does, provided the
// writer changes the entity's row (UPDATE, or SELECT ... FOR UPDATE) before it calls
// WriteOutbox in the same transaction: a second writer of the same entity then blocks on
// the row lock until the first commits, so its outbox rows get later positions and become
// visible only after the first's. Since the relay publishes by position from a single
// leader (see Lead), the stream holds the entity's events in the order of its changes.
//
// Each write notifies the relay with the events it inserted (or, when they do not fit in
// a notification, their positions), and notifications reach the listener in commit order.
// After a notification the relay publishes just those events (NotifiedEvents), as the
// notification carried them, with no read: an entity's earlier events committed earlier,
// so they were notified earlier and published no later. Whenever the listener may have
// missed a commit, and at least once a poll interval, it reads every unpublished event
// instead.

// outboxChannel is the LISTEN/NOTIFY channel WriteOutbox notifies, delivered at commit.
const outboxChannel = "shopgraph_outbox"

// outboxLeaderLock is the key of the session advisory lock held by the relay leader
// ("sgoutbox" in ASCII). Advisory locks are per database.
const outboxLeaderLock int64 = 0x73676f7574626f78

// How a leader checks that the connection holding its lock is still alive: a dead socket
// shows at once; a silent one is pinged after leaderCheckInterval of quiet.
const (
	leaderCheckInterval = 5 * time.Second
	leaderPingTimeout   = 5 * time.Second
)

// How the notification listener retries after losing its connection.
const (
	listenBackoffMin = 100 * time.Millisecond
	listenBackoffMax = 5 * time.Second
)

// insertOutbox inserts one row per array element, in array order (the ORDER BY on the
// ordinality makes the identity positions follow the caller's order), and notifies the
// relay with what it inserted (a payload must stay under 8,000 bytes): the events
// themselves when they fit, as a JSON array of [position, event_id, type, key,
// occurred_at, payload] arrays by position; otherwise their positions, comma-separated;
// empty past notifyPositionsMax events, for "read them all". The notification is delivered
// only if and when the transaction commits, in commit order.
const insertOutbox = `
WITH inserted AS (
	INSERT INTO outbox (event_id, type, key, occurred_at, payload)
	SELECT e.id, e.type, e.key, e.at, e.payload
	FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[])
		WITH ORDINALITY AS e (id, type, key, at, payload, n)
	ORDER BY e.n
	RETURNING position, event_id, type, key, occurred_at, payload
), note AS (
	SELECT count(*) AS n,
		string_agg(position::text, ',' ORDER BY position) AS positions,
		json_agg(json_build_array(position, event_id, type, key, occurred_at, payload) ORDER BY position)::text AS events
	FROM inserted
)
SELECT pg_notify('` + outboxChannel + `', CASE
	WHEN octet_length(events) < 8000 THEN events
	WHEN n <= ` + notifyPositionsMax + ` THEN positions
	ELSE '' END)
FROM note`

// notifyPositionsMax is how many positions a notification names at most (20 digits and
// a comma each, under Postgres's 8,000-byte payload).
const notifyPositionsMax = "300"

// notifiedMax is how many notified events a listener keeps for the relay; past it, the
// relay reads every unpublished event instead.
const notifiedMax = 100000

// notifiedBytesMax bounds the payloads a listener keeps for the relay; the events notified
// past it are kept as positions, and read.
const notifiedBytesMax = 8 << 20

// markedFor is how long a listener remembers the events marked published, so as to drop
// their notifications if these come after the relay published them from a read of every
// unpublished event: at least this long, at most twice.
const markedFor = 5 * time.Second

// WriteOutbox inserts the events into the outbox inside tx, with one round trip, so that
// they are published if and only if tx commits. Each event's Data is encoded as JSON; an
// empty ID is replaced by a new UUID v4 and a zero At by the current time, on copies: the
// caller's events are not modified. Events keep the order of evs.
//
// The caller must have changed (and so locked) the row of the entity the events are about
// earlier in tx: that is what keeps one entity's events in order (see the comment at the
// top of this file). WriteOutbox returns an error, leaving tx to the caller, when an event
// has a type that is not a dot-separated subject such as "order.paid", an ID that is not a
// UUID, or Data that cannot be encoded; a CONFLICT error when an event ID already exists.
func WriteOutbox(ctx context.Context, tx pgx.Tx, evs ...domain.Event) error {
	if len(evs) == 0 {
		return nil
	}
	args, err := outboxArgs(evs)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, insertOutbox, args...); err != nil {
		return translate(err, "outbox event")
	}
	return nil
}

// queueOutbox queues WriteOutbox's statement in batch, for a transaction that sends it
// with other statements; evs must not be empty. The caller reads its result (Exec).
func queueOutbox(batch *pgx.Batch, evs ...domain.Event) error {
	if len(evs) == 0 {
		return errors.New("writing the outbox: no events")
	}
	args, err := outboxArgs(evs)
	if err != nil {
		return err
	}
	batch.Queue(insertOutbox, args...)
	return nil
}

// outboxArgs returns insertOutbox's arguments for the events (see WriteOutbox).
func outboxArgs(evs []domain.Event) ([]any, error) {
	ids := make([]string, len(evs))
	types := make([]string, len(evs))
	keys := make([]string, len(evs))
	ats := make([]time.Time, len(evs))
	payloads := make([]string, len(evs))
	now := time.Now()
	for i, e := range evs {
		if err := checkEventType(e.Type); err != nil {
			return nil, fmt.Errorf("writing outbox event %d: %w", i, err)
		}
		if e.ID == "" {
			e.ID = uuid.NewString()
		} else if _, err := uuid.Parse(e.ID); err != nil {
			return nil, fmt.Errorf("writing outbox event %d: id %q is not a uuid: %w", i, e.ID, err)
		}
		if e.At.IsZero() {
			e.At = now
		}
		b, err := json.Marshal(e.Data)
		if err != nil {
			return nil, fmt.Errorf("encoding payload of %s event %s: %w", e.Type, e.ID, err)
		}
		ids[i], types[i], keys[i], ats[i], payloads[i] = e.ID, e.Type, e.Key, e.At, string(b)
	}
	return []any{ids, types, keys, ats, payloads}, nil
}

// checkEventType reports whether t can be the last tokens of a NATS subject covered by a
// "family.>" stream filter: at least two dot-separated tokens of lower-case letters,
// digits, '_' and '-'.
func checkEventType(t string) error {
	tokens, empty := 1, true
	for _, r := range t {
		switch {
		case r == '.':
			if empty {
				return fmt.Errorf("event type %q has an empty token", t)
			}
			tokens, empty = tokens+1, true
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
			empty = false
		default:
			return fmt.Errorf("event type %q contains %q", t, r)
		}
	}
	if empty || tokens < 2 {
		return fmt.Errorf("event type %q is not of the form family.name", t)
	}
	return nil
}

// ErrLeadershipLost is the cause (see context.Cause) of a Lead context that ended because
// the connection holding the leader lock failed: the lock is gone with the session, and
// another process may already lead.
var ErrLeadershipLost = errors.New("outbox leadership lost")

// errLeadershipReleased is the cause of a Lead context ended by its release function.
var errLeadershipReleased = errors.New("outbox leadership released")

// OutboxStore is the relay's view of the outbox: it reads unpublished events, marks them
// published, elects one relay leader among the replicas and wakes the leader on commits.
type OutboxStore struct {
	db    *DB
	heard atomic.Pointer[heard] // the newest listener's, for NotifiedEvents
}

// heard is what one notification listener has heard and the relay not yet taken: the
// events committed, in commit order, or that some commit's events are not known (a
// notification naming none, a listener that reconnected and may have missed some, too
// many waiting).
type heard struct {
	ch chan struct{} // Notifications' channel

	mu      sync.Mutex
	notes   []notified
	held    int // payload bytes in notes
	unknown bool
	closed  bool // ch is closed
	// The positions marked published recently (in marked, and in the set before it,
	// which gives way to it every markedFor): their notifications are dropped.
	marked, markedBefore map[int64]struct{}
	markedSince          time.Time
}

// notified is an event a notification named: its position, and the event itself when the
// notification carried it.
type notified struct {
	position int64
	entry    *domain.OutboxEntry
}

// wake signals the relay, unless a signal is already pending or the listener has stopped.
func (h *heard) wake() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		signal(h.ch)
	}
}

// close closes the channel, once the listener has stopped.
func (h *heard) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	close(h.ch)
}

// add records a notification's payload (see insertOutbox).
func (h *heard) add(payload string) {
	var notes []notified
	var err error
	if strings.HasPrefix(payload, "[") {
		notes, err = parseNotifiedEvents(payload)
	} else if payload != "" {
		notes, err = parseNotifiedPositions(payload)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.unknown {
		return
	}
	if len(notes) == 0 || err != nil || len(h.notes)+len(notes) > notifiedMax {
		h.forget()
		return
	}
	for _, n := range notes {
		if h.wasMarked(n.position) {
			continue
		}
		if n.entry != nil {
			if h.held+len(n.entry.Payload) > notifiedBytesMax {
				n.entry = nil // read instead
			} else {
				h.held += len(n.entry.Payload)
			}
		}
		h.notes = append(h.notes, n)
	}
}

// parseNotifiedEvents reads a notification that carries its events.
func parseNotifiedEvents(payload string) ([]notified, error) {
	var rows [][]json.RawMessage
	if err := json.Unmarshal([]byte(payload), &rows); err != nil {
		return nil, fmt.Errorf("reading an outbox notification: %w", err)
	}
	notes := make([]notified, len(rows))
	for i, r := range rows {
		if len(r) != 6 {
			return nil, fmt.Errorf("reading an outbox notification: an event of %d fields, want 6", len(r))
		}
		e := &domain.OutboxEntry{Payload: []byte(r[5])}
		var at string
		for j, dst := range []any{&e.Position, &e.ID, &e.Type, &e.Key, &at} {
			if err := json.Unmarshal(r[j], dst); err != nil {
				return nil, fmt.Errorf("reading an outbox notification: field %d: %w", j, err)
			}
		}
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return nil, fmt.Errorf("reading an outbox notification: %w", err)
		}
		e.At = t.Local() // as pgx reads a timestamptz
		notes[i] = notified{position: e.Position, entry: e}
	}
	return notes, nil
}

// parseNotifiedPositions reads a notification that names its events' positions.
func parseNotifiedPositions(payload string) ([]notified, error) {
	var notes []notified
	for p := range strings.SplitSeq(payload, ",") {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("reading an outbox notification: %w", err)
		}
		notes = append(notes, notified{position: n})
	}
	return notes, nil
}

// forget drops what was heard, which is then not known; h.mu is held.
func (h *heard) forget() {
	h.notes, h.held, h.unknown = nil, 0, true
}

// lost records that notifications may have been missed.
func (h *heard) lost() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.forget()
}

// published records that the events at positions were marked published: a notification
// of one that is waiting, or comes later, is dropped.
func (h *heard) published(positions []int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now := time.Now(); h.marked == nil || now.Sub(h.markedSince) >= markedFor {
		h.marked, h.markedBefore, h.markedSince = make(map[int64]struct{}, len(positions)), h.marked, now
	}
	for _, p := range positions {
		h.marked[p] = struct{}{}
	}
}

// wasMarked reports whether the event at position was marked published recently; h.mu
// is held.
func (h *heard) wasMarked(position int64) bool {
	_, ok := h.marked[position]
	if !ok {
		_, ok = h.markedBefore[position]
	}
	return ok
}

// take returns up to limit of the events heard and not marked published since, oldest
// first, and whether there are more; all when they are not known.
func (h *heard) take(limit int) (notes []notified, all, more bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.unknown {
		h.unknown = false
		return nil, true, false
	}
	n := 0
	for n < len(h.notes) && len(notes) < limit {
		note := h.notes[n]
		n++
		if note.entry != nil {
			h.held -= len(note.entry.Payload)
		}
		if !h.wasMarked(note.position) {
			notes = append(notes, note)
		}
	}
	h.notes = slices.Delete(h.notes, 0, n)
	return notes, false, len(h.notes) > 0
}

var _ domain.EventStore = (*OutboxStore)(nil)

// NewOutboxStore returns an OutboxStore over db.
func NewOutboxStore(db *DB) *OutboxStore { return &OutboxStore{db: db} }

// Append writes the events in a transaction of its own, for code and tests that have no
// transaction at hand; it is WriteOutbox otherwise, with the same errors.
func (s *OutboxStore) Append(ctx context.Context, evs ...domain.Event) error {
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		return WriteOutbox(ctx, tx, evs...)
	})
	if err != nil {
		return fmt.Errorf("appending to outbox: %w", err)
	}
	return nil
}

// UnpublishedEvents returns up to limit committed events not yet marked published, by
// increasing position. Because positions are assigned at insert, an event may show up
// after events of higher positions that committed before it (see the comment at the top of
// this file); it is never skipped. limit must be positive.
func (s *OutboxStore) UnpublishedEvents(ctx context.Context, limit int) ([]domain.OutboxEntry, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("reading unpublished events: limit %d is not positive", limit)
	}
	rows, err := s.db.Pool.Query(ctx, `
		SELECT position, event_id::text, type, key, occurred_at, payload
		FROM outbox WHERE published_at IS NULL
		ORDER BY position LIMIT $1`, limit)
	if err != nil {
		return nil, translate(err, "reading unpublished events")
	}
	return scanOutboxEntries(rows, limit, "reading unpublished events")
}

// scanOutboxEntries reads outbox rows (position, event_id, type, key, occurred_at,
// payload).
func scanOutboxEntries(rows pgx.Rows, limit int, what string) ([]domain.OutboxEntry, error) {
	out := make([]domain.OutboxEntry, 0, min(limit, 64))
	var e domain.OutboxEntry
	_, err := pgx.ForEachRow(rows, []any{&e.Position, &e.ID, &e.Type, &e.Key, &e.At, &e.Payload}, func() error {
		e.Payload = append([]byte(nil), e.Payload...)
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, translate(err, what)
	}
	return out, nil
}

// NotifiedEvents returns the events whose commits the newest listener (Notifications) has
// heard of since the last call, less those marked published (MarkPublished) since, by
// increasing position, up to limit of them; what it leaves for later it signals again.
// When the listener may have missed commits (it reconnected, a commit named no events),
// and when no listener runs, it returns what UnpublishedEvents does. Notifications arrive
// in commit order, and one entity's events commit in the order of their positions, so the
// relay that publishes what this returns, in order, keeps each entity's events in order.
//
// It takes the events from their notifications, with no round trip; the events that did
// not fit in theirs it reads by position (leaving out those published), where
// UnpublishedEvents scans the index of unpublished events, which also holds the entries
// of the events published since the table was last vacuumed.
func (s *OutboxStore) NotifiedEvents(ctx context.Context, limit int) ([]domain.OutboxEntry, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("reading notified events: limit %d is not positive", limit)
	}
	h := s.heard.Load()
	if h == nil {
		return s.UnpublishedEvents(ctx, limit)
	}
	notes, all, more := h.take(limit)
	if all {
		evs, err := s.UnpublishedEvents(ctx, limit)
		if err != nil || len(evs) == limit {
			h.lost() // read them all again next time
			h.wake()
		}
		return evs, err
	}
	if more {
		h.wake()
	}
	var out []domain.OutboxEntry
	var positions []int64 // the events to read
	for _, n := range notes {
		if n.entry != nil {
			out = append(out, *n.entry)
		} else {
			positions = append(positions, n.position)
		}
	}
	if len(positions) > 0 {
		rows, err := s.db.Pool.Query(ctx, `
			SELECT position, event_id::text, type, key, occurred_at, payload
			FROM outbox WHERE position = ANY($1) AND published_at IS NULL`, positions)
		if err != nil {
			return nil, translate(err, "reading notified events")
		}
		read, err := scanOutboxEntries(rows, len(positions), "reading notified events")
		if err != nil {
			return nil, err
		}
		out = append(out, read...)
	}
	slices.SortFunc(out, func(a, b domain.OutboxEntry) int { return cmp.Compare(a.Position, b.Position) })
	return out, nil
}

// MarkPublished records that the events at exactly these positions were published, so
// UnpublishedEvents no longer returns them. Positions already marked or unknown are
// ignored; other positions are not touched (it is not a high-water mark).
//
// The mark commits without waiting for its WAL flush (synchronous_commit off for this
// transaction only): it returns after one round trip, not after an fsync. A mark lost to
// a server crash only makes the relay publish those events again, which the stream drops
// as duplicates of their message ids.
func (s *OutboxStore) MarkPublished(ctx context.Context, positions []int64) error {
	if len(positions) == 0 {
		return nil
	}
	// One simple-protocol query, so one round trip: its statements form one implicit
	// transaction, which SET LOCAL applies to. The positions are integers, written out.
	var b strings.Builder
	b.WriteString(`SET LOCAL synchronous_commit = off;
		UPDATE outbox SET published_at = now() WHERE published_at IS NULL AND position = ANY('{`)
	for i, p := range positions {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(p, 10))
	}
	b.WriteString(`}'::bigint[])`)
	if _, err := s.db.Pool.Exec(ctx, b.String()); err != nil {
		return translate(err, "marking events published")
	}
	if h := s.heard.Load(); h != nil {
		h.published(positions)
	}
	return nil
}

// PruneOutbox deletes up to limit events that were published before publishedBefore, the
// oldest first, and returns how many it deleted. Unpublished events are never touched.
// Once published, an event lives on in the stream (and its order's status history in
// the order tables): the outbox row is only the relay's to-do entry.
func (s *OutboxStore) PruneOutbox(ctx context.Context, publishedBefore time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, fmt.Errorf("pruning the outbox: limit %d is not positive", limit)
	}
	tag, err := s.db.Pool.Exec(ctx, `DELETE FROM outbox WHERE position IN (
		SELECT position FROM outbox WHERE published_at < $1 ORDER BY published_at LIMIT $2)`, publishedBefore, limit)
	if err != nil {
		return 0, translate(err, "pruning the outbox")
	}
	return int(tag.RowsAffected()), nil
}

// OutboxLag returns how many committed events wait to be published and when the oldest of
// them occurred (the zero time when none waits), for metrics and health checks.
func (s *OutboxStore) OutboxLag(ctx context.Context) (count int, oldest time.Time, err error) {
	var n int64
	var at *time.Time
	err = s.db.Pool.QueryRow(ctx, `SELECT count(*), min(occurred_at) FROM outbox
		WHERE published_at IS NULL`).Scan(&n, &at)
	if err != nil {
		return 0, time.Time{}, translate(err, "measuring outbox lag")
	}
	if at != nil {
		oldest = *at
	}
	return int(n), oldest, nil
}

// Lead blocks until this process holds the outbox leader lock, a session advisory lock,
// so that one relay among all replicas publishes, in order. It returns a context that is
// done when leadership ends, and a release function that the caller must call, exactly
// once or more (later calls do nothing), whatever happens: it unlocks and gives the
// connection back.
//
// The lock lives on a connection taken from the pool for as long as it is held. If that
// connection fails, the server has dropped the lock and another process may lead: the
// returned context is then cancelled with cause ErrLeadershipLost, and the caller must
// stop publishing and call release. The context also ends when ctx does; the lock is
// still held until release. Lead returns an error when ctx ends before the lock is
// obtained or the database cannot be reached. Session locks need a session: Lead does not
// work through a transaction-pooling proxy.
func (s *OutboxStore) Lead(ctx context.Context) (context.Context, func(), error) {
	conn, err := s.db.Pool.Acquire(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("acquiring connection for outbox leadership: %w", err)
	}
	// The wait happens in the server: when ctx ends, pgx interrupts the query and closes
	// the connection, which drops a lock granted in the meantime too.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", outboxLeaderLock); err != nil {
		discard(conn)
		return nil, nil, fmt.Errorf("waiting for outbox leadership: %w", err)
	}
	leadCtx, cancel := context.WithCancelCause(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		watchLock(leadCtx, conn, cancel)
	}()
	var once sync.Once
	release := func() {
		once.Do(func() {
			cancel(errLeadershipReleased)
			<-watched // the watcher no longer uses conn
			ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
			defer stop()
			var held bool
			err := conn.QueryRow(ctx, "SELECT pg_advisory_unlock($1)", outboxLeaderLock).Scan(&held)
			if err != nil || !held {
				discard(conn) // closing the session drops whatever it holds
				return
			}
			conn.Release()
		})
	}
	return leadCtx, release, nil
}

// watchLock watches the connection holding the leader lock until ctx ends, and cancels
// with ErrLeadershipLost when the connection fails. Waiting for a notification (there are
// none: the connection listens to nothing) reads the socket, so a connection closed by the
// server shows at once; a ping after some quiet catches one that silently died.
func watchLock(ctx context.Context, conn *pgxpool.Conn, lost context.CancelCauseFunc) {
	for {
		wctx, cancel := context.WithTimeout(ctx, leaderCheckInterval)
		err := conn.Conn().PgConn().WaitForNotification(wctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			lost(fmt.Errorf("%w: %w", ErrLeadershipLost, err))
			return
		}
		pctx, cancel := context.WithTimeout(ctx, leaderPingTimeout)
		err = conn.Ping(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			lost(fmt.Errorf("%w: %w", ErrLeadershipLost, err))
			return
		}
	}
}

// Notifications listens for outbox commits on a connection of its own and returns a
// channel that receives a value after each commit that wrote events. Sends never block:
// commits that happen while a value is still pending fold into it, so one receive may
// stand for many commits. After a lost connection the listener reconnects (backing off up
// to a few seconds) and then sends a value, since commits may have gone unheard meanwhile.
// Commits made before Notifications returns may go unsignalled: read the outbox once
// after calling it.
//
// The channel is closed once ctx has ended and the listener has let go of its connection.
// Notifications returns an error, and starts nothing, when it cannot listen at all.
func (s *OutboxStore) Notifications(ctx context.Context) (<-chan struct{}, error) {
	conn, err := s.listen(ctx)
	if err != nil {
		return nil, err
	}
	// What committed before it listened is not known: the first read takes every
	// unpublished event.
	h := &heard{ch: make(chan struct{}, 1), unknown: true}
	s.heard.Store(h)
	go s.forward(ctx, conn, h)
	return h.ch, nil
}

// listen returns a pooled connection that listens on the outbox channel.
func (s *OutboxStore) listen(ctx context.Context) (*pgxpool.Conn, error) {
	conn, err := s.db.Pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquiring connection for outbox notifications: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+outboxChannel); err != nil {
		discard(conn)
		return nil, fmt.Errorf("listening for outbox notifications: %w", err)
	}
	return conn, nil
}

// forward records every notification on conn in h and signals its channel, until ctx
// ends, replacing conn when it fails (what committed meanwhile is then not known); then
// closes the channel.
func (s *OutboxStore) forward(ctx context.Context, conn *pgxpool.Conn, h *heard) {
	defer func() {
		s.heard.CompareAndSwap(h, nil)
		h.close()
	}()
	backoff := listenBackoffMin
	for {
		if conn == nil {
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			var err error
			if conn, err = s.listen(ctx); err != nil {
				backoff = min(2*backoff, listenBackoffMax)
				continue
			}
			backoff = listenBackoffMin
			h.lost()
			h.wake()
		}
		n, err := conn.Conn().WaitForNotification(ctx)
		if ctx.Err() != nil {
			discard(conn)
			return
		}
		if err != nil {
			discard(conn)
			conn = nil
			continue
		}
		h.add(n.Payload)
		h.wake()
	}
}

// signal sends on ch unless a value is already pending.
func signal(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// discard closes a pooled connection whose session state (a lock, a LISTEN, a broken
// protocol state) must not be handed to the next user, and returns it to the pool, which
// drops closed connections.
func discard(conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = conn.Conn().Close(ctx) // the pool replaces it either way
	conn.Release()
}
