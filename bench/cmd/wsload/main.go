// Command wsload measures shopgraph's live order tracking: it opens N graphql-transport-ws
// watchers of orderStatusChanged over M paid orders (as their customers and as an admin),
// ships and delivers every order with the admin mutations, and reports the delivery
// latency (p50, p99, max), the events lost, and the server's memory per watcher (from
// /proc/<pid>/status). The rows also go to results.md, as `bench -workload order-tracking`.
//
//	go run ./cmd/wsload -watchers 1000 -orders 100
//
// Each watcher is a connection: raise the open-files limit (ulimit -n) of this process
// and of the server above the number of watchers.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/shopgraph/shopgraph/bench/report"
	"github.com/shopgraph/shopgraph/bench/tracking"
)

func getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func main() {
	cfg := tracking.Config{Log: os.Stderr}
	url := flag.String("url", getenv("SHOPGRAPH_URL", "http://127.0.0.1:8080"), "shopgraph's base URL")
	flag.IntVar(&cfg.Watchers, "watchers", 10000, "WebSocket watchers (one subscription each)")
	flag.IntVar(&cfg.Orders, "orders", 2000, "orders they watch")
	flag.StringVar(&cfg.AdminEmail, "admin-email", getenv("BENCH_ADMIN_EMAIL", "bench-admin@shopgraph.example"), "an admin account")
	flag.StringVar(&cfg.AdminPassword, "admin-password", getenv("BENCH_ADMIN_PASSWORD", "bench-admin-password"), "its password")
	flag.StringVar(&cfg.NATSURL, "nats", getenv("NATS_URL", "nats://127.0.0.1:4222"), "NATS to tap for publish times (empty: no tap)")
	flag.IntVar(&cfg.PID, "pid", 0, "the server's pid (default: the process listening on -url's port)")
	results := flag.String("results-dir", "", "where results.md and results.json go (default: the bench directory; - for none)")
	flag.Parse()
	cfg.URL = strings.TrimSuffix(*url, "/") + "/graphql"

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := tracking.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wsload:", err)
		os.Exit(1)
	}
	run := r.Report()
	run.Workload, run.At = "order-tracking", time.Now()
	for i := range run.Rows {
		run.Rows[i].Workload = run.Workload
	}
	fmt.Println()
	report.Text(os.Stdout, []report.Run{run})
	for _, n := range run.Notes {
		fmt.Println("-", n)
	}
	if *results == "-" {
		return
	}
	dir := *results
	if dir == "" {
		dir = "."
		if _, err := os.Stat(filepath.Join("bench", "go.mod")); err == nil {
			dir = "bench"
		}
	}
	if _, err := report.Record(dir, run); err != nil {
		fmt.Fprintln(os.Stderr, "wsload:", err)
		os.Exit(1)
	}
}
