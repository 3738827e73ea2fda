package domain

import (
	"context"
	"strings"
	"time"
)

// PasswordHasher hashes and checks passwords.
type PasswordHasher interface {
	// Hash returns an encoded hash of pw with its own salt.
	Hash(pw string) (string, error)
	// Check reports whether pw matches the encoded hash, in constant time.
	Check(hash, pw string) bool
	// CheckNoUser spends the time of a Check for an account that does not exist, so that
	// an unknown email cannot be told from a wrong password by timing.
	CheckNoUser(pw string)
}

// TokenIssuer signs access tokens.
type TokenIssuer interface {
	// Issue returns a signed access token for the identity and when it expires.
	Issue(id Identity) (token string, expires time.Time, err error)
}

// SessionStore keeps refresh tokens. Its errors for bad tokens are UNAUTHENTICATED.
type SessionStore interface {
	// Issue starts a new session (token family) for the user and returns its first token.
	Issue(ctx context.Context, userID int64) (string, error)
	// Rotate exchanges an active refresh token for the next one of its family. A token
	// that was already rotated revokes the whole family (it was stolen or replayed).
	Rotate(ctx context.Context, token string) (userID int64, next string, err error)
	// RevokeUser ends every session of the user.
	RevokeUser(ctx context.Context, userID int64) error
}

// RateLimiter answers whether one more attempt is allowed under the named key.
type RateLimiter interface {
	// Allow takes one attempt from the key's budget. When the budget is spent it returns
	// a RATE_LIMITED *Error saying when to retry.
	Allow(ctx context.Context, key string) error
}

// UserError is a business failure of a mutation, reported to the client as data.
type UserError struct {
	Field   []string
	Message string
	Code    string
}

// UserErrorFrom converts a domain error to a user error, keeping its field and code.
func UserErrorFrom(e *Error) UserError {
	return UserError{Field: e.Field, Message: e.Message, Code: string(e.Code)}
}

// Session is what a successful sign-in yields.
type Session struct {
	User         User
	AccessToken  string
	ExpiresAt    time.Time
	RefreshToken string
}

// Accounts is the sign-up and sign-in logic, over the stores and the token machinery.
type Accounts struct {
	Users          UserStore
	Hasher         PasswordHasher
	Tokens         TokenIssuer
	Sessions       SessionStore
	LoginByAccount RateLimiter
	LoginByAddress RateLimiter
}

// Invalid credentials are one answer for an unknown email and a wrong password, so the
// API does not reveal which accounts exist.
const (
	codeInvalidCredentials = "INVALID_CREDENTIALS"
	msgInvalidCredentials  = "email or password is incorrect"
)

// Register creates a customer account and signs it in. Invalid input and a taken email
// are user errors; only infrastructure failures are errors.
func (a *Accounts) Register(ctx context.Context, u NewUser) (Session, []UserError, error) {
	u.Email = NormalizeEmail(u.Email)
	u.Name = strings.TrimSpace(u.Name)
	if u.Role == "" {
		u.Role = RoleCustomer
	}
	if errs := u.Validate("input"); len(errs) > 0 {
		out := make([]UserError, len(errs))
		for i, e := range errs {
			out[i] = UserErrorFrom(e)
		}
		return Session{}, out, nil
	}
	hash, err := a.Hasher.Hash(u.Password)
	if err != nil {
		return Session{}, nil, err
	}
	// The session is issued before the account commits: when it cannot be (Redis down),
	// no account is left behind, and the client's retry is a new registration rather than
	// EMAIL_TAKEN. A session whose account then fails to commit refers to no user and
	// expires unused.
	var s Session
	_, err = a.Users.CreateUser(ctx, u, hash, func(user User) error {
		var err error
		s, err = a.start(ctx, user)
		return err
	})
	if ErrorCode(err) == CodeConflict {
		return Session{}, []UserError{{Field: []string{"input", "email"}, Message: "an account with this email already exists", Code: "EMAIL_TAKEN"}}, nil
	}
	if err != nil {
		return Session{}, nil, err
	}
	return s, nil, nil
}

// Login checks the credentials and signs the user in. Too many attempts for the account
// or from the client address are a RATE_LIMITED error; wrong credentials a user error.
func (a *Accounts) Login(ctx context.Context, email, password, clientAddr string) (Session, []UserError, error) {
	email = NormalizeEmail(email)
	if err := a.LoginByAddress.Allow(ctx, "login:addr:"+clientAddr); err != nil {
		return Session{}, nil, err
	}
	if err := a.LoginByAccount.Allow(ctx, "login:acct:"+email); err != nil {
		return Session{}, nil, err
	}
	invalid := []UserError{{Field: []string{"input"}, Message: msgInvalidCredentials, Code: codeInvalidCredentials}}
	if ValidateEmail(email) != nil || len(password) > 4*MaxPasswordLength {
		a.Hasher.CheckNoUser(password)
		return Session{}, invalid, nil
	}
	user, err := a.Users.UserByEmail(ctx, email)
	if IsNotFound(err) {
		a.Hasher.CheckNoUser(password)
		return Session{}, invalid, nil
	}
	if err != nil {
		return Session{}, nil, err
	}
	if !a.Hasher.Check(user.PasswordHash, password) {
		return Session{}, invalid, nil
	}
	s, err := a.start(ctx, user)
	return s, nil, err
}

// Refresh exchanges a refresh token for a new access token and refresh token.
func (a *Accounts) Refresh(ctx context.Context, token string) (Session, error) {
	userID, next, err := a.Sessions.Rotate(ctx, token)
	if err != nil {
		return Session{}, err
	}
	users, err := a.Users.UsersByID(ctx, []int64{userID})
	if err != nil {
		return Session{}, err
	}
	user, ok := users[userID]
	if !ok {
		return Session{}, Errorf(CodeUnauthenticated, "invalid refresh token")
	}
	access, exp, err := a.Tokens.Issue(Identity{UserID: user.ID, Email: user.Email, Role: user.Role})
	if err != nil {
		return Session{}, err
	}
	return Session{User: user, AccessToken: access, ExpiresAt: exp, RefreshToken: next}, nil
}

// Logout ends every session of the user: no refresh token of theirs works afterwards.
// Access tokens already issued expire on their own, soon.
func (a *Accounts) Logout(ctx context.Context, userID int64) error {
	return a.Sessions.RevokeUser(ctx, userID)
}

func (a *Accounts) start(ctx context.Context, user User) (Session, error) {
	access, exp, err := a.Tokens.Issue(Identity{UserID: user.ID, Email: user.Email, Role: user.Role})
	if err != nil {
		return Session{}, err
	}
	refresh, err := a.Sessions.Issue(ctx, user.ID)
	if err != nil {
		return Session{}, err
	}
	return Session{User: user, AccessToken: access, ExpiresAt: exp, RefreshToken: refresh}, nil
}
