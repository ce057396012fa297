package ident

import (
	"errors"
	"strings"
	"testing"

	"github.com/havenchat/haven"
)

func TestEmailValid(t *testing.T) {
	local64 := strings.Repeat("a", MaxEmailLocal)
	label63 := strings.Repeat("b", 63)
	// 64 + 1 + 63 + 1 + 63 + 1 + 61 = 254 bytes.
	longest := local64 + "@" + label63 + "." + label63 + "." + strings.Repeat("c", 61)
	if len(longest) != MaxEmail {
		t.Fatalf("test setup: len = %d", len(longest))
	}
	tests := []struct{ in, want string }{
		{"ann@example.com", "ann@example.com"},
		{"Ann.Lee@Example.COM", "ann.lee@example.com"},
		{"ann+haven@mail.example.org", "ann+haven@mail.example.org"},
		{"first.middle.last@example.co.uk", "first.middle.last@example.co.uk"},
		{"o'brien@example.ie", "o'brien@example.ie"},
		{"!#$%&'*+-/=?^_`{|}~@example.com", "!#$%&'*+-/=?^_`{|}~@example.com"},
		{"x@a-b.example", "x@a-b.example"},
		{"x@xn--bcher-kva.example", "x@xn--bcher-kva.example"},
		{"x@123.example", "x@123.example"},
		{"  ann@example.com\n", "ann@example.com"},
		{longest, longest},
		{local64 + "@example.com", local64 + "@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Email(tt.in)
			if err != nil {
				t.Fatalf("Email(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("Email(%q) = %q, want %q", tt.in, got, tt.want)
			}
			v, kind, err := Parse(tt.in)
			if err != nil || v != tt.want || kind != haven.KindEmail {
				t.Errorf("Parse(%q) = %q, %q, %v; want %q, email", tt.in, v, kind, err, tt.want)
			}
		})
	}
}

func TestEmailInvalid(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"no at", "ann.example.com"},
		{"only at", "@"},
		{"no local", "@example.com"},
		{"no domain", "ann@"},
		{"two ats", "ann@bob@example.com"},
		{"display name", "Ann <ann@example.com>"},
		{"angle brackets", "<ann@example.com>"},
		{"quoted local", `"ann lee"@example.com`},
		{"space in local", "ann lee@example.com"},
		{"comment", "ann(work)@example.com"},
		{"leading dot", ".ann@example.com"},
		{"trailing dot", "ann.@example.com"},
		{"double dot", "ann..lee@example.com"},
		{"domain without dot", "ann@localhost"},
		{"ip literal", "ann@[192.0.2.1]"},
		{"numeric tld", "ann@192.0.2.1"},
		{"domain trailing dot", "ann@example.com."},
		{"domain leading dot", "ann@.example.com"},
		{"domain double dot", "ann@example..com"},
		{"label leading hyphen", "ann@-example.com"},
		{"label trailing hyphen", "ann@example-.com"},
		{"underscore in domain", "ann@ex_ample.com"},
		{"label too long", "ann@" + strings.Repeat("b", 64) + ".com"},
		{"local too long", strings.Repeat("a", MaxEmailLocal+1) + "@example.com"},
		{"too long", strings.Repeat("a", 64) + "@" + strings.Repeat(strings.Repeat("b", 60)+".", 4) + "com"},
		{"non-ascii local", "zoë@example.com"},
		{"non-ascii domain", "ann@bücher.example"},
		{"control character", "ann\x00@example.com"},
		{"inner space", "ann@exa mple.com"},
		{"comma list", "ann@example.com,bob@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Email(tt.in)
			if err == nil {
				t.Fatalf("Email(%q) = %q, want error", tt.in, got)
			}
			var he *haven.Error
			if !errors.As(err, &he) || he.Code != haven.CodeEmailInvalid {
				t.Errorf("Email(%q) error = %v, want code %s", tt.in, err, haven.CodeEmailInvalid)
			}
			// Parse must route it the same way when it has an '@'.
			if strings.Contains(tt.in, "@") {
				if _, _, err := Parse(tt.in); haven.ErrorCode(err) != haven.CodeEmailInvalid {
					t.Errorf("Parse(%q) error = %v, want %s", tt.in, err, haven.CodeEmailInvalid)
				}
			}
		})
	}
}
