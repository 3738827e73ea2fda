// Package web serves shopgraph's browser clients, the storefront and the admin, from the
// binary itself. The clients are TypeScript sources in this directory (storefront/,
// admin/, shared/); `make web` builds them into dist/, which is committed and embedded,
// so building shopgraph needs no Node.
//
// Handler answers:
//
//	GET, HEAD /assets/NAME     a built file (content-hashed name, cached for a year, gzip when accepted)
//	GET, HEAD /admin, /admin/… the admin page (the client routes below /admin itself)
//	GET, HEAD a storefront route (/, /search, /c/…, /p/…, /cart, /checkout, /signin,
//	                           /signup, /orders, /orders/…) the storefront page
//	GET, HEAD any other path   the storefront page with 404 Not Found (it shows its own
//	                           "not found"), or a bare 404 when the last segment has a dot
//
// Operations lists the operations the clients send, exactly as they send them, with
// their SHA-256 hashes: the server accepts them as persisted queries.
package web

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed dist
var dist embed.FS

// Operation is one GraphQL operation of a client, as the build's manifest records it.
type Operation struct {
	// Client is "storefront" or "admin".
	Client string `json:"client"`
	// Name is the operation's name, unique across the clients.
	Name string `json:"name"`
	// Type is query, mutation or subscription.
	Type string `json:"type"`
	// Hash is the SHA-256 of Query, in hex: the persisted-query hash.
	Hash string `json:"hash"`
	// Query is the document the client sends: the operation and its fragments.
	Query string `json:"query"`
}

// Operations returns the clients' operations from the embedded manifest. It panics if the
// manifest is missing or malformed, which a test catches before any release.
var Operations = sync.OnceValue(func() []Operation {
	raw, err := dist.ReadFile("dist/operations.json")
	if err != nil {
		panic("web: reading the operations manifest: " + err.Error())
	}
	var ops []Operation
	if err := json.Unmarshal(raw, &ops); err != nil {
		panic("web: decoding the operations manifest: " + err.Error())
	}
	return ops
})

var contentTypes = map[string]string{
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".html": "text/html; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
}

type file struct {
	body, gz    []byte
	contentType string
	etag        string
}

func load(name string) *file {
	body, err := dist.ReadFile(name)
	if err != nil {
		return nil
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(body)
	_ = zw.Close()
	f := &file{body: body, contentType: contentTypes[path.Ext(name)]}
	if buf.Len() < len(body) {
		f.gz = buf.Bytes()
	}
	return f
}

var files = sync.OnceValue(func() map[string]*file {
	m := map[string]*file{}
	_ = fs.WalkDir(dist, "dist/assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if _, ok := contentTypes[path.Ext(p)]; ok {
			m[strings.TrimPrefix(p, "dist")] = load(p)
		}
		return nil
	})
	for _, page := range []string{"storefront", "admin"} {
		if f := load("dist/" + page + ".html"); f != nil {
			m[page] = f
		}
	}
	return m
})

// Handler returns the handler of the clients' pages and files (see the package comment).
// Pages carry a Content-Security-Policy that allows scripts and styles from the same
// origin only and connections to the same origin (HTTP and WebSocket).
func Handler() http.Handler {
	fs := files()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		p := r.URL.Path
		h := w.Header()
		status := http.StatusOK
		var f *file
		switch {
		case strings.HasPrefix(p, "/assets/"):
			if f = fs[p]; f == nil {
				http.NotFound(w, r)
				return
			}
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		case p == "/admin" || strings.HasPrefix(p, "/admin/"):
			f = fs["admin"]
		case strings.Contains(path.Base(p), "."):
			http.NotFound(w, r)
			return
		default:
			f = fs["storefront"]
			if !storefrontRoute(p) {
				status = http.StatusNotFound
			}
		}
		if f == nil {
			http.Error(w, "the browser clients are not built: run make web", http.StatusNotFound)
			return
		}
		if f.contentType == contentTypes[".html"] {
			h.Set("Cache-Control", "no-cache")
			h.Set("Content-Security-Policy", csp(r.Host))
		}
		h.Set("Content-Type", f.contentType)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Add("Vary", "Accept-Encoding")
		body := f.body
		if f.gz != nil && acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			body = f.gz
		}
		if status != http.StatusOK {
			w.WriteHeader(status)
			if r.Method != http.MethodHead {
				_, _ = w.Write(body)
			}
			return
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
	})
}

// storefrontRoute reports whether p is a screen of the storefront (storefront/main.tsx).
func storefrontRoute(p string) bool {
	switch p {
	case "/", "/search", "/cart", "/checkout", "/signin", "/signup", "/orders":
		return true
	}
	for _, prefix := range []string{"/c/", "/p/", "/orders/"} {
		if rest, ok := strings.CutPrefix(p, prefix); ok && rest != "" && !strings.Contains(rest, "/") {
			return true
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

// csp is the pages' policy. Chart.js and the view library set element styles from
// script, hence the inline styles.
func csp(host string) string {
	connect := "'self'"
	if validHost(host) {
		connect += fmt.Sprintf(" ws://%s wss://%s", host, host)
	}
	return "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
		"font-src 'self'; connect-src " + connect + "; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// validHost reports whether host is safe to copy into a CSP source: letters, digits,
// dots, dashes and a port.
func validHost(host string) bool {
	if host == "" || len(host) > 255 {
		return false
	}
	for _, c := range host {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '-', c == ':':
		default:
			return false
		}
	}
	return true
}
