package haven

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
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

// CleanText reports whether s is fit to be a one-line name (a first or
// last name, a chat title, a device name, a bio, a password hint) and
// returns it cleaned, so that no name can pass for another by hiding
// characters or by turning its text around:
//
//   - White space at the ends is trimmed. Then invalid UTF-8, U+FFFD,
//     control characters (tabs and line breaks included) and the line
//     and paragraph separators U+2028, U+2029 are refused.
//   - Every space (U+00A0, U+2000–U+200A, U+3000, the braille blank
//     U+2800 ...) becomes a plain space, and runs of spaces become one,
//     as a browser shows them; none is left at the ends.
//   - Invisible characters are removed: the format characters (Unicode
//     category Cf: the direction controls U+061C, U+200E, U+200F,
//     U+202A–U+202E, U+2066–U+2069, the zero-width U+200B–U+200D, U+2060–
//     U+2064, U+FEFF, U+180E, the soft hyphen U+00AD, tags ...), the other
//     default-ignorable code points (the Hangul fillers U+115F, U+1160,
//     U+3164, U+FFA0, U+034F ...) and the variation selectors, but for
//     the uses real names have for some of them (see keepInvisible).
//
// Its length is checked by the caller, on the cleaned text, against the
// relevant limit.
func CleanText(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return "", false
	}
	rs := []rune(strings.TrimSpace(s))
	out := make([]rune, 0, len(rs))
	space := false // a space is due before the next visible character
	for i, r := range rs {
		switch {
		case unicode.IsControl(r), r == utf8.RuneError, r == '\u2028', r == '\u2029':
			return "", false
		case unicode.Is(unicode.Zs, r), r == '\u2800':
			space = len(out) > 0
		case invisible(r) && !keepInvisible(rs, i):
		default:
			if space {
				out = append(out, ' ')
				space = false
			}
			out = append(out, r)
		}
	}
	return string(out), true
}

// invisible reports whether r shows nothing of its own: a format
// character (but for the prepended concatenation marks, such as the
// Arabic number sign, which are drawn), another default-ignorable code
// point, or a variation selector.
func invisible(r rune) bool {
	return (unicode.Is(unicode.Cf, r) && !unicode.Is(unicode.Prepended_Concatenation_Mark, r)) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
		unicode.Is(unicode.Variation_Selector, r)
}

// keepInvisible reports whether the invisible rs[i] is one that a real
// name needs where it stands; every such use sits between visible
// characters that it changes:
//
//   - ZWJ (U+200D) between two emoji, which it joins into one (👩‍💻,
//     🏳️‍🌈), and after a virama before a letter (the Sinhala ශ්‍රී, the
//     half forms of Devanagari).
//   - ZWNJ (U+200C) after a virama before a letter, and between two
//     letters of the scripts that join their letters (Arabic, as in the
//     Persian می‌خواهم; Syriac, N'Ko, Mongolian, Adlam).
//   - VS15 and VS16 (U+FE0E, U+FE0F), which choose text or emoji style,
//     after a symbol or punctuation (❤️), or after 0–9, # or * in a
//     keycap (1️⃣).
//   - The ideographic variation selectors (U+E0100–U+E01EF) after a Han
//     ideograph: the glyph a Japanese name is registered with.
//   - The Mongolian free variation selectors after a Mongolian letter.
//   - Tags (U+E0020–U+E007F) in an emoji tag sequence: a black flag
//     U+1F3F4, tags, and the cancel tag U+E007F (🏴󠁧󠁢󠁳󠁣󠁴󠁿).
func keepInvisible(rs []rune, i int) bool {
	r := rs[i]
	prev, next := rune(-1), rune(-1)
	if i > 0 {
		prev = rs[i-1]
	}
	if i+1 < len(rs) {
		next = rs[i+1]
	}
	switch {
	case r == '\u200D':
		return (emojiBefore(rs, i) && emoji(next)) || (virama(prev) && unicode.IsLetter(next))
	case r == '\u200C':
		return (virama(prev) && unicode.IsLetter(next)) || (joining(letterBefore(rs, i)) && joining(next))
	case r == '\uFE0E', r == '\uFE0F':
		keycap := (prev >= '0' && prev <= '9' || prev == '#' || prev == '*') && next == '\u20E3'
		return keycap || unicode.In(prev, unicode.S, unicode.P)
	case r >= 0xE0100 && r <= 0xE01EF:
		return unicode.Is(unicode.Han, prev)
	case r >= '\u180B' && r <= '\u180F' && r != '\u180E':
		return unicode.Is(unicode.Mongolian, prev) && unicode.IsLetter(prev)
	case r >= 0xE0020 && r <= 0xE007F:
		return inTagSequence(rs, i)
	}
	return false
}

// emoji reports whether r is drawn as a symbol: the emoji that ZWJ
// sequences join are all in category So.
func emoji(r rune) bool { return unicode.Is(unicode.So, r) }

// emojiBefore reports whether an emoji ends just before rs[i], with its
// skin tone (U+1F3FB–U+1F3FF) or style (VS16) if any: 👩🏽‍💻.
func emojiBefore(rs []rune, i int) bool {
	j := i - 1
	for j >= 0 && (rs[j] == '\uFE0F' || rs[j] >= 0x1F3FB && rs[j] <= 0x1F3FF) {
		j--
	}
	return j >= 0 && emoji(rs[j])
}

// virama reports whether r is a virama (canonical combining class 9),
// the sign that joins Indic consonants and that ZWJ and ZWNJ shape.
func virama(r rune) bool {
	return r >= 0 && norm.NFD.PropertiesString(string(r)).CCC() == 9
}

// letterBefore is the letter before rs[i], past its combining marks (the
// vowel signs of Arabic), or -1.
func letterBefore(rs []rune, i int) rune {
	j := i - 1
	for j >= 0 && unicode.Is(unicode.M, rs[j]) {
		j--
	}
	if j < 0 {
		return -1
	}
	return rs[j]
}

// joiningScripts are the scripts whose letters join, so that ZWNJ
// between two of them shows (it keeps them apart).
var joiningScripts = []*unicode.RangeTable{unicode.Arabic, unicode.Syriac, unicode.Nko, unicode.Mongolian, unicode.Adlam}

func joining(r rune) bool { return unicode.IsLetter(r) && unicode.IsOneOf(joiningScripts, r) }

// inTagSequence reports whether the tag rs[i] belongs to an emoji tag
// sequence: U+1F3F4, then tags U+E0020–U+E007E, then U+E007F.
func inTagSequence(rs []rune, i int) bool {
	start := i
	for start > 0 && rs[start-1] >= 0xE0020 && rs[start-1] <= 0xE007E {
		start--
	}
	end := i
	for end < len(rs) && rs[end] >= 0xE0020 && rs[end] <= 0xE007E {
		end++
	}
	return start > 0 && rs[start-1] == 0x1F3F4 && end > start && end < len(rs) && rs[end] == 0xE007F
}
