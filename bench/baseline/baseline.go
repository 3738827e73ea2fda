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
// CatalogStore.AllCategories (the tree) and CatalogStore.CategoriesByID (a category the
// tree lacks).
const (
	productColumns = `p.id, p.slug, p.name, p.description, p.price_minor, p.currency,
	p.category_id, p.stock, p.units_sold, p.created_at, p.updated_at, p.deleted_at IS NOT NULL`
	categoryColumns = `c.id, coalesce(c.parent_id, 0), c.slug, c.name, c.description, c.position`

	productBySlugSQL = `SELECT ` + productColumns + ` FROM products p
		WHERE p.slug = $1 AND p.deleted_at IS NULL`
	categoriesByIDSQL = `SELECT ` + categoryColumns + ` FROM categories c WHERE c.id = ANY($1)`
	allCategoriesSQL  = `SELECT ` + categoryColumns + ` FROM categories c ORDER BY c.position, c.name, c.id`
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
		err = fmt.Errorf("unknown operation %q", req.OperationName)
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
	stock                                 int32
	createdAt, updatedAt                  time.Time
	deleted                               bool
}

func (p *product) dest() []any {
	return []any{&p.id, &p.slug, &p.name, &p.description, &p.priceMinor, &p.currency,
		&p.categoryID, &p.stock, &p.unitsSold, &p.createdAt, &p.updatedAt, &p.deleted}
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
//	  availableQuantity inStock category { id name slug } }
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
	w.raw(`}}}`)
	return w.b, nil
}

// productList answers
//
//	products(first: $first) { nodes { id slug name price { amount currencyCode } inStock
//	  category { id name parent { id name } } } pageInfo { hasNextPage endCursor } }
//
// with the statement shopgraph makes of it: the page; the categories and their parents
// come from the tree in memory.
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
		w.raw(`}}`)
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
