package domain

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// canonicalSlug is what Slugify may return: lower-case words of letters and digits joined
// by single hyphens.
var canonicalSlug = regexp.MustCompile(`^([a-z0-9]+(-[a-z0-9]+)*)?$`)

// FuzzSlugify checks that every slug Slugify makes is canonical, short enough, accepted
// by the slug check of product writes, and a fixed point.
func FuzzSlugify(f *testing.F) {
	for _, s := range []string{"Crew Neck T-Shirt", "Salt & Pepper", "&&&", "  --Ünïcødé--  ", strings.Repeat("ab-", 100), "", "a\x00b", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		s := Slugify(name)
		if len(s) > MaxSlugLength || !canonicalSlug.MatchString(s) {
			t.Fatalf("Slugify(%q) = %q", name, s)
		}
		if s != "" && checkSlug([]string{"slug"}, s) != nil {
			t.Fatalf("Slugify(%q) = %q, which product writes refuse", name, s)
		}
		if again := Slugify(s); again != s {
			t.Fatalf("Slugify(%q) = %q, but Slugify(%q) = %q", name, s, s, again)
		}
	})
}

// FuzzValidateEmail checks that an email address that passes ValidateEmail after
// NormalizeEmail, as sign-up and sign-in do, is short, plain text without NUL or spaces,
// has one @ and a dotted domain, and is already normalized.
func FuzzValidateEmail(f *testing.F) {
	for _, s := range []string{"a@example.com", "  Shopper@Example.COM ", "Pat <pat@example.com>", "a@b", "\"a b\"@example.com",
		"a@example.com\x00", "x@[127.0.0.1]", "İ@example.com", strings.Repeat("a", 250) + "@e.co"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		e := NormalizeEmail(raw)
		if ValidateEmail(e) != nil {
			return
		}
		if e == "" || len(e) > MaxEmailLength || !utf8.ValidString(e) || strings.ContainsRune(e, 0) {
			t.Fatalf("%q accepted as %q", raw, e)
		}
		at := strings.LastIndexByte(e, '@')
		if at <= 0 || !strings.Contains(e[at+1:], ".") {
			t.Fatalf("%q accepted as %q: no local part or no dotted domain", raw, e)
		}
		if NormalizeEmail(e) != e {
			t.Fatalf("%q normalizes to %q, which normalizes again to %q", raw, e, NormalizeEmail(e))
		}
	})
}

// FuzzProductFilterValidate checks that a filter Validate accepts has the properties the
// listing's SQL relies on, and that a refusal always names a field.
func FuzzProductFilterValidate(f *testing.F) {
	f.Add("garden hose", int64(100), int64(5000), true, true, 0)
	f.Add(strings.Repeat("x", 201), int64(0), int64(0), false, false, 0)
	f.Add("", int64(-1), int64(0), true, false, 0)
	f.Add("", int64(10), int64(5), true, true, -1)
	f.Fuzz(func(t *testing.T, query string, minPrice, maxPrice int64, hasMin, hasMax bool, maxStock int) {
		flt := ProductFilter{Query: query}
		if hasMin {
			flt.MinPrice = &minPrice
		}
		if hasMax {
			flt.MaxPrice = &maxPrice
		}
		if maxStock != 0 {
			flt.MaxStock = &maxStock
		}
		err := flt.Validate()
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Code != CodeBadUserInput || len(e.Field) == 0 {
				t.Fatalf("%+v: %v", flt, err)
			}
			return
		}
		if len(query) > MaxSearchQueryLength || hasMin && minPrice < 0 || hasMax && maxPrice < 0 || hasMin && hasMax && minPrice > maxPrice || maxStock < 0 {
			t.Fatalf("accepted %+v", flt)
		}
	})
}

// FuzzAddressValidate checks that a normalized address Validate accepts is plain text
// within its limits, and that validating never panics.
func FuzzAddressValidate(f *testing.F) {
	f.Add("Ada Lovelace", "12 Analytical Row", "", "London", "", "N1 9GU", "gb")
	f.Add(" ", "x", "y", "z", "w", "1", "India")
	f.Add("a\x00", "\xff", "", "c", "", "1", "IN")
	f.Fuzz(func(t *testing.T, name, line1, line2, city, region, postal, country string) {
		a := Address{Name: name, Line1: line1, Line2: line2, City: city, Region: region, PostalCode: postal, Country: country}.Normalize()
		if len(a.Validate("input", "shippingAddress")) > 0 {
			return
		}
		for field, v := range map[string]string{"name": a.Name, "line1": a.Line1, "line2": a.Line2, "city": a.City, "region": a.Region, "postalCode": a.PostalCode} {
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) || utf8.RuneCountInString(v) > 200 {
				t.Fatalf("accepted %s %q", field, v)
			}
		}
		if a.Name == "" || a.Line1 == "" || a.City == "" || a.PostalCode == "" || len(a.Country) != 2 || strings.ToUpper(a.Country) != a.Country {
			t.Fatalf("accepted %+v", a)
		}
		if a.Normalize() != a {
			t.Fatalf("%+v is not a fixed point of Normalize", a)
		}
	})
}

// FuzzToAnalytics checks that any payload of any event type is flattened into rows or
// refused with an error, never a panic, and that rows keep the event's id and a UTC time.
func FuzzToAnalytics(f *testing.F) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct{ typ, payload string }{
		{"order.created", `{"orderId":1,"lines":[{"productId":2,"quantity":3,"unitMinor":100}],"totalMinor":300}`},
		{"order.paid", `{"orderId":1}`},
		{"order.cancelled", `{"orderId":0}`},
		{"payment.processed", `{"orderId":1,"amountMinor":-5,"method":"UPI"}`},
		{"user.registered", `{"userId":"x"}`},
		{"inventory.reserved", `{"productId":1,"delta":-2}`},
		{"analytics.tracked", `{"type":"SEARCHED","sessionId":"s","at":"2026-01-02T03:04:05Z"}`},
		{"shipment.delivered", `null`},
		{"order.returned", `[`},
		{"", ``},
	} {
		f.Add("e1", c.typ, c.payload)
	}
	f.Fuzz(func(t *testing.T, id, typ, payload string) {
		rows, err := ToAnalytics(id, typ, "key", at, []byte(payload))
		if err != nil {
			if rows != nil {
				t.Fatalf("rows and an error: %+v, %v", rows, err)
			}
			return
		}
		for _, r := range rows {
			if r.EventID != id || r.At.Location() != time.UTC || r.Currency == "" {
				t.Fatalf("%s %s: row %+v", typ, payload, r)
			}
			if _, err := json.Marshal(r); err != nil {
				t.Fatalf("row %+v does not encode: %v", r, err)
			}
		}
	})
}
