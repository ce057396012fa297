package haven

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestValidUsername(t *testing.T) {
	for u, want := range map[string]bool{
		"alice":                             true,
		"Alice_2024":                        true,
		"abcd":                              false, // too short
		"a2345678901234567890123456789012":  true,  // 32
		"a23456789012345678901234567890123": false, // 33
		"1alice":                            false, // must start with a letter
		"_alice":                            false,
		"ali-ce":                            false,
		"alicé":                             false,
		"al ice":                            false,
		"":                                  false,
	} {
		if got := ValidUsername(u); got != want {
			t.Errorf("ValidUsername(%q) = %v, want %v", u, got, want)
		}
	}
}

func TestUTF16Len(t *testing.T) {
	for s, want := range map[string]int{"": 0, "abc": 3, "é": 1, "😀": 2, "a😀b": 4} {
		if got := UTF16Len(s); got != want {
			t.Errorf("UTF16Len(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestCleanText(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", "Ann", "Ann", true},
		{"trimmed", "  Ann  ", "Ann", true},
		{"trimmed tabs and breaks at the ends", "\tAnn Lee\n", "Ann Lee", true},
		{"empty", "", "", true},
		{"only spaces", " \u3000 ", "", true},

		// Refused.
		{"NUL", "a\x00b", "", false},
		{"line break", "a\nb", "", false},
		{"tab inside", "a\tb", "", false},
		{"C1 control", "a\u0085b", "", false},
		{"DEL", "a\x7fb", "", false},
		{"invalid UTF-8", "\xff", "", false},
		{"replacement character", "a\ufffdb", "", false},
		{"line separator", "a\u2028b", "", false},
		{"paragraph separator", "a\u2029b", "", false},

		// Spaces: one plain space between words.
		{"no-break space", "Ann\u00a0Lee", "Ann Lee", true},
		{"ideographic space", "山田\u3000太郎", "山田 太郎", true},
		{"thin and em spaces", "Ann\u2009\u2003Lee", "Ann Lee", true},
		{"run of spaces", "Ann    Lee", "Ann Lee", true},
		{"braille blank", "Ann\u2800Lee", "Ann Lee", true},
		{"only braille blanks", "\u2800\u2800", "", true},

		// Direction controls: a name cannot turn text around.
		{"right-to-left override", "\u202eevil.exe", "evil.exe", true},
		{"RLO reversing a name", "Ann \u202eeeL", "Ann eeL", true},
		{"left-to-right override and pop", "\u202dAnn\u202c", "Ann", true},
		{"embeddings", "\u202aAnn\u202b", "Ann", true},
		{"isolates", "\u2066Ann\u2067\u2068\u2069", "Ann", true},
		{"marks", "\u200eAnn\u200f", "Ann", true},
		{"Arabic letter mark", "Ann\u061c", "Ann", true},

		// Invisible characters.
		{"zero-width space", "A\u200bnn", "Ann", true},
		{"only zero-width spaces", "\u200b\u200b", "", true},
		{"word joiner and invisible operators", "A\u2060n\u2061\u2062\u2063\u2064n", "Ann", true},
		{"byte order mark", "\ufeffAnn", "Ann", true},
		{"Mongolian vowel separator", "An\u180en", "Ann", true},
		{"soft hyphen", "An\u00adn", "Ann", true},
		{"Hangul filler", "\u3164", "", true},
		{"Hangul fillers around a name", "\u3164Ann\u115f\u1160\uffa0", "Ann", true},
		{"combining grapheme joiner", "An\u034fn", "Ann", true},
		{"Khmer inherent vowel", "An\u17b4n", "Ann", true},
		{"interlinear annotation", "\ufff9Ann\ufffb", "Ann", true},
		{"tag characters outside a flag", "Ann\U000e0041", "Ann", true},
		{"variation selector after a letter", "Ann\ufe0f", "Ann", true},
		{"variation selector alone", "\ufe0f", "", true},

		// Joiners: ZWJ between letters hides, between emoji joins.
		{"ZWJ between Latin letters", "A\u200dnn", "Ann", true},
		{"ZWNJ between Latin letters", "A\u200cnn", "Ann", true},
		{"ZWJ at the end", "Ann\u200d", "Ann", true},
		{"ZWJ after an emoji, before a letter", "👩\u200dAnn", "👩Ann", true},
		{"technologist", "👩\u200d💻", "👩\u200d💻", true},
		{"technologist with skin tone", "👩🏽\u200d💻", "👩🏽\u200d💻", true},
		{"family", "👨\u200d👩\u200d👧\u200d👦", "👨\u200d👩\u200d👧\u200d👦", true},
		{"rainbow flag", "🏳\ufe0f\u200d🌈", "🏳\ufe0f\u200d🌈", true},
		{"heart on fire", "❤\ufe0f\u200d🔥", "❤\ufe0f\u200d🔥", true},
		{"health worker", "Ann 🧑\u200d⚕\ufe0f", "Ann 🧑\u200d⚕\ufe0f", true},
		{"red heart", "Ann ❤\ufe0f", "Ann ❤\ufe0f", true},
		{"keycap", "Room 1\ufe0f\u20e3", "Room 1\ufe0f\u20e3", true},
		{"VS16 after a digit without keycap", "Room 1\ufe0f", "Room 1", true},
		{"Scotland flag", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", true},
		{"flag tags without the cancel tag", "🏴\U000e0067\U000e0062", "🏴", true},

		// Scripts that need their joiners.
		{"Persian ZWNJ", "می\u200cخواهم", "می\u200cخواهم", true},
		{"Persian ZWNJ after a vowel sign", "مِ\u200cخ", "مِ\u200cخ", true},
		{"ZWNJ between Arabic and Latin", "م\u200cA", "مA", true},
		{"Sinhala Sri with ZWJ after virama", "ශ්\u200dරී", "ශ්\u200dරී", true},
		{"Devanagari half form with ZWJ", "क्\u200dष", "क्\u200dष", true},
		{"Devanagari explicit virama with ZWNJ", "क्\u200cष", "क्\u200cष", true},
		{"ZWJ after a Devanagari vowel sign", "रा\u200dम", "राम", true},
		{"ZWNJ between Devanagari letters", "र\u200cम", "रम", true},
		{"Japanese name with an ideographic variation selector", "葛\U000e0100飾", "葛\U000e0100飾", true},
		{"ideographic variation selector after a Latin letter", "A\U000e0100nn", "Ann", true},
		{"Mongolian free variation selector", "ᠠ\u180bᠨ", "ᠠ\u180bᠨ", true},
		{"Arabic number sign is drawn", "\u0600١٢", "\u0600١٢", true},
	} {
		got, ok := CleanText(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("%s: CleanText(%+q) = %+q, %v; want %+q, %v", tc.name, tc.in, got, ok, tc.want, tc.ok)
		}
		if ok {
			// Cleaning is idempotent: what it returns, it keeps.
			if again, ok2 := CleanText(got); !ok2 || again != got {
				t.Errorf("%s: CleanText(%+q) = %+q, %v: not idempotent", tc.name, got, again, ok2)
			}
		}
	}
}

// FuzzCleanText: whatever CleanText accepts comes out valid UTF-8, with
// no control character, no direction control, no space at either end and
// no two spaces in a row, and unchanged by a second cleaning.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"Ann", " \u202eeeL", "👩\u200d💻", "می\u200cخواهم", "ශ්\u200dරී", "a\u3000\u2800b", "🏴\U000e0067\U000e007f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := CleanText(s)
		if !ok {
			return
		}
		if !utf8.ValidString(got) || strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") || strings.Contains(got, "  ") {
			t.Fatalf("CleanText(%+q) = %+q", s, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u200b' || r == '\ufeff' || r == '\u00ad' {
				t.Fatalf("CleanText(%+q) = %+q keeps %U", s, got, r)
			}
		}
		if again, ok := CleanText(got); !ok || again != got {
			t.Fatalf("CleanText(%+q) = %+q, but cleaning it again gives %+q, %v", s, got, again, ok)
		}
	})
}
