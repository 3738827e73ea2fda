// Command baseline serves the bench's baseline on its own: the catalog requests of the
// product-page and product-list workloads, answered by plain net/http and pgx with the
// SQL of shopgraph's store and the same response bytes (see package baseline).
//
//	DATABASE_URL=postgres://… go run ./cmd/baseline -addr 127.0.0.1:8090
//
// cmd/bench starts one by itself unless given -baseline-url.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/shopgraph/shopgraph/bench/baseline"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "address to listen on")
	dsn := flag.String("database-url", os.Getenv("DATABASE_URL"), "the database shopgraph serves")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, *addr, *dsn); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

func serve(ctx context.Context, addr, dsn string) error {
	s, err := baseline.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	srv := &http.Server{Addr: addr, Handler: s, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 120 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	fmt.Fprintln(os.Stderr, "baseline: serving on", addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
