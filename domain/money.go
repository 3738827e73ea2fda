package domain

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultCurrency is the shop's currency. Every price in the catalog is in it.
const DefaultCurrency = "USD"

// maxMinorUnits caps amounts so sums of many lines stay far from int64 overflow:
// ten billion in a two-decimal currency.
const maxMinorUnits = 1_000_000_000_000

// Money is an amount in minor units (cents) of a currency. It is never a float.
type Money struct {
	Amount   int64
	Currency string
}

// String formats the amount as a decimal with two places, such as "19.99" or "-0.50".
func (m Money) String() string { return FormatMinor(m.Amount) }

// FormatMinor formats minor units as a decimal string with two places.
func FormatMinor(minor int64) string {
	sign := ""
	u := uint64(minor)
	if minor < 0 {
		sign = "-"
		u = uint64(-minor)
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// ParseMinor parses a decimal string such as "19.99", "20", "0.5" or "-3.10" into minor
// units of a two-decimal currency. It rejects exponents, more than two decimal places,
// signs other than a leading '-', empty parts and amounts over a trillion minor units,
// with a BAD_USER_INPUT error.
func ParseMinor(s string) (int64, error) {
	bad := func(reason string) (int64, error) {
		return 0, Errorf(CodeBadUserInput, "invalid decimal %q: %s", truncate(s, 40), reason)
	}
	if s == "" {
		return bad("empty")
	}
	neg := false
	rest := s
	if rest[0] == '-' {
		neg = true
		rest = rest[1:]
	}
	whole, frac, hasDot := strings.Cut(rest, ".")
	if whole == "" || (hasDot && frac == "") {
		return bad("expected digits on both sides of the point")
	}
	if len(frac) > 2 {
		return bad("at most two decimal places")
	}
	if !allDigits(whole) || !allDigits(frac) {
		return bad("expected a number such as 19.99")
	}
	if len(whole) > 13 {
		return bad("too large")
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return bad("too large")
	}
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	v := w*100 + f
	if v > maxMinorUnits {
		return bad("too large")
	}
	if neg {
		v = -v
	}
	return v, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
