package api

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestWSSetupsBoundsWorkers: set-ups beyond the cap wait in the queue, not on goroutines
// of their own; every one runs, never more than the cap at once, and a set-up added after
// the queue emptied starts a worker again.
func TestWSSetupsBoundsWorkers(t *testing.T) {
	t.Parallel()
	const max, n = 3, 20
	q := newWSSetups(max)
	release := make(chan struct{})
	var running, peak atomic.Int32
	var done sync.WaitGroup
	done.Add(n)
	for i := range n {
		q.add(func() {
			defer done.Done()
			r := running.Add(1)
			for p := peak.Load(); r > p && !peak.CompareAndSwap(p, r); p = peak.Load() {
			}
			if i < max {
				<-release // the first workers hold on until every set-up is queued
			}
			running.Add(-1)
		})
	}
	if waiting, workers := q.state(); waiting != n-max || workers != max {
		t.Fatalf("with %d set-ups held: %d waiting on %d workers, want %d on %d", max, waiting, workers, n-max, max)
	}
	close(release)
	waitGroup(t, &done)
	if p := peak.Load(); p > max {
		t.Errorf("%d set-ups ran at once, want at most %d", p, max)
	}
	// The workers end once the queue is empty (just after their last set-up returned).
	for deadline := time.Now().Add(10 * time.Second); ; {
		waiting, workers := q.state()
		if waiting == 0 && workers == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the set-ups: %d waiting on %d workers, want none", waiting, workers)
		}
		time.Sleep(time.Millisecond)
	}
	ran := make(chan struct{})
	q.add(func() { close(ran) })
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("a set-up added after the queue emptied did not run")
	}
}

// TestWSSetupsInOrder: queued set-ups run in the order they came, also across the
// queue's compaction, and set-ups added while the queue drains join its end.
func TestWSSetupsInOrder(t *testing.T) {
	t.Parallel()
	const n = 3000
	q := newWSSetups(1)
	release := make(chan struct{})
	var order []int // only the one worker appends
	var done sync.WaitGroup
	done.Add(n + 1)
	for i := range n {
		q.add(func() {
			defer done.Done()
			if i == 0 {
				<-release
			}
			if i == n/2 {
				q.add(func() { defer done.Done(); order = append(order, n) })
			}
			order = append(order, i)
		})
	}
	close(release)
	waitGroup(t, &done)
	want := make([]int, n+1)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(order, want) {
		t.Errorf("set-ups ran out of order: %d of %d, first difference at %d", len(order), n+1, firstDifference(order, want))
	}
}

func firstDifference(a, b []int) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// state is how many set-ups wait, and on how many workers.
func (q *wsSetups) state() (waiting, workers int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.queue) - q.head, q.running
}

func waitGroup(t *testing.T, wg *sync.WaitGroup) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("set-ups did not all run")
	}
}
