package tui

import (
	"sort"
	"strings"
	"unicode/utf16"

	"github.com/havenchat/haven/client"
)

// markers are what a person types around text to format it, as in
// other messengers, and the entity each makes.
var markers = []struct{ mark, entity string }{
	{"**", "bold"},
	{"__", "italic"},
	{"~~", "strikethrough"},
	{"||", "spoiler"},
	{"`", "code"},
}

// markup turns the markers of the compose box into entities: "**a**"
// is "a" in bold. A marker with no closing one, or around nothing, stays
// as typed; code is not formatted further inside. Offsets are in UTF-16
// units, as the API wants them.
func markup(s string) (string, []client.Entity) {
	var b strings.Builder
	var ents []client.Entity
	parseMarkup(s, &b, &ents)
	return b.String(), ents
}

func parseMarkup(s string, b *strings.Builder, ents *[]client.Entity) {
	for len(s) > 0 {
		matched := false
		for _, m := range markers {
			if !strings.HasPrefix(s, m.mark) {
				continue
			}
			end := strings.Index(s[len(m.mark):], m.mark)
			if end <= 0 {
				continue
			}
			inner := s[len(m.mark) : len(m.mark)+end]
			start := utf16Units(b.String())
			if m.entity == "code" {
				b.WriteString(inner)
			} else {
				parseMarkup(inner, b, ents)
			}
			if n := utf16Units(b.String()) - start; n > 0 {
				*ents = append(*ents, client.Entity{Type: m.entity, Offset: start, Length: n})
			}
			s = s[2*len(m.mark)+end:]
			matched = true
			break
		}
		if !matched {
			// Copy up to the next possible marker.
			i := strings.IndexAny(s[1:], "*_~|`")
			if i < 0 {
				b.WriteString(s)
				return
			}
			b.WriteString(s[:i+1])
			s = s[i+1:]
		}
	}
}

// toMarkup is the inverse, for editing a message: its text with the
// markers of its formatting entities put back.
func toMarkup(text string, ents []client.Entity) string {
	mark := map[string]string{}
	for _, m := range markers {
		mark[m.entity] = m.mark
	}
	type ins struct {
		at    int // UTF-16 offset
		s     string
		close bool
		len   int
	}
	var is []ins
	for _, e := range ents {
		if m, ok := mark[e.Type]; ok && e.Length > 0 {
			is = append(is, ins{e.Offset, m, false, e.Length}, ins{e.Offset + e.Length, m, true, e.Length})
		}
	}
	if len(is) == 0 {
		return text
	}
	// At one place, closing markers go before opening ones; the inner
	// (shorter) entity closes first and opens last.
	sort.SliceStable(is, func(i, j int) bool {
		a, b := is[i], is[j]
		if a.at != b.at {
			return a.at < b.at
		}
		if a.close != b.close {
			return a.close
		}
		if a.close {
			return a.len < b.len
		}
		return a.len > b.len
	})
	units := utf16.Encode([]rune(text))
	var b strings.Builder
	prev := 0
	for _, x := range is {
		if x.at < prev || x.at > len(units) {
			continue
		}
		b.WriteString(string(utf16.Decode(units[prev:x.at])))
		b.WriteString(x.s)
		prev = x.at
	}
	b.WriteString(string(utf16.Decode(units[prev:])))
	return b.String()
}

func utf16Units(s string) int {
	n := 0
	for _, r := range s {
		n += utf16Len(r)
	}
	return n
}
