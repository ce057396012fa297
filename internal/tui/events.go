package tui

import (
	"encoding/json"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/havenchat/haven/client"
)

// apply folds one event of the update stream into the screen.
func (m *model) apply(ev client.Event) tea.Cmd {
	switch {
	case ev.Chat != nil:
		return m.applyChat(ev.Chat)
	case ev.User != nil:
		return m.applyUser(ev.User)
	case ev.ReloadChatID != 0:
		cmds := []tea.Cmd{m.loadDialogs()}
		if m.chat != nil && m.chat.id == ev.ReloadChatID {
			m.chat.msgs, m.chat.complete = nil, false
			cmds = append(cmds, m.loadHistory(ev.ReloadChatID, 0, 0))
		}
		return tea.Batch(cmds...)
	case ev.Push != nil:
		return m.applyPush(ev.Push)
	}
	return nil
}

func (m *model) applyChat(ev *client.ChatEvent) tea.Cmd {
	d := m.dialog(ev.ChatID)
	if d == nil {
		// A chat the list does not have yet: its dialog.added event may
		// come later; the list is reloaded either way.
		return m.loadDialogs()
	}
	// An event at or below the dialog's seq is already counted in it
	// (the list was fetched after it happened): it still updates the
	// open chat, but not the unread count.
	fresh := ev.Seq > d.Chat.Seq
	if fresh {
		d.Chat.Seq = ev.Seq
	}
	open := m.chat != nil && m.chat.id == ev.ChatID
	switch ev.Kind {
	case "message.new":
		if ev.Message == nil {
			return nil
		}
		msg := *ev.Message
		if who := m.typing[ev.ChatID]; who != nil {
			delete(who, msg.SenderID)
		}
		mine := msg.SenderID == m.me.ID
		if mine {
			// Its push may beat the send's answer: the message shown as
			// on its way is this one (pushes carry no random_id).
			m.settleText(ev.ChatID, msg.Text)
		}
		m.gotMessage(ev.ChatID, msg)
		var cmds []tea.Cmd
		if !mine && fresh && msg.ID > d.ReadInboxMaxID {
			if open && m.chat.scroll == 0 {
				cmds = append(cmds, m.markRead(ev.ChatID, msg.ID))
			} else {
				d.UnreadCount++
			}
		}
		if msg.SenderID != 0 {
			cmds = append(cmds, m.wantUsers([]int64{msg.SenderID}))
		}
		if msg.Service != nil {
			cmds = append(cmds, m.wantUsers(msg.Service.UserIDs), m.refreshChat(ev.ChatID))
		}
		return tea.Batch(cmds...)
	case "message.edit", "message.pin":
		if ev.Message != nil {
			m.gotMessage(ev.ChatID, *ev.Message)
		}
		if ev.Kind == "message.pin" {
			return m.refreshChat(ev.ChatID)
		}
	case "message.reaction":
		// The pushed message carries no counts: fetch it as it is now.
		if open && ev.MessageID != 0 {
			return m.refetch(ev.ChatID, ev.MessageID)
		}
	case "message.delete":
		var data struct {
			IDs []int64 `json:"ids"`
		}
		_ = json.Unmarshal(ev.Data, &data)
		m.removeMessages(ev.ChatID, data.IDs)
		if d.TopMessage != nil && slices.Contains(data.IDs, d.TopMessage.ID) {
			return m.loadDialogs()
		}
	case "chat.read":
		var data struct {
			MaxID int64 `json:"max_id"`
		}
		_ = json.Unmarshal(ev.Data, &data)
		if ev.UserID != m.me.ID && data.MaxID > d.Chat.ReadOutboxMaxID {
			d.Chat.ReadOutboxMaxID = data.MaxID
		}
	case "member.update", "chat.update":
		return m.refreshChat(ev.ChatID)
	}
	return nil
}

func (m *model) applyUser(ev *client.UserEvent) tea.Cmd {
	switch ev.Kind {
	case "dialog.added", "dialog.update":
		return m.loadDialogs()
	case "dialog.removed":
		for i, d := range m.dialogs {
			if d.Chat.ID == ev.ChatID {
				m.dialogs = append(m.dialogs[:i], m.dialogs[i+1:]...)
				break
			}
		}
		if m.chat != nil && m.chat.id == ev.ChatID {
			m.closeChat()
			m.say("You are no longer a member of that chat")
		}
		m.clampList()
	case "dialog.read":
		var data struct {
			MaxID int64 `json:"max_id"`
		}
		_ = json.Unmarshal(ev.Data, &data)
		if d := m.dialog(ev.ChatID); d != nil && data.MaxID > d.ReadInboxMaxID {
			d.ReadInboxMaxID = data.MaxID
			if d.TopMessage == nil || data.MaxID >= d.TopMessage.ID {
				d.UnreadCount = 0
				return nil
			}
			return m.loadDialogs() // the server counts what is left
		}
	case "messages.hidden":
		var data struct {
			IDs []int64 `json:"ids"`
		}
		_ = json.Unmarshal(ev.Data, &data)
		m.removeMessages(ev.ChatID, data.IDs)
	}
	return nil
}

func (m *model) applyPush(p *client.Push) tea.Cmd {
	switch p.Kind {
	case "chat.typing":
		var t struct {
			ChatID    int64 `json:"chat_id"`
			UserID    int64 `json:"user_id"`
			ExpiresIn int   `json:"expires_in"`
		}
		if json.Unmarshal(p.Data, &t) != nil || t.UserID == m.me.ID {
			return nil
		}
		who := m.typing[t.ChatID]
		if who == nil {
			who = map[int64]time.Time{}
			m.typing[t.ChatID] = who
		}
		if t.ExpiresIn <= 0 {
			delete(who, t.UserID)
			return nil
		}
		who[t.UserID] = m.now().Add(time.Duration(t.ExpiresIn) * time.Second)
		return m.wantUsers([]int64{t.UserID})
	case "user.status":
		var s struct {
			UserID int64         `json:"user_id"`
			Status client.Status `json:"status"`
		}
		if json.Unmarshal(p.Data, &s) != nil {
			return nil
		}
		if u := m.users[s.UserID]; u != nil {
			cp := *u
			st := s.Status
			cp.Status = &st
			m.users[s.UserID] = &cp
		}
	case "session.ended":
		m.fail(&client.Error{Code: "SESSION_ENDED", Message: "this session was ended; run haven login"})
	case "secret.envelope":
		return m.secretArrived()
	}
	return nil
}

func (m *model) removeMessages(chatID int64, ids []int64) {
	cv := m.chat
	if cv == nil || cv.id != chatID || len(ids) == 0 {
		return
	}
	kept := cv.msgs[:0]
	for _, msg := range cv.msgs {
		if !slices.Contains(ids, msg.ID) {
			kept = append(kept, msg)
		}
	}
	cv.msgs = kept
	if cv.cursor >= len(cv.msgs) {
		cv.cursor = len(cv.msgs) - 1
	}
	if cv.cursor < 0 && m.focus == focusHistory {
		m.setFocus(focusCompose)
	}
	if slices.Contains(ids, cv.replyTo) {
		cv.replyTo = 0
	}
	if slices.Contains(ids, cv.editing) {
		cv.editing = 0
		m.compose.Reset()
	}
}
