package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/havenchat/haven/client"
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

// TestAnyKeys presses random keys, in any order and mode, on a model
// with a history (the commands they return, calls to the server, are not
// run): no sequence may panic, and the screen stays within bounds.
func TestAnyKeys(t *testing.T) {
	keys := []tea.KeyPressMsg{
		{Code: tea.KeyUp}, {Code: tea.KeyDown}, {Code: tea.KeyEnter}, {Code: tea.KeyEscape},
		{Code: tea.KeyTab}, {Code: tea.KeyPgUp}, {Code: tea.KeyPgDown}, {Code: tea.KeyHome},
		{Code: tea.KeyF1}, {Code: tea.KeyBackspace}, {Code: 'f', Mod: tea.ModCtrl},
		{Code: 'n', Mod: tea.ModCtrl}, {Code: 'g', Mod: tea.ModCtrl}, {Code: 'l', Mod: tea.ModCtrl},
		{Code: 'o', Mod: tea.ModCtrl}, {Code: tea.KeyEnter, Mod: tea.ModAlt},
	}
	for _, r := range "rdefpsmaiqgkj+yn*_x 😀" {
		keys = append(keys, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	rng := uint64(1)
	next := func(n int) int { // a fixed sequence: the same on every run
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		return int(rng % uint64(n))
	}
	m := benchModel(30)
	sizes := [][2]int{{80, 24}, {60, 20}, {120, 40}, {30, 10}}
	for i := 0; i < 20000; i++ {
		if i%2000 == 0 {
			sz := sizes[next(len(sizes))]
			m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		}
		k := keys[next(len(keys))]
		if k.Code == 'c' && k.Mod == tea.ModCtrl {
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("key %d (%s): panic %v", i, k.String(), r)
				}
			}()
			m.Update(k)
			if m.chat == nil && len(m.dialogs) > 0 && next(10) == 0 {
				m.chat = &chatView{id: m.dialogs[0].Chat.ID, msgs: benchModel(5).chat.msgs}
			}
			_ = m.View()
		}()
	}
}

// TestSaveName: a file is offered to be saved under its own name in the
// current directory, whatever path its sender put in the name.
func TestSaveName(t *testing.T) {
	for name, want := range map[string]string{
		"guide.txt":            "guide.txt",
		"../../.bashrc":        ".bashrc",
		"/etc/passwd":          "passwd",
		"":                     "file-7",
		"..":                   "file-7",
		"dir/sub/notes.md":     "notes.md",
		"photo 2026-11-25.jpg": "photo 2026-11-25.jpg",
	} {
		if got := saveName(client.Media{FileID: 7, Name: name}); got != want {
			t.Errorf("saveName(%q) = %q, want %q", name, got, want)
		}
	}
}
