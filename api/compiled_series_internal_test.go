package api

import (
	"bytes"
	"math"
	"testing"

	"github.com/shopgraph/shopgraph/graph/model"
)

// TestCompiledDecimalMatchesMarshaler: the series writer writes a Decimal as its own
// marshaler does, signs, zeros and both ends of int64 included.
func TestCompiledDecimalMatchesMarshaler(t *testing.T) {
	for _, minor := range []int64{0, 1, 9, 10, 99, 100, 101, 1234, -1, -5, -99, -100, -250, 100_000_000_07, math.MaxInt64, math.MinInt64, math.MinInt64 + 1} {
		var want bytes.Buffer
		model.Decimal(minor).MarshalGQL(&want)
		if got := appendDecimal(nil, minor); string(got) != want.String() {
			t.Errorf("%d: written %s, Decimal marshals %s", minor, got, want.String())
		}
	}
}
