// Package tracking measures live order tracking: it opens many graphql-transport-ws
// watchers of orderStatusChanged over a set of paid orders (as the orders' customers and
// as an admin), drives every order through SHIPPED and DELIVERED with the admin mutations,
// and measures how long each status change takes to reach each watcher, how many never
// arrive, and how much memory the server spends per watcher.
//
// Latency is measured three ways, all on this machine's clock:
//
//   - from the change's `at` (taken inside the transition's transaction, a little before
//     its commit): an upper bound of the delay from the commit;
//   - from the moment a NATS subscriber in this process saw the relay publish the event
//     (when NATS is reachable): a lower bound, which leaves out the outbox relay;
//   - from the moment the admin's mutation answered (after the commit); negative when the
//     event overtook the mutation's own answer.
package tracking

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"

	"github.com/shopgraph/shopgraph/bench/gql"
	"github.com/shopgraph/shopgraph/bench/load"
)

// Config says what to measure.
type Config struct {
	// URL is shopgraph's GraphQL endpoint, http://host:port/graphql.
	URL string
	// Watchers is the number of WebSocket connections, one subscription each.
	Watchers int
	// Orders is the number of orders they watch (Watchers/Orders watchers per order).
	Orders int
	// AdminEmail and AdminPassword sign the admin in.
	AdminEmail, AdminPassword string
	// NATSURL, when set, is tapped for the relay's order events; SubjectPrefix is the
	// deployment's subject prefix ("" for the production subjects).
	NATSURL, SubjectPrefix string
	// PID is the server's process id; zero finds the process listening on URL's port.
	PID int
	// Dialers is how many watchers connect at once; Mutators how many status changes
	// are in flight at once.
	Dialers, Mutators int
	// Log receives progress lines.
	Log io.Writer
	// AdminURL (shopgraph's ADMIN_ADDR listener, net/http/pprof) and ProfileDir, when
	// both are set, profile the server: heap and goroutines once the watchers are
	// connected, CPU while the status changes are made, into ProfileDir as
	// order-tracking-{heap,goroutine,cpu}.pprof.
	AdminURL, ProfileDir string
}

// Result is what a run measured.
type Result struct {
	Watchers, Orders int
	// Expected counts the live events the watchers should have received (two each),
	// Received those that arrived; Lost is the difference. Repeated and OutOfOrder count
	// events seen twice and sequence numbers going backwards.
	Expected, Received, Lost, Repeated, OutOfOrder int
	// Incomplete counts watchers that did not receive "complete" after DELIVERED; Failed
	// those that could not connect or whose connection or subscription failed.
	Incomplete, Failed int
	// FromAt, FromPublish and FromResponse are the delivery latencies, sorted (see the
	// package comment); FromPublish is empty without NATS.
	FromAt, FromPublish, FromResponse []time.Duration
	// ConnectTime is how long connecting and subscribing every watcher took.
	ConnectTime time.Duration
	// Memory of the server before and after the watchers connected.
	PID                     int
	RSSBefore, RSSAfter     int64
	HeapBefore, HeapAfter   float64
	StackBefore, StackAfter float64
	// LiveBefore and LiveAfter are the heap still reachable after a collection the bench
	// asks for (AdminURL), read after the figures above; zero: not measured.
	LiveBefore, LiveAfter             float64
	GoroutinesBefore, GoroutinesAfter float64
	// Mutations is how many status changes were made, in MutationTime.
	Mutations    int
	MutationTime time.Duration
	Errors       []string
}

// RSSPerWatcher returns the growth of the server's resident memory per watcher, in bytes.
func (r *Result) RSSPerWatcher() float64 {
	if r.Watchers == 0 {
		return 0
	}
	return float64(r.RSSAfter-r.RSSBefore) / float64(r.Watchers)
}

// HeapPerWatcher returns the growth of the server's in-use heap per watcher, in bytes.
func (r *Result) HeapPerWatcher() float64 {
	if r.Watchers == 0 {
		return 0
	}
	return (r.HeapAfter - r.HeapBefore) / float64(r.Watchers)
}

// Quantile returns the nearest-rank q-quantile of sorted durations.
func Quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(float64(len(d))*q+0.999999) - 1
	return d[max(0, min(i, len(d)-1))]
}

const subscription = `subscription Track($id: ID!) { orderStatusChanged(orderId: $id) { sequence status at } }`

type key struct {
	order int64
	seq   int
}

type receipt struct {
	seq  int
	at   time.Time
	recv time.Time
}

type watcher struct {
	order    int64
	events   []receipt
	complete bool
	err      error
}

// Run performs one measurement.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Watchers <= 0 || cfg.Orders <= 0 {
		return nil, errors.New("tracking: watchers and orders must be positive")
	}
	cfg.Orders = min(cfg.Orders, cfg.Watchers)
	if cfg.Dialers <= 0 {
		cfg.Dialers = 64
	}
	if cfg.Mutators <= 0 {
		cfg.Mutators = 4
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "order-tracking: "+format+"\n", args...)
		}
	}
	res := &Result{Watchers: cfg.Watchers, Orders: cfg.Orders}
	client := gql.New(cfg.URL)
	adminTok, err := client.Login(ctx, cfg.AdminEmail, cfg.AdminPassword)
	if err != nil {
		return nil, err
	}
	admin := client.As(adminTok)

	orders, customerOf, tokens, err := placeOrders(ctx, client, admin, cfg.Orders, logf)
	if err != nil {
		return nil, err
	}

	res.PID = cfg.PID
	if res.PID == 0 {
		if res.PID, err = pidListening(cfg.URL); err != nil {
			logf("memory not measured: %v", err)
		}
	}
	metricsURL := strings.TrimSuffix(cfg.URL, "/graphql") + "/metrics"
	if res.PID != 0 {
		res.RSSBefore, _ = rss(res.PID)
	}
	res.HeapBefore, res.StackBefore, res.GoroutinesBefore, _ = goMetrics(ctx, metricsURL)
	res.LiveBefore = liveHeap(ctx, cfg.AdminURL, metricsURL)

	// The NATS tap: when the relay published each event.
	var published sync.Map // key -> time.Time
	if cfg.NATSURL != "" {
		nc, err := nats.Connect(cfg.NATSURL, nats.Name("shopgraph-bench-tap"))
		if err != nil {
			logf("no NATS tap: %v", err)
		} else {
			defer nc.Close()
			subject := "order.*"
			if cfg.SubjectPrefix != "" {
				subject = cfg.SubjectPrefix + "." + subject
			}
			_, err := nc.Subscribe(subject, func(m *nats.Msg) {
				now := time.Now()
				var d struct {
					OrderID  int64 `json:"orderId"`
					Sequence int   `json:"sequence"`
				}
				if json.Unmarshal(m.Data, &d) == nil {
					published.LoadOrStore(key{d.OrderID, d.Sequence}, now)
				}
			})
			if err != nil {
				logf("no NATS tap: %v", err)
			} else if err := nc.Flush(); err != nil {
				logf("NATS tap flush: %v", err)
			}
		}
	}

	// Connect the watchers: watcher i follows order i mod M, as its customer when i is
	// even, as the admin when odd.
	logf("connecting %d watchers over %d orders", cfg.Watchers, cfg.Orders)
	wsURL := "ws" + strings.TrimPrefix(cfg.URL, "http")
	runCtx, stopWatchers := context.WithCancel(ctx)
	defer stopWatchers()
	watchers := make([]*watcher, cfg.Watchers)
	conns := make([]*websocket.Conn, cfg.Watchers)
	var readers sync.WaitGroup
	var failed atomic.Int64
	var errMu sync.Mutex
	addErr := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		if len(res.Errors) < 5 {
			res.Errors = append(res.Errors, err.Error())
		}
	}
	start := time.Now()
	sem := make(chan struct{}, cfg.Dialers)
	var dial sync.WaitGroup
	for i := range cfg.Watchers {
		o := i % cfg.Orders
		tok := adminTok
		if i%2 == 0 {
			tok = tokens[customerOf[o]]
		}
		w := &watcher{order: orders[o].dbID}
		watchers[i] = w
		dial.Add(1)
		sem <- struct{}{}
		go func() {
			defer dial.Done()
			defer func() { <-sem }()
			c, err := subscribe(runCtx, wsURL, tok, orders[o].gid)
			if err != nil {
				failed.Add(1)
				watcherMu.Lock()
				w.err = err
				watcherMu.Unlock()
				addErr(err)
				return
			}
			conns[i] = c
			readers.Add(1)
			go func() {
				defer readers.Done()
				w.read(runCtx, c)
			}()
		}()
	}
	dial.Wait()
	res.ConnectTime = time.Since(start)
	if n := failed.Load(); n > 0 {
		logf("%d watchers failed to connect", n)
	}
	// Every watcher first receives the order's current status (PAID, sequence 2).
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ready := 0
		for _, w := range watchers {
			if w.failed() || w.count() >= 1 {
				ready++
			}
		}
		if ready == len(watchers) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	logf("connected in %s; letting the server settle", res.ConnectTime.Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	if res.PID != 0 {
		res.RSSAfter, _ = rss(res.PID)
	}
	res.HeapAfter, res.StackAfter, res.GoroutinesAfter, _ = goMetrics(ctx, metricsURL)
	res.LiveAfter = liveHeap(ctx, cfg.AdminURL, metricsURL)
	profiling := cfg.AdminURL != "" && cfg.ProfileDir != ""
	var cpuDone chan error
	if profiling {
		for _, p := range []string{"heap", "goroutine"} {
			if err := load.SaveURL(ctx, cfg.AdminURL+"/debug/pprof/"+p, filepath.Join(cfg.ProfileDir, "order-tracking-"+p+".pprof")); err != nil {
				logf("profile %s: %v", p, err)
			}
		}
		// A guess at the mutations' length: about 150 status changes a second.
		secs := max(2, min(30, 2*len(orders)/150))
		cpuDone = make(chan error, 1)
		go func() {
			cpuDone <- load.SaveURL(ctx, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", cfg.AdminURL, secs), filepath.Join(cfg.ProfileDir, "order-tracking-cpu.pprof"))
		}()
	}

	// Drive the changes: each order SHIPPED, then DELIVERED.
	logf("shipping and delivering %d orders", len(orders))
	var answered sync.Map // key -> time.Time
	mstart := time.Now()
	jobs := make(chan order)
	var mut sync.WaitGroup
	var mutations atomic.Int64
	for range cfg.Mutators {
		mut.Add(1)
		go func() {
			defer mut.Done()
			for o := range jobs {
				steps := []struct {
					seq   int
					query string
				}{
					{3, `mutation($id: ID!) { orderShip(orderId: $id, carrier: "DHL", trackingNumber: "BENCH") { order { status } userErrors { code message field } } }`},
					{4, `mutation($id: ID!) { orderDeliver(orderId: $id) { order { status } userErrors { code message field } } }`},
				}
				for _, s := range steps {
					var out map[string]struct{ UserErrors gql.UserErrors }
					if err := admin.Do(ctx, s.query, map[string]any{"id": o.gid}, &out); err != nil {
						addErr(err)
						break
					}
					answered.Store(key{o.dbID, s.seq}, time.Now())
					mutations.Add(1)
					for _, p := range out {
						if err := p.UserErrors.Err(); err != nil {
							addErr(err)
						}
					}
				}
			}
		}()
	}
	for _, o := range orders {
		jobs <- o
	}
	close(jobs)
	mut.Wait()
	res.MutationTime = time.Since(mstart)
	res.Mutations = int(mutations.Load())
	if cpuDone != nil {
		if err := <-cpuDone; err != nil {
			logf("cpu profile: %v", err)
		} else {
			logf("profiles in %s", cfg.ProfileDir)
		}
	}

	// Wait for every watcher to complete, or ten seconds.
	deadline = time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		done := 0
		for _, w := range watchers {
			if w.failed() || w.isComplete() {
				done++
			}
		}
		if done == len(watchers) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopWatchers()
	for _, c := range conns {
		if c != nil {
			c.CloseNow()
		}
	}
	readers.Wait()

	for _, w := range watchers {
		res.Expected += 2
		if w.err != nil {
			res.Failed++
			addErr(w.err)
		}
		if !w.complete {
			res.Incomplete++
		}
		seen := map[int]bool{}
		last := 0
		for _, e := range w.events {
			if seen[e.seq] {
				res.Repeated++
				continue
			}
			seen[e.seq] = true
			if e.seq < last {
				res.OutOfOrder++
			}
			last = e.seq
			if e.seq < 3 {
				continue // the current status sent on subscribing
			}
			res.Received++
			res.FromAt = append(res.FromAt, e.recv.Sub(e.at))
			k := key{w.order, e.seq}
			if t, ok := published.Load(k); ok {
				res.FromPublish = append(res.FromPublish, e.recv.Sub(t.(time.Time)))
			}
			if t, ok := answered.Load(k); ok {
				res.FromResponse = append(res.FromResponse, e.recv.Sub(t.(time.Time)))
			}
		}
	}
	res.Lost = res.Expected - res.Received
	for _, d := range [][]time.Duration{res.FromAt, res.FromPublish, res.FromResponse} {
		slices.Sort(d)
	}
	return res, nil
}

type order struct {
	gid  string
	dbID int64
}

// placeOrders registers a customer per four orders (shopgraph may limit each customer to a
// burst of five checkouts) and places n paid orders among them. It
// returns the orders, the customer index of each, and the customers' tokens.
func placeOrders(ctx context.Context, client, admin *gql.Client, n int, logf func(string, ...any)) ([]order, []int, []string, error) {
	// Products with stock to spare: the best sellers the listing shows, restocked when low.
	// Only products with a single variant: a cart line and a restock then need no variant.
	var out struct {
		Products struct {
			Nodes []struct {
				gql.Product
				Variants []struct{ ID string }
			}
		}
	}
	err := client.Do(ctx, `{ products(first: 50, filter: {inStock: true}) { nodes { id slug name availableQuantity variants { id } } } }`, nil, &out)
	if err != nil {
		return nil, nil, nil, err
	}
	var products []gql.Product
	for _, p := range out.Products.Nodes {
		if len(p.Variants) <= 1 && len(products) < 20 {
			products = append(products, p.Product)
		}
	}
	if len(products) == 0 {
		return nil, nil, nil, errors.New("tracking: no single-variant product in stock")
	}
	// Restocked whatever the listing says: it counts every warehouse, while a checkout
	// may draw on the default one alone, which is the one a restock fills.
	for _, p := range products {
		if err := admin.InventoryAdjust(ctx, p.ID, n/len(products)+10); err != nil {
			return nil, nil, nil, fmt.Errorf("restocking %s: %w", p.Slug, err)
		}
	}
	customers := (n + 3) / 4
	run := time.Now().UnixNano()
	tokens := make([]string, customers)
	logf("registering %d customers and placing %d orders", customers, n)
	for i := range tokens {
		tokens[i], err = client.Register(ctx, fmt.Sprintf("ws-%d-%d@bench.example", run, i), "bench-password-123", fmt.Sprintf("Watcher %d", i))
		if err != nil {
			return nil, nil, nil, err
		}
	}
	orders := make([]order, n)
	customerOf := make([]int, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range n {
		customerOf[i] = i % customers
		c := client.As(tokens[customerOf[i]])
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cart, err := c.CartCreate(ctx, products[i%len(products)].ID, 1)
			if err != nil {
				errs <- fmt.Errorf("cart for order %d: %w", i, err)
				return
			}
			var r gql.CheckoutResult
			if err := c.Do(ctx, gql.CheckoutMutation, gql.CheckoutVars(cart, fmt.Sprintf("ws-%d-%d", run, i), ""), &r); err != nil {
				errs <- err
				return
			}
			if err := r.Checkout.UserErrors.Err(); err != nil {
				errs <- err
				return
			}
			if r.Checkout.Order == nil || r.Checkout.Order.Status != "PAID" {
				errs <- fmt.Errorf("order %d not paid: %+v", i, r.Checkout.Order)
				return
			}
			id, err := orderDBID(r.Checkout.Order.ID)
			if err != nil {
				errs <- err
				return
			}
			orders[i] = order{gid: r.Checkout.Order.ID, dbID: id}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, nil, nil, err
	}
	return orders, customerOf, tokens, nil
}

// orderDBID reads the database id out of an order's global id. Clients must treat ids as
// opaque; the bench peeks only to match the relay's NATS messages, which carry the
// database id.
func orderDBID(gid string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(gid)
	if err != nil {
		return 0, fmt.Errorf("order id %q: %w", gid, err)
	}
	typ, num, _ := strings.Cut(string(raw), ":")
	if typ != "Order" {
		return 0, fmt.Errorf("order id %q is a %s id", gid, typ)
	}
	return strconv.ParseInt(num, 10, 64)
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// subscribe connects one watcher: connection_init with the token, the ack, then the
// subscription.
func subscribe(ctx context.Context, wsURL, token, orderGID string) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(dctx, wsURL, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	send := func(m wsMessage) error {
		b, _ := json.Marshal(m)
		return c.Write(dctx, websocket.MessageText, b)
	}
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + token})
	if err := send(wsMessage{Type: "connection_init", Payload: init}); err != nil {
		c.CloseNow()
		return nil, err
	}
	for {
		_, data, err := c.Read(dctx)
		if err != nil {
			c.CloseNow()
			return nil, fmt.Errorf("waiting for connection_ack: %w", err)
		}
		var m wsMessage
		if err := json.Unmarshal(data, &m); err != nil {
			c.CloseNow()
			return nil, err
		}
		if m.Type == "connection_ack" {
			break
		}
		if m.Type != "ping" && m.Type != "pong" && m.Type != "ka" {
			c.CloseNow()
			return nil, fmt.Errorf("expected connection_ack, got %s", data)
		}
	}
	payload, _ := json.Marshal(map[string]any{"query": subscription, "variables": map[string]any{"id": orderGID}})
	if err := send(wsMessage{ID: "1", Type: "subscribe", Payload: payload}); err != nil {
		c.CloseNow()
		return nil, err
	}
	return c, nil
}

var watcherMu sync.Mutex

func (w *watcher) count() int {
	watcherMu.Lock()
	defer watcherMu.Unlock()
	return len(w.events)
}

func (w *watcher) failed() bool {
	watcherMu.Lock()
	defer watcherMu.Unlock()
	return w.err != nil
}

func (w *watcher) isComplete() bool {
	watcherMu.Lock()
	defer watcherMu.Unlock()
	return w.complete
}

// read records the watcher's events until the subscription completes or ctx ends.
func (w *watcher) read(ctx context.Context, c *websocket.Conn) {
	for {
		_, data, err := c.Read(ctx)
		recv := time.Now()
		if err != nil {
			if ctx.Err() == nil {
				watcherMu.Lock()
				if !w.complete {
					w.err = err
				}
				watcherMu.Unlock()
			}
			return
		}
		var m wsMessage
		if err := json.Unmarshal(data, &m); err != nil {
			continue
		}
		switch m.Type {
		case "ping":
			_ = c.Write(ctx, websocket.MessageText, []byte(`{"type":"pong"}`))
		case "next":
			var p struct {
				Data struct {
					OrderStatusChanged struct {
						Sequence int
						At       time.Time
					}
				}
				Errors []struct{ Message string }
			}
			if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
				watcherMu.Lock()
				w.err = fmt.Errorf("bad event %s", m.Payload)
				watcherMu.Unlock()
				continue
			}
			e := p.Data.OrderStatusChanged
			watcherMu.Lock()
			w.events = append(w.events, receipt{seq: e.Sequence, at: e.At, recv: recv})
			watcherMu.Unlock()
		case "complete":
			watcherMu.Lock()
			w.complete = true
			watcherMu.Unlock()
		case "error":
			watcherMu.Lock()
			w.err = fmt.Errorf("subscription error %s", m.Payload)
			watcherMu.Unlock()
		}
	}
}

// rss returns the resident set size of a process, in bytes.
func rss(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS")
}

// goMetrics reads the in-use heap, the goroutine stacks and the goroutine count from the
// server's Prometheus endpoint (the Go collector of client_golang).
func goMetrics(ctx context.Context, url string) (heap, stack, goroutines float64, err error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, 0, err
	}
	defer resp.Body.Close()
	s := bufio.NewScanner(resp.Body)
	for s.Scan() {
		name, value, ok := strings.Cut(s.Text(), " ")
		if !ok {
			continue
		}
		switch name {
		case "go_memstats_heap_inuse_bytes":
			heap, _ = strconv.ParseFloat(value, 64)
		case "go_memstats_stack_inuse_bytes":
			stack, _ = strconv.ParseFloat(value, 64)
		case "go_goroutines":
			goroutines, _ = strconv.ParseFloat(value, 64)
		}
	}
	return heap, stack, goroutines, s.Err()
}

// liveHeap has the server collect its garbage (net/http/pprof's heap profile with gc=1,
// on the admin listener) and returns the heap then allocated: what the server's objects
// hold, without the garbage and the collector's headroom that its RSS also carries. Zero
// when there is no admin listener or it fails.
func liveHeap(ctx context.Context, adminURL, metricsURL string) float64 {
	if adminURL == "" {
		return 0
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, adminURL+"/debug/pprof/heap?gc=1", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0
	}
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	if resp, err = http.DefaultClient.Do(req); err != nil {
		return 0
	}
	defer resp.Body.Close()
	s := bufio.NewScanner(resp.Body)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "go_memstats_heap_alloc_bytes "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// pidListening finds the process that listens on the port of rawURL, through /proc.
func pidListening(rawURL string) (int, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0, err
	}
	_, portStr, err := net.SplitHostPort(u.Host)
	if err != nil {
		return 0, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return 0, err
	}
	return PIDListening(int(port))
}

// PIDListening returns the process listening on the TCP port.
func PIDListening(port int) (int, error) {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 10 || fields[3] != "0A" {
				continue
			}
			_, hexPort, _ := strings.Cut(fields[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil && int(p) == port {
				inodes["socket:["+fields[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("no process listens on port %d", port)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		if link, err := os.Readlink(fd); err == nil && inodes[link] {
			pid, err := strconv.Atoi(strings.Split(fd, "/")[2])
			if err == nil {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("no visible process owns the listener on port %d", port)
}
