package ident

import (
	"strings"

	"github.com/havenchat/haven"
)

// Limits on an email address, in bytes, from RFC 5321 section 4.5.3.1:
// a forward-path holds at most 256 octets including the angle brackets,
// hence 254 for the address itself.
const (
	MaxEmail      = 254
	MaxEmailLocal = 64
	maxLabel      = 63
)

// Email normalises an email address and returns it lower-cased.
//
// The input must be a plain addr-spec, "local@domain": no display name,
// no angle brackets, no comments, no quoted local part and no IP-literal
// domain. The local part is a dot-atom of ASCII letters, digits and
// !#$%&'*+-/=?^_`{|}~ (at most 64 bytes); the domain is at least two DNS
// labels of letters, digits and hyphens, with a top-level label that is
// not all digits. Internationalised addresses are refused for now;
// IDN domains may be given in their "xn--" form. Surrounding white space
// is ignored.
//
// The whole address is lower-cased, local part included. RFC 5321 lets a
// mail server treat "Ann" and "ann" as different mailboxes, but practically
// none does, and one address must never map to two accounts (nor let
// "Ann@" impersonate "ann@"), so the lower-cased form is both what is
// stored and what codes are sent to. Nothing else is rewritten: dots and
// "+tags" are kept, since their meaning differs between providers.
//
// Errors are *haven.Error with CodeEmailInvalid.
func Email(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxEmail {
		return "", emailError("too long")
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "", emailError("missing @")
	}
	local, domain := s[:at], s[at+1:]
	if err := checkLocal(local); err != nil {
		return "", err
	}
	if err := checkDomain(domain); err != nil {
		return "", err
	}
	return strings.ToLower(s), nil
}

// checkLocal checks a dot-atom local part (RFC 5322 section 3.4.1).
func checkLocal(local string) error {
	if local == "" {
		return emailError("empty local part")
	}
	if len(local) > MaxEmailLocal {
		return emailError("local part too long")
	}
	prev := byte('.') // so a leading dot is refused
	for i := 0; i < len(local); i++ {
		c := local[i]
		switch {
		case c == '.':
			if prev == '.' {
				return emailError("misplaced dot in local part")
			}
		case isAtext(c):
		default:
			return emailError("invalid character in local part")
		}
		prev = c
	}
	if prev == '.' {
		return emailError("misplaced dot in local part")
	}
	return nil
}

// checkDomain checks a host name of at least two labels (RFC 1035 and
// RFC 1123 section 2.1).
func checkDomain(domain string) error {
	if domain == "" {
		return emailError("empty domain")
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return emailError("domain needs a dot")
	}
	for _, l := range labels {
		if l == "" || len(l) > maxLabel {
			return emailError("invalid domain label")
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return emailError("domain label starts or ends with a hyphen")
		}
		for i := 0; i < len(l); i++ {
			if !isLetterDigit(l[i]) && l[i] != '-' {
				return emailError("invalid character in domain")
			}
		}
	}
	tld := labels[len(labels)-1]
	if strings.Trim(tld, "0123456789") == "" {
		return emailError("top-level domain is numeric")
	}
	return nil
}

// isAtext reports whether c is an atext character (RFC 5322 section 3.2.3).
func isAtext(c byte) bool {
	return isLetterDigit(c) || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

func isLetterDigit(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func emailError(why string) *haven.Error {
	return &haven.Error{Code: haven.CodeEmailInvalid, Message: "email address: " + why}
}
