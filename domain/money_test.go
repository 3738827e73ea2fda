package domain

import (
	"testing"
)

func TestParseMinor(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"19.99", 1999, true},
		{"20", 2000, true},
		{"0.5", 50, true},
		{"0.05", 5, true},
		{"-3.10", -310, true},
		{"0", 0, true},
		{"10000000000.00", 1_000_000_000_000, true},
		{"10000000000.01", 0, false},
		{"", 0, false},
		{".5", 0, false},
		{"5.", 0, false},
		{"1.001", 0, false},
		{"1e3", 0, false},
		{"+1", 0, false},
		{"--1", 0, false},
		{"1,5", 0, false},
		{" 1", 0, false},
		{"99999999999999999999", 0, false},
		{"１", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseMinor(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseMinor(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && ErrorCode(err) != CodeBadUserInput {
			t.Errorf("ParseMinor(%q) error code = %s", tc.in, ErrorCode(err))
		}
	}
}

func TestFormatMinor(t *testing.T) {
	for in, want := range map[int64]string{0: "0.00", 5: "0.05", 1999: "19.99", -310: "-3.10", -5: "-0.05", 100: "1.00"} {
		if got := FormatMinor(in); got != want {
			t.Errorf("FormatMinor(%d) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseMinor checks that every accepted decimal formats back to a string that parses
// to the same amount, and that nothing panics.
func FuzzParseMinor(f *testing.F) {
	for _, s := range []string{"19.99", "0", "-1.5", "1e9", "", ".", "-", "00.10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseMinor(s)
		if err != nil {
			return
		}
		back, err := ParseMinor(FormatMinor(v))
		if err != nil || back != v {
			t.Fatalf("%q parsed to %d, which formats to %q and parses to %d, %v", s, v, FormatMinor(v), back, err)
		}
	})
}

func TestPageArgsNormalize(t *testing.T) {
	n := func(v int) *int { return &v }
	tests := []struct {
		name      string
		in        PageArgs
		wantLimit int
		wantErr   bool
		backward  bool
	}{
		{"default", PageArgs{}, DefaultPageSize, false, false},
		{"first", PageArgs{First: n(5)}, 5, false, false},
		{"last", PageArgs{Last: n(7)}, 7, false, true},
		{"zero", PageArgs{First: n(0)}, 0, false, false},
		{"cap", PageArgs{First: n(MaxPageSize)}, MaxPageSize, false, false},
		{"over cap", PageArgs{First: n(MaxPageSize + 1)}, 0, true, false},
		{"negative last", PageArgs{Last: n(-1)}, 0, true, false},
		{"both", PageArgs{First: n(1), Last: n(1)}, 0, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.in.Normalize()
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				if ErrorCode(err) != CodeBadUserInput {
					t.Errorf("code = %s", ErrorCode(err))
				}
				return
			}
			if p.Limit() != tc.wantLimit || p.Backward() != tc.backward {
				t.Errorf("limit %d backward %v, want %d %v", p.Limit(), p.Backward(), tc.wantLimit, tc.backward)
			}
		})
	}
}
