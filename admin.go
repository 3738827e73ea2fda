package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/shopgraph/shopgraph/api"
	"github.com/shopgraph/shopgraph/app"
)

// startAdmin serves the admin handler (pprof) on addr, a listener of its own apart from
// the public one, until the returned stop is called; stop waits up to five seconds for
// profiles in progress. An empty addr serves nothing. It returns an error when addr
// cannot be listened on.
func startAdmin(addr string, log *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on admin address %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           api.AdminHandler(),
		ReadHeaderTimeout: 5 * time.Second,
		// No WriteTimeout: a CPU profile or an execution trace streams for as many
		// seconds as the operator asks (pprof refuses a duration past WriteTimeout).
		IdleTimeout: 120 * time.Second,
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin listener stopped", "err", err)
		}
	}()
	log.Info("admin listener (pprof)", "addr", ln.Addr().String(), "pprof", "http://"+ln.Addr().String()+"/debug/pprof/")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
		<-done
	}, nil
}

// shutdownTelemetry flushes the spans not yet exported, within five seconds: a
// collector that is down must not hold up the exit.
func shutdownTelemetry(tel *app.Telemetry, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		log.Warn("flushing traces", "err", err)
	}
}
