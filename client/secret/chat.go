package secret

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/havenchat/haven/e2ee"
)

// sendLocked encrypts a payload to every device of the chat's other
// person and every other device of one's own, starting sessions with
// those that have none, saves the state, and hands the envelopes to the
// server.
func (sc *Chats) sendLocked(ctx context.Context, chat int64, p *payload) error {
	if chat == sc.st.User {
		return errors.New("haven: a secret chat is with another person")
	}
	peerList, peerActive, err := sc.deviceList(ctx, chat)
	if err != nil {
		return err
	}
	if sc.st.Peers[chat].IdentityChanged {
		if err := sc.saveLocked(); err != nil {
			return err
		}
		return ErrIdentityChanged
	}
	ownList, ownActive, err := sc.deviceList(ctx, sc.st.User)
	if err != nil {
		return err
	}
	active := map[int64][]uint32{chat: peerActive, sc.st.User: ownActive}
	lists := map[int64]*e2ee.DeviceList{chat: peerList, sc.st.User: ownList}
	var to []e2ee.Address
	for _, a := range e2ee.Recipients(sc.dev.Identity().Address(), peerList, ownList) {
		if slices.Contains(active[a.User], uint32(a.Device)) {
			to = append(to, a)
		}
	}
	if !slices.ContainsFunc(to, func(a e2ee.Address) bool { return a.User == chat }) {
		return ErrNoSecretDevices
	}
	missing := map[int64][]uint32{}
	for _, a := range sc.ss.Missing(to) {
		missing[a.User] = append(missing[a.User], uint32(a.Device))
	}
	for user, ids := range missing {
		got, err := sc.api.Bundles(ctx, user, ids)
		if err != nil {
			return err
		}
		for _, raw := range got.Bundles {
			b, err := e2ee.ParseBundle(raw)
			if err != nil {
				return err
			}
			s, err := e2ee.Initiate(sc.dev, lists[user], b)
			if err != nil {
				// A bundle the signed list does not vouch for (a
				// device rekeyed since the list, or a forgery): the
				// device is left out of this message, below.
				continue
			}
			sc.ss.Put(s)
		}
	}
	// A device whose bundle did not come (it went away meanwhile) is
	// left out of this message.
	to = slices.DeleteFunc(to, func(a e2ee.Address) bool { return sc.ss.Get(a) == nil })
	pt, err := json.Marshal(p)
	if err != nil {
		return err
	}
	envs, err := sc.ss.Encrypt(to, pt)
	if err != nil {
		return err
	}
	if err := sc.saveLocked(); err != nil {
		return err
	}
	out := make([]EnvelopeOut, len(envs))
	for i, e := range envs {
		out[i] = EnvelopeOut{UserID: e.To.User, DeviceID: uint32(e.To.Device), RandomID: randomID(), Body: e.Body}
	}
	_, err = sc.api.Send(ctx, out)
	return err
}

// SendText sends text to the secret chat with user. ttl, if not 0, is
// the self-destruct timer: the message disappears on every device ttl
// after the recipient read it.
func (sc *Chats) SendText(ctx context.Context, user int64, text string, ttl time.Duration) (*Message, error) {
	return sc.sendMessage(ctx, user, &payload{Kind: "msg", Text: text, TTL: int64(ttl / time.Second)})
}

// SendFile encrypts data under a new random key, uploads the ciphertext
// and sends a message carrying the key, the ciphertext's digest and
// where to fetch it (a link valid 30 days, secret.shareFile). The
// server stores only the ciphertext, for 30 days.
func (sc *Chats) SendFile(ctx context.Context, user int64, name string, data []byte, caption string, ttl time.Duration) (*Message, error) {
	ct, key, digest, err := e2ee.SealAttachment(data)
	if err != nil {
		return nil, err
	}
	u, err := sc.api.T.ShareFile(ctx, ct)
	if err != nil {
		return nil, err
	}
	file := &File{Name: name, Size: int64(len(data)), URL: u, Key: key[:], Digest: digest[:]}
	return sc.sendMessage(ctx, user, &payload{Kind: "msg", Text: caption, File: file, TTL: int64(ttl / time.Second)})
}

func (sc *Chats) sendMessage(ctx context.Context, user int64, p *payload) (*Message, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	p.Chat, p.ID, p.Date = user, randomID(), sc.now().Unix()
	m := &Message{ID: p.ID, Chat: user, From: sc.st.User, Device: uint32(sc.dev.ID()), Out: true, Date: p.Date,
		Text: p.Text, File: p.File, TTL: p.TTL}
	sc.st.Chats[user] = append(sc.st.Chats[user], m)
	if err := sc.sendLocked(ctx, user, p); err != nil {
		sc.st.Chats[user] = slices.DeleteFunc(sc.st.Chats[user], func(x *Message) bool { return x == m })
		return nil, err
	}
	c := *m
	return &c, nil
}

// OpenFile fetches and decrypts a message's file, checking its digest.
func (sc *Chats) OpenFile(ctx context.Context, m *Message) ([]byte, error) {
	if m.File == nil {
		return nil, errors.New("haven: the message has no file")
	}
	// The ciphertext is the plaintext plus 2 bytes and a 16-byte tag per
	// 64 KiB chunk: no more is read.
	limit := m.File.Size + 2 + 16*(m.File.Size/(64<<10)+1) + 1
	ct, err := sc.api.T.FetchFile(ctx, m.File.URL, limit)
	if err != nil {
		return nil, err
	}
	var key e2ee.AttachmentKey
	var digest e2ee.Digest
	if len(m.File.Key) != len(key) || len(m.File.Digest) != len(digest) {
		return nil, e2ee.ErrMalformed
	}
	copy(key[:], m.File.Key)
	copy(digest[:], m.File.Digest)
	return e2ee.OpenAttachment(ct, key, digest)
}

// Receive fetches the envelopes waiting for this device, decrypts them,
// applies what they say (new messages, deletions, reads), saves the
// state, and only then tells the server to delete them. An envelope
// that does not open (a replay, a forgery, one for a session this
// device no longer has) is dropped and reported as "rejected". When the
// server holds few one-time prekeys of the device, it uploads more.
// Call it when a "secret.envelope" push arrives (a client.Event's Push
// from client.Client.Updates, or client.Conn.Pushes), and on start.
func (sc *Chats) Receive(ctx context.Context) ([]Event, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	var events []Event
	lists := map[int64]*e2ee.DeviceList{}
	for {
		in, err := sc.api.Fetch(ctx, 0, 100)
		if err != nil {
			return events, err
		}
		if len(in.Envelopes) == 0 {
			if in.PreKeys.Low {
				return events, sc.replenishLocked(ctx)
			}
			return events, nil
		}
		var last int64
		var stop error
		for _, q := range in.Envelopes {
			evs, err := sc.openLocked(ctx, lists, q.Envelope)
			if err != nil {
				stop = err // not the envelope's fault: try it again later
				break
			}
			events = append(events, evs...)
			last = q.ID
		}
		if err := sc.expireLocked(); err != nil {
			return events, err
		}
		if last != 0 {
			if _, err := sc.api.Ack(ctx, last); err != nil {
				return events, err
			}
		}
		if stop != nil {
			return events, stop
		}
	}
}

// replenishLocked uploads a new batch of one-time prekeys.
func (sc *Chats) replenishLocked(ctx context.Context) error {
	up, err := sc.dev.NewPreKeys(preKeys)
	if err != nil {
		return err
	}
	if err := sc.saveLocked(); err != nil {
		return err
	}
	b, _ := up.MarshalBinary()
	_, err = sc.api.UploadKeys(ctx, b)
	return err
}

// openLocked decrypts one envelope and applies it. An envelope that
// cannot open is reported as "rejected" (and will be acknowledged); an
// error (the server could not be asked for the sender's device list) is
// returned, and the envelope is left to a later Receive.
func (sc *Chats) openLocked(ctx context.Context, lists map[int64]*e2ee.DeviceList, raw []byte) ([]Event, error) {
	reject := func(err error) ([]Event, error) { return []Event{{Kind: "rejected", Err: err}}, nil }
	env, err := e2ee.ParseEnvelope(raw)
	if err != nil {
		return reject(err)
	}
	me := sc.dev.Identity().Address()
	if env.To != me {
		return reject(fmt.Errorf("haven: an envelope for %v reached %v", env.To, me))
	}
	l := lists[env.From.User]
	if l == nil {
		if l, _, err = sc.deviceList(ctx, env.From.User); err != nil {
			if ctx.Err() != nil || sc.api.transient(err) {
				return nil, err
			}
			// The sender is gone, hidden, blocks us, or their list does
			// not verify: this envelope will never open.
			return reject(err)
		}
		lists[env.From.User] = l
	}
	pt, err := sc.ss.Decrypt(sc.dev, l, env)
	if err != nil {
		return reject(err)
	}
	var p payload
	if err := json.NewDecoder(bytes.NewReader(pt)).Decode(&p); err != nil {
		return reject(fmt.Errorf("haven: a secret message that is not a payload: %w", err))
	}
	// The conversation: the sender, or for one's own other device's
	// message, the person it was written to.
	chat := env.From.User
	if env.From.User == sc.st.User {
		chat = p.Chat
	} else if p.Chat != sc.st.User {
		return reject(fmt.Errorf("haven: a message of %d's chat with %d", env.From.User, p.Chat))
	}
	if chat == sc.st.User || chat <= 0 {
		return reject(errors.New("haven: a secret message with no chat"))
	}
	switch p.Kind {
	case "msg":
		if slices.ContainsFunc(sc.st.Chats[chat], func(m *Message) bool { return m.ID == p.ID }) {
			return nil, nil
		}
		m := &Message{ID: p.ID, Chat: chat, From: env.From.User, Device: uint32(env.From.Device),
			Out: env.From.User == sc.st.User, Date: p.Date, Text: p.Text, File: p.File, TTL: p.TTL}
		sc.st.Chats[chat] = append(sc.st.Chats[chat], m)
		c := *m
		return []Event{{Kind: "message", Chat: chat, Message: &c}}, nil
	case "delete":
		sc.st.Chats[chat] = slices.DeleteFunc(sc.st.Chats[chat], func(m *Message) bool { return slices.Contains(p.IDs, m.ID) })
		return []Event{{Kind: "deleted", Chat: chat, IDs: p.IDs}}, nil
	case "read":
		sc.markRead(chat, p.IDs, p.Date)
		return []Event{{Kind: "read", Chat: chat, IDs: p.IDs}}, nil
	}
	return reject(fmt.Errorf("haven: a secret message of unknown kind %q", p.Kind))
}

// markRead records that ids were read at `at` and starts their timers.
func (sc *Chats) markRead(chat int64, ids []int64, at int64) {
	for _, m := range sc.st.Chats[chat] {
		if slices.Contains(ids, m.ID) && m.ReadAt == 0 {
			m.ReadAt = at
			if m.TTL > 0 {
				m.ExpiresAt = at + m.TTL
			}
		}
	}
}

// expireLocked deletes the messages whose timer ran out and saves the
// state.
func (sc *Chats) expireLocked() error {
	now := sc.now().Unix()
	for chat, ms := range sc.st.Chats {
		sc.st.Chats[chat] = slices.DeleteFunc(ms, func(m *Message) bool { return m.ExpiresAt != 0 && m.ExpiresAt <= now })
	}
	return sc.saveLocked()
}

// Messages returns the secret chat with user, oldest first, without the
// messages whose self-destruct timer ran out (which it deletes).
func (sc *Chats) Messages(user int64) ([]Message, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if err := sc.expireLocked(); err != nil {
		return nil, err
	}
	out := make([]Message, 0, len(sc.st.Chats[user]))
	for _, m := range sc.st.Chats[user] {
		out = append(out, *m)
	}
	return out, nil
}

// Search finds the secret messages whose text or file name contains
// query (ignoring case), in every secret chat, newest first. It runs on
// the device alone: the server cannot search what it cannot read.
func (sc *Chats) Search(query string) ([]Message, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if err := sc.expireLocked(); err != nil {
		return nil, err
	}
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return nil, nil
	}
	var out []Message
	for _, ms := range sc.st.Chats {
		for _, m := range ms {
			if strings.Contains(strings.ToLower(m.Text), q) || m.File != nil && strings.Contains(strings.ToLower(m.File.Name), q) {
				out = append(out, *m)
			}
		}
	}
	slices.SortFunc(out, func(a, b Message) int {
		return cmp.Or(cmp.Compare(b.Date, a.Date), cmp.Compare(b.ID, a.ID))
	})
	return out, nil
}

// Chats lists the people this device has secret chats with.
func (sc *Chats) Chats() []int64 {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	out := make([]int64, 0, len(sc.st.Chats))
	for id := range sc.st.Chats {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// MarkRead marks the other person's messages in the chat with user as
// read: their self-destruct timers start here and, told, on every other
// device of both people.
func (sc *Chats) MarkRead(ctx context.Context, user int64) error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	var ids []int64
	for _, m := range sc.st.Chats[user] {
		if !m.Out && m.ReadAt == 0 {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	now := sc.now().Unix()
	sc.markRead(user, ids, now)
	return sc.sendLocked(ctx, user, &payload{Kind: "read", Chat: user, IDs: ids, Date: now})
}

// Delete deletes messages of the chat with user here and on every device
// of both people.
func (sc *Chats) Delete(ctx context.Context, user int64, ids ...int64) error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, id := range ids {
		if !slices.ContainsFunc(sc.st.Chats[user], func(m *Message) bool { return m.ID == id }) {
			return ErrMessageNotFound
		}
	}
	sc.st.Chats[user] = slices.DeleteFunc(sc.st.Chats[user], func(m *Message) bool { return slices.Contains(ids, m.ID) })
	return sc.sendLocked(ctx, user, &payload{Kind: "delete", Chat: user, IDs: ids, Date: sc.now().Unix()})
}

// Forward refuses: a secret message stays in its secret chat. It exists
// so that an app's forward action has one answer for secret messages.
func (sc *Chats) Forward(ctx context.Context, user, id, toChatID int64) error {
	return ErrForwardRefused
}

// SafetyNumber returns the safety number of this account and user's, to
// compare on both phones (Digits, Grouped) or scan (QR). It needs the
// person's pinned account key: it fetches their device list once if
// there is none yet.
func (sc *Chats) SafetyNumber(ctx context.Context, user int64) (e2ee.SafetyNumber, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.st.Peers[user] == nil {
		if _, _, err := sc.deviceList(ctx, user); err != nil {
			return e2ee.SafetyNumber{}, err
		}
		if err := sc.saveLocked(); err != nil {
			return e2ee.SafetyNumber{}, err
		}
	}
	l, err := e2ee.ParseDeviceList(sc.st.Peers[user].List)
	if err != nil {
		return e2ee.SafetyNumber{}, err
	}
	return e2ee.NewSafetyNumber(sc.st.User, sc.acct.Public(), user, l.Account), nil
}

// Warnings returns the warnings about contacts' keys not yet returned,
// and forgets them.
func (sc *Chats) Warnings() ([]Warning, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	out := sc.st.Warnings
	sc.st.Warnings = nil
	return out, sc.saveLocked()
}

// AcceptIdentity accepts user's changed account key, so that sends to
// them go again. Compare safety numbers first.
func (sc *Chats) AcceptIdentity(user int64) error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if p := sc.st.Peers[user]; p != nil {
		p.IdentityChanged = false
	}
	return sc.saveLocked()
}
