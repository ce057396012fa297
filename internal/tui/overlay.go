package tui

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/havenchat/haven/internal/msgtext"
)

// overlay is a mode that takes the keys for a while: the help screen, a
// question, a prompt or a list to pick from. It draws over the chat pane
// (the help screen, over everything).
type overlay interface {
	key(m *model, k tea.KeyPressMsg) tea.Cmd
	update(m *model, msg tea.Msg) tea.Cmd
	paste(m *model, s string) tea.Cmd
	// view draws the overlay in a box of w×h cells.
	view(m *model, w, h int) string
}

// helpOverlay is the help screen: every key, from the one table. On a
// screen too short for it, ↑↓ scroll it; any other key closes it.
type helpOverlay struct {
	top int // first line shown
}

func (o *helpOverlay) key(m *model, k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "up", "k":
		o.top = max(o.top-1, 0)
	case "down", "j":
		o.top++
	case "pgup":
		o.top = max(o.top-m.height/2, 0)
	case "pgdown", "space":
		o.top += m.height / 2
	default:
		m.overlay = nil
	}
	return nil
}
func (*helpOverlay) update(*model, tea.Msg) tea.Cmd { return nil }
func (*helpOverlay) paste(*model, string) tea.Cmd   { return nil }

func (o *helpOverlay) view(m *model, w, h int) string {
	// Two columns when they fit (the first two groups, then the rest),
	// one otherwise.
	var cols [][]string
	group := func(from, to int, width int) []string {
		var out []string
		for _, g := range keyHelp[from:to] {
			out = append(out, sectionStyle.Render(g.title))
			for _, k := range g.keys {
				out = append(out, "  "+pad(k[0], 10)+" "+oneLine(k[1], width-13))
			}
			out = append(out, "")
		}
		return out
	}
	colW := w
	if w >= 78 {
		colW = w / 2
		cols = [][]string{group(0, 2, colW), group(2, len(keyHelp), colW)}
	} else {
		cols = [][]string{group(0, len(keyHelp), colW)}
	}
	lines := []string{titleStyle.Render("Haven — keys"), ""}
	rows := 0
	for _, c := range cols {
		rows = max(rows, len(c))
	}
	for i := 0; i < rows; i++ {
		var line string
		for j, c := range cols {
			cell := ""
			if i < len(c) {
				cell = c[i]
			}
			if j < len(cols)-1 {
				cell = pad(cell, colW)
			}
			line += cell
		}
		lines = append(lines, line)
	}
	footer := "Press any key to go back"
	if len(lines)+1 > h {
		// Too tall: show a window of it, the footer always.
		o.top = min(o.top, len(lines)-(h-1))
		lines = lines[o.top : o.top+h-1]
		footer = "↑↓ scroll, any other key goes back"
	}
	lines = append(lines, dimStyle.Render(footer))
	return strings.Join(lines, "\n")
}

// choiceOverlay asks a question answered with one key.
type choiceOverlay struct {
	question string
	choices  map[string]func() tea.Cmd // key → what it does
}

func (o *choiceOverlay) key(m *model, k tea.KeyPressMsg) tea.Cmd {
	if k.String() == "esc" {
		m.overlay = nil
		return nil
	}
	if do, ok := o.choices[strings.ToLower(k.String())]; ok {
		m.overlay = nil
		return do()
	}
	return nil
}
func (o *choiceOverlay) update(*model, tea.Msg) tea.Cmd { return nil }
func (o *choiceOverlay) paste(*model, string) tea.Cmd   { return nil }
func (o *choiceOverlay) view(m *model, w, h int) string {
	// The question wraps: its answers come at its end.
	lines := wrap(msgtext.OneLine(o.question), max(w, 1))
	if len(lines) > 4 {
		lines = append(lines[:3], oneLine(strings.Join(lines[3:], " "), w))
	}
	for i := range lines {
		lines[i] = promptStyle.Render(lines[i])
	}
	return strings.Join(append(lines, dimStyle.Render("Esc cancels")), "\n")
}

// promptOverlay asks for a line of text. With files set, Tab completes
// a path.
type promptOverlay struct {
	label    string
	input    textinput.Model
	files    bool
	hint     string                 // shown before the keys' hint
	onTab    func(o *promptOverlay) // what Tab does, when not completing files
	matches  []string               // the last completion's candidates
	onSubmit func(value string) tea.Cmd
}

func newPrompt(label, value string, onSubmit func(string) tea.Cmd) *promptOverlay {
	in := textinput.New()
	in.Prompt = ""
	in.SetValue(value)
	in.CursorEnd()
	in.Focus()
	return &promptOverlay{label: label, input: in, onSubmit: onSubmit}
}

func (o *promptOverlay) key(m *model, k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "esc":
		m.overlay = nil
		return nil
	case "enter":
		m.overlay = nil
		return o.onSubmit(o.input.Value())
	case "tab":
		if o.onTab != nil {
			o.onTab(o)
			return nil
		}
		if o.files {
			v, matches := completePath(o.input.Value())
			o.input.SetValue(v)
			o.input.CursorEnd()
			o.matches = matches
			return nil
		}
	}
	o.matches = nil
	var cmd tea.Cmd
	o.input, cmd = o.input.Update(k)
	return cmd
}

func (o *promptOverlay) update(m *model, msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	o.input, cmd = o.input.Update(msg)
	return cmd
}

func (o *promptOverlay) paste(m *model, s string) tea.Cmd {
	o.input.SetValue(o.input.Value() + strings.TrimSpace(s))
	o.input.CursorEnd()
	return nil
}

func (o *promptOverlay) view(m *model, w, h int) string {
	o.input.SetWidth(max(w-ansiWidth(o.label)-2, 5))
	var b strings.Builder
	b.WriteString(promptStyle.Render(o.label) + " " + o.input.View())
	if len(o.matches) > 1 {
		b.WriteString("\n" + dimStyle.Render(oneLine(strings.Join(o.matches, "  "), w)))
	}
	hint := "Enter confirms, Esc cancels"
	if o.files {
		hint += ", Tab completes"
	}
	if o.hint != "" {
		hint = o.hint + " · " + hint
	}
	b.WriteString("\n" + dimStyle.Render(hint))
	return b.String()
}

// completePath completes the last element of a path: to the one entry
// that matches, or to the longest prefix the matches share (which are
// returned to be shown).
func completePath(v string) (string, []string) {
	p := expandHome(v)
	dir, base := filepath.Split(p)
	lookIn := dir
	if lookIn == "" {
		lookIn = "."
	}
	entries, err := os.ReadDir(lookIn)
	if err != nil {
		return v, nil
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, base) || (strings.HasPrefix(n, ".") && !strings.HasPrefix(base, ".")) {
			continue
		}
		if e.IsDir() {
			n += string(filepath.Separator)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return v, nil
	}
	common := names[0]
	for _, n := range names[1:] {
		for !strings.HasPrefix(n, common) {
			common = common[:len(common)-1]
		}
	}
	// Keep what the person typed (such as ~/) and add the rest.
	return v + strings.TrimPrefix(common, base), names
}

// pickerOverlay is a list to pick from, filtered by what is typed.
type pickerOverlay struct {
	title  string
	items  []pickItem
	filter string
	sel    int
	top    int
	onPick func(it pickItem) tea.Cmd
}

type pickItem struct {
	label string
	id    int64
	aux   int64
	text  string
}

func (o *pickerOverlay) shown() []pickItem {
	if o.filter == "" {
		return o.items
	}
	var out []pickItem
	f := strings.ToLower(o.filter)
	for _, it := range o.items {
		if strings.Contains(strings.ToLower(it.label), f) {
			out = append(out, it)
		}
	}
	return out
}

func (o *pickerOverlay) key(m *model, k tea.KeyPressMsg) tea.Cmd {
	items := o.shown()
	switch k.String() {
	case "esc":
		m.overlay = nil
		return nil
	case "enter":
		if o.sel < len(items) {
			m.overlay = nil
			return o.onPick(items[o.sel])
		}
		return nil
	case "up", "ctrl+p":
		o.sel = max(o.sel-1, 0)
	case "down", "ctrl+n":
		o.sel = min(o.sel+1, max(len(items)-1, 0))
	case "pgup":
		o.sel = max(o.sel-10, 0)
	case "pgdown":
		o.sel = min(o.sel+10, max(len(items)-1, 0))
	case "backspace":
		if o.filter != "" {
			_, size := lastRune(o.filter)
			o.filter = o.filter[:len(o.filter)-size]
			o.sel = 0
		}
	default:
		if k.Text != "" {
			o.filter += k.Text
			o.sel = 0
		}
	}
	return nil
}

func lastRune(s string) (rune, int) {
	r := []rune(s)
	if len(r) == 0 {
		return 0, 0
	}
	return r[len(r)-1], len(string(r[len(r)-1]))
}

func (o *pickerOverlay) update(*model, tea.Msg) tea.Cmd { return nil }
func (o *pickerOverlay) paste(m *model, s string) tea.Cmd {
	o.filter += strings.TrimSpace(s)
	o.sel = 0
	return nil
}

func (o *pickerOverlay) view(m *model, w, h int) string {
	items := o.shown()
	var b strings.Builder
	head := o.title
	if o.filter != "" {
		head += "  " + dimStyle.Render("filter: ") + o.filter
	}
	b.WriteString(titleStyle.Render(oneLine(head, w)) + "\n")
	rows := max(h-2, 1)
	if o.sel < o.top {
		o.top = o.sel
	}
	if o.sel >= o.top+rows {
		o.top = o.sel - rows + 1
	}
	if len(items) == 0 {
		b.WriteString(dimStyle.Render("Nothing found") + "\n")
	}
	for i := o.top; i < len(items) && i < o.top+rows; i++ {
		line := pad(oneLine(items[i].label, w-2), w-2)
		if i == o.sel {
			b.WriteString(selStyle.Render("> "+line) + "\n")
		} else {
			b.WriteString("  " + line + "\n")
		}
	}
	b.WriteString(dimStyle.Render(oneLine("↑↓ choose, Enter picks, type to filter, Esc cancels", w)))
	return b.String()
}

func ansiWidth(s string) int { return lipgloss.Width(s) }
