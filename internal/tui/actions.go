package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/havenchat/haven/client"
)

// pageSize is how many messages one history call brings.
const pageSize = 50

// callTimeout bounds every call the app makes (uploads excepted).
const callTimeout = 30 * time.Second

// call runs fn as a command with a bounded context; a failure becomes an
// errMsg.
func (m *model) call(fn func(ctx context.Context) (tea.Msg, error)) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(m.ctx, callTimeout)
		defer cancel()
		msg, err := fn(ctx)
		if err != nil {
			if m.ctx.Err() != nil {
				return nil
			}
			return errMsg{err}
		}
		return msg
	}
}

// cachedDialogsMsg is the dialog list as the cache kept it.
type cachedDialogsMsg []client.Dialog

// cachedDialogs shows the cached list while the server's is on its way.
func (m *model) cachedDialogs() tea.Cmd {
	if m.store == nil {
		return nil
	}
	return func() tea.Msg {
		ds, err := m.store.Dialogs(m.ctx)
		if err != nil || len(ds) == 0 {
			return nil
		}
		return cachedDialogsMsg(ds)
	}
}

// keepDialogs writes a copy of the dialog list as the app has it into
// the cache.
func (m *model) keepDialogs() {
	ds := make([]client.Dialog, len(m.dialogs))
	for i, d := range m.dialogs {
		ds[i] = *d
	}
	m.keep(func(ctx context.Context) error { return m.store.SaveDialogs(ctx, ds) })
}

// keepHistory writes messages the server sent into the cache.
func (m *model) keepHistory(chatID int64, ms []client.Message) {
	if len(ms) == 0 {
		return
	}
	m.keep(func(ctx context.Context) error { return m.store.SaveHistory(ctx, chatID, ms) })
}

// keepChat writes a chat fetched after a chat.update into the cache.
func (m *model) keepChat(ch client.Chat) {
	m.keep(func(ctx context.Context) error { return m.store.SaveChat(ctx, ch) })
}

// keep runs a write to the cache at once, beside the program rather than
// as one of its commands: a command still queued when the person quits
// never runs, and Run waits for every write begun here before it closes
// the cache. Writes land in the order they were begun: a dialog list
// saved before a chat's update must not land after it and undo it.
func (m *model) keep(fn func(ctx context.Context) error) {
	if m.store == nil {
		return
	}
	m.keeping.Add(1)
	prev, done := m.lastKeep, make(chan struct{})
	m.lastKeep = done
	go func() {
		defer m.keeping.Done()
		defer close(done)
		if prev != nil {
			<-prev
		}
		if err := fn(context.WithoutCancel(m.ctx)); err != nil && m.ctx.Err() == nil && m.report != nil {
			m.report(errMsg{err})
		}
	}()
}

// cachedHistory shows the cached newest messages of a chat while the
// server's page is on its way.
func (m *model) cachedHistory(chatID int64) tea.Cmd {
	if m.store == nil {
		return nil
	}
	// The list's top message, for a chat the cache has no messages of.
	var top []client.Message
	if d := m.dialog(chatID); d != nil && d.TopMessage != nil {
		top = []client.Message{*d.TopMessage}
	}
	return func() tea.Msg {
		ms, err := m.store.History(m.ctx, chatID, 0, pageSize)
		if err != nil || len(ms) == 0 {
			ms = top
		}
		if len(ms) == 0 {
			return nil
		}
		return historyMsg{chatID: chatID, msgs: ms, cached: true}
	}
}

// write is call for a change the person made (a send, a read, an
// edit…): quitting waits a moment for it to reach the server.
func (m *model) write(fn func(ctx context.Context) (tea.Msg, error)) tea.Cmd {
	m.writes.Add(1)
	cmd := m.call(fn)
	return func() tea.Msg {
		defer m.writes.Done()
		return cmd()
	}
}

// dialogsFailedMsg says the dialog list could not be loaded; retryDialogsMsg
// asks for it again.
type (
	dialogsFailedMsg struct{ err error }
	retryDialogsMsg  struct{}
)

func (m *model) loadDialogs() tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(m.ctx, callTimeout)
		defer cancel()
		asked := m.ticks.Add(1)
		ds, err := m.c.Dialogs(ctx)
		switch {
		case m.ctx.Err() != nil:
			return nil
		case err != nil:
			var answered *client.Error
			if errors.As(err, &answered) {
				return errMsg{err}
			}
			return dialogsFailedMsg{err}
		}
		return dialogsMsg{ds, asked}
	}
}

// wantUsers fetches the people of ids the app does not know yet.
func (m *model) wantUsers(ids []int64) tea.Cmd {
	var need []int64
	for _, id := range ids {
		if id == 0 || m.users[id] != nil || m.asked[id] {
			continue
		}
		m.asked[id] = true
		need = append(need, id)
	}
	if len(need) == 0 {
		return nil
	}
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		us, err := m.c.Users(ctx, need)
		return usersMsg(us), err
	})
}

func (m *model) refreshChat(chatID int64) tea.Cmd {
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		ch, err := m.c.Chat(ctx, chatID)
		if err != nil {
			return nil, err
		}
		return chatMsg(*ch), nil
	})
}

func (m *model) refetch(chatID, id int64) tea.Cmd {
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		ms, err := m.c.Messages(ctx, chatID, []int64{id})
		if err != nil || len(ms) == 0 {
			return nil, err
		}
		return sentMsg{chatID: chatID, msg: ms[0]}, nil
	})
}

// loadHistory brings a page of history: the newest (before 0), one
// before a message, or one around it.
func (m *model) loadHistory(chatID, before, around int64) tea.Cmd {
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		p := client.HistoryParams{ChatID: chatID, BeforeID: before, AroundID: around, Limit: pageSize}
		ms, err := m.c.History(ctx, p)
		return historyMsg{chatID: chatID, msgs: ms, older: before != 0, around: around}, err
	})
}

// markRead moves the read position to id (0: the newest message).
func (m *model) markRead(chatID, id int64) tea.Cmd {
	if d := m.dialog(chatID); d != nil {
		d.UnreadCount = 0
		upTo := id
		if upTo == 0 && d.TopMessage != nil {
			upTo = d.TopMessage.ID // "the newest" is at least the newest known
		}
		d.ReadInboxMaxID = max(d.ReadInboxMaxID, upTo)
	}
	return m.write(func(ctx context.Context) (tea.Msg, error) {
		return nil, m.c.Read(ctx, chatID, id)
	})
}

// openChat shows a chat; at, when set, is a message to show and pick.
func (m *model) openChat(chatID, at int64) tea.Cmd {
	for i, d := range m.dialogs {
		if d.Chat.ID == chatID {
			m.sel = i
		}
	}
	m.clampList()
	if m.chat == nil || m.chat.id != chatID {
		m.chat = &chatView{id: chatID, loading: true}
		m.compose.Reset()
	}
	m.chat.focusID = at
	m.setFocus(focusCompose)
	cmds := []tea.Cmd{m.loadHistory(chatID, 0, at), m.markRead(chatID, 0)}
	if at == 0 {
		cmds = append(cmds, m.cachedHistory(chatID))
	}
	if d := m.dialog(chatID); d != nil && d.Chat.Kind == "private" {
		cmds = append(cmds, m.wantUsers([]int64{d.Chat.PeerID}))
	}
	m.layout()
	return tea.Batch(cmds...)
}

func (m *model) closeChat() {
	m.chat = nil
	m.compose.Reset()
	m.setFocus(focusList)
	m.layout()
}

func (m *model) gotHistory(h historyMsg) tea.Cmd {
	cv := m.chat
	if cv == nil || cv.id != h.chatID {
		return nil
	}
	if h.cached {
		// Shown until the server's page comes; never marks the end.
		if len(cv.msgs) == 0 {
			for _, msg := range h.msgs {
				m.gotMessage(h.chatID, msg)
			}
		}
		return nil
	}
	cv.loading = false
	if h.around != 0 {
		cv.msgs = nil
	}
	if h.older && len(h.msgs) == 0 {
		cv.complete = true
	}
	if !h.older && h.around == 0 && len(h.msgs) < pageSize {
		cv.complete = true
	}
	var ids []int64
	for _, msg := range h.msgs {
		m.gotMessage(h.chatID, msg)
		ids = append(ids, msg.SenderID)
		if msg.Service != nil {
			ids = append(ids, msg.Service.UserIDs...)
		}
		if msg.Forward != nil {
			ids = append(ids, msg.Forward.FromUserID)
		}
	}
	m.keepHistory(h.chatID, h.msgs)
	var cmds []tea.Cmd
	if d := m.dialog(h.chatID); d != nil && d.Chat.Kind == "channel" && len(h.msgs) > 0 {
		cmds = append(cmds, m.viewed(h.chatID, h.msgs))
	}
	if cv.focusID != 0 {
		for i := range cv.msgs {
			if cv.msgs[i].ID == cv.focusID {
				cv.cursor = i
				m.setFocus(focusHistory)
				m.keepCursorVisible()
			}
		}
		cv.focusID = 0
	}
	return tea.Batch(append(cmds, m.wantUsers(ids))...)
}

// viewed counts the channel posts shown as seen by this person
// (messages.view); the server counts each person once.
func (m *model) viewed(chatID int64, ms []client.Message) tea.Cmd {
	var ids []int64
	for _, msg := range ms {
		if msg.Service == nil && len(ids) < 100 {
			ids = append(ids, msg.ID)
		}
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(m.ctx, callTimeout)
		defer cancel()
		_, _ = m.c.View(ctx, chatID, ids) // a count, not worth a notice
		return nil
	}
}

// loadOlder asks for the page before the oldest message shown.
func (m *model) loadOlder() tea.Cmd {
	cv := m.chat
	if cv == nil || cv.complete || cv.loading || len(cv.msgs) == 0 {
		return nil
	}
	cv.loading = true
	return m.loadHistory(cv.id, cv.msgs[0].ID, 0)
}

// sendCompose sends (or saves the edit of) what is in the compose box.
func (m *model) sendCompose() tea.Cmd {
	cv := m.chat
	raw := strings.TrimRight(m.compose.Value(), "\n ")
	if cv == nil || strings.TrimSpace(raw) == "" {
		return nil
	}
	text, ents := markup(raw)
	chatID := cv.id
	if cv.editing != 0 {
		id := cv.editing
		cv.editing = 0
		m.compose.Reset()
		return m.write(func(ctx context.Context) (tea.Msg, error) {
			msg, err := m.c.Edit(ctx, chatID, id, text, ents)
			if err != nil {
				return nil, err
			}
			return sentMsg{chatID: chatID, msg: *msg}, nil
		})
	}
	// A failed send of the same text is retried with the same random_id,
	// so a send the server did take is not posted twice.
	p := cv.failed
	if p == nil || p.Text != text || p.ReplyToID != cv.replyTo {
		p = &client.SendParams{ChatID: chatID, Text: text, Entities: ents, ReplyToID: cv.replyTo}
		if chatID == 0 {
			p.UserID = cv.peer // a new private chat: this message starts it
		}
	}
	if p.RandomID == 0 {
		p.RandomID = client.NewRandomID() // here, not in the command: p is shown meanwhile
	}
	cv.failed = nil
	cv.replyTo = 0
	cv.scroll = 0
	cv.pending = append(cv.pending, p)
	m.compose.Reset()
	m.lastTyping = time.Time{}
	m.writes.Add(1)
	return func() tea.Msg {
		defer m.writes.Done()
		ctx, cancel := context.WithTimeout(m.ctx, callTimeout)
		defer cancel()
		// While the server cannot be reached, Send keeps trying with the
		// same random_id until the timeout.
		msg, err := m.c.Send(ctx, p)
		if err != nil {
			return sendFailedMsg{p, err}
		}
		return sentMsg{chatID: chatID, msg: *msg, randomID: p.RandomID}
	}
}

// settleText takes off the first send on its way with this text.
func (m *model) settleText(chatID int64, text string) {
	if m.chat == nil || m.chat.id != chatID {
		return
	}
	for _, p := range m.chat.pending {
		if p.Text == text {
			m.settle(chatID, p.RandomID)
			return
		}
	}
}

// settle takes a send off the open chat's list of those on their way.
func (m *model) settle(chatID, randomID int64) {
	if m.chat == nil || m.chat.id != chatID || randomID == 0 {
		return
	}
	for i, p := range m.chat.pending {
		if p.RandomID == randomID {
			m.chat.pending = append(m.chat.pending[:i], m.chat.pending[i+1:]...)
			return
		}
	}
}

// sendFailedMsg gives a failed send back to the compose box.
type sendFailedMsg struct {
	p   *client.SendParams
	err error
}

func (m *model) sendFailed(f sendFailedMsg) {
	m.fail(f.err)
	m.settle(f.p.ChatID, f.p.RandomID)
	if m.chat == nil || m.chat.id != f.p.ChatID {
		return
	}
	m.chat.failed = f.p
	m.chat.replyTo = f.p.ReplyToID
	if m.compose.Value() == "" {
		m.compose.SetValue(toMarkup(f.p.Text, f.p.Entities))
	}
}

// typed tells the chat we are typing, at most every 5 seconds.
func (m *model) typed() tea.Cmd {
	if m.chat == nil || m.chat.id == 0 || m.compose.Value() == "" || m.now().Sub(m.lastTyping) < 5*time.Second {
		return nil
	}
	m.lastTyping = m.now()
	chatID := m.chat.id
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(m.ctx, callTimeout)
		defer cancel()
		_ = m.c.SetTyping(ctx, chatID, false)
		return nil
	}
}

func (m *model) deleteMessage(id int64, forEveryone bool) tea.Cmd {
	chatID := m.chat.id
	if !forEveryone {
		m.removeMessages(chatID, []int64{id})
	}
	return m.write(func(ctx context.Context) (tea.Msg, error) {
		_, err := m.c.Delete(ctx, chatID, []int64{id}, forEveryone)
		return noticeMsg("Deleted"), err
	})
}

// forward forwards a message to a chat, or to a person (toUser).
func (m *model) forward(fromChat, id, toChat, toUser int64) tea.Cmd {
	return m.write(func(ctx context.Context) (tea.Msg, error) {
		_, err := m.c.Forward(ctx, &client.ForwardParams{FromChatID: fromChat, IDs: []int64{id}, ChatID: toChat, UserID: toUser})
		return noticeMsg("Forwarded"), err
	})
}

func (m *model) react(chatID, id int64, emoji string) tea.Cmd {
	return m.write(func(ctx context.Context) (tea.Msg, error) {
		msg, err := m.c.React(ctx, chatID, id, emoji)
		if err != nil {
			return nil, err
		}
		return sentMsg{chatID: chatID, msg: *msg}, nil
	})
}

func (m *model) togglePin(chatID int64, msg client.Message) tea.Cmd {
	return m.write(func(ctx context.Context) (tea.Msg, error) {
		if msg.Pinned {
			return noticeMsg("Unpinned"), m.c.Unpin(ctx, chatID, msg.ID)
		}
		return noticeMsg("Pinned"), m.c.Pin(ctx, chatID, msg.ID)
	})
}

// toggleDialog pins (p), mutes (m) or archives (a) a dialog, or undoes
// it; the dialog.update event that follows reloads the list.
func (m *model) toggleDialog(d client.Dialog, what string) tea.Cmd {
	u := client.DialogUpdate{ChatID: d.Chat.ID}
	title := m.title(&d)
	var done string
	switch what {
	case "p":
		v := !d.Pinned
		u.Pinned, done = &v, map[bool]string{true: "Pinned", false: "Unpinned"}[v]
	case "m":
		var until int64 // unmute
		if d.MutedUntil <= m.now().Unix() {
			until = 1<<31 - 1 // "a far date mutes for ever"
		}
		u.MutedUntil, done = &until, map[bool]string{true: "Muted", false: "Unmuted"}[until != 0]
	case "a":
		v := !d.Archived
		u.Archived, done = &v, map[bool]string{true: "Archived", false: "Back from the archive"}[v]
	}
	return m.write(func(ctx context.Context) (tea.Msg, error) {
		nd, err := m.c.UpdateDialog(ctx, u)
		if err != nil {
			return nil, err
		}
		return batchMsg{dialogUpdatedMsg(*nd), noticeMsg(done + ": " + title)}, nil
	})
}

// dialogUpdatedMsg is a dialog as dialogs.update left it.
type dialogUpdatedMsg client.Dialog

// searchResultsMsg carries the answer of a search to its picker.
type searchResultsMsg struct {
	query      string
	everywhere bool
	msgs       []client.Message
	chats      []client.Chat
	users      []client.User
}

// search searches one chat, or all of them (chatID 0): newest first,
// with the chats and people to name them.
func (m *model) search(chatID int64, query string) tea.Cmd {
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		if chatID != 0 {
			ms, err := m.c.Search(ctx, client.SearchParams{Query: query, ChatID: chatID, Limit: 50})
			return searchResultsMsg{query: query, msgs: ms}, err
		}
		r, err := m.c.SearchEverywhere(ctx, client.SearchGlobalParams{Query: query, Limit: 50})
		if err != nil {
			return nil, err
		}
		return searchResultsMsg{query: query, everywhere: true, msgs: r.Messages, chats: r.Chats, users: r.Users}, nil
	})
}

// createChat makes a group (with the people named by @username) or a
// channel (public when username is set), then opens it.
func (m *model) createChat(kind, title, extra string) tea.Cmd {
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		var ch *client.Chat
		var err error
		if kind == "channel" {
			ch, err = m.c.CreateChannel(ctx, title, "", strings.TrimPrefix(strings.TrimSpace(extra), "@"))
		} else {
			ids, err := m.people(ctx, extra)
			if err != nil {
				return nil, err
			}
			ch, err = m.c.CreateGroup(ctx, title, ids)
		}
		if err != nil {
			return nil, err
		}
		return m.reopen(ctx, ch.ID)
	})
}

// people finds the people named by @username in names (separated by
// spaces or commas).
func (m *model) people(ctx context.Context, names string) ([]int64, error) {
	var ids []int64
	for _, f := range strings.Fields(strings.ReplaceAll(names, ",", " ")) {
		u, err := m.c.ResolveUsername(ctx, strings.TrimPrefix(f, "@"))
		if err != nil {
			return nil, fmt.Errorf("%s: %s", f, errorText(err))
		}
		ids = append(ids, u.ID)
	}
	return ids, nil
}

// join joins a chat by invite link (any URL or text ending in its hash)
// or by a public @username, then opens it.
func (m *model) join(link string) tea.Cmd {
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		link = strings.TrimSpace(link)
		var ch *client.Chat
		var err error
		if name, ok := strings.CutPrefix(link, "@"); ok {
			ch, err = m.c.ResolveChat(ctx, name)
			if client.IsCode(err, "USERNAME_NOT_FOUND") {
				// Not a public chat: a person, whose private chat opens.
				u, err := m.c.ResolveUsername(ctx, name)
				if err != nil {
					return nil, err
				}
				return personMsg(*u), nil
			}
			if err == nil {
				ch, err = m.c.Join(ctx, ch.ID)
			}
		} else {
			// What the link is for, before joining it.
			hash := inviteHash(link)
			ch, err := m.c.CheckInvite(ctx, hash)
			if err != nil {
				return nil, err
			}
			return inviteCheckedMsg{hash: hash, chat: *ch}, nil
		}
		if err != nil {
			return nil, err
		}
		return m.reopen(ctx, ch.ID)
	})
}

// inviteCheckedMsg asks whether to join the chat an invite link is for.
type inviteCheckedMsg struct {
	hash string
	chat client.Chat
}

// askJoin asks whether to join the chat of a checked invite link.
func (m *model) askJoin(r inviteCheckedMsg) tea.Cmd {
	d := client.Dialog{Chat: r.chat}
	what := string(r.chat.Kind) + " · " + plural(r.chat.MemberCount, map[bool]string{true: "subscriber", false: "member"}[r.chat.Kind == "channel"])
	return m.confirm("Join "+m.title(&d)+" ("+what+")?", func() tea.Cmd {
		return m.call(func(ctx context.Context) (tea.Msg, error) {
			ch, err := m.c.JoinByInvite(ctx, r.hash)
			if err != nil {
				return nil, err
			}
			return m.reopen(ctx, ch.ID)
		})
	})
}

// inviteHash takes the hash out of an invite link: the last part of its
// path, without a leading "+".
func inviteHash(link string) string {
	link = strings.TrimRight(link, "/")
	if i := strings.LastIndexAny(link, "/"); i >= 0 {
		link = link[i+1:]
	}
	return strings.TrimPrefix(link, "+")
}

// reopen reloads the dialogs, then opens chatID.
func (m *model) reopen(ctx context.Context, chatID int64) (tea.Msg, error) {
	asked := m.ticks.Add(1)
	ds, err := m.c.Dialogs(ctx)
	if err != nil {
		return nil, err
	}
	return batchMsg{dialogsMsg{ds, asked}, openChatMsg{chatID: chatID}}, nil
}

// batchMsg is several messages to apply in order.
type batchMsg []tea.Msg

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}
