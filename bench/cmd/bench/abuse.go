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
	"github.com/shopgraph/shopgraph/bench/report"
)

// abuseQuery asks for 100 × 100 × 10 = 100,000 products through nested listings: a few
// hundred bytes of request for megabytes of answer. A server with a query cost limit
// refuses it before running it. It is sized to show the cost without harming a shared
// machine; a real attacker would nest deeper.
const abuseQuery = `query Abuse { products(first: 100) { nodes { category { products(first: 100) { nodes { category { products(first: 10) { nodes { id name description price { amount } } } } } } } } } }`

// refusedWithin is how fast a refusal must come.
const refusedWithin = 50 * time.Millisecond

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
		return report.Run{Rows: []report.Row{{Workload: name, Metric: "nested 100×100×10 query refused in (p50 of 20)",
			Shopgraph: fmt.Sprintf("accepted: %.1f MB in %s", float64(len(b))/1e6, took.Round(time.Millisecond)),
			Baseline:  "—", Ratio: "—", Target: "refused, ≤ " + load.Ms(refusedWithin), Verdict: report.NotMeasurable}},
			Notes: []string{"not measurable yet: shopgraph has no query cost or depth limit, so it runs the query (the figure is what one such request costs it)"}}, nil
	}
	// Refused: time 20 refusals, one at a time, so one slow moment of a shared machine
	// does not decide.
	s, err := load.Run(ctx, load.Spec{URL: e.graphqlURL(), Clients: 1,
		Next: counted(20, func() load.Request { return load.Request{Kind: "abuse", Body: body} }),
		Check: func(_ string, b []byte) error {
			if !load.HasGraphQLErrors(b) {
				return fmt.Errorf("not refused: %.200s", b)
			}
			return nil
		}})
	if err != nil {
		return report.Run{}, err
	}
	e.logf("  refusals: %s", s)
	p50 := s.Quantile(0.5)
	var code struct {
		Errors []struct{ Extensions struct{ Code string } }
	}
	_ = json.Unmarshal(b, &code)
	why := ""
	if len(code.Errors) > 0 {
		why = code.Errors[0].Extensions.Code
	}
	return report.Run{Rows: []report.Row{{Workload: name, Metric: "nested 100×100×10 query refused in (p50 of 20)",
		Shopgraph: load.Ms(p50), Baseline: "—", Ratio: "—", Target: "refused, ≤ " + load.Ms(refusedWithin),
		Verdict: report.Check(s.Failures == 0 && p50 <= refusedWithin)}},
		Notes: []string{fmt.Sprintf("refused with %s before any resolver ran; max of 20: %s; first answer: %.160s", why, load.Ms(s.Quantile(1)), b)}}, nil
}
