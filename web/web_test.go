package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// sourcesDigest recomputes what build.mjs records in dist/sources.sha256: the SHA-256
// of the list "sha256(content)  path" of every source file of the clients (this
// directory without node_modules, dist, generated gql folders, GraphiQL, Go files and
// dotfiles), sorted by path, followed by the schema.
func sourcesDigest(t *testing.T) string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			switch name {
			case "node_modules", "dist", "gql", "graphiql":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") && !strings.HasPrefix(name, ".") {
			files = append(files, filepath.ToSlash(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	files = append(files, "../schema.graphqls")
	var list strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		fmt.Fprintf(&list, "%s  %s\n", hex.EncodeToString(sum[:]), f)
	}
	sum := sha256.Sum256([]byte(list.String()))
	return hex.EncodeToString(sum[:])
}

// TestBundleIsFresh fails when web/dist was built from other sources (or another
// schema) than those of the tree, or was a development build.
func TestBundleIsFresh(t *testing.T) {
	raw, err := dist.ReadFile("dist/sources.sha256")
	if err != nil {
		t.Fatalf("no build stamp: %v (run make web)", err)
	}
	stamp := strings.Fields(string(raw))
	if len(stamp) != 2 {
		t.Fatalf("malformed build stamp %q", raw)
	}
	if got := sourcesDigest(t); stamp[0] != got {
		t.Errorf("web/dist is stale: built from sources %s, the tree has %s; run make web and commit web/", stamp[0], got)
	}
	if stamp[1] != "production" {
		t.Errorf("web/dist is a %s build; run make web", stamp[1])
	}
}

func loadSchema(t *testing.T) *ast.Schema {
	t.Helper()
	raw, err := os.ReadFile("../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(raw)})
	if gerr != nil {
		t.Fatal(gerr)
	}
	return schema
}

// TestOperationsValidate checks every operation the clients send against the schema,
// and that each manifest entry's hash is the SHA-256 of its text (what the server checks
// for a persisted query).
func TestOperationsValidate(t *testing.T) {
	schema := loadSchema(t)
	ops := Operations()
	if len(ops) < 20 {
		t.Fatalf("only %d operations in the manifest", len(ops))
	}
	seen := map[string]bool{}
	for _, op := range ops {
		t.Run(op.Name, func(t *testing.T) {
			if seen[op.Name] {
				t.Errorf("operation %s appears twice", op.Name)
			}
			seen[op.Name] = true
			sum := sha256.Sum256([]byte(op.Query))
			if hex.EncodeToString(sum[:]) != op.Hash {
				t.Errorf("hash %s is not the SHA-256 of the query", op.Hash)
			}
			doc, err := parser.ParseQuery(&ast.Source{Name: op.Name, Input: op.Query})
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if errs := validator.ValidateWithRules(schema, doc, nil); len(errs) > 0 {
				t.Fatalf("does not validate against schema.graphqls: %v", errs)
			}
			if len(doc.Operations) != 1 || doc.Operations[0].Name != op.Name || string(doc.Operations[0].Operation) != op.Type {
				t.Errorf("the document is not one %s named %s", op.Type, op.Name)
			}
			if op.Client != "storefront" && op.Client != "admin" {
				t.Errorf("client %q", op.Client)
			}
		})
	}
}

func get(t *testing.T, h http.Handler, target string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

// TestHandler checks the routes: the storefront for its paths, the admin below /admin,
// content-hashed assets cached for good and gzipped, file-like paths not found.
func TestHandler(t *testing.T) {
	h := Handler()
	pages := map[string]string{"/": "storefront", "/p/a-product": "storefront", "/orders/T3JkZXI6MQ": "storefront",
		"/admin": "admin", "/admin/orders/x": "admin"}
	for p, want := range pages {
		res := get(t, h, p, nil)
		if body := readAll(t, res); res.StatusCode != 200 || !strings.Contains(body, "/assets/"+want+"-") {
			t.Errorf("GET %s: %d, not the %s page", p, res.StatusCode, want)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s: CSP %q", p, csp)
		}
	}
	for _, p := range []string{"/favicon.ico", "/assets/nope.js", "/robots.txt", "/debug/pprof/", "/p/a/b"} {
		if res := get(t, h, p, nil); res.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", p, res.StatusCode)
		}
	}
	// An unknown path gets the storefront, which says it found nothing, with a 404.
	if res := get(t, h, "/no/such/screen", nil); res.StatusCode != 404 || !strings.Contains(readAll(t, res), "/assets/storefront-") {
		t.Errorf("GET /no/such/screen: %d, want 404 with the storefront page", res.StatusCode)
	}
	var asset string
	for name := range files() {
		if strings.HasPrefix(name, "/assets/storefront-") && strings.HasSuffix(name, ".js") {
			asset = name
		}
	}
	res := get(t, h, asset, map[string]string{"Accept-Encoding": "gzip, br"})
	if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("GET %s: %d, encoding %q, cache %q", asset, res.StatusCode, res.Header.Get("Content-Encoding"), res.Header.Get("Cache-Control"))
	}
	if res := get(t, h, asset, nil); res.Header.Get("Content-Encoding") != "" {
		t.Errorf("GET %s without Accept-Encoding: encoded %q", asset, res.Header.Get("Content-Encoding"))
	}
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
