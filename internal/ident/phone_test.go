package ident

import (
	"errors"
	"strings"
	"testing"

	"github.com/havenchat/haven"
)

func TestPhoneValid(t *testing.T) {
	tests := []struct {
		in, want, country string
	}{
		// United Kingdom: an Ofcom drama-range London number, written
		// with the customary "(0)" trunk prefix and with "00".
		{"+44 20 7946 0000", "+442079460000", "GB"},
		{"+44 (0)20 7946 0000", "+442079460000", "GB"},
		{"0044 20-7946-0000", "+442079460000", "GB"},
		{"+447400123456", "+447400123456", "GB"},
		// North America: 555-01xx is set aside for fiction and is valid
		// in libphonenumber's metadata.
		{"+1 (201) 555-0123", "+12015550123", "US"},
		{"+1.212.555.0199", "+12125550199", "US"},
		{"+1 613 555 0123", "+16135550123", "CA"},
		// Australia: ACMA's range for fiction.
		{"+61 491 570 156", "+61491570156", "AU"},
		{"+49 151 23456789", "+4915123456789", "DE"},
		{"+33 6 12 34 56 78", "+33612345678", "FR"},
		{"+81 90-1234-5678", "+819012345678", "JP"},
		{"+55 11 91234-5678", "+5511912345678", "BR"},
		{"+91 98765 43210", "+919876543210", "IN"},
		{"+234 803 123 4567", "+2348031234567", "NG"},
		// Italy keeps the leading zero of fixed lines.
		{"+39 06 1234 5678", "+390612345678", "IT"},
		// Surrounding white space is ignored.
		{"  +79123456789\n", "+79123456789", "RU"},
		// Non-geographic: valid, but no country.
		{"+800 1234 5678", "+80012345678", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Phone(tt.in)
			if err != nil {
				t.Fatalf("Phone(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("Phone(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if c := Country(got); c != tt.country {
				t.Errorf("Country(%q) = %q, want %q", got, c, tt.country)
			}
			v, kind, err := Parse(tt.in)
			if err != nil || v != tt.want || kind != haven.KindPhone {
				t.Errorf("Parse(%q) = %q, %q, %v; want %q, phone", tt.in, v, kind, err, tt.want)
			}
		})
	}
}

func TestPhoneInvalid(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"blank", "   "},
		{"plus only", "+"},
		{"national form", "020 7946 0000"},
		{"national form US", "(201) 555-0123"},
		{"single zero prefix", "044 20 7946 0000"},
		// UK 07700 900xxx is reserved for drama but libphonenumber does
		// not list it as a valid range.
		{"UK drama mobile", "+44 7700 900123"},
		{"too short", "+44 20 7946"},
		{"too long for country", "+44 20 7946 00000"},
		// Valid to libphonenumber, but 16 digits (found by FuzzParse).
		{"over 15 digits", "+49 800 0000 000 0000"},
		{"US too short", "+1 201 555 012"},
		{"unassigned country code", "+999 123 4567"},
		{"letters", "+1 800 FLOWERS"},
		{"extension", "+44 20 7946 0000 x12"},
		{"rfc3966 extension", "+442079460000;ext=12"},
		{"tel URI", "tel:+442079460000"},
		{"slash", "+44/20/7946/0000"},
		{"nested parentheses", "+44 ((0))20 7946 0000"},
		{"unbalanced parenthesis", "+44 (20 7946 0000"},
		{"closing parenthesis first", "+44 )20( 7946 0000"},
		{"fullwidth digits", "+４４２０７９４６００００"},
		{"arabic-indic digits", "+٤٤٢٠٧٩٤٦٠٠٠٠"},
		{"second plus", "+44+2079460000"},
		{"too long input", "+44 20 7946 0000" + strings.Repeat(" ", MaxPhoneInput)},
		{"email-like", "ann@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Phone(tt.in)
			if err == nil {
				t.Fatalf("Phone(%q) = %q, want error", tt.in, got)
			}
			if got != "" {
				t.Errorf("Phone(%q) returned %q with the error", tt.in, got)
			}
			var he *haven.Error
			if !errors.As(err, &he) || he.Code != haven.CodePhoneInvalid {
				t.Errorf("Phone(%q) error = %v, want code %s", tt.in, err, haven.CodePhoneInvalid)
			}
			if c := Country(tt.in); c != "" {
				t.Errorf("Country(%q) = %q, want empty", tt.in, c)
			}
		})
	}
}

func TestCountryInvalid(t *testing.T) {
	for _, in := range []string{"", "not a number", "+999", "+447700900123"} {
		if c := Country(in); c != "" {
			t.Errorf("Country(%q) = %q, want empty", in, c)
		}
	}
}
