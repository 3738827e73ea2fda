package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/resolvers"
	"github.com/shopgraph/shopgraph/testkit"
)

// wsClient speaks a GraphQL WebSocket protocol to a harness.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// dialWS opens a connection with the subprotocol and, unless init is nil, sends
// connection_init with the payload and waits for the acknowledgement.
func (h *harness) dialWS(protocol string, init map[string]any) *wsClient {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/graphql"
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{protocol}})
	if err != nil {
		h.t.Fatalf("dialing %s: %v", url, err)
	}
	c := &wsClient{t: h.t, conn: conn}
	h.t.Cleanup(func() { conn.Close(websocket.StatusNormalClosure, "") })
	if init != nil {
		c.send(wsMessage{Type: "connection_init", Payload: mustJSON(init)})
		if m := c.next(); m.Type != "connection_ack" {
			h.t.Fatalf("expected connection_ack, got %+v", m)
		}
	}
	return c
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func (c *wsClient) send(m wsMessage) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, mustJSON(m)); err != nil {
		c.t.Fatalf("writing: %v", err)
	}
}

// next returns the next message other than keep-alives, failing after 15 s.
func (c *wsClient) next() wsMessage {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		_, data, err := c.conn.Read(ctx)
		if err != nil {
			c.t.Fatalf("reading: %v", err)
		}
		var m wsMessage
		if err := json.Unmarshal(data, &m); err != nil {
			c.t.Fatalf("bad frame %s", data)
		}
		if m.Type == "ping" || m.Type == "pong" || m.Type == "ka" {
			continue
		}
		return m
	}
}

// closeStatus waits for the server to close the connection and returns its status code.
func (c *wsClient) closeStatus() websocket.StatusCode {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		if _, _, err := c.conn.Read(ctx); err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

const statusSubscription = `subscription($id: ID!, $after: Int) { orderStatusChanged(orderId: $id, afterSequence: $after) {
	sequence kind status previousStatus note shipment { carrier trackingNumber } refundAmount { amount } chargeAmount { amount } order { id status } } }`

type statusEvent struct {
	Sequence       int
	Kind           string
	Status         string
	PreviousStatus *string
	Note           *string
	Shipment       *struct{ Carrier, TrackingNumber string }
	RefundAmount   *struct{ Amount string }
	ChargeAmount   *struct{ Amount string }
	Order          struct{ ID, Status string }
}

func (c *wsClient) subscribe(id, orderID string, after *int) {
	c.t.Helper()
	vars := map[string]any{"id": orderID}
	if after != nil {
		vars["after"] = *after
	}
	c.send(wsMessage{ID: id, Type: "subscribe", Payload: mustJSON(map[string]any{"query": statusSubscription, "variables": vars})})
}

// event reads the next message, which must be a "next" for the subscription, and decodes it.
func (c *wsClient) event(id, nextType string) statusEvent {
	c.t.Helper()
	m := c.next()
	if m.Type != nextType || m.ID != id {
		c.t.Fatalf("expected %s for %s, got %s %s %s", nextType, id, m.Type, m.ID, m.Payload)
	}
	var p struct {
		Data   struct{ OrderStatusChanged statusEvent }
		Errors []gqlError
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
		c.t.Fatalf("payload %s: %v", m.Payload, err)
	}
	return p.Data.OrderStatusChanged
}

// placeOrder checks out one unit as the customer and returns the PAID order's global id.
func placeOrder(t *testing.T, customer *harness, key string) string {
	t.Helper()
	p := customer.stocked(1, 10)[0]
	c := customer.cartCreate(line(p, 1))
	o := customer.checkout(c.Cart.ID, key, nil)
	if o.Order == nil || o.Order.Status != "PAID" {
		t.Fatalf("checkout: %+v", o)
	}
	return o.Order.ID
}

func (h *harness) ship(t *testing.T, orderID string) {
	t.Helper()
	var out struct{ OrderShip orderPayload }
	h.data(`mutation($id: ID!) { orderShip(orderId: $id, carrier: "DHL", trackingNumber: "JD42") { `+orderFields+` } }`, map[string]any{"id": orderID}, &out)
	if out.OrderShip.Order == nil {
		t.Fatalf("ship: %+v", out.OrderShip)
	}
}

func (h *harness) deliver(t *testing.T, orderID string) {
	t.Helper()
	var out struct{ OrderDeliver orderPayload }
	h.data(`mutation($id: ID!) { orderDeliver(orderId: $id) { `+orderFields+` } }`, map[string]any{"id": orderID}, &out)
	if out.OrderDeliver.Order == nil {
		t.Fatalf("deliver: %+v", out.OrderDeliver)
	}
}

// checkGoroutines fails when the process keeps more goroutines than it had at start,
// after giving the stopped connections a moment to unwind.
func checkSubscriptionGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines left, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

// TestSubscriptionLiveAndResume: the current status first, live transitions, completion
// on delivery; then a resume after sequence 1 replays the rest of the history in order.
func TestSubscriptionLiveAndResume(t *testing.T) {
	url, subjects, stream := testkit.NATS(t)
	h := newHarnessOn(t, url, withStream(subjects, stream))
	admin, _ := h.signedIn(domain.RoleAdmin)
	customer, _ := h.signedIn(domain.RoleCustomer)
	orderID := placeOrder(t, customer, "sub-1")
	before := runtime.NumGoroutine()

	c := h.dialWS("graphql-transport-ws", map[string]any{"Authorization": "Bearer " + customer.token})
	c.subscribe("1", orderID, nil)
	if e := c.event("1", "next"); e.Sequence != 2 || e.Status != "PAID" || e.Order.ID != orderID {
		t.Fatalf("first message: %+v", e)
	}
	admin.ship(t, orderID)
	if e := c.event("1", "next"); e.Sequence != 3 || e.Status != "SHIPPED" || *e.PreviousStatus != "PAID" || e.Shipment == nil || e.Shipment.TrackingNumber != "JD42" {
		t.Fatalf("shipped: %+v", e)
	}
	admin.deliver(t, orderID)
	if e := c.event("1", "next"); e.Sequence != 4 || e.Status != "DELIVERED" {
		t.Fatalf("delivered: %+v", e)
	}
	if m := c.next(); m.Type != "complete" || m.ID != "1" {
		t.Fatalf("expected complete after DELIVERED, got %+v", m)
	}

	// Resume: everything after sequence 1, then complete (the order is delivered).
	one := 1
	c.subscribe("2", orderID, &one)
	for want := 2; want <= 4; want++ {
		if e := c.event("2", "next"); e.Sequence != want {
			t.Fatalf("resume: sequence %d, want %d", e.Sequence, want)
		}
	}
	if m := c.next(); m.Type != "complete" {
		t.Fatalf("resume did not complete: %+v", m)
	}
	c.conn.Close(websocket.StatusNormalClosure, "")
	checkSubscriptionGoroutines(t, before)
}

// TestSubscriptionSlowClientGetsAnError: a tracker that falls behind its order's events
// by more than its buffer is dropped, and the client is told so with an error naming
// the reason, never a silent completion; resuming with afterSequence then delivers the
// rest. The tracker is made slow deterministically: its subscription stops taking events
// after the first until the hub has dropped it.
func TestSubscriptionSlowClientGetsAnError(t *testing.T) {
	url, subjects, stream := testkit.NATS(t)
	h := newHarnessOn(t, url, withStream(subjects, stream), func(c *app.Config) { c.WatcherBuffer = 1 })
	admin, _ := h.signedIn(domain.RoleAdmin)
	customer, _ := h.signedIn(domain.RoleCustomer)
	orderID := placeOrder(t, customer, "slow-1")

	stalled, release := make(chan struct{}), make(chan struct{})
	var releaseOnce sync.Once
	unstall := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(unstall)
	follow := h.app.Resolver.Follow
	var once sync.Once
	h.app.Resolver.Follow = func(ctx context.Context, id int64, after *int) (resolvers.OrderFollower, error) {
		f, err := follow(ctx, id, after)
		if err != nil {
			return nil, err
		}
		stall := false
		once.Do(func() { stall = true }) // only the first subscription is slow
		if !stall {
			return f, nil
		}
		return &stallingFollower{OrderFollower: f, stalled: stalled, release: release}, nil
	}

	c := h.dialWS("graphql-transport-ws", map[string]any{"Authorization": "Bearer " + customer.token})
	c.subscribe("1", orderID, nil)
	if e := c.event("1", "next"); e.Sequence != 2 || e.Status != "PAID" {
		t.Fatalf("first message: %+v", e)
	}
	<-stalled
	// SHIPPED fills the tracker's buffer of one; DELIVERED finds no room.
	admin.ship(t, orderID)
	admin.deliver(t, orderID)
	eventually(t, 30*time.Second, "the hub drops the slow tracker", func() bool { return h.app.Hub.Dropped() == 1 })
	unstall()

	// The client may still get SHIPPED, waiting in the buffer at the drop; then comes
	// the error, and no complete.
	last := 2
	m := c.next()
	if m.Type == "next" {
		var p struct {
			Data struct{ OrderStatusChanged statusEvent }
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil || p.Data.OrderStatusChanged.Sequence != 3 {
			t.Fatalf("after the drop: %s %s", m.Type, m.Payload)
		}
		last = 3
		m = c.next()
	}
	var errs []gqlError
	if m.Type != "error" || m.ID != "1" || json.Unmarshal(m.Payload, &errs) != nil || len(errs) != 1 {
		t.Fatalf("a dropped tracker got %s %s %s, want one error", m.Type, m.ID, m.Payload)
	}
	if code, reason := errs[0].Extensions["code"], errs[0].Extensions["reason"]; code != "RATE_LIMITED" ||
		!strings.Contains(fmt.Sprint(reason), "too slowly") || !strings.Contains(errs[0].Message, "afterSequence") {
		t.Errorf("the drop's error: %+v, want RATE_LIMITED saying why and how to resume", errs[0])
	}

	// Resuming after the last event seen delivers the rest, then completes.
	c.subscribe("2", orderID, &last)
	for want := last + 1; want <= 4; want++ {
		if e := c.event("2", "next"); e.Sequence != want {
			t.Fatalf("resume after %d: %+v, want sequence %d", last, e, want)
		}
	}
	if m := c.next(); m.Type != "complete" || m.ID != "2" {
		t.Fatalf("resume did not complete: %+v", m)
	}
}

// stallingFollower stops taking events after the first until release is closed, closing
// stalled when it stops: whether it is read on the subscription's goroutine (All) or
// polled by the connection's writer (Next).
type stallingFollower struct {
	resolvers.OrderFollower
	stalled, release chan struct{}
	taken            int
}

func (f *stallingFollower) stall() {
	close(f.stalled)
	<-f.release
}

func (f *stallingFollower) Next() (domain.StatusEvent, bool) {
	if f.taken == 1 {
		f.taken = 2
		f.stall()
	}
	ev, ok := f.OrderFollower.Next()
	if ok && f.taken == 0 {
		f.taken = 1
	}
	return ev, ok
}

func (f *stallingFollower) All() iter.Seq[domain.StatusEvent] {
	return func(yield func(domain.StatusEvent) bool) {
		for ev := range f.OrderFollower.All() {
			if !yield(ev) {
				return
			}
			if f.taken == 0 {
				f.taken = 2
				f.stall()
			}
		}
	}
}

// TestSubscriptionAcrossProcesses: a transition made through one process reaches a
// watcher connected to another; they share only Postgres, Redis and NATS.
func TestSubscriptionAcrossProcesses(t *testing.T) {
	url, subjects, stream := testkit.NATS(t)
	a := newHarnessOn(t, url, withStream(subjects, stream))
	b := a.sibling(url, withStream(subjects, stream))
	admin, _ := a.signedIn(domain.RoleAdmin)
	customer, _ := a.signedIn(domain.RoleCustomer)
	orderID := placeOrder(t, customer, "x-1")

	c := b.dialWS("graphql-transport-ws", map[string]any{"Authorization": "Bearer " + customer.token})
	c.subscribe("1", orderID, nil)
	if e := c.event("1", "next"); e.Status != "PAID" {
		t.Fatalf("first: %+v", e)
	}
	admin.ship(t, orderID)
	if e := c.event("1", "next"); e.Status != "SHIPPED" {
		t.Fatalf("from the other process: %+v", e)
	}
}

// TestSubscriptionSurvivesNATSRestart: with NATS down, a transition commits; when NATS is
// back, the watcher gets it, with no gap and no repeat.
func TestSubscriptionSurvivesNATSRestart(t *testing.T) {
	srv := testkit.StartNATS(t)
	h := newHarnessOn(t, srv.URL())
	admin, _ := h.signedIn(domain.RoleAdmin)
	customer, _ := h.signedIn(domain.RoleCustomer)
	orderID := placeOrder(t, customer, "n-1")
	c := h.dialWS("graphql-transport-ws", map[string]any{"Authorization": "Bearer " + customer.token})
	c.subscribe("1", orderID, nil)
	if e := c.event("1", "next"); e.Status != "PAID" {
		t.Fatalf("first: %+v", e)
	}
	srv.Stop()
	admin.ship(t, orderID)
	srv.Start()
	if e := c.event("1", "next"); e.Sequence != 3 || e.Status != "SHIPPED" {
		t.Fatalf("after the restart: %+v", e)
	}
	admin.deliver(t, orderID)
	if e := c.event("1", "next"); e.Sequence != 4 || e.Status != "DELIVERED" {
		t.Fatalf("live after the restart: %+v", e)
	}
}

// TestSubscriptionRefusals: the wrong caller, bad arguments and bad frames get clean
// errors or closes, and the server goes on serving.
func TestSubscriptionRefusals(t *testing.T) {
	url, subjects, stream := testkit.NATS(t)
	h := newHarnessOn(t, url, withStream(subjects, stream))
	customer, _ := h.signedIn(domain.RoleCustomer)
	other, _ := h.signedIn(domain.RoleCustomer)
	orderID := placeOrder(t, customer, "r-1")
	// A refused subscription ends either with an "error" message, or with a "next"
	// carrying errors and no data followed by "complete"; both are in the protocol.
	errorCode := func(c *wsClient, id string) string {
		t.Helper()
		m := c.next()
		var errs []gqlError
		switch {
		case m.Type == "error" && m.ID == id:
			if err := json.Unmarshal(m.Payload, &errs); err != nil {
				t.Fatalf("error payload %s", m.Payload)
			}
		case m.Type == "next" && m.ID == id:
			var p struct {
				Data   json.RawMessage
				Errors []gqlError
			}
			if err := json.Unmarshal(m.Payload, &p); err != nil || string(p.Data) != "null" {
				t.Fatalf("next payload %s", m.Payload)
			}
			errs = p.Errors
			if done := c.next(); done.Type != "complete" || done.ID != id {
				t.Fatalf("expected complete after the error, got %+v", done)
			}
		default:
			t.Fatalf("expected an error for %s, got %s %s %s", id, m.Type, m.ID, m.Payload)
		}
		if len(errs) == 0 {
			t.Fatalf("no errors for %s", id)
		}
		code, _ := errs[0].Extensions["code"].(string)
		return code
	}
	c := h.dialWS("graphql-transport-ws", map[string]any{"Authorization": "Bearer " + other.token})
	c.subscribe("1", orderID, nil)
	if code := errorCode(c, "1"); code != "NOT_FOUND" {
		t.Errorf("another customer's order: %s", code)
	}
	c.subscribe("2", gid("Order", 99999999), nil)
	if code := errorCode(c, "2"); code != "NOT_FOUND" {
		t.Errorf("an unknown order: %s", code)
	}
	c.subscribe("3", "garbage", nil)
	if code := errorCode(c, "3"); code != "BAD_USER_INPUT" {
		t.Errorf("a garbage id: %s", code)
	}
	neg, past := -1, 99
	owner := h.dialWS("graphql-transport-ws", map[string]any{"Authorization": "Bearer " + customer.token})
	owner.subscribe("4", orderID, &neg)
	if code := errorCode(owner, "4"); code != "BAD_USER_INPUT" {
		t.Errorf("a negative afterSequence: %s", code)
	}
	owner.subscribe("5", orderID, &past)
	if code := errorCode(owner, "5"); code != "BAD_USER_INPUT" {
		t.Errorf("an afterSequence past the end: %s", code)
	}
	guest := h.dialWS("graphql-transport-ws", map[string]any{})
	guest.subscribe("6", orderID, nil)
	if code := errorCode(guest, "6"); code != "UNAUTHENTICATED" {
		t.Errorf("a guest: %s", code)
	}

	// A bad token in connection_init closes the connection with 4403.
	bad := h.dialWS("graphql-transport-ws", nil)
	bad.send(wsMessage{Type: "connection_init", Payload: mustJSON(map[string]any{"Authorization": "Bearer nope"})})
	if st := bad.closeStatus(); st != 4403 {
		t.Errorf("bad token closed with %d, want 4403", st)
	}
	// Garbage frames close the connection with a protocol error.
	junk := h.dialWS("graphql-transport-ws", nil)
	if err := junk.conn.Write(context.Background(), websocket.MessageText, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if st := junk.closeStatus(); st < 4000 && st != websocket.StatusProtocolError {
		t.Errorf("garbage closed with %d", st)
	}
	// A flood of subscriptions on one connection is capped.
	flood := h.dialWS("graphql-transport-ws", map[string]any{"Authorization": "Bearer " + customer.token})
	limited := false
	for i := 0; i < 25; i++ {
		flood.subscribe(string(rune('a'+i)), orderID, nil)
	}
	for i := 0; i < 50 && !limited; i++ {
		m := flood.next()
		limited = strings.Contains(string(m.Payload), "RATE_LIMITED")
	}
	if !limited {
		t.Error("25 subscriptions on one connection were all accepted")
	}
	// The server still serves everyone else.
	owner.subscribe("7", orderID, nil)
	if e := owner.event("7", "next"); e.Status != "PAID" {
		t.Errorf("after the abuse: %+v", e)
	}
}

// TestSubscriptionInitTimeout: a connection that never sends connection_init is closed.
func TestSubscriptionInitTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *app.Config) { c.WebsocketInitTimeout = 300 * time.Millisecond })
	c := h.dialWS("graphql-transport-ws", nil)
	if st := c.closeStatus(); st == -1 || st == websocket.StatusNormalClosure {
		t.Errorf("a connection without init closed with %d", st)
	}
}

// TestSubscriptionLegacyProtocolAndSSE: the subscriptions-transport-ws protocol and
// Server-Sent Events deliver the same stream.
func TestSubscriptionLegacyProtocolAndSSE(t *testing.T) {
	url, subjects, stream := testkit.NATS(t)
	h := newHarnessOn(t, url, withStream(subjects, stream))
	admin, _ := h.signedIn(domain.RoleAdmin)
	customer, _ := h.signedIn(domain.RoleCustomer)
	orderID := placeOrder(t, customer, "l-1")

	legacy := h.dialWS("graphql-ws", map[string]any{"Authorization": "Bearer " + customer.token})
	legacy.send(wsMessage{ID: "1", Type: "start", Payload: mustJSON(map[string]any{"query": statusSubscription, "variables": map[string]any{"id": orderID}})})
	if e := legacy.event("1", "data"); e.Status != "PAID" {
		t.Fatalf("legacy first: %+v", e)
	}

	body := mustJSON(map[string]any{"query": statusSubscription, "variables": map[string]any{"id": orderID}})
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+customer.token)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	sseEvent := func() string {
		t.Helper()
		for lines.Scan() {
			if l := lines.Text(); strings.HasPrefix(l, "data:") {
				return l
			}
		}
		t.Fatalf("the SSE stream ended: %v", lines.Err())
		return ""
	}
	if d := sseEvent(); !strings.Contains(d, `"PAID"`) {
		t.Fatalf("SSE first: %s", d)
	}
	admin.ship(t, orderID)
	if d := sseEvent(); !strings.Contains(d, `"SHIPPED"`) {
		t.Errorf("SSE live: %s", d)
	}
	if e := legacy.event("1", "data"); e.Status != "SHIPPED" {
		t.Errorf("legacy live: %+v", e)
	}
}
