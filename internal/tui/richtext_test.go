package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/havenchat/haven/client"
)

func TestRichWrap(t *testing.T) {
	// "See 😀 https://example.org and **bold words here**": the emoji is
	// two UTF-16 units, so the url starts at unit 7.
	text := "See 😀 https://example.org and bold words here"
	ents := []client.Entity{
		{Type: "url", Offset: 7, Length: 19},
		{Type: "bold", Offset: 31, Length: 15},
	}
	lines := richWrap(text, ents, 20, false)
	var texts []string
	for _, l := range lines {
		if w := ansi.StringWidth(l); w > 20 {
			t.Errorf("line %q is %d cells wide", l, w)
		}
		if !strings.HasSuffix(l, "\x1b[0m") {
			t.Errorf("line %q does not end with a reset", l)
		}
		texts = append(texts, plain(l))
	}
	if got := strings.Join(texts, " "); got != text {
		t.Fatalf("the words changed: %q", got)
	}
	// The url is underlined blue, the bold part bold, "and" plain.
	joined := strings.Join(lines, "\n")
	if !strings.Contains(joined, "\x1b[0;4;34mhttps://example.org\x1b[0m") {
		t.Errorf("the url is not styled as a link: %q", joined)
	}
	if !strings.Contains(joined, "\x1b[0;1mbold") {
		t.Errorf("bold is not bold: %q", joined)
	}
	// A style cut by a line break goes on at the next line's start.
	for i, l := range lines {
		if strings.Contains(plain(l), "here") && !strings.HasPrefix(l, "\x1b[0;1m") && !strings.Contains(l, "\x1b[0;1mbold") {
			t.Errorf("line %d %q lost the bold it continues", i, l)
		}
	}
	// No entities: the plain wrap.
	if got := richWrap("a b", nil, 10, false); len(got) != 1 || got[0] != "a b" {
		t.Errorf("plain text: %q", got)
	}
	// Entities that do not fall on rune boundaries are ignored, not
	// misdrawn.
	if got := plain(strings.Join(richWrap("😀x", []client.Entity{{Type: "bold", Offset: 1, Length: 1}}, 10, false), "")); got != "😀x" {
		t.Errorf("bad offsets: %q", got)
	}
}
