package redis

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/shopgraph/shopgraph/domain"
)

// DefaultSessionTTL is how long a refresh token lives when NewSessions is given zero.
const DefaultSessionTTL = 30 * 24 * time.Hour

// DefaultReuseGrace is how long a rotated refresh token may still be exchanged when
// NewSessions is used as it is: two tabs of one browser that refresh at the same moment
// both present the same token, and the second must not log the user out. Within the
// grace a second exchange gets a token of its own in the same family; after it, the
// exchange is a replay and revokes the family. (Okta calls it the grace period for token
// rotation, Auth0 the reuse interval.)
const DefaultReuseGrace = 10 * time.Second

// refreshTokenBytes is the entropy of a refresh token.
const refreshTokenBytes = 32

// msgInvalidRefresh is the one message of every refused refresh token, replayed or
// unknown alike, so that a client learns nothing about which it was.
const msgInvalidRefresh = "invalid or expired refresh token"

// Sessions keeps refresh tokens in Redis, in families: logging in starts a family, and
// each refresh replaces the family's token with a new one. Presenting a token that was
// already replaced, after the reuse grace (DefaultReuseGrace), means it was copied, so
// the whole family is revoked, which logs out the thief and the user alike (the user
// logs in again). Within the grace it is taken for the same client refreshing twice at
// once, and exchanged for a token of its own in the family.
//
// Redis holds only the SHA-256 of each token, never the token itself:
//
//	rt:<sha256 hex>   hash {uid, fam, state: active|used, used: ms since the epoch}
//	rtfam:<family>    set of the family's token hashes
//	rtuser:<user id>  set of the user's families
//
// Every key expires ttl after it was last written, so an idle session ends by itself.
// The scripts touch keys they compute from stored values, which a single Redis (or a
// Sentinel set) allows but Redis Cluster does not.
//
// A Sessions is safe for concurrent use.
type Sessions struct {
	c     *Client
	ttl   time.Duration
	grace time.Duration
}

// NewSessions returns refresh-token sessions on c whose tokens live for ttl
// (DefaultSessionTTL when ttl is zero or negative).
func NewSessions(c *Client, ttl time.Duration) *Sessions {
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	return &Sessions{c: c, ttl: ttl, grace: DefaultReuseGrace}
}

// WithReuseGrace returns a copy of s whose rotated tokens may be exchanged again for d
// (none when d is zero or negative) before an exchange counts as a replay.
func (s *Sessions) WithReuseGrace(d time.Duration) *Sessions {
	c := *s
	c.grace = max(d, 0)
	return &c
}

// TTL returns how long a refresh token lives.
func (s *Sessions) TTL() time.Duration { return s.ttl }

// revokeFamilyLua defines revoke_family(prefix, fam, uid): it deletes every token of the
// family and the family itself, and forgets the family in the user's set.
const revokeFamilyLua = `
local function revoke_family(prefix, fam, uid)
  local famKey = prefix .. 'rtfam:' .. fam
  local members = redis.call('SMEMBERS', famKey)
  for i = 1, #members do
    redis.call('DEL', prefix .. 'rt:' .. members[i])
  end
  redis.call('DEL', famKey)
  if uid then
    redis.call('SREM', prefix .. 'rtuser:' .. uid, fam)
  end
end
`

// issueScript stores a new active token in a new family.
// KEYS[1] rt:<hash>, KEYS[2] rtfam:<fam>, KEYS[3] rtuser:<uid>.
// ARGV: hash, fam, uid, ttl in ms, prefix.
// Families of the user that have expired are dropped from the user's set on the way, so
// that the set of a user who logs in every day does not grow for ever.
var issueScript = goredis.NewScript(`
local hash, fam, uid, ttl, prefix = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local fams = redis.call('SMEMBERS', KEYS[3])
for i = 1, #fams do
  if redis.call('EXISTS', prefix .. 'rtfam:' .. fams[i]) == 0 then
    redis.call('SREM', KEYS[3], fams[i])
  end
end
redis.call('HSET', KEYS[1], 'uid', uid, 'fam', fam, 'state', 'active')
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('SADD', KEYS[2], hash)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('SADD', KEYS[3], fam)
redis.call('PEXPIRE', KEYS[3], ttl)
return 1
`)

// rotateScript replaces an active token by a new one of its family; a token replaced
// less than the grace ago gets a new one of the family too (it stays used, its grace
// running from its first exchange); one replaced earlier revokes its family.
// KEYS[1] rt:<old hash>, KEYS[2] rt:<new hash>. ARGV: new hash, ttl in ms, prefix, grace
// in ms. It returns {1, uid} on success, {0} for an unknown token, {-1} for a replay.
var rotateScript = goredis.NewScript(revokeFamilyLua + `
local newHash, ttl, prefix, grace = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local t = redis.call('HMGET', KEYS[1], 'uid', 'fam', 'state', 'used')
local uid, fam, state, used = t[1], t[2], t[3], tonumber(t[4])
if not uid or not fam then
  return {0}
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
if state ~= 'active' and not (used and now - used < grace) then
  revoke_family(prefix, fam, uid)
  return {-1}
end
local famKey = prefix .. 'rtfam:' .. fam
local userKey = prefix .. 'rtuser:' .. uid
if state == 'active' then
  redis.call('HSET', KEYS[1], 'state', 'used', 'used', now)
end
redis.call('HSET', KEYS[2], 'uid', uid, 'fam', fam, 'state', 'active')
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('SADD', famKey, newHash)
redis.call('PEXPIRE', famKey, ttl)
redis.call('SADD', userKey, fam)
redis.call('PEXPIRE', userKey, ttl)
return {1, uid}
`)

// revokeScript revokes the family of a token. KEYS[1] rt:<hash>. ARGV: prefix.
// It returns 1 when a family was revoked, 0 for an unknown token.
var revokeScript = goredis.NewScript(revokeFamilyLua + `
local t = redis.call('HMGET', KEYS[1], 'uid', 'fam')
if not t[1] or not t[2] then
  return 0
end
revoke_family(ARGV[1], t[2], t[1])
return 1
`)

// revokeUserScript revokes every family of a user. KEYS[1] rtuser:<uid>. ARGV: prefix.
// It returns the number of families it found.
var revokeUserScript = goredis.NewScript(revokeFamilyLua + `
local fams = redis.call('SMEMBERS', KEYS[1])
for i = 1, #fams do
  revoke_family(ARGV[1], fams[i], nil)
end
redis.call('DEL', KEYS[1])
return #fams
`)

// Issue starts a new session family for the user and returns its first refresh token:
// 32 random bytes, base64url without padding. Only the token's hash is stored. Errors
// are internal (Redis down, no randomness).
func (s *Sessions) Issue(ctx context.Context, userID int64) (token string, err error) {
	if userID <= 0 {
		return "", fmt.Errorf("issuing refresh token: invalid user id %d", userID)
	}
	token, hash, err := newRefreshToken()
	if err != nil {
		return "", fmt.Errorf("issuing refresh token: %w", err)
	}
	fam, err := randomHex(16)
	if err != nil {
		return "", fmt.Errorf("issuing refresh token: %w", err)
	}
	uid := strconv.FormatInt(userID, 10)
	keys := []string{s.c.Key("rt", hash), s.c.Key("rtfam", fam), s.c.Key("rtuser", uid)}
	if err := issueScript.Run(ctx, s.c.RDB, keys, hash, fam, uid, s.ttl.Milliseconds(), s.c.prefix).Err(); err != nil {
		return "", sessionsUnavailable(ctx, "issuing refresh token", err)
	}
	return token, nil
}

// Rotate exchanges an active refresh token for a new one of the same family and returns
// the token's user. The check and the exchange are one atomic step. Within the reuse
// grace of its first exchange a token is exchanged again, for another new token of the
// family (concurrent Rotate calls with one token all succeed, each with a token of its
// own); without a grace exactly one of them succeeds.
//
// A token that was rotated longer ago than the grace is a replay: Rotate revokes its
// whole family (the tokens its exchanges returned stop working too) and returns an
// UNAUTHENTICATED error. An unknown, malformed, expired or revoked token is UNAUTHENTICATED as well,
// with the same message. Redis failures are internal errors, never UNAUTHENTICATED.
func (s *Sessions) Rotate(ctx context.Context, token string) (userID int64, newToken string, err error) {
	hash, ok := hashRefreshToken(token)
	if !ok {
		return 0, "", domain.Errorf(domain.CodeUnauthenticated, msgInvalidRefresh)
	}
	newToken, newHash, err := newRefreshToken()
	if err != nil {
		return 0, "", fmt.Errorf("rotating refresh token: %w", err)
	}
	keys := []string{s.c.Key("rt", hash), s.c.Key("rt", newHash)}
	res, err := rotateScript.Run(ctx, s.c.RDB, keys, newHash, s.ttl.Milliseconds(), s.c.prefix, s.grace.Milliseconds()).Slice()
	if err != nil {
		return 0, "", sessionsUnavailable(ctx, "rotating refresh token", err)
	}
	status, _ := res[0].(int64)
	if status != 1 {
		// 0: unknown; -1: replay, and the family is gone.
		return 0, "", domain.Errorf(domain.CodeUnauthenticated, msgInvalidRefresh)
	}
	if len(res) != 2 {
		return 0, "", fmt.Errorf("rotating refresh token: unexpected script result %v", res)
	}
	uid, _ := res[1].(string)
	userID, err = strconv.ParseInt(uid, 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("rotating refresh token: stored user id %q: %w", uid, err)
	}
	return userID, newToken, nil
}

// Revoke ends the session the token belongs to (logout): every token of its family stops
// working. An unknown, malformed or already revoked token is not an error. Errors are
// internal.
func (s *Sessions) Revoke(ctx context.Context, token string) error {
	hash, ok := hashRefreshToken(token)
	if !ok {
		return nil
	}
	if err := revokeScript.Run(ctx, s.c.RDB, []string{s.c.Key("rt", hash)}, s.c.prefix).Err(); err != nil {
		return sessionsUnavailable(ctx, "revoking refresh token", err)
	}
	return nil
}

// RevokeUser ends every session of the user (logout everywhere, password change,
// account lock). Errors are internal.
func (s *Sessions) RevokeUser(ctx context.Context, userID int64) error {
	key := s.c.Key("rtuser", strconv.FormatInt(userID, 10))
	if err := revokeUserScript.Run(ctx, s.c.RDB, []string{key}, s.c.prefix).Err(); err != nil {
		return sessionsUnavailable(ctx, fmt.Sprintf("revoking sessions of user %d", userID), err)
	}
	return nil
}

// newRefreshToken returns a fresh token and its storage hash.
func newRefreshToken() (token, hash string, err error) {
	b := make([]byte, refreshTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("reading random bytes: %w", err)
	}
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(b), hex.EncodeToString(sum[:]), nil
}

// hashRefreshToken returns the storage hash of a token; ok is false when the token is
// not one newRefreshToken could have made.
func hashRefreshToken(token string) (hash string, ok bool) {
	if len(token) != base64.RawURLEncoding.EncodedLen(refreshTokenBytes) {
		return "", false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(b) != refreshTokenBytes {
		return "", false
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), true
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// sessionsUnavailable reports a Redis that cannot be reached as SERVICE_UNAVAILABLE (sign-in
// cannot complete without it), keeping the cause for the logs; other failures stay
// internal.
func sessionsUnavailable(ctx context.Context, op string, err error) error {
	var reply goredis.Error
	if ctx.Err() != nil || (errors.As(err, &reply) && !refusesService(err)) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%w: %s: %w", domain.Errorf(domain.CodeServiceUnavailable, "sign-in is unavailable right now; try again shortly"), op, err)
}
