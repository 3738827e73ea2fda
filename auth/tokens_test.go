package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/shopgraph/shopgraph/domain"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

var alice = domain.Identity{UserID: 42, Email: "alice@example.com", Role: domain.RoleCustomer}

// newTokens returns a Tokens on testSecret whose clock is *now.
func newTokens(t *testing.T, ttl time.Duration, now *time.Time) *Tokens {
	t.Helper()
	tk, err := NewTokens(testSecret, ttl)
	if err != nil {
		t.Fatalf("NewTokens: %v", err)
	}
	if now != nil {
		tk.now = func() time.Time { return *now }
	}
	return tk
}

// issue returns a token for id, failing the test on error.
func issue(t *testing.T, tk *Tokens, id domain.Identity) string {
	t.Helper()
	tok, _, err := tk.Issue(id)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return tok
}

// sign returns a token with the given claims signed by method and key, bypassing Issue.
func sign(t *testing.T, method jwt.SigningMethod, key any, c jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, c).SignedString(key)
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	return s
}

// validClaims returns the claims Issue would write for alice at now.
func validClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"sub":   "42",
		"email": alice.Email,
		"role":  string(alice.Role),
		"iss":   Issuer,
		"aud":   Audience,
		"iat":   now.Unix(),
		"exp":   now.Add(time.Minute).Unix(),
	}
}

func b64url(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// requireUnauthenticated fails unless err is an UNAUTHENTICATED *domain.Error whose
// message does not echo the token.
func requireUnauthenticated(t *testing.T, err error, token string) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("error = %v (%T), want *domain.Error", err, err)
	}
	if de.Code != domain.CodeUnauthenticated {
		t.Fatalf("code = %s, want UNAUTHENTICATED", de.Code)
	}
	if token != "" && (strings.Contains(de.Message, token) || strings.Contains(err.Error(), token)) {
		t.Fatalf("error message echoes the token: %q", de.Message)
	}
	for _, part := range strings.Split(token, ".") {
		if len(part) > 8 && strings.Contains(de.Message, part) {
			t.Fatalf("error message echoes part of the token: %q", de.Message)
		}
	}
}

func TestNewTokensRefusesShortSecret(t *testing.T) {
	if _, err := NewTokens([]byte("too-short"), time.Minute); err == nil {
		t.Fatal("NewTokens accepted a 9-byte secret")
	}
	if _, err := NewTokens(testSecret, -time.Second); err == nil {
		t.Fatal("NewTokens accepted a negative ttl")
	}
	tk, err := NewTokens(testSecret, 0)
	if err != nil {
		t.Fatal(err)
	}
	if tk.TTL() != DefaultTokenTTL {
		t.Fatalf("TTL = %s, want the default %s", tk.TTL(), DefaultTokenTTL)
	}
}

func TestTokenRoundTrip(t *testing.T) {
	now := time.Now()
	tk := newTokens(t, 10*time.Minute, &now)
	admin := domain.Identity{UserID: 7, Email: "root@example.com", Role: domain.RoleAdmin}
	for _, id := range []domain.Identity{alice, admin} {
		tok, exp, err := tk.Issue(id)
		if err != nil {
			t.Fatalf("Issue(%+v): %v", id, err)
		}
		if want := now.Add(10 * time.Minute).Truncate(time.Second); !exp.Equal(want) {
			t.Errorf("expires = %s, want %s", exp, want)
		}
		got, err := tk.Verify(tok)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if got != id {
			t.Errorf("Verify = %+v, want %+v", got, id)
		}
	}
}

func TestTokenClaims(t *testing.T) {
	tk := newTokens(t, time.Minute, nil)
	tok := issue(t, tk, alice)
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	var header, payload map[string]any
	for i, dst := range []*map[string]any{&header, &payload} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	if header["alg"] != "HS256" {
		t.Errorf("alg = %v, want HS256", header["alg"])
	}
	for k, want := range map[string]any{"sub": "42", "email": alice.Email, "role": "CUSTOMER", "iss": "shopgraph"} {
		if payload[k] != want {
			t.Errorf("claim %s = %v, want %v", k, payload[k], want)
		}
	}
	if aud, _ := payload["aud"].([]any); len(aud) != 1 || aud[0] != "shopgraph" {
		t.Errorf("aud = %v, want [shopgraph]", payload["aud"])
	}
	iat, _ := payload["iat"].(float64)
	exp, _ := payload["exp"].(float64)
	if iat == 0 || exp-iat != 60 {
		t.Errorf("iat = %v, exp = %v, want exp = iat + 60", payload["iat"], payload["exp"])
	}
}

func TestIssueRefusesIncompleteIdentity(t *testing.T) {
	tk := newTokens(t, time.Minute, nil)
	for _, id := range []domain.Identity{
		{},
		{UserID: 0, Email: "a@example.com", Role: domain.RoleCustomer},
		{UserID: 1, Email: "", Role: domain.RoleCustomer},
		{UserID: 1, Email: "a@example.com", Role: "ROOT"},
	} {
		if _, _, err := tk.Issue(id); err == nil {
			t.Errorf("Issue(%+v) succeeded", id)
		}
	}
}

func TestTokenExpiry(t *testing.T) {
	issued := time.Now().Add(-time.Hour)
	clock := issued
	tk := newTokens(t, time.Minute, &clock)
	tok := issue(t, tk, alice)

	tests := []struct {
		name    string
		at      time.Time
		wantErr string
	}{
		{"fresh", issued, ""},
		{"just before exp", issued.Add(59 * time.Second), ""},
		{"within leeway after exp", issued.Add(time.Minute + Leeway - 2*time.Second), ""},
		{"past leeway", issued.Add(time.Minute + Leeway + 2*time.Second), msgTokenExpired},
		{"long expired", issued.Add(time.Hour), msgTokenExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock = tc.at
			_, err := tk.Verify(tok)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			requireUnauthenticated(t, err, tok)
			if err.Error() != tc.wantErr {
				t.Fatalf("message = %q, want %q", err.Error(), tc.wantErr)
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	now := time.Now()
	tk := newTokens(t, time.Minute, &now)
	good := issue(t, tk, alice)
	parts := strings.Split(good, ".")

	other, err := NewTokens([]byte("another-secret-of-32-bytes-long!"), time.Minute)
	if err != nil {
		t.Fatal(err)
	}

	// The payload of a good token with the role changed, signature kept.
	tampered := func() string {
		b, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		p["role"] = "ADMIN"
		return parts[0] + "." + b64url(t, p) + "." + parts[2]
	}()

	claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := validClaims(now)
		edit(c)
		return c
	}
	hs256 := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodHS256, testSecret, c) }

	tests := []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"garbage", "not a token"},
		{"garbage with dots", "a.b.c"},
		{"two segments", parts[0] + "." + parts[1]},
		{"oversized", strings.Repeat("a", maxTokenLength+1)},
		{"other secret", issue(t, other, alice)},
		{"alg none", b64url(t, map[string]string{"alg": "none", "typ": "JWT"}) + "." + parts[1] + "."},
		{"alg none with signature", b64url(t, map[string]string{"alg": "none", "typ": "JWT"}) + "." + parts[1] + "." + parts[2]},
		{"alg None", b64url(t, map[string]string{"alg": "None", "typ": "JWT"}) + "." + parts[1] + "."},
		{"no alg", b64url(t, map[string]string{"typ": "JWT"}) + "." + parts[1] + "." + parts[2]},
		{"HS512 with our secret", sign(t, jwt.SigningMethodHS512, testSecret, validClaims(now))},
		{"HS384 with our secret", sign(t, jwt.SigningMethodHS384, testSecret, validClaims(now))},
		{"RS256 header, HS256 signature", b64url(t, map[string]string{"alg": "RS256", "typ": "JWT"}) + "." + parts[1] + "." + parts[2]},
		{"HS512 header, HS256 signature", b64url(t, map[string]string{"alg": "HS512", "typ": "JWT"}) + "." + parts[1] + "." + parts[2]},
		{"tampered role", tampered},
		{"truncated signature", good[:len(good)-4]},
		{"wrong audience", hs256(claims(func(c jwt.MapClaims) { c["aud"] = "someone-else" }))},
		{"no audience", hs256(claims(func(c jwt.MapClaims) { delete(c, "aud") }))},
		{"wrong issuer", hs256(claims(func(c jwt.MapClaims) { c["iss"] = "evil" }))},
		{"no issuer", hs256(claims(func(c jwt.MapClaims) { delete(c, "iss") }))},
		{"no exp", hs256(claims(func(c jwt.MapClaims) { delete(c, "exp") }))},
		{"no iat", hs256(claims(func(c jwt.MapClaims) { delete(c, "iat") }))},
		{"iat in the future", hs256(claims(func(c jwt.MapClaims) {
			c["iat"] = now.Add(5 * time.Minute).Unix()
			c["exp"] = now.Add(10 * time.Minute).Unix()
		}))},
		{"no sub", hs256(claims(func(c jwt.MapClaims) { delete(c, "sub") }))},
		{"non-numeric sub", hs256(claims(func(c jwt.MapClaims) { c["sub"] = "alice" }))},
		{"zero sub", hs256(claims(func(c jwt.MapClaims) { c["sub"] = "0" }))},
		{"negative sub", hs256(claims(func(c jwt.MapClaims) { c["sub"] = "-42" }))},
		{"padded sub", hs256(claims(func(c jwt.MapClaims) { c["sub"] = "042" }))},
		{"no email", hs256(claims(func(c jwt.MapClaims) { delete(c, "email") }))},
		{"unknown role", hs256(claims(func(c jwt.MapClaims) { c["role"] = "ROOT" }))},
		{"lower-case role", hs256(claims(func(c jwt.MapClaims) { c["role"] = "admin" }))},
		{"no role", hs256(claims(func(c jwt.MapClaims) { delete(c, "role") }))},
		{"numeric role", hs256(claims(func(c jwt.MapClaims) { c["role"] = 1 }))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := tk.Verify(tc.token)
			requireUnauthenticated(t, err, tc.token)
			if err.Error() != msgInvalidToken {
				t.Errorf("message = %q, want %q", err.Error(), msgInvalidToken)
			}
			if id != (domain.Identity{}) {
				t.Errorf("Verify returned identity %+v with its error", id)
			}
		})
	}
}

func TestVerifyExpiredWithOtherSecretIsNotReportedExpired(t *testing.T) {
	past := time.Now().Add(-time.Hour)
	other, err := NewTokens([]byte("another-secret-of-32-bytes-long!"), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	other.now = func() time.Time { return past }
	tok := issue(t, other, alice)
	_, err = newTokens(t, time.Minute, nil).Verify(tok)
	requireUnauthenticated(t, err, tok)
	if err.Error() != msgInvalidToken {
		t.Fatalf("message = %q, want %q: expiry must not be reported before the signature is checked", err.Error(), msgInvalidToken)
	}
}
