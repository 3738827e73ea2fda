// Package events owns shopgraph's use of NATS: subject names, stream and consumer set-up,
// the outbox relay, the subscription hub and the analytics ingester.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config says how to reach NATS.
type Config struct {
	// URL is the NATS server URL, or the comma-separated URLs of a cluster's nodes: the
	// connection tries them in random order, learns the cluster's other nodes from the
	// one it reaches, and moves to another when its node goes away.
	URL string
	// Name identifies this process in the server's connection list.
	Name string
}

// Bus is a connection to NATS with its JetStream context. It reconnects by itself, for
// ever: a process outlives NATS restarts.
type Bus struct {
	NC *nats.Conn
	JS jetstream.JetStream
}

// Connect returns a Bus. NATS being down at start is not an error: the connection keeps
// trying in the background, and Ping reports the state.
func Connect(cfg Config, log *slog.Logger) (*Bus, error) {
	nc, err := nats.Connect(cfg.URL,
		nats.Name(cfg.Name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.ReconnectJitter(100*time.Millisecond, time.Second),
		// Publishes made while reconnecting wait here, up to 8 MiB, then fail.
		nats.ReconnectBufSize(8<<20),
		nats.Timeout(2*time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("nats reconnected", "server", nc.ConnectedUrlRedacted()) }),
	)
	if err != nil {
		return nil, fmt.Errorf("connecting to nats: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("opening jetstream: %w", err)
	}
	return &Bus{NC: nc, JS: js}, nil
}

// Ping checks that NATS is connected and that JetStream answers.
func (b *Bus) Ping(ctx context.Context) error {
	if !b.NC.IsConnected() {
		return errors.New("nats is not connected")
	}
	if _, err := b.JS.AccountInfo(ctx); err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	return nil
}

// Close drains the connection: pending messages are flushed before it closes.
func (b *Bus) Close() error { return b.NC.Drain() }
