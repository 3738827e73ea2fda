package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/postgres"
	"github.com/shopgraph/shopgraph/testkit"
)

// newOutbox returns an outbox store on a database of the test's own, with nothing left to
// publish (whatever seeding wrote is marked published), and a context bounded by a
// deadline.
func newOutbox(t *testing.T) (*postgres.DB, *postgres.OutboxStore, string, context.Context) {
	t.Helper()
	db, url := testkit.Postgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	s := postgres.NewOutboxStore(db)
	for {
		es, err := s.UnpublishedEvents(ctx, 1000)
		if err != nil {
			t.Fatalf("reading seeded events: %v", err)
		}
		if len(es) == 0 {
			break
		}
		ps := make([]int64, len(es))
		for i, e := range es {
			ps[i] = e.Position
		}
		if err := s.MarkPublished(ctx, ps); err != nil {
			t.Fatalf("marking seeded events published: %v", err)
		}
	}
	return db, s, url, ctx
}

// writeInTx writes evs with WriteOutbox in a transaction that commits, or rolls back when
// commit is false.
func writeInTx(t *testing.T, ctx context.Context, db *postgres.DB, commit bool, evs ...domain.Event) {
	t.Helper()
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatalf("beginning: %v", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit
	if err := postgres.WriteOutbox(ctx, tx, evs...); err != nil {
		t.Fatalf("WriteOutbox: %v", err)
	}
	if !commit {
		if err := tx.Rollback(ctx); err != nil {
			t.Fatalf("rolling back: %v", err)
		}
		return
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("committing: %v", err)
	}
}

func unpublished(t *testing.T, ctx context.Context, s *postgres.OutboxStore) []domain.OutboxEntry {
	t.Helper()
	es, err := s.UnpublishedEvents(ctx, 1000)
	if err != nil {
		t.Fatalf("UnpublishedEvents: %v", err)
	}
	return es
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting until %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond) // poll interval, bounded by the deadline
	}
}

// receive waits for a value on ch, failing the test after timeout.
func receive[T any](t *testing.T, ch <-chan T, timeout time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(timeout):
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
		panic("unreachable")
	}
}

func sameJSON(t *testing.T, got []byte, want any) bool {
	t.Helper()
	wb, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("payload %s is not JSON: %v", got, err)
	}
	if err := json.Unmarshal(wb, &w); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(g, w)
}

func TestWriteOutboxCommittedIsUnpublishedInOrder(t *testing.T) {
	t.Parallel()
	db, s, _, ctx := newOutbox(t)

	at := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	givenID := uuid.NewString()
	first := []domain.Event{
		{ID: givenID, Type: domain.EventProductCreated, Key: "41", At: at,
			Data: domain.ProductEventData{ProductID: 41, Slug: "mug", Name: "Mug", PriceMinor: 1250, Currency: "EUR", Stock: 3}},
		{Type: domain.EventInventoryAdjusted, Key: "41",
			Data: domain.InventoryEventData{ProductID: 41, Delta: -1, Stock: 2, Reason: "sale"}},
	}
	second := []domain.Event{
		{Type: domain.EventUserRegistered, Key: "7", Data: domain.UserEventData{UserID: 7, Email: "a@example.com"}},
	}
	before := time.Now().Add(-time.Second)
	writeInTx(t, ctx, db, true, first...)
	writeInTx(t, ctx, db, true, second...)
	after := time.Now().Add(time.Second)

	if first[1].ID != "" || !first[1].At.IsZero() {
		t.Errorf("WriteOutbox changed the caller's event: %+v", first[1])
	}
	want := append(append([]domain.Event{}, first...), second...)
	got := unpublished(t, ctx, s)
	if len(got) != len(want) {
		t.Fatalf("got %d unpublished events, want %d: %+v", len(got), len(want), got)
	}
	seen := map[string]bool{}
	for i, g := range got {
		w := want[i]
		if i > 0 && g.Position <= got[i-1].Position {
			t.Errorf("event %d: position %d after %d", i, g.Position, got[i-1].Position)
		}
		if g.Type != w.Type || g.Key != w.Key {
			t.Errorf("event %d: type %q key %q, want %q %q", i, g.Type, g.Key, w.Type, w.Key)
		}
		if _, err := uuid.Parse(g.ID); err != nil || seen[g.ID] {
			t.Errorf("event %d: id %q is not a fresh uuid (%v)", i, g.ID, err)
		}
		seen[g.ID] = true
		if w.ID != "" && g.ID != w.ID {
			t.Errorf("event %d: id %q, want %q", i, g.ID, w.ID)
		}
		if !w.At.IsZero() && !g.At.Equal(w.At) {
			t.Errorf("event %d: at %v, want %v", i, g.At, w.At)
		}
		if w.At.IsZero() && (g.At.Before(before) || g.At.After(after)) {
			t.Errorf("event %d: at %v, want about now", i, g.At)
		}
		if !sameJSON(t, g.Payload, w.Data) {
			t.Errorf("event %d: payload %s, want %+v", i, g.Payload, w.Data)
		}
	}

	n, oldest, err := s.OutboxLag(ctx)
	if err != nil {
		t.Fatalf("OutboxLag: %v", err)
	}
	if n != 3 || !oldest.Equal(at) {
		t.Errorf("OutboxLag = %d, %v; want 3, %v", n, oldest, at)
	}

	// limit
	if got := len(mustUnpublished(t, ctx, s, 2)); got != 2 {
		t.Errorf("UnpublishedEvents(2) returned %d events", got)
	}
}

func mustUnpublished(t *testing.T, ctx context.Context, s *postgres.OutboxStore, limit int) []domain.OutboxEntry {
	t.Helper()
	es, err := s.UnpublishedEvents(ctx, limit)
	if err != nil {
		t.Fatalf("UnpublishedEvents(%d): %v", limit, err)
	}
	return es
}

func TestWriteOutboxRolledBackLeavesNothing(t *testing.T) {
	t.Parallel()
	db, s, _, ctx := newOutbox(t)
	writeInTx(t, ctx, db, false,
		domain.Event{Type: domain.EventOrderPaid, Key: "1"},
		domain.Event{Type: domain.EventOrderShipped, Key: "1"})
	if got := unpublished(t, ctx, s); len(got) != 0 {
		t.Errorf("rolled-back events are visible: %+v", got)
	}
	n, oldest, err := s.OutboxLag(ctx)
	if err != nil || n != 0 || !oldest.IsZero() {
		t.Errorf("OutboxLag = %d, %v, %v; want 0, zero time, nil", n, oldest, err)
	}
}

func TestMarkPublished(t *testing.T) {
	t.Parallel()
	_, s, _, ctx := newOutbox(t)
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var evs []domain.Event
	for i := range 4 {
		evs = append(evs, domain.Event{Type: domain.EventOrderCreated, Key: "9", At: t0.Add(time.Duration(i) * time.Minute)})
	}
	if err := s.Append(ctx, evs...); err != nil {
		t.Fatalf("Append: %v", err)
	}
	all := unpublished(t, ctx, s)
	if len(all) != 4 {
		t.Fatalf("got %d events, want 4", len(all))
	}
	if err := s.MarkPublished(ctx, []int64{all[0].Position, all[2].Position}); err != nil {
		t.Fatalf("MarkPublished: %v", err)
	}
	// Marking again, or marking nothing, is harmless.
	if err := s.MarkPublished(ctx, []int64{all[0].Position}); err != nil {
		t.Fatalf("MarkPublished again: %v", err)
	}
	if err := s.MarkPublished(ctx, nil); err != nil {
		t.Fatalf("MarkPublished(nil): %v", err)
	}
	left := unpublished(t, ctx, s)
	if len(left) != 2 || left[0].Position != all[1].Position || left[1].Position != all[3].Position {
		t.Errorf("left unpublished %+v, want positions %d and %d", left, all[1].Position, all[3].Position)
	}
	n, oldest, err := s.OutboxLag(ctx)
	if err != nil || n != 2 || !oldest.Equal(evs[1].At) {
		t.Errorf("OutboxLag = %d, %v, %v; want 2, %v, nil", n, oldest, err, evs[1].At)
	}
}

func TestWriteOutboxRejects(t *testing.T) {
	t.Parallel()
	db, s, _, ctx := newOutbox(t)
	id := uuid.NewString()
	if err := s.Append(ctx, domain.Event{ID: id, Type: domain.EventOrderPaid}); err != nil {
		t.Fatalf("Append: %v", err)
	}
	tests := []struct {
		name string
		ev   domain.Event
		code domain.Code
	}{
		{"empty type", domain.Event{}, domain.CodeInternal},
		{"one-token type", domain.Event{Type: "order"}, domain.CodeInternal},
		{"wildcard type", domain.Event{Type: "order.*"}, domain.CodeInternal},
		{"space in type", domain.Event{Type: "order.paid now"}, domain.CodeInternal},
		{"empty token", domain.Event{Type: "order..paid"}, domain.CodeInternal},
		{"id not a uuid", domain.Event{ID: "abc", Type: domain.EventOrderPaid}, domain.CodeInternal},
		{"data not encodable", domain.Event{Type: domain.EventOrderPaid, Data: make(chan int)}, domain.CodeInternal},
		{"duplicate id", domain.Event{ID: id, Type: domain.EventOrderPaid}, domain.CodeConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Append(ctx, domain.Event{Type: domain.EventOrderCreated}, tc.ev)
			if err == nil {
				t.Fatal("Append succeeded")
			}
			if got := domain.ErrorCode(err); got != tc.code {
				t.Errorf("error %v has code %s, want %s", err, got, tc.code)
			}
		})
	}
	// Nothing of the failed appends is left, not even their valid events.
	if got := unpublished(t, ctx, s); len(got) != 1 || got[0].ID != id {
		t.Errorf("unpublished = %+v, want only %s", got, id)
	}
	// Writing no event is a no-op.
	writeInTx(t, ctx, db, true)
}

func TestNotificationsOnCommitOnly(t *testing.T) {
	t.Parallel()
	db, s, url, ctx := newOutbox(t)

	// A raw listener proves that a rolled-back write notifies nothing: notifications
	// arrive in commit order, so the sentinel sent after the rollback must come first.
	raw, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	t.Cleanup(func() { raw.Close(context.Background()) })
	if _, err := raw.Exec(ctx, "LISTEN shopgraph_outbox; LISTEN sg_test_sentinel"); err != nil {
		t.Fatalf("listening: %v", err)
	}

	notes, stop := listenOutbox(t, ctx, s)

	writeInTx(t, ctx, db, false, domain.Event{Type: domain.EventOrderPaid, Key: "1"})
	if _, err := db.Pool.Exec(ctx, "SELECT pg_notify('sg_test_sentinel', '')"); err != nil {
		t.Fatalf("notifying sentinel: %v", err)
	}
	n, err := raw.WaitForNotification(ctx)
	if err != nil {
		t.Fatalf("waiting for notification: %v", err)
	}
	if n.Channel != "sg_test_sentinel" {
		t.Fatalf("after a rollback, first notification on %q, want the sentinel", n.Channel)
	}
	select {
	case <-notes:
		t.Fatal("Notifications signalled a rolled-back write")
	default:
	}

	for i := range 3 {
		writeInTx(t, ctx, db, true, domain.Event{Type: domain.EventOrderPaid, Key: "1"}, domain.Event{Type: domain.EventOrderShipped, Key: "1"})
		receive(t, notes, 10*time.Second, "a notification of commit")
		n, err := raw.WaitForNotification(ctx)
		if err != nil || n.Channel != "shopgraph_outbox" {
			t.Fatalf("commit %d: raw notification %+v, %v", i, n, err)
		}
	}

	// The channel closes once the listener stops.
	stop()
	waitClosed(t, notes, 10*time.Second)
}

// listenOutbox starts s's notification listener until the test ends or stop is called,
// and drains its channel at the end.
func listenOutbox(t *testing.T, ctx context.Context, s *postgres.OutboxStore) (notes <-chan struct{}, stop func()) {
	t.Helper()
	nctx, stop := context.WithCancel(ctx)
	notes, err := s.Notifications(nctx)
	if err != nil {
		t.Fatalf("Notifications: %v", err)
	}
	t.Cleanup(func() {
		stop()
		for range notes {
		}
	})
	return notes, stop
}

// outboxListener is the pid of the backend listening for outbox notifications, or 0.
func outboxListener(t *testing.T, ctx context.Context, db *postgres.DB) (pid int32) {
	t.Helper()
	err := db.Pool.QueryRow(ctx, `SELECT coalesce(max(pid), 0) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN shopgraph_outbox'`).Scan(&pid)
	if err != nil {
		t.Fatalf("finding the listener: %v", err)
	}
	return pid
}

// waitClosed drains ch until it is closed, failing the test after timeout.
func waitClosed(t *testing.T, ch <-chan struct{}, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("channel not closed after %v", timeout)
		}
	}
}

func TestNotificationsReconnect(t *testing.T) {
	t.Parallel()
	db, s, _, ctx := newOutbox(t)
	notes, stop := listenOutbox(t, ctx, s)
	listener := func() int32 { return outboxListener(t, ctx, db) }
	old := listener()
	if old == 0 {
		t.Fatal("no backend listens")
	}
	if _, err := db.Pool.Exec(ctx, "SELECT pg_terminate_backend($1)", old); err != nil {
		t.Fatalf("terminating listener: %v", err)
	}
	waitFor(t, 15*time.Second, "the listener reconnects", func() bool {
		p := listener()
		return p != 0 && p != old
	})
	// The reconnection itself signals, since commits may have been missed.
	receive(t, notes, 10*time.Second, "the signal after reconnecting")
	writeInTx(t, ctx, db, true, domain.Event{Type: domain.EventOrderPaid, Key: "1"})
	receive(t, notes, 10*time.Second, "a notification after reconnecting")
	stop()
	waitClosed(t, notes, 10*time.Second)
}

// advisoryLocks counts the advisory locks of the database, granted or waited for.
func advisoryLocks(t *testing.T, ctx context.Context, db *postgres.DB, granted bool) (n int, pid int32) {
	t.Helper()
	err := db.Pool.QueryRow(ctx, `SELECT count(*), coalesce(max(pid), 0) FROM pg_locks
		WHERE locktype = 'advisory' AND granted = $1
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, granted).Scan(&n, &pid)
	if err != nil {
		t.Fatalf("reading pg_locks: %v", err)
	}
	return n, pid
}

type leadResult struct {
	ctx     context.Context
	release func()
	err     error
}

func TestLeadIsExclusive(t *testing.T) {
	t.Parallel()
	db, s, _, ctx := newOutbox(t)
	lead1, release1, err := s.Lead(ctx)
	if err != nil {
		t.Fatalf("first Lead: %v", err)
	}
	t.Cleanup(release1)

	second := make(chan leadResult, 1)
	go func() {
		c, r, err := s.Lead(ctx)
		second <- leadResult{c, r, err}
	}()
	waitFor(t, 10*time.Second, "the second Lead waits in the server", func() bool {
		n, _ := advisoryLocks(t, ctx, db, false)
		return n == 1
	})
	select {
	case r := <-second:
		t.Fatalf("second Lead returned while the first leads: %v", r.err)
	default:
	}
	if lead1.Err() != nil {
		t.Fatalf("first leadership ended: %v", context.Cause(lead1))
	}

	release1()
	release1() // idempotent
	if lead1.Err() == nil {
		t.Error("first leadership context still live after release")
	}
	r := receive(t, second, 10*time.Second, "the second Lead after release")
	if r.err != nil {
		t.Fatalf("second Lead: %v", r.err)
	}
	if r.ctx.Err() != nil {
		t.Errorf("second leadership ended at once: %v", context.Cause(r.ctx))
	}
	r.release()
	if n, _ := advisoryLocks(t, ctx, db, true); n != 0 {
		t.Errorf("%d advisory locks still held after both released", n)
	}
}

func TestLeadGivesUpWhenCancelled(t *testing.T) {
	t.Parallel()
	db, s, _, ctx := newOutbox(t)
	_, release1, err := s.Lead(ctx)
	if err != nil {
		t.Fatalf("first Lead: %v", err)
	}
	t.Cleanup(release1)

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, r, err := s.Lead(wctx)
		if err == nil {
			r()
		}
		errc <- err
	}()
	waitFor(t, 10*time.Second, "the second Lead waits", func() bool {
		n, _ := advisoryLocks(t, ctx, db, false)
		return n == 1
	})
	cancel()
	if err := receive(t, errc, 10*time.Second, "the cancelled Lead"); err == nil {
		t.Fatal("a cancelled Lead succeeded")
	}
	waitFor(t, 10*time.Second, "the cancelled wait leaves the server", func() bool {
		n, _ := advisoryLocks(t, ctx, db, false)
		return n == 0
	})
	release1()

	// A leader whose own context ends keeps the lock until release, and can then
	// give it back cleanly.
	lctx, lcancel := context.WithCancel(ctx)
	lead, release, err := s.Lead(lctx)
	if err != nil {
		t.Fatalf("Lead after release: %v", err)
	}
	lcancel()
	<-lead.Done()
	if n, _ := advisoryLocks(t, ctx, db, true); n != 1 {
		t.Errorf("%d locks held after the leader's context ended, want 1 until release", n)
	}
	release()
	if n, _ := advisoryLocks(t, ctx, db, true); n != 0 {
		t.Errorf("%d locks held after release", n)
	}
}

func TestLeadLostWithItsConnection(t *testing.T) {
	t.Parallel()
	db, s, _, ctx := newOutbox(t)
	lead, release, err := s.Lead(ctx)
	if err != nil {
		t.Fatalf("Lead: %v", err)
	}
	t.Cleanup(release)
	n, pid := advisoryLocks(t, ctx, db, true)
	if n != 1 {
		t.Fatalf("%d advisory locks held, want 1", n)
	}
	if _, err := db.Pool.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatalf("terminating the leader's connection: %v", err)
	}
	select {
	case <-lead.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("leadership context still live after its connection died")
	}
	if cause := context.Cause(lead); !errors.Is(cause, postgres.ErrLeadershipLost) {
		t.Errorf("cause %v, want ErrLeadershipLost", cause)
	}
	release()

	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, release2, err := s.Lead(lctx)
	if err != nil {
		t.Fatalf("Lead after the loss: %v", err)
	}
	release2()
}

// TestPruneOutbox: only events published before the cutoff go, the oldest first, at most
// limit of them; unpublished events stay whatever their age.
func TestPruneOutbox(t *testing.T) {
	t.Parallel()
	db, s, _, ctx := newOutbox(t)
	var total int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	// The seed's events are published now: inside any retention.
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	var evs []domain.Event
	for i := range 4 {
		evs = append(evs, domain.Event{Type: domain.EventOrderCreated, Key: "7", At: old.Add(time.Duration(i) * time.Minute)})
	}
	if err := s.Append(ctx, evs...); err != nil {
		t.Fatal(err)
	}
	all := unpublished(t, ctx, s)
	if len(all) != 4 {
		t.Fatalf("%d unpublished events, want 4", len(all))
	}
	// Three published long ago, in the order 2, 0, 1; the fourth never.
	for i, p := range []int64{all[2].Position, all[0].Position, all[1].Position} {
		if _, err := db.Pool.Exec(ctx, `UPDATE outbox SET published_at = $1 WHERE position = $2`, old.Add(time.Duration(i)*time.Hour), p); err != nil {
			t.Fatal(err)
		}
	}
	cutoff := time.Now().Add(-24 * time.Hour)
	if n, err := s.PruneOutbox(ctx, cutoff, 2); err != nil || n != 2 {
		t.Fatalf("PruneOutbox(limit 2) = %d, %v; want 2", n, err)
	}
	var left []int64
	rows, _ := db.Pool.Query(ctx, `SELECT position FROM outbox WHERE position = ANY($1) ORDER BY position`,
		[]int64{all[0].Position, all[1].Position, all[2].Position, all[3].Position})
	for rows.Next() {
		var p int64
		_ = rows.Scan(&p)
		left = append(left, p)
	}
	if rows.Err() != nil || len(left) != 2 || left[0] != all[1].Position || left[1] != all[3].Position {
		t.Fatalf("left %v (%v), want the last published (%d) and the unpublished (%d)", left, rows.Err(), all[1].Position, all[3].Position)
	}
	if n, err := s.PruneOutbox(ctx, cutoff, 100); err != nil || n != 1 {
		t.Fatalf("PruneOutbox again = %d, %v; want 1", n, err)
	}
	if got := unpublished(t, ctx, s); len(got) != 1 || got[0].Position != all[3].Position {
		t.Errorf("unpublished after pruning: %+v, want the fourth event", got)
	}
	var after int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&after); err != nil || after != total+1 {
		t.Errorf("%d rows left, want %d: the seed's recent events and the unpublished one (%v)", after, total+1, err)
	}
	if _, err := s.PruneOutbox(ctx, cutoff, 0); err == nil {
		t.Error("PruneOutbox with limit 0 succeeded")
	}
}

// TestNotifiedEvents: after a notification, NotifiedEvents reads just the events whose
// commits were notified, in position order, and leaves out those already published; it
// reads every unpublished event when what committed is not known: before the first
// notification, after the listener reconnected, and after a write too large to name its
// positions. An event inserted without a notification stands for the events it must not
// read otherwise.
func TestNotifiedEvents(t *testing.T) {
	t.Parallel()
	db, s, _, ctx := newOutbox(t)
	silent := func() int64 {
		t.Helper()
		var pos int64
		err := db.Pool.QueryRow(ctx, `INSERT INTO outbox (event_id, type, key, occurred_at, payload)
			VALUES (gen_random_uuid(), 'order.paid', 'silent', now(), '{}') RETURNING position`).Scan(&pos)
		if err != nil {
			t.Fatalf("inserting an event without notifying: %v", err)
		}
		return pos
	}
	notified := func(limit int) []domain.OutboxEntry {
		t.Helper()
		es, err := s.NotifiedEvents(ctx, limit)
		if err != nil {
			t.Fatalf("NotifiedEvents: %v", err)
		}
		return es
	}
	keys := func(es []domain.OutboxEntry) string {
		ks := make([]string, len(es))
		for i, e := range es {
			ks[i] = e.Key
		}
		return strings.Join(ks, ",")
	}
	markAll := func(es []domain.OutboxEntry) {
		t.Helper()
		ps := make([]int64, len(es))
		for i, e := range es {
			ps[i] = e.Position
		}
		if err := s.MarkPublished(ctx, ps); err != nil {
			t.Fatalf("MarkPublished: %v", err)
		}
	}
	// collect gathers what NotifiedEvents returns, one signal after another, until it has
	// n events.
	collect := func(notes <-chan struct{}, n, limit int) []domain.OutboxEntry {
		t.Helper()
		var got []domain.OutboxEntry
		for len(got) < n {
			receive(t, notes, 10*time.Second, fmt.Sprintf("a signal (%d of %d events read)", len(got), n))
			got = append(got, notified(limit)...)
		}
		return got
	}

	// No listener: every unpublished event.
	silent()
	if got := notified(100); keys(got) != "silent" {
		t.Fatalf("without a listener: %q, want the silent event", keys(got))
	}
	notes, _ := listenOutbox(t, ctx, s)
	// What committed before listening is not known.
	if got := notified(100); keys(got) != "silent" {
		t.Fatalf("first read: %q, want the silent event", keys(got))
	}

	// Two commits, notified: just their events, in order; then nothing.
	writeInTx(t, ctx, db, true, domain.Event{Type: domain.EventOrderPaid, Key: "a"}, domain.Event{Type: domain.EventOrderShipped, Key: "b"})
	writeInTx(t, ctx, db, true, domain.Event{Type: domain.EventOrderPaid, Key: "c"})
	got := collect(notes, 3, 100)
	if keys(got) != "a,b,c" || got[0].Position >= got[1].Position || got[1].Position >= got[2].Position {
		t.Fatalf("after two commits: %q at %+v, want a,b,c by position", keys(got), got)
	}
	markAll(got)
	if got := notified(100); len(got) != 0 {
		t.Fatalf("with nothing notified: %q, want nothing", keys(got))
	}

	// A limit: the rest is signalled and read next; what was published meanwhile is left out.
	writeInTx(t, ctx, db, true, domain.Event{Type: domain.EventOrderPaid, Key: "d"}, domain.Event{Type: domain.EventOrderPaid, Key: "e"},
		domain.Event{Type: domain.EventOrderPaid, Key: "f"}, domain.Event{Type: domain.EventOrderPaid, Key: "g"}, domain.Event{Type: domain.EventOrderPaid, Key: "h"})
	first := collect(notes, 2, 2)
	if keys(first) != "d,e" {
		t.Fatalf("with a limit of 2: %q, want d,e", keys(first))
	}
	all := unpublished(t, ctx, s) // silent, d to h
	markAll(all[len(all)-1:])     // h published meanwhile
	rest := collect(notes, 2, 2)
	if keys(rest) != "f,g" {
		t.Fatalf("the rest: %q, want f,g", keys(rest))
	}
	receive(t, notes, 10*time.Second, "the signal for the last notified position")
	if got := notified(2); len(got) != 0 {
		t.Fatalf("after the published one: %q, want nothing", keys(got))
	}
	markAll(append(first, rest...))

	// A write too large to name its positions: every unpublished event.
	big := make([]domain.Event, 301)
	for i := range big {
		big[i] = domain.Event{Type: domain.EventOrderPaid, Key: "big"}
	}
	writeInTx(t, ctx, db, true, big...)
	got = collect(notes, 302, 1000)
	if len(got) != 302 || got[0].Key != "silent" {
		t.Fatalf("after a large write: %d events starting with %q, want the silent one and the 301", len(got), got[0].Key)
	}
	markAll(got[1:])

	// A listener that reconnects may have missed commits: every unpublished event.
	old := outboxListener(t, ctx, db)
	if old == 0 {
		t.Fatal("no backend listens")
	}
	if _, err := db.Pool.Exec(ctx, "SELECT pg_terminate_backend($1)", old); err != nil {
		t.Fatalf("terminating the listener: %v", err)
	}
	if got := collect(notes, 1, 100); keys(got) != "silent" {
		t.Fatalf("after the listener reconnected: %q, want the silent event", keys(got))
	}
}

// TestNotifiedEventsCarried: the events a notification carries are returned as a read of
// the table returns them, without reading it; the events too large to be carried are read
// by position; an event marked published before its notification is taken, or even before
// it arrives, is left out; a notification that cannot be read means every unpublished
// event.
func TestNotifiedEventsCarried(t *testing.T) {
	t.Parallel()
	db, s, _, ctx := newOutbox(t)
	notes, _ := listenOutbox(t, ctx, s)
	if _, err := s.NotifiedEvents(ctx, 100); err != nil { // the first read, of every unpublished event
		t.Fatalf("NotifiedEvents: %v", err)
	}
	// collect gathers what NotifiedEvents returns, one signal after another, until it has
	// returned the event of key last.
	collect := func(last string) []domain.OutboxEntry {
		t.Helper()
		var got []domain.OutboxEntry
		for len(got) == 0 || got[len(got)-1].Key != last {
			receive(t, notes, 10*time.Second, "a signal, until "+last+" is read")
			es, err := s.NotifiedEvents(ctx, 100)
			if err != nil {
				t.Fatalf("NotifiedEvents: %v", err)
			}
			got = append(got, es...)
		}
		return got
	}

	at := time.Date(2026, 3, 29, 1, 30, 0, 123456000, time.FixedZone("CEST", 2*3600))
	writeInTx(t, ctx, db, true,
		domain.Event{Type: domain.EventOrderPaid, Key: `a "quoted" \ key`, At: at,
			Data: map[string]any{"note": "é ü 日本 \u2028 <&>", "n": 1.5, "list": []any{true, nil, "x"}}},
		domain.Event{Type: domain.EventOrderShipped, Key: "", Data: map[string]any{}})
	writeInTx(t, ctx, db, true, domain.Event{Type: domain.EventOrderPaid, Key: "large",
		Data: map[string]string{"blob": strings.Repeat("x", 9000)}})
	writeInTx(t, ctx, db, true, domain.Event{Type: domain.EventOrderPaid, Key: "end"})
	want := unpublished(t, ctx, s)
	if len(want) != 4 {
		t.Fatalf("%d unpublished events, want 4", len(want))
	}
	// Marked published behind the store's back: a read leaves them out, a notification
	// that carried them does not.
	if _, err := db.Pool.Exec(ctx, `UPDATE outbox SET published_at = now()`); err != nil {
		t.Fatalf("marking every event published: %v", err)
	}
	got := collect("end")
	carried := []domain.OutboxEntry{want[0], want[1], want[3]}
	if len(got) != len(carried) {
		t.Fatalf("notified: %d events (%+v), want the 3 carried, not the large one", len(got), got)
	}
	for i, g := range got {
		w := carried[i]
		if g.Position != w.Position || g.ID != w.ID || g.Type != w.Type || g.Key != w.Key || !g.At.Equal(w.At) || string(g.Payload) != string(w.Payload) {
			t.Errorf("carried event %d:\n got %+v (payload %s)\nwant %+v (payload %s)", i, g, g.Payload, w, w.Payload)
		}
	}

	// Marked published through the store before its notification arrives: left out.
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatalf("beginning: %v", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit
	if err := postgres.WriteOutbox(ctx, tx, domain.Event{Type: domain.EventOrderPaid, Key: "marked"}); err != nil {
		t.Fatalf("WriteOutbox: %v", err)
	}
	var marked int64
	if err := tx.QueryRow(ctx, `SELECT max(position) FROM outbox`).Scan(&marked); err != nil {
		t.Fatalf("reading the position: %v", err)
	}
	if err := s.MarkPublished(ctx, []int64{marked}); err != nil {
		t.Fatalf("MarkPublished: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("committing: %v", err)
	}
	writeInTx(t, ctx, db, true, domain.Event{Type: domain.EventOrderPaid, Key: "after"})
	if got := collect("after"); len(got) != 1 {
		t.Fatalf("after an event marked before its notification: %d events %+v, want just the next one", len(got), got)
	}

	// A notification that cannot be read: every unpublished event.
	if _, err := db.Pool.Exec(ctx, `INSERT INTO outbox (event_id, type, key, occurred_at, payload)
		VALUES (gen_random_uuid(), 'order.paid', 'silent', now(), '{}')`); err != nil {
		t.Fatalf("inserting an event without notifying: %v", err)
	}
	if _, err := db.Pool.Exec(ctx, `SELECT pg_notify('shopgraph_outbox', '[[1, "not an event"]]')`); err != nil {
		t.Fatalf("notifying: %v", err)
	}
	// The table still has the event marked before its commit (the mark found no row),
	// and the one after it.
	got = collect("silent")
	keys := make([]string, len(got))
	for i, e := range got {
		keys[i] = e.Key
	}
	if k := strings.Join(keys, ","); k != "marked,after,silent" {
		t.Fatalf("after a notification that cannot be read: %q, want the events unpublished in the table, marked,after,silent", k)
	}
}
