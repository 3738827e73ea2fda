package api_test

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/shopgraph/shopgraph/api"
	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/testkit"
)

// TestWebsocketRefusedHandshake: a WebSocket handshake the library refuses (another
// site's page) is answered with a complete HTTP response, though net/http has handed the
// connection over.
func TestWebsocketRefusedHandshake(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/graphql"
	conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"},
		HTTPHeader:   http.Header{"Origin": {"https://elsewhere.example"}},
	})
	if err == nil {
		conn.CloseNow()
		t.Fatal("a cross-origin WebSocket was accepted")
	}
	if resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin handshake: response %v, err %v; want 403", resp, err)
	}
	// The server is still serving WebSockets.
	c := h.dialWS("graphql-transport-ws", map[string]any{})
	expectPong(t, c)
}

// expectPong pings the server and waits for its pong.
func expectPong(t *testing.T, c *wsClient) {
	t.Helper()
	c.send(wsMessage{Type: "ping"})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, data, err := c.conn.Read(ctx)
	if err != nil {
		t.Fatalf("waiting for pong: %v", err)
	}
	if !strings.Contains(string(data), `"pong"`) {
		t.Fatalf("got %s, want a pong", data)
	}
}

// TestWebsocketDrain: an open WebSocket outlives the handler that took it over, and is
// closed cleanly when shopgraph starts shutting down.
func TestWebsocketDrain(t *testing.T) {
	t.Parallel()
	drain, startDraining := context.WithCancel(context.Background())
	defer startDraining()
	h := newHarness(t, func(c *app.Config) { c.Drain = drain })
	c := h.dialWS("graphql-transport-ws", map[string]any{})
	expectPong(t, c)
	startDraining()
	if st := c.closeStatus(); st != websocket.StatusNormalClosure {
		t.Errorf("after the drain began, the connection closed with %d, want %d", st, websocket.StatusNormalClosure)
	}
}

// TestWebsocketIdleConnectionsKeepNoGoroutine: an idle connection, with a live
// subscription or none, is waited on by the process's poller and keeps no goroutine of
// its own; it still answers when the client sends again, gets its events, and leaves the
// poller when it closes, from either end. Not parallel: it counts the process's
// goroutines and watched connections.
func TestWebsocketIdleConnectionsKeepNoGoroutine(t *testing.T) {
	if !api.Polling() {
		t.Skip("no poller on this system")
	}
	url, subjects, stream := testkit.NATS(t)
	h := newHarnessOn(t, url, withStream(subjects, stream))
	admin, _ := h.signedIn(domain.RoleAdmin)
	customer, _ := h.signedIn(domain.RoleCustomer)
	orderID := placeOrder(t, customer, "idle-1")
	watchedBefore := api.WatchedConnections()

	const n = 8
	clients := make([]*wsClient, n)
	for i := range clients {
		clients[i] = h.dialWS("graphql-transport-ws", map[string]any{"Authorization": "Bearer " + customer.token})
		expectPong(t, clients[i])
		if i%2 == 0 {
			clients[i].subscribe("1", orderID, nil)
			if e := clients[i].event("1", "next"); e.Status != "PAID" {
				t.Fatalf("connection %d: first event %+v", i, e)
			}
		}
	}
	eventually(t, 15*time.Second, "the connections to be idle on the poller", func() bool {
		return connectionGoroutines() == 0 && api.WatchedConnections() == watchedBefore+n
	})

	// Idle connections still hear their clients and their orders.
	for _, c := range clients {
		expectPong(t, c)
	}
	admin.ship(t, orderID)
	for i := 0; i < n; i += 2 {
		if e := clients[i].event("1", "next"); e.Status != "SHIPPED" {
			t.Fatalf("connection %d: %+v after the shipment", i, e)
		}
	}

	// Closed by the client, cleanly or not, and by the server (an unknown message).
	for i, c := range clients {
		switch i % 3 {
		case 0:
			c.conn.Close(websocket.StatusNormalClosure, "")
		case 1:
			c.conn.CloseNow()
		default:
			c.send(wsMessage{Type: "connection_init"})
			if st := c.closeStatus(); st != websocket.StatusProtocolError {
				t.Errorf("connection %d: a second connection_init closed it with %d, want %d", i, st, websocket.StatusProtocolError)
			}
		}
	}
	eventually(t, 15*time.Second, "the closed connections to leave the poller", func() bool {
		return connectionGoroutines() == 0 && api.WatchedConnections() == watchedBefore
	})
}

// connectionGoroutines counts the goroutines running a WebSocket connection's code.
func connectionGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "api.(*wsConn)") {
			count++
		}
	}
	return count
}
