package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// TestViewAnySize draws the app at every size from 1×1 to 130×45, in
// each mode, with a history, the list, and each kind of overlay: no size
// may panic, and no line may be wider than the terminal.
func TestViewAnySize(t *testing.T) {
	modes := []struct {
		name string
		set  func(m *model)
	}{
		{"list", func(m *model) { m.setFocus(focusList); m.overlay = nil }},
		{"compose", func(m *model) { m.setFocus(focusCompose); m.overlay = nil; m.chat.replyTo = 3 }},
		{"picked", func(m *model) { m.setFocus(focusHistory); m.chat.cursor = 1; m.overlay = nil }},
		{"help", func(m *model) { m.overlay = &helpOverlay{top: 3} }},
		{"prompt", func(m *model) { m.overlay = newPrompt("Send file:", "/tmp/", nil) }},
		{"picker", func(m *model) { m.askForward(m.chat.msgs[0]) }},
		{"info", func(m *model) { m.overlay = &infoOverlay{chatID: 1, invite: "abcdef"} }},
		{"no chat", func(m *model) { m.chat = nil; m.overlay = nil; m.setFocus(focusList) }},
	}
	for _, mode := range modes {
		m := benchModel(60)
		m.chat.msgs[5].Text = "**not markup here** and a very long word: " + strings.Repeat("x", 300)
		m.chat.msgs[6].Entities = nil
		for w := 1; w <= 130; w += 3 {
			for h := 1; h <= 45; h += 2 {
				m.Update(tea.WindowSizeMsg{Width: w, Height: h})
				mode.set(m)
				var screen string
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Fatalf("%s at %d×%d: panic %v", mode.name, w, h, r)
						}
					}()
					screen = m.View().Content
				}()
				lines := strings.Split(screen, "\n")
				if len(lines) > h {
					t.Fatalf("%s at %d×%d: %d lines", mode.name, w, h, len(lines))
				}
				for i, l := range lines {
					if n := ansi.StringWidth(l); n > w {
						t.Fatalf("%s at %d×%d: line %d is %d cells wide: %q", mode.name, w, h, i, n, ansi.Strip(l))
					}
				}
			}
		}
	}
}
