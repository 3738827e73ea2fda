package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/shopgraph/shopgraph/auth"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/postgres"
	"github.com/shopgraph/shopgraph/testkit"
)

// backend is one `shopgraph serve` process of the scale test.
type backend struct {
	addr  string
	cmd   *exec.Cmd
	alive atomic.Bool
	done  chan struct{}
}

// roundRobin is the test's load balancer: each request (WebSockets included) goes to the
// next live backend; a backend that fails a request is taken out.
type roundRobin struct {
	backends []*backend
	next     atomic.Uint64
}

func (rr *roundRobin) pick() *backend {
	for range len(rr.backends) {
		b := rr.backends[rr.next.Add(1)%uint64(len(rr.backends))]
		if b.alive.Load() {
			return b
		}
	}
	return nil
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b := rr.pick()
	if b == nil {
		http.Error(w, "no backend", http.StatusServiceUnavailable)
		return
	}
	p := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(&url.URL{Scheme: "http", Host: b.addr}) },
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	p.ServeHTTP(w, r)
}

// TestThreeProcessesBehindAProxyLoseNothing runs three `shopgraph serve` processes
// against one database, Redis prefix and NATS stream, behind a round-robin reverse proxy.
// Guests check out through the proxy and watchers (SHOPGRAPH_SCALE_WATCHERS, 1,000 by
// default) follow the orders over WebSocket, spread over the three. One process is
// killed mid-run: every checkout gets its one order (retried with its idempotency key),
// and every watcher reconnects through the proxy with afterSequence and sees each of its
// order's status changes exactly once.
func TestThreeProcessesBehindAProxyLoseNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three shopgraph processes")
	}
	watchers := 1000
	if v := os.Getenv("SHOPGRAPH_SCALE_WATCHERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("SHOPGRAPH_SCALE_WATCHERS=%q: want a positive number", v)
		}
		watchers = n
	}
	raiseOpenFiles(t, 4*watchers+1024)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	bin := filepath.Join(t.TempDir(), "shopgraph")
	// Under -race the processes are built with the race detector too: the packages are
	// then the ones this test run compiled already (a plain build compiles every one of
	// them again), and a data race in a process fails the test.
	build := []string{"build", "-o", bin}
	if raceEnabled {
		build = append(build, "-race")
	}
	if out, err := exec.CommandContext(ctx, "go", append(build, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	db, dbURL := testkit.Postgres(t)
	natsURL, subjects, stream := testkit.NATS(t)
	prefix := testkit.UniqueName("sgt") + ":"
	rdb := testkit.Redis(t) // a client for the cleanup of the processes' keys too
	t.Cleanup(func() {
		iter := rdb.RDB.Scan(context.Background(), 0, prefix+"*", 500).Iterator()
		for iter.Next(context.Background()) {
			rdb.RDB.Del(context.Background(), iter.Val())
		}
	})
	const secret = "scale-test-secret-0123456789abcdef"
	env := []string{
		"DATABASE_URL=" + dbURL, "REDIS_URL=" + testkit.RedisURL(), "REDIS_PREFIX=" + prefix,
		"NATS_URL=" + natsURL, "NATS_SUBJECT_PREFIX=" + subjects.Prefix, "NATS_STREAM=" + stream,
		// No analytics here: a ClickHouse that is down is what the processes must live with.
		"CLICKHOUSE_URL=clickhouse://default:@127.0.0.1:1/none", "INGEST=false",
		"JWT_SECRET=" + secret, "ADMIN_ADDR=off", "QUERY_COST_RATE=0", "LOG_LEVEL=warn",
		"SHUTDOWN_TIMEOUT=2s", "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
	}
	rr := &roundRobin{}
	for i := range 3 {
		b := &backend{addr: freeAddr(t), done: make(chan struct{})}
		b.cmd = exec.Command(bin, "serve")
		b.cmd.Env = append(env, "HTTP_ADDR="+b.addr)
		logf, err := os.Create(filepath.Join(t.TempDir(), fmt.Sprintf("shopgraph-%d.log", i)))
		if err != nil {
			t.Fatal(err)
		}
		b.cmd.Stdout, b.cmd.Stderr = logf, logf
		if err := b.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() {
			_ = b.cmd.Wait()
			logf.Close()
			close(b.done)
		}()
		t.Cleanup(func() {
			_ = b.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-b.done:
			case <-time.After(10 * time.Second):
				_ = b.cmd.Process.Kill()
				<-b.done
			}
			out, _ := os.ReadFile(logf.Name())
			if bytes.Contains(out, []byte("WARNING: DATA RACE")) {
				t.Errorf("the race detector found a data race in shopgraph %d", i)
			}
			if t.Failed() {
				t.Logf("--- shopgraph %d log:\n%s", i, out)
			}
		})
		rr.backends = append(rr.backends, b)
	}
	for _, b := range rr.backends {
		waitHealthy(t, ctx, b)
		b.alive.Store(true)
	}
	proxy := httptest.NewServer(rr)
	t.Cleanup(proxy.Close)
	c := &client{t: t, url: proxy.URL + "/graphql", http: &http.Client{Timeout: 30 * time.Second}}

	// An admin, made in the database, signs in through the proxy.
	hash, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.NewUserStore(db).CreateUser(ctx, domain.NewUser{Email: "ops@example.com", Name: "Ops", Role: domain.RoleAdmin}, hash, nil); err != nil {
		t.Fatal(err)
	}
	var login struct {
		Login struct{ Token string }
	}
	c.must(`mutation { login(input: {email: "ops@example.com", password: "correct horse battery"}) { token } }`, nil, &login, "")
	admin := login.Login.Token

	// A storefront session: browse, fill a cart, check out; orders to watch.
	const orders = 20
	var product int64
	if err := db.Pool.QueryRow(ctx, `SELECT p.id FROM products p WHERE p.deleted_at IS NULL AND p.stock >= 100
		AND (SELECT count(*) FROM product_variants v WHERE v.product_id = p.id AND v.deleted_at IS NULL) = 1 ORDER BY p.id LIMIT 1`).Scan(&product); err != nil {
		t.Fatal(err)
	}
	productID := base64.RawURLEncoding.EncodeToString([]byte("Product:" + strconv.FormatInt(product, 10)))
	var browse struct {
		Products struct{ Nodes []struct{ ID string } }
	}
	c.must(`{ products(first: 5) { nodes { id name price { amount } } } }`, nil, &browse, "")
	checkout := func(key string) string {
		var cart struct {
			CartCreate struct{ Cart struct{ ID string } }
		}
		c.must(`mutation($l: [CartLineInput!]) { cartCreate(lines: $l) { cart { id } } }`,
			map[string]any{"l": []any{map[string]any{"productId": productID, "quantity": 1}}}, &cart, "")
		in := map[string]any{"cartId": cart.CartCreate.Cart.ID, "paymentMethod": "CARD", "idempotencyKey": key, "email": "guest@example.com",
			"shippingAddress": map[string]any{"name": "Ada Lovelace", "line1": "12 Analytical Row", "city": "London", "postalCode": "N1 9GU", "country": "GB"}}
		var out struct {
			Checkout struct {
				Order      *struct{ ID, Status string }
				UserErrors []map[string]any
			}
		}
		c.must(`mutation($in: CheckoutInput!) { checkout(input: $in) { order { id status } userErrors { field message code } } }`,
			map[string]any{"in": in}, &out, "")
		if out.Checkout.Order == nil || out.Checkout.Order.Status != "PAID" {
			t.Fatalf("checkout %s: %+v", key, out.Checkout)
		}
		return out.Checkout.Order.ID
	}
	ids := make([]string, orders)
	for i := range ids {
		ids[i] = checkout("scale-" + strconv.Itoa(i))
	}

	// The watchers, spread over the processes by the proxy.
	type watcher struct {
		order      string
		seqs       []int
		reconnects int
		err        error
	}
	ws := make([]*watcher, watchers)
	var subscribed, finished sync.WaitGroup
	subscribed.Add(watchers)
	finished.Add(watchers)
	for i := range ws {
		w := &watcher{order: ids[i%orders]}
		ws[i] = w
		go func() {
			defer finished.Done()
			first := true
			for attempt := 0; ; attempt++ {
				var after *int
				if len(w.seqs) > 0 {
					after = &w.seqs[len(w.seqs)-1]
				} else {
					zero := 0
					after = &zero
				}
				done, err := follow(ctx, proxy.URL, admin, w.order, after, &w.seqs, func() {
					if first {
						first = false
						subscribed.Done()
					}
				})
				if done {
					return
				}
				if ctx.Err() != nil || attempt > 20 {
					w.err = fmt.Errorf("gave up after %d attempts: %w", attempt+1, err)
					if first {
						subscribed.Done()
					}
					return
				}
				w.reconnects++
			}
		}()
	}
	subscribed.Wait()
	transition := func(id, mutation string) {
		for attempt := 0; ; attempt++ {
			var out map[string]struct {
				UserErrors []struct{ Code string }
			}
			resp, err := c.post(mutation, map[string]any{"id": id}, admin)
			if err == nil && len(resp.Errors) == 0 {
				if err := json.Unmarshal(resp.Data, &out); err != nil {
					t.Fatal(err)
				}
				for _, p := range out {
					// A retry of a transition whose first answer was lost with its
					// process finds it made.
					if len(p.UserErrors) > 0 && !(attempt > 0 && p.UserErrors[0].Code == "ILLEGAL_TRANSITION") {
						t.Fatalf("%s on %s: %+v", mutation, id, p.UserErrors)
					}
				}
				return
			}
			if ctx.Err() != nil || err == nil {
				t.Fatalf("%s on %s: %v %+v", mutation, id, err, resp)
			}
		}
	}
	for _, id := range ids[:orders/2] {
		transition(id, `mutation($id: ID!) { orderShip(orderId: $id, carrier: "DHL", trackingNumber: "JD1") { userErrors { field message } } }`)
	}
	// Kill one process, as a crash would: its watchers' connections drop.
	victim := rr.backends[0]
	victim.alive.Store(false)
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	// Checkouts go on through the two processes left, retried with the same key.
	extra := checkout("scale-after-kill")
	for _, id := range ids[orders/2:] {
		transition(id, `mutation($id: ID!) { orderShip(orderId: $id, carrier: "DHL", trackingNumber: "JD1") { userErrors { field message } } }`)
	}
	for _, id := range ids {
		transition(id, `mutation($id: ID!) { orderDeliver(orderId: $id) { userErrors { field message } } }`)
	}
	finished.Wait()

	var reconnected int
	for i, w := range ws {
		if w.err != nil {
			t.Fatalf("watcher %d of order %s: %v (saw %v)", i, w.order, w.err, w.seqs)
		}
		if want := []int{1, 2, 3, 4}; fmt.Sprint(w.seqs) != fmt.Sprint(want) {
			t.Fatalf("watcher %d of order %s saw sequences %v, want %v", i, w.order, w.seqs, want)
		}
		if w.reconnects > 0 {
			reconnected++
		}
	}
	if reconnected == 0 {
		t.Fatal("no watcher was on the killed process")
	}
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM orders WHERE idempotency_key LIKE 'scale-%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != orders+1 || extra == "" {
		t.Fatalf("%d orders for %d checkouts", n, orders+1)
	}
	t.Logf("%d watchers over 3 processes, %d reconnected after one was killed; every one saw sequences 1-4 once; %d checkouts, %d orders",
		watchers, reconnected, orders+1, n)
}

// follow subscribes to the order's status changes through the proxy, appending each
// sequence to seqs, until the subscription completes (done) or the connection drops.
func follow(ctx context.Context, base, token, order string, after *int, seqs *[]int, subscribed func()) (done bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return false, err
	}
	defer conn.CloseNow()
	send := func(v any) error {
		b, _ := json.Marshal(v)
		return conn.Write(ctx, websocket.MessageText, b)
	}
	type message struct {
		Type    string          `json:"type"`
		ID      string          `json:"id"`
		Payload json.RawMessage `json:"payload"`
	}
	read := func() (message, error) {
		var m message
		_, b, err := conn.Read(ctx)
		if err != nil {
			return m, err
		}
		return m, json.Unmarshal(b, &m)
	}
	if err := send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}}); err != nil {
		return false, err
	}
	if m, err := read(); err != nil || m.Type != "connection_ack" {
		return false, fmt.Errorf("connection_init: %v %+v", err, m)
	}
	if err := send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query":     `subscription($id: ID!, $after: Int) { orderStatusChanged(orderId: $id, afterSequence: $after) { sequence status } }`,
		"variables": map[string]any{"id": order, "after": after},
	}}); err != nil {
		return false, err
	}
	subscribed()
	for {
		m, err := read()
		if err != nil {
			return false, err
		}
		switch m.Type {
		case "next":
			var p struct {
				Data struct {
					OrderStatusChanged struct{ Sequence int }
				}
				Errors []any
			}
			if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
				return false, fmt.Errorf("next: %v %s", err, m.Payload)
			}
			*seqs = append(*seqs, p.Data.OrderStatusChanged.Sequence)
		case "complete":
			return true, nil
		case "error":
			return false, fmt.Errorf("subscription error: %s", m.Payload)
		case "ping":
			if err := send(map[string]any{"type": "pong"}); err != nil {
				return false, err
			}
		}
	}
}

// client posts GraphQL through the proxy, retrying what a killed process dropped.
type client struct {
	t    *testing.T
	url  string
	http *http.Client
}

type response struct {
	Data   json.RawMessage  `json:"data"`
	Errors []map[string]any `json:"errors"`
}

func (c *client) post(query string, vars map[string]any, token string) (response, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return response{}, fmt.Errorf("status %s", resp.Status)
	}
	var r response
	err = json.NewDecoder(resp.Body).Decode(&r)
	return r, err
}

// must posts until a process answers (a request on the process being killed is retried:
// every mutation here is idempotent or keyed), then decodes the data into v.
func (c *client) must(query string, vars map[string]any, v any, token string) {
	c.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		r, err := c.post(query, vars, token)
		if err == nil && len(r.Errors) == 0 {
			if err := json.Unmarshal(r.Data, v); err != nil {
				c.t.Fatal(err)
			}
			return
		}
		if err == nil {
			c.t.Fatalf("%s: %+v", query, r.Errors)
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: %v", query, err)
		}
	}
}

func waitHealthy(t *testing.T, ctx context.Context, b *backend) {
	t.Helper()
	for {
		resp, err := http.Get("http://" + b.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-b.done:
			t.Fatalf("shopgraph on %s exited during start-up", b.addr)
		case <-ctx.Done():
			t.Fatalf("shopgraph on %s not healthy: %v", b.addr, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// raiseOpenFiles lifts the soft limit of open files to at least n (up to the hard limit):
// every watcher holds two sockets in this process.
func raiseOpenFiles(t *testing.T, n int) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= uint64(n) {
		return
	}
	lim.Cur = min(uint64(n), lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil && !errors.Is(err, syscall.EPERM) {
		t.Fatal(err)
	}
}
