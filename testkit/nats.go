package testkit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shopgraph/shopgraph/events"
)

// NATS returns the URL of the shared NATS server, subjects under a prefix of the test's
// own, and a stream name of the test's own, so that tests in parallel never see each
// other's messages. The test creates the stream (events.EnsureStream); it is deleted, if it
// exists, when the test ends.
func NATS(t testing.TB) (url string, subjects events.Subjects, streamName string) {
	t.Helper()
	url = NATSURL()
	subjects = events.Subjects{Prefix: UniqueName("sgt")}
	streamName = UniqueName("SGT_")
	t.Cleanup(func() {
		nc, err := nats.Connect(url, nats.Timeout(5*time.Second))
		if err != nil {
			t.Errorf("testkit: connecting to nats to delete stream %s: %v", streamName, err)
			return
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			t.Errorf("testkit: opening jetstream to delete stream %s: %v", streamName, err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// The app derives the shipping consumer's stream from the event stream's name.
		for _, name := range []string{streamName, events.ShippingStreamName(streamName)} {
			if err := js.DeleteStream(ctx, name); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
				t.Errorf("testkit: deleting stream %s: %v", name, err)
			}
		}
	})
	return url, subjects, streamName
}

// NATSServerPath is the nats-server binary StartNATS runs.
const NATSServerPath = "/usr/sbin/nats-server"

// natsReadyTimeout bounds how long a private server may take to accept connections.
const natsReadyTimeout = 15 * time.Second

// NATSServer is a private nats-server with JetStream for one test, which the test may stop
// and start again (same port, same store directory, so streams survive) without
// disturbing tests that use the shared server.
type NATSServer struct {
	t    testing.TB
	port int
	dir  string
	logf string
	// extra are more nats-server arguments (a cluster node's).
	extra  []string
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited; nil when no process was started
}

// StartNATS starts a private nats-server on a free loopback port, with JetStream storing
// in a temporary directory, and returns once it accepts connections with JetStream on. The
// server is killed when the test ends.
func StartNATS(t testing.TB) *NATSServer {
	t.Helper()
	if _, err := os.Stat(NATSServerPath); err != nil {
		t.Skipf("testkit: %s not available: %v", NATSServerPath, err)
	}
	s := &NATSServer{t: t, port: freePort(t), dir: t.TempDir()}
	s.logf = filepath.Join(s.dir, "nats-server.log")
	// Registered after t.TempDir, so it runs before the directory is removed.
	t.Cleanup(s.kill)
	s.Start()
	return s
}

// NATSCluster is a private cluster of nats-servers with clustered JetStream, on loopback
// routes, for one test. Each node can be stopped (or killed) and started again.
type NATSCluster struct {
	Nodes []*NATSServer
}

// StartNATSCluster starts n nats-servers (n >= 3 for JetStream to survive losing one) in
// one cluster, each with its own store directory, and returns once JetStream can place
// a stream on all n nodes (its meta leader is elected and every peer has joined). The
// nodes are killed when the test ends.
func StartNATSCluster(t testing.TB, n int) *NATSCluster {
	t.Helper()
	if _, err := os.Stat(NATSServerPath); err != nil {
		t.Skipf("testkit: %s not available: %v", NATSServerPath, err)
	}
	name := UniqueName("sgt")
	routePorts := make([]int, n)
	var routes []string
	for i := range routePorts {
		routePorts[i] = freePort(t)
		routes = append(routes, "nats-route://127.0.0.1:"+strconv.Itoa(routePorts[i]))
	}
	c := &NATSCluster{}
	for i := range n {
		s := &NATSServer{t: t, port: freePort(t), dir: t.TempDir()}
		s.logf = filepath.Join(s.dir, "nats-server.log")
		s.extra = []string{"-n", fmt.Sprintf("%s-%d", name, i+1), "--cluster_name", name,
			"--cluster", "nats://127.0.0.1:" + strconv.Itoa(routePorts[i]), "--routes", strings.Join(routes, ",")}
		t.Cleanup(s.kill)
		c.Nodes = append(c.Nodes, s)
	}
	// Started together: each node's JetStream waits for its peers.
	var wg sync.WaitGroup
	for _, s := range c.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Start()
		}()
	}
	wg.Wait()
	nc, err := nats.Connect(c.URL(), nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatalf("testkit: connecting to the nats cluster: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("testkit: opening jetstream: %v", err)
	}
	// Ready means a stream replicated on every node can be placed: the meta leader is
	// elected and knows all its peers. A leader that answers before its peers have joined
	// refuses an n-replica stream ("no suitable peers for placement").
	probe := jetstream.StreamConfig{Name: name + "_READY", Subjects: []string{name + ".ready"},
		Replicas: n, Storage: jetstream.MemoryStorage}
	deadline := time.Now().Add(natsReadyTimeout * 2)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := js.CreateStream(ctx, probe)
		if err == nil {
			err = js.DeleteStream(ctx, probe.Name)
		}
		cancel()
		if err == nil {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("testkit: jetstream of the nats cluster cannot place a stream on its %d nodes: %v\n%s", n, err, c.Nodes[0].logTail())
		}
		time.Sleep(50 * time.Millisecond) // polling the meta group's formation
	}
}

// URL returns the nodes' client URLs, comma-separated, as NATS_URL takes them.
func (c *NATSCluster) URL() string {
	var urls []string
	for _, s := range c.Nodes {
		urls = append(urls, s.URL())
	}
	return strings.Join(urls, ",")
}

// Node returns the node whose client URL is url, or nil.
func (c *NATSCluster) Node(url string) *NATSServer {
	for _, s := range c.Nodes {
		if strings.TrimPrefix(s.URL(), "nats://") == strings.TrimPrefix(url, "nats://") {
			return s
		}
	}
	return nil
}

// Kill ends the server at once (SIGKILL), as a crash would, and waits for it to exit.
func (s *NATSServer) Kill() { s.kill() }

// URL returns the server's client URL; it stays the same across Stop and Start.
func (s *NATSServer) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(s.port) }

// Start starts the server again after Stop, with the same port and store directory, and
// returns once it accepts connections with JetStream on. It fails the test otherwise.
// Start does nothing when the server runs.
func (s *NATSServer) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running() {
		return
	}
	logFile, err := os.OpenFile(s.logf, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.t.Fatalf("testkit: opening nats-server log: %v", err)
	}
	cmd := exec.Command(NATSServerPath, append([]string{"-a", "127.0.0.1", "-p", strconv.Itoa(s.port),
		"-js", "-sd", filepath.Join(s.dir, "jetstream")}, s.extra...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		s.t.Fatalf("testkit: starting nats-server: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // a stopped server exits with a signal status
		logFile.Close()
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited
	if err := waitNATSReady(s.port, exited, natsReadyTimeout); err != nil {
		s.t.Fatalf("testkit: nats-server on port %d: %v\n%s", s.port, err, s.logTail())
	}
}

// Stop stops the server gracefully (SIGTERM) and waits for it to exit, killing it when it
// does not within a few seconds. Stop does nothing when the server is not running.
func (s *NATSServer) Stop() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running() {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		s.t.Errorf("testkit: nats-server ignored SIGTERM for 10s and was killed\n%s", s.logTail())
	}
}

// kill ends the server at once, if it runs, and waits for it to exit.
func (s *NATSServer) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running() {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// running reports whether the process is alive; s.mu must be held.
func (s *NATSServer) running() bool {
	if s.exited == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// logTail returns the end of the server's log, for failure messages.
func (s *NATSServer) logTail() string {
	b, err := os.ReadFile(s.logf)
	if err != nil {
		return "(no nats-server log: " + err.Error() + ")"
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return "--- nats-server log:\n" + string(b)
}

// waitNATSReady polls until a NATS server on port greets with JetStream on, the process
// exits, or the timeout passes.
func waitNATSReady(port int, exited <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var last error
	for {
		select {
		case <-exited:
			return errors.New("the process exited during start-up")
		default:
		}
		if last = natsGreets(addr); last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %w", timeout, last)
		}
		select {
		case <-exited:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// natsGreets connects to addr and checks that the server's INFO line announces JetStream.
func natsGreets(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading INFO: %w", err)
	}
	if !strings.HasPrefix(line, "INFO ") {
		return fmt.Errorf("unexpected greeting %q", line)
	}
	if !strings.Contains(line, `"jetstream":true`) {
		return errors.New("jetstream is not enabled yet")
	}
	return nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testkit: finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
