package redis

import (
	"strconv"
	"testing"
)

// TestIDKeyIsKey checks that the one-allocation key of a product entry spells what Key
// spells for the same parts.
func TestIDKeyIsKey(t *testing.T) {
	for _, prefix := range []string{"", "sg:", "test-abc:"} {
		c := &Client{prefix: prefix}
		for _, id := range []int64{0, 7, 1234567890123} {
			for _, parts := range [][]string{{"cat", "g"}, {"cat", cacheFormat, "p"}, {}} {
				want := c.Key(append(parts, "{"+strconv.FormatInt(id, 10)+"}")...)
				if got := c.idKey(id, parts...); got != want {
					t.Errorf("idKey(%d, %q) with prefix %q = %q, want %q", id, parts, prefix, got, want)
				}
			}
		}
		if got, want := c.Key("cat", "s", "a-slug"), prefix+"cat:s:a-slug"; got != want {
			t.Errorf("Key = %q, want %q", got, want)
		}
	}
}
