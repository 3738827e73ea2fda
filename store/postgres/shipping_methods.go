package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/domain"
)

// ShippingMethodStore keeps the shipping methods.
type ShippingMethodStore struct {
	db *DB
}

var _ domain.ShippingMethodStore = (*ShippingMethodStore)(nil)

// NewShippingMethodStore returns a ShippingMethodStore over db.
func NewShippingMethodStore(db *DB) *ShippingMethodStore { return &ShippingMethodStore{db: db} }

const shippingMethodColumns = `m.id, m.name, m.price_minor, m.rates, coalesce(m.free_over_minor, 0), m.countries, m.min_days, m.max_days`

type shippingMethodRow struct {
	m     domain.ShippingMethod
	rates []byte
}

func (r *shippingMethodRow) dest() []any {
	return []any{&r.m.ID, &r.m.Name, &r.m.Price, &r.rates, &r.m.FreeOver, &r.m.Countries, &r.m.MinDays, &r.m.MaxDays}
}

func toDomainShippingMethod(r shippingMethodRow) (domain.ShippingMethod, error) {
	m := r.m
	m.Countries = slices.Clone(m.Countries)
	m.Rates = []domain.ShippingRate{}
	if err := json.Unmarshal(r.rates, &m.Rates); err != nil {
		return m, fmt.Errorf("decoding rates of shipping method %d: %w", m.ID, err)
	}
	return m, nil
}

func fromDomainShippingMethod(m domain.ShippingMethod) (rates []byte, freeOver *int64, countries []string, err error) {
	if m.Rates == nil {
		m.Rates = []domain.ShippingRate{}
	}
	rates, err = json.Marshal(m.Rates)
	if m.FreeOver > 0 {
		freeOver = &m.FreeOver
	}
	countries = m.Countries
	if countries == nil {
		countries = []string{}
	}
	return rates, freeOver, countries, err
}

func scanShippingMethod(row pgx.Row) (domain.ShippingMethod, error) {
	var r shippingMethodRow
	if err := row.Scan(r.dest()...); err != nil {
		return domain.ShippingMethod{}, translate(err, "shipping method")
	}
	return toDomainShippingMethod(r)
}

// CreateShippingMethod stores a validated method.
func (s *ShippingMethodStore) CreateShippingMethod(ctx context.Context, m domain.ShippingMethod) (domain.ShippingMethod, error) {
	rates, freeOver, countries, err := fromDomainShippingMethod(m)
	if err != nil {
		return domain.ShippingMethod{}, fmt.Errorf("encoding rates: %w", err)
	}
	return scanShippingMethod(s.db.Pool.QueryRow(ctx, `INSERT INTO shipping_methods AS m (name, price_minor, rates, free_over_minor, countries, min_days, max_days)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+shippingMethodColumns, m.Name, m.Price, rates, freeOver, countries, m.MinDays, m.MaxDays))
}

// UpdateShippingMethod replaces a live method's settings.
func (s *ShippingMethodStore) UpdateShippingMethod(ctx context.Context, m domain.ShippingMethod) (domain.ShippingMethod, error) {
	rates, freeOver, countries, err := fromDomainShippingMethod(m)
	if err != nil {
		return domain.ShippingMethod{}, fmt.Errorf("encoding rates: %w", err)
	}
	return scanShippingMethod(s.db.Pool.QueryRow(ctx, `UPDATE shipping_methods m SET name = $2, price_minor = $3, rates = $4,
			free_over_minor = $5, countries = $6, min_days = $7, max_days = $8, updated_at = now()
		WHERE m.id = $1 AND m.deleted_at IS NULL RETURNING `+shippingMethodColumns, m.ID, m.Name, m.Price, rates, freeOver, countries, m.MinDays, m.MaxDays))
}

// DeleteShippingMethod retires a live method.
func (s *ShippingMethodStore) DeleteShippingMethod(ctx context.Context, id int64) error {
	tag, err := s.db.Pool.Exec(ctx, `UPDATE shipping_methods SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL`, id)
	if err != nil {
		return translate(err, "deleting shipping method")
	}
	if tag.RowsAffected() == 0 {
		return domain.Errorf(domain.CodeNotFound, "shipping method not found")
	}
	return nil
}

// ShippingMethods returns the live methods by id.
func (s *ShippingMethodStore) ShippingMethods(ctx context.Context) ([]domain.ShippingMethod, error) {
	return liveShippingMethods(ctx, s.db.Pool)
}

func liveShippingMethods(ctx context.Context, q querier) ([]domain.ShippingMethod, error) {
	rows, err := q.Query(ctx, `SELECT `+shippingMethodColumns+` FROM shipping_methods m WHERE m.deleted_at IS NULL ORDER BY m.id`)
	if err != nil {
		return nil, translate(err, "reading shipping methods")
	}
	out := []domain.ShippingMethod{}
	var r shippingMethodRow
	if _, err := pgx.ForEachRow(rows, r.dest(), func() error {
		m, err := toDomainShippingMethod(r)
		out = append(out, m)
		return err
	}); err != nil {
		return nil, translate(err, "reading shipping methods")
	}
	return out, nil
}
