package testkit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReplicaURL is the streaming replica of PostgresURL's server that the read-replica tests
// use: scripts/services.sh postgres-replica-start runs it on port 5433. A test reaches its
// own database there by the same name (physical replication copies every database).
func ReplicaURL() string {
	return Env("TEST_DATABASE_REPLICA_URL", "postgres://shopgraph:shopgraph@127.0.0.1:5433/shopgraph?sslmode=disable")
}

// replicaLockFile serialises, across test processes (one per package), the tests that
// stop the replica against the tests that need it up: the first take the lock
// exclusively, the others shared.
const replicaLockFile = "/tmp/shopgraph-test-replica.lock"

// replicaReplayTimeout bounds how long the replica may take to replay a test database's
// creation (a copy of the template, some tens of megabytes of WAL).
const replicaReplayTimeout = 2 * time.Minute

// ServicesScript returns the path of scripts/services.sh in this checkout.
func ServicesScript() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "scripts", "services.sh")
}

// Services runs scripts/services.sh with args (such as "postgres-replica-start") and
// returns its combined output.
func Services(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "bash", append([]string{ServicesScript()}, args...)...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("services.sh %v: %w: %s", args, err, out)
	}
	return string(out), nil
}

var replicaStarted struct {
	mu sync.Mutex
	ok bool
}

// startReplica starts the replica through the services script unless it answers.
func startReplica(ctx context.Context) error {
	replicaStarted.mu.Lock()
	defer replicaStarted.mu.Unlock()
	if c, err := pgx.Connect(ctx, ReplicaURL()); err == nil {
		_ = c.Close(ctx)
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("the replica on %s does not answer, and starting it needs root", ReplicaURL())
	}
	_, err := Services(ctx, "postgres-replica-start")
	return err
}

// Replica returns the URL of the test's database (dbURL, from Postgres) on the streaming
// replica, once the replica has replayed the database's creation. It starts the replica
// through scripts/services.sh when it does not answer, and skips the test, saying why,
// when it cannot. The replica stays up until the test ends (tests that stop it wait).
func Replica(t testing.TB, dbURL string) string {
	t.Helper()
	lockReplica(t, syscall.LOCK_SH)
	return replicaFor(t, dbURL)
}

// StoppableReplica is Replica for a test that stops the replica: it waits until no
// other test uses the replica, keeps the others waiting until it ends, and restarts
// the replica when it ends, whatever happened. stop stops the replica (pg_ctl stop -m
// fast: sessions are cut at once); start starts it again.
func StoppableReplica(t testing.TB, dbURL string) (url string, stop, start func() error) {
	t.Helper()
	lockReplica(t, syscall.LOCK_EX)
	url = replicaFor(t, dbURL)
	run := func(cmd string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_, err := Services(ctx, cmd)
		return err
	}
	t.Cleanup(func() {
		if err := run("postgres-replica-start"); err != nil {
			t.Errorf("testkit: restarting the replica: %v", err)
		}
	})
	return url, func() error { return run("postgres-replica-stop") }, func() error { return run("postgres-replica-start") }
}

// lockReplica takes the cross-process replica lock in mode until the test ends.
func lockReplica(t testing.TB, mode int) {
	t.Helper()
	f, err := os.OpenFile(replicaLockFile, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("testkit: opening %s: %v", replicaLockFile, err)
	}
	if err := syscall.Flock(int(f.Fd()), mode); err != nil {
		f.Close()
		t.Fatalf("testkit: locking %s: %v", replicaLockFile, err)
	}
	t.Cleanup(func() { f.Close() }) // closing releases the lock
}

func replicaFor(t testing.TB, dbURL string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replicaReplayTimeout)
	defer cancel()
	if err := startReplica(ctx); err != nil {
		t.Skipf("testkit: no streaming replica (scripts/services.sh postgres-replica-start): %v", err)
	}
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatalf("testkit: parsing %s: %v", dbURL, err)
	}
	url := withDatabase(t, ReplicaURL(), cfg.Database)
	// The database exists on the replica once the replica has replayed its creation.
	for {
		c, err := pgx.Connect(ctx, url)
		if err == nil {
			_ = c.Close(ctx)
			return url
		}
		select {
		case <-ctx.Done():
			t.Fatalf("testkit: database %s not on the replica after %s: %v", cfg.Database, replicaReplayTimeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
