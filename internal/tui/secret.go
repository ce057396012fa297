package tui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/msgtext"
)

// Secret chats in the app (client.SecretChats): Ctrl+E in a private chat
// opens the end-to-end encrypted chat with the same person over the chat
// pane. The device's keys live in Options.SecretPath (mode 0600). The
// first time, the app makes this session the account's first
// secret-chat device, or, when the account has one already, asks for
// its account key to link this one (shown there with Ctrl+K).

// secretPoll is how often an open secret chat asks for new envelopes.
const secretPoll = 2 * time.Second

// Messages of secret chats.
type (
	secretReadyMsg    struct{ sc *client.SecretChats }
	secretNeedLinkMsg struct{ peer int64 }
	secretStateMsg    struct {
		peer     int64
		msgs     []client.SecretMessage
		warnings []client.SecretWarning
	}
	secretSafetyMsg struct {
		grouped string
		qr      []byte // the payload of the QR code
	}
	secretFoundMsg struct {
		query string
		msgs  []client.SecretMessage
	}
	secretArrivedMsg struct {
		sc   *client.SecretChats
		from []int64 // who wrote what was fetched
	}
	secretMarkedMsg struct {
		peer int64
		msgs []client.SecretMessage
	}
)

// secretOverlay is the secret chat with one person.
type secretOverlay struct {
	peer     int64
	input    textinput.Model
	msgs     []client.SecretMessage
	info     string   // the safety number, the account key or what search found, when asked
	qr       []string // a QR code under info
	warnings []string
	polling  bool
	polled   time.Time
	ttl      time.Duration // self-destruct timer of the messages sent next
	marking  bool          // a read receipt is on its way
	sel      int64         // the id of the message picked with the arrows (0: none)
}

// secretTimers are the self-destruct timers Ctrl+T cycles through.
var secretTimers = []time.Duration{0, 10 * time.Second, time.Minute, time.Hour, 24 * time.Hour}

// secretFileMax bounds a file sent in a secret chat from the app: it is
// encrypted in memory.
const secretFileMax = 64 << 20

// openSecret opens the secret chat with the open private chat's peer,
// setting up this device first if it has no keys.
func (m *model) openSecret() tea.Cmd {
	peer := int64(0)
	if m.chat != nil {
		peer = m.chat.peer
		if d := m.dialog(m.chat.id); d != nil && d.Chat.Kind == "private" {
			peer = d.Chat.PeerID
		}
	}
	if peer == 0 || peer == m.me.ID {
		m.say("Secret chats are with one person: open a private chat first")
		return nil
	}
	if m.opts.SecretPath == "" {
		m.say("Secret chats need a place for their keys")
		return nil
	}
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = "Write a secret message…"
	in.Focus()
	m.overlay = &secretOverlay{peer: peer, input: in}
	if m.secret != nil {
		return m.secretRefresh(peer)
	}
	m.say("Setting up secret chats on this device…")
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		sc, err := client.OpenSecretChats(m.c, m.opts.SecretPath)
		if err == nil {
			// Keys kept for an earlier session (ended elsewhere, then
			// signed in again) belong to a device the server deleted with
			// that session: this session starts afresh.
			_, err = m.c.FetchSecretEnvelopes(ctx, 0, 1)
			if !client.IsCode(err, "SECRET_NO_DEVICE") {
				return secretReadyMsg{sc}, err
			}
			if err := os.Remove(m.opts.SecretPath); err != nil {
				return nil, err
			}
		} else if !errors.Is(err, client.ErrNoSecretState) {
			return nil, err
		}
		_, err = m.c.SecretDeviceList(ctx, m.me.ID)
		switch {
		case client.IsCode(err, "SECRET_DEVICE_NOT_FOUND"):
			sc, err := client.CreateSecretDevice(ctx, m.c, m.opts.SecretPath)
			return secretReadyMsg{sc}, err
		case err == nil:
			return secretNeedLinkMsg{peer}, nil
		}
		return nil, err
	})
}

// askLink asks for the account key of another device of the person's.
func (m *model) askLink(peer int64) {
	m.overlay = newPrompt("Account key from your other device (Ctrl+E, Ctrl+K there), or NEW to start over:", "", func(v string) tea.Cmd {
		v = strings.TrimSpace(v)
		if v == "" {
			return nil
		}
		return m.call(func(ctx context.Context) (tea.Msg, error) {
			var (
				sc  *client.SecretChats
				err error
			)
			if strings.EqualFold(v, "new") {
				sc, err = client.CreateSecretDevice(ctx, m.c, m.opts.SecretPath)
			} else {
				seed, err := client.ParseAccountKey(v)
				if err != nil {
					return nil, err
				}
				sc, err = client.LinkSecretDevice(ctx, m.c, m.opts.SecretPath, seed)
			}
			if err != nil {
				return nil, err
			}
			return batchMsg{secretReadyMsg{sc}, noticeMsg("Secret chats are set up on this device: Ctrl+E opens one")}, nil
		})
	})
}

// secretRefresh fetches what waits for this device and reloads the chat
// with peer.
func (m *model) secretRefresh(peer int64) tea.Cmd {
	sc := m.secret
	if o, ok := m.overlay.(*secretOverlay); ok {
		o.polling, o.polled = true, m.now()
	}
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		if _, err := sc.Receive(ctx); err != nil {
			return nil, err
		}
		msgs, err := sc.Messages(peer)
		if err != nil {
			return nil, err
		}
		ws, err := sc.Warnings()
		return secretStateMsg{peer, msgs, ws}, err
	})
}

// secretArrived answers a secret.envelope push: the open secret chat
// fetches it; otherwise, when this device has secret chats, the app
// fetches it in the background and says who wrote.
func (m *model) secretArrived() tea.Cmd {
	if o, ok := m.overlay.(*secretOverlay); ok && m.secret != nil {
		if o.polling {
			return nil
		}
		return m.secretRefresh(o.peer)
	}
	sc, path := m.secret, m.opts.SecretPath
	if sc == nil && path == "" {
		return nil
	}
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		if sc == nil {
			var err error
			if sc, err = client.OpenSecretChats(m.c, path); errors.Is(err, client.ErrNoSecretState) {
				return nil, nil
			} else if err != nil {
				return nil, err
			}
		}
		evs, err := sc.Receive(ctx)
		var from []int64
		for _, ev := range evs {
			if ev.Kind == "message" && !ev.Message.Out && !slices.Contains(from, ev.Message.From) {
				from = append(from, ev.Message.From)
			}
		}
		return secretArrivedMsg{sc, from}, err
	})
}

// secretUpdate takes the secret chats' messages; ok is false for others.
func (m *model) secretUpdate(msg tea.Msg) (tea.Cmd, bool) {
	o, _ := m.overlay.(*secretOverlay)
	switch msg := msg.(type) {
	case secretReadyMsg:
		m.secret = msg.sc
		m.notice = ""
		if o != nil {
			return m.secretRefresh(o.peer), true
		}
		return nil, true
	case secretArrivedMsg:
		if m.secret == nil {
			m.secret = msg.sc
		}
		if len(msg.from) > 0 {
			names := make([]string, len(msg.from))
			for i, id := range msg.from {
				names[i] = m.name(id)
			}
			m.say("🔒 New secret message from " + strings.Join(names, ", ") + ": Ctrl+E in your chat with them")
			return m.wantUsers(msg.from), true
		}
		return nil, true
	case secretNeedLinkMsg:
		m.notice = ""
		m.askLink(msg.peer)
		return nil, true
	case secretStateMsg:
		if o != nil && o.peer == msg.peer {
			o.msgs, o.polling = msg.msgs, false
			o.keepSel()
			for _, w := range msg.warnings {
				o.warnings = append(o.warnings, m.warningText(w))
			}
			// What is shown is read: its timers start, on every device.
			for _, x := range o.msgs {
				if !x.Out && x.ReadAt == 0 && !o.marking {
					o.marking = true
					sc, peer := m.secret, o.peer
					return m.call(func(ctx context.Context) (tea.Msg, error) {
						if err := sc.MarkRead(ctx, peer); err != nil {
							return nil, err
						}
						msgs, err := sc.Messages(peer)
						return secretMarkedMsg{peer, msgs}, err
					}), true
				}
			}
		}
		return nil, true
	case secretMarkedMsg:
		if o != nil && o.peer == msg.peer {
			o.msgs, o.marking = msg.msgs, false
			o.keepSel()
		}
		return nil, true
	case secretSafetyMsg:
		if o != nil {
			// Three rows of four groups of five digits, as phones show it.
			g := strings.Fields(msg.grouped)
			var rows []string
			for i := 0; i < len(g); i += 4 {
				rows = append(rows, strings.Join(g[i:min(i+4, len(g))], " "))
			}
			o.info = "Safety number with " + m.name(o.peer) + ", the same on both phones, or scan the code:\n" + strings.Join(rows, "\n")
			o.setQR(string(msg.qr))
		}
		return nil, true
	case secretFoundMsg:
		if o != nil {
			o.qr = nil
			lines := []string{fmt.Sprintf("Secret messages with %q, found on this device (%d):", msg.query, len(msg.msgs))}
			for _, x := range msg.msgs[:min(len(msg.msgs), 8)] {
				who := m.name(x.From)
				if x.Out {
					who = "You"
				}
				text := msgtext.OneLine(x.Text)
				if x.File != nil {
					text = "📎 " + msgtext.OneLine(x.File.Name) + " " + text
				}
				lines = append(lines, fmt.Sprintf("%s · %s · %s: %s", m.name(x.Chat), time.Unix(x.Date, 0).Format("Jan 2 15:04"), who, text))
			}
			o.info = strings.Join(lines, "\n")
		}
		return nil, true
	case tickMsg:
		if o != nil && m.secret != nil && !o.polling && time.Time(msg).Sub(o.polled) >= secretPoll {
			return tea.Batch(m.secretRefresh(o.peer), tick()), true
		}
	case errMsg:
		if o != nil {
			o.polling, o.marking = false, false
		}
	}
	return nil, false
}

func (m *model) warningText(w client.SecretWarning) string {
	if w.Kind == client.WarningIdentityChanged {
		return "⚠ " + m.name(w.User) + "'s identity changed: compare safety numbers (Ctrl+S), then Ctrl+A accepts it"
	}
	return fmt.Sprintf("⚠ %s's devices changed (%d added, %d removed)", m.name(w.User), len(w.Added), len(w.Removed))
}

func (o *secretOverlay) key(m *model, k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "ctrl+s":
		if m.secret == nil {
			return nil
		}
		sc, peer := m.secret, o.peer
		return m.call(func(ctx context.Context) (tea.Msg, error) {
			sn, err := sc.SafetyNumber(ctx, peer)
			return secretSafetyMsg{sn.Grouped(), sn.QR()}, err
		})
	case "ctrl+k":
		if m.secret != nil {
			key := m.secret.AccountKeyText()
			g := strings.Fields(key) // two lines of four groups: narrow panes show it whole
			o.info = "Your account key, to link another device of yours: type it or scan the code there (never show it to anyone):\n" +
				strings.Join(g[:len(g)/2], " ") + "\n" + strings.Join(g[len(g)/2:], " ")
			o.setQR(key)
		}
		return nil
	case "ctrl+f":
		if m.secret == nil {
			return nil
		}
		sc := m.secret
		m.overlay = newPrompt("Search secret chats (on this device only):", "", func(v string) tea.Cmd {
			m.overlay = o
			if v = strings.TrimSpace(v); v == "" {
				return nil
			}
			return m.call(func(ctx context.Context) (tea.Msg, error) {
				ms, err := sc.Search(v)
				return secretFoundMsg{v, ms}, err
			})
		})
		return nil
	case "up", "down":
		o.moveSel(k.String() == "up")
		return nil
	case "delete", "ctrl+x":
		if o.sel == 0 || m.secret == nil {
			if k.String() == "ctrl+x" {
				m.say("Pick a message with ↑ first")
			}
			break
		}
		sc, peer, id := m.secret, o.peer, o.sel
		o.sel = 0
		return m.call(func(ctx context.Context) (tea.Msg, error) {
			if err := sc.Delete(ctx, peer, id); err != nil {
				return nil, err
			}
			msgs, err := sc.Messages(peer)
			return batchMsg{secretStateMsg{peer: peer, msgs: msgs}, noticeMsg("Deleted for both of you, on every device")}, err
		})
	case "esc":
		if o.sel != 0 {
			o.sel = 0
			return nil
		}
		m.overlay = nil
		return nil
	case "ctrl+a":
		if m.secret != nil {
			if err := m.secret.AcceptIdentity(o.peer); err != nil {
				m.fail(err)
			}
			o.warnings = nil
		}
		return nil
	case "ctrl+t":
		i := 0
		for i < len(secretTimers) && secretTimers[i] != o.ttl {
			i++
		}
		o.ttl = secretTimers[(i+1)%len(secretTimers)]
		return nil
	case "ctrl+o":
		if m.secret == nil {
			return nil
		}
		p := newPrompt("Send file secretly:", "", func(v string) tea.Cmd {
			m.overlay = o
			if v = strings.TrimSpace(v); v == "" {
				return nil
			}
			return o.sendFile(m, expandHome(v))
		})
		p.files = true
		m.overlay = p
		return nil
	case "ctrl+d":
		return o.saveNewestFile(m)
	case "enter":
		text := strings.TrimSpace(o.input.Value())
		if text == "" || m.secret == nil {
			return nil
		}
		o.input.SetValue("")
		sc, peer, ttl := m.secret, o.peer, o.ttl
		return m.call(func(ctx context.Context) (tea.Msg, error) {
			if _, err := sc.SendText(ctx, peer, text, ttl); err != nil {
				return nil, err
			}
			msgs, err := sc.Messages(peer)
			return secretStateMsg{peer: peer, msgs: msgs}, err
		})
	}
	var cmd tea.Cmd
	o.input, cmd = o.input.Update(k)
	return cmd
}

// sendFile encrypts the file at path under a new key and sends it.
func (o *secretOverlay) sendFile(m *model, path string) tea.Cmd {
	sc, peer, ttl := m.secret, o.peer, o.ttl
	m.say("Encrypting and sending " + filepath.Base(path) + "…")
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		st, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if st.IsDir() || st.Size() > secretFileMax {
			return nil, fmt.Errorf("%s is a directory or larger than %d MiB", path, secretFileMax>>20)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if _, err := sc.SendFile(ctx, peer, filepath.Base(path), data, "", ttl); err != nil {
			return nil, err
		}
		msgs, err := sc.Messages(peer)
		return batchMsg{secretStateMsg{peer: peer, msgs: msgs}, noticeMsg("Sent " + filepath.Base(path) + " encrypted")}, err
	})
}

// saveNewestFile decrypts the chat's newest file into the current
// directory, under a free name (never over a file).
func (o *secretOverlay) saveNewestFile(m *model) tea.Cmd {
	var newest *client.SecretMessage
	for i := range o.msgs {
		if o.msgs[i].File != nil {
			newest = &o.msgs[i]
		}
	}
	if newest == nil || m.secret == nil {
		m.say("No file in this secret chat")
		return nil
	}
	sc, msg := m.secret, *newest
	return m.call(func(ctx context.Context) (tea.Msg, error) {
		data, err := sc.OpenFile(ctx, &msg)
		if err != nil {
			return nil, err
		}
		name := msgtext.OneLine(filepath.Base(msg.File.Name))
		if name == "." || name == "/" || name == ".." || name == "" {
			name = fmt.Sprintf("secret-file-%d", msg.ID)
		}
		for {
			path := freeName(name)
			f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			if err != nil {
				return nil, err
			}
			_, err = f.Write(data)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(path)
				return nil, err
			}
			return noticeMsg(fmt.Sprintf("Saved %s (%s), decrypted", path, humanSize(int64(len(data))))), nil
		}
	})
}

// moveSel picks the message before (up) or after the picked one; past
// the newest, none is picked.
func (o *secretOverlay) moveSel(up bool) {
	i := slices.IndexFunc(o.msgs, func(x client.SecretMessage) bool { return x.ID == o.sel })
	switch {
	case i < 0 && up:
		i = len(o.msgs) - 1
	case i < 0:
		return
	case up:
		i = max(i-1, 0)
	default:
		i++
	}
	o.sel = 0
	if i >= 0 && i < len(o.msgs) {
		o.sel = o.msgs[i].ID
	}
}

// keepSel forgets a picked message that is gone (deleted, expired).
func (o *secretOverlay) keepSel() {
	if !slices.ContainsFunc(o.msgs, func(x client.SecretMessage) bool { return x.ID == o.sel }) {
		o.sel = 0
	}
}

// setQR shows payload as a QR code under the info, or says why not.
func (o *secretOverlay) setQR(payload string) {
	lines, err := qrLines(payload)
	if err != nil {
		o.info += "\n(no QR code: " + err.Error() + ")"
	}
	o.qr = lines
}

func (o *secretOverlay) update(m *model, msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	o.input, cmd = o.input.Update(msg)
	return cmd
}

func (o *secretOverlay) paste(m *model, s string) tea.Cmd {
	o.input.SetValue(o.input.Value() + strings.TrimSpace(s))
	o.input.CursorEnd()
	return nil
}

// view draws the secret chat: a header, the messages (newest last), the
// safety number or warnings when there are some, and the input line.
func (o *secretOverlay) view(m *model, w, h int) string {
	timer := "off"
	if o.ttl > 0 {
		timer = o.ttl.String()
	}
	head := []string{titleStyle.Render(oneLine("🔒 Secret chat with "+m.name(o.peer)+" · timer "+timer, w)),
		dimStyle.Render(oneLine("Ctrl+S safety number · Ctrl+T timer · Ctrl+O send file · Ctrl+D save newest file · ↑ pick, Del delete for both · Ctrl+F search · Ctrl+K link a device · Esc back", w))}
	var extra []string
	for _, wn := range o.warnings {
		extra = append(extra, errStyle.Render(oneLine(wn, w)))
	}
	if o.info != "" {
		for _, l := range strings.Split(o.info, "\n") {
			extra = append(extra, promptStyle.Render(oneLine(l, w)))
		}
	}
	if len(o.qr) > 0 && lipgloss.Width(o.qr[0]) <= w && len(o.qr)+len(extra)+5 <= h {
		extra = append(extra, o.qr...)
	} else if len(o.qr) > 0 {
		extra = append(extra, dimStyle.Render(oneLine("(a larger terminal shows the QR code)", w)))
	}
	o.input.SetWidth(max(w-3, 5))
	foot := []string{dimStyle.Render(strings.Repeat("─", w)), "> " + o.input.View()}
	rows := max(h-len(head)-len(extra)-len(foot), 1)
	var body []string
	if m.secret == nil {
		body = []string{dimStyle.Render("Setting up…")}
	} else if len(o.msgs) == 0 {
		body = []string{dimStyle.Render("No secret messages yet. Only you two can read what you write here.")}
	}
	for _, msg := range o.msgs {
		who := m.name(msg.From)
		style := titleStyle
		if msg.Out {
			who, style = "You", mineStyle
		}
		text := msgtext.OneLine(msg.Text)
		if msg.File != nil {
			text = "📎 " + msgtext.OneLine(msg.File.Name) + " " + text
		}
		for i, l := range wrap(text, max(w-2, 1)) {
			if i == 0 {
				mark := ""
				switch {
				case msg.ExpiresAt != 0:
					mark = fmt.Sprintf(" ⏱ %s left", time.Until(time.Unix(msg.ExpiresAt, 0)).Round(time.Second).String())
				case msg.TTL != 0:
					mark = " ⏱ " + (time.Duration(msg.TTL) * time.Second).String() + " once read"
				}
				line := style.Render(who) + " " + dimStyle.Render(time.Unix(msg.Date, 0).Format("15:04")+mark)
				if msg.ID == o.sel {
					line = selStyle.Render("▶ "+who+" "+time.Unix(msg.Date, 0).Format("15:04")+mark) + dimStyle.Render("  Del deletes it for both")
				}
				body = append(body, line)
			}
			body = append(body, "  "+l)
		}
	}
	if len(body) > rows {
		body = body[len(body)-rows:]
	}
	for len(body) < rows {
		body = append([]string{""}, body...)
	}
	return strings.Join(append(append(append(head, body...), extra...), foot...), "\n")
}
