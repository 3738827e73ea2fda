// Package baseline is the yardstick of the bench: a plain net/http and pgx server that
// answers the bench's catalog requests with the very SQL statements shopgraph's store
// runs for them (copied from store/postgres/catalog.go) and writes the very bytes
// shopgraph writes, without GraphQL, dataloaders or caches, except the one shopgraph
// keeps in each process: the category tree in memory (resolvers.CategoryTree), loaded
// with the same statement and reloaded as often. Comparing shopgraph with it measures
// what the GraphQL layer costs on top of the unavoidable database work.
//
// It takes the same POST /graphql bodies as shopgraph and routes them by operationName;
// the query text is not parsed.
package baseline

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The operation names the baseline answers; the bench's requests carry them.
const (
	OpProductPage = "ProductPage"
	OpProductList = "ProductList"
)

// The statements, as store/postgres/catalog.go builds them for these requests:
// CatalogStore.ProductBySlug, CatalogStore.ListProducts (sort ID, no filter, no cursor),
// CatalogStore.ProductDetails (the variants, images and attributes of the products, from
// store/postgres/variants.go), CatalogStore.AllCategories (the tree) and
// CatalogStore.CategoriesByID (a category the tree lacks).
const (
	productColumns = `p.id, p.slug, p.name, p.description, p.price_minor, p.currency,
	p.category_id, p.stock, p.units_sold, p.created_at, p.updated_at, p.deleted_at IS NOT NULL,
	coalesce(p.brand_id, 0), p.rating_count, p.rating_sum`
	categoryColumns = `c.id, coalesce(c.parent_id, 0), c.slug, c.name, c.description, c.position`

	productBySlugSQL = `SELECT ` + productColumns + ` FROM products p
		WHERE p.slug = $1 AND p.deleted_at IS NULL`
	categoriesByIDSQL = `SELECT ` + categoryColumns + ` FROM categories c WHERE c.id = ANY($1)`
	allCategoriesSQL  = `SELECT ` + categoryColumns + ` FROM categories c ORDER BY c.position, c.name, c.id`

	productDetailsSQL = `SELECT p.id, p.currency,
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
)

// categoryTreeTTL is how often the tree is reloaded: shopgraph's
// resolvers.DefaultCategoryTreeTTL.
const categoryTreeTTL = 30 * time.Second

// listProductsSQL is productListSQL's text for sort ID, no filter and no cursor.
func listProductsSQL(limit int) string {
	return `SELECT ` + productColumns + `, (0::bigint)::text FROM products p WHERE p.deleted_at IS NULL` +
		fmt.Sprintf(" ORDER BY %s %s, p.id %s LIMIT %d", "0::bigint", "ASC", "ASC", limit+1)
}

// maxBodyBytes caps a request body, as shopgraph does.
const maxBodyBytes = 1 << 20

// Server is the baseline's handler over a pool.
type Server struct {
	pool *pgxpool.Pool
	tree atomic.Pointer[map[int64]category]
	stop context.CancelFunc
}

// Open connects to the database at url with pgx's default pool, as shopgraph does.
func Open(ctx context.Context, url string) (*Server, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parsing database url: %w", err)
	}
	pc.HealthCheckPeriod = 10 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	s := &Server{pool: pool}
	if err := s.loadTree(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	reloads, stop := context.WithCancel(context.Background())
	s.stop = stop
	go func() {
		t := time.NewTicker(categoryTreeTTL)
		defer t.Stop()
		for {
			select {
			case <-reloads.Done():
				return
			case <-t.C:
				s.loadTree(reloads) // a failed reload keeps the tree, as shopgraph's does
			}
		}
	}()
	return s, nil
}

// loadTree reads every category into memory.
func (s *Server) loadTree(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, allCategoriesSQL)
	if err != nil {
		return err
	}
	tree := map[int64]category{}
	var c category
	if _, err := pgx.ForEachRow(rows, []any{&c.id, &c.parentID, &c.slug, &c.name, &c.descr, &c.position}, func() error {
		tree[c.id] = c
		return nil
	}); err != nil {
		return err
	}
	s.tree.Store(&tree)
	return nil
}

// Close stops the reloads and closes the pool.
func (s *Server) Close() {
	s.stop()
	s.pool.Close()
}

// operations are the operations other files of the package answer, by name.
var operations = map[string]func(*Server, context.Context, json.RawMessage) ([]byte, error){}

type request struct {
	OperationName string          `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
}

// ServeHTTP answers POST /graphql and GET /readyz.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/readyz":
		if err := s.pool.Ping(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
		return
	case r.URL.Path != "/graphql" || r.Method != http.MethodPost:
		http.NotFound(w, r)
		return
	}
	var req request
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes)).Decode(&req); err != nil {
		http.Error(w, "bad request body", http.StatusBadRequest)
		return
	}
	var data []byte
	var err error
	switch req.OperationName {
	case OpProductPage:
		var v struct{ Slug string }
		if err = json.Unmarshal(req.Variables, &v); err == nil {
			data, err = s.productPage(r.Context(), v.Slug)
		}
	case OpProductList:
		var v struct{ First int }
		if err = json.Unmarshal(req.Variables, &v); err == nil {
			data, err = s.productList(r.Context(), v.First)
		}
	default:
		if op, ok := operations[req.OperationName]; ok {
			data, err = op(s, r.Context(), req.Variables)
		} else {
			err = fmt.Errorf("unknown operation %q", req.OperationName)
		}
	}
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		b, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"message": err.Error()}}, "data": nil})
		w.Write(b)
		return
	}
	// gqlgen marshals its response with encoding/json around the data it wrote: the same
	// compaction and HTML escaping happen here.
	b, err := json.Marshal(struct {
		Data json.RawMessage `json:"data"`
	}{data})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

type product struct {
	id, categoryID, priceMinor, unitsSold int64
	slug, name, description, currency     string
	stock, ratingCount                    int32
	createdAt, updatedAt                  time.Time
	deleted                               bool
	brandID, ratingSum                    int64
}

func (p *product) dest() []any {
	return []any{&p.id, &p.slug, &p.name, &p.description, &p.priceMinor, &p.currency,
		&p.categoryID, &p.stock, &p.unitsSold, &p.createdAt, &p.updatedAt, &p.deleted,
		&p.brandID, &p.ratingCount, &p.ratingSum}
}

// detail is a product's variants and images as productDetailsSQL returns them.
type detail struct {
	currency string
	variants []struct {
		ID      int64 `json:"id"`
		SKU     string
		Options []struct{ Name, Value string }
		Price   int64
		Stock   int
	}
	images []struct {
		ID  int64
		Src string
		Alt string
		W   int
		H   int
	}
}

// details reads the variants and images of the products in one statement.
func (s *Server) details(ctx context.Context, ids []int64) (map[int64]detail, error) {
	rows, err := s.pool.Query(ctx, productDetailsSQL, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]detail, len(ids))
	var id int64
	var currency string
	var vs, imgs, attrs []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &currency, &vs, &imgs, &attrs}, func() error {
		d := detail{currency: currency}
		if err := json.Unmarshal(vs, &d.variants); err != nil {
			return err
		}
		if err := json.Unmarshal(imgs, &d.images); err != nil {
			return err
		}
		out[id] = d
		return nil
	})
	return out, err
}

// rating writes rating { average count } as shopgraph does (gqlgen writes floats with %g).
func (w *jsonWriter) rating(p product) {
	avg := 0.0
	if p.ratingCount > 0 {
		avg = float64(p.ratingSum) / float64(p.ratingCount)
	}
	w.raw(`,"rating":{"average":`)
	w.raw(fmt.Sprintf("%g", avg))
	w.raw(`,"count":`)
	w.raw(strconv.FormatInt(int64(p.ratingCount), 10))
	w.raw(`}`)
}

// imageURL is domain.Image.URL.
func imageURL(id int64, src string, w, h, width int) string {
	if src != "" {
		return src
	}
	if width > 0 {
		width = min(max(width, 16), 4096)
		if w > 0 {
			h = max(1, (h*width+w/2)/w)
		}
		w = width
	}
	return fmt.Sprintf("/media/%d.svg?w=%d&h=%d", id, w, h)
}

// variantTitle is domain.VariantTitle.
func variantTitle(opts []struct{ Name, Value string }) string {
	if len(opts) == 0 {
		return "Default"
	}
	t := ""
	for i, o := range opts {
		if i > 0 {
			t += " / "
		}
		t += o.Value
	}
	return t
}

// altText writes an image's altText: null when it has none.
func (w *jsonWriter) altText(s string) {
	if s == "" {
		w.raw(`null`)
	} else {
		w.str(s)
	}
}

type category struct {
	id, parentID      int64
	slug, name, descr string
	position          int
}

// categoriesByID answers from the tree, and reads what it lacks from the database.
func (s *Server) categoriesByID(ctx context.Context, ids []int64) (map[int64]category, error) {
	tree := *s.tree.Load()
	out := make(map[int64]category, len(ids))
	var missing []int64
	for _, id := range ids {
		if c, ok := tree[id]; ok {
			out[id] = c
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, categoriesByIDSQL, missing)
	if err != nil {
		return nil, err
	}
	var c category
	_, err = pgx.ForEachRow(rows, []any{&c.id, &c.parentID, &c.slug, &c.name, &c.descr, &c.position}, func() error {
		out[c.id] = c
		return nil
	})
	return out, err
}

// productPage answers
//
//	product(slug: $slug) { id slug name description price { amount currencyCode }
//	  availableQuantity inStock category { id name slug } rating { average count }
//	  variants { id sku title selectedOptions { name value } price { amount currencyCode }
//	    availableQuantity inStock }
//	  images { url(width: 800) altText width height } }
//
// with shopgraph's two statements: the product, and its details.
func (s *Server) productPage(ctx context.Context, slug string) ([]byte, error) {
	var p product
	err := s.pool.QueryRow(ctx, productBySlugSQL, slug).Scan(p.dest()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return []byte(`{"product":null}`), nil
	}
	if err != nil {
		return nil, err
	}
	cats, err := s.categoriesByID(ctx, []int64{p.categoryID})
	if err != nil {
		return nil, err
	}
	c, ok := cats[p.categoryID]
	if !ok {
		return nil, fmt.Errorf("category %d not found", p.categoryID)
	}
	var w jsonWriter
	w.raw(`{"product":{"id":`)
	w.str(globalID("Product", p.id))
	w.raw(`,"slug":`)
	w.str(p.slug)
	w.raw(`,"name":`)
	w.str(p.name)
	w.raw(`,"description":`)
	w.str(p.description)
	w.raw(`,"price":{"amount":`)
	w.raw(strconv.Quote(formatMinor(p.priceMinor)))
	w.raw(`,"currencyCode":`)
	w.str(p.currency)
	w.raw(`},"availableQuantity":`)
	w.raw(strconv.FormatInt(int64(p.stock), 10))
	w.raw(`,"inStock":`)
	w.raw(strconv.FormatBool(p.stock > 0 && !p.deleted))
	w.raw(`,"category":{"id":`)
	w.str(globalID("Category", c.id))
	w.raw(`,"name":`)
	w.str(c.name)
	w.raw(`,"slug":`)
	w.str(c.slug)
	w.raw(`}`)
	details, err := s.details(ctx, []int64{p.id})
	if err != nil {
		return nil, err
	}
	d := details[p.id]
	w.rating(p)
	w.raw(`,"variants":[`)
	for i, v := range d.variants {
		if i > 0 {
			w.raw(",")
		}
		w.raw(`{"id":`)
		w.str(globalID("ProductVariant", v.ID))
		w.raw(`,"sku":`)
		w.str(v.SKU)
		w.raw(`,"title":`)
		w.str(variantTitle(v.Options))
		w.raw(`,"selectedOptions":[`)
		for j, o := range v.Options {
			if j > 0 {
				w.raw(",")
			}
			w.raw(`{"name":`)
			w.str(o.Name)
			w.raw(`,"value":`)
			w.str(o.Value)
			w.raw(`}`)
		}
		w.raw(`],"price":{"amount":`)
		w.raw(strconv.Quote(formatMinor(v.Price)))
		w.raw(`,"currencyCode":`)
		w.str(d.currency)
		w.raw(`},"availableQuantity":`)
		w.raw(strconv.Itoa(v.Stock))
		w.raw(`,"inStock":`)
		w.raw(strconv.FormatBool(v.Stock > 0))
		w.raw(`}`)
	}
	w.raw(`],"images":[`)
	for i, img := range d.images {
		if i > 0 {
			w.raw(",")
		}
		w.raw(`{"url":`)
		w.str(imageURL(img.ID, img.Src, img.W, img.H, 800))
		w.raw(`,"altText":`)
		w.altText(img.Alt)
		w.raw(`,"width":`)
		w.raw(strconv.Itoa(img.W))
		w.raw(`,"height":`)
		w.raw(strconv.Itoa(img.H))
		w.raw(`}`)
	}
	w.raw(`]}}`)
	return w.b, nil
}

// productList answers
//
//	products(first: $first) { nodes { id slug name price { amount currencyCode } inStock
//	  category { id name parent { id name } } rating { average count }
//	  featuredImage { url(width: 400) altText } variants { id title inStock } }
//	  pageInfo { hasNextPage endCursor } }
//
// with the statements shopgraph makes of it: the page, and the products' details; the
// categories and their parents come from the tree in memory.
func (s *Server) productList(ctx context.Context, first int) ([]byte, error) {
	if first <= 0 || first > 100 {
		return nil, fmt.Errorf("first must be 1 to 100")
	}
	rows, err := s.pool.Query(ctx, listProductsSQL(first))
	if err != nil {
		return nil, err
	}
	var ps []product
	var p product
	var value string
	_, err = pgx.ForEachRow(rows, append(p.dest(), &value), func() error {
		ps = append(ps, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	more := len(ps) > first
	if more {
		ps = ps[:first]
	}
	cats, err := s.categoriesByID(ctx, unique(ps, func(p product) int64 { return p.categoryID }))
	if err != nil {
		return nil, err
	}
	var parentIDs []int64
	seen := map[int64]bool{}
	for _, c := range cats {
		if c.parentID != 0 && !seen[c.parentID] {
			seen[c.parentID] = true
			parentIDs = append(parentIDs, c.parentID)
		}
	}
	parents := map[int64]category{}
	if len(parentIDs) > 0 {
		if parents, err = s.categoriesByID(ctx, parentIDs); err != nil {
			return nil, err
		}
	}
	details, err := s.details(ctx, unique(ps, func(p product) int64 { return p.id }))
	if err != nil {
		return nil, err
	}
	var w jsonWriter
	w.raw(`{"products":{"nodes":[`)
	for i, p := range ps {
		if i > 0 {
			w.raw(",")
		}
		w.raw(`{"id":`)
		w.str(globalID("Product", p.id))
		w.raw(`,"slug":`)
		w.str(p.slug)
		w.raw(`,"name":`)
		w.str(p.name)
		w.raw(`,"price":{"amount":`)
		w.raw(strconv.Quote(formatMinor(p.priceMinor)))
		w.raw(`,"currencyCode":`)
		w.str(p.currency)
		w.raw(`},"inStock":`)
		w.raw(strconv.FormatBool(p.stock > 0 && !p.deleted))
		c, ok := cats[p.categoryID]
		if !ok {
			return nil, fmt.Errorf("category %d not found", p.categoryID)
		}
		w.raw(`,"category":{"id":`)
		w.str(globalID("Category", c.id))
		w.raw(`,"name":`)
		w.str(c.name)
		w.raw(`,"parent":`)
		if pc, ok := parents[c.parentID]; ok {
			w.raw(`{"id":`)
			w.str(globalID("Category", pc.id))
			w.raw(`,"name":`)
			w.str(pc.name)
			w.raw(`}`)
		} else {
			w.raw(`null`)
		}
		w.raw(`}`)
		w.rating(p)
		d := details[p.id]
		w.raw(`,"featuredImage":`)
		if len(d.images) == 0 {
			w.raw(`null`)
		} else {
			img := d.images[0]
			w.raw(`{"url":`)
			w.str(imageURL(img.ID, img.Src, img.W, img.H, 400))
			w.raw(`,"altText":`)
			w.altText(img.Alt)
			w.raw(`}`)
		}
		w.raw(`,"variants":[`)
		for j, v := range d.variants {
			if j > 0 {
				w.raw(",")
			}
			w.raw(`{"id":`)
			w.str(globalID("ProductVariant", v.ID))
			w.raw(`,"title":`)
			w.str(variantTitle(v.Options))
			w.raw(`,"inStock":`)
			w.raw(strconv.FormatBool(v.Stock > 0))
			w.raw(`}`)
		}
		w.raw(`]}`)
	}
	w.raw(`],"pageInfo":{"hasNextPage":`)
	w.raw(strconv.FormatBool(more))
	w.raw(`,"endCursor":`)
	if len(ps) == 0 {
		w.raw(`null`)
	} else {
		w.str(cursor("ID", "0", ps[len(ps)-1].id))
	}
	w.raw(`}}}`)
	return w.b, nil
}

func unique[T any](xs []T, key func(T) int64) []int64 {
	seen := make(map[int64]bool, len(xs))
	var out []int64
	for _, x := range xs {
		if k := key(x); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// globalID is shopgraph's global id: "Type:id" in unpadded URL-safe base64.
func globalID(typ string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.FormatInt(id, 10)))
}

// cursor is shopgraph's opaque product cursor.
func cursor(sort, value string, id int64) string {
	b, _ := json.Marshal(struct {
		Sort  string `json:"s"`
		Value string `json:"v"`
		ID    int64  `json:"i"`
	}{sort, value, id})
	return base64.RawURLEncoding.EncodeToString(b)
}

// formatMinor is domain.FormatMinor: minor units as a decimal with two places.
func formatMinor(minor int64) string {
	sign := ""
	u := uint64(minor)
	if minor < 0 {
		sign = "-"
		u = uint64(-minor)
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// jsonWriter appends JSON the way gqlgen's marshalers write it.
type jsonWriter struct{ b []byte }

func (w *jsonWriter) raw(s string) { w.b = append(w.b, s...) }

const hexDigits = "0123456789ABCDEF"

// str writes s quoted as gqlgen's graphql.MarshalString does.
func (w *jsonWriter) str(s string) {
	w.b = append(w.b, '"')
	start := 0
	for i, c := range s {
		if c < 0x20 || c == '\\' || c == '"' {
			w.b = append(w.b, s[start:i]...)
			switch c {
			case '\t':
				w.b = append(w.b, `\t`...)
			case '\r':
				w.b = append(w.b, `\r`...)
			case '\n':
				w.b = append(w.b, `\n`...)
			case '\\':
				w.b = append(w.b, `\\`...)
			case '"':
				w.b = append(w.b, `\"`...)
			default:
				w.b = append(w.b, `\u00`...)
				w.b = append(w.b, hexDigits[c>>4], hexDigits[c&0xf])
			}
			start = i + 1
		}
	}
	w.b = append(w.b, s[start:]...)
	w.b = append(w.b, '"')
}
