package resolvers

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/shopgraph/shopgraph/domain"
)

// Global ids are "Type:dbid" in unpadded URL-safe base64. Clients treat them as opaque;
// the type prefix lets node(id:) route them and stops an id of one type from being used
// as another.
const (
	typeProduct  = "Product"
	typeCategory = "Category"
	typeUser     = "User"
	typeOrder    = "Order"
	typeCartLine = "CartLine"
	typeVariant  = "ProductVariant"
	typeImage    = "Image"
	typeBrand    = "Brand"
	typeReview   = "Review"
	typeDiscount = "Discount"
	typeReturn   = "Return"
)

// encodeID returns the global id of the object of the given type and database id.
// It is built in stack buffers: a page of products has hundreds of ids, and the id
// string is its only allocation.
func encodeID(typ string, id int64) string {
	var raw [48]byte
	b := append(raw[:0], typ...)
	b = append(b, ':')
	b = strconv.AppendInt(b, id, 10)
	return encodeRaw(b)
}

// encodeRaw returns b in unpadded URL-safe base64 with one allocation, the string.
func encodeRaw(b []byte) string {
	var buf [128]byte
	n := base64.RawURLEncoding.EncodedLen(len(b))
	if n > len(buf) {
		return base64.RawURLEncoding.EncodeToString(b)
	}
	base64.RawURLEncoding.Encode(buf[:n], b)
	return string(buf[:n])
}

// decodeAnyID splits a global id into its type and database id; ok is false for anything
// that is not a well-formed global id.
func decodeAnyID(gid string) (typ string, id int64, ok bool) {
	if len(gid) == 0 || len(gid) > 64 {
		return "", 0, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(gid)
	// One spelling per id: base64 ignores line breaks and the unused bits of the last
	// character, so an id is accepted only as it would be encoded.
	if err != nil || base64.RawURLEncoding.EncodeToString(raw) != gid {
		return "", 0, false
	}
	typ, num, found := strings.Cut(string(raw), ":")
	if !found || typ == "" {
		return "", 0, false
	}
	id, err = strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != num {
		return "", 0, false
	}
	return typ, id, true
}

// decodeID returns the database id of a global id of the wanted type, or a BAD_USER_INPUT
// error blaming field.
func decodeID(gid, want string, field ...string) (int64, error) {
	typ, id, ok := decodeAnyID(gid)
	if !ok || typ != want {
		return 0, domain.FieldError(field, "%s is not a valid %s id", strings.Join(field, "."), want)
	}
	return id, nil
}

// cursorJSON is the wire form of a cursor inside its base64 wrapping.
type cursorJSON struct {
	Sort  string `json:"s"`
	Value string `json:"v"`
	ID    int64  `json:"i"`
}

// encodeCursor returns the opaque form of c.
func encodeCursor(c domain.Cursor) string {
	if !plainJSON(c.Sort) || !plainJSON(c.Value) {
		b, _ := json.Marshal(cursorJSON{Sort: c.Sort, Value: c.Value, ID: c.ID})
		return base64.RawURLEncoding.EncodeToString(b)
	}
	// The common case, written as json.Marshal writes it: strings that need no escaping.
	var raw [96]byte
	b := append(raw[:0], `{"s":"`...)
	b = append(b, c.Sort...)
	b = append(b, `","v":"`...)
	b = append(b, c.Value...)
	b = append(b, `","i":`...)
	b = strconv.AppendInt(b, c.ID, 10)
	b = append(b, '}')
	return encodeRaw(b)
}

// plainJSON reports whether json.Marshal writes s as it is between quotes: printable
// ASCII without the characters it escapes (quote, backslash, <, >, &).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// decodeProductCursor reads an opaque cursor of a product listing sorted by key. It returns
// nil for a nil input and a BAD_USER_INPUT error blaming field for anything malformed,
// tampered with, or made for another sort order.
func decodeProductCursor(s *string, key domain.ProductSortKey, field string) (*domain.Cursor, error) {
	c, err := decodeCursor(s, string(key), field)
	if err != nil || c == nil {
		return c, err
	}
	if !key.ValidCursorValue(c.Value) {
		return nil, domain.FieldError([]string{field}, "%s is not a valid cursor for this listing", field)
	}
	return c, nil
}

// decodeCursor reads an opaque cursor made for the listing order sort. It returns nil for
// a nil input and a BAD_USER_INPUT error blaming field for anything malformed or made for
// another order; the caller checks the value's form.
func decodeCursor(s *string, sort, field string) (*domain.Cursor, error) {
	if s == nil {
		return nil, nil
	}
	bad := domain.FieldError([]string{field}, "%s is not a valid cursor for this listing", field)
	if len(*s) > 4096 {
		return nil, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(*s)
	if err != nil {
		return nil, bad
	}
	var c cursorJSON
	if err := json.Unmarshal(raw, &c); err != nil || c.ID <= 0 || c.Sort != sort {
		return nil, bad
	}
	return &domain.Cursor{Sort: c.Sort, Value: c.Value, ID: c.ID}, nil
}
