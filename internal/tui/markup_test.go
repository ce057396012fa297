package tui

import (
	"reflect"
	"testing"

	"github.com/havenchat/haven/client"
)

func TestMarkup(t *testing.T) {
	cases := []struct {
		in   string
		text string
		ents []client.Entity
	}{
		{"plain words", "plain words", nil},
		{"a **bold** move", "a bold move", []client.Entity{{Type: "bold", Offset: 2, Length: 4}}},
		{"__it__ and `x**y**`", "it and x**y**", []client.Entity{{Type: "italic", Offset: 0, Length: 2}, {Type: "code", Offset: 7, Length: 6}}},
		{"😀 ~~gone~~", "😀 gone", []client.Entity{{Type: "strikethrough", Offset: 3, Length: 4}}},
		{"**bold __both__**", "bold both", []client.Entity{{Type: "italic", Offset: 5, Length: 4}, {Type: "bold", Offset: 0, Length: 9}}},
		{"a ** b", "a ** b", nil},
		{"2 * 3 ****", "2 * 3 ****", nil},
		{"||secret|| and snake_case_name", "secret and snake_case_name", []client.Entity{{Type: "spoiler", Offset: 0, Length: 6}}},
	}
	for _, c := range cases {
		text, ents := markup(c.in)
		if text != c.text || !reflect.DeepEqual(ents, c.ents) {
			t.Errorf("markup(%q) = %q %+v, want %q %+v", c.in, text, ents, c.text, c.ents)
			continue
		}
		// Back to markers and again: the same message.
		text2, ents2 := markup(toMarkup(text, ents))
		if text2 != text || !reflect.DeepEqual(sortedEnts(ents2), sortedEnts(ents)) {
			t.Errorf("round trip of %q: %q %+v", c.in, text2, ents2)
		}
	}
}

func sortedEnts(es []client.Entity) map[client.Entity]bool {
	m := map[client.Entity]bool{}
	for _, e := range es {
		m[e] = true
	}
	return m
}
