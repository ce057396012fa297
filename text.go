package haven

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// UTF16Len counts s in UTF-16 code units, as Telegram counts text lengths.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// Username rules: 5 to 32 characters of a-z, 0-9 and '_', starting with a
// letter, compared case-insensitively.
const (
	UsernameMin = 5
	UsernameMax = 32
)

// ValidUsername reports whether u follows the username rules (in any case).
func ValidUsername(u string) bool {
	if len(u) < UsernameMin || len(u) > UsernameMax {
		return false
	}
	for i := 0; i < len(u); i++ {
		c := u[i] | 0x20 // ASCII lower case; non-letters are rejected below
		switch {
		case c >= 'a' && c <= 'z':
		case i > 0 && u[i] >= '0' && u[i] <= '9', i > 0 && u[i] == '_':
		default:
			return false
		}
	}
	return true
}

// CanonicalUsername is the form usernames are compared and indexed in.
func CanonicalUsername(u string) string { return strings.ToLower(strings.TrimPrefix(u, "@")) }

// CleanText trims s and reports whether it is fit to be a one-line name:
// valid UTF-8 with no control characters. Its length is checked by the
// caller against the relevant limit.
func CleanText(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return "", false
	}
	s = strings.TrimSpace(s)
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return "", false
		}
	}
	return s, true
}
