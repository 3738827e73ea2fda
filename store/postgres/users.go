package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/domain"
)

// UserStore keeps accounts.
type UserStore struct {
	db *DB
}

var _ domain.UserStore = (*UserStore)(nil)

// NewUserStore returns a UserStore over db.
func NewUserStore(db *DB) *UserStore { return &UserStore{db: db} }

const userColumns = `id, email, name, role, password_hash, created_at`

type userRow struct {
	id                          int64
	email, name, role, password string
	createdAt                   time.Time
}

func (r *userRow) dest() []any {
	return []any{&r.id, &r.email, &r.name, &r.role, &r.password, &r.createdAt}
}

func toDomainUser(r userRow) domain.User {
	return domain.User{ID: r.id, Email: r.email, Name: r.name, Role: domain.Role(r.role), PasswordHash: r.password, CreatedAt: r.createdAt}
}

// CreateUser stores the account and its user.registered event in one transaction, and
// runs beforeCommit (when not nil) in it, last.
func (s *UserStore) CreateUser(ctx context.Context, u domain.NewUser, passwordHash string, beforeCommit func(domain.User) error) (domain.User, error) {
	var out domain.User
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var r userRow
		err := tx.QueryRow(ctx, `INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, $3, $4)
			RETURNING `+userColumns, domain.NormalizeEmail(u.Email), u.Name, string(u.Role), passwordHash).Scan(r.dest()...)
		if err != nil {
			return translate(err, "user")
		}
		out = toDomainUser(r)
		if err := WriteOutbox(ctx, tx, domain.Event{
			Type: domain.EventUserRegistered, Key: strconv.FormatInt(out.ID, 10), At: out.CreatedAt,
			Data: domain.UserEventData{UserID: out.ID, Email: out.Email, Role: out.Role},
		}); err != nil {
			return err
		}
		if beforeCommit != nil {
			return beforeCommit(out)
		}
		return nil
	})
	if err != nil { // beforeCommit's domain errors pass through translateTx as they are
		return domain.User{}, translateTx(err, "creating user")
	}
	return out, nil
}

// UserByEmail returns the account with the email, or a NOT_FOUND error.
func (s *UserStore) UserByEmail(ctx context.Context, email string) (domain.User, error) {
	var r userRow
	err := s.db.Pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, domain.NormalizeEmail(email)).Scan(r.dest()...)
	if err != nil {
		return domain.User{}, translate(err, "user")
	}
	return toDomainUser(r), nil
}

// UsersByID returns the accounts with the given ids.
func (s *UserStore) UsersByID(ctx context.Context, ids []int64) (map[int64]domain.User, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, translate(err, "users by id")
	}
	out := make(map[int64]domain.User, len(ids))
	var r userRow
	_, err = pgx.ForEachRow(rows, r.dest(), func() error {
		out[r.id] = toDomainUser(r)
		return nil
	})
	if err != nil {
		return nil, translate(err, "users by id")
	}
	return out, nil
}
