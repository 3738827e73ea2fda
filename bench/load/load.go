// Package load drives closed-loop HTTP load with vegeta: a fixed number of clients, each
// sending its next request as soon as the previous answer is read, which is how a
// storefront's concurrent shoppers behave. It checks every answer (a GraphQL answer with
// "errors" is a failure even when its status is 200) and keeps every latency, so the
// percentiles it reports are exact rather than estimated.
package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Request is one request of a workload. Kind names its type in mixed workloads.
type Request struct {
	Kind string
	Body []byte
	// Header adds to the spec's header (an Authorization, say).
	Header http.Header
}

// Spec describes one run.
type Spec struct {
	// URL is the endpoint, such as http://127.0.0.1:8080/graphql.
	URL string
	// Clients is the number of concurrent clients.
	Clients int
	// Duration bounds the run; zero runs until Next says there is no more.
	Duration time.Duration
	// Next returns the next request; ok false ends the run. It is called from many
	// goroutines at once.
	Next func() (r Request, ok bool)
	// Check judges an answer with status 200; nil accepts every 200 without GraphQL errors.
	Check func(kind string, body []byte) error
	// Header is sent with every request.
	Header http.Header
	// Timeout bounds one request; zero means 30 s.
	Timeout time.Duration
}

// Stats are the outcome of a run.
type Stats struct {
	Requests int
	OK       int
	// Failures counts answers that were not 200 or failed the check, and transport errors.
	Failures int
	// Elapsed runs from the first request sent to the last answer read.
	Elapsed time.Duration
	// Latencies of every request, failures included, sorted.
	Latencies []time.Duration
	// RateLimited counts the failures that were shopgraph's RATE_LIMITED refusals.
	RateLimited int
	// FailureSamples holds the first few distinct failure descriptions.
	FailureSamples []string
	// CPU is the CPU time the server process used during the run, when the caller
	// measured it (zero otherwise).
	CPU time.Duration
	// ByKind splits the figures by Request.Kind (mixed workloads).
	ByKind map[string]*Stats
}

// RPS returns successful requests per second.
func (s *Stats) RPS() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.OK) / s.Elapsed.Seconds()
}

// CPUPerRequest returns the server's CPU time per successful request, or 0 when unknown.
func (s *Stats) CPUPerRequest() time.Duration {
	if s.CPU == 0 || s.OK == 0 {
		return 0
	}
	return s.CPU / time.Duration(s.OK)
}

// Quantile returns the q-quantile (0 < q <= 1) of the latencies, exactly (nearest rank).
func (s *Stats) Quantile(q float64) time.Duration {
	if len(s.Latencies) == 0 {
		return 0
	}
	i := int(float64(len(s.Latencies))*q+0.999999) - 1
	i = max(0, min(i, len(s.Latencies)-1))
	return s.Latencies[i]
}

// Merge adds o's figures to s; Elapsed adds up, so RPS is the rate over both runs.
func (s *Stats) Merge(o *Stats) {
	s.Requests += o.Requests
	s.OK += o.OK
	s.Failures += o.Failures
	s.RateLimited += o.RateLimited
	s.CPU += o.CPU
	s.Elapsed += o.Elapsed
	s.Latencies = append(s.Latencies, o.Latencies...)
	slices.Sort(s.Latencies)
	for _, f := range o.FailureSamples {
		s.addFailure(f)
	}
	for k, v := range o.ByKind {
		if s.ByKind == nil {
			s.ByKind = map[string]*Stats{}
		}
		if s.ByKind[k] == nil {
			s.ByKind[k] = &Stats{}
		}
		s.ByKind[k].Merge(v)
	}
}

func (s *Stats) addFailure(f string) {
	if len(s.FailureSamples) < 5 && !slices.Contains(s.FailureSamples, f) {
		s.FailureSamples = append(s.FailureSamples, f)
	}
}

func (s *Stats) String() string {
	cpu := ""
	if c := s.CPUPerRequest(); c > 0 {
		cpu = ", server CPU " + Ms(c) + "/request"
	}
	return fmt.Sprintf("%d requests, %d ok, %d failed (%d rate-limited) in %s: %.0f rps, p50 %s, p99 %s, max %s%s",
		s.Requests, s.OK, s.Failures, s.RateLimited, s.Elapsed.Round(time.Millisecond), s.RPS(),
		Ms(s.Quantile(0.50)), Ms(s.Quantile(0.99)), Ms(s.Quantile(1)), cpu)
}

// Ms formats a duration in milliseconds with two decimals.
func Ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

// Run performs one closed-loop run: Clients workers, each one request at a time.
func Run(ctx context.Context, spec Spec) (*Stats, error) {
	if spec.Clients <= 0 {
		return nil, errors.New("load: Clients must be positive")
	}
	timeout := spec.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	if _, err := url.Parse(spec.URL); err != nil {
		return nil, err
	}
	n := uint64(spec.Clients)
	atk := vegeta.NewAttacker(
		vegeta.Workers(n), vegeta.MaxWorkers(n),
		vegeta.Connections(spec.Clients), vegeta.KeepAlive(true),
		vegeta.HTTP2(false), vegeta.Timeout(timeout), vegeta.Redirects(vegeta.NoFollow),
	)
	var stopped sync.Once
	targeter := func(t *vegeta.Target) error {
		if ctx.Err() != nil {
			return vegeta.ErrNoTargets
		}
		r, ok := spec.Next()
		if !ok {
			return vegeta.ErrNoTargets
		}
		t.Method = http.MethodPost
		// The kind travels in the fragment, which is never sent: vegeta hands the URL back
		// in the result.
		t.URL = spec.URL + "#" + r.Kind
		t.Body = r.Body
		h := http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}
		for k, v := range spec.Header {
			h[k] = v
		}
		for k, v := range r.Header {
			h[k] = v
		}
		t.Header = h
		return nil
	}
	stats := &Stats{ByKind: map[string]*Stats{}}
	start := time.Now()
	results := atk.Attack(targeter, vegeta.ConstantPacer{}, spec.Duration, "bench")
	stop := context.AfterFunc(ctx, func() { stopped.Do(func() { atk.Stop() }) })
	defer stop()
	var last time.Time
	for res := range results {
		if res.Error == vegeta.ErrNoTargets.Error() {
			continue // the targeter ended the run; nothing was sent
		}
		kind := ""
		if i := strings.IndexByte(res.URL, '#'); i >= 0 {
			kind = res.URL[i+1:]
		}
		k := stats.ByKind[kind]
		if k == nil {
			k = &Stats{}
			stats.ByKind[kind] = k
		}
		failure := ""
		switch {
		case res.Error != "" && res.Code == 0:
			failure = res.Error
		case res.Code != http.StatusOK:
			failure = fmt.Sprintf("%s: status %d: %.200s", kind, res.Code, res.Body)
		default:
			check := spec.Check
			if check == nil {
				check = NoGraphQLErrors
			}
			if err := check(kind, res.Body); err != nil {
				failure = fmt.Sprintf("%s: %v", kind, err)
			}
		}
		limited := failure != "" && bytes.Contains(res.Body, []byte(`"code":"RATE_LIMITED"`))
		for _, s := range []*Stats{stats, k} {
			if limited {
				s.RateLimited++
			}
			s.Requests++
			s.Latencies = append(s.Latencies, res.Latency)
			if failure == "" {
				s.OK++
			} else {
				s.Failures++
				s.addFailure(failure)
			}
		}
		if e := res.End(); e.After(last) {
			last = e
		}
	}
	if last.IsZero() {
		last = time.Now()
	}
	stats.Elapsed = last.Sub(start)
	for _, s := range stats.ByKind {
		s.Elapsed = stats.Elapsed
		sort.Slice(s.Latencies, func(i, j int) bool { return s.Latencies[i] < s.Latencies[j] })
	}
	slices.Sort(stats.Latencies)
	return stats, ctx.Err()
}

// NoGraphQLErrors fails an answer that carries top-level GraphQL errors.
func NoGraphQLErrors(_ string, body []byte) error {
	if HasGraphQLErrors(body) {
		return fmt.Errorf("graphql errors: %.300s", body)
	}
	return nil
}

// HasGraphQLErrors reports whether a GraphQL answer has a non-empty top-level "errors".
// shopgraph writes "errors" first when there are any (gqlgen's field order).
func HasGraphQLErrors(body []byte) bool {
	return len(body) > 0 && strings.HasPrefix(string(body[:min(len(body), 12)]), `{"errors":[`)
}
