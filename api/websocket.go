package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shopgraph/shopgraph/resolvers"
)

// The buffers of a WebSocket connection, held for its whole life. Subscription traffic is
// small messages (a subscribe, pings, status events of a few hundred bytes); a larger
// message is read or written through them in several pieces. A client's messages are
// rare, and a frame's payload larger than the read buffer is read past it, straight into
// the message.
const (
	wsReadBuffer  = 256
	wsWriteBuffer = 512
)

// The WebSocket close codes the transport sends.
const (
	wsCloseNormal   = 1000
	wsCloseProtocol = 1002
)

// wsTransport serves GraphQL over WebSocket, in both subprotocols gqlgen speaks
// (graphql-transport-ws, and the legacy subscriptions-transport-ws "graphql-ws", also
// chosen when the client names none), with the same messages, errors and close codes as
// gqlgen's transport.Websocket, but with no goroutine for an idle connection where gqlgen
// has one per connection, one more per connection to close it, and one per subscription
// to wait for its events:
//
//   - An idle connection is waited on by the process's poller (wsPoller: epoll on Linux),
//     which starts a goroutine to handle the client's messages when they come; where
//     there is no poller (another system, a connection that is not a plain socket), the
//     connection keeps a reader goroutine, parked on a shallow stack.
//   - An operation is set up (parsed, validated, its resolver run) by one of at most
//     wsSetupWorkers goroutines of the process; a subscription has none once its stream
//     is running.
//   - Subscription events are written by the connection's writer, a goroutine that runs
//     only while something is waiting to be written: a subscription's source (the order
//     follower) wakes the connection, and the writer pulls the events and writes them
//     (resolvers.StreamDriver).
//   - net/http's connection goroutine and its 4 KiB buffers are let go at the handshake
//     (Do), and the WebSocket library works on buffers of wsReadBuffer and wsWriteBuffer.
//
// The connection keeps the request's context values (identity, request id, client
// address) but not its cancellation, which ends when the handler returns: it ends when
// drain does, or when the connection closes.
type wsTransport struct {
	// init establishes the connection's context from its connection_init payload; an
	// error refuses the connection, closing it with refuseCode.
	init       func(ctx context.Context, p transport.InitPayload) (context.Context, error)
	refuseCode int
	// initTimeout is how long a connection may wait before connection_init (zero: no
	// limit); keepAlive the interval of the legacy protocol's keep-alive messages (zero:
	// none); readLimit caps one incoming message.
	initTimeout time.Duration
	keepAlive   time.Duration
	readLimit   int64
	setups      *wsSetups       // nil: each operation is set up on a goroutine of its own at once
	drain       context.Context // nil: never
}

var _ graphql.Transport = wsTransport{}

// Supports takes every request asking for a protocol upgrade, as gqlgen's transport does.
func (wsTransport) Supports(r *http.Request) bool { return r.Header.Get("Upgrade") != "" }

// Do takes the connection over from net/http and serves it from a goroutine of its own.
func (t wsTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if r.ProtoMajor != 1 || !r.ProtoAtLeast(1, 1) || !headerHasToken(r.Header, "Connection", "upgrade") || !headerHasToken(r.Header, "Upgrade", "websocket") {
		t.accept(w, r, exec) // refused as the WebSocket library refuses it
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.accept(w, r, exec)
		return
	}
	// What the server read ahead of the handshake comes first.
	wc := &waitConn{Conn: conn}
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		wc.ahead = bytes.Clone(b)
	}
	hw := &hijackedWriter{conn: wc, header: w.Header().Clone()}
	r = r.WithContext(context.WithoutCancel(r.Context()))
	go func() {
		defer hw.finish()
		t.accept(hw, r, exec)
	}()
}

// accept completes the handshake and initialises the connection, then starts its reader.
func (t wsTransport) accept(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{wsLegacy.name, wsGraphQLTransport.name}})
	if err != nil {
		log.Printf("unable to upgrade %T to websocket %s: ", w, err.Error())
		transport.SendErrorf(w, http.StatusBadRequest, "unable to upgrade")
		return
	}
	proto := &wsLegacy // a client naming no subprotocol gets the legacy one, as with gqlgen
	if ws.Subprotocol() == wsGraphQLTransport.name {
		proto = &wsGraphQLTransport
	}
	if t.readLimit > 0 {
		ws.SetReadLimit(t.readLimit)
	}
	// The request's headers are not kept for the operations (graphql.RawParams.Headers):
	// nothing in shopgraph reads them there, and a connection would hold them for its life.
	c := &wsConn{t: &t, ws: ws, proto: proto, ctx: r.Context(), exec: exec}
	if hw, ok := w.(*hijackedWriter); ok && hw.br != nil {
		c.wc, c.br = hw.conn, hw.br
	}
	if !c.initialise() {
		c.close(0, "") // already closed: only the clean-up
		return
	}
	if c.wc == nil || pollerOnce() == nil {
		go c.read()
		return
	}
	c.serve()
}

// wsConn is one WebSocket connection.
type wsConn struct {
	t     *wsTransport
	ws    *websocket.Conn
	proto *wsProtocol
	ctx   context.Context // the connection's, from init on; never cancelled: close ends the operations
	exec  graphql.GraphExecutor
	wc    *waitConn     // nil: the reader waits in the WebSocket library
	br    *bufio.Reader // the WebSocket library's read buffer
	poll  *wsPollHandle // set once the process's poller watches the connection (c.mu)

	mu        sync.Mutex
	active    map[string]*wsSub
	ready     []*wsSub // subscriptions whose source has something, for the writer
	writing   bool     // the writer is running
	closed    bool
	keepAlive *time.Timer
	unDrain   func() bool
}

// wsKind is a message's meaning, whichever protocol names it; String gives the names
// gqlgen's errors use.
type wsKind int

const (
	wsInit wsKind = iota
	wsAck
	wsKeepAliveMsg
	wsConnectionError
	wsTerminate
	wsStart
	wsStop
	wsData
	wsComplete
	wsError
	wsPing
	wsPong
)

func (k wsKind) String() string {
	return [...]string{"init", "connection ack", "keep alive", "connection error", "connection close", "start",
		"stop subscription", "data", "complete", "error", "ping", "pong"}[k]
}

// wsProtocol is a subprotocol's names for the messages.
type wsProtocol struct {
	name    string
	in      map[string]wsKind // the message types a client may send
	invalid map[string]bool   // the types a client may not send, but which are not malformed
	out     map[wsKind]string // the types the server sends; a kind not named is not sent
}

var (
	wsGraphQLTransport = wsProtocol{
		name: "graphql-transport-ws",
		in: map[string]wsKind{
			"connection_init": wsInit, "subscribe": wsStart, "complete": wsStop, "ping": wsPing, "pong": wsPong,
		},
		invalid: map[string]bool{"connection_ack": true, "next": true, "error": true, "": true},
		out: map[wsKind]string{
			wsAck: "connection_ack", wsData: "next", wsComplete: "complete", wsError: "error", wsPing: "ping", wsPong: "pong",
		},
	}
	wsLegacy = wsProtocol{
		name: "graphql-ws",
		in: map[string]wsKind{
			"connection_init": wsInit, "connection_terminate": wsTerminate, "start": wsStart, "stop": wsStop,
			"connection_ack": wsAck, "connection_error": wsConnectionError, "data": wsData, "error": wsError,
			"complete": wsComplete, "ka": wsKeepAliveMsg,
		},
		invalid: map[string]bool{"": true},
		out: map[wsKind]string{
			wsInit: "connection_init", wsAck: "connection_ack", wsKeepAliveMsg: "ka", wsConnectionError: "connection_error",
			wsTerminate: "connection_terminate", wsStart: "start", wsStop: "stop", wsData: "data",
			wsComplete: "complete", wsError: "error",
		},
	}
)

// wsMessage is a message on the wire, in either protocol.
type wsMessage struct {
	Payload json.RawMessage `json:"payload,omitempty"`
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
}

// errInvalidMessage is a message that is not JSON, or of a type the protocol does not know.
var errInvalidMessage = errors.New("invalid message received")

// next reads the next message.
func (c *wsConn) next() (kind wsKind, m wsMessage, err error) {
	_, data, err := c.ws.Read(context.Background())
	if err != nil {
		return 0, m, err
	}
	if err := jsonDecode(data, &m); err != nil {
		return 0, m, errInvalidMessage
	}
	kind, ok := c.proto.in[m.Type]
	if !ok {
		if c.proto.invalid[m.Type] {
			return 0, m, fmt.Errorf("invalid client->server message type %s", m.Type)
		}
		return 0, m, errInvalidMessage
	}
	return kind, m, nil
}

// jsonDecode decodes the first JSON value of data, numbers as json.Number, as gqlgen does.
func jsonDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// send writes a message, unless the protocol has no such message. Write errors end the
// connection, which the reader sees.
func (c *wsConn) send(kind wsKind, id string, payload json.RawMessage) {
	typ, ok := c.proto.out[kind]
	if !ok {
		return
	}
	b, err := json.Marshal(wsMessage{Payload: payload, ID: id, Type: typ})
	if err != nil {
		panic(err)
	}
	_ = c.ws.Write(context.Background(), websocket.MessageText, b)
}

func (c *wsConn) sendResponse(id string, resp *graphql.Response) {
	b, err := json.Marshal(resp)
	if err != nil {
		panic(err)
	}
	c.send(wsData, id, b)
}

func (c *wsConn) sendError(id string, errs ...*gqlerror.Error) {
	list := make([]error, len(errs))
	for i, err := range errs {
		list[i] = err
	}
	b, err := json.Marshal(list)
	if err != nil {
		panic(err)
	}
	c.send(wsError, id, b)
}

func (c *wsConn) sendConnectionError(format string, args ...any) {
	b, err := json.Marshal(&gqlerror.Error{Message: fmt.Sprintf(format, args...)})
	if err != nil {
		panic(err)
	}
	c.send(wsConnectionError, "", b)
}

// initialise waits for connection_init, establishes the connection's context and
// acknowledges; it closes the connection and returns false when the client fails to.
func (c *wsConn) initialise() bool {
	var timer *time.Timer
	if c.t.initTimeout > 0 {
		timer = time.AfterFunc(c.t.initTimeout, func() {
			c.close(wsCloseProtocol, "connection initialisation timeout")
		})
	}
	kind, m, err := c.next()
	if timer != nil && !timer.Stop() {
		return false // closed for the timeout
	}
	if err != nil {
		if errors.Is(err, errInvalidMessage) {
			c.sendConnectionError("invalid json")
		}
		c.close(wsCloseProtocol, "decoding error")
		return false
	}
	switch kind {
	case wsInit:
		var payload transport.InitPayload
		if len(m.Payload) > 0 {
			payload = make(transport.InitPayload)
			if err := json.Unmarshal(m.Payload, &payload); err != nil {
				_ = c.ws.CloseNow()
				return false
			}
		}
		if c.t.init != nil {
			ctx, err := c.t.init(c.ctx, payload)
			if err != nil {
				c.sendConnectionError("%s", err.Error())
				c.close(c.t.refuseCode, "terminated")
				return false
			}
			c.ctx = ctx
		}
		c.send(wsAck, "", nil)
		c.send(wsKeepAliveMsg, "", nil)
	case wsTerminate:
		c.close(wsCloseNormal, "terminated")
		return false
	default:
		c.sendConnectionError("unexpected message %s", kind)
		c.close(wsCloseProtocol, "unexpected message")
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.active = make(map[string]*wsSub)
	if _, ok := c.proto.out[wsKeepAliveMsg]; ok && c.t.keepAlive > 0 {
		c.keepAlive = time.AfterFunc(c.t.keepAlive, c.sendKeepAlive)
	}
	// Shutting down closes it cleanly.
	if c.t.drain != nil {
		c.unDrain = context.AfterFunc(c.t.drain, func() { c.close(wsCloseNormal, "terminated") })
	}
	return true
}

// sendKeepAlive sends the legacy protocol's keep-alive message, and schedules the next.
func (c *wsConn) sendKeepAlive() {
	c.send(wsKeepAliveMsg, "", nil)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.keepAlive.Reset(c.t.keepAlive)
	}
}

// serve handles the client's messages while it has sent some, then has the process's
// poller wait for the next: an idle connection keeps no goroutine. The poller runs serve
// again, on a goroutine of its own, when the client sends more or goes away. A connection
// the poller cannot watch gets a reader goroutine (read) instead.
func (c *wsConn) serve() { c.handleWhileReadable(false) }

// readable is what the poller runs: the socket has data, or the client went away.
func (c *wsConn) readable() { c.handleWhileReadable(true) }

func (c *wsConn) handleWhileReadable(socket bool) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		if !socket && c.br.Buffered() == 0 && !c.wc.pending() {
			err := c.watch()
			fallback := err != nil && c.poll == nil
			c.mu.Unlock()
			switch {
			case fallback:
				go c.read()
			case err != nil:
				c.close(wsCloseNormal, "terminated")
			}
			return
		}
		c.mu.Unlock()
		socket = false
		if !c.handle() {
			c.close(wsCloseNormal, "terminated")
			return
		}
	}
}

// watch has the poller wait for the client's next message (c.mu held, so that close,
// which has the poller forget the connection, does not come between).
func (c *wsConn) watch() error {
	if c.poll != nil {
		return c.poll.rewatch()
	}
	h, err := pollerOnce().watch(c.wc.Conn, c.readable)
	if err != nil {
		return err
	}
	c.poll = h
	return nil
}

// read is the reader of a connection the poller does not watch, its one lasting
// goroutine. It waits for the client's next message on a shallow stack (in waitConn.wait, a read of the network connection)
// and handles it on a goroutine that ends with it, so that the WebSocket library's and
// the handlers' deeper stacks are not kept while the connection is idle: a parked reader
// holds the runtime's smallest stack.
func (c *wsConn) read() {
	defer c.close(wsCloseNormal, "terminated")
	handled := make(chan bool, 1)
	for {
		// Once closing, the WebSocket library reads the client's answer on a goroutine of
		// its own: the read buffer is looked at only before that, under the lock that
		// close takes first.
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		idle := c.wc != nil && c.br.Buffered() == 0
		c.mu.Unlock()
		if idle {
			if err := c.wc.wait(); err != nil {
				return
			}
		}
		go func() { handled <- c.handle() }()
		if !<-handled {
			return
		}
	}
}

// handle reads and handles the client's next message; false ends the connection.
func (c *wsConn) handle() bool {
	start := graphql.Now()
	kind, m, err := c.next()
	if err != nil {
		return false
	}
	switch kind {
	case wsStart:
		c.subscribe(start, m.ID, m.Payload)
	case wsStop:
		c.mu.Lock()
		s := c.active[m.ID]
		c.mu.Unlock()
		if s != nil {
			s.cancel()
			c.wake(s) // the writer sees it ended, and completes it
		}
	case wsTerminate:
		return false
	case wsPing:
		c.send(wsPong, "", m.Payload)
	case wsPong:
	default:
		c.sendConnectionError("unexpected message %s", kind)
		c.close(wsCloseProtocol, "unexpected message")
		return false
	}
	return true
}

// waitConn is a hijacked connection whose reader can wait for data without taking it:
// wait reads ahead, and Read returns what it read first. A Read that comes while wait is
// blocked (the WebSocket library reading the client's answer to a close) waits for it.
type waitConn struct {
	net.Conn
	mu    sync.Mutex
	ahead []byte // read but not yet returned
	one   [1]byte
}

func (c *waitConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if len(c.ahead) > 0 {
		n := copy(p, c.ahead)
		c.ahead = c.ahead[n:]
		c.mu.Unlock()
		return n, nil
	}
	c.mu.Unlock()
	return c.Conn.Read(p)
}

// pending reports whether data read ahead waits to be returned.
func (c *waitConn) pending() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ahead) > 0
}

// wait blocks until the connection has data to read, or fails.
func (c *waitConn) wait() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.ahead) > 0 {
		return nil
	}
	n, err := c.Conn.Read(c.one[:])
	if n > 0 {
		c.ahead = c.one[:n]
		return nil
	}
	return err
}

// close sends a close frame with code and reason and ends every subscription, once; the
// close handshake runs on a goroutine of its own, as a client that does not answer holds
// it for seconds. Code 0 only cleans up after a connection already closed.
func (c *wsConn) close(code int, reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	subs := make([]*wsSub, 0, len(c.active))
	for _, s := range c.active {
		s.cancel() // what ctx.AfterFunc runs, runs on goroutines of its own
		subs = append(subs, s)
	}
	if c.keepAlive != nil {
		c.keepAlive.Stop()
	}
	unDrain := c.unDrain
	poll := c.poll
	c.mu.Unlock()
	if poll != nil {
		poll.forget() // before the WebSocket library closes the socket
	}
	if code != 0 {
		go func() { _ = c.ws.Close(websocket.StatusCode(code), reason) }()
	}
	for _, s := range subs {
		c.wake(s) // the writer ends them
	}
	if unDrain != nil {
		unDrain()
	}
}

// wsSub is one operation of a connection: a subscription, or a query or mutation.
type wsSub struct {
	c      *wsConn
	id     string
	ctx    context.Context
	cancel context.CancelFunc

	// Set up before the subscription is live; then only the writer touches them.
	rctx      context.Context
	rc        *graphql.OperationContext
	responses graphql.ResponseHandler
	pump      func() bool
	stop      func()
	errs      []*gqlerror.Error

	// Guarded by c.mu.
	live   bool // driven by the writer
	queued bool // in c.ready
	over   bool // ended: no more messages
}

// Drive runs the subscription's stream on the connection's writer (resolvers.StreamDriver).
func (s *wsSub) Drive(pump func() bool, stop func()) (wake func()) {
	s.pump, s.stop = pump, stop
	return func() { s.c.wake(s) }
}

// AddError records an error to end the subscription with (resolvers.StreamDriver).
func (s *wsSub) AddError(err *gqlerror.Error) { s.errs = append(s.errs, err) }

// subscribe registers the operation and sets it up on a goroutine that lasts until its
// stream runs on the writer (or, for a query or a mutation, until it is answered).
func (c *wsConn) subscribe(start time.Time, id string, payload json.RawMessage) {
	ctx, cancel := context.WithCancel(c.ctx)
	s := &wsSub{c: c, id: id, ctx: ctx, cancel: cancel}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		cancel()
		return
	}
	c.active[id] = s
	c.mu.Unlock()
	run := func() { s.run(start, payload) }
	if c.t.setups == nil {
		go run()
		return
	}
	c.t.setups.add(run)
}

// wsSetups sets up the operations of the process's WebSocket connections on at most max
// goroutines at once, in the order they came; those waiting hold only their operation,
// not a goroutine and its stack. When thousands of watchers connect at once (a deploy, a
// network blip), set-ups wait for the database: one goroutine each would hold some
// 16 KiB of stack apiece, 150 MiB more for 10,000 watchers until they drained.
type wsSetups struct {
	max int

	mu      sync.Mutex
	queue   []func()
	head    int // queue[head:] wait
	running int
}

func newWSSetups(max int) *wsSetups { return &wsSetups{max: max} }

// add runs set-up on a worker, at once when fewer than max are running.
func (q *wsSetups) add(setup func()) {
	q.mu.Lock()
	if q.running < q.max {
		q.running++
		q.mu.Unlock()
		go q.work(setup)
		return
	}
	q.queue = append(q.queue, setup)
	q.mu.Unlock()
}

// work runs set-ups until none waits.
func (q *wsSetups) work(setup func()) {
	for {
		setup()
		q.mu.Lock()
		if q.head == len(q.queue) {
			q.queue, q.head = q.queue[:0], 0
			q.running--
			q.mu.Unlock()
			return
		}
		setup = q.queue[q.head]
		q.queue[q.head] = nil
		q.head++
		if q.head >= 1024 && 2*q.head >= len(q.queue) { // a queue that never empties stays small
			n := copy(q.queue, q.queue[q.head:])
			clear(q.queue[n:])
			q.queue, q.head = q.queue[:n], 0
		}
		q.mu.Unlock()
	}
}

// run parses, validates and starts the operation, as gqlgen's transport does.
func (s *wsSub) run(start time.Time, payload json.RawMessage) {
	c := s.c
	if s.ctx.Err() != nil { // stopped, or the connection closed, while it waited its turn
		s.end(false)
		return
	}
	ctx := graphql.StartOperationTrace(s.ctx)
	params := &graphql.RawParams{}
	if err := jsonDecode(payload, params); err != nil {
		c.sendError(s.id, &gqlerror.Error{Message: "invalid json"})
		s.end(false)
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, err := c.exec.CreateOperationContext(ctx, params)
	if err != nil {
		resp := c.exec.DispatchError(graphql.WithOperationContext(ctx, rc), err)
		switch errcode.GetErrorKind(err) {
		case errcode.KindProtocol:
			c.sendError(s.id, resp.Errors...)
		default:
			c.sendResponse(s.id, &graphql.Response{Errors: err})
		}
		s.end(false)
		return
	}
	s.rc = rc
	ctx = graphql.WithOperationContext(ctx, rc)
	ctx = resolvers.WithStreamDriver(ctx, s)
	defer s.recover()
	s.responses, s.rctx = c.exec.DispatchOperation(ctx, rc)
	if s.pump != nil {
		c.mu.Lock()
		s.live = true
		c.mu.Unlock()
		c.wake(s) // the first events may be there already (the replay)
		return
	}
	// Not a stream the writer can drive (a query, a mutation, an error): answered here.
	for {
		resp := s.responses(s.rctx)
		if resp == nil {
			break
		}
		c.sendResponse(s.id, resp)
	}
	s.end(true)
}

// recover turns a panic of the operation into an error message that ends it, as gqlgen
// does.
func (s *wsSub) recover() {
	r := recover()
	if r == nil {
		return
	}
	err := s.rc.Recover(s.rctx, r)
	var gqlerr *gqlerror.Error
	if !errors.As(err, &gqlerr) {
		gqlerr = &gqlerror.Error{}
		if err != nil {
			gqlerr.Message = err.Error()
		}
	}
	s.c.sendError(s.id, gqlerr)
	s.end(true)
}

// end completes the operation, with the errors its stream recorded when withErrors is set
// and there are any, and forgets it; only the first call does anything.
func (s *wsSub) end(withErrors bool) {
	c := s.c
	c.mu.Lock()
	if s.over {
		c.mu.Unlock()
		return
	}
	s.over = true
	c.mu.Unlock()
	if s.stop != nil {
		s.stop()
	}
	if withErrors && len(s.errs) != 0 {
		c.sendError(s.id, s.errs...)
	} else {
		c.send(wsComplete, s.id, nil)
	}
	c.mu.Lock()
	if c.active[s.id] == s {
		delete(c.active, s.id)
	}
	c.mu.Unlock()
	s.cancel()
}

// wake has the writer look at a live subscription, starting the writer if it is not
// running. It never blocks: the hub calls it.
func (c *wsConn) wake(s *wsSub) {
	c.mu.Lock()
	if !s.live || s.queued || s.over {
		c.mu.Unlock()
		return
	}
	s.queued = true
	c.ready = append(c.ready, s)
	start := !c.writing
	c.writing = true
	c.mu.Unlock()
	if start {
		go c.write()
	}
}

// write is the connection's writer: it runs while subscriptions have something to
// write, then ends.
func (c *wsConn) write() {
	for {
		c.mu.Lock()
		if len(c.ready) == 0 {
			c.writing = false
			c.mu.Unlock()
			return
		}
		s := c.ready[0]
		n := copy(c.ready, c.ready[1:])
		c.ready[n] = nil
		c.ready = c.ready[:n]
		s.queued = false
		c.mu.Unlock()
		s.service()
	}
}

// service writes what the subscription's stream has ready, and ends it when the stream or
// its context has.
func (s *wsSub) service() {
	defer s.recover()
	for {
		if s.rctx.Err() != nil {
			s.end(true) // stopped by the client, or the connection closed
			return
		}
		if !s.pump() {
			return // nothing more now: the source wakes the connection again
		}
		resp := s.responses(s.rctx)
		if resp == nil {
			s.end(true)
			return
		}
		s.c.sendResponse(s.id, resp)
	}
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
	conn     *waitConn
	br       *bufio.Reader // once hijacked
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
	w.br = bufio.NewReaderSize(w.conn, wsReadBuffer)
	return w.conn, bufio.NewReadWriter(w.br, bw), nil
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
