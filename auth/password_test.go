package auth

import (
	"regexp"
	"strings"
	"testing"
)

var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

// hashPassword returns HashPassword(pw), failing the test on error.
func hashPassword(t *testing.T, pw string) string {
	t.Helper()
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	return h
}

func TestHashAndCheckPassword(t *testing.T) {
	const pw = "correct horse battery staple"
	h := hashPassword(t, pw)
	if !phcPattern.MatchString(h) {
		t.Fatalf("hash %q is not a PHC argon2id string with the OWASP parameters", h)
	}
	if strings.Contains(h, pw) {
		t.Fatal("hash contains the password")
	}
	if !CheckPassword(h, pw) {
		t.Fatal("CheckPassword refused the right password")
	}
	for _, wrong := range []string{"", "correct horse battery stapl", "Correct horse battery staple", pw + " "} {
		if CheckPassword(h, wrong) {
			t.Errorf("CheckPassword accepted %q", wrong)
		}
	}
}

func TestHashesOfOnePasswordDiffer(t *testing.T) {
	a, b := hashPassword(t, "hunter22hunter22"), hashPassword(t, "hunter22hunter22")
	if a == b {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	if !CheckPassword(a, "hunter22hunter22") || !CheckPassword(b, "hunter22hunter22") {
		t.Fatal("a hash does not check")
	}
}

func TestUnicodePassword(t *testing.T) {
	const pw = "pässwörd-密码-🔑"
	h := hashPassword(t, pw)
	if !CheckPassword(h, pw) {
		t.Fatal("CheckPassword refused a non-ASCII password")
	}
	if CheckPassword(h, "passwörd-密码-🔑") {
		t.Fatal("CheckPassword accepted a different non-ASCII password")
	}
}

func TestParseHash(t *testing.T) {
	h := hashPassword(t, "whatever-it-is")
	p, ok := parseHash(h)
	if !ok {
		t.Fatalf("parseHash(%q) failed", h)
	}
	if p.memory != 19456 || p.time != 2 || p.threads != 1 || len(p.salt) != 16 || len(p.key) != 32 {
		t.Fatalf("parsed m=%d t=%d p=%d salt=%d key=%d, want m=19456 t=2 p=1 salt=16 key=32",
			p.memory, p.time, p.threads, len(p.salt), len(p.key))
	}
}

func TestCheckPasswordUsesParametersOfTheHash(t *testing.T) {
	// A hash made with other parameters, as an older release might have written, still
	// checks: the parameters come from the string, not from the constants. This is a
	// test vector of the argon2 reference implementation (test.c): "password" with the
	// salt "somesalt", m=65536, t=2, p=1.
	const legacy = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	if !CheckPassword(legacy, "password") {
		t.Fatal("CheckPassword refused the reference test vector")
	}
	if CheckPassword(legacy, "passwore") {
		t.Fatal("CheckPassword accepted a wrong password")
	}
}

func TestCheckPasswordRejectsMalformedHashes(t *testing.T) {
	h := hashPassword(t, "pw-pw-pw-pw")
	parts := strings.Split(h, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := map[string]string{
		"empty":             "",
		"plain text":        "pw-pw-pw-pw",
		"bcrypt":            "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"argon2i":           with(1, "argon2i"),
		"argon2d":           with(1, "argon2d"),
		"old version":       with(2, "v=16"),
		"no version":        strings.Join(append(parts[:2:2], parts[3:]...), "$"),
		"absurd memory":     with(3, "m=4194304,t=2,p=1"),
		"absurd time":       with(3, "m=19456,t=1000,p=1"),
		"absurd threads":    with(3, "m=19456,t=2,p=255"),
		"zero time":         with(3, "m=19456,t=0,p=1"),
		"zero threads":      with(3, "m=19456,t=2,p=0"),
		"tiny memory":       with(3, "m=1,t=2,p=1"),
		"missing parameter": with(3, "m=19456,t=2"),
		"repeated key":      with(3, "m=19456,m=19456,t=2"),
		"unknown key":       with(3, "m=19456,t=2,x=1"),
		"leading zero":      with(3, "m=019456,t=2,p=1"),
		"negative":          with(3, "m=-19456,t=2,p=1"),
		"overflow":          with(3, "m=99999999999,t=2,p=1"),
		"bad salt base64":   with(4, "!!!!"),
		"short salt":        with(4, "YWJj"),
		"bad key base64":    with(5, "%%%"),
		"short key":         with(5, "YWJjZGVmZ2g"),
		"trailing part":     h + "$x",
		"padded base64":     with(5, parts[5]+"="),
	}
	for name, hash := range tests {
		t.Run(name, func(t *testing.T) {
			if _, ok := parseHash(hash); ok {
				t.Fatalf("parseHash(%q) accepted it", hash)
			}
			if CheckPassword(hash, "pw-pw-pw-pw") {
				t.Fatalf("CheckPassword(%q) accepted the password", hash)
			}
		})
	}
}

func TestDummyHashParams(t *testing.T) {
	d, ok := parseHash(dummyHash)
	if !ok {
		t.Fatal("dummyHash does not parse")
	}
	p, _ := parseHash(hashPassword(t, "x"))
	if d.memory != p.memory || d.time != p.time || d.threads != p.threads || len(d.salt) != len(p.salt) || len(d.key) != len(p.key) {
		t.Fatalf("dummyHash has m=%d t=%d p=%d, HashPassword m=%d t=%d p=%d: regenerate dummyHash so CheckNoUser costs what a real check costs",
			d.memory, d.time, d.threads, p.memory, p.time, p.threads)
	}
	// It runs, and matches nothing a user would type.
	CheckNoUser("")
	CheckNoUser("password")
}
