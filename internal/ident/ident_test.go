package ident

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/havenchat/haven"
)

func TestParseRoutes(t *testing.T) {
	tests := []struct {
		in       string
		want     string
		wantKind haven.IdentifierKind
		wantCode string
	}{
		{"+44 20 7946 0000", "+442079460000", haven.KindPhone, ""},
		{"0044 20 7946 0000", "+442079460000", haven.KindPhone, ""},
		{"Ann@Example.com", "ann@example.com", haven.KindEmail, ""},
		// '+' is atext: with an '@' this is an address, not a number.
		{"+44@example.com", "+44@example.com", haven.KindEmail, ""},
		{"", "", "", haven.CodePhoneInvalid},
		{"not an identifier", "", "", haven.CodePhoneInvalid},
		{"+44 20 7946 0000@", "", "", haven.CodeEmailInvalid},
	}
	for _, tt := range tests {
		v, kind, err := Parse(tt.in)
		if tt.wantCode != "" {
			if got := haven.ErrorCode(err); got != tt.wantCode {
				t.Errorf("Parse(%q) code = %s (err %v), want %s", tt.in, got, err, tt.wantCode)
			}
		} else if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
		}
		if v != tt.want || kind != tt.wantKind {
			t.Errorf("Parse(%q) = %q, %q; want %q, %q", tt.in, v, kind, tt.want, tt.wantKind)
		}
	}
}

// FuzzParse checks that Parse never panics and that whatever it accepts it
// returns in a canonical form: parsing the result again gives the result.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"+442079460000", "0044 (0)20 7946-0000", "+1.201.555.0123", "+800 1234 5678",
		"+39 06 1234 5678", "+", "00", "((", "+44 7700 900123",
		"ann@example.com", "Ann.Lee@Example.COM", "a@b.c", "@", "a@@b.c", "a@1.2",
		"\"x\"@example.com", "ann@xn--bcher-kva.example", " ann@example.com ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, kind, err := Parse(s)
		if err != nil {
			if v != "" || kind != "" {
				t.Fatalf("Parse(%q) = %q, %q with error %v", s, v, kind, err)
			}
			code := haven.ErrorCode(err)
			if code != haven.CodePhoneInvalid && code != haven.CodeEmailInvalid {
				t.Fatalf("Parse(%q) error code %s: %v", s, code, err)
			}
			return
		}
		switch kind {
		case haven.KindPhone:
			if len(v) < 2 || len(v) > 1+maxE164Digits || v[0] != '+' || strings.Trim(v[1:], "0123456789") != "" {
				t.Fatalf("Parse(%q) = %q, not E.164", s, v)
			}
		case haven.KindEmail:
			if len(v) > MaxEmail || !utf8.ValidString(v) || strings.ToLower(v) != v {
				t.Fatalf("Parse(%q) = %q, not a canonical address", s, v)
			}
		default:
			t.Fatalf("Parse(%q) kind %q", s, kind)
		}
		v2, kind2, err := Parse(v)
		if err != nil || v2 != v || kind2 != kind {
			t.Fatalf("Parse(%q) = %q, %q; re-parse = %q, %q, %v", s, v, kind, v2, kind2, err)
		}
	})
}
