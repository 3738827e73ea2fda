package graphiql

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// attrURL matches src="..." and href="..." attributes in the page.
var attrURL = regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*["']([^"']*)["']`)

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, target, err)
	}
	return res, string(body)
}

func pageAssetURLs(t *testing.T, page string) []string {
	t.Helper()
	var urls []string
	for _, m := range attrURL.FindAllStringSubmatch(page, -1) {
		urls = append(urls, m[1])
	}
	return urls
}

func TestPage(t *testing.T) {
	h := Handler("/graphql")
	res, body := get(t, h, http.MethodGet, PagePath, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /graphiql: status %d, want 200", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("GET /graphiql: Content-Type %q, want text/html; charset=utf-8", ct)
	}
	if !strings.Contains(body, `id="graphiql"`) {
		t.Error("page has no graphiql container")
	}
	if !strings.Contains(body, `data-endpoint="/graphql"`) {
		t.Error("page does not carry the endpoint")
	}
	lower := strings.ToLower(body)
	for _, cdn := range []string{"unpkg", "jsdelivr", "cdnjs", "googleapis"} {
		if strings.Contains(lower, cdn) {
			t.Errorf("page mentions %q", cdn)
		}
	}
	if strings.Contains(lower, "<script>") || regexp.MustCompile(`(?i)<script(\s[^>]*)?>[^<]`).MatchString(body) {
		t.Error("page has an inline script; script-src 'self' would block it")
	}

	urls := pageAssetURLs(t, body)
	if len(urls) < 4 {
		t.Fatalf("page references %d src/href URLs, want at least 4 (css + scripts): %q", len(urls), urls)
	}
	for _, u := range urls {
		l := strings.ToLower(u)
		if strings.Contains(l, "http://") || strings.Contains(l, "https://") || strings.HasPrefix(l, "//") {
			t.Errorf("page references a non-same-origin URL %q", u)
		}
	}
}

func TestPageHeaders(t *testing.T) {
	res, _ := get(t, Handler("/graphql"), http.MethodGet, "http://example.test:8080/graphiql", nil)
	csp := res.Header.Get("Content-Security-Policy")
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	want := map[string]string{
		"default-src": "'none'",
		"script-src":  "'self'",
		"style-src":   "'self' 'unsafe-inline'",
		"connect-src": "'self' ws://example.test:8080 wss://example.test:8080",
	}
	for name, value := range want {
		if directives[name] != value {
			t.Errorf("CSP %s = %q, want %q (whole CSP: %q)", name, directives[name], value, csp)
		}
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("page Cache-Control %q, want no-cache", cc)
	}

	// A Host header that could inject CSP directives is left out.
	res, _ = get(t, Handler("/graphql"), http.MethodGet, PagePath, map[string]string{"Host": "evil; script-src *"})
	if csp := res.Header.Get("Content-Security-Policy"); strings.Contains(csp, "evil") || strings.Contains(csp, "*") {
		t.Errorf("hostile Host leaked into CSP: %q", csp)
	}

	// An absolute endpoint on another origin is allowed in connect-src.
	res, body := get(t, Handler("https://api.example.test/graphql"), http.MethodGet, PagePath, nil)
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, " https://api.example.test wss://api.example.test") {
		t.Errorf("absolute endpoint origin missing from CSP: %q", csp)
	}
	if !strings.Contains(body, `data-endpoint="https://api.example.test/graphql"`) {
		t.Error("page does not carry the absolute endpoint")
	}
}

func TestEndpointIsEscaped(t *testing.T) {
	_, body := get(t, Handler(`/graphql"><script>alert(1)</script>`), http.MethodGet, PagePath, nil)
	if strings.Contains(body, "<script>alert") {
		t.Error("endpoint is not HTML-escaped in the page")
	}
}

func TestPageAssets(t *testing.T) {
	h := Handler("/graphql")
	_, page := get(t, h, http.MethodGet, PagePath, nil)
	wantType := map[string]string{
		".js":  "text/javascript; charset=utf-8",
		".css": "text/css; charset=utf-8",
	}
	for _, raw := range pageAssetURLs(t, page) {
		u, err := url.Parse(raw)
		if err != nil {
			t.Errorf("page URL %q: %v", raw, err)
			continue
		}
		if !strings.HasPrefix(u.Path, AssetPrefix) {
			t.Errorf("page URL %q is not under AssetPrefix %q", raw, AssetPrefix)
		}
		res, body := get(t, h, http.MethodGet, raw, nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", raw, res.StatusCode)
			continue
		}
		ext := u.Path[strings.LastIndex(u.Path, "."):]
		if ct := res.Header.Get("Content-Type"); ct != wantType[ext] {
			t.Errorf("GET %s: Content-Type %q, want %q", raw, ct, wantType[ext])
		}
		if len(body) == 0 {
			t.Errorf("GET %s: empty body", raw)
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("GET %s: Cache-Control %q, want a long max-age", raw, cc)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: missing X-Content-Type-Options: nosniff", raw)
		}
		if strings.Contains(body, "unpkg.com") || strings.Contains(body, "cdn.jsdelivr") {
			t.Errorf("GET %s: asset refers to a CDN", raw)
		}

		// Revalidation with the ETag answers 304.
		res, _ = get(t, h, http.MethodGet, raw, map[string]string{"If-None-Match": res.Header.Get("ETag")})
		if res.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with matching If-None-Match: status %d, want 304", raw, res.StatusCode)
		}
	}
}

func TestLicencesServed(t *testing.T) {
	h := Handler("/graphql")
	for _, name := range []string{"VERSIONS.txt", "LICENSE.graphiql.txt", "LICENSE.react.txt", "LICENSE.react-dom.txt", "THIRD_PARTY_LICENSES.txt"} {
		res, body := get(t, h, http.MethodGet, AssetPrefix+name, nil)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") || len(body) == 0 {
			t.Errorf("GET %s: status %d, Content-Type %q, %d bytes", AssetPrefix+name, res.StatusCode, res.Header.Get("Content-Type"), len(body))
		}
	}
}

func TestNotFound(t *testing.T) {
	h := Handler("/graphql")
	for _, p := range []string{
		"/nope",
		"/index.html",
		"/graphql",
		"/",
		"/graphiql/x",
		AssetPrefix,
		AssetPrefix + "missing.js",
		AssetPrefix + "../graphiql.go",
		AssetPrefix + "sub/init.js",
		"/assets/init.js",
	} {
		res, _ := get(t, h, http.MethodGet, p, nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, res.StatusCode)
		}
	}
}

func TestMethods(t *testing.T) {
	h := Handler("/graphql")
	res, body := get(t, h, http.MethodHead, PagePath, nil)
	if res.StatusCode != http.StatusOK || body != "" {
		t.Errorf("HEAD /graphiql: status %d, %d body bytes; want 200 and no body", res.StatusCode, len(body))
	}
	for _, p := range []string{PagePath, AssetPrefix + "init.js"} {
		res, _ := get(t, h, http.MethodPost, p, nil)
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("POST %s: status %d, Allow %q; want 405 with Allow: GET, HEAD", p, res.StatusCode, res.Header.Get("Allow"))
		}
	}
}

func TestMountedOnServeMux(t *testing.T) {
	// The layout the server is expected to use.
	h := Handler("/graphql")
	mux := http.NewServeMux()
	mux.Handle(PagePath, h)
	mux.Handle(AssetPrefix, h)
	for p, want := range map[string]int{
		PagePath:                 http.StatusOK,
		"/":                      http.StatusNotFound,
		AssetPrefix + "init.js":  http.StatusOK,
		AssetPrefix + "nope.js":  http.StatusNotFound,
		"/elsewhere":             http.StatusNotFound,
		AssetPrefix + "page.css": http.StatusOK,
	} {
		res, _ := get(t, mux, http.MethodGet, p, nil)
		if res.StatusCode != want {
			t.Errorf("mux GET %s: status %d, want %d", p, res.StatusCode, want)
		}
	}
}

func TestEmptyEndpointPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Handler(\"\") did not panic")
		}
	}()
	Handler("")
}
