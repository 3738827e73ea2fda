package redis_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/redis"
	"github.com/shopgraph/shopgraph/testkit"
)

// tokenKey returns the Redis key of a refresh token: its SHA-256, never the token.
func tokenKey(t *testing.T, c *redis.Client, token string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		t.Fatalf("token %q is not base64url: %v", token, err)
	}
	sum := sha256.Sum256(b)
	return c.Key("rt", hex.EncodeToString(sum[:]))
}

func issueToken(t *testing.T, s *redis.Sessions, userID int64) string {
	t.Helper()
	tok, err := s.Issue(context.Background(), userID)
	if err != nil {
		t.Fatalf("Issue(%d): %v", userID, err)
	}
	return tok
}

func rotate(t *testing.T, s *redis.Sessions, token string, wantUser int64) string {
	t.Helper()
	uid, next, err := s.Rotate(context.Background(), token)
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if uid != wantUser {
		t.Fatalf("Rotate returned user %d, want %d", uid, wantUser)
	}
	if next == token || next == "" {
		t.Fatalf("Rotate returned token %q", next)
	}
	return next
}

// requireRefused fails unless rotating token fails with UNAUTHENTICATED.
func requireRefused(t *testing.T, s *redis.Sessions, token string) {
	t.Helper()
	uid, next, err := s.Rotate(context.Background(), token)
	if err == nil {
		t.Fatalf("Rotate succeeded (user %d), want UNAUTHENTICATED", uid)
	}
	if code := domain.ErrorCode(err); code != domain.CodeUnauthenticated {
		t.Fatalf("Rotate error %v has code %s, want UNAUTHENTICATED", err, code)
	}
	if uid != 0 || next != "" {
		t.Fatalf("Rotate returned (%d, %q) with its error", uid, next)
	}
	if token != "" && strings.Contains(err.Error(), token) {
		t.Fatal("the error echoes the token")
	}
}

func TestSessionsIssue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testkit.Redis(t)
	s := redis.NewSessions(c, time.Hour)
	tok := issueToken(t, s, 42)
	if b, err := base64.RawURLEncoding.Strict().DecodeString(tok); err != nil || len(b) != 32 {
		t.Fatalf("token %q is not 32 bytes of base64url (%v)", tok, err)
	}
	if tok2 := issueToken(t, s, 42); tok2 == tok {
		t.Fatal("two Issue calls returned one token")
	}
	got, err := c.RDB.HGetAll(ctx, tokenKey(t, c, tok)).Result()
	if err != nil {
		t.Fatal(err)
	}
	if got["uid"] != "42" || got["state"] != "active" || got["fam"] == "" {
		t.Fatalf("stored token = %v, want uid 42, a family and state active", got)
	}
	// The token itself is nowhere in Redis.
	keys, err := c.RDB.Keys(ctx, c.Key("*")).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.Contains(k, tok) {
			t.Fatalf("key %q contains the token", k)
		}
		dump, err := c.RDB.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(dump, tok) {
			t.Fatalf("value of %q contains the token", k)
		}
	}
}

func TestSessionsRotate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testkit.Redis(t)
	s := redis.NewSessions(c, time.Hour).WithReuseGrace(0)
	t1 := issueToken(t, s, 7)
	t2 := rotate(t, s, t1, 7)
	t3 := rotate(t, s, t2, 7)

	fam, err := c.RDB.HGet(ctx, tokenKey(t, c, t3), "fam").Result()
	if err != nil {
		t.Fatal(err)
	}
	if f1, _ := c.RDB.HGet(ctx, tokenKey(t, c, t1), "fam").Result(); f1 != fam {
		t.Fatalf("rotated token is in family %q, its predecessor in %q", fam, f1)
	}
	if n, _ := c.RDB.SCard(ctx, c.Key("rtfam", fam)).Result(); n != 3 {
		t.Fatalf("family has %d tokens, want 3", n)
	}
	if st, _ := c.RDB.HGet(ctx, tokenKey(t, c, t1), "state").Result(); st != "used" {
		t.Fatalf("rotated token state = %q, want used", st)
	}

	// Another session of the same user, which the replay must not touch.
	other := issueToken(t, s, 7)

	// Replaying t1 (already rotated) revokes the family: t3, the live token, too.
	requireRefused(t, s, t1)
	requireRefused(t, s, t3)
	requireRefused(t, s, t2)
	for _, tok := range []string{t1, t2, t3} {
		if n, _ := c.RDB.Exists(ctx, tokenKey(t, c, tok)).Result(); n != 0 {
			t.Fatal("a token of the revoked family is still stored")
		}
	}
	if n, _ := c.RDB.Exists(ctx, c.Key("rtfam", fam)).Result(); n != 0 {
		t.Fatal("the revoked family is still stored")
	}
	if ok, _ := c.RDB.SIsMember(ctx, c.Key("rtuser", "7"), fam).Result(); ok {
		t.Fatal("the user's set still lists the revoked family")
	}
	rotate(t, s, other, 7)
}

func TestSessionsRotateRefusesUnknown(t *testing.T) {
	t.Parallel()
	s := redis.NewSessions(testkit.Redis(t), time.Hour)
	issueToken(t, s, 1)
	unknown := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	for _, tok := range []string{"", "garbage", unknown, unknown + "A", strings.Repeat("!", 43), unknown[:42] + "_"} {
		t.Run(tok, func(t *testing.T) { requireRefused(t, s, tok) })
	}
}

func TestSessionsConcurrentRotateHasOneWinner(t *testing.T) {
	t.Parallel()
	s := redis.NewSessions(testkit.Redis(t), time.Hour).WithReuseGrace(0)
	tok := issueToken(t, s, 99)

	const n = 25
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		winners []string
		errs    []error
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			uid, next, err := s.Rotate(context.Background(), tok)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			if uid != 99 {
				t.Errorf("Rotate returned user %d, want 99", uid)
			}
			winners = append(winners, next)
		}()
	}
	close(start)
	wg.Wait()

	if len(winners) != 1 {
		t.Fatalf("%d Rotate calls succeeded, want exactly 1", len(winners))
	}
	if len(errs) != n-1 {
		t.Fatalf("%d Rotate calls failed, want %d", len(errs), n-1)
	}
	for _, err := range errs {
		if code := domain.ErrorCode(err); err == nil || code != domain.CodeUnauthenticated {
			t.Fatalf("a losing Rotate failed with %v (%s), want UNAUTHENTICATED", err, code)
		}
	}
	// The losers were replays of a rotated token, so the family is revoked, the
	// winner's new token included.
	requireRefused(t, s, winners[0])
}

func TestSessionsRevoke(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := redis.NewSessions(testkit.Redis(t), time.Hour)
	t1 := issueToken(t, s, 5)
	t2 := rotate(t, s, t1, 5)
	other := issueToken(t, s, 5)

	if err := s.Revoke(ctx, t2); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	requireRefused(t, s, t2)
	requireRefused(t, s, t1)
	rotate(t, s, other, 5)

	// Revoking again, or revoking something that never was, is not an error.
	for _, tok := range []string{t2, t1, "", "garbage", base64.RawURLEncoding.EncodeToString(make([]byte, 32))} {
		if err := s.Revoke(ctx, tok); err != nil {
			t.Fatalf("Revoke(%q): %v", tok, err)
		}
	}
}

func TestSessionsRevokeUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testkit.Redis(t)
	s := redis.NewSessions(c, time.Hour)
	a1 := issueToken(t, s, 1)
	a2 := rotate(t, s, issueToken(t, s, 1), 1)
	b := issueToken(t, s, 2)

	if err := s.RevokeUser(ctx, 1); err != nil {
		t.Fatalf("RevokeUser: %v", err)
	}
	requireRefused(t, s, a1)
	requireRefused(t, s, a2)
	rotate(t, s, b, 2)
	if n, _ := c.RDB.Exists(ctx, c.Key("rtuser", "1")).Result(); n != 0 {
		t.Fatal("the user's family set is still stored")
	}
	if err := s.RevokeUser(ctx, 1); err != nil {
		t.Fatalf("RevokeUser of a user without sessions: %v", err)
	}
	// The user can log in again.
	rotate(t, s, issueToken(t, s, 1), 1)
}

func TestSessionsIssueForgetsExpiredFamilies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testkit.Redis(t)
	s := redis.NewSessions(c, time.Hour)
	old := issueToken(t, s, 8)
	fam, err := c.RDB.HGet(ctx, tokenKey(t, c, old), "fam").Result()
	if err != nil {
		t.Fatal(err)
	}
	// The family expires (as it would after ttl without use); the user logs in again.
	if err := c.RDB.Del(ctx, c.Key("rtfam", fam), tokenKey(t, c, old)).Err(); err != nil {
		t.Fatal(err)
	}
	issueToken(t, s, 8)
	fams, err := c.RDB.SMembers(ctx, c.Key("rtuser", "8")).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(fams) != 1 || fams[0] == fam {
		t.Fatalf("user's families = %v, want only the new one", fams)
	}
}

func TestSessionsKeysExpire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testkit.Redis(t)
	const ttl = time.Hour
	s := redis.NewSessions(c, ttl)
	tok := rotate(t, s, issueToken(t, s, 3), 3)
	fam, err := c.RDB.HGet(ctx, tokenKey(t, c, tok), "fam").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{tokenKey(t, c, tok), c.Key("rtfam", fam), c.Key("rtuser", "3")} {
		d, err := c.RDB.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if d <= ttl-time.Minute || d > ttl {
			t.Errorf("TTL of %s = %s, want about %s", k, d, ttl)
		}
	}
	if got := redis.NewSessions(c, 0).TTL(); got != 30*24*time.Hour {
		t.Errorf("default TTL = %s, want 30 days", got)
	}
}

func TestSessionsTokenExpires(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testkit.Redis(t)
	s := redis.NewSessions(c, 50*time.Millisecond)
	tok := issueToken(t, s, 4)
	key := tokenKey(t, c, tok)
	waitFor(t, 5*time.Second, func() bool {
		n, err := c.RDB.Exists(ctx, key).Result()
		return err == nil && n == 0
	})
	requireRefused(t, s, tok)
}

// TestSessionsRedisDownIsUnavailable: a Redis that refuses connections makes sign-in
// SERVICE_UNAVAILABLE, never UNAUTHENTICATED (the token may be perfectly good).
func TestSessionsRedisDownIsUnavailable(t *testing.T) {
	t.Parallel()
	c, err := redis.Open(redis.Config{URL: "redis://127.0.0.1:1/0", Prefix: "down:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	s := redis.NewSessions(c, time.Hour)
	// A refused connection fails at once; the deadline only bounds a broken test.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	tok := base64.RawURLEncoding.EncodeToString(make([]byte, 32))

	_, _, err = s.Rotate(ctx, tok)
	if err == nil || domain.ErrorCode(err) != domain.CodeServiceUnavailable {
		t.Fatalf("Rotate with Redis down = %v (%s), want SERVICE_UNAVAILABLE", err, domain.ErrorCode(err))
	}
	if strings.Contains(err.Error(), tok) {
		t.Fatal("the error echoes the token")
	}
	if _, err := s.Issue(ctx, 1); err == nil || domain.ErrorCode(err) != domain.CodeServiceUnavailable {
		t.Fatalf("Issue with Redis down = %v, want SERVICE_UNAVAILABLE", err)
	}
	if err := s.Revoke(ctx, tok); err == nil || domain.ErrorCode(err) != domain.CodeServiceUnavailable {
		t.Fatalf("Revoke with Redis down = %v, want SERVICE_UNAVAILABLE", err)
	}
	if err := s.RevokeUser(ctx, 1); err == nil || domain.ErrorCode(err) != domain.CodeServiceUnavailable {
		t.Fatalf("RevokeUser with Redis down = %v, want SERVICE_UNAVAILABLE", err)
	}
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", timeout)
		}
		<-tick.C
	}
}

// TestSessionsReuseGrace: two tabs that refresh with the same token at once both stay
// signed in, each with a token of its own; the same token presented after the grace is a
// replay, and the family dies.
func TestSessionsReuseGrace(t *testing.T) {
	t.Parallel()
	// The tabs' exchanges fall within an hour's grace however busy the machine is; the
	// replay is judged by a copy with a short grace, after a wait longer than it.
	s := redis.NewSessions(testkit.Redis(t), time.Hour).WithReuseGrace(time.Hour)
	const grace = 50 * time.Millisecond
	short := s.WithReuseGrace(grace)
	t1 := issueToken(t, s, 11)

	const tabs = 5
	var wg sync.WaitGroup
	got := make([]string, tabs)
	for i := range tabs {
		wg.Go(func() {
			uid, next, err := s.Rotate(context.Background(), t1)
			if err != nil || uid != 11 {
				t.Errorf("tab %d: user %d, %v", i, uid, err)
				return
			}
			got[i] = next
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, tok := range got {
		if tok == "" || seen[tok] {
			t.Fatalf("tab %d got %q: want a token of its own", i, tok)
		}
		seen[tok] = true
	}
	// Each tab's token works, and is rotated like any other.
	next := make([]string, tabs)
	for i, tok := range got {
		next[i] = rotate(t, s, tok, 11)
	}

	// The first token, long after its first exchange: a replay. The family is revoked,
	// the tabs' tokens with it.
	time.Sleep(2 * grace) // lets the short grace run out; not a wait for a condition
	requireRefused(t, short, t1)
	for _, tok := range next {
		requireRefused(t, s, tok)
	}
}
