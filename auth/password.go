package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// The argon2id parameters of new hashes: OWASP's recommended minimum (19 MiB, two
// passes, one lane), a 16-byte salt and a 32-byte key.
const (
	argonMemory  = 19456 // KiB
	argonTime    = 2
	argonThreads = 1
	saltLength   = 16
	keyLength    = 32
)

// Bounds on the parameters CheckPassword accepts from a stored hash. A hash outside them
// was not written by HashPassword, and honouring it could cost a login gigabytes or
// minutes.
const (
	maxArgonMemory  = 256 * 1024 // KiB
	maxArgonTime    = 16
	maxArgonThreads = 16
	minSaltLength   = 8
	maxSaltLength   = 64
	minKeyLength    = 16
	maxKeyLength    = 64
)

// b64 is the PHC string format's base64: standard alphabet, no padding.
var b64 = base64.RawStdEncoding

// argonParams are the parameters and values of a PHC argon2id string.
type argonParams struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

// dummyHash is a hash of a random, forgotten password, with the parameters of
// HashPassword, so that CheckNoUser costs what a real check costs. TestDummyHashParams
// fails when the parameters change without it.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$hhcV6mAXT09UbhN9UFxFYA$lN13HOoiZmgRJytFa0WB043MbuAJ78nqpJNu5k87LRE"

// HashPassword returns the argon2id hash of pw, with a fresh random salt, in the PHC
// string format: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>. Two hashes of one password
// differ. It fails only when the system's random source does.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, saltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("reading salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, keyLength)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches hash, a PHC argon2id string such as
// HashPassword returns, using the parameters written in it. The comparison takes
// constant time. A malformed hash, or one with parameters beyond sane bounds, matches
// no password.
func CheckPassword(hash, pw string) bool {
	p, ok := parseHash(hash)
	if !ok {
		return false
	}
	key := argon2.IDKey([]byte(pw), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1
}

// CheckNoUser spends the time of a failed CheckPassword, against a fixed hash. A login
// calls it when no account has the email, so that the response time does not tell
// which emails have accounts.
func CheckNoUser(pw string) {
	CheckPassword(dummyHash, pw)
}

// parseHash splits a PHC argon2id string; ok is false when it is malformed, of another
// algorithm or version, or out of bounds.
func parseHash(s string) (p argonParams, ok bool) {
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, false
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, false
	}
	var m, t, par uint64
	var seen [3]bool
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return p, false
	}
	for _, f := range fields {
		name, val, found := strings.Cut(f, "=")
		if !found || val == "" || (len(val) > 1 && val[0] == '0') {
			return p, false
		}
		n, err := strconv.ParseUint(val, 10, 32)
		if err != nil {
			return p, false
		}
		var i int
		switch name {
		case "m":
			m, i = n, 0
		case "t":
			t, i = n, 1
		case "p":
			par, i = n, 2
		default:
			return p, false
		}
		if seen[i] {
			return p, false
		}
		seen[i] = true
	}
	if t < 1 || t > maxArgonTime || par < 1 || par > maxArgonThreads || m < 8*par || m > maxArgonMemory {
		return p, false
	}
	salt, err := b64.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLength || len(salt) > maxSaltLength {
		return p, false
	}
	key, err := b64.Strict().DecodeString(parts[5])
	if err != nil || len(key) < minKeyLength || len(key) > maxKeyLength {
		return p, false
	}
	return argonParams{memory: uint32(m), time: uint32(t), threads: uint8(par), salt: salt, key: key}, true
}
