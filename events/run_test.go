package events

import (
	"context"
	"sync"
	"testing"
	"time"
)

// stopWait is how long a test waits for a worker's Run to return once its context ended.
const stopWait = 30 * time.Second

// TestRun is a worker's Run (the relay's, the hub's, an ingester's...) running for a test
// on a goroutine of its own, until Stop or the end of the test.
type TestRun struct {
	t      testing.TB
	cancel context.CancelFunc
	ended  chan struct{}
	err    error // set before ended is closed
	once   sync.Once
}

// StartForTests runs run until the returned TestRun is stopped, which the test's cleanup
// does at the latest.
func StartForTests(t testing.TB, run func(context.Context) error) *TestRun {
	ctx, cancel := context.WithCancel(context.Background())
	r := &TestRun{t: t, cancel: cancel, ended: make(chan struct{})}
	go func() {
		defer close(r.ended)
		r.err = run(ctx)
	}()
	t.Cleanup(r.Stop)
	return r
}

// Ended is closed once Run has returned; Err then says what it returned.
func (r *TestRun) Ended() <-chan struct{} { return r.ended }

// Err returns what Run returned, once Ended is closed.
func (r *TestRun) Err() error { <-r.ended; return r.err }

// Stop ends Run's context and waits for it to return, failing the test when it returns an
// error or does not return within stopWait. Calls after the first do nothing.
func (r *TestRun) Stop() {
	r.once.Do(func() {
		r.cancel()
		select {
		case <-r.ended:
			if r.err != nil {
				r.t.Errorf("Run returned %v", r.err)
			}
		case <-time.After(stopWait):
			r.t.Errorf("Run still running %v after its context ended", stopWait)
		}
	})
}
