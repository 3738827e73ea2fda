// Package redis implements shopgraph's fast, expiring state on Redis: carts, sessions,
// caches, rate limits and persisted queries. Every key starts with the client's prefix,
// so tests and deployments can share one server.
package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Config says how to reach Redis.
type Config struct {
	// URL is a redis:// or rediss:// URL.
	URL string
	// Prefix starts every key shopgraph writes, such as "sg:".
	Prefix string
}

// Client is a connection pool to Redis with the key prefix of this deployment.
type Client struct {
	RDB    *goredis.Client
	prefix string
}

// Open returns a client for cfg. Redis being down is not an error here: the pool dials
// on demand, with short timeouts so that a dead server fails requests fast instead of
// hanging them.
func Open(cfg Config) (*Client, error) {
	opts, err := goredis.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("parsing redis url: %w", err)
	}
	opts.DialTimeout = time.Second
	opts.ReadTimeout = time.Second
	opts.WriteTimeout = time.Second
	opts.PoolTimeout = time.Second
	// No automatic retries: a command whose answer timed out may have run, and the cart
	// and session scripts must not run twice (a retried add would add twice).
	opts.MaxRetries = -1
	// One dial attempt per try: a dead server should fail a request in well under a
	// second, not after the client's own backoff loop.
	opts.DialerRetries = 1
	return &Client{RDB: goredis.NewClient(opts), prefix: cfg.Prefix}, nil
}

// Key returns the full key for the parts, joined by ':' after the prefix.
func (c *Client) Key(parts ...string) string {
	k := c.prefix
	for i, p := range parts {
		if i > 0 {
			k += ":"
		}
		k += p
	}
	return k
}

// Ping checks that Redis answers.
func (c *Client) Ping(ctx context.Context) error { return c.RDB.Ping(ctx).Err() }

// Close closes the pool.
func (c *Client) Close() error { return c.RDB.Close() }
