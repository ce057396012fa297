// Package ident normalises the identifiers people sign in with, phone
// numbers and email addresses, into one canonical string each, so that the
// same person typing "+44 20 7946 0000" and "0044 (0)20-7946-0000" reaches
// the same account.
//
// The rules are deliberately narrow: a number must be written in
// international form and an address must be a plain ASCII addr-spec.
// Whatever the package accepts, it returns in a form that it accepts again
// unchanged, so a stored identifier can always be re-checked.
package ident

import (
	"strings"

	"github.com/havenchat/haven"
)

// Parse normalises a sign-in identifier: an input containing '@' is an
// email address (see Email), anything else a phone number (see Phone).
// On failure value and kind are empty and err is a *haven.Error with
// CodeEmailInvalid or CodePhoneInvalid.
func Parse(s string) (value string, kind haven.IdentifierKind, err error) {
	if strings.IndexByte(s, '@') >= 0 {
		v, err := Email(s)
		if err != nil {
			return "", "", err
		}
		return v, haven.KindEmail, nil
	}
	v, err := Phone(s)
	if err != nil {
		return "", "", err
	}
	return v, haven.KindPhone, nil
}
