package ident

import (
	"strings"

	"github.com/havenchat/haven"
	"github.com/nyaruka/phonenumbers"
)

// MaxPhoneInput is the longest phone number input, in bytes, that Phone
// looks at. E.164 numbers have at most 15 digits; the rest is room for a
// prefix and separators. Longer input is refused before it reaches the
// parser, whose cost grows with its input.
const MaxPhoneInput = 32

// maxE164Digits is the most digits, country code included, that ITU-T
// E.164 allows in a number.
const maxE164Digits = 15

// Phone normalises a phone number to E.164 ("+447400123456").
//
// The number must be in international form: a leading '+' or "00" and then
// the country code. Spaces, dashes, dots and (unnested) parentheses may
// separate digits, so "+44 (0)20 7946-0000" is accepted; letters,
// extensions and "tel:" URIs are not. The number must be valid according
// to libphonenumber's metadata (not merely of a plausible length) and have
// at most 15 digits, as E.164 requires. The metadata check also means that
// some ranges reserved for fiction, such as the UK's 07700 900xxx, are
// refused.
//
// Errors are *haven.Error with CodePhoneInvalid.
func Phone(s string) (string, error) {
	_, e164, err := parsePhone(s)
	return e164, err
}

// Country returns the ISO 3166-1 alpha-2 region of a number ("GB", "US",
// "CA"), as libphonenumber assigns it, or "" when the number is invalid or
// belongs to no country (non-geographic codes such as +800). It accepts
// what Phone accepts; callers normally pass the stored E.164 form.
func Country(e164 string) string {
	num, _, err := parsePhone(e164)
	if err != nil {
		return ""
	}
	region := phonenumbers.GetRegionCodeForNumber(num)
	if region == phonenumbers.UNKNOWN_REGION || region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
		return ""
	}
	return region
}

// parsePhone applies the rules of Phone and returns the parsed number and
// its E.164 form.
func parsePhone(s string) (*phonenumbers.PhoneNumber, string, error) {
	if len(s) > MaxPhoneInput {
		return nil, "", phoneError("too long")
	}
	digits, err := phoneDigits(strings.TrimSpace(s))
	if err != nil {
		return nil, "", err
	}
	num, perr := phonenumbers.Parse("+"+digits, phonenumbers.UNKNOWN_REGION)
	if perr != nil || !phonenumbers.IsValidNumber(num) {
		return nil, "", phoneError("not a valid phone number")
	}
	// libphonenumber accepts some national numbers (German ones, for
	// instance) that make more than E.164's 15 digits in all; SMS
	// gateways do not, so neither do we.
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if len(e164) > 1+maxE164Digits {
		return nil, "", phoneError("longer than 15 digits")
	}
	return num, e164, nil
}

// phoneDigits checks the characters of an international number and
// returns its digits without the international prefix. Checking the
// characters ourselves keeps out what libphonenumber would otherwise
// accept and reinterpret: letters (vanity numbers), extensions ("x12",
// ";ext="), non-ASCII digits and RFC 3966 syntax.
func phoneDigits(s string) (string, error) {
	switch {
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	case strings.HasPrefix(s, "00"):
		s = s[2:]
	default:
		return "", phoneError("must start with + and the country code")
	}
	var b strings.Builder
	b.Grow(len(s))
	open := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == ' ' || c == '-' || c == '.':
		case c == '(' && !open:
			open = true
		case c == ')' && open:
			open = false
		default:
			return "", phoneError("may contain only digits, spaces, dashes, dots and parentheses")
		}
	}
	if open {
		return "", phoneError("unbalanced parentheses")
	}
	if b.Len() == 0 {
		return "", phoneError("no digits")
	}
	return b.String(), nil
}

func phoneError(why string) *haven.Error {
	return &haven.Error{Code: haven.CodePhoneInvalid, Message: "phone number " + why}
}
