package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/shopgraph/shopgraph/bench/load"
)

// profiled runs spec once more against shopgraph while taking a CPU profile from its admin
// listener (net/http/pprof), and an allocation profile before and after, into e.profileDir
// as <name>-cpu.pprof, <name>-allocs-before.pprof and <name>-allocs.pprof. Read them with
//
//	go tool pprof -top bench/.out/profiles/<name>-cpu.pprof
//	go tool pprof -sample_index=alloc_space -top -base <name>-allocs-before.pprof <name>-allocs.pprof
//
// The profiled round is not part of the figures.
func (e *env) profiled(ctx context.Context, name string, spec load.Spec) error {
	if e.adminURL == "" || e.profileDir == "" {
		return nil
	}
	if err := os.MkdirAll(e.profileDir, 0o755); err != nil {
		return err
	}
	path := func(kind string) string { return filepath.Join(e.profileDir, name+"-"+kind+".pprof") }
	if err := e.fetchProfile(ctx, "/debug/pprof/allocs", path("allocs-before")); err != nil {
		return err
	}
	secs := max(1, int(spec.Duration.Seconds())-1)
	cpu := make(chan error, 1)
	go func() {
		cpu <- e.fetchProfile(ctx, fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), path("cpu"))
	}()
	s, err := load.Run(ctx, spec)
	if err != nil {
		return err
	}
	if err := <-cpu; err != nil {
		return err
	}
	if err := e.fetchProfile(ctx, "/debug/pprof/allocs", path("allocs")); err != nil {
		return err
	}
	e.logf("  profiled round: %s; profiles in %s", s, e.profileDir)
	return nil
}

// fetchProfile saves the profile at path of shopgraph's admin listener into file.
func (e *env) fetchProfile(ctx context.Context, path, file string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := load.SaveURL(ctx, e.adminURL+path, file); err != nil {
		return fmt.Errorf("profiling: %w", err)
	}
	return nil
}

// limitedNotes explains rate-limited answers, when there were any.
func limitedNotes(stats ...*load.Stats) []string {
	n := 0
	for _, s := range stats {
		n += s.RateLimited
	}
	if n == 0 {
		return nil
	}
	return []string{fmt.Sprintf("shopgraph refused %d requests as RATE_LIMITED: its per-caller query-cost budget keys callers by address (or user), and all the load comes from one loopback address, so the figures measure the limiter; a benchmark needs a setting that raises or lifts the budget", n)}
}
