package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/shopgraph/shopgraph/domain"
)

var (
	_ domain.VariantReader = (*CatalogStore)(nil)
	_ domain.VariantWriter = (*CatalogStore)(nil)
)

// variantColumns are a variant's columns with its product's currency; deleted is true
// for a variant removed from sale or of a deleted product.
const variantColumns = `v.id, v.product_id, v.position, v.sku, v.options, v.price_minor, p.currency,
	v.compare_at_minor, v.stock, v.units_sold, coalesce(v.image_id, 0), v.deleted_at IS NOT NULL OR p.deleted_at IS NOT NULL`

type variantRow struct {
	id, productID, price, sold, imageID int64
	position, stock                     int32
	sku, currency                       string
	options                             []domain.SelectedOption
	compareAt                           *int64
	deleted                             bool
}

func (r *variantRow) dest() []any {
	return []any{&r.id, &r.productID, &r.position, &r.sku, &r.options, &r.price, &r.currency,
		&r.compareAt, &r.stock, &r.sold, &r.imageID, &r.deleted}
}

func toDomainVariant(r variantRow) domain.Variant {
	opts := r.options
	if opts == nil {
		opts = []domain.SelectedOption{}
	}
	return domain.Variant{ID: r.id, ProductID: r.productID, Position: int(r.position), SKU: r.sku, Options: opts,
		Price: domain.Money{Amount: r.price, Currency: r.currency}, CompareAtMinor: r.compareAt,
		Stock: int(r.stock), UnitsSold: r.sold, ImageID: r.imageID, Deleted: r.deleted}
}

func loadVariants(ctx context.Context, q querier, where string, args ...any) ([]domain.Variant, error) {
	rows, err := q.Query(ctx, `SELECT `+variantColumns+` FROM product_variants v JOIN products p ON p.id = v.product_id WHERE `+where+` ORDER BY v.position, v.id`, args...)
	if err != nil {
		return nil, translate(err, "variants")
	}
	var out []domain.Variant
	var r variantRow
	_, err = pgx.ForEachRow(rows, r.dest(), func() error {
		out = append(out, toDomainVariant(r))
		r.options = nil
		return nil
	})
	if err != nil {
		return nil, translate(err, "variants")
	}
	return out, nil
}

// VariantsByID returns the variants with the given ids, deleted ones included.
func (s *CatalogStore) VariantsByID(ctx context.Context, ids []int64) (map[int64]domain.Variant, error) {
	vs, err := loadVariants(ctx, s.db.read(ctx), `v.id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]domain.Variant, len(vs))
	for _, v := range vs {
		out[v.ID] = v
	}
	return out, nil
}

// detailVariant and detailImage are how productDetailsSQL hands over a product's
// variants and images, and detailAttribute its attribute values: one JSON array each,
// so that a page of products costs one statement.
type detailVariant struct {
	ID        int64                   `json:"id"`
	Position  int                     `json:"position"`
	SKU       string                  `json:"sku"`
	Options   []domain.SelectedOption `json:"options"`
	Price     int64                   `json:"price"`
	CompareAt *int64                  `json:"compareAt"`
	Stock     int                     `json:"stock"`
	Sold      int64                   `json:"sold"`
	Image     int64                   `json:"image"`
}

type detailImage struct {
	ID       int64  `json:"id"`
	Position int    `json:"position"`
	Src      string `json:"src"`
	Alt      string `json:"alt"`
	W        int    `json:"w"`
	H        int    `json:"h"`
}

type detailAttribute struct {
	Name string   `json:"name"`
	Type string   `json:"type"`
	T    *string  `json:"t"`
	N    *float64 `json:"n"`
	B    *bool    `json:"b"`
}

// productDetailsSQL reads the live variants, the images and the attribute values of
// every product in $1, in display order.
const productDetailsSQL = `SELECT p.id, p.currency,
	coalesce((SELECT json_agg(json_build_object('id', v.id, 'position', v.position, 'sku', v.sku, 'options', v.options,
		'price', v.price_minor, 'compareAt', v.compare_at_minor, 'stock', v.stock, 'sold', v.units_sold,
		'image', coalesce(v.image_id, 0)) ORDER BY v.position, v.id)
		FROM product_variants v WHERE v.product_id = p.id AND v.deleted_at IS NULL), '[]'),
	coalesce((SELECT json_agg(json_build_object('id', i.id, 'position', i.position, 'src', i.src, 'alt', i.alt_text,
		'w', i.width, 'h', i.height) ORDER BY i.position, i.id)
		FROM product_images i WHERE i.product_id = p.id), '[]'),
	coalesce((SELECT json_agg(json_build_object('name', a.name, 'type', a.type, 't', pa.text_value, 'n', pa.number_value,
		'b', pa.bool_value) ORDER BY lower(a.name))
		FROM product_attributes pa JOIN attributes a ON a.id = pa.attribute_id WHERE pa.product_id = p.id), '[]')
FROM products p WHERE p.id = ANY($1)`

// ProductDetails returns the live variants, images and attribute values of each product
// in one statement. The attribute values are decoded only when asked for
// (ProductDetail.Attributes): product lists do not show them.
func (s *CatalogStore) ProductDetails(ctx context.Context, productIDs []int64) (map[int64]domain.ProductDetail, error) {
	rows, err := s.db.read(ctx).Query(ctx, productDetailsSQL, productIDs)
	if err != nil {
		return nil, translate(err, "product details")
	}
	out := make(map[int64]domain.ProductDetail, len(productIDs))
	for _, id := range productIDs {
		out[id] = domain.ProductDetail{Variants: []domain.Variant{}, Images: []domain.Image{}}
	}
	var id int64
	var currency string
	var vs, imgs, attrs []byte
	// The JSON columns are decoded from the row's own buffer (the RawBytes scan copies
	// nothing); only the attribute values, decoded later, are copied.
	_, err = pgx.ForEachRow(rows, []any{&id, &currency, (*pgtype.DriverBytes)(&vs), (*pgtype.DriverBytes)(&imgs), (*pgtype.DriverBytes)(&attrs)}, func() error {
		d, err := toDomainDetail(id, currency, vs, imgs, attrs)
		out[id] = d
		return err
	})
	if err != nil {
		return nil, translate(err, "product details")
	}
	return out, nil
}

// toDomainDetail decodes a row of productDetailsSQL. vs and imgs are only read during
// the call; attrs is copied when the product has attribute values, to be decoded by
// the detail's Attributes.
func toDomainDetail(productID int64, currency string, vs, imgs, attrs []byte) (domain.ProductDetail, error) {
	var variants []detailVariant
	if err := jsonv2.Unmarshal(vs, &variants); err != nil {
		return domain.ProductDetail{}, fmt.Errorf("decoding variants of product %d: %w", productID, err)
	}
	var images []detailImage
	if err := jsonv2.Unmarshal(imgs, &images); err != nil {
		return domain.ProductDetail{}, fmt.Errorf("decoding images of product %d: %w", productID, err)
	}
	d := domain.ProductDetail{
		Variants: make([]domain.Variant, len(variants)),
		Images:   make([]domain.Image, len(images)),
	}
	for i, v := range variants {
		opts := v.Options
		if opts == nil {
			opts = []domain.SelectedOption{}
		}
		d.Variants[i] = domain.Variant{ID: v.ID, ProductID: productID, Position: v.Position, SKU: v.SKU, Options: opts,
			Price: domain.Money{Amount: v.Price, Currency: currency}, CompareAtMinor: v.CompareAt, Stock: v.Stock,
			UnitsSold: v.Sold, ImageID: v.Image}
	}
	for i, img := range images {
		d.Images[i] = domain.Image{ID: img.ID, ProductID: productID, Position: img.Position, Src: img.Src, AltText: img.Alt, Width: img.W, Height: img.H}
	}
	if !bytes.Equal(attrs, emptyJSONArray) {
		raw := bytes.Clone(attrs)
		d.Attributes = func() ([]domain.AttributeValue, error) { return decodeAttributes(productID, raw) }
	}
	return d, nil
}

var emptyJSONArray = []byte("[]")

// decodeAttributes decodes the attribute values of a row of productDetailsSQL.
func decodeAttributes(productID int64, raw []byte) ([]domain.AttributeValue, error) {
	var attrs []detailAttribute
	if err := jsonv2.Unmarshal(raw, &attrs); err != nil {
		return nil, fmt.Errorf("decoding attributes of product %d: %w", productID, err)
	}
	out := make([]domain.AttributeValue, len(attrs))
	for i, a := range attrs {
		v := domain.AttributeValue{Name: a.Name, Type: domain.AttributeType(a.Type)}
		switch {
		case a.T != nil:
			v.Text = *a.T
		case a.N != nil:
			v.Number = *a.N
		case a.B != nil:
			v.Bool = *a.B
		}
		out[i] = v
	}
	return out, nil
}

// lockVariants locks a live product and then its live variants, in id order, and returns
// the variants in display order: the lock order of every stock change (see stock.go), so
// variant writes and checkouts cannot deadlock.
func lockVariants(ctx context.Context, tx pgx.Tx, productID int64) ([]domain.Variant, error) {
	var live bool
	err := tx.QueryRow(ctx, `SELECT true FROM products WHERE id = $1 AND deleted_at IS NULL FOR NO KEY UPDATE`, productID).Scan(&live)
	if err != nil {
		return nil, translate(err, "product")
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM product_variants WHERE product_id = $1 AND deleted_at IS NULL ORDER BY id FOR NO KEY UPDATE`, productID); err != nil {
		return nil, translate(err, "locking variants")
	}
	return loadVariants(ctx, tx, `v.product_id = $1 AND v.deleted_at IS NULL`, productID)
}

// checkImages returns a NOT_FOUND error blaming field when an image id is not one of the
// product's images.
func checkImages(ctx context.Context, tx pgx.Tx, productID int64, ids []int64, field func(i int) []string) error {
	var want []int64
	for _, id := range ids {
		if id != 0 {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT id FROM product_images WHERE product_id = $1 AND id = ANY($2)`, productID, want)
	if err != nil {
		return translate(err, "images")
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return translate(err, "images")
	}
	for i, id := range ids {
		if id != 0 && !containsID(found, id) {
			return &domain.Error{Code: domain.CodeNotFound, Message: "no such image of this product", Field: field(i)}
		}
	}
	return nil
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// checkVariantSet returns the problem of a product's live variants as they would be: the
// same option names in the same order, different option values, at most MaxVariants.
// at names the input field of the variant at index i of the set (nil for those that
// are not part of the input).
func checkVariantSet(vs []domain.Variant, at func(i int) []string) error {
	if len(vs) > domain.MaxVariants {
		return domain.FieldError([]string{"variants"}, "a product has at most %d variants", domain.MaxVariants)
	}
	for i := range vs {
		if at(i) == nil {
			continue
		}
		for j := range vs {
			if i == j {
				continue
			}
			if !domain.SameOptionNames(vs[i].Options, vs[j].Options) {
				names := "none"
				if len(vs[j].Options) > 0 {
					names = ""
					for k, o := range vs[j].Options {
						if k > 0 {
							names += ", "
						}
						names += o.Name
					}
				}
				return domain.FieldError(append(at(i), "selectedOptions"), "the product's other variants have the options %s, in that order", names)
			}
			if domain.SameOptions(vs[i].Options, vs[j].Options) {
				return domain.FieldError(append(at(i), "selectedOptions"), "another variant of the product has these option values")
			}
		}
	}
	return nil
}

// insertVariant adds one variant; an empty SKU becomes SG-<product>-<variant id>.
func insertVariant(ctx context.Context, tx pgx.Tx, productID int64, position int, v domain.NewVariant, field []string) (int64, error) {
	opts := v.Options
	if opts == nil {
		opts = []domain.SelectedOption{}
	}
	var image *int64
	if v.ImageID != 0 {
		image = &v.ImageID
	}
	var id int64
	err := tx.QueryRow(ctx, `WITH n AS (SELECT nextval(pg_get_serial_sequence('product_variants', 'id')) AS id)
		INSERT INTO product_variants (id, product_id, position, sku, options, price_minor, compare_at_minor, stock, image_id)
		SELECT n.id, $1::bigint, $2, coalesce(nullif($3::text, ''), 'SG-' || lpad($1::bigint::text, 6, '0') || '-' || n.id), $4, $5, $6, $7, $8 FROM n
		RETURNING id`, productID, position, v.SKU, opts, v.Price, v.CompareAtMinor, v.Stock, image).Scan(&id)
	return id, variantWriteError(err, field)
}

// variantWriteError names the input field behind a constraint violation of a variant.
func variantWriteError(err error, field []string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		switch pgErr.ConstraintName {
		case "product_variants_sku_live_idx":
			return &domain.Error{Code: domain.CodeConflict, Message: "another variant already uses this sku", Field: append(append([]string{}, field...), "sku")}
		case "product_variants_options_live_idx":
			return domain.FieldError(append(append([]string{}, field...), "selectedOptions"), "another variant of the product has these option values")
		}
	}
	return err
}

// productUpdated re-reads a product inside tx (the roll-ups may have changed it) and
// returns it with its product.updated event.
func productUpdated(ctx context.Context, tx pgx.Tx, productID int64) (domain.Product, []domain.Event, error) {
	p, err := scanProduct(tx.QueryRow(ctx, `UPDATE products p SET updated_at = now() WHERE id = $1 RETURNING `+productColumns, productID))
	if err != nil {
		return p, nil, err
	}
	return p, []domain.Event{productEvent(domain.EventProductUpdated, p)}, nil
}

// CreateVariants adds variants to a live product.
func (s *CatalogStore) CreateVariants(ctx context.Context, productID int64, vs []domain.NewVariant) (domain.Product, []domain.Variant, error) {
	var created []domain.Variant
	p, err := s.writeProduct(ctx, func(tx pgx.Tx) (domain.Product, []domain.Event, error) {
		live, err := lockVariants(ctx, tx, productID)
		if err != nil {
			return domain.Product{}, nil, err
		}
		set := append([]domain.Variant{}, live...)
		images := make([]int64, len(vs))
		for i, v := range vs {
			set = append(set, domain.Variant{Options: v.Options})
			images[i] = v.ImageID
		}
		field := func(i int) []string { return []string{"variants", strconv.Itoa(i)} }
		if err := checkVariantSet(set, func(i int) []string {
			if i < len(live) {
				return nil
			}
			return field(i - len(live))
		}); err != nil {
			return domain.Product{}, nil, err
		}
		if err := checkImages(ctx, tx, productID, images, func(i int) []string { return append(field(i), "imageId") }); err != nil {
			return domain.Product{}, nil, err
		}
		next := 0
		for _, v := range live {
			next = max(next, v.Position+1)
		}
		ids := make([]int64, len(vs))
		for i, v := range vs {
			if ids[i], err = insertVariant(ctx, tx, productID, next+i, v, field(i)); err != nil {
				return domain.Product{}, nil, err
			}
		}
		if created, err = loadVariants(ctx, tx, `v.id = ANY($1)`, ids); err != nil {
			return domain.Product{}, nil, err
		}
		return productUpdated(ctx, tx, productID)
	})
	return p, created, err
}

// UpdateVariants changes variants of a live product.
func (s *CatalogStore) UpdateVariants(ctx context.Context, productID int64, cs []domain.VariantChanges) (domain.Product, []domain.Variant, error) {
	var changed []domain.Variant
	p, err := s.writeProduct(ctx, func(tx pgx.Tx) (domain.Product, []domain.Event, error) {
		live, err := lockVariants(ctx, tx, productID)
		if err != nil {
			return domain.Product{}, nil, err
		}
		index := map[int64]int{}
		for i, v := range live {
			index[v.ID] = i
		}
		inputOf := map[int]int{}
		images := make([]int64, len(cs))
		field := func(i int) []string { return []string{"variants", strconv.Itoa(i)} }
		for i, c := range cs {
			k, ok := index[c.ID]
			if !ok {
				return domain.Product{}, nil, &domain.Error{Code: domain.CodeNotFound, Message: "no such variant of this product", Field: append(field(i), "id")}
			}
			v := &live[k]
			inputOf[k] = i
			if c.SKU != nil {
				v.SKU = *c.SKU
			}
			if c.Options != nil {
				v.Options = c.Options
			}
			if c.Price != nil {
				v.Price.Amount = *c.Price
			}
			switch {
			case c.ClearCompareAt:
				v.CompareAtMinor = nil
			case c.CompareAtMinor != nil:
				v.CompareAtMinor = c.CompareAtMinor
			}
			if v.CompareAtMinor != nil && *v.CompareAtMinor < v.Price.Amount {
				return domain.Product{}, nil, domain.FieldError(append(field(i), "compareAtPrice"), "compareAtPrice must not be below the price")
			}
			if c.ImageID != nil {
				v.ImageID = *c.ImageID
				images[i] = *c.ImageID
			}
		}
		if err := checkVariantSet(live, func(k int) []string {
			if i, ok := inputOf[k]; ok {
				return field(i)
			}
			return nil
		}); err != nil {
			return domain.Product{}, nil, err
		}
		if err := checkImages(ctx, tx, productID, images, func(i int) []string { return append(field(i), "imageId") }); err != nil {
			return domain.Product{}, nil, err
		}
		ids := make([]int64, 0, len(cs))
		for k, i := range inputOf {
			v := live[k]
			var image *int64
			if v.ImageID != 0 {
				image = &v.ImageID
			}
			_, err := tx.Exec(ctx, `UPDATE product_variants SET sku = $2, options = $3, price_minor = $4, compare_at_minor = $5,
				image_id = $6, updated_at = now() WHERE id = $1`, v.ID, v.SKU, v.Options, v.Price.Amount, v.CompareAtMinor, image)
			if err != nil {
				return domain.Product{}, nil, variantWriteError(err, field(i))
			}
			ids = append(ids, v.ID)
		}
		if changed, err = loadVariants(ctx, tx, `v.id = ANY($1)`, ids); err != nil {
			return domain.Product{}, nil, err
		}
		return productUpdated(ctx, tx, productID)
	})
	return p, changed, err
}

// DeleteVariants removes variants of a live product from sale.
func (s *CatalogStore) DeleteVariants(ctx context.Context, productID int64, variantIDs []int64) (domain.Product, error) {
	return s.writeProduct(ctx, func(tx pgx.Tx) (domain.Product, []domain.Event, error) {
		live, err := lockVariants(ctx, tx, productID)
		if err != nil {
			return domain.Product{}, nil, err
		}
		ids := make([]int64, 0, len(live))
		for _, v := range live {
			ids = append(ids, v.ID)
		}
		gone := map[int64]bool{}
		for i, id := range variantIDs {
			if !containsID(ids, id) {
				return domain.Product{}, nil, &domain.Error{Code: domain.CodeNotFound, Message: "no such variant of this product", Field: []string{"variantIds", strconv.Itoa(i)}}
			}
			gone[id] = true
		}
		if len(gone) >= len(live) {
			return domain.Product{}, nil, domain.Business("LAST_VARIANT", []string{"variantIds"}, "a product keeps at least one variant; delete the product instead")
		}
		if _, err := tx.Exec(ctx, `UPDATE product_variants SET deleted_at = now(), updated_at = now() WHERE id = ANY($1)`, variantIDs); err != nil {
			return domain.Product{}, nil, err
		}
		return productUpdated(ctx, tx, productID)
	})
}

// AdjustInventory changes the stock of a product's only variant in the default warehouse.
func (s *CatalogStore) AdjustInventory(ctx context.Context, id int64, delta int, reason string) (domain.Product, error) {
	return s.AdjustWarehouseInventory(ctx, id, 0, 0, delta, reason)
}

// AdjustVariantInventory changes a variant's stock in the default warehouse.
func (s *CatalogStore) AdjustVariantInventory(ctx context.Context, productID, variantID int64, delta int, reason string) (domain.Product, error) {
	return s.AdjustWarehouseInventory(ctx, productID, variantID, 0, delta, reason)
}

// AdjustWarehouseInventory changes what a warehouse holds of a variant with one
// conditional update, after locking the warehouse (shared), then the product, its
// variants and the stock row in the order checkouts lock them, so concurrent adjustments and checkouts never take it below
// zero nor deadlock; the triggers carry the change to the variant's and product's totals.
// It writes inventory.adjusted (with the warehouse) and product.out_of_stock when the
// variant's total reaches zero.
func (s *CatalogStore) AdjustWarehouseInventory(ctx context.Context, productID, variantID, warehouseID int64, delta int, reason string) (domain.Product, error) {
	return s.writeProduct(ctx, func(tx pgx.Tx) (domain.Product, []domain.Event, error) {
		// The warehouse first, shared: a retirement (which locks warehouses before
		// products) waits for the adjustment, or the adjustment finds it retired.
		var code string
		err := tx.QueryRow(ctx, `SELECT id, code FROM warehouses WHERE retired_at IS NULL AND (id = $1 OR ($1 = 0 AND is_default)) FOR SHARE`,
			warehouseID).Scan(&warehouseID, &code)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Product{}, nil, &domain.Error{Code: domain.CodeNotFound, Message: "no such active warehouse", Field: []string{"warehouseId"}}
		}
		if err != nil {
			return domain.Product{}, nil, err
		}
		var live bool
		err = tx.QueryRow(ctx, `SELECT deleted_at IS NULL FROM products WHERE id = $1 FOR NO KEY UPDATE`, productID).Scan(&live)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && !live) {
			return domain.Product{}, nil, domain.Errorf(domain.CodeNotFound, "product not found")
		}
		if err != nil {
			return domain.Product{}, nil, err
		}
		rows, err := tx.Query(ctx, `SELECT id FROM product_variants WHERE product_id = $1 AND deleted_at IS NULL ORDER BY id FOR NO KEY UPDATE`, productID)
		if err != nil {
			return domain.Product{}, nil, err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return domain.Product{}, nil, err
		}
		switch {
		case variantID != 0 && !containsID(ids, variantID):
			return domain.Product{}, nil, &domain.Error{Code: domain.CodeNotFound, Message: "no such variant of this product", Field: []string{"variantId"}}
		case variantID != 0:
		case len(ids) == 0:
			return domain.Product{}, nil, domain.Errorf(domain.CodeNotFound, "product not found")
		case len(ids) == 1:
			variantID = ids[0]
		default:
			return domain.Product{}, nil, domain.FieldError([]string{"variantId"}, "the product has %d variants: say which one to adjust", len(ids))
		}
		// The row is made at zero when the warehouse holds none yet, and locked.
		var held int
		err = tx.QueryRow(ctx, `INSERT INTO warehouse_stocks AS s (variant_id, warehouse_id, quantity) VALUES ($1, $2, 0)
			ON CONFLICT (variant_id, warehouse_id) DO UPDATE SET quantity = s.quantity RETURNING quantity`, variantID, warehouseID).Scan(&held)
		if err != nil {
			return domain.Product{}, nil, err
		}
		err = tx.QueryRow(ctx, `UPDATE warehouse_stocks SET quantity = quantity + $3, updated_at = now()
			WHERE variant_id = $1 AND warehouse_id = $2 AND quantity + $3 >= 0 RETURNING quantity`, variantID, warehouseID, delta).Scan(&held)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Product{}, nil, domain.FieldError([]string{"delta"}, "only %d units in warehouse %s: the stock cannot go below zero", held, code)
		}
		if err != nil {
			return domain.Product{}, nil, err
		}
		var stock int
		if err := tx.QueryRow(ctx, `SELECT stock FROM product_variants WHERE id = $1`, variantID).Scan(&stock); err != nil {
			return domain.Product{}, nil, err
		}
		p, err := scanProduct(tx.QueryRow(ctx, `SELECT `+productColumns+` FROM products p WHERE p.id = $1`, productID))
		if err != nil {
			return p, nil, err
		}
		key := strconv.FormatInt(p.ID, 10)
		evs := []domain.Event{{
			Type: domain.EventInventoryAdjusted, Key: key, At: p.UpdatedAt,
			Data: domain.InventoryEventData{ProductID: p.ID, VariantID: variantID, Delta: delta, Stock: p.Stock, Reason: reason,
				WarehouseID: warehouseID, WarehouseStock: held},
		}}
		if stock == 0 {
			ev := productEvent(domain.EventProductOutOfStock, p)
			d := ev.Data.(domain.ProductEventData)
			d.VariantID = variantID
			ev.Data = d
			evs = append(evs, ev)
		}
		return p, evs, nil
	})
}
