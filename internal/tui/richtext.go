package tui

import (
	"sort"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/msgtext"
)

// entityCodes are the SGR parameters that show each kind of entity.
var entityCodes = map[string][]int{
	"bold":          {1},
	"italic":        {3},
	"underline":     {4},
	"strikethrough": {9},
	"spoiler":       {2, 7},  // faint, reversed: a blot to look past
	"code":          {36},    // cyan
	"pre":           {36},    //
	"url":           {4, 34}, // underlined blue
	"text_link":     {4, 34},
	"email":         {4, 34},
	"mention":       {35}, // magenta
	"text_mention":  {35},
	"hashtag":       {35},
	"bot_command":   {35},
}

// richWrap wraps text to width cells, showing its entities (offsets in
// UTF-16 units, as the API gives them) with terminal styles; spoilers
// are blotted out unless reveal is set. Every line stands alone: it
// starts with the styles active there and ends with a reset, so a line
// can be drawn next to anything. The text comes from others: its control
// characters are shown inert (msgtext.Inert keeps UTF-16 offsets).
func richWrap(text string, ents []client.Entity, width int, reveal bool) []string {
	text = msgtext.Inert(text)
	if len(ents) == 0 {
		return wrap(text, width)
	}
	styled := applyEntities(text, ents, reveal)
	var out []string
	active := "" // the SGR sequence in force where a line starts
	for _, line := range wrap(styled, width) {
		out = append(out, active+line+"\x1b[0m")
		if i := strings.LastIndex(line, "\x1b["); i >= 0 {
			if j := strings.IndexByte(line[i:], 'm'); j >= 0 {
				active = line[i : i+j+1]
			}
		}
	}
	return out
}

// applyEntities puts an SGR sequence at each place where the set of
// entities covering the text changes: a reset, then the styles of every
// entity in force (so the last sequence before any point says it all).
func applyEntities(text string, ents []client.Entity, reveal bool) string {
	// Byte offset of each UTF-16 offset that starts a rune.
	at := map[int]int{}
	u := 0
	for i, r := range text {
		at[u] = i
		u += utf16Len(r)
	}
	at[u] = len(text)
	type edge struct {
		pos     int // byte offset
		codes   []int
		open    bool
		spoiler bool
	}
	var edges []edge
	for _, e := range ents {
		codes, ok := entityCodes[e.Type]
		start, ok1 := at[e.Offset]
		end, ok2 := at[e.Offset+e.Length]
		if !ok || !ok1 || !ok2 || end <= start {
			continue
		}
		sp := e.Type == "spoiler"
		edges = append(edges, edge{start, codes, true, sp}, edge{end, codes, false, sp})
	}
	hidden := 0 // spoilers open at this point
	write := func(b *strings.Builder, seg string) {
		if hidden > 0 && !reveal {
			seg = blot(seg)
		}
		b.WriteString(seg)
	}
	sort.SliceStable(edges, func(i, j int) bool { return edges[i].pos < edges[j].pos })
	var b strings.Builder
	count := map[int]int{} // SGR code → how many entities in force use it
	prev := 0
	for k := 0; k < len(edges); {
		pos := edges[k].pos
		write(&b, text[prev:pos])
		for ; k < len(edges) && edges[k].pos == pos; k++ {
			if edges[k].spoiler {
				if edges[k].open {
					hidden++
				} else {
					hidden--
				}
			}
			for _, c := range edges[k].codes {
				if edges[k].open {
					count[c]++
				} else {
					count[c]--
				}
			}
		}
		var on []int
		for c, n := range count {
			if n > 0 {
				on = append(on, c)
			}
		}
		sort.Ints(on)
		b.WriteString("\x1b[0")
		for _, c := range on {
			b.WriteString(";" + strconv.Itoa(c))
		}
		b.WriteString("m")
		prev = pos
	}
	write(&b, text[prev:])
	return b.String()
}

// blot hides text under a spoiler: each character becomes as many ░ as
// it is wide; spaces and line breaks stay, so the text wraps alike.
func blot(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '\n':
			b.WriteRune(r)
		default:
			b.WriteString(strings.Repeat("░", max(ansi.StringWidth(string(r)), 1)))
		}
	}
	return b.String()
}

func utf16Len(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// plain is a drawn line without its styles.
func plain(s string) string { return ansi.Strip(s) }
