package main

// The analytics workloads: analytics-ingest (events through JetStream and shopgraph's
// ingester into ClickHouse, against a raw clickhouse-go insert of the same rows) and
// dashboard (each dashboard field through shopgraph's GraphQL, cold and cached).
//
// The bench module does not import shopgraph's packages (it measures the service from the
// outside), so the wire format of an event is written here again: order and sign-up
// events go one to a message, as the outbox relay publishes them (the subject is the event
// type, the headers those of shopgraph's events package, events/subjects.go, the payloads
// those of domain.OrderEventData and domain.UserEventData); clickstream events go many to
// a message, as events.TrackPublisher publishes them (events/analytics.go: the
// analytics.batch subject, the protocol-buffer encoding of the events, the message id
// from their ids); and the rows the raw baseline inserts are those domain.ToAnalytics
// makes of the same events. The workload checks the figure it cares about (every row
// arrived), so a drift between the two shows as a failure, not as a wrong figure.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/shopgraph/shopgraph/bench/gql"
	"github.com/shopgraph/shopgraph/bench/report"
)

// What shopgraph's events package names (events/subjects.go, events/stream.go,
// events/ingester.go), under the default (empty) subject prefix the bench runs with.
const (
	headerEventType  = "Shopgraph-Event-Type"
	headerEventKey   = "Shopgraph-Event-Key"
	headerEventAt    = "Shopgraph-Event-At"
	headerEventCount = "Shopgraph-Event-Count"
	trackedBatchType = "analytics.batch"  // events.TrackedBatchType
	trackBatchBytes  = 256 << 10          // events.DefaultTrackBatchBytes
	trackBatchMsgID  = "analytics-batch-" // the start of a batch's message id
	eventsStream     = "SHOPGRAPH"
	ingesterDurable  = "shopgraph-analytics"
	analyticsSeed    = 2026
	publishInFlight  = 4096
	// visibleStall is longer than the ingester's AckWait (2 minutes): messages a pull
	// request lost on their way come back after it.
	visibleStall     = 150 * time.Second
	probeBucketWidth = 15 * time.Minute
)

// The ClickHouse tables the events land in (store/clickhouse/migrations).

// benchRoot returns the checkout's root (the bench module's parent), where the
// migrations and queries of shopgraph live.
func benchRoot() string { return filepath.Join(benchDir(), "..") }

// ---------------------------------------------------------------- the events

// genLine is an order line of a generated order.
type genLine struct {
	product int64
	qty     int
	unit    int64
}

// genEvent is one generated shop event: a clickstream event (typ analytics.*), an order
// event (order.created, order.paid) or a sign-up (user.registered).
type genEvent struct {
	id      uuid.UUID
	typ     string
	at      time.Time
	session string
	user    int64
	product int64
	query   string
	order   int64
	total   int64
	method  string
	lines   []genLine
}

// eventGen makes a deterministic, realistic stream of events: storefront sessions spread
// over the last 90 days that land on a page, sometimes search, view one to four
// products, and some add to the cart, start checking out, and place and pay an order of
// one to three lines, paid by card, UPI, wallet or cash on delivery; some sign up.
type eventGen struct {
	rng      *rand.Rand
	products []int64
	now      time.Time
	span     time.Duration
	queue    []genEvent
	sessions int
	orders   int64
	users    int64
}

// newEventGen returns a generator; the same seed and salt make the same events. The
// salt must differ from run to run: the stream drops a message whose id it has seen
// within its duplicate window (15 minutes), so a run that published the ids of the one
// before would store nothing.
func newEventGen(seed, salt uint64, products []int64, now time.Time) *eventGen {
	return &eventGen{rng: rand.New(rand.NewPCG(seed, salt)), products: products, now: now,
		span: 90 * 24 * time.Hour, orders: 900_000_000, users: 900_000_000}
}

var (
	benchSearches = []string{"wireless headphones", "organic cotton", "waterproof jacket", "coffee grinder", "yoga mat", "running shoes"}
	benchMethods  = []string{"CARD", "CARD", "CARD", "UPI", "UPI", "WALLET", "COD"}
)

func (g *eventGen) uuid() uuid.UUID {
	var u uuid.UUID
	a, b := g.rng.Uint64(), g.rng.Uint64()
	for i := range 8 {
		u[i], u[8+i] = byte(a>>(8*i)), byte(b>>(8*i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

func (g *eventGen) price(product int64) int64 { return 499 + (product*7919)%20000 }

// next returns the next event.
func (g *eventGen) next() genEvent {
	if len(g.queue) == 0 {
		g.session()
	}
	ev := g.queue[0]
	g.queue = g.queue[1:]
	return ev
}

// session queues the events of one more session.
func (g *eventGen) session() {
	g.queue = g.queue[:0]
	g.sessions++
	s := "bs-" + strconv.Itoa(g.sessions)
	at := g.now.Add(-time.Hour - time.Duration(g.rng.Int64N(int64(g.span))))
	var user int64
	step := func(min, spread int) {
		at = at.Add(time.Duration(min)*time.Second + time.Duration(g.rng.IntN(spread*1000))*time.Millisecond)
	}
	add := func(typ string, product int64, query string) {
		g.queue = append(g.queue, genEvent{id: g.uuid(), typ: typ, at: at, session: s, user: user, product: product, query: query})
	}
	if g.rng.IntN(20) == 0 {
		g.users++
		user = g.users
		g.queue = append(g.queue, genEvent{id: g.uuid(), typ: "user.registered", at: at, user: user})
		step(5, 30)
	}
	add("analytics.page_viewed", 0, "")
	if g.rng.IntN(3) == 0 {
		step(5, 40)
		add("analytics.searched", 0, benchSearches[g.rng.IntN(len(benchSearches))])
	}
	var p int64
	var viewed []int64
	for range 1 + g.rng.IntN(4) {
		step(10, 120)
		p = g.products[g.rng.IntN(len(g.products))]
		viewed = append(viewed, p)
		add("analytics.product_viewed", p, "")
	}
	if g.rng.IntN(100) >= 35 {
		return
	}
	step(5, 60)
	add("analytics.added_to_cart", p, "")
	if g.rng.IntN(100) >= 45 {
		return
	}
	step(20, 120)
	add("analytics.checkout_started", 0, "")
	if g.rng.IntN(100) >= 60 {
		return
	}
	g.orders++
	o := genEvent{typ: "order.created", session: s, user: user, order: g.orders, method: benchMethods[g.rng.IntN(len(benchMethods))]}
	for i, vp := range viewed[:min(len(viewed), 1+g.rng.IntN(3))] {
		l := genLine{product: vp, qty: 1 + g.rng.IntN(2), unit: g.price(vp)}
		if i > 0 && vp == viewed[i-1] {
			continue
		}
		o.lines = append(o.lines, l)
		o.total += l.unit * int64(l.qty)
	}
	step(30, 90)
	o.id, o.at = g.uuid(), at
	g.queue = append(g.queue, o)
	step(2, 20)
	paid := o
	paid.typ, paid.id, paid.at = "order.paid", g.uuid(), at
	g.queue = append(g.queue, paid)
}

// key is the event's Shopgraph-Event-Key: the session, the order or the user.
func (ev *genEvent) key() string {
	switch {
	case strings.HasPrefix(ev.typ, "order."):
		return strconv.FormatInt(ev.order, 10)
	case ev.typ == "user.registered":
		return strconv.FormatInt(ev.user, 10)
	}
	return ev.session
}

// payload appends the event's JSON payload, as shopgraph's publishers write it.
func (ev *genEvent) payload(b []byte) []byte {
	num := func(b []byte, name string, v int64) []byte {
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		return strconv.AppendInt(b, v, 10)
	}
	str := func(b []byte, name, v string) []byte {
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		return strconv.AppendQuote(b, v)
	}
	switch {
	case strings.HasPrefix(ev.typ, "analytics."):
		b = append(b, `{"id":"`...)
		b = append(b, ev.id.String()...)
		b = append(b, '"')
		b = str(b, "type", strings.ToUpper(strings.TrimPrefix(ev.typ, "analytics.")))
		b = str(b, "sessionId", ev.session)
		if ev.user != 0 {
			b = str(b, "userId", strconv.FormatInt(ev.user, 10))
		}
		if ev.product != 0 {
			b = num(b, "productId", ev.product)
		}
		if ev.query != "" {
			b = str(b, "query", ev.query)
		}
		b = str(b, "at", ev.at.UTC().Format(time.RFC3339Nano))
	case ev.typ == "user.registered":
		b = append(b, `{"userId":`...)
		b = strconv.AppendInt(b, ev.user, 10)
		b = str(b, "email", "shopper"+strconv.FormatInt(ev.user, 10)+"@bench.example")
		b = str(b, "role", "CUSTOMER")
	default:
		b = append(b, `{"orderId":`...)
		b = strconv.AppendInt(b, ev.order, 10)
		b = str(b, "number", "B"+strconv.FormatInt(ev.order, 10))
		if ev.user != 0 {
			b = num(b, "userId", ev.user)
		}
		if ev.typ == "order.paid" {
			b = num(b, "sequence", 2)
			b = str(b, "status", "PAID")
			b = str(b, "previous", "PENDING")
		} else {
			b = num(b, "sequence", 1)
			b = str(b, "status", "PENDING")
		}
		b = num(b, "totalMinor", ev.total)
		b = str(b, "currency", "USD")
		b = str(b, "paymentMethod", ev.method)
		b = str(b, "sessionId", ev.session)
		b = append(b, `,"lines":[`...)
		for i, l := range ev.lines {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"productId":`...)
			b = strconv.AppendInt(b, l.product, 10)
			b = num(b, "quantity", int64(l.qty))
			b = num(b, "unitPriceMinor", l.unit)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendTracked appends the clickstream event ev to a batch payload, in the encoding of
// events.AppendTrackedEvent: field 1 of a TrackedBatch, a TrackedEvent of the id's 16
// bytes (1), the type (2), the session (3), the user (4), the product (5), the query (6)
// and the time in nanoseconds, zigzag (7).
func (ev *genEvent) appendTracked(b []byte) []byte {
	var e [256]byte
	x := protowire.AppendTag(e[:0], 1, protowire.BytesType)
	x = protowire.AppendBytes(x, ev.id[:])
	x = protowire.AppendTag(x, 2, protowire.BytesType)
	x = protowire.AppendString(x, strings.ToUpper(strings.TrimPrefix(ev.typ, "analytics.")))
	x = protowire.AppendTag(x, 3, protowire.BytesType)
	x = protowire.AppendString(x, ev.session)
	if ev.user != 0 {
		x = protowire.AppendTag(x, 4, protowire.BytesType)
		x = protowire.AppendString(x, strconv.FormatInt(ev.user, 10))
	}
	if ev.product != 0 {
		x = protowire.AppendTag(x, 5, protowire.VarintType)
		x = protowire.AppendVarint(x, uint64(ev.product))
	}
	if ev.query != "" {
		x = protowire.AppendTag(x, 6, protowire.BytesType)
		x = protowire.AppendString(x, ev.query)
	}
	x = protowire.AppendTag(x, 7, protowire.VarintType)
	x = protowire.AppendVarint(x, protowire.EncodeZigZag(ev.at.UnixNano()))
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	return protowire.AppendBytes(b, x)
}

// rawRow is a row of the events table, in its column types.
type rawRow struct {
	eventID                                   uuid.UUID
	seq                                       uint16
	typ, service, userID, sessionID, entityID string
	amount, revenue                           int64
	ordersDelta                               int8
	currency, method                          string
	productID                                 int64
	quantity                                  int32
	ts                                        time.Time
	tsMS                                      uint16
	metadata                                  string
}

const insertEventsSQL = "INSERT INTO events (event_id, seq, type, service, user_id, session_id, entity_id, amount_minor, revenue_minor, orders_delta, currency, payment_method, product_id, quantity, ts, ts_ms, metadata)"

// rawColumns returns the rows' values by column, in insertEventsSQL's order: the
// quickest way clickhouse-go takes a batch, as shopgraph's ingester sends it.
func rawColumns(rows []rawRow) []any {
	n := len(rows)
	ids := make([]uuid.UUID, n)
	seqs, tsMS := make([]uint16, n), make([]uint16, n)
	strs := make([][]string, 8) // type, service, user, session, entity, currency, method, metadata
	for i := range strs {
		strs[i] = make([]string, n)
	}
	amounts, revenues, products := make([]int64, n), make([]int64, n), make([]int64, n)
	orders, quantities, times := make([]int8, n), make([]int32, n), make([]time.Time, n)
	for i := range rows {
		r := &rows[i]
		ids[i], seqs[i], tsMS[i], times[i] = r.eventID, r.seq, r.tsMS, r.ts
		strs[0][i], strs[1][i], strs[2][i], strs[3][i] = r.typ, r.service, r.userID, r.sessionID
		strs[4][i], strs[5][i], strs[6][i], strs[7][i] = r.entityID, r.currency, r.method, r.metadata
		amounts[i], revenues[i], products[i], orders[i], quantities[i] = r.amount, r.revenue, r.productID, r.ordersDelta, r.quantity
	}
	return []any{ids, seqs, strs[0], strs[1], strs[2], strs[3], strs[4], amounts, revenues, orders,
		strs[5], strs[6], products, quantities, times, tsMS, strs[7]}
}

// rows appends the rows domain.ToAnalytics makes of the event.
func (ev *genEvent) rows(out []rawRow) []rawRow {
	at := ev.at.UTC()
	base := rawRow{eventID: ev.id, typ: ev.typ, entityID: ev.key(), currency: "USD",
		ts: at.Truncate(time.Second), tsMS: uint16(at.Nanosecond() / int(time.Millisecond))}
	if ev.user != 0 {
		base.userID = strconv.FormatInt(ev.user, 10)
	}
	switch {
	case strings.HasPrefix(ev.typ, "analytics."):
		base.service, base.sessionID, base.productID = "storefront", ev.session, ev.product
		return append(out, base)
	case ev.typ == "user.registered":
		base.service = "accounts"
		return append(out, base)
	}
	base.service, base.sessionID, base.amount, base.method = "orders", ev.session, ev.total, ev.method
	if ev.typ != "order.paid" {
		return append(out, base)
	}
	base.revenue, base.ordersDelta = ev.total, 1
	out = append(out, base)
	for i, l := range ev.lines {
		r := base
		r.seq, r.typ, r.productID, r.quantity = uint16(i+1), "order.line.sold", l.product, int32(l.qty)
		r.amount = l.unit * int64(l.qty)
		r.revenue, r.ordersDelta = r.amount, 0
		out = append(out, r)
	}
	return out
}

// ---------------------------------------------------------------- ClickHouse

// rawDatabase names the baseline's ClickHouse database: the bench's followed by _raw, so
// that benches on databases of their own never share one.
func rawDatabase(e *env) string {
	name := "shopgraph_bench"
	if opts, err := ch.ParseDSN(e.clickhouseURL); err == nil && opts.Auth.Database != "" {
		name = opts.Auth.Database
	}
	return name + "_raw"
}

// openClickHouse opens the bench's ClickHouse database, or another one of the same server.
func (e *env) openClickHouse(database string) (driver.Conn, error) {
	opts, err := ch.ParseDSN(e.clickhouseURL)
	if err != nil {
		return nil, fmt.Errorf("parsing -clickhouse: %w", err)
	}
	if database != "" {
		opts.Auth.Database = database
	}
	opts.MaxOpenConns = 8
	opts.DialTimeout = 5 * time.Second
	return ch.Open(opts)
}

// prepareRawDatabase makes a ClickHouse database of its own for the baseline, with
// shopgraph's analytics schema: every migration's Up statements (the events table and its
// rollup views, which the server feeds on every insert as it does shopgraph's).
func (e *env) prepareRawDatabase(ctx context.Context) (driver.Conn, error) {
	admin, err := e.openClickHouse("default")
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	if err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+rawDatabase(e)); err != nil {
		return nil, fmt.Errorf("dropping %s: %w", rawDatabase(e), err)
	}
	if err := admin.Exec(ctx, "CREATE DATABASE "+rawDatabase(e)); err != nil {
		return nil, fmt.Errorf("creating %s: %w", rawDatabase(e), err)
	}
	conn, err := e.openClickHouse(rawDatabase(e))
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(benchRoot(), "store/clickhouse/migrations/*.sql"))
	if err != nil || len(files) == 0 {
		conn.Close()
		return nil, fmt.Errorf("no migrations under %s", filepath.Join(benchRoot(), "store/clickhouse/migrations"))
	}
	slices.Sort(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			conn.Close()
			return nil, err
		}
		for _, stmt := range upStatements(string(b)) {
			if err := conn.Exec(ctx, stmt); err != nil {
				conn.Close()
				return nil, fmt.Errorf("%s: %w", filepath.Base(f), err)
			}
		}
	}
	return conn, nil
}

// upStatements returns the statements of a goose migration's Up section, comments left
// out.
func upStatements(src string) []string {
	up, _, _ := strings.Cut(src, "-- +goose Down")
	var b strings.Builder
	for _, line := range strings.Split(up, "\n") {
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	var out []string
	for _, s := range strings.Split(b.String(), ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// truncateAnalytics empties the events table and its rollups of conn's database.
func truncateAnalytics(ctx context.Context, conn driver.Conn) error {
	// Every table the migrations made, the events and each rollup the views fill: a rollup
	// left with an earlier load's rows (other times, the same sessions) skews what the
	// dashboard reads from it.
	rows, err := conn.Query(ctx, "SELECT name FROM system.tables WHERE database = currentDatabase() "+
		"AND engine LIKE '%MergeTree' AND name != 'goose_db_version'")
	if err != nil {
		return fmt.Errorf("listing the analytics tables: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if !slices.Contains(tables, "events") {
		return fmt.Errorf("no events table among %v", tables)
	}
	for _, t := range tables {
		if err := conn.Exec(ctx, "TRUNCATE TABLE "+t); err != nil {
			return fmt.Errorf("truncating %s: %w", t, err)
		}
	}
	return nil
}

func countRows(ctx context.Context, conn driver.Conn) (int64, error) {
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM events").Scan(&n); err != nil {
		return 0, err
	}
	return int64(n), nil
}

// rawInsert inserts the rows of n events of gen into conn's events table, batchSize
// events per batch (one INSERT each, rows appended one by one, as shopgraph's writer
// does). The next batch's rows are generated while one is sent. It returns the rows.
func rawInsert(ctx context.Context, conn driver.Conn, gen *eventGen, n, batchSize int) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []rawRow, 1)
	go func() {
		defer close(batches)
		for done := 0; done < n; {
			k := min(batchSize, n-done)
			rows := make([]rawRow, 0, k+k/4)
			for range k {
				ev := gen.next()
				rows = ev.rows(rows)
			}
			done += k
			select {
			case batches <- rows:
			case <-ctx.Done():
				return
			}
		}
	}()
	var total int64
	for rows := range batches {
		b, err := conn.PrepareBatch(ctx, insertEventsSQL)
		if err != nil {
			return total, err
		}
		for i, values := range rawColumns(rows) {
			if err := b.Column(i).Append(values); err != nil {
				_ = b.Abort()
				return total, err
			}
		}
		if err := b.Send(); err != nil {
			return total, err
		}
		total += int64(len(rows))
	}
	return total, ctx.Err()
}

// ---------------------------------------------------------------- JetStream

// publisher publishes generated events as shopgraph does: an order or a sign-up as the
// outbox relay does (events/relay.go), on the subject of its type, with the event id as
// the message id and the type, key and time headers; clickstream events as
// events.TrackPublisher does (events/analytics.go), many to an analytics.batch message of
// up to trackBatchBytes, which TrackPublisher fills when calls come in faster than the
// stream acknowledges (as here: the events are published as fast as JetStream takes
// them), or with the events of a moment (flush) when they trickle in. Asynchronously,
// with a bounded number of acknowledgements outstanding.
type publisher struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	failed atomic.Int64
	first  atomic.Value // error
	// The clickstream batch being filled: its payload, its events' ids (16 bytes each),
	// how many.
	batch    []byte
	batchIDs []byte
	batchN   int
	// msgs counts the messages published.
	msgs int64
}

func newPublisher(url string) (*publisher, error) {
	nc, err := nats.Connect(url, nats.Name("shopgraph-bench-analytics"))
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	p := &publisher{nc: nc}
	p.js, err = jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(publishInFlight),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, _ *nats.Msg, err error) {
			p.failed.Add(1)
			p.first.CompareAndSwap(nil, err)
		}))
	if err != nil {
		nc.Close()
		return nil, err
	}
	return p, nil
}

func (p *publisher) close() { p.nc.Close() }

// publish sends ev, or adds it to the clickstream batch (sent when full), without
// waiting for an acknowledgement.
func (p *publisher) publish(ev *genEvent) error {
	if strings.HasPrefix(ev.typ, "analytics.") {
		if len(p.batch) >= trackBatchBytes-512 { // an event takes well under 512 bytes
			if err := p.flush(); err != nil {
				return err
			}
		}
		p.batch = ev.appendTracked(p.batch)
		p.batchIDs = append(p.batchIDs, ev.id[:]...)
		p.batchN++
		return nil
	}
	m := &nats.Msg{Subject: ev.typ, Header: nats.Header{}}
	m.Data = ev.payload(nil)
	m.Header.Set(headerEventType, ev.typ)
	m.Header.Set(headerEventKey, ev.key())
	m.Header.Set(headerEventAt, ev.at.UTC().Format(time.RFC3339Nano))
	p.msgs++
	_, err := p.js.PublishMsgAsync(m, jetstream.WithMsgID(ev.id.String()), jetstream.WithStallWait(time.Minute))
	return err
}

// flush sends the clickstream batch, if it has events.
func (p *publisher) flush() error {
	if p.batchN == 0 {
		return nil
	}
	sum := sha256.Sum256(p.batchIDs)
	m := &nats.Msg{Subject: trackedBatchType, Data: p.batch, Header: nats.Header{}}
	m.Header.Set(headerEventType, trackedBatchType)
	m.Header.Set(headerEventCount, strconv.Itoa(p.batchN))
	// A new buffer for the next batch: the client may still hold this one.
	p.batch, p.batchIDs, p.batchN = make([]byte, 0, trackBatchBytes), p.batchIDs[:0], 0
	p.msgs++
	_, err := p.js.PublishMsgAsync(m, jetstream.WithMsgID(trackBatchMsgID+hex.EncodeToString(sum[:16])), jetstream.WithStallWait(time.Minute))
	return err
}

// wait sends the clickstream batch, waits for every outstanding acknowledgement and
// returns the first failure.
func (p *publisher) wait(ctx context.Context) error {
	if err := p.flush(); err != nil {
		return err
	}
	select {
	case <-p.js.PublishAsyncComplete():
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(2 * time.Minute):
		return errors.New("publishing: acknowledgements still outstanding after 2 minutes")
	}
	if n := p.failed.Load(); n > 0 {
		return fmt.Errorf("publishing: %d messages not stored, first: %v", n, p.first.Load())
	}
	return nil
}

// ingesterLag returns the events the ingester has not stored and acknowledged yet.
func ingesterLag(ctx context.Context, js jetstream.JetStream) (int64, error) {
	c, err := js.Consumer(ctx, eventsStream, ingesterDurable)
	if err != nil {
		return 0, err
	}
	info := c.CachedInfo()
	return int64(info.NumPending) + int64(info.NumAckPending), nil
}

// waitIngested waits until the ingester has nothing left to do.
func waitIngested(ctx context.Context, js jetstream.JetStream, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		lag, err := ingesterLag(ctx, js)
		if err == nil && lag == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the ingester still has %d events after %s (err %v)", lag, within, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitRows polls conn until its events table holds want rows; it gives up when the count
// does not move for visibleStall.
func waitRows(ctx context.Context, conn driver.Conn, want int64, every time.Duration) (time.Time, error) {
	var last int64 = -1
	moved := time.Now()
	for {
		n, err := countRows(ctx, conn)
		now := time.Now()
		if err == nil {
			if n >= want {
				return now, nil
			}
			if n != last {
				last, moved = n, now
			}
		}
		if now.Sub(moved) > visibleStall {
			return now, fmt.Errorf("%d of %d rows visible, none more for %s (last error %v)", last, want, visibleStall, err)
		}
		select {
		case <-ctx.Done():
			return now, ctx.Err()
		case <-time.After(every):
		}
	}
}

// benchProducts returns the ids of the catalog's live products, which the dashboard's top
// products resolve.
func (e *env) benchProducts(ctx context.Context) ([]int64, error) {
	rows, err := e.db.Query(ctx, `SELECT id FROM products WHERE deleted_at IS NULL ORDER BY id LIMIT 5000`)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err == nil && len(ids) == 0 {
		err = errors.New("the bench database has no products")
	}
	return ids, err
}

// ---------------------------------------------------------------- analytics-ingest

func analyticsIngest(ctx context.Context, e *env) (report.Run, error) {
	const w = "analytics-ingest"
	var run report.Run
	n, batch := e.analyticsEvents, e.ingestBatch
	products, err := e.benchProducts(ctx)
	if err != nil {
		return run, err
	}
	now := time.Now().UTC()
	salt := uint64(now.UnixNano())

	// The baseline: the same rows, straight into a database of the same schema.
	raw, err := e.prepareRawDatabase(ctx)
	if err != nil {
		return run, fmt.Errorf("baseline database: %w", err)
	}
	defer raw.Close()
	e.logf("  baseline: raw clickhouse-go insert of %d events, %d events a batch, into %s", n, batch, rawDatabase(e))
	start := time.Now()
	rawRows, err := rawInsert(ctx, raw, newEventGen(analyticsSeed, salt, products, now), n, batch)
	if err != nil {
		return run, fmt.Errorf("baseline insert: %w", err)
	}
	rawTook := time.Since(start)
	rawRate := float64(rawRows) / rawTook.Seconds()
	e.logf("  baseline: %d rows in %s: %.0f rows/s", rawRows, rawTook.Round(time.Millisecond), rawRate)
	// The baseline's data is not needed any more: free the disk and the server's merges.
	if err := raw.Exec(ctx, "DROP DATABASE IF EXISTS "+rawDatabase(e)); err != nil {
		e.logf("  dropping %s: %v", rawDatabase(e), err)
	}

	// shopgraph: publish to JetStream, the ingester inside the bench's shopgraph stores.
	sg, err := e.openClickHouse("")
	if err != nil {
		return run, err
	}
	defer sg.Close()
	pub, err := newPublisher(e.natsURL)
	if err != nil {
		return run, err
	}
	defer pub.close()
	if err := waitIngested(ctx, pub.js, time.Minute); err != nil {
		return run, fmt.Errorf("before publishing: %w", err)
	}
	if err := truncateAnalytics(ctx, sg); err != nil {
		return run, err
	}
	var cpu chan error
	if e.profileDir != "" && e.adminURL != "" {
		if err := os.MkdirAll(e.profileDir, 0o755); err == nil {
			cpu = make(chan error, 1)
			go func() {
				cpu <- e.fetchProfile(ctx, "/debug/pprof/profile?seconds=30", filepath.Join(e.profileDir, w+"-cpu.pprof"))
			}()
		}
	}
	e.logf("  shopgraph: publishing %d events to JetStream (%d in flight), the ingester storing them", n, publishInFlight)
	gen := newEventGen(analyticsSeed, salt, products, now)
	var want int64
	var rowsBuf []rawRow
	msgs0 := pub.msgs
	start = time.Now()
	for range n {
		ev := gen.next()
		rowsBuf = ev.rows(rowsBuf[:0])
		want += int64(len(rowsBuf))
		if err := pub.publish(&ev); err != nil {
			return run, fmt.Errorf("publishing: %w", err)
		}
	}
	if err := pub.wait(ctx); err != nil {
		return run, err
	}
	published := time.Since(start)
	perEvent := float64(pub.msgs-msgs0) / float64(n)
	e.logf("  shopgraph: published in %s (%.0f events/s) in %d messages (%.4f per event), waiting for %d rows",
		published.Round(time.Millisecond), float64(n)/published.Seconds(), pub.msgs-msgs0, perEvent, want)
	visible, err := waitRows(ctx, sg, want, 50*time.Millisecond)
	if err != nil {
		return run, fmt.Errorf("shopgraph ingest: %w", err)
	}
	sgTook := visible.Sub(start)
	sgRate := float64(want) / sgTook.Seconds()
	e.logf("  shopgraph: %d rows visible after %s: %.0f rows/s", want, sgTook.Round(time.Millisecond), sgRate)
	if cpu != nil {
		if err := <-cpu; err != nil {
			e.logf("  profile: %v", err)
		}
	}
	if got, err := countRows(ctx, sg); err == nil && got != want {
		return run, fmt.Errorf("shopgraph stored %d rows, want %d (a duplicate or a loss)", got, want)
	}

	// Lag: a steady stream, with a marked probe event at intervals.
	lags, steadyRate, err := e.probeLag(ctx, pub, sg, products, now)
	if err != nil {
		return run, fmt.Errorf("lag probes: %w", err)
	}

	// The stream is the bench's own; drop what this workload put in it (a few GB), now
	// that the ingester has it all.
	if err := waitIngested(ctx, pub.js, time.Minute); err == nil {
		if s, err := pub.js.Stream(ctx, eventsStream); err == nil {
			if err := s.Purge(ctx); err != nil {
				e.logf("  purging stream %s: %v", eventsStream, err)
			}
		}
	}

	ratio := sgRate / rawRate
	run.Rows = []report.Row{
		{Workload: w, Metric: fmt.Sprintf("rows/s, %s events (%s rows), %d-event batches", millions(n), millions(int(want)), batch),
			Shopgraph: fmt.Sprintf("%.0f", sgRate), Baseline: fmt.Sprintf("%.0f", rawRate), Ratio: report.Ratio(sgRate, rawRate),
			Target: "≥ 0.70", Verdict: report.Check(ratio >= 0.70)},
		{Workload: w, Metric: "time to load", Shopgraph: sgTook.Round(100 * time.Millisecond).String(),
			Baseline: rawTook.Round(100 * time.Millisecond).String(), Ratio: "—", Target: "—", Verdict: report.Info},
		{Workload: w, Metric: "NATS messages per event", Shopgraph: fmt.Sprintf("%.4f", perEvent),
			Baseline: "—", Ratio: "—", Target: "—", Verdict: report.Info},
		{Workload: w, Metric: fmt.Sprintf("publish-to-visible lag p50, %d probes, %.0f events/s flowing", len(lags), steadyRate),
			Shopgraph: load2ms(quantile(lags, 0.50)), Baseline: "—", Ratio: "—", Target: "—", Verdict: report.Info},
		{Workload: w, Metric: "publish-to-visible lag p95", Shopgraph: load2ms(quantile(lags, 0.95)), Baseline: "—", Ratio: "—",
			Target: "≤ 2 s", Verdict: report.Check(len(lags) > 0 && quantile(lags, 0.95) <= 2*time.Second)},
	}
	run.Notes = []string{
		fmt.Sprintf("a deterministic mix of storefront sessions over the last 90 days (page and product views, searches, add to cart, checkout started, "+
			"orders created and paid with 1-3 lines and a payment method, sign-ups); %d events make %d rows (a paid order has a row per line). "+
			"With 10M events this workload takes about 6 minutes here; -analytics-events sets the number.", n, want),
		"baseline: the same rows appended with clickhouse-go into " + rawDatabase(e) + " (shopgraph's migrations, rollup views included), " +
			"one INSERT per batch of the same number of events, the next batch generated while one is sent; rows/s from the first INSERT to the last one's end.",
		"shopgraph: the same events published asynchronously to JetStream as shopgraph publishes them: orders and sign-ups one to a message on their subjects " +
			"with shopgraph's headers and the event id as message id (the outbox relay), clickstream events many to an analytics.batch message of up to 256 KiB " +
			"(events.TrackPublisher, whose messages fill up when calls come faster than the stream acknowledges), " +
			"read by the ingester inside the bench's shopgraph (durable pull consumer, dedup, insert, ack); rows/s from the first publish to the moment " +
			"a count() of shopgraph's events table showed every row (polled every 50 ms). Publishing, NATS, shopgraph and ClickHouse share the 2 cores.",
		"lag: after the load, a steady stream of events with a probe event every 250 ms, each probe alone in a quarter hour of 2001; the lag is from the probe's " +
			"publish to the first poll (every 10 ms) of the dashboard's event-counts query (store/clickhouse/queries/event_counts.sql, on the rollup) that counts it. " +
			"The dashboard's Redis cache (5 s, asOf) comes on top of it for a dashboard reader.",
	}
	return run, nil
}

func millions(n int) string {
	if n >= 1_000_000 {
		return strconv.FormatFloat(float64(n)/1e6, 'f', -1, 64) + "M"
	}
	return strconv.Itoa(n)
}

func load2ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/1e6) }

// quantile returns the q-quantile of ds (nearest rank), zero for none.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// probeLag publishes a steady stream of events for a while, with probe events among them,
// and measures how long each probe takes from its publish to its appearance in the
// dashboard's event-counts query.
func (e *env) probeLag(ctx context.Context, pub *publisher, sg driver.Conn, products []int64, now time.Time) ([]time.Duration, float64, error) {
	const (
		rate     = 5000 // events/s
		duration = 12 * time.Second
		every    = 250 * time.Millisecond
	)
	q, err := os.ReadFile(filepath.Join(benchRoot(), "store/clickhouse/queries/event_counts.sql"))
	if err != nil {
		return nil, 0, err
	}
	query := strings.ReplaceAll(strings.ReplaceAll(string(q), "@from", "$1"), "@to", "$2")
	base := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	gen := newEventGen(analyticsSeed+1, uint64(time.Now().UnixNano()), products, now)
	// Sessions of their own: named as the load's sessions are, "bs-1" and on, this flow's
	// would be the same sessions come back at other times, which a shop's session ids are
	// not, and the funnel would read their raw events across the whole range.
	gen.sessions = 1_000_000_000
	var (
		mu   sync.Mutex
		lags []time.Duration
		wg   sync.WaitGroup
		errs = make(chan error, 1)
	)
	visible := func(bucket time.Time) (bool, error) {
		rows, err := sg.Query(ctx, query, bucket, bucket.Add(probeBucketWidth))
		if err != nil {
			return false, err
		}
		defer rows.Close()
		found := rows.Next()
		return found, rows.Err()
	}
	start := time.Now()
	sent, probes := 0, 0
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	nextProbe := start
	for time.Since(start) < duration {
		<-tick.C
		for due := int(time.Since(start).Seconds() * rate); sent < due; sent++ {
			ev := gen.next()
			if err := pub.publish(&ev); err != nil {
				return nil, 0, err
			}
		}
		if time.Now().Before(nextProbe) {
			// The events of this tick (5 ms) share a message, as the calls that reach
			// TrackPublisher within one publication do.
			if err := pub.flush(); err != nil {
				return nil, 0, err
			}
			continue
		}
		nextProbe = nextProbe.Add(every)
		bucket := base.Add(time.Duration(probes) * probeBucketWidth)
		probes++
		ev := genEvent{id: gen.uuid(), typ: "analytics.page_viewed", at: bucket.Add(time.Minute), session: "bench-probe"}
		at := time.Now()
		if err := pub.publish(&ev); err != nil {
			return nil, 0, err
		}
		if err := pub.flush(); err != nil {
			return nil, 0, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			deadline := at.Add(30 * time.Second)
			for time.Now().Before(deadline) {
				ok, err := visible(bucket)
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
				if ok {
					mu.Lock()
					lags = append(lags, time.Since(at))
					mu.Unlock()
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
			select {
			case errs <- fmt.Errorf("probe in %s not visible after 30 s", bucket.Format(time.RFC3339)):
			default:
			}
		}()
	}
	steady := float64(sent) / time.Since(start).Seconds()
	if err := pub.wait(ctx); err != nil {
		return nil, 0, err
	}
	wg.Wait()
	select {
	case err := <-errs:
		return nil, 0, err
	default:
	}
	return lags, steady, nil
}

// ---------------------------------------------------------------- dashboard

// dashboardFields are the dashboard's fields, each measured alone.
var dashboardFields = []struct{ name, selection string }{
	{"summary", "summary { revenue { amount currencyCode } orders averageOrderValue { amount currencyCode } newUsers }"},
	{"revenueSeries(HOUR)", "revenueSeries(granularity: HOUR) { bucket revenue { amount currencyCode } orders }"},
	{"revenueSeries(DAY)", "revenueSeries(granularity: DAY) { bucket revenue { amount currencyCode } orders }"},
	{"ordersByStatus", "ordersByStatus { status count }"},
	{"revenueByPaymentMethod", "revenueByPaymentMethod { paymentMethod revenue { amount currencyCode } orders }"},
	{"topProducts", "topProducts(limit: 10) { product { id name } units revenue { amount currencyCode } }"},
	{"conversionFunnel", "conversionFunnel { steps { name sessions rate } }"},
	{"eventCounts", "eventCounts { service type count }"},
}

func dashboard(ctx context.Context, e *env) (report.Run, error) {
	const w = "dashboard"
	const cold, warm = 20, 60
	var run report.Run
	sg, err := e.openClickHouse("")
	if err != nil {
		return run, err
	}
	defer sg.Close()
	var clicks uint64
	if err := sg.QueryRow(ctx, "SELECT count() FROM events WHERE seq = 0").Scan(&clicks); err != nil {
		return run, err
	}
	loaded := "the events analytics-ingest loaded"
	if int(clicks) < e.analyticsEvents {
		// Run alone: load the events straight into shopgraph's own table (its views fill
		// the rollups), as the raw baseline of analytics-ingest does.
		products, err := e.benchProducts(ctx)
		if err != nil {
			return run, err
		}
		if err := truncateAnalytics(ctx, sg); err != nil {
			return run, err
		}
		e.logf("  loading %d events into shopgraph's events table (raw insert)", e.analyticsEvents)
		if _, err := rawInsert(ctx, sg, newEventGen(analyticsSeed, uint64(time.Now().UnixNano()), products, time.Now().UTC()), e.analyticsEvents, e.ingestBatch); err != nil {
			return run, fmt.Errorf("loading events: %w", err)
		}
		loaded = "events loaded by a raw insert into shopgraph's events table (dashboard run alone)"
	}
	var total uint64
	if err := sg.QueryRow(ctx, "SELECT count() FROM events").Scan(&total); err != nil {
		return run, err
	}
	// The funnel reads the closed days from their seal, which shopgraph's sealer makes
	// once those days' rollup has been quiet for one of its 30 s looks: a dashboard
	// looks at days loaded long before; wait for the seal of these.
	t0 := time.Now()
	if err := waitFunnelSeal(ctx, sg, 5*time.Minute); err != nil {
		return run, err
	}
	e.logf("  funnel seal current after %s", time.Since(t0).Round(time.Second))
	admin, err := e.admin(ctx)
	if err != nil {
		return run, err
	}
	to := time.Now().UTC().Truncate(time.Minute)
	from := to.Add(-90 * 24 * time.Hour)
	// Each cold request shifts the range by a few milliseconds more: the cache's key
	// differs, the rollups' quarter hours do not.
	shift := time.Duration(time.Now().UnixNano()%1_000_000) * time.Microsecond
	ask := func(sel string, f time.Time) (time.Duration, error) {
		q := "query Dash($r: DateRangeInput!) { dashboard(range: $r, timezone: \"UTC\") { asOf " + sel + " } }"
		body := gql.Body("Dash", q, map[string]any{"r": map[string]any{"from": f.Format(time.RFC3339Nano), "to": to.Format(time.RFC3339Nano)}})
		t0 := time.Now()
		b, err := admin.Raw(ctx, body)
		took := time.Since(t0)
		if err != nil {
			return took, err
		}
		var r struct {
			Data struct {
				Dashboard map[string]json.RawMessage
			}
			Errors []struct{ Message string }
		}
		if err := json.Unmarshal(b, &r); err != nil {
			return took, err
		}
		if len(r.Errors) > 0 {
			return took, fmt.Errorf("%s: %s", sel, r.Errors[0].Message)
		}
		for k, v := range r.Data.Dashboard {
			if k != "asOf" && (len(v) == 0 || string(v) == "null") {
				return took, fmt.Errorf("%s: null", sel)
			}
		}
		return took, nil
	}
	for i, f := range dashboardFields {
		var colds, warms []time.Duration
		for j := range cold {
			d, err := ask(f.selection, from.Add(shift+time.Duration(i*cold+j+1)*time.Millisecond))
			if err != nil {
				return run, err
			}
			colds = append(colds, d)
		}
		warmFrom := from.Add(shift)
		if _, err := ask(f.selection, warmFrom); err != nil {
			return run, err
		}
		for range warm {
			d, err := ask(f.selection, warmFrom)
			if err != nil {
				return run, err
			}
			warms = append(warms, d)
		}
		c95, w95 := quantile(colds, 0.95), quantile(warms, 0.95)
		e.logf("  %-24s cold p50 %s p95 %s, warm p50 %s p95 %s", f.name,
			msString(quantile(colds, 0.5)), msString(c95), msString(quantile(warms, 0.5)), msString(w95))
		run.Rows = append(run.Rows,
			report.Row{Workload: w, Metric: f.name + " cold p95", Shopgraph: msString(c95), Baseline: "—", Ratio: "—",
				Target: "≤ 200 ms", Verdict: report.Check(c95 <= 200*time.Millisecond)},
			report.Row{Workload: w, Metric: f.name + " warm p95", Shopgraph: msString(w95), Baseline: "—", Ratio: "—",
				Target: "≤ 5 ms", Verdict: report.Check(w95 <= 5*time.Millisecond)})
	}
	run.Notes = []string{fmt.Sprintf("over %s (%d rows in ClickHouse), range the last 90 days in UTC; each field alone in a query "+
		"through shopgraph's GraphQL as the bench admin, one client, round trip over loopback. Cold: %d requests, each with a range a few ms "+
		"different (a new Redis key; the rollups' quarter hours are the same), so ClickHouse answers; warm: %d repeats of one range, "+
		"answered from Redis (a 5 s window turning over makes an occasional miss).", loaded, total, cold, warm)}
	return run, nil
}

// waitFunnelSeal waits until shopgraph's newest funnel seal is of the day two days back
// and no rollup row has arrived for its days since (the number of rows up to its horizon
// is the one it recorded).
func waitFunnelSeal(ctx context.Context, conn driver.Conn, within time.Duration) error {
	horizon := time.Now().UTC().Truncate(24 * time.Hour).Add(-48 * time.Hour)
	deadline := time.Now().Add(within)
	for {
		var (
			sealed        time.Time
			rows, nowRows uint64
		)
		err := conn.QueryRow(ctx, "SELECT horizon, rollup_rows FROM funnel_seals ORDER BY generation DESC LIMIT 1").
			Scan(&sealed, &rows)
		if err == nil && sealed.Equal(horizon) {
			if err := conn.QueryRow(ctx, "SELECT count() FROM funnel_sessions WHERE day <= toDate(@horizon)",
				ch.Named("horizon", horizon)).Scan(&nowRows); err != nil {
				return fmt.Errorf("reading the funnel rollup: %w", err)
			}
			if nowRows == rows {
				return nil
			}
		} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reading the funnel seals: %w", err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no current funnel seal of the days to %s within %s", horizon.Format(time.DateOnly), within)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func msString(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
