package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/bench/baseline"
	"github.com/shopgraph/shopgraph/bench/gql"
	"github.com/shopgraph/shopgraph/bench/load"
	"github.com/shopgraph/shopgraph/bench/pgcount"
	"github.com/shopgraph/shopgraph/bench/report"
)

const productPageQuery = `query ProductPage($slug: String!) { product(slug: $slug) { id slug name description price { amount currencyCode } availableQuantity inStock category { id name slug } rating { average count } variants { id sku title selectedOptions { name value } price { amount currencyCode } availableQuantity inStock } images { url(width: 800) altText width height } } }`

const productListQuery = `query ProductList($first: Int!) { products(first: $first) { nodes { id slug name price { amount currencyCode } inStock category { id name parent { id name } } rating { average count } featuredImage { url(width: 400) altText } variants { id title inStock } } pageInfo { hasNextPage endCursor } } }`

// liveSlugs returns the slugs of the live products.
func (e *env) liveSlugs(ctx context.Context) ([]string, error) {
	rows, err := e.db.Query(ctx, `SELECT slug FROM products WHERE deleted_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, err
	}
	slugs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err == nil && len(slugs) == 0 {
		err = errors.New("the database has no products: seed it (bin/shopgraph seed)")
	}
	return slugs, err
}

// sameData fetches each body from shopgraph and from the baseline and fails unless the
// answers' data are byte for byte the same. It reports whether the whole answers are too:
// shopgraph may add extensions (such as the query's cost) that the baseline does not.
func sameData(ctx context.Context, sgURL, baseURL string, bodies [][]byte) (identical bool, err error) {
	sg, base := gql.New(sgURL), gql.New(baseURL)
	identical = true
	for _, b := range bodies {
		x, err := sg.Raw(ctx, b)
		if err != nil {
			return false, fmt.Errorf("shopgraph: %w", err)
		}
		y, err := base.Raw(ctx, b)
		if err != nil {
			return false, fmt.Errorf("baseline: %w", err)
		}
		if bytes.Equal(x, y) {
			continue
		}
		identical = false
		var dx, dy struct{ Data json.RawMessage }
		if json.Unmarshal(x, &dx) != nil || json.Unmarshal(y, &dy) != nil || !bytes.Equal(dx.Data, dy.Data) || load.HasGraphQLErrors(x) {
			return false, fmt.Errorf("the baseline does not answer as shopgraph does:\nshopgraph: %s\nbaseline:  %s", x, y)
		}
	}
	return identical, nil
}

// sameness describes the outcome of sameData for the notes.
func sameness(identical bool) string {
	if identical {
		return "answers byte-identical"
	}
	return "answers' data byte-identical (shopgraph adds extensions)"
}

// compare warms shopgraph and the baseline up, then runs e.rounds measured rounds on
// each, alternating which goes first, and returns the merged figures.
//
// Besides the load figures, it reads each server process's CPU time (user + system, from
// /proc) over the measured rounds: CPU per request does not depend on how busy a shared
// machine is, where requests per second do.
func (e *env) compare(ctx context.Context, name, sgURL, baseURL string, next func() (load.Request, bool), check func(string, []byte) error) (sg, base *load.Stats, err error) {
	spec := func(url string, d time.Duration) load.Spec {
		return load.Spec{URL: url, Clients: e.clients, Duration: d, Next: next, Check: check}
	}
	for _, u := range []string{sgURL, baseURL} {
		w, err := load.Run(ctx, spec(u, e.warmup))
		if err != nil {
			return nil, nil, err
		}
		e.logf("  warm-up %s: %s", u, w)
	}
	sg, base = &load.Stats{}, &load.Stats{}
	for r := range e.rounds {
		order := []string{sgURL, baseURL}
		if r%2 == 1 {
			order = []string{baseURL, sgURL}
		}
		for _, u := range order {
			cpu := startCPU(u)
			s, err := load.Run(ctx, spec(u, e.duration))
			if err != nil {
				return nil, nil, err
			}
			s.CPU = cpu.stop()
			e.logf("  round %d %s: %s", r+1, u, s)
			if u == sgURL {
				sg.Merge(s)
			} else {
				base.Merge(s)
			}
		}
	}
	for _, s := range []*load.Stats{sg, base} {
		if len(s.FailureSamples) > 0 {
			e.logf("  failures: %s", samples(s))
		}
	}
	if err := e.profiled(ctx, name, spec(sgURL, e.duration)); err != nil {
		e.logf("  %v", err)
	}
	return sg, base, nil
}

func rpsRow(workload string, clients int, sg, base *load.Stats, minRatio float64) report.Row {
	return report.Row{
		Workload: workload, Metric: fmt.Sprintf("req/s, %d clients", clients),
		Shopgraph: fmt.Sprintf("%.0f", sg.RPS()), Baseline: fmt.Sprintf("%.0f", base.RPS()),
		Ratio: report.Ratio(sg.RPS(), base.RPS()), Target: fmt.Sprintf("≥ %.2f", minRatio),
		Verdict: report.Check(base.RPS() > 0 && sg.RPS()/base.RPS() >= minRatio),
	}
}

func latencyRow(workload, metric string, q float64, sg, base *load.Stats, maxRatio float64) report.Row {
	a, b := sg.Quantile(q), base.Quantile(q)
	r := report.Row{Workload: workload, Metric: metric, Shopgraph: load.Ms(a), Baseline: load.Ms(b),
		Ratio: report.Ratio(float64(a), float64(b)), Target: "—", Verdict: report.Info}
	if maxRatio > 0 {
		r.Target = fmt.Sprintf("≤ %.2f", maxRatio)
		r.Verdict = report.Check(b > 0 && float64(a)/float64(b) <= maxRatio)
	}
	return r
}

func cpuRow(workload string, sg, base *load.Stats) report.Row {
	a, b := sg.CPUPerRequest(), base.CPUPerRequest()
	if a == 0 || b == 0 {
		return report.Row{Workload: workload, Metric: "server CPU per request", Shopgraph: "not measured", Baseline: "—", Ratio: "—", Target: "—", Verdict: report.Info}
	}
	return report.Row{Workload: workload, Metric: "server CPU per request", Shopgraph: load.Ms(a), Baseline: load.Ms(b),
		Ratio: report.Ratio(float64(a), float64(b)), Target: "—", Verdict: report.Info}
}

func failureRow(workload string, sg, base *load.Stats) report.Row {
	return report.Row{Workload: workload, Metric: "failed requests", Shopgraph: fmt.Sprint(sg.Failures),
		Baseline: fmt.Sprint(base.Failures), Ratio: "—", Target: "0", Verdict: report.Check(sg.Failures == 0 && base.Failures == 0)}
}

func productPage(ctx context.Context, e *env) (report.Run, error) {
	slugs, err := e.liveSlugs(ctx)
	if err != nil {
		return report.Run{}, err
	}
	bodies := make([][]byte, len(slugs))
	for i, s := range slugs {
		bodies[i] = gql.Body(baseline.OpProductPage, productPageQuery, map[string]any{"slug": s})
	}
	baseURL, err := e.baseline(ctx)
	if err != nil {
		return report.Run{}, err
	}
	identical, err := sameData(ctx, e.graphqlURL(), baseURL, [][]byte{bodies[0], bodies[len(bodies)/2], bodies[len(bodies)-1]})
	if err != nil {
		return report.Run{}, err
	}
	e.logf("  the baseline's %s", sameness(identical))
	next := func() (load.Request, bool) {
		return load.Request{Kind: "product-page", Body: bodies[rand.IntN(len(bodies))]}, true
	}
	check := func(_ string, b []byte) error {
		if !bytes.HasPrefix(b, []byte(`{"data":{"product":{"id":`)) {
			return fmt.Errorf("no product: %.200s", b)
		}
		return nil
	}
	w := "product-page"
	sg, base, err := e.compare(ctx, w, e.graphqlURL(), baseURL, next, check)
	if err != nil {
		return report.Run{}, err
	}
	rows := []report.Row{rpsRow(w, e.clients, sg, base, 0.80),
		latencyRow(w, "p50 latency", 0.50, sg, base, 0),
		latencyRow(w, "p99 latency", 0.99, sg, base, 1.5),
		cpuRow(w, sg, base),
		failureRow(w, sg, base)}
	return report.Run{Rows: rows, Notes: append([]string{
		fmt.Sprintf("random slugs over all %d live products; %s; %d rounds of %s per server after %s of warm-up", len(slugs), sameness(identical), e.rounds, e.duration, e.warmup),
		"shopgraph reads the product through its Redis catalog cache (one MGET of product+generation, the slug's product id remembered in the process) and the category from its in-memory category tree; the baseline runs the store's statement (ProductBySlug) on PostgreSQL and takes the category from the same in-memory tree",
	}, limitedNotes(sg)...)}, nil
}

func productList(ctx context.Context, e *env) (report.Run, error) {
	body := gql.Body(baseline.OpProductList, productListQuery, map[string]any{"first": 50})
	baseURL, err := e.baseline(ctx)
	if err != nil {
		return report.Run{}, err
	}
	identical, err := sameData(ctx, e.graphqlURL(), baseURL, [][]byte{body})
	if err != nil {
		return report.Run{}, err
	}
	e.logf("  the baseline's %s", sameness(identical))
	next := func() (load.Request, bool) { return load.Request{Kind: "product-list", Body: body}, true }
	check := func(_ string, b []byte) error {
		if !bytes.HasPrefix(b, []byte(`{"data":{"products":{"nodes":[{`)) {
			return fmt.Errorf("no products: %.200s", b)
		}
		return nil
	}
	w := "product-list"
	sg, base, err := e.compare(ctx, w, e.graphqlURL(), baseURL, next, check)
	if err != nil {
		return report.Run{}, err
	}
	rows := []report.Row{rpsRow(w, e.clients, sg, base, 0.60),
		latencyRow(w, "p50 latency", 0.50, sg, base, 0),
		latencyRow(w, "p99 latency", 0.99, sg, base, 0),
		cpuRow(w, sg, base),
		failureRow(w, sg, base)}
	notes := []string{"the first page of 50 products (sort ID) with category and parent; " + sameness(identical) + "; both read categories and parents from an in-memory category tree (reloaded every 30 s), so both run the store's one statement (ListProducts)"}
	notes = append(notes, limitedNotes(sg)...)
	if e.shopgraph == "" {
		rows = append(rows, report.Row{Workload: w, Metric: "SQL statements/request", Shopgraph: "not counted", Baseline: "1",
			Ratio: "—", Target: statementsTarget, Verdict: report.NotMeasurable})
		notes = append(notes, "statements not counted: pass -shopgraph-bin (make bench does)")
		return report.Run{Rows: rows, Notes: notes}, nil
	}
	counts, err := e.countStatements(ctx, body, check)
	if err != nil {
		return report.Run{}, fmt.Errorf("counting statements: %w", err)
	}
	for _, c := range counts {
		rows = append(rows, report.Row{Workload: w, Metric: "SQL statements/request, " + c.mode,
			Shopgraph: fmt.Sprintf("%.2f", c.sg.Statements), Baseline: fmt.Sprintf("%.2f", c.base.Statements),
			Ratio: report.Ratio(c.sg.Statements, c.base.Statements), Target: statementsTarget,
			Verdict: report.Check(c.sg.Statements <= 1.05)})
		rows = append(rows, report.Row{Workload: w, Metric: "DB round trips/request, " + c.mode,
			Shopgraph: fmt.Sprintf("%.2f", c.sg.RoundTrips), Baseline: fmt.Sprintf("%.2f", c.base.RoundTrips),
			Ratio: report.Ratio(c.sg.RoundTrips, c.base.RoundTrips), Target: "—", Verdict: report.Info})
	}
	notes = append(notes, "statements counted exactly by a PostgreSQL wire-protocol proxy (Execute and Query messages; round trips are Sync and Query messages) in front of a second shopgraph process and a second baseline, minus their idle background rate; pg_stat_statements is not loaded on this server")
	return report.Run{Rows: rows, Notes: notes}, nil
}

// statementsTarget: the listing is one statement at any concurrency (the categories come
// from memory); the measure allows for the proxy's rounding of idle background traffic.
const statementsTarget = "1 at any concurrency"

type perRequest struct{ Statements, RoundTrips float64 }

type countResult struct {
	mode     string
	sg, base perRequest
}

// countStatements runs a second shopgraph and a second baseline behind a counting
// proxy and returns statements and round trips per request, for one client at a time and
// for e.clients at once.
func (e *env) countStatements(ctx context.Context, body []byte, check func(string, []byte) error) ([]countResult, error) {
	_, upstream, err := replaceHost(e.databaseURL, "")
	if err != nil {
		return nil, err
	}
	proxy, err := pgcount.Listen(upstream)
	if err != nil {
		return nil, err
	}
	defer proxy.Close()
	proxyURL, _, err := replaceHost(e.databaseURL, proxy.Addr())
	if err != nil {
		return nil, err
	}

	sgURL, stopSG, err := startShopgraph(ctx, e.shopgraph, proxyURL)
	if err != nil {
		return nil, err
	}
	defer stopSG()
	baseURL, stopBase, err := startBaseline(ctx, proxyURL)
	if err != nil {
		return nil, err
	}
	defer stopBase()

	measure := func(url string, clients int, n int, d time.Duration) (perRequest, error) {
		next := func() (load.Request, bool) { return load.Request{Kind: "product-list", Body: body}, true }
		if n > 0 {
			next = counted(n, func() load.Request { return load.Request{Kind: "product-list", Body: body} })
		}
		// Background: what the process runs on its own (relay, leader checks), per second.
		idle0 := proxy.Counts()
		time.Sleep(time.Second)
		idle := proxy.Counts().Sub(idle0)
		start := time.Now()
		before := proxy.Counts()
		s, err := load.Run(ctx, load.Spec{URL: url, Clients: clients, Duration: d, Next: next, Check: check})
		if err != nil {
			return perRequest{}, err
		}
		c := proxy.Counts().Sub(before)
		secs := time.Since(start).Seconds()
		if s.Failures > 0 || s.OK == 0 {
			return perRequest{}, fmt.Errorf("%d of %d requests failed: %q", s.Failures, s.Requests, s.FailureSamples)
		}
		return perRequest{
			Statements: (float64(c.Statements) - float64(idle.Statements)*secs) / float64(s.OK),
			RoundTrips: (float64(c.RoundTrips) - float64(idle.RoundTrips)*secs) / float64(s.OK),
		}, nil
	}
	var out []countResult
	for _, m := range []struct {
		mode    string
		clients int
		n       int
		d       time.Duration
	}{{"1 client", 1, 300, 0}, {fmt.Sprintf("%d clients", e.clients), e.clients, 0, 3 * time.Second}} {
		var r countResult
		r.mode = m.mode
		for _, u := range []string{sgURL, baseURL} {
			// Warm the connections and pgx's statement caches first.
			if _, err := load.Run(ctx, load.Spec{URL: u + "/graphql", Clients: max(m.clients, 8), Duration: time.Second,
				Next: func() (load.Request, bool) { return load.Request{Kind: "warm", Body: body}, true }, Check: check}); err != nil {
				return nil, err
			}
			pr, err := measure(u+"/graphql", m.clients, m.n, m.d)
			if err != nil {
				return nil, err
			}
			if u == sgURL {
				r.sg = pr
			} else {
				r.base = pr
			}
		}
		e.logf("  statements/request, %s: shopgraph %.2f (%.2f round trips), baseline %.2f (%.2f)", m.mode, r.sg.Statements, r.sg.RoundTrips, r.base.Statements, r.base.RoundTrips)
		out = append(out, r)
	}
	return out, nil
}

// counted returns a Next that yields n requests, then ends the run.
func counted(n int, mk func() load.Request) func() (load.Request, bool) {
	ch := make(chan struct{}, n)
	for range n {
		ch <- struct{}{}
	}
	close(ch)
	return func() (load.Request, bool) {
		if _, ok := <-ch; !ok {
			return load.Request{}, false
		}
		return mk(), true
	}
}

// startShopgraph runs the shopgraph binary with this environment, DATABASE_URL replaced,
// on a free loopback port, and waits for /readyz.
func startShopgraph(ctx context.Context, bin, databaseURL string) (string, func(), error) {
	addr, err := freeAddr()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL, "HTTP_ADDR="+addr, "ADMIN_ADDR=off", "LOG_LEVEL=warn")
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
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	url := "http://" + addr
	if err := waitReady(ctx, url+"/readyz", 60*time.Second); err != nil {
		stop()
		return "", nil, fmt.Errorf("second shopgraph: %w", err)
	}
	return url, stop, nil
}

// samples returns the first failures, each cut short, for the log.
func samples(s *load.Stats) string {
	var out []string
	for _, f := range s.FailureSamples {
		if len(f) > 200 {
			f = f[:200] + "…"
		}
		out = append(out, fmt.Sprintf("%q", f))
	}
	return strings.Join(out, "; ")
}
