package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/shopgraph/shopgraph/domain"
)

// mediaHandler serves the images shopgraph draws itself (Image.url of an image without a
// URL of its own): GET /media/<id>.svg?w=<width>&h=<height>, a placeholder of that size
// whose colours and pattern follow from the id, so every image of the demo shop looks
// different and works with no internet access. It reads nothing: the URL says it all,
// and the answer may be cached for good. Unknown paths and sizes outside
// 1..domain.MaxImageDimension get 404 and 400.
func mediaHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutSuffix(r.PathValue("file"), ".svg")
		id, err := strconv.ParseInt(name, 10, 64)
		if !ok || err != nil || id <= 0 || strconv.FormatInt(id, 10) != name {
			http.NotFound(w, r)
			return
		}
		size := func(key string) (int, bool) {
			v := r.URL.Query().Get(key)
			if v == "" {
				return 800, true
			}
			n, err := strconv.Atoi(v)
			return n, err == nil && n >= 1 && n <= domain.MaxImageDimension
		}
		width, okW := size("w")
		height, okH := size("h")
		if !okW || !okH {
			http.Error(w, fmt.Sprintf("w and h must be between 1 and %d", domain.MaxImageDimension), http.StatusBadRequest)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "image/svg+xml")
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		_, _ = w.Write(placeholderSVG(id, width, height))
	})
}

// placeholderSVG draws image id at width × height: a soft background, a tinted disc and
// a band, in hues picked by the id, with the size written in the corner.
func placeholderSVG(id int64, width, height int) []byte {
	hue := (id * 137) % 360
	accent := (hue + 40 + (id%3)*60) % 360
	r := min(width, height) * 3 / 10
	cx, cy := width/2+int(id%7-3)*width/40, height/2+int(id%5-2)*height/30
	font := max(10, min(width, height)/18)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`, width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="hsl(%d,45%%,92%%)"/>`, hue)
	fmt.Fprintf(&b, `<rect y="%d" width="100%%" height="%d" fill="hsl(%d,40%%,84%%)"/>`, height*2/3, height/3, hue)
	fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="%d" fill="hsl(%d,55%%,62%%)"/>`, cx, cy, r, accent)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="%d" fill="hsl(%d,35%%,40%%)" opacity="0.55"/>`,
		cx-r/2, cy+r/3, r, r/3, r/10, accent)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-family="sans-serif" font-size="%d" fill="hsl(%d,30%%,35%%)" text-anchor="end">%d×%d</text>`,
		width-font/2, height-font/2, font, hue, width, height)
	b.WriteString(`</svg>`)
	return []byte(b.String())
}
