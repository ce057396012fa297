package tui

import (
	"context"
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/havenchat/haven/client"
)

// benchModel is a model with n loaded messages in an open group, as the
// app holds it after scrolling back; no server is needed to draw it.
func benchModel(n int) *model {
	me := &client.User{ID: 1, FirstName: "Ann"}
	m := newModel(context.Background(), nil, me, Options{})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	var ds []client.Dialog
	for i := int64(1); i <= 200; i++ {
		ds = append(ds, client.Dialog{
			Chat:        client.Chat{ID: i, Kind: "group", Title: fmt.Sprintf("Group %d", i), MemberCount: 40},
			TopMessage:  &client.Message{ChatID: i, ID: 10, SenderID: 2, Date: time.Now().Unix(), Text: "the latest news"},
			UnreadCount: int(i % 7),
		})
	}
	m.setDialogs(ds, 0)
	for i := int64(2); i < 40; i++ {
		m.users[i] = &client.User{ID: i, FirstName: fmt.Sprintf("Person %d", i)}
	}
	m.chat = &chatView{id: 1}
	now := time.Now().Unix()
	for i := 1; i <= n; i++ {
		m.chat.msgs = append(m.chat.msgs, client.Message{
			ChatID: 1, ID: int64(i), SenderID: int64(2 + i%30), Date: now - int64(n-i)*60,
			Text: "A message of a few words that wraps onto a second line when the pane is narrow enough to need it, as many do.",
		})
	}
	m.setFocus(focusCompose)
	return m
}

// BenchmarkView is the cost of drawing one frame with a long history
// loaded: Bubble Tea draws after every key and every event.
func BenchmarkView(b *testing.B) {
	for _, n := range []int{50, 1000, 5000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			m := benchModel(n)
			b.ReportAllocs()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}
