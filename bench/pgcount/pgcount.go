// Package pgcount is a PostgreSQL wire-protocol proxy that counts what clients send:
// statements executed (Execute and simple Query messages) and round trips (Sync and
// simple Query messages, each of which waits for the server). Pointing a server's
// DATABASE_URL at it counts that server's statements exactly, with nothing to install in
// PostgreSQL (pg_stat_statements needs a restart with shared_preload_libraries). It adds a
// loopback hop, so it is for counting, never for timing.
package pgcount

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// Counts are what clients sent since the proxy started.
type Counts struct {
	// Statements counts Execute ('E') and simple Query ('Q') messages.
	Statements int64
	// RoundTrips counts Sync ('S') and simple Query ('Q') messages.
	RoundTrips int64
	// Parses counts Parse ('P') messages: statements prepared (pgx caches them per connection).
	Parses int64
}

// Sub returns c minus o.
func (c Counts) Sub(o Counts) Counts {
	return Counts{c.Statements - o.Statements, c.RoundTrips - o.RoundTrips, c.Parses - o.Parses}
}

// Proxy forwards connections from a loopback listener to the upstream server.
type Proxy struct {
	ln       net.Listener
	upstream string
	stmts    atomic.Int64
	trips    atomic.Int64
	parses   atomic.Int64
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	closed   bool
}

// Listen starts a proxy to upstream (host:port) on a free loopback port.
func Listen(upstream string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, upstream: upstream, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr returns the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Counts returns the counts so far.
func (p *Proxy) Counts() Counts {
	return Counts{Statements: p.stmts.Load(), RoundTrips: p.trips.Load(), Parses: p.parses.Load()}
}

// Close stops accepting, closes every connection and waits for the forwarding to end.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(c)
		}()
	}
}

func (p *Proxy) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	defer server.Close()
	if !p.track(client) || !p.track(server) {
		return
	}
	done := make(chan struct{})
	go func() {
		io.Copy(client, server)
		client.Close()
		close(done)
	}()
	_ = p.forward(server, client)
	server.Close()
	<-done
}

// The codes of the untyped messages a client may send first.
const (
	sslRequest     = 80877103
	gssencRequest  = 80877104
	cancelRequest  = 80877102
	maxMessageSize = 1 << 30
)

// forward copies the client's messages to the server, counting them.
func (p *Proxy) forward(server io.Writer, client io.Reader) error {
	// Untyped start-up messages: SSL or GSS negotiation requests (answered by the server
	// with one byte, passed back by the other direction), then the startup message.
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(client, hdr[:]); err != nil {
			return err
		}
		n := binary.BigEndian.Uint32(hdr[:4])
		code := binary.BigEndian.Uint32(hdr[4:])
		if n < 8 || n > maxMessageSize {
			return fmt.Errorf("pgcount: bad startup length %d", n)
		}
		if _, err := server.Write(hdr[:]); err != nil {
			return err
		}
		if _, err := io.CopyN(server, client, int64(n-8)); err != nil {
			return err
		}
		if code == cancelRequest {
			return nil
		}
		if code != sslRequest && code != gssencRequest {
			break
		}
	}
	for {
		var hdr [5]byte
		if _, err := io.ReadFull(client, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		n := binary.BigEndian.Uint32(hdr[1:])
		if n < 4 || n > maxMessageSize {
			return fmt.Errorf("pgcount: bad message length %d", n)
		}
		switch hdr[0] {
		case 'E':
			p.stmts.Add(1)
		case 'Q':
			p.stmts.Add(1)
			p.trips.Add(1)
		case 'S':
			p.trips.Add(1)
		case 'P':
			p.parses.Add(1)
		}
		if _, err := server.Write(hdr[:]); err != nil {
			return err
		}
		if _, err := io.CopyN(server, client, int64(n-4)); err != nil {
			return err
		}
	}
}
