package tracking

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopgraph/shopgraph/bench/load"
	"github.com/shopgraph/shopgraph/bench/report"
)

// Report returns the result as the rows and notes of the bench's table.
func (r *Result) Report() report.Run {
	name := "order-tracking"
	row := func(metric, sg, target string, v report.Verdict) report.Row {
		return report.Row{Workload: name, Metric: metric, Shopgraph: sg, Baseline: "—", Ratio: "—", Target: target, Verdict: v}
	}
	q := func(d []time.Duration, p float64) time.Duration { return Quantile(d, p) }
	rows := []report.Row{
		row("delivery p50, from the change", load.Ms(q(r.FromAt, 0.50)), "≤ 5 ms", report.Check(len(r.FromAt) > 0 && q(r.FromAt, 0.50) <= 5*time.Millisecond)),
		row("delivery p99, from the change", load.Ms(q(r.FromAt, 0.99)), "≤ 50 ms", report.Check(len(r.FromAt) > 0 && q(r.FromAt, 0.99) <= 50*time.Millisecond)),
		row("delivery max, from the change", load.Ms(q(r.FromAt, 1)), "—", report.Info),
	}
	if len(r.FromPublish) > 0 {
		rows = append(rows, row("delivery p50 / p99, from NATS publish", load.Ms(q(r.FromPublish, 0.50))+" / "+load.Ms(q(r.FromPublish, 0.99)), "—", report.Info))
	}
	rows = append(rows,
		row(fmt.Sprintf("events lost (of %d)", r.Expected), fmt.Sprint(r.Lost), "0", report.Check(r.Lost == 0 && r.Failed == 0 && r.Repeated == 0 && r.OutOfOrder == 0)),
	)
	if r.PID != 0 {
		per := r.RSSPerWatcher() / 1024
		rows = append(rows, row(fmt.Sprintf("server RSS per watcher (%d watchers)", r.Watchers), fmt.Sprintf("%.1f KiB", per), "≤ 30 KiB", report.Check(per <= 30)))
	} else {
		rows = append(rows, row("server RSS per watcher", "not measured", "≤ 30 KiB", report.NotMeasurable))
	}
	rows = append(rows, row("server heap / goroutines per watcher",
		fmt.Sprintf("%.1f KiB / %.1f", r.HeapPerWatcher()/1024, (r.GoroutinesAfter-r.GoroutinesBefore)/float64(r.Watchers)), "—", report.Info))
	if r.LiveBefore > 0 && r.LiveAfter > 0 {
		rows = append(rows, row("server live heap / stacks per watcher, after a collection",
			fmt.Sprintf("%.1f KiB / %.1f KiB", (r.LiveAfter-r.LiveBefore)/float64(r.Watchers)/1024, (r.StackAfter-r.StackBefore)/float64(r.Watchers)/1024), "—", report.Info))
	}
	notes := []string{
		fmt.Sprintf("%d watchers (one WebSocket each, half as the order's customer, half as an admin) over %d orders, connected in %s; %d status changes (SHIPPED, DELIVERED) by %s of admin mutations, 4 at a time",
			r.Watchers, r.Orders, r.ConnectTime.Round(time.Millisecond), r.Mutations, r.MutationTime.Round(time.Millisecond)),
		"'from the change' is receipt minus the event's `at`, which the transition takes inside its transaction a little before the commit: an upper bound of the delay from the commit. 'from NATS publish' starts when a NATS subscriber in the load process saw the relay's message: a lower bound",
		fmt.Sprintf("RSS %0.1f → %0.1f MiB, heap in use %0.1f → %0.1f MiB, goroutine stacks %0.1f → %0.1f MiB, goroutines %.0f → %.0f; lost %d, repeated %d, out of order %d, failed watchers %d, incomplete %d",
			float64(r.RSSBefore)/(1<<20), float64(r.RSSAfter)/(1<<20), r.HeapBefore/(1<<20), r.HeapAfter/(1<<20), r.StackBefore/(1<<20), r.StackAfter/(1<<20), r.GoroutinesBefore, r.GoroutinesAfter,
			r.Lost, r.Repeated, r.OutOfOrder, r.Failed, r.Incomplete),
	}
	if len(r.FromResponse) > 0 {
		notes = append(notes, fmt.Sprintf("receipt minus the mutation's answer: p50 %s, p99 %s (negative: the event overtook the answer)",
			load.Ms(q(r.FromResponse, 0.5)), load.Ms(q(r.FromResponse, 0.99))))
	}
	for _, err := range r.Errors {
		notes = append(notes, "error: "+strings.ReplaceAll(err, "|", "/"))
	}
	return report.Run{Rows: rows, Notes: notes}
}
