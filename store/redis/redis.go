// Package redis implements shopgraph's fast, expiring state on Redis: carts, sessions,
// caches, rate limits and persisted queries. Every key starts with the client's prefix,
// so tests and deployments can share one server.
package redis

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Config says how to reach Redis.
type Config struct {
	// URL is a redis:// or rediss:// URL: the server (with one node), and the password,
	// database number and TLS of every node.
	URL string
	// Addrs, when set, are the nodes (host:port) to use instead of the URL's host: the
	// Sentinels when SentinelMaster is set, else the seeds of a Redis Cluster (with more
	// than one address) or the one server.
	Addrs []string
	// SentinelMaster is the name of the master the Sentinels at Addrs watch; the client
	// follows it through fail-overs.
	SentinelMaster string
	// Prefix starts every key shopgraph writes, such as "sg:".
	Prefix string
}

// Client is a connection pool to Redis with the key prefix of this deployment: one
// server, a Sentinel-watched master, or a Cluster (go-redis's universal client).
type Client struct {
	RDB    goredis.UniversalClient
	prefix string
}

// Open returns a client for cfg. Redis being down is not an error here: the pool dials
// on demand, with short timeouts so that a dead server fails requests fast instead of
// hanging them.
func Open(cfg Config) (*Client, error) {
	u, err := goredis.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("parsing redis url: %w", err)
	}
	opts := &goredis.UniversalOptions{
		Addrs:      []string{u.Addr},
		Username:   u.Username,
		Password:   u.Password,
		DB:         u.DB,
		TLSConfig:  u.TLSConfig,
		MasterName: cfg.SentinelMaster,
	}
	if len(cfg.Addrs) > 0 {
		opts.Addrs = cfg.Addrs
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
	// A Cluster has one database; a non-zero database means one server or Sentinel.
	if opts.MasterName == "" && len(opts.Addrs) > 1 && opts.DB != 0 {
		return nil, fmt.Errorf("redis: database %d cannot be used with a Redis Cluster (REDIS_ADDRS lists several nodes)", opts.DB)
	}
	return &Client{RDB: goredis.NewUniversalClient(opts), prefix: cfg.Prefix}, nil
}

// Key returns the full key for the parts, joined by ':' after the prefix.
func (c *Client) Key(parts ...string) string {
	n := len(c.prefix)
	for _, p := range parts {
		n += len(p) + 1
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(c.prefix)
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(p)
	}
	return b.String()
}

// idKey returns Key(parts..., "{<id>}") in one allocation: the keys of a product's
// entries, read by the dozen per request.
func (c *Client) idKey(id int64, parts ...string) string {
	var tag [24]byte
	t := append(tag[:0], '{')
	t = strconv.AppendInt(t, id, 10)
	t = append(t, '}')
	n := len(c.prefix) + len(t)
	for _, p := range parts {
		n += len(p) + 1
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(c.prefix)
	for _, p := range parts {
		b.WriteString(p)
		b.WriteByte(':')
	}
	b.Write(t)
	return b.String()
}

// Ping checks that Redis answers.
func (c *Client) Ping(ctx context.Context) error { return c.RDB.Ping(ctx).Err() }

// Close closes the pool.
func (c *Client) Close() error { return c.RDB.Close() }
