// Package graphiql serves the GraphiQL in-browser IDE from the binary itself,
// with no CDN or other network access: the page, its scripts, its stylesheets
// and its fonts (inlined as data: URLs in graphiql.min.css) are all embedded.
//
// The handler answers exactly these paths:
//
//	GET, HEAD /graphiql              the GraphiQL page (text/html; see PagePath)
//	GET, HEAD /graphiql/assets/NAME  an embedded file from assets/ (see AssetPrefix)
//
// Every other path answers 404 Not Found, and other methods on those paths
// answer 405 Method Not Allowed. The page refers to its assets by root-relative
// URLs under AssetPrefix, so the handler must see request paths as they are on
// the site: register it for the exact path PagePath and for the subtree AssetPrefix
// (or for the subtree "/graphiql/"), without http.StripPrefix.
//
// The versions and licences of the third-party files are listed in
// assets/VERSIONS.txt.
package graphiql

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
)

// AssetPrefix is the URL path prefix under which Handler serves the embedded
// assets; the server must route every request whose path starts with it to
// the handler.
const AssetPrefix = "/graphiql/assets/"

// PagePath is the URL path of the GraphiQL page.
const PagePath = "/graphiql"

//go:embed assets
var assetFS embed.FS

//go:embed index.html
var indexHTML string

var pageTemplate = template.Must(template.New("index.html").Parse(indexHTML))

// pageStyles and pageScripts are the assets the page loads, in order.
var (
	pageStyles  = []string{"graphiql.min.css", "page.css"}
	pageScripts = []string{
		"react.production.min.js",
		"react-dom.production.min.js",
		"graphiql.min.js",
		"init.js",
	}
)

// contentTypes maps the extensions of the embedded files to their media types.
var contentTypes = map[string]string{
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".html": "text/html; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
}

// asset is one embedded file, ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string // quoted strong ETag: a prefix of the SHA-256 of body
	version     string // the same digest, unquoted, used to bust caches in URLs
}

// loadAssets reads every file under assets/ once; the embedded files never
// change at run time.
var loadAssets = sync.OnceValue(func() map[string]*asset {
	entries, err := fs.ReadDir(assetFS, "assets")
	if err != nil {
		panic("graphiql: reading embedded assets: " + err.Error())
	}
	m := make(map[string]*asset, len(entries))
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		ct, ok := contentTypes[path.Ext(e.Name())]
		if !ok {
			continue // serve only files whose type we know
		}
		body, err := assetFS.ReadFile("assets/" + e.Name())
		if err != nil {
			panic("graphiql: reading embedded asset: " + err.Error())
		}
		sum := sha256.Sum256(body)
		v := hex.EncodeToString(sum[:6])
		m[e.Name()] = &asset{body: body, contentType: ct, etag: `"` + v + `"`, version: v}
	}
	return m
})

// Handler returns an http.Handler that serves the GraphiQL page on GET PagePath and
// the embedded assets on GET AssetPrefix+NAME, and answers 404 for any other
// path (405 for methods other than GET and HEAD on those paths).
//
// endpoint is the GraphQL endpoint the page talks to: a path such as
// "/graphql", resolved in the browser against the page's own origin, or an
// absolute http(s) URL. Queries and mutations are POSTed to it; subscriptions
// use a WebSocket (graphql-transport-ws protocol) to the same URL with the
// scheme changed to ws: or wss:. Headers typed into the page's headers editor,
// such as {"Authorization":"Bearer ..."}, are sent as HTTP request headers and,
// for subscriptions, as the connection_init payload.
//
// The page is sent with Cache-Control: no-cache and a Content-Security-Policy
// that allows scripts only from 'self', styles from 'self' and inline, fonts
// and images from 'self' and data:, and connections only to 'self', ws(s)://
// on the request's host, and the origin of an absolute endpoint. Asset URLs
// carry a content digest, so assets are sent with a one-year immutable
// Cache-Control. Handler panics if endpoint is empty.
func Handler(endpoint string) http.Handler {
	if endpoint == "" {
		panic("graphiql: empty endpoint")
	}
	assets := loadAssets()
	assetURL := func(name string) string {
		a, ok := assets[name]
		if !ok {
			panic("graphiql: page asset missing from embedded files: " + name)
		}
		return AssetPrefix + name + "?v=" + a.version
	}
	data := struct {
		Endpoint        string
		Styles, Scripts []string
	}{Endpoint: endpoint}
	for _, n := range pageStyles {
		data.Styles = append(data.Styles, assetURL(n))
	}
	for _, n := range pageScripts {
		data.Scripts = append(data.Scripts, assetURL(n))
	}
	var page bytes.Buffer
	if err := pageTemplate.Execute(&page, data); err != nil {
		panic("graphiql: rendering page: " + err.Error())
	}
	return &handler{
		page:          page.Bytes(),
		assets:        assets,
		extraConnects: endpointOrigins(endpoint),
	}
}

type handler struct {
	page          []byte
	assets        map[string]*asset
	extraConnects string // connect-src sources for an absolute endpoint, or ""
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	var a *asset
	switch {
	case p == PagePath || p == PagePath+"/":
	case strings.HasPrefix(p, AssetPrefix):
		a = h.assets[strings.TrimPrefix(p, AssetPrefix)]
		if a == nil {
			http.NotFound(w, r)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}

	hdr := w.Header()
	hdr.Set("X-Content-Type-Options", "nosniff")
	if a != nil {
		hdr.Set("Content-Type", a.contentType)
		hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
		hdr.Set("ETag", a.etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
		return
	}
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("Content-Security-Policy", h.csp(r.Host))
	hdr.Set("Referrer-Policy", "no-referrer")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(h.page))
}

// csp returns the page's Content-Security-Policy for a request to host.
func (h *handler) csp(host string) string {
	connect := "'self'"
	if validHost(host) {
		// CSP3 lets 'self' match ws:/wss: on the page's host, but older
		// browsers need the WebSocket origins spelled out.
		connect += " ws://" + host + " wss://" + host
	}
	connect += h.extraConnects
	return "default-src 'none'; " +
		"script-src 'self'; " +
		"style-src 'self' 'unsafe-inline'; " +
		"font-src 'self' data:; " +
		"img-src 'self' data:; " +
		"connect-src " + connect + "; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// endpointOrigins returns " http(s)://origin ws(s)://origin" for an absolute
// http(s) endpoint, and "" for a path (covered by 'self' and the request host).
func endpointOrigins(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || !validHost(u.Host) {
		return ""
	}
	switch u.Scheme {
	case "http":
		return fmt.Sprintf(" http://%s ws://%s", u.Host, u.Host)
	case "https":
		return fmt.Sprintf(" https://%s wss://%s", u.Host, u.Host)
	}
	return ""
}

// validHost reports whether host is safe to copy into a CSP source
// expression: a non-empty host name or IPv4 address with an optional port.
// IPv6 literals are not valid CSP host sources; 'self' covers them.
func validHost(host string) bool {
	if host == "" || len(host) > 255 {
		return false
	}
	for _, c := range host {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '-', c == ':':
		default:
			return false
		}
	}
	return true
}
