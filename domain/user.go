package domain

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a signed-in user may do.
type Role string

// The roles. A guest has no role and no identity.
const (
	RoleCustomer Role = "CUSTOMER"
	RoleAdmin    Role = "ADMIN"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleCustomer || r == RoleAdmin }

// User is an account of the shop.
type User struct {
	ID           int64
	Email        string
	Name         string
	Role         Role
	PasswordHash string
	CreatedAt    time.Time
}

// Identity is who is making a request: the signed-in user, as the access token (or a
// trusted gateway) says.
type Identity struct {
	UserID int64
	Email  string
	Role   Role
}

// IsAdmin reports whether the identity has the ADMIN role.
func (i Identity) IsAdmin() bool { return i.Role == RoleAdmin }

type identityKey struct{}

// WithIdentity returns a copy of ctx carrying the caller's identity.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the caller's identity; ok is false for a guest.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// Limits on account fields.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 128
	MaxNameLength     = 100
	MaxEmailLength    = 254
)

// NewUser is what registering an account takes.
type NewUser struct {
	Email    string
	Password string
	Name     string
	Role     Role
}

// NormalizeEmail lower-cases and trims an email address so that look-ups ignore case.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Validate returns the problems of u as BAD_USER_INPUT errors, one per field, with the
// field paths under the given input name.
func (u NewUser) Validate(input string) []*Error {
	var errs []*Error
	if err := ValidateEmail(u.Email); err != nil {
		errs = append(errs, FieldError([]string{input, "email"}, "%s", err.Message))
	}
	n := utf8.RuneCountInString(u.Password)
	switch {
	case n < MinPasswordLength:
		errs = append(errs, FieldError([]string{input, "password"}, "password must be at least %d characters", MinPasswordLength))
	case n > MaxPasswordLength:
		errs = append(errs, FieldError([]string{input, "password"}, "password must be at most %d characters", MaxPasswordLength))
	}
	name := strings.TrimSpace(u.Name)
	switch {
	case name == "":
		errs = append(errs, FieldError([]string{input, "name"}, "name must not be empty"))
	case utf8.RuneCountInString(name) > MaxNameLength || !utf8.ValidString(name) || strings.ContainsRune(name, 0):
		errs = append(errs, FieldError([]string{input, "name"}, "name must be at most %d characters of text", MaxNameLength))
	}
	if !u.Role.Valid() {
		errs = append(errs, FieldError([]string{input, "role"}, "unknown role"))
	}
	return errs
}

// ValidateEmail returns a BAD_USER_INPUT error when email is not a plain address.
func ValidateEmail(email string) *Error {
	e := strings.TrimSpace(email)
	if e == "" || len(e) > MaxEmailLength || strings.ContainsRune(e, 0) {
		return Errorf(CodeBadUserInput, "email must be a valid address")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		return Errorf(CodeBadUserInput, "email must be a valid address")
	}
	return nil
}

// UserStore keeps accounts.
type UserStore interface {
	// CreateUser stores a new account with an already hashed password and writes the
	// user.registered event in the same transaction. It returns a CONFLICT error when the
	// email is taken. When beforeCommit is not nil it is called with the new account
	// inside the transaction, and an error from it rolls the account back: what must
	// succeed for the account to exist (its first session) runs there.
	CreateUser(ctx context.Context, u NewUser, passwordHash string, beforeCommit func(User) error) (User, error)
	// UserByEmail returns the account with the (normalized) email, or a NOT_FOUND error.
	UserByEmail(ctx context.Context, email string) (User, error)
	// UsersByID returns the accounts with the given ids; unknown ids are absent.
	UsersByID(ctx context.Context, ids []int64) (map[int64]User, error)
}
