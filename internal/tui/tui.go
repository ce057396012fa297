// Package tui is "haven chat": Haven's full-screen terminal app, built
// on Bubble Tea. It shows the person's chats on the left and the open
// chat on the right, keeps itself current from the SDK's ordered update
// stream ([client.Client.Updates]), and works on an 80×24 terminal over
// SSH as well as on a wide one (below 70 columns it shows one pane at a
// time).
//
// The model is one value, [model]; Update turns keys, mouse events,
// answers of the API and events of the stream into a new state, and
// View draws it. Calls to the server run as commands (actions.go), so
// the screen never waits for the network.
package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/textarea"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/client/cache"
	"github.com/havenchat/haven/internal/msgtext"
)

// ErrNoTerminal is returned by [Run] when its input or output is not a
// terminal (a pipe or a file): the app is for people; scripts have
// haven chats, history and send.
var ErrNoTerminal = errors.New("needs a terminal (its input or output is a pipe or a file); scripts have haven chats, haven history and haven send")

// Options configures [Run].
type Options struct {
	// In and Out are the terminal (os.Stdin and os.Stdout in haven chat).
	In  io.Reader
	Out io.Writer
	// CachePath is the file of the app's on-disk cache; "" for none.
	CachePath string
	// SecretPath is the file of the device's secret-chat keys (mode
	// 0600); "" turns secret chats off.
	SecretPath string
	// Me is the signed-in person, when the caller knows them already
	// (it may be all a program knows while the server is unreachable);
	// nil to ask the server.
	Me *client.User
}

// Run runs the app for the signed-in client c until the person quits or
// ctx ends.
func Run(ctx context.Context, c *client.Client, opts Options) error {
	for _, f := range []any{opts.In, opts.Out} {
		if f, ok := f.(interface{ Fd() uintptr }); ok && !term.IsTerminal(f.Fd()) {
			return ErrNoTerminal
		}
	}
	me := opts.Me
	if me == nil {
		var err error
		if me, err = c.Me(ctx); err != nil {
			return err
		}
	}
	uctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := newModel(uctx, c, me, opts)
	// With a cache, the app starts from what it kept and the stream asks
	// only for what happened since. Without one (or when it cannot be
	// opened), the stream starts from the server's state.
	var events <-chan client.Event
	if opts.CachePath != "" {
		store, err := openCache(opts.CachePath)
		if err == nil {
			err = store.SetSelf(ctx, me.ID)
		}
		if err != nil {
			m.fail(fmt.Errorf("the cache could not be opened, so it is not used: %w", err))
		} else {
			defer store.Close()
			m.store = store
			events = c.UpdatesWithStore(uctx, store)
		}
	}
	if events == nil {
		events = c.Updates(uctx)
	}
	// The stream holds every event after it starts, so the dialogs
	// loaded by Init below miss nothing.
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(opts.In), tea.WithOutput(opts.Out))
	m.report = p.Send
	forwarded := make(chan struct{})
	go func() {
		defer close(forwarded)
		for ev := range events {
			p.Send(eventMsg(ev))
		}
		p.Send(streamEndedMsg{})
	}()
	_, err := p.Run()
	// Give what the person just did (a send, a read) a moment to reach
	// the server before the calls are cancelled.
	waited := make(chan struct{})
	go func() { m.writes.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(3 * time.Second):
	}
	m.keeping.Wait() // what the app keeps is written before the cache closes
	cancel()
	<-forwarded // the stream is done with the cache before it closes
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// openCache opens the cache at path, made readable by its owner alone
// (SQLite gives its journal files the mode of the database file).
func openCache(path string) (*cache.Cache, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	f.Close()
	return cache.Open(path)
}

// focus says which part of the screen takes the keys.
type focus int

const (
	focusList    focus = iota // the dialog list
	focusCompose              // the message being written
	focusHistory              // a message picked in the chat pane
)

// model is the whole state of the app.
type model struct {
	ctx   context.Context
	c     *client.Client
	me    *client.User
	opts  Options
	now   func() time.Time
	store *cache.Cache // nil without a cache

	writes   sync.WaitGroup // changes on their way to the server
	keeping  sync.WaitGroup // writes to the cache under way
	lastKeep chan struct{}  // closed when the newest of them is done

	// ticks orders lists asked for against dialogs changed here; setAt
	// is the tick of each dialog's last dialogs.update answer.
	ticks  atomic.Uint64
	setAt  map[int64]uint64
	report func(tea.Msg) // sends a message to the running program

	width, height int
	focus         focus

	dialogs []*client.Dialog // pinned first, then by latest activity
	loaded  bool             // dialogs arrived once
	sel     int              // index of the highlighted dialog
	listTop int              // first dialog drawn

	users  map[int64]*client.User
	asked  map[int64]bool                // users being fetched
	typing map[int64]map[int64]time.Time // chat → person → until

	chat *chatView // the open chat, or nil

	compose    textarea.Model
	lastTyping time.Time // when we last said we are typing

	offline  bool // the server could not be reached: retrying
	retrying bool // a retry of the dialog list is on its way

	revealed map[msgKey]bool // spoilers shown (v on a picked message)
	deleted  bool            // the account was deleted: the app ends

	secret *client.SecretChats // nil until secret chats are set up here

	overlay overlay // help, prompt or picker over the chat pane
	notice  string  // one line: an error or what just happened
	isError bool
}

// chatView is the open chat.
type chatView struct {
	id       int64 // 0 for a new private chat with peer, until its first message
	peer     int64
	msgs     []client.Message // oldest first
	complete bool             // nothing older to load
	loading  bool
	scroll   int   // lines scrolled up from the bottom
	cursor   int   // index in msgs of the picked message (focusHistory)
	replyTo  int64 // message being answered, 0 for none
	editing  int64 // message being edited, 0 for none
	failed   *client.SendParams
	pending  []*client.SendParams // sends on their way, shown last
	focusID  int64                // message to pick once loaded (search result)
}

func newModel(ctx context.Context, c *client.Client, me *client.User, opts Options) *model {
	ta := textarea.New()
	ta.Placeholder = "Write a message…"
	ta.ShowLineNumbers = false
	ta.Prompt = ""
	ta.DynamicHeight = true
	ta.MinHeight = 1
	ta.MaxHeight = 5
	ta.CharLimit = 4096
	ta.KeyMap.InsertNewline.SetKeys("alt+enter", "ctrl+j", "shift+enter")
	ta.KeyMap.LineNext.SetKeys("down")
	ta.KeyMap.LinePrevious.SetKeys("up")
	ta.KeyMap.CharacterForward.SetKeys("right")
	ta.KeyMap.DeleteBeforeCursor.SetKeys()
	ta.KeyMap.SelectAll.SetKeys()
	m := &model{
		ctx: ctx, c: c, me: me, opts: opts, now: time.Now,
		width: 80, height: 24,
		users:    map[int64]*client.User{me.ID: me},
		asked:    map[int64]bool{},
		typing:   map[int64]map[int64]time.Time{},
		compose:  ta,
		revealed: map[msgKey]bool{},
	}
	return m
}

// msgKey names a message: its chat and id.
type msgKey struct{ chat, id int64 }

// Messages the app sends itself.
type (
	eventMsg       client.Event
	streamEndedMsg struct{}
	tickMsg        time.Time
	dialogsMsg     struct {
		ds    []client.Dialog
		asked uint64 // m.ticks when it was asked for
	}
	usersMsg   []client.User
	errMsg     struct{ err error }
	noticeMsg  string
	chatMsg    client.Chat
	historyMsg struct {
		chatID int64
		msgs   []client.Message // newest first, as the server answers
		older  bool             // a page before what is shown
		around int64            // loaded around this message
		cached bool             // from the cache, not the server
	}
	sentMsg struct {
		chatID   int64
		msg      client.Message
		randomID int64 // of a send from the compose box; 0 otherwise
	}
	openChatMsg struct {
		chatID int64
		at     int64
	}
)

// Init loads the dialogs and starts the clock that ends typing hints.
func (m *model) Init() tea.Cmd {
	return tea.Batch(m.cachedDialogs(), m.loadDialogs(), tick(), m.compose.Focus())
}

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// Update applies one message to the model.
func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tea.KeyPressMsg:
		return m, m.key(msg)
	case tea.PasteMsg:
		if m.overlay != nil {
			return m, m.overlay.paste(m, msg.Content)
		}
		if m.focus == focusCompose {
			var cmd tea.Cmd
			m.compose, cmd = m.compose.Update(msg)
			return m, cmd
		}
		return m, nil
	case tea.MouseClickMsg:
		return m, m.click(msg.Mouse())
	case tea.MouseWheelMsg:
		return m, m.wheel(msg.Mouse())
	case tickMsg:
		m.expireTyping(time.Time(msg))
		if cmd, ok := m.secretUpdate(msg); ok {
			return m, cmd
		}
		return m, tick()
	case eventMsg:
		if msg.Err != nil {
			m.fail(msg.Err)
			return m, nil
		}
		return m, m.apply(client.Event(msg))
	case streamEndedMsg:
		if m.ctx.Err() == nil {
			m.fail(errors.New("the session has ended: run haven login"))
		}
		return m, nil
	case dialogsFailedMsg:
		return m, m.goOffline()
	case retryDialogsMsg:
		m.retrying = false
		return m, m.loadDialogs()
	case dialogsMsg:
		var again tea.Cmd
		if m.offline {
			m.offline = false
			m.say("Connected")
			if m.chat != nil {
				// What failed meanwhile: the open chat's page and read.
				again = tea.Batch(m.loadHistory(m.chat.id, 0, 0), m.markRead(m.chat.id, 0))
			}
		}
		m.setDialogs(msg.ds, msg.asked)
		m.loaded = true
		m.keepDialogs()
		return m, tea.Batch(again, m.wantUsers(m.dialogPeople()))
	case cachedDialogsMsg:
		if !m.loaded { // the server's answer wins
			m.setDialogs(msg, 0)
		}
		return m, m.wantUsers(m.dialogPeople())
	case usersMsg:
		for i := range msg {
			u := msg[i]
			m.users[u.ID] = &u
			delete(m.asked, u.ID)
		}
		return m, nil
	case dialogUpdatedMsg:
		if d := m.dialog(msg.Chat.ID); d != nil {
			d.Pinned, d.Archived, d.MutedUntil = msg.Pinned, msg.Archived, msg.MutedUntil
			if m.setAt == nil {
				m.setAt = map[int64]uint64{}
			}
			m.setAt[msg.Chat.ID] = m.ticks.Add(1)
			m.sortDialogs(m.selected())
		}
		return m, nil
	case chatMsg:
		if d := m.dialog(msg.ID); d != nil {
			d.Chat = client.Chat(msg)
		}
		m.keepChat(client.Chat(msg))
		return m, nil
	case historyMsg:
		return m, m.gotHistory(msg)
	case sentMsg:
		adopted := m.adopt(msg.msg)
		if msg.chatID == 0 {
			msg.chatID = msg.msg.ChatID
		}
		m.settle(msg.chatID, msg.randomID)
		m.gotMessage(msg.chatID, msg.msg)
		return m, adopted
	case personMsg:
		return m, m.openPerson(client.User(msg))
	case openChatMsg:
		return m, m.openChat(msg.chatID, msg.at)
	case sendFailedMsg:
		m.sendFailed(msg)
		return m, nil
	case searchResultsMsg:
		m.showResults(msg)
		return m, nil
	case clearComposeMsg:
		if m.chat != nil && m.chat.editing == 0 {
			m.compose.Reset()
		}
		return m, nil
	case batchMsg:
		var cmds []tea.Cmd
		for _, x := range msg {
			_, cmd := m.Update(x)
			cmds = append(cmds, cmd)
		}
		return m, tea.Batch(cmds...)
	case errMsg:
		m.secretUpdate(msg) // an open secret chat polls again
		if unreachable(msg.err) {
			// The offline line says it; the list is tried again until
			// the server answers.
			return m, m.goOffline()
		}
		m.fail(msg.err)
		return m, nil
	case noticeMsg:
		m.say(string(msg))
		return m, nil
	}
	if cmd, ok := m.secretUpdate(msg); ok {
		return m, cmd
	}
	if cmd, ok := m.settingsUpdate(msg); ok {
		return m, cmd
	}
	if m.overlay != nil {
		return m, m.overlay.update(m, msg)
	}
	var cmd tea.Cmd
	m.compose, cmd = m.compose.Update(msg)
	return m, cmd
}

// goOffline notes that the server cannot be reached, keeps what is
// shown (the cache's, perhaps), and tries the dialog list again in a few
// seconds; the update stream reconnects on its own.
func (m *model) goOffline() tea.Cmd {
	m.offline = true
	if m.retrying {
		return nil
	}
	m.retrying = true
	return tea.Tick(3*time.Second, func(time.Time) tea.Msg { return retryDialogsMsg{} })
}

// unreachable reports whether err is the network failing, not the
// server answering.
func unreachable(err error) bool {
	var e *client.Error
	var ue *url.Error
	return !errors.As(err, &e) && errors.As(err, &ue)
}

func (m *model) say(s string) { m.notice, m.isError = s, false }
func (m *model) fail(e error) { m.notice, m.isError = errorText(e), true }

// errorText is an error as one line for people: the server's code and
// message, or the Go error.
func errorText(err error) string {
	var e *client.Error
	if errors.As(err, &e) {
		if e.RetryAfter > 0 {
			return msgtext.OneLine(e.Code) + ": wait " + (time.Duration(e.RetryAfter) * time.Second).String()
		}
		return msgtext.OneLine(e.Code + ": " + e.Message)
	}
	return err.Error()
}

// dialog returns the dialog of chatID, or nil.
func (m *model) dialog(chatID int64) *client.Dialog {
	for _, d := range m.dialogs {
		if d.Chat.ID == chatID {
			return d
		}
	}
	return nil
}

// setDialogs replaces the list, keeping the highlighted chat. A list
// is a snapshot that may be older than what the app has seen since it
// was asked for (events, a read): where the app's own dialog is ahead,
// its counts and top message stay.
//
// Likewise a dialog pinned, muted or archived here after the list was
// asked for keeps what dialogs.update answered: the list may predate it.
func (m *model) setDialogs(ds []client.Dialog, asked uint64) {
	keep := m.selected()
	old := make(map[int64]*client.Dialog, len(m.dialogs))
	for _, d := range m.dialogs {
		old[d.Chat.ID] = d
	}
	m.dialogs = nil
	for i := range ds {
		d := ds[i]
		if o := old[d.Chat.ID]; o != nil {
			if m.setAt[d.Chat.ID] > asked {
				d.Pinned, d.Archived, d.MutedUntil = o.Pinned, o.Archived, o.MutedUntil
			}
			if o.Chat.Seq > d.Chat.Seq {
				// The app has seen this chat's later events (and fetched
				// the chat again after any chat.update among them).
				d.Chat, d.TopMessage, d.UnreadCount = o.Chat, o.TopMessage, o.UnreadCount
			}
			d.Chat.ReadOutboxMaxID = max(d.Chat.ReadOutboxMaxID, o.Chat.ReadOutboxMaxID)
			if o.ReadInboxMaxID > d.ReadInboxMaxID {
				d.ReadInboxMaxID = o.ReadInboxMaxID
				if d.TopMessage == nil || d.ReadInboxMaxID >= d.TopMessage.ID {
					d.UnreadCount = 0
				}
			}
		}
		if d.Peer != nil {
			p := *d.Peer
			if known, ok := m.users[p.ID]; !ok || known.Status == nil || p.Status != nil {
				m.users[p.ID] = &p
			}
		}
		m.dialogs = append(m.dialogs, &d)
	}
	m.sel = 0
	m.sortDialogs(keep)
}

// selected is the chat the list highlights; 0 for none.
func (m *model) selected() int64 {
	if m.sel < len(m.dialogs) {
		return m.dialogs[m.sel].Chat.ID
	}
	return 0
}

// sortDialogs puts the list in order and the highlight back on chat
// keep, wherever it went.
func (m *model) sortDialogs(keep int64) {
	sort.SliceStable(m.dialogs, func(i, j int) bool {
		a, b := m.dialogs[i], m.dialogs[j]
		if a.Archived != b.Archived {
			return b.Archived // archived chats go to the end
		}
		if a.Pinned != b.Pinned {
			return a.Pinned
		}
		return lastActivity(a) > lastActivity(b)
	})
	for i, d := range m.dialogs {
		if d.Chat.ID == keep {
			m.sel = i
		}
	}
	m.clampList()
}

func lastActivity(d *client.Dialog) int64 {
	if d.TopMessage != nil {
		return d.TopMessage.Date
	}
	return 0
}

// dialogPeople lists the people the dialog list names.
func (m *model) dialogPeople() []int64 {
	var ids []int64
	for _, d := range m.dialogs {
		if d.TopMessage != nil && d.TopMessage.SenderID != 0 {
			ids = append(ids, d.TopMessage.SenderID)
		}
	}
	return ids
}

// name names a person by id, fetching them when unknown.
func (m *model) name(id int64) string {
	if id == m.me.ID {
		return "You"
	}
	if u := m.users[id]; u != nil {
		return msgtext.FullName(u)
	}
	return "…"
}

// title is what the dialog list and the chat header call a chat.
func (m *model) title(d *client.Dialog) string {
	if d.Chat.Kind == "private" {
		if d.Chat.PeerID == m.me.ID {
			return "Saved Messages"
		}
		if u := m.users[d.Chat.PeerID]; u != nil {
			return msgtext.FullName(u)
		}
		if d.Peer != nil {
			return msgtext.FullName(d.Peer)
		}
	}
	if d.Chat.Title != "" {
		return msgtext.OneLine(d.Chat.Title)
	}
	return "Chat"
}

// gotMessage puts a new or changed message where it belongs: the open
// chat's history and the dialog's top message.
func (m *model) gotMessage(chatID int64, msg client.Message) {
	if d := m.dialog(chatID); d != nil && (d.TopMessage == nil || msg.ID >= d.TopMessage.ID) {
		mm := msg
		d.TopMessage = &mm
		d.Chat.TopMessageID = msg.ID
		m.sortDialogs(m.selected())
	}
	cv := m.chat
	if cv == nil || cv.id != chatID {
		return
	}
	i := sort.Search(len(cv.msgs), func(i int) bool { return cv.msgs[i].ID >= msg.ID })
	if i < len(cv.msgs) && cv.msgs[i].ID == msg.ID {
		if msg.Reactions == nil {
			msg.Reactions = cv.msgs[i].Reactions
		}
		cv.msgs[i] = msg
		return
	}
	cv.msgs = append(cv.msgs, client.Message{})
	copy(cv.msgs[i+1:], cv.msgs[i:])
	cv.msgs[i] = msg
	if m.focus == focusHistory && i <= cv.cursor {
		cv.cursor++
	}
}

func (m *model) expireTyping(now time.Time) {
	for chat, who := range m.typing {
		for id, until := range who {
			if now.After(until) {
				delete(who, id)
			}
		}
		if len(who) == 0 {
			delete(m.typing, chat)
		}
	}
}

// typers names who is typing in a chat, or "".
func (m *model) typers(chatID int64) string {
	who := m.typing[chatID]
	if len(who) == 0 {
		return ""
	}
	var ids []int64
	for id := range who {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	d := m.dialog(chatID)
	if d != nil && d.Chat.Kind == "private" {
		return "typing…"
	}
	if len(ids) == 1 {
		return m.name(ids[0]) + " is typing…"
	}
	return m.name(ids[0]) + " and others are typing…"
}
