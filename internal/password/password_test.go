package password

import (
	"errors"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// cheap are valid parameters that keep tests fast; the arithmetic is the
// same as with DefaultParams.
var cheap = Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashVerifyRoundTrip(t *testing.T) {
	params := []Params{
		cheap,
		{Time: 3, MemoryKiB: 256, Threads: 4, SaltLen: MinSaltLen, KeyLen: MinKeyLen},
		{Time: 1, MemoryKiB: 128, Threads: 2, SaltLen: MaxSaltLen, KeyLen: MaxKeyLen},
	}
	if !testing.Short() {
		params = append(params, DefaultParams)
	}
	for _, p := range params {
		for _, pw := range []string{"correct horse battery staple", "", "пароль🔑", strings.Repeat("x", 256)} {
			enc, err := Hash(pw, p)
			if err != nil {
				t.Fatalf("Hash(%+v): %v", p, err)
			}
			ok, err := Verify(pw, enc)
			if err != nil || !ok {
				t.Fatalf("Verify(%q, %q) = %v, %v; want true", pw, enc, ok, err)
			}
			ok, err = Verify(pw+"!", enc)
			if err != nil || ok {
				t.Fatalf("Verify(wrong, %q) = %v, %v; want false, nil", enc, ok, err)
			}
		}
	}
}

func TestVerifyWrongPassword(t *testing.T) {
	enc, err := Hash("hunter22", cheap)
	if err != nil {
		t.Fatal(err)
	}
	for _, wrong := range []string{"", "hunter2", "hunter222", "Hunter22", "hunter22 ", "hunter2\x00"} {
		ok, err := Verify(wrong, enc)
		if err != nil {
			t.Errorf("Verify(%q): %v", wrong, err)
		}
		if ok {
			t.Errorf("Verify(%q) = true for a hash of %q", wrong, "hunter22")
		}
	}
}

func TestHashEncodesParams(t *testing.T) {
	p := Params{Time: 3, MemoryKiB: 96, Threads: 2, SaltLen: 24, KeyLen: 40}
	enc, err := Hash("pw", p)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=96,t=3,p=2\$[A-Za-z0-9+/]{32}\$[A-Za-z0-9+/]{54}$`)
	if !re.MatchString(enc) {
		t.Fatalf("Hash = %q, does not match %s", enc, re)
	}
	d, err := decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if d.p != p {
		t.Errorf("decoded params %+v, want %+v", d.p, p)
	}
	if got := encode(d.p, d.salt, d.key); got != enc {
		t.Errorf("re-encoded %q, want %q", got, enc)
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	seen := map[string]bool{}
	salts := map[string]bool{}
	for range 20 {
		enc, err := Hash("same password", cheap)
		if err != nil {
			t.Fatal(err)
		}
		if seen[enc] {
			t.Fatalf("Hash returned %q twice", enc)
		}
		seen[enc] = true
		d, err := decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		if salts[string(d.salt)] {
			t.Fatalf("salt %x reused", d.salt)
		}
		salts[string(d.salt)] = true
	}
}

// TestReferenceVectors checks compatibility with the reference
// implementation: the strings were produced by the phc-winner-argon2 CLI
// (Debian package argon2) with
//
//	echo -n "correct horse battery staple" | argon2 havensaltsalt16 -id -t 2 -k 1024 -p 1 -l 32 -e
//	echo -n "correct horse battery staple" | argon2 havensaltsalt16 -id -t 1 -k 64 -p 2 -l 16 -e
func TestReferenceVectors(t *testing.T) {
	const pw = "correct horse battery staple"
	for _, enc := range []string{
		"$argon2id$v=19$m=1024,t=2,p=1$aGF2ZW5zYWx0c2FsdDE2$wWszf1xISOqEo70pwqGUQ8cM6xHfVQTZxGpN8owllss",
		"$argon2id$v=19$m=64,t=1,p=2$aGF2ZW5zYWx0c2FsdDE2$GWCjpC0FatlyzYA/6Ivuog",
	} {
		ok, err := Verify(pw, enc)
		if err != nil || !ok {
			t.Errorf("Verify(%q) = %v, %v; want true", enc, ok, err)
		}
		d, err := decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		if string(d.salt) != "havensaltsalt16" {
			t.Errorf("salt = %q", d.salt)
		}
		if got := encode(d.p, d.salt, d.key); got != enc {
			t.Errorf("re-encoded %q, want %q", got, enc)
		}
	}
}

func TestVerifyMalformed(t *testing.T) {
	valid, err := Hash("pw", cheap)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(valid, "$")
	salt, key := parts[4], parts[5]
	with := func(header string) string { return header + "$" + salt + "$" + key }
	tests := []struct{ name, enc string }{
		{"empty", ""},
		{"garbage", "not a hash"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", with("$argon2i$v=19$m=64,t=1,p=1")},
		{"argon2d", with("$argon2d$v=19$m=64,t=1,p=1")},
		{"version 16", with("$argon2id$v=16$m=64,t=1,p=1")},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"missing hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{"extra field", valid + "$x"},
		{"no leading dollar", strings.TrimPrefix(valid, "$")},
		{"params reordered", with("$argon2id$v=19$t=1,m=64,p=1")},
		{"param missing", with("$argon2id$v=19$m=64,t=1")},
		{"extra param", with("$argon2id$v=19$m=64,t=1,p=1,keyid=x")},
		{"leading zero", with("$argon2id$v=19$m=064,t=1,p=1")},
		{"plus sign", with("$argon2id$v=19$m=+64,t=1,p=1")},
		{"negative", with("$argon2id$v=19$m=-64,t=1,p=1")},
		{"empty value", with("$argon2id$v=19$m=,t=1,p=1")},
		{"space", with("$argon2id$v=19$m=64, t=1,p=1")},
		{"uint32 overflow", with("$argon2id$v=19$m=4294967296,t=1,p=1")},
		{"memory 4 GiB", with("$argon2id$v=19$m=4194304,t=1,p=1")},
		{"memory just over bound", with("$argon2id$v=19$m=262145,t=1,p=1")},
		{"memory below 8 per thread", with("$argon2id$v=19$m=15,t=1,p=2")},
		{"time zero", with("$argon2id$v=19$m=64,t=0,p=1")},
		{"time huge", with("$argon2id$v=19$m=64,t=4000000000,p=1")},
		{"threads zero", with("$argon2id$v=19$m=64,t=1,p=0")},
		{"threads 255", with("$argon2id$v=19$m=4096,t=1,p=255")},
		{"threads 257 (wraps to 1 as uint8)", with("$argon2id$v=19$m=64,t=1,p=257")},
		{"salt too short", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + key},
		{"salt empty", "$argon2id$v=19$m=64,t=1,p=1$$" + key},
		{"key too short", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAAAAAAAAAAAAAAAAAA"},
		{"key too long", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.Repeat("A", 100)},
		{"padded base64", valid + "="},
		{"url base64", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.ReplaceAll(strings.ReplaceAll(key, "+", "-"), "/", "_") + "-_"},
		// 43 characters hold 258 bits: the last 2 must be zero.
		{"non-canonical base64", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.Repeat("A", 42) + "B"},
		{"too long", valid + strings.Repeat("A", maxEncoded)},
		{"trailing newline", valid + "\n"},
		{"embedded newline", "$argon2id$v=19$m=64,t=1,p=1$" + salt[:8] + "\n" + salt[8:] + "$" + key},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := Verify("pw", tt.enc)
			if ok || !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("Verify(%q) = %v, %v; want false, ErrMalformedHash", tt.enc, ok, err)
			}
		})
	}
	// The base the table was built from is itself fine.
	if ok, err := Verify("pw", valid); !ok || err != nil {
		t.Fatalf("Verify(valid) = %v, %v", ok, err)
	}
}

// TestVerifyHostileParamsDoNotAllocate checks that out-of-bounds
// parameters are refused before any key derivation allocates memory.
func TestVerifyHostileParamsDoNotAllocate(t *testing.T) {
	enc := "$argon2id$v=19$m=4194304,t=1,p=1$aGF2ZW5zYWx0c2FsdDE2$wWszf1xISOqEo70pwqGUQ8cM6xHfVQTZxGpN8owllss"
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := Verify("pw", enc); !errors.Is(err, ErrMalformedHash) {
		t.Fatalf("Verify = %v, want ErrMalformedHash", err)
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Fatalf("Verify allocated %d bytes for a refused hash", d)
	}
}

func TestHashInvalidParams(t *testing.T) {
	tests := []struct {
		name string
		p    Params
	}{
		{"zero", Params{}},
		{"time zero", Params{Time: 0, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}},
		{"time above max", Params{Time: MaxTime + 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}},
		{"memory above max", Params{Time: 1, MemoryKiB: MaxMemoryKiB + 1, Threads: 1, SaltLen: 16, KeyLen: 32}},
		{"memory below 8 per thread", Params{Time: 1, MemoryKiB: 31, Threads: 4, SaltLen: 16, KeyLen: 32}},
		{"threads zero", Params{Time: 1, MemoryKiB: 64, Threads: 0, SaltLen: 16, KeyLen: 32}},
		{"threads above max", Params{Time: 1, MemoryKiB: 1024, Threads: MaxThreads + 1, SaltLen: 16, KeyLen: 32}},
		{"salt short", Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: MinSaltLen - 1, KeyLen: 32}},
		{"salt long", Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: MaxSaltLen + 1, KeyLen: 32}},
		{"key short", Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: MinKeyLen - 1}},
		{"key long", Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: MaxKeyLen + 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := Hash("pw", tt.p)
			if enc != "" || !errors.Is(err, ErrInvalidParams) {
				t.Fatalf("Hash(%+v) = %q, %v; want ErrInvalidParams", tt.p, enc, err)
			}
		})
	}
	if err := DefaultParams.Validate(); err != nil {
		t.Fatalf("DefaultParams invalid: %v", err)
	}
}

// FuzzDecode checks that the PHC parser never panics and accepts only
// strings that it would write itself, with parameters within bounds.
func FuzzDecode(f *testing.F) {
	f.Add("$argon2id$v=19$m=1024,t=2,p=1$aGF2ZW5zYWx0c2FsdDE2$wWszf1xISOqEo70pwqGUQ8cM6xHfVQTZxGpN8owllss")
	f.Add("$argon2id$v=19$m=64,t=1,p=2$aGF2ZW5zYWx0c2FsdDE2$GWCjpC0FatlyzYA/6Ivuog")
	f.Add("$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2i$v=19$m=64,t=1,p=1$$")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := decode(s)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("decode(%q) error %v does not wrap ErrMalformedHash", s, err)
			}
			return
		}
		if err := d.p.Validate(); err != nil {
			t.Fatalf("decode(%q) accepted invalid params: %v", s, err)
		}
		if got := encode(d.p, d.salt, d.key); got != s {
			t.Fatalf("decode(%q) re-encodes as %q", s, got)
		}
	})
}

// BenchmarkHash measures one hash with DefaultParams; its figure is the
// one quoted next to DefaultParams.
func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("correct horse battery staple", DefaultParams); err != nil {
			b.Fatal(err)
		}
	}
}
