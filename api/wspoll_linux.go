package api

import (
	"errors"
	"net"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// wsPoller waits for the idle WebSocket connections of the process to become readable,
// all of them on one goroutine blocked in epoll_wait, so that an idle connection keeps no
// goroutine, and no stack, of its own. A watched connection is registered one-shot: when
// data (or the peer's close) arrives the poller starts the connection's handler on a
// goroutine and forgets the connection until the handler, having read all there was,
// watches it again. The Go runtime's own poller still does the reads and writes.
type wsPoller struct {
	epfd int

	mu      sync.Mutex
	watched map[int32]wsWatch // by file descriptor
	gen     int32
}

// wsWatch is a watched connection: its handler, and the generation its registration
// carries, so that an event read before a connection was let go is not taken for one of
// a later connection given the same descriptor.
type wsWatch struct {
	gen   int32
	ready func()
}

// pollerOnce makes the process's poller on first use; nil when the system will not give
// one (the connections then keep a reader goroutine each).
var pollerOnce = sync.OnceValue(func() *wsPoller {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	p := &wsPoller{epfd: epfd, watched: make(map[int32]wsWatch)}
	go p.run()
	return p
})

// errNotPollable is a connection that is not a plain socket (TLS, a test's pipe): it
// keeps its reader goroutine.
var errNotPollable = errors.New("not a pollable connection")

// watch has ready run on a goroutine of its own once conn has data to read, or its peer
// has closed, once; rewatch arms it again. A connection is let go with forget, before it
// is closed.
func (p *wsPoller) watch(conn net.Conn, ready func()) (*wsPollHandle, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil, errNotPollable
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	h := &wsPollHandle{p: p, raw: raw}
	var opErr error
	err = raw.Control(func(fd uintptr) {
		h.fd = int32(fd)
		p.mu.Lock()
		defer p.mu.Unlock()
		p.gen++
		h.gen = p.gen
		p.watched[h.fd] = wsWatch{gen: h.gen, ready: ready}
		if opErr = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, int(fd), h.event()); opErr != nil {
			delete(p.watched, h.fd)
		}
	})
	if err == nil {
		err = opErr
	}
	if err != nil {
		return nil, err
	}
	return h, nil
}

// wsPollHandle is one watched connection.
type wsPollHandle struct {
	p   *wsPoller
	raw syscall.RawConn
	fd  int32
	gen int32
}

// The events a connection is watched for: data, or the peer's close (which the handler
// then reads as the end of the stream).
const wsPollEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

func (h *wsPollHandle) event() *unix.EpollEvent {
	return &unix.EpollEvent{Events: wsPollEvents, Fd: h.fd, Pad: h.gen}
}

// rewatch arms the connection again after its handler ran. If data came meanwhile, the
// poller sees it at once.
func (h *wsPollHandle) rewatch() error {
	var opErr error
	err := h.raw.Control(func(fd uintptr) {
		opErr = unix.EpollCtl(h.p.epfd, unix.EPOLL_CTL_MOD, int(fd), h.event())
	})
	if err != nil {
		return err
	}
	return opErr
}

// forget stops watching the connection. The handler it may have started is not stopped.
func (h *wsPollHandle) forget() {
	h.p.mu.Lock()
	if w, ok := h.p.watched[h.fd]; ok && w.gen == h.gen {
		delete(h.p.watched, h.fd)
	}
	h.p.mu.Unlock()
	// A connection already closed has left the epoll set with its descriptor.
	_ = h.raw.Control(func(fd uintptr) {
		_ = unix.EpollCtl(h.p.epfd, unix.EPOLL_CTL_DEL, int(fd), nil)
	})
}

// watching is how many connections the poller watches.
func (p *wsPoller) watching() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.watched)
}

// run waits for events and starts the handlers of the connections they are for.
func (p *wsPoller) run() {
	events := make([]unix.EpollEvent, 256)
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			panic("shopgraph: epoll_wait: " + err.Error())
		}
		p.mu.Lock()
		for _, ev := range events[:n] {
			w, ok := p.watched[ev.Fd]
			if ok && w.gen == ev.Pad {
				go w.ready()
			}
		}
		p.mu.Unlock()
	}
}
