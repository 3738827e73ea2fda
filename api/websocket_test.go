package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/shopgraph/shopgraph/app"
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
