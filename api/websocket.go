package api

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// The buffers of a WebSocket connection. Subscription traffic is small messages (a
// subscribe, pings, status events of a few hundred bytes); a larger message is read or
// written through them in several pieces.
const (
	wsReadBuffer  = 1 << 10
	wsWriteBuffer = 1 << 10
)

// detachedWebsocket is gqlgen's WebSocket transport, served from a goroutine of its own
// once the connection is taken over, so that net/http's connection goroutine returns and
// its 4 KiB read and write buffers, its request and response state and its deep stack go
// with it: what stays for a live connection is the WebSocket library's state, on buffers
// of wsReadBuffer and wsWriteBuffer. The connection keeps the request's context values
// (identity, request id, client address) but not its cancellation, which ends when the
// handler returns: it ends when drain does, or when the connection closes.
type detachedWebsocket struct {
	transport.Websocket
	drain context.Context // nil: never
}

func (t detachedWebsocket) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if r.ProtoMajor != 1 || !r.ProtoAtLeast(1, 1) || !headerHasToken(r.Header, "Connection", "upgrade") || !headerHasToken(r.Header, "Upgrade", "websocket") {
		t.Websocket.Do(w, r, exec) // refused as gqlgen and the WebSocket library refuse it
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Websocket.Do(w, r, exec)
		return
	}
	// What the server read ahead of the handshake comes first.
	var rd io.Reader = conn
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		rd = io.MultiReader(bytes.NewReader(bytes.Clone(b)), conn)
	}
	hw := &hijackedWriter{conn: conn, rd: rd, header: w.Header().Clone()}
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	stop := func() bool { return false }
	if t.drain != nil {
		stop = context.AfterFunc(t.drain, cancel)
	}
	r = r.WithContext(ctx)
	go func() {
		defer cancel()
		defer stop()
		defer hw.finish()
		t.Websocket.Do(hw, r, exec)
	}()
}

// headerHasToken reports whether the comma-separated header holds token, ignoring case.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// hijackedWriter is the http.ResponseWriter of a connection net/http has handed over: the
// WebSocket library writes its handshake headers and takes the connection with Hijack, on
// small buffers; a refusal before that is answered by finish.
type hijackedWriter struct {
	conn     net.Conn
	rd       io.Reader
	header   http.Header
	code     int
	body     bytes.Buffer
	hijacked bool
}

func (w *hijackedWriter) Header() http.Header { return w.header }

func (w *hijackedWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *hijackedWriter) Write(b []byte) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// Hijack writes the response head (101 Switching Protocols, from the WebSocket library)
// and returns the connection.
func (w *hijackedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	w.hijacked = true
	code := w.code
	if code == 0 {
		code = http.StatusSwitchingProtocols
	}
	bw := bufio.NewWriterSize(w.conn, wsWriteBuffer)
	fmt.Fprintf(bw, "HTTP/1.1 %03d %s\r\n", code, http.StatusText(code))
	_ = w.header.Write(bw)
	_, _ = bw.WriteString("\r\n")
	if err := bw.Flush(); err != nil {
		return nil, nil, err
	}
	return w.conn, bufio.NewReadWriter(bufio.NewReaderSize(w.rd, wsReadBuffer), bw), nil
}

// finish answers and closes a connection the WebSocket library refused without taking it.
func (w *hijackedWriter) finish() {
	if w.hijacked {
		return // the WebSocket library closes it
	}
	code := w.code
	if code == 0 {
		code = http.StatusBadRequest
	}
	resp := &http.Response{
		StatusCode: code, ProtoMajor: 1, ProtoMinor: 1, Header: w.header, Close: true,
		ContentLength: int64(w.body.Len()), Body: io.NopCloser(&w.body),
	}
	_ = resp.Write(w.conn)
	_ = w.conn.Close()
}
