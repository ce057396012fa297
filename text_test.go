package haven

import "testing"

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
	if s, ok := CleanText("  Ann  "); !ok || s != "Ann" {
		t.Errorf("CleanText trims: got %q %v", s, ok)
	}
	for _, bad := range []string{"a\x00b", "a\nb", "\xff"} {
		if _, ok := CleanText(bad); ok {
			t.Errorf("CleanText(%q) accepted", bad)
		}
	}
}
