package redis

import (
	"context"
	"time"
)

// PersistedQueryTTL is how long a persisted query is kept after its last use.
const PersistedQueryTTL = 30 * 24 * time.Hour

// PersistedQueries keeps automatic persisted queries (Apollo APQ) in Redis, so that a hash
// registered through one replica is known to all. It implements gqlgen's query cache
// interface. Registered queries are also the allow-list of the allow-list mode: Allowed
// tells whether a hash was registered by an operator (Register), and in that mode
// clients cannot register anything themselves.
type PersistedQueries struct {
	c        *Client
	readOnly bool
}

// NewPersistedQueries returns the store; with readOnly, Add ignores what clients send, so
// only queries registered with Register run (the allow-list mode).
func NewPersistedQueries(c *Client, readOnly bool) *PersistedQueries {
	return &PersistedQueries{c: c, readOnly: readOnly}
}

// Get returns the query registered under the hash, refreshing its time to live. A Redis
// failure reads as "not registered": the client then sends the full query.
func (p *PersistedQueries) Get(ctx context.Context, hash string) (string, bool) {
	q, err := p.c.RDB.GetEx(ctx, p.c.Key("apq", hash), PersistedQueryTTL).Result()
	if err != nil {
		return "", false
	}
	return q, true
}

// Add registers a query a client sent with its hash (gqlgen has checked the hash). In
// read-only mode it does nothing.
func (p *PersistedQueries) Add(ctx context.Context, hash, query string) {
	if p.readOnly {
		return
	}
	p.c.RDB.Set(ctx, p.c.Key("apq", hash), query, PersistedQueryTTL)
}

// Register stores an operator-approved query under its hash, with no expiry, and marks it
// allowed.
func (p *PersistedQueries) Register(ctx context.Context, hash, query string) error {
	pipe := p.c.RDB.TxPipeline()
	pipe.Set(ctx, p.c.Key("apq", hash), query, 0)
	pipe.SAdd(ctx, p.c.Key("apq-allowed"), hash)
	_, err := pipe.Exec(ctx)
	return err
}

// Allowed reports whether an operator registered the hash.
func (p *PersistedQueries) Allowed(ctx context.Context, hash string) (bool, error) {
	return p.c.RDB.SIsMember(ctx, p.c.Key("apq-allowed"), hash).Result()
}
