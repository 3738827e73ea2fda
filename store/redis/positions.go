package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// WritePositions remembers, for a short while, the database's WAL position after each
// client's latest write, so that every replica of shopgraph can keep that client's reads
// off the database replicas that have not replayed it yet (read-your-writes). Keys are
// "rw:<client>" after the client's prefix, one per client, so Cluster spreads them.
type WritePositions struct {
	c *Client
}

// NewWritePositions returns the positions kept on c.
func NewWritePositions(c *Client) *WritePositions { return &WritePositions{c: c} }

// raiseScript stores ARGV[1] unless the key holds a later position, and renews the
// key's expiry (ARGV[2] ms) either way: concurrent writes of one client leave the
// latest position, whatever order their answers arrive in.
// Positions are below 2^53 for any database that has written fewer than 8 PiB of WAL,
// so Lua's numbers compare them exactly.
var raiseScript = goredis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1`)

// Raise records that client wrote at position pos, kept for ttl unless a later write
// renews it.
func (p *WritePositions) Raise(ctx context.Context, client string, pos uint64, ttl time.Duration) error {
	if err := raiseScript.Run(ctx, p.c.RDB, []string{p.c.Key("rw", client)}, strconv.FormatUint(pos, 10), ttl.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("recording write position: %w", err)
	}
	return nil
}

// Get returns the position of client's latest write, or 0 when it wrote nothing within
// the expiry.
func (p *WritePositions) Get(ctx context.Context, client string) (uint64, error) {
	s, err := p.c.RDB.Get(ctx, p.c.Key("rw", client)).Result()
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading write position: %w", err)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("reading write position: %w", err)
	}
	return n, nil
}
