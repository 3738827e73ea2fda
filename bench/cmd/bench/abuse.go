package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/shopgraph/shopgraph/bench/gql"
	"github.com/shopgraph/shopgraph/bench/load"
	"github.com/shopgraph/shopgraph/bench/pgcount"
	"github.com/shopgraph/shopgraph/bench/report"
)

// abuseQuery asks for 100 × 100 × 10 = 100,000 products through nested listings: a few
// hundred bytes of request for megabytes of answer. A server with a query cost limit
// refuses it before running it. It is sized to show the cost without harming a shared
// machine; a real attacker would nest deeper.
const abuseQuery = `query Abuse { products(first: 100) { nodes { category { products(first: 100) { nodes { category { products(first: 10) { nodes { id name description price { amount } } } } } } } } } }`

// refusedWithin is how fast a refusal must come, at the 99th percentile.
const refusedWithin = time.Millisecond

// refusals is how many refusals are timed, one at a time, after as many again to warm up.
const refusals = 1000

func abuse(ctx context.Context, e *env) (report.Run, error) {
	c := gql.New(e.graphqlURL())
	c.HTTP = &http.Client{Timeout: 60 * time.Second}
	body := gql.Body("Abuse", abuseQuery, nil)
	name := "abuse"
	// One try first: a server without a limit takes seconds over it, and is not sent more.
	start := time.Now()
	b, err := c.Raw(ctx, body)
	took := time.Since(start)
	if err != nil && b == nil {
		return report.Run{}, err
	}
	refused := load.HasGraphQLErrors(b) && !bytes.Contains(b, []byte(`"data":{"products"`))
	e.logf("  %d bytes in %s, refused: %v: %.300s", len(b), took.Round(time.Millisecond), refused, b)
	if !refused {
		return report.Run{Rows: []report.Row{{Workload: name, Metric: "nested 100×100×10 query refused in",
			Shopgraph: fmt.Sprintf("accepted: %.1f MB in %s", float64(len(b))/1e6, took.Round(time.Millisecond)),
			Baseline:  "—", Ratio: "—", Target: "refused, ≤ " + load.Ms(refusedWithin), Verdict: report.NotMeasurable}},
			Notes: []string{"not measurable yet: shopgraph has no query cost or depth limit, so it runs the query (the figure is what one such request costs it)"}}, nil
	}
	// Refused: time the refusals one at a time, after as many to warm up.
	check := func(_ string, b []byte) error {
		if !load.HasGraphQLErrors(b) {
			return fmt.Errorf("not refused: %.200s", b)
		}
		return nil
	}
	next := func() load.Request { return load.Request{Kind: "abuse", Body: body} }
	if _, err := load.Run(ctx, load.Spec{URL: e.graphqlURL(), Clients: 1, Next: counted(refusals, next), Check: check}); err != nil {
		return report.Run{}, err
	}
	s, err := load.Run(ctx, load.Spec{URL: e.graphqlURL(), Clients: 1, Next: counted(refusals, next), Check: check})
	if err != nil {
		return report.Run{}, err
	}
	e.logf("  refusals: %s", s)
	p50, p99 := s.Quantile(0.5), s.Quantile(0.99)
	var code struct {
		Errors []struct{ Extensions struct{ Code string } }
	}
	_ = json.Unmarshal(b, &code)
	why := ""
	if len(code.Errors) > 0 {
		why = code.Errors[0].Extensions.Code
	}
	rows := []report.Row{{Workload: name, Metric: fmt.Sprintf("nested 100×100×10 query refused in, p99 of %d", refusals),
		Shopgraph: load.Ms(p99), Baseline: "—", Ratio: "—", Target: "refused, ≤ " + load.Ms(refusedWithin),
		Verdict: report.Check(s.Failures == 0 && p99 <= refusedWithin)}}
	notes := []string{fmt.Sprintf("refused with %s before any resolver ran; p50 %s, max %s of %d one at a time over loopback, the client's time; first answer: %.160s",
		why, load.Ms(p50), load.Ms(s.Quantile(1)), refusals, b)}
	if e.shopgraph == "" {
		rows = append(rows, report.Row{Workload: name, Metric: "SQL statements per refusal", Shopgraph: "not counted",
			Baseline: "—", Ratio: "—", Target: "0", Verdict: report.NotMeasurable})
		return report.Run{Rows: rows, Notes: notes}, nil
	}
	per, err := e.statementsPerRefusal(ctx, body, check)
	if err != nil {
		return report.Run{}, fmt.Errorf("counting statements: %w", err)
	}
	rows = append(rows, report.Row{Workload: name, Metric: "SQL statements per refusal", Shopgraph: fmt.Sprintf("%.3f", per),
		Baseline: "—", Ratio: "—", Target: "0", Verdict: report.Check(per < 0.01)})
	notes = append(notes, fmt.Sprintf("statements counted by the PostgreSQL wire-protocol proxy in front of a second shopgraph during %d refusals, minus its idle background rate", refusals))
	return report.Run{Rows: rows, Notes: notes}, nil
}

// statementsPerRefusal runs a second shopgraph behind the statement-counting proxy and
// returns the statements per refused request, its idle background rate taken off.
func (e *env) statementsPerRefusal(ctx context.Context, body []byte, check func(string, []byte) error) (float64, error) {
	_, upstream, err := replaceHost(e.databaseURL, "")
	if err != nil {
		return 0, err
	}
	proxy, err := pgcount.Listen(upstream)
	if err != nil {
		return 0, err
	}
	defer proxy.Close()
	proxyURL, _, err := replaceHost(e.databaseURL, proxy.Addr())
	if err != nil {
		return 0, err
	}
	sgURL, stop, err := startShopgraph(ctx, e.shopgraph, proxyURL)
	if err != nil {
		return 0, err
	}
	defer stop()
	next := counted(refusals, func() load.Request { return load.Request{Kind: "abuse", Body: body} })
	if _, err := load.Run(ctx, load.Spec{URL: sgURL + "/graphql", Clients: 1, Next: next, Check: check}); err != nil {
		return 0, err
	}
	idle0 := proxy.Counts()
	time.Sleep(time.Second)
	idle := proxy.Counts().Sub(idle0)
	start, before := time.Now(), proxy.Counts()
	s, err := load.Run(ctx, load.Spec{URL: sgURL + "/graphql", Clients: 1,
		Next: counted(refusals, func() load.Request { return load.Request{Kind: "abuse", Body: body} }), Check: check})
	if err != nil {
		return 0, err
	}
	if s.Failures > 0 || s.OK == 0 {
		return 0, fmt.Errorf("%d of %d refusals failed: %q", s.Failures, s.Requests, s.FailureSamples)
	}
	c := proxy.Counts().Sub(before)
	return max(0, float64(c.Statements)-float64(idle.Statements)*time.Since(start).Seconds()) / float64(s.OK), nil
}
