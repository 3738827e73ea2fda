package redis

import (
	"context"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// CommandObserver is told how long each command took, by its lower-case name (get,
// evalsha, ...), or "pipeline" for a pipeline or transaction sent as one. err is the
// command's error, if any; a missing key (redis.Nil) is not one. It is called on the
// caller's goroutine and must be quick.
type CommandObserver func(command string, d time.Duration, err error)

// Observe has every command of c timed by observe. It must be called before c is used:
// adding a hook while commands run is a data race.
func (c *Client) Observe(observe CommandObserver) {
	c.RDB.AddHook(timingHook{observe})
}

// timingHook is the go-redis hook behind Observe.
type timingHook struct{ observe CommandObserver }

func (h timingHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h timingHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		h.observe(cmd.Name(), time.Since(start), ignoreNil(err))
		return err
	}
}

func (h timingHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		h.observe("pipeline", time.Since(start), ignoreNil(err))
		return err
	}
}

// ignoreNil drops redis.Nil, the answer for a missing key, which is no failure.
func ignoreNil(err error) error {
	if errors.Is(err, goredis.Nil) {
		return nil
	}
	return err
}
