package app

import (
	"context"

	"github.com/shopgraph/shopgraph/store/redis"
	"github.com/shopgraph/shopgraph/web"
)

// persistedQueries are the persisted queries of a process: the operations of the browser
// clients built into the binary, always known and always allowed (in the allow-list mode
// too), then those in Redis (sent by clients with APQ, or registered by an operator).
type persistedQueries struct {
	bundled map[string]string
	redis   *redis.PersistedQueries
}

func newPersistedQueries(r *redis.PersistedQueries, ops []web.Operation) *persistedQueries {
	p := &persistedQueries{bundled: make(map[string]string, len(ops)), redis: r}
	for _, op := range ops {
		p.bundled[op.Hash] = op.Query
	}
	return p
}

// Get returns the query of a hash.
func (p *persistedQueries) Get(ctx context.Context, hash string) (string, bool) {
	if q, ok := p.bundled[hash]; ok {
		return q, true
	}
	return p.redis.Get(ctx, hash)
}

// Add keeps a query a client sent with its hash (gqlgen has checked the hash).
func (p *persistedQueries) Add(ctx context.Context, hash, query string) {
	if _, ok := p.bundled[hash]; ok {
		return
	}
	p.redis.Add(ctx, hash, query)
}

// Allowed reports whether a hash may run in the allow-list mode.
func (p *persistedQueries) Allowed(ctx context.Context, hash string) (bool, error) {
	if _, ok := p.bundled[hash]; ok {
		return true, nil
	}
	return p.redis.Allowed(ctx, hash)
}
