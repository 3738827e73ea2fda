package resolvers

import (
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
