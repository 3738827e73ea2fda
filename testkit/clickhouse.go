package testkit

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/store/clickhouse"
)

// ClickHouse returns a pool on a new ClickHouse database of the test's own, created on
// the server of ClickHouseURL and migrated, dropped with everything in it when the test
// ends. db.Database names it, for code under test that opens its own pool
// (ClickHouseDatabaseURL).
func ClickHouse(t testing.TB) *clickhouse.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := clickhouse.Open(clickhouse.Config{URL: ClickHouseURL()})
	if err != nil {
		t.Fatalf("testkit: opening clickhouse: %v", err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	sweepClickHouse(ctx, t, admin)
	name := DatedName(clickhouseTestPrefix)
	if err := admin.Conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testkit: creating clickhouse database (is it running? make services): %v", err)
	}
	// Registered after the admin pool's Close, so it runs before it.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := admin.Conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			t.Errorf("testkit: dropping clickhouse database %s: %v", name, err)
		}
	})
	db, err := clickhouse.Open(clickhouse.Config{URL: ClickHouseDatabaseURL(t, "", name)})
	if err != nil {
		t.Fatalf("testkit: opening clickhouse database %s: %v", name, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx, Logger(t)); err != nil {
		t.Fatalf("testkit: migrating clickhouse database %s: %v", name, err)
	}
	return db
}

// ClickHouseDatabaseURL returns ClickHouseURL with its database replaced by database
// and, unless addr is empty, its host:port by addr (a TCPProxy's, say).
func ClickHouseDatabaseURL(t testing.TB, addr, database string) string {
	t.Helper()
	u, err := url.Parse(ClickHouseURL())
	if err != nil {
		t.Fatalf("testkit: parsing %s: %v", ClickHouseURL(), err)
	}
	if addr != "" {
		u.Host = addr
	}
	u.Path = "/" + database
	return u.String()
}

// TCPProxy forwards connections from a loopback port to a target address, and can be
// taken down and brought back, so that a test can make a server unreachable for one
// client without stopping the server that other tests share. Its methods are safe for
// concurrent use; Up must be called from the test's goroutine.
type TCPProxy struct {
	t      testing.TB
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener // nil while down
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup // the accept loop and the copying goroutines
}

// StartTCPProxy starts a proxy to target on a free loopback port. It is taken down,
// every goroutine of its own ended, when the test ends.
func StartTCPProxy(t testing.TB, target string) *TCPProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testkit: starting tcp proxy: %v", err)
	}
	p := &TCPProxy{t: t, target: target, addr: ln.Addr().String(), conns: make(map[net.Conn]struct{})}
	p.serve(ln)
	t.Cleanup(p.Down)
	return p
}

// Addr returns the proxy's host:port, the same for its whole life.
func (p *TCPProxy) Addr() string { return p.addr }

// Down closes every connection through the proxy and stops listening, so that new
// connections are refused at once, then waits for the proxy's goroutines to end. Down
// on a proxy that is down does nothing.
func (p *TCPProxy) Down() {
	p.mu.Lock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// Up listens on the proxy's address again after Down; it fails the test when the
// address cannot be had back. Up on a proxy that is up does nothing.
func (p *TCPProxy) Up() {
	p.t.Helper()
	p.mu.Lock()
	up := p.ln != nil
	p.mu.Unlock()
	if up {
		return
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("testkit: bringing tcp proxy back on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

func (p *TCPProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed by Down
			}
			p.forward(c)
		}
	}()
}

// forward connects c to the target and copies both ways until either side closes.
func (p *TCPProxy) forward(c net.Conn) {
	p.mu.Lock()
	if p.ln == nil { // taken down since Accept
		p.mu.Unlock()
		_ = c.Close()
		return
	}
	p.conns[c] = struct{}{}
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		defer p.drop(c)
		up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			return
		}
		if !p.track(up) {
			return
		}
		defer p.drop(up)
		done := make(chan struct{}, 2)
		pipe := func(dst, src net.Conn) {
			// An error (a reset, or Down closing the connection) ends it like EOF.
			_, _ = io.Copy(dst, src)
			done <- struct{}{}
		}
		go pipe(up, c)
		go pipe(c, up)
		<-done
		// One side is finished: close both so the other copy ends too.
		_ = c.Close()
		_ = up.Close()
		<-done
	}()
}

// track registers a connection to the target, or closes it when the proxy went down
// meanwhile.
func (p *TCPProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *TCPProxy) drop(c net.Conn) {
	_ = c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}
