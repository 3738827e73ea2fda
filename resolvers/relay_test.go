package resolvers

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/shopgraph/shopgraph/domain"
)

func TestGlobalIDRoundTrip(t *testing.T) {
	for _, id := range []int64{1, 42, 1 << 40} {
		gid := encodeID(typeProduct, id)
		got, err := decodeID(gid, typeProduct, "id")
		if err != nil || got != id {
			t.Errorf("decode(encode(%d)) = %d, %v", id, got, err)
		}
		if _, err := decodeID(gid, typeCategory, "id"); domain.ErrorCode(err) != domain.CodeBadUserInput {
			t.Errorf("a Product id decoded as a Category: %v", err)
		}
	}
	for _, bad := range []string{"", "!!", "UHJvZHVjdA", "UHJvZHVjdDow", "UHJvZHVjdDotMQ", "UHJvZHVjdDowMQ", "UHJvZHVjdDox=="} {
		if _, _, ok := decodeAnyID(bad); ok {
			t.Errorf("%q decoded as a valid id", bad)
		}
	}
}

// FuzzDecodeAnyID checks that decoding never panics and that every id it accepts is the
// canonical encoding of what it decoded to.
func FuzzDecodeAnyID(f *testing.F) {
	f.Add(encodeID(typeProduct, 7))
	f.Add("UHJvZHVjdDow")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		typ, id, ok := decodeAnyID(s)
		if ok && encodeID(typ, id) != s {
			t.Fatalf("%q decoded to %s %d, which encodes to %q", s, typ, id, encodeID(typ, id))
		}
	})
}

// FuzzDecodeProductCursor checks that no cursor string panics or yields a cursor whose
// value its sort key would not accept.
func FuzzDecodeProductCursor(f *testing.F) {
	f.Add(encodeCursor(domain.Cursor{Sort: "PRICE", Value: "199", ID: 3}), "PRICE")
	f.Add(encodeCursor(domain.Cursor{Sort: "CREATED_AT", Value: "2026-01-02T03:04:05.000006Z", ID: 9}), "CREATED_AT")
	f.Add("eyJ4Ijp0cnVlfQ", "NAME")
	f.Fuzz(func(t *testing.T, s, key string) {
		k := domain.ProductSortKey(key)
		c, err := decodeProductCursor(&s, k, "after")
		if err == nil && (c == nil || c.ID <= 0 || !k.ValidCursorValue(c.Value)) {
			t.Fatalf("accepted a bad cursor %q: %+v", s, c)
		}
	})
}

// TestEncodingsMatchTheirGeneralForm checks that the stack-buffer encodings of ids and
// cursors spell exactly what the general ones (string concatenation, json.Marshal) do,
// for the plain values they take and the ones that need escaping.
func TestEncodingsMatchTheirGeneralForm(t *testing.T) {
	for _, typ := range []string{typeProduct, typeVariant, typeCartLine, strings.Repeat("T", 100)} {
		for _, id := range []int64{1, 42, 1 << 40, math.MaxInt64} {
			want := base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.FormatInt(id, 10)))
			if got := encodeID(typ, id); got != want {
				t.Errorf("encodeID(%q, %d) = %q, want %q", typ, id, got, want)
			}
		}
	}
	values := []string{"", "2026-12-07T05:55:07.123456Z", "Trail Runner 2", "12.50", `a"b`, `a\b`, "<b>", "x&y", "tab\there",
		"caf\u00e9", "\u2028", "bad \xff utf-8", "\x7f", strings.Repeat("long value ", 20)}
	for _, sort := range []string{"NEWEST", "name", "p<r"} {
		for _, v := range values {
			c := domain.Cursor{Sort: sort, Value: v, ID: 987654321}
			b, err := json.Marshal(cursorJSON{Sort: c.Sort, Value: c.Value, ID: c.ID})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := encodeCursor(c), base64.RawURLEncoding.EncodeToString(b); got != want {
				t.Errorf("encodeCursor(%+v) = %q, want %q", c, got, want)
			}
		}
	}
}
