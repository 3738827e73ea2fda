package auth

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/shopgraph/shopgraph/domain"
)

// The fixed values of shopgraph's access tokens.
const (
	// Issuer is the iss claim of every access token, and the only one Verify accepts.
	Issuer = "shopgraph"
	// Audience is the aud claim of every access token, and the only one Verify accepts.
	Audience = "shopgraph"
	// MinSecretLength is the shortest HS256 key NewTokens accepts, in bytes.
	MinSecretLength = 16
	// Leeway is the clock skew Verify tolerates on exp and iat.
	Leeway = 30 * time.Second
	// DefaultTokenTTL is the lifetime of an access token when NewTokens is given zero.
	DefaultTokenTTL = 15 * time.Minute
)

// maxTokenLength bounds what Verify is willing to decode; a real token is a few hundred
// bytes, and a huge header must not cost base64 and JSON work.
const maxTokenLength = 4096

// The messages of Verify's errors. They are fixed strings so that no part of a token
// ever reaches a client or a log.
const (
	msgInvalidToken = "invalid or expired token"
	msgTokenExpired = "token expired"
)

// Tokens issues and verifies access tokens: JWTs signed with HS256 under one secret. A
// Tokens is safe for concurrent use.
type Tokens struct {
	secret []byte
	ttl    time.Duration
	parser *jwt.Parser
	// now is the clock, replaced by tests.
	now func() time.Time
}

// claims is the payload of an access token.
type claims struct {
	Email string      `json:"email"`
	Role  domain.Role `json:"role"`
	jwt.RegisteredClaims
}

// NewTokens returns a Tokens signing with secret; tokens live for ttl (DefaultTokenTTL
// when ttl is zero). It returns an error when the secret is shorter than
// MinSecretLength bytes or ttl is negative. The secret is copied.
func NewTokens(secret []byte, ttl time.Duration) (*Tokens, error) {
	if len(secret) < MinSecretLength {
		return nil, fmt.Errorf("jwt secret must be at least %d bytes, got %d", MinSecretLength, len(secret))
	}
	if ttl < 0 {
		return nil, fmt.Errorf("access token ttl must not be negative, got %s", ttl)
	}
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	t := &Tokens{
		secret: append([]byte(nil), secret...),
		ttl:    ttl,
		now:    time.Now,
	}
	t.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithLeeway(Leeway),
		jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(func() time.Time { return t.now() }),
	)
	return t, nil
}

// TTL returns how long the tokens Issue makes are valid.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Issue returns a signed access token for id and the time it expires (whole seconds, as
// in the token). It returns an error, not meant for clients, when id is not a signed-in
// user: a positive user id, an email and a valid role.
func (t *Tokens) Issue(id domain.Identity) (token string, expires time.Time, err error) {
	if id.UserID <= 0 || id.Email == "" || !id.Role.Valid() {
		return "", time.Time{}, fmt.Errorf("issuing access token: incomplete identity (user %d, role %q)", id.UserID, id.Role)
	}
	now := t.now()
	c := claims{
		Email: id.Email,
		Role:  id.Role,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   strconv.FormatInt(id.UserID, 10),
			Audience:  jwt.ClaimStrings{Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("signing access token: %w", err)
	}
	return s, c.ExpiresAt.Time, nil
}

// Verify returns the identity an access token carries. The token must be an HS256 JWT
// signed with this secret, from Issuer for Audience, with exp (not past, give or take
// Leeway), iat (not in the future), a positive decimal sub, an email and a valid role.
// Every failure is a *domain.Error with CodeUnauthenticated: "token expired" when a
// correctly signed token has expired, "invalid or expired token" otherwise. The error
// never contains the token.
func (t *Tokens) Verify(token string) (domain.Identity, error) {
	if token == "" || len(token) > maxTokenLength {
		return domain.Identity{}, invalidToken()
	}
	var c claims
	_, err := t.parser.ParseWithClaims(token, &c, func(tok *jwt.Token) (any, error) {
		// WithValidMethods already pins the algorithm; checking the type as well keeps
		// a key confusion impossible should the option ever be dropped.
		if tok.Method != jwt.SigningMethodHS256 {
			return nil, errors.New("unexpected signing method")
		}
		return t.secret, nil
	})
	if err != nil {
		// The parser checks the signature before the claims, so only a token we signed
		// can be reported as expired.
		if errors.Is(err, jwt.ErrTokenExpired) {
			return domain.Identity{}, domain.Errorf(domain.CodeUnauthenticated, msgTokenExpired)
		}
		return domain.Identity{}, invalidToken()
	}
	// WithIssuedAt checks iat only when present; a token we issued always has it.
	if c.IssuedAt == nil {
		return domain.Identity{}, invalidToken()
	}
	uid, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || uid <= 0 || strconv.FormatInt(uid, 10) != c.Subject {
		return domain.Identity{}, invalidToken()
	}
	if c.Email == "" || !c.Role.Valid() {
		return domain.Identity{}, invalidToken()
	}
	return domain.Identity{UserID: uid, Email: c.Email, Role: c.Role}, nil
}

func invalidToken() *domain.Error {
	return domain.Errorf(domain.CodeUnauthenticated, msgInvalidToken)
}
