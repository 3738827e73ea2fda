package postgres

import (
	"context"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/shopgraph/shopgraph/domain"
)

// WarehouseStore keeps the warehouses and reads stock per warehouse (migration 00022).
type WarehouseStore struct {
	db *DB
}

var _ domain.WarehouseStore = (*WarehouseStore)(nil)

// NewWarehouseStore returns a WarehouseStore over db.
func NewWarehouseStore(db *DB) *WarehouseStore { return &WarehouseStore{db: db} }

const warehouseColumns = `w.id, w.code, w.name, w.city, w.country_code, w.ships_to, w.priority, w.is_default, w.retired_at IS NULL, w.created_at`

// warehouseOrder is the allocation order, retired warehouses last.
const warehouseOrder = `w.retired_at IS NOT NULL, w.priority, w.id`

func warehouseDest(w *domain.Warehouse) []any {
	return []any{&w.ID, &w.Code, &w.Name, &w.City, &w.CountryCode, &w.ShipsTo, &w.Priority, &w.IsDefault, &w.Active, &w.CreatedAt}
}

func toDomainWarehouse(w domain.Warehouse) domain.Warehouse {
	w.ShipsTo = slices.Clone(w.ShipsTo)
	if w.ShipsTo == nil {
		w.ShipsTo = []string{}
	}
	return w
}

func scanWarehouse(row pgx.Row) (domain.Warehouse, error) {
	var w domain.Warehouse
	if err := row.Scan(warehouseDest(&w)...); err != nil {
		return w, err // the caller translates: constraint names matter
	}
	return toDomainWarehouse(w), nil
}

// warehouseWriteError names the input field behind a constraint violation.
func warehouseWriteError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "warehouses_code_key" {
		return &domain.Error{Code: domain.CodeConflict, Message: "another warehouse already uses this code", Field: []string{"input", "code"}}
	}
	return translateTx(err, "warehouse")
}

func orEmpty(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// CreateWarehouse stores a normalized, valid input; made the default, it takes the flag
// from the previous default in the same transaction.
func (s *WarehouseStore) CreateWarehouse(ctx context.Context, in domain.WarehouseInput) (domain.Warehouse, error) {
	var out domain.Warehouse
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		makeDefault := in.IsDefault != nil && *in.IsDefault
		if makeDefault {
			if _, err := tx.Exec(ctx, `UPDATE warehouses SET is_default = false, updated_at = now() WHERE is_default`); err != nil {
				return err
			}
		}
		shipsTo := in.ShipsTo
		if shipsTo == nil {
			shipsTo = []string{}
		}
		prio := 0
		if in.Priority != nil {
			prio = *in.Priority
		}
		var err error
		out, err = scanWarehouse(tx.QueryRow(ctx, `INSERT INTO warehouses AS w (code, name, city, country_code, ships_to, priority, is_default)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+warehouseColumns,
			orEmpty(in.Code), orEmpty(in.Name), orEmpty(in.City), orEmpty(in.CountryCode), shipsTo, prio, makeDefault))
		return err
	})
	if err != nil {
		return domain.Warehouse{}, warehouseWriteError(err)
	}
	return out, nil
}

// UpdateWarehouse changes an active warehouse.
func (s *WarehouseStore) UpdateWarehouse(ctx context.Context, id int64, in domain.WarehouseInput) (domain.Warehouse, error) {
	var out domain.Warehouse
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		cur, err := scanWarehouse(tx.QueryRow(ctx, `SELECT `+warehouseColumns+` FROM warehouses w WHERE w.id = $1 AND w.retired_at IS NULL FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if in.IsDefault != nil && !*in.IsDefault && cur.IsDefault {
			return domain.FieldError([]string{"input", "isDefault"}, "this is the default warehouse: make another one the default instead")
		}
		if in.IsDefault != nil && *in.IsDefault && !cur.IsDefault {
			if _, err := tx.Exec(ctx, `UPDATE warehouses SET is_default = false, updated_at = now() WHERE is_default`); err != nil {
				return err
			}
			cur.IsDefault = true
		}
		if in.SetShipsTo {
			cur.ShipsTo = in.ShipsTo
			if cur.ShipsTo == nil {
				cur.ShipsTo = []string{}
			}
		}
		if in.Priority != nil {
			cur.Priority = *in.Priority
		}
		out, err = scanWarehouse(tx.QueryRow(ctx, `UPDATE warehouses w SET code = coalesce($2, code), name = coalesce($3, name),
				city = coalesce($4, city), country_code = coalesce($5, country_code), ships_to = $6, priority = $7, is_default = $8,
				updated_at = now()
			WHERE w.id = $1 RETURNING `+warehouseColumns, id, in.Code, in.Name, in.City, in.CountryCode, cur.ShipsTo, cur.Priority, cur.IsDefault))
		return err
	})
	if err != nil {
		return domain.Warehouse{}, warehouseWriteError(err)
	}
	return out, nil
}

// RetireWarehouse retires an active warehouse, moving its stock first when asked. The
// warehouses are locked first (in id order), then the products, variants and stock rows
// concerned, in the lock order of every stock change (stock.go).
func (s *WarehouseStore) RetireWarehouse(ctx context.Context, id, moveTo int64) (domain.Warehouse, error) {
	var out domain.Warehouse
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+warehouseColumns+` FROM warehouses w WHERE w.id IN ($1, $2) AND w.retired_at IS NULL ORDER BY w.id FOR UPDATE`, id, moveTo)
		if err != nil {
			return translate(err, "warehouse")
		}
		found := map[int64]domain.Warehouse{}
		var w domain.Warehouse
		if _, err := pgx.ForEachRow(rows, warehouseDest(&w), func() error {
			found[w.ID] = toDomainWarehouse(w)
			return nil
		}); err != nil {
			return translate(err, "warehouse")
		}
		cur, ok := found[id]
		if !ok {
			return &domain.Error{Code: domain.CodeNotFound, Message: "no such active warehouse", Field: []string{"id"}}
		}
		if cur.IsDefault {
			return domain.Business("DEFAULT_WAREHOUSE", []string{"id"}, "the default warehouse cannot be retired: make another one the default first")
		}
		if moveTo != 0 {
			if _, ok := found[moveTo]; !ok || moveTo == id {
				return &domain.Error{Code: domain.CodeNotFound, Message: "no other active warehouse to move the stock to", Field: []string{"moveStockTo"}}
			}
		}
		rows, err = tx.Query(ctx, `SELECT s.variant_id, v.product_id FROM warehouse_stocks s JOIN product_variants v ON v.id = s.variant_id
			WHERE s.warehouse_id = $1 AND s.quantity > 0`, id)
		if err != nil {
			return translate(err, "warehouse stock")
		}
		productOf := map[int64]int64{}
		var variants []int64
		var vid, pid int64
		if _, err := pgx.ForEachRow(rows, []any{&vid, &pid}, func() error {
			productOf[vid] = pid
			variants = append(variants, vid)
			return nil
		}); err != nil {
			return translate(err, "warehouse stock")
		}
		if len(variants) > 0 {
			if moveTo == 0 {
				var units int
				if err := tx.QueryRow(ctx, `SELECT coalesce(sum(quantity), 0) FROM warehouse_stocks WHERE warehouse_id = $1`, id).Scan(&units); err != nil {
					return translate(err, "warehouse stock")
				}
				return domain.Business("WAREHOUSE_NOT_EMPTY", []string{"moveStockTo"},
					"the warehouse holds %d units of %d variants: name a warehouse to move them to", units, len(variants))
			}
			if _, _, err := lockStock(ctx, tx, productOf, variants, ""); err != nil {
				return err
			}
			batch := &pgx.Batch{}
			batch.Queue(`INSERT INTO warehouse_stocks AS s (variant_id, warehouse_id, quantity)
				SELECT variant_id, $2, quantity FROM warehouse_stocks WHERE warehouse_id = $1 AND quantity > 0
				ON CONFLICT (variant_id, warehouse_id) DO UPDATE SET quantity = s.quantity + excluded.quantity, updated_at = now()`, id, moveTo)
			batch.Queue(`UPDATE warehouse_stocks SET quantity = 0, updated_at = now() WHERE warehouse_id = $1 AND quantity > 0`, id)
			if err := tx.SendBatch(ctx, batch).Close(); err != nil {
				return translate(err, "moving stock")
			}
		}
		out, err = scanWarehouse(tx.QueryRow(ctx, `UPDATE warehouses w SET retired_at = now(), updated_at = now() WHERE w.id = $1 RETURNING `+warehouseColumns, id))
		return err
	})
	if err != nil {
		return domain.Warehouse{}, translateTx(err, "retiring warehouse")
	}
	return out, nil
}

func (s *WarehouseStore) list(ctx context.Context, where string, args ...any) ([]domain.Warehouse, error) {
	rows, err := s.db.read(ctx).Query(ctx, `SELECT `+warehouseColumns+` FROM warehouses w WHERE `+where+` ORDER BY `+warehouseOrder, args...)
	if err != nil {
		return nil, translate(err, "warehouses")
	}
	out := []domain.Warehouse{}
	var w domain.Warehouse
	if _, err := pgx.ForEachRow(rows, warehouseDest(&w), func() error {
		out = append(out, toDomainWarehouse(w))
		return nil
	}); err != nil {
		return nil, translate(err, "warehouses")
	}
	return out, nil
}

// Warehouses returns the warehouses in allocation order, retired ones last when asked.
func (s *WarehouseStore) Warehouses(ctx context.Context, includeRetired bool) ([]domain.Warehouse, error) {
	return s.list(ctx, `$1 OR w.retired_at IS NULL`, includeRetired)
}

// WarehousesByID returns the warehouses with the ids, retired ones included.
func (s *WarehouseStore) WarehousesByID(ctx context.Context, ids []int64) (map[int64]domain.Warehouse, error) {
	ws, err := s.list(ctx, `w.id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]domain.Warehouse, len(ws))
	for _, w := range ws {
		out[w.ID] = w
	}
	return out, nil
}

// VariantStocks returns each variant's stock per warehouse in one statement.
func (s *WarehouseStore) VariantStocks(ctx context.Context, variantIDs []int64) (map[int64][]domain.StockLevel, error) {
	rows, err := s.db.read(ctx).Query(ctx, `SELECT v.id, w.id, coalesce(s.quantity, 0)
		FROM unnest($1::bigint[]) AS v(id) CROSS JOIN warehouses w
		LEFT JOIN warehouse_stocks s ON s.variant_id = v.id AND s.warehouse_id = w.id
		WHERE w.retired_at IS NULL OR s.quantity > 0
		ORDER BY v.id, `+warehouseOrder, variantIDs)
	if err != nil {
		return nil, translate(err, "variant stocks")
	}
	out := make(map[int64][]domain.StockLevel, len(variantIDs))
	for _, id := range variantIDs {
		out[id] = []domain.StockLevel{}
	}
	var l domain.StockLevel
	if _, err := pgx.ForEachRow(rows, []any{&l.VariantID, &l.WarehouseID, &l.Quantity}, func() error {
		out[l.VariantID] = append(out[l.VariantID], l)
		return nil
	}); err != nil {
		return nil, translate(err, "variant stocks")
	}
	return out, nil
}

// OrderAllocations returns the allocations of each order's lines in one statement.
func (s *WarehouseStore) OrderAllocations(ctx context.Context, orderIDs []int64) (map[int64][]domain.Allocation, error) {
	rows, err := s.db.read(ctx).Query(ctx, `SELECT a.order_id, a.line_no, a.warehouse_id, a.quantity, a.released
		FROM order_line_allocations a JOIN warehouses w ON w.id = a.warehouse_id
		WHERE a.order_id = ANY($1) ORDER BY a.order_id, a.line_no, w.priority, w.id`, orderIDs)
	if err != nil {
		return nil, translate(err, "order allocations")
	}
	out := make(map[int64][]domain.Allocation, len(orderIDs))
	for _, id := range orderIDs {
		out[id] = []domain.Allocation{}
	}
	var a domain.Allocation
	if _, err := pgx.ForEachRow(rows, []any{&a.OrderID, &a.LineNo, &a.WarehouseID, &a.Quantity, &a.Released}, func() error {
		out[a.OrderID] = append(out[a.OrderID], a)
		return nil
	}); err != nil {
		return nil, translate(err, "order allocations")
	}
	return out, nil
}
