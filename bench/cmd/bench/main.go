// Command bench measures a running shopgraph against honest baselines and prints one
// table: workload, metric, shopgraph's figure, the baseline's, their ratio, the target
// and whether it was met. The table is also written to results.md (and its data to
// results.json, so that a workload run alone replaces only its own rows).
//
// Load comes from this process over loopback, closed-loop, through vegeta's library. The
// baseline (package baseline) runs in a child process of this one, on a port of its own,
// with the same SQL statements and the same response bytes as shopgraph.
//
// Usage, from the bench module (bench/), with shopgraph serving a seeded database:
//
//	go run ./cmd/bench                              # every workload
//	go run ./cmd/bench -workload product-page       # one (or a comma-separated list)
//	go run ./cmd/bench -list                        # the workloads
//
// `make bench` (bench/run.sh) brings up the servers, a seeded shopgraph_bench database and
// a shopgraph process, and runs this.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shopgraph/shopgraph/bench/baseline"
	"github.com/shopgraph/shopgraph/bench/gql"
	"github.com/shopgraph/shopgraph/bench/report"
)

// workload is one entry of the table. Its run returns the rows (and notes) to record.
type workload struct {
	name, about string
	run         func(ctx context.Context, e *env) (report.Run, error)
}

// workloads in table order, which is the order `all` runs them in. New ones are added here.
var workloads = []workload{
	{"product-page", "product(slug:) with its category, price, rating, variants and images; 50 clients; vs a plain pgx handler", productPage},
	{"product-list", "products(first: 50) with category and parent, rating, first image and variants; 50 clients; SQL statements per request", productList},
	{"mixed", "a storefront session: product pages, listings, searches, cart adds and reads", mixed},
	{"checkout", "concurrent checkouts spread over 1,000 products and on one hot product; oversell checks", checkout},
	{"abuse", "a deeply nested, over-priced query must be refused fast", abuse},
	// Order tracking leaves the server with a heap grown by 10,000 connections, which the
	// short requests measured before it must not pay for.
	{"order-tracking", "graphql-transport-ws watchers of orderStatusChanged: delivery latency, loss, memory", orderTracking},
	{"analytics-ingest", "events through JetStream and the ingester into ClickHouse, vs a raw clickhouse-go insert; publish-to-visible lag", analyticsIngest},
	{"dashboard", "each dashboard field through GraphQL over the loaded events: cold (ClickHouse) and cached p95", dashboard},
}

// env is what the workloads share.
type env struct {
	url         string // shopgraph's base URL
	databaseURL string
	adminEmail  string
	adminPass   string
	natsURL     string
	shopgraph   string // the shopgraph binary, for the statement-counting pass
	clients     int
	duration    time.Duration
	warmup      time.Duration
	rounds      int
	checkoutN   int
	checkoutC   int
	watchers    int
	orders      int
	// analytics-ingest and dashboard
	analyticsEvents int
	ingestBatch     int
	clickhouseURL   string
	baselineURL     string
	adminURL        string // shopgraph's admin listener (pprof), for -profile
	profileDir      string
	log             io.Writer
	db              *pgxpool.Pool
	stopBase        func()
}

func (e *env) graphqlURL() string { return e.url + "/graphql" }

func (e *env) logf(format string, args ...any) { fmt.Fprintf(e.log, format+"\n", args...) }

func getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	cmd := ""
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		cmd = os.Args[1]
	}
	switch cmd {
	case "":
		err = run(ctx)
	case "serve-baseline": // the child process of startBaseline
		err = serveBaseline()
	case "prepare":
		err = prepare(ctx, os.Args[2:])
	case "free-addr":
		var addr string
		if addr, err = freeAddr(); err == nil {
			fmt.Println(addr)
		}
	default:
		err = fmt.Errorf("unknown command %q (commands: prepare, free-addr; flags: -help)", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	e := &env{log: os.Stderr}
	var names, resultsDir string
	var list bool
	flag.StringVar(&names, "workload", "all", "comma-separated workloads to run, or all (see -list)")
	flag.BoolVar(&list, "list", false, "list the workloads and exit")
	flag.StringVar(&e.url, "url", getenv("SHOPGRAPH_URL", "http://127.0.0.1:8080"), "shopgraph's base URL")
	flag.StringVar(&e.databaseURL, "database-url", getenv("DATABASE_URL", "postgres://shopgraph:shopgraph@127.0.0.1:5432/shopgraph_bench?sslmode=disable"), "the database shopgraph serves (the baseline reads it too)")
	flag.StringVar(&e.adminEmail, "admin-email", getenv("BENCH_ADMIN_EMAIL", "bench-admin@shopgraph.example"), "an admin account of that database")
	flag.StringVar(&e.adminPass, "admin-password", getenv("BENCH_ADMIN_PASSWORD", "bench-admin-password"), "its password")
	flag.StringVar(&e.natsURL, "nats", getenv("NATS_URL", "nats://127.0.0.1:4222"), "NATS, tapped by order-tracking for publish times (empty: no tap)")
	flag.StringVar(&e.shopgraph, "shopgraph-bin", getenv("SHOPGRAPH_BIN", ""), "shopgraph binary for product-list's statement count (a second process behind a counting proxy); empty skips it")
	flag.StringVar(&e.baselineURL, "baseline-url", "", "a running baseline (go run ./cmd/baseline); empty starts one")
	flag.IntVar(&e.clients, "clients", 50, "concurrent clients of the read workloads")
	flag.DurationVar(&e.duration, "duration", 8*time.Second, "length of one measured round")
	flag.DurationVar(&e.warmup, "warmup", 3*time.Second, "warm-up before measuring, per server")
	flag.IntVar(&e.rounds, "rounds", 2, "measured rounds per server, alternating shopgraph and baseline")
	flag.IntVar(&e.checkoutN, "checkouts", 1000, "checkouts per checkout run (spread, hot)")
	flag.IntVar(&e.checkoutC, "checkout-clients", 32, "concurrent checkouts")
	flag.IntVar(&e.watchers, "watchers", 10000, "order-tracking watchers")
	flag.IntVar(&e.orders, "orders", 2000, "order-tracking orders")
	flag.IntVar(&e.analyticsEvents, "analytics-events", 10_000_000, "events analytics-ingest loads (and dashboard reads)")
	flag.IntVar(&e.ingestBatch, "ingest-batch", 50_000, "events per batch of the raw baseline: the ingester's batch size")
	flag.StringVar(&e.clickhouseURL, "clickhouse", getenv("CLICKHOUSE_URL", "clickhouse://default:@127.0.0.1:9000/shopgraph_bench"), "the ClickHouse database shopgraph writes (analytics-ingest, dashboard)")
	flag.StringVar(&e.adminURL, "admin-url", getenv("SHOPGRAPH_ADMIN_URL", ""), "shopgraph's admin listener (ADMIN_ADDR), for -profile")
	var profile bool
	flag.BoolVar(&profile, "profile", false, "after the measured rounds, run one more shopgraph round under pprof (needs -admin-url); profiles go to .out/profiles/")
	flag.StringVar(&resultsDir, "results-dir", "", "where results.md and results.json go (default: the bench directory)")
	flag.Parse()
	if list {
		for _, w := range workloads {
			fmt.Printf("%-16s %s\n", w.name, w.about)
		}
		return nil
	}
	var todo []workload
	if names == "all" {
		todo = workloads
	} else {
		for _, n := range strings.Split(names, ",") {
			i := slices.IndexFunc(workloads, func(w workload) bool { return w.name == strings.TrimSpace(n) })
			if i < 0 {
				return fmt.Errorf("unknown workload %q (see -list)", n)
			}
			todo = append(todo, workloads[i])
		}
	}
	if resultsDir == "" {
		resultsDir = benchDir()
	}
	e.url = strings.TrimSuffix(e.url, "/")
	e.adminURL = strings.TrimSuffix(e.adminURL, "/")
	if profile {
		if e.adminURL == "" {
			return errors.New("-profile needs -admin-url")
		}
		e.profileDir = filepath.Join(resultsDir, ".out", "profiles")
	}

	db, err := pgxpool.New(ctx, e.databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	e.db = db
	if err := waitReady(ctx, e.url+"/readyz", 30*time.Second); err != nil {
		return fmt.Errorf("shopgraph at %s: %w", e.url, err)
	}
	defer func() {
		if e.stopBase != nil {
			e.stopBase()
		}
	}()

	var failed []string
	var done []report.Run
	for _, w := range todo {
		e.logf("== %s: %s", w.name, w.about)
		start := time.Now()
		r, err := w.run(ctx, e)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			e.logf("%s: %v", w.name, err)
			failed = append(failed, w.name)
			r = report.Run{Rows: []report.Row{{Workload: w.name, Metric: "run", Shopgraph: "error: " + oneLine(err.Error()), Baseline: "—", Ratio: "—", Target: "runs", Verdict: report.Fail}}}
		}
		r.Workload, r.At = w.name, time.Now()
		done = append(done, r)
		e.logf("%s: done in %s", w.name, time.Since(start).Round(time.Second))
	}
	runs, err := report.Record(resultsDir, done...)
	if err != nil {
		return err
	}
	fmt.Println()
	report.Text(os.Stdout, runs)
	fmt.Printf("\n(written to %s)\n", filepath.Join(resultsDir, "results.md"))
	if len(failed) > 0 {
		return fmt.Errorf("workloads that could not run: %s", strings.Join(failed, ", "))
	}
	return nil
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// benchDir returns the bench module's directory: the working directory when it is the
// module, else bench/ under it.
func benchDir() string {
	if b, err := os.ReadFile("go.mod"); err == nil && strings.Contains(string(b), "module github.com/shopgraph/shopgraph/bench") {
		return "."
	}
	if _, err := os.Stat(filepath.Join("bench", "go.mod")); err == nil {
		return "bench"
	}
	return "."
}

// waitReady polls url until it answers 200.
func waitReady(ctx context.Context, url string, within time.Duration) error {
	deadline := time.Now().Add(within)
	var last error
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s: status %d", url, resp.StatusCode)
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("not ready after %s: %w", within, last)
}

// baseline returns the baseline's GraphQL URL, starting the baseline process on first use.
func (e *env) baseline(ctx context.Context) (string, error) {
	if e.baselineURL != "" {
		return strings.TrimSuffix(e.baselineURL, "/") + "/graphql", nil
	}
	url, stop, err := startBaseline(ctx, e.databaseURL)
	if err != nil {
		return "", err
	}
	e.baselineURL, e.stopBase = url, stop
	return url + "/graphql", nil
}

// startBaseline runs the baseline in a child process (this binary, serve-baseline) on a
// listener made here, so that it serves from a process of its own as shopgraph does.
func startBaseline(ctx context.Context, databaseURL string) (string, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	f, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	cmd := exec.Command(exe, "serve-baseline")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL)
	cmd.ExtraFiles = []*os.File{f}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	url := "http://" + ln.Addr().String()
	if err := waitReady(ctx, url+"/readyz", 15*time.Second); err != nil {
		stop()
		return "", nil, fmt.Errorf("baseline: %w", err)
	}
	return url, stop, nil
}

// serveBaseline is the child process: the baseline on the listener inherited as fd 3.
func serveBaseline() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		return err
	}
	s, err := baseline.Open(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return err
	}
	defer s.Close()
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 120 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// admin returns a client signed in as the bench's admin.
func (e *env) admin(ctx context.Context) (*gql.Client, error) {
	c := gql.New(e.graphqlURL())
	tok, err := c.Login(ctx, e.adminEmail, e.adminPass)
	if err != nil {
		return nil, fmt.Errorf("%w (make bench creates this admin; otherwise pass -admin-email and -admin-password)", err)
	}
	return c.As(tok), nil
}

// replaceHost returns the database URL with its host:port replaced.
func replaceHost(databaseURL, hostport string) (string, string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("DATABASE_URL must be a postgres:// URL with a host to count statements")
	}
	upstream := u.Host
	if _, _, err := net.SplitHostPort(upstream); err != nil {
		upstream = net.JoinHostPort(upstream, "5432")
	}
	u.Host = hostport
	return u.String(), upstream, nil
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
