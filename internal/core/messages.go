package core

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/havenchat/haven"
)

// Peer names where a message goes: a chat by id, or a person by id (their
// private chat with the sender, made by the first message; the sender's
// own id is Saved Messages). Exactly one is set.
type Peer struct {
	ChatID int64
	UserID int64
}

// SendInput is a new text message.
type SendInput struct {
	Text      string
	Entities  []haven.Entity
	ReplyToID int64
	Silent    bool
	// RandomID, chosen by the client and kept until acknowledged, makes
	// a retried send return the first result instead of a duplicate.
	RandomID int64
}

// checkText validates a message's text and entities against limit (in
// UTF-16 code units) and adds the entities the server detects.
func (s *Service) checkText(text string, es []haven.Entity, limit int) (string, []haven.Entity, error) {
	if strings.TrimSpace(text) == "" {
		return "", nil, haven.Errorf(haven.CodeMessageEmpty, "the message has no text")
	}
	if n := haven.UTF16Len(text); n > limit {
		return "", nil, haven.Errorf(haven.CodeMessageTooLong, "the text has %d characters; the limit is %d", n, limit)
	}
	es, err := haven.ValidateEntities(text, es, haven.MaxEntities)
	if err != nil {
		return "", nil, err
	}
	es = haven.MergeEntities(es, haven.DetectEntities(text))
	if len(es) > haven.MaxEntities {
		// Detected entities past the limit are dropped, not refused:
		// the person sent plain text.
		es = es[:haven.MaxEntities]
	}
	return text, es, nil
}

// Send posts a text message. A retry with the same RandomID returns the
// message the first attempt made. Errors: CodeRandomIDInvalid,
// CodeMessageEmpty, CodeMessageTooLong, CodeEntitiesInvalid,
// CodeEntitiesTooMany, CodeChatNotFound, CodeUserNotFound, CodeNotMember,
// CodeUserBanned, CodeChatWriteForbidden, CodeUserBlocked,
// CodeSlowModeWait, CodeMessageNotFound (the reply target).
func (s *Service) Send(ctx context.Context, a *Actor, to Peer, in SendInput) (*MessageView, error) {
	if in.RandomID == 0 {
		return nil, haven.Errorf(haven.CodeRandomIDInvalid, "random_id must be a non-zero number chosen by the client")
	}
	text, entities, err := s.checkText(in.Text, in.Entities, s.limits.MessageMax)
	if err != nil {
		return nil, err
	}
	// A retry is not looked up first: the random_id's row is written in
	// the same transaction as the message, under a unique key, so a
	// retry's write fails (CodeDuplicate) and sendPrepared answers with
	// the first message. That saves a read per send; a retry whose checks
	// now fail (the sender has since left, the reply target is gone) is
	// looked up then, so that it still gets the first answer.
	msg := &haven.Message{SenderID: a.UserID, Text: text, Entities: entities, ReplyToID: in.ReplyToID, Silent: in.Silent}
	v, err := s.sendOne(ctx, a, to, &prepared{msg: msg, randomID: in.RandomID}, "messages.send")
	if err != nil && haven.ErrorCode(err) != haven.CodeInternal {
		if first, ferr := s.alreadySent(ctx, a, in.RandomID); first != nil || ferr != nil {
			return first, ferr
		}
	}
	return v, err
}

// sendOne is sendPrepared for a single message.
func (s *Service) sendOne(ctx context.Context, a *Actor, to Peer, p *prepared, op string) (*MessageView, error) {
	out, err := s.sendPrepared(ctx, a, to, []*prepared{p}, op)
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}

// prepared is a message ready for the writer.
type prepared struct {
	msg      *haven.Message
	randomID int64
	files    []pendingFile
}

// createFiles creates, in the writer, the files made while preparing p
// and sets their ids where they belong.
func (p *prepared) createFiles(ctx context.Context, tx Tx) error {
	for _, pf := range p.files {
		f := *pf.file
		if err := tx.CreateFile(ctx, &f); err != nil {
			return err
		}
		*pf.set = f.ID
	}
	return nil
}

// sendPrepared posts prepared messages to a peer in one write, in order,
// creating the files they made: the one path of Send, SendMedia and
// SendAlbum. op names the method in internal errors.
//
// Every check reads committed state outside the writer, so that the
// writer's time per message is only the writes: the store's single
// writer is what bounds messages per second. A change committed
// meanwhile (a ban, a block) orders after this send.
func (s *Service) sendPrepared(ctx context.Context, a *Actor, to Peer, ps []*prepared, op string) ([]MessageView, error) {
	c, m, err := s.postable(ctx, s.store, a, to)
	create := errors.Is(err, errNoChatYet)
	if err != nil && !create {
		return nil, s.internal(ctx, op, err)
	}
	for _, p := range ps {
		if p.msg.ReplyToID == 0 {
			continue
		}
		if create {
			return nil, haven.Errorf(haven.CodeMessageNotFound, "there is no message %d in this chat", p.msg.ReplyToID)
		}
		if _, err := s.visibleMessage(ctx, s.store, a.UserID, c, m, p.msg.ReplyToID); err != nil {
			return nil, s.internal(ctx, op, err)
		}
	}
	mentions := make([][]int64, len(ps))
	if !create && c.Kind == haven.ChatGroup {
		for i, p := range ps {
			mentions[i] = s.mentioned(ctx, s.store, c, p.msg)
		}
	}
	out := make([]MessageView, len(ps))
	err = s.store.Update(ctx, func(tx Tx) error {
		c, m := c, m
		if create {
			var err error
			if c, err = s.privateChat(ctx, tx, a.UserID, to.UserID); err != nil {
				return err
			}
			if m, err = s.member(ctx, tx, c.ID, a.UserID); err != nil {
				return err
			}
		} else {
			cc := *c // chatEvent moves seq and top id on its copy
			c = &cc
			if c.Kind == haven.ChatGroup && c.SlowModeSeconds > 0 && m.Role == haven.RoleMember {
				// Slow mode is checked again in the writer: a member's
				// simultaneous sends all pass the check made outside it.
				cur, err := s.member(ctx, tx, c.ID, a.UserID)
				if err != nil {
					return err
				}
				if err := s.slowModeWait(c, cur); err != nil {
					return err
				}
			}
		}
		for i, p := range ps {
			if err := p.createFiles(ctx, tx); err != nil {
				return err
			}
			m2 := *p.msg
			if c.TTLSeconds > 0 {
				m2.ExpiresAt = s.now().Add(time.Duration(c.TTLSeconds) * time.Second)
			}
			if err := s.post(ctx, tx, c, m, &m2, p.randomID, mentions[i]); err != nil {
				return err
			}
			out[i] = messageView(c, &m2)
		}
		return nil
	})
	if haven.ErrorCode(err) == haven.CodeDuplicate {
		// A concurrent retry won the race: answer with its messages.
		ids := make([]int64, len(ps))
		for i, p := range ps {
			ids[i] = p.randomID
		}
		return s.sentMessages(ctx, a, ids)
	}
	if err != nil {
		return nil, s.internal(ctx, op, err)
	}
	return out, nil
}

// sentMessages answers a retried batch with the messages its random_ids
// made, skipping those that made none.
func (s *Service) sentMessages(ctx context.Context, a *Actor, randomIDs []int64) ([]MessageView, error) {
	var out []MessageView
	for _, r := range randomIDs {
		v, err := s.alreadySent(ctx, a, r)
		if err != nil {
			return nil, err
		}
		if v != nil {
			out = append(out, *v)
		}
	}
	return out, nil
}

// alreadySent returns the message a random_id made, or nil.
func (s *Service) alreadySent(ctx context.Context, a *Actor, randomID int64) (*MessageView, error) {
	chatID, msgID, err := s.store.SentMessage(ctx, a.UserID, randomID)
	if errors.Is(err, haven.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, s.internal(ctx, "messages.send", err)
	}
	c, err := s.store.ChatByID(ctx, chatID)
	if err != nil {
		return nil, s.internal(ctx, "messages.send", err)
	}
	m, err := s.store.Message(ctx, chatID, msgID)
	if errors.Is(err, haven.ErrNotFound) {
		// Sent, then deleted: the retry must not bring it back.
		return nil, haven.Errorf(haven.CodeMessageNotFound, "the message this random_id sent has been deleted")
	}
	if err != nil {
		return nil, s.internal(ctx, "messages.send", err)
	}
	v := messageView(c, m)
	return &v, nil
}

// errNoChatYet says a person has no private chat with the peer yet: the
// first message makes it, inside the writer.
var errNoChatYet = errors.New("no private chat yet")

// postable resolves a peer to a chat the actor may post in now, enforcing
// membership, rights, blocking and slow mode. For a person with whom the
// actor has no private chat yet it returns errNoChatYet, having checked
// that the person exists and does not block the actor.
//
// On the committed state of a store that is its database's sole writer,
// the chat and the actor's row in it come from s.posts while the store's
// ReachVersion stands (see postCache); the checks run on every call.
// Beside other writers (cluster mode: other nodes write the same
// PostgreSQL) nothing is cached: every send reads them from the store.
func (s *Service) postable(ctx context.Context, q Queries, a *Actor, to Peer) (*haven.Chat, *haven.Member, error) {
	cached := q == Queries(s.store) && s.store.SoleWriter()
	key := postKey{sender: a.UserID, chatID: to.ChatID, userID: to.UserID}
	var v uint64
	var c *haven.Chat
	var m *haven.Member
	hit := false
	if cached {
		v = s.store.ReachVersion() // before the reads: see reachCache
		var rows postRows
		if rows, hit = s.posts.get(key, v); hit {
			cc, mm := *rows.c, *rows.m
			c, m = &cc, &mm
		}
	}
	if !hit {
		var err error
		if c, m, err = s.postRead(ctx, q, a, to); err != nil {
			return nil, nil, err
		}
	}
	if err := can(c, m, ActSend, s.now()); err != nil {
		return nil, nil, err
	}
	if c.Kind == haven.ChatPrivate && !c.Saved() {
		check := s.CanContact
		if q == Queries(s.store) {
			check = func(ctx context.Context, _ Queries, from, to int64) error { return s.canContactCached(ctx, from, to) }
		}
		if err := check(ctx, q, a.UserID, c.Other(a.UserID)); err != nil {
			return nil, nil, err
		}
	}
	if cached && !hit {
		cc, mm := *c, *m
		s.posts.put(key, v, postRows{c: &cc, m: &mm}, postCacheMax)
	}
	if err := s.slowModeWait(c, m); err != nil {
		return nil, nil, err
	}
	return c, m, nil
}

// postRead reads the chat a peer names and the actor's row in it (nil
// when there is none), or errNoChatYet as postable says.
func (s *Service) postRead(ctx context.Context, q Queries, a *Actor, to Peer) (*haven.Chat, *haven.Member, error) {
	var c *haven.Chat
	var err error
	if to.UserID != 0 {
		var id int64
		id, err = q.PrivateChatID(ctx, a.UserID, to.UserID)
		if errors.Is(err, haven.ErrNotFound) {
			if to.UserID != a.UserID {
				if err := s.CanContact(ctx, q, a.UserID, to.UserID); err != nil {
					return nil, nil, err
				}
			} else if _, err := s.liveUser(ctx, q, a.UserID); err != nil {
				return nil, nil, err
			}
			return nil, nil, errNoChatYet
		}
		if err == nil {
			c, err = q.ChatByID(ctx, id)
		}
	} else {
		c, err = s.chat(ctx, q, to.ChatID)
	}
	if err != nil {
		return nil, nil, err
	}
	m, err := s.member(ctx, q, c.ID, a.UserID)
	if err != nil {
		return nil, nil, err
	}
	return c, m, nil
}

// slowModeWait refuses a plain member's post while the group's slow mode
// makes them wait. Errors: CodeSlowModeWait.
func (s *Service) slowModeWait(c *haven.Chat, m *haven.Member) error {
	if c.Kind == haven.ChatGroup && c.SlowModeSeconds > 0 && m != nil && m.Role == haven.RoleMember && !m.LastPostAt.IsZero() {
		next := m.LastPostAt.Add(time.Duration(c.SlowModeSeconds) * time.Second)
		if wait := next.Sub(s.now()); wait > 0 {
			return &haven.Error{Code: haven.CodeSlowModeWait, Message: "slow mode is on: wait before posting again", RetryAfter: int(math.Ceil(wait.Seconds()))}
		}
	}
	return nil
}

// post appends msg to c as a new message by member m, remembering the
// random_id and the mentions.
func (s *Service) post(ctx context.Context, tx Tx, c *haven.Chat, m *haven.Member, msg *haven.Message, randomID int64, mentions []int64) error {
	if _, err := s.chatEvent(ctx, tx, c, haven.EventMessageNew, m.UserID, msg, nil); err != nil {
		return err
	}
	if msg.Media != nil {
		if err := tx.AddMessageFiles(ctx, c.ID, msg.ID, msg.Media.FileIDs()); err != nil {
			return err
		}
	}
	if randomID != 0 {
		if err := tx.RememberSend(ctx, m.UserID, randomID, c.ID, msg.ID, msg.Date); err != nil {
			return err
		}
	}
	if c.Kind == haven.ChatGroup {
		if len(mentions) > 0 {
			if err := tx.AddMentions(ctx, c.ID, msg.ID, mentions); err != nil {
				return err
			}
		}
		if c.SlowModeSeconds > 0 && m.Role == haven.RoleMember {
			// m may have been read before the transaction: write the
			// post time onto the row as it is now.
			cur, err := tx.Member(ctx, c.ID, m.UserID)
			if err != nil {
				return err
			}
			cur.LastPostAt = msg.Date
			return tx.PutMember(ctx, cur)
		}
	}
	return nil
}

// mentioned finds the members a group message mentions: by @username, by
// text mention, or by replying to them.
func (s *Service) mentioned(ctx context.Context, q Queries, c *haven.Chat, msg *haven.Message) []int64 {
	seen := map[int64]bool{msg.SenderID: true}
	var ids []int64
	add := func(id int64) {
		if id == 0 || seen[id] {
			return
		}
		seen[id] = true
		if mm, err := q.Member(ctx, c.ID, id); err == nil && mm.Role.Active() {
			ids = append(ids, id)
		}
	}
	for _, e := range msg.Entities {
		switch e.Type {
		case haven.EntityTextMention:
			add(e.UserID)
		case haven.EntityMention:
			name := strings.TrimPrefix(haven.EntitySlice(msg.Text, e), "@")
			if u, err := q.UserByUsername(ctx, name); err == nil {
				add(u.ID)
			}
		}
		if len(ids) >= 50 {
			break
		}
	}
	if msg.ReplyToID != 0 {
		if r, err := q.Message(ctx, c.ID, msg.ReplyToID); err == nil {
			add(r.SenderID)
		}
	}
	return ids
}

// chat loads a chat. Errors: CodeChatNotFound.
func (s *Service) chat(ctx context.Context, q Queries, id int64) (*haven.Chat, error) {
	c, err := q.ChatByID(ctx, id)
	if errors.Is(err, haven.ErrNotFound) {
		return nil, haven.Errorf(haven.CodeChatNotFound, "there is no chat %d", id)
	}
	return c, err
}

// member loads the actor's row in a chat; nil (and no error) when there
// is none, for can to judge.
func (s *Service) member(ctx context.Context, q Queries, chatID, userID int64) (*haven.Member, error) {
	m, err := q.Member(ctx, chatID, userID)
	if errors.Is(err, haven.ErrNotFound) {
		return nil, nil
	}
	return m, err
}

// membership loads a chat and the actor's row in it (nil when there is
// none, for can to judge). Errors: CodeChatNotFound.
func (s *Service) membership(ctx context.Context, q Queries, a *Actor, chatID int64) (*haven.Chat, *haven.Member, error) {
	c, err := s.chat(ctx, q, chatID)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.member(ctx, q, chatID, a.UserID)
	if err != nil {
		return nil, nil, err
	}
	return c, m, nil
}

// access loads a chat and checks that the actor may do act in it.
func (s *Service) access(ctx context.Context, q Queries, a *Actor, chatID int64, act Action) (*haven.Chat, *haven.Member, error) {
	c, m, err := s.membership(ctx, q, a, chatID)
	if err != nil {
		return nil, nil, err
	}
	if err := s.may(ctx, q, c, m, a.UserID, act); err != nil {
		return nil, nil, err
	}
	return c, m, nil
}

// may checks that userID, whose row in c is m, may do act there now:
// the rights of can, and in a private chat the other person's block.
// Every action that would reach someone who blocks the actor is refused
// here, once. Errors: those of can, CodeUserBlocked.
func (s *Service) may(ctx context.Context, q Queries, c *haven.Chat, m *haven.Member, userID int64, act Action) error {
	if err := can(c, m, act, s.now()); err != nil {
		return err
	}
	if !reachesPeer(act) {
		return nil
	}
	blocked, err := s.blockedBy(ctx, q, c, userID)
	if err != nil {
		return err
	}
	if blocked {
		return haven.Errorf(haven.CodeUserBlocked, "this person does not accept your messages")
	}
	return nil
}

// blockedBy reports whether the other person of a private chat blocks
// userID. Groups and channels know no blocks: a block is between two
// people.
func (s *Service) blockedBy(ctx context.Context, q Queries, c *haven.Chat, userID int64) (bool, error) {
	if c.Kind != haven.ChatPrivate || c.Saved() {
		return false, nil
	}
	return q.IsBlocked(ctx, c.Other(userID), userID)
}

// visibleMessage loads a message the member may see. Errors:
// CodeMessageNotFound.
func (s *Service) visibleMessage(ctx context.Context, q Queries, viewer int64, c *haven.Chat, m *haven.Member, id int64) (*haven.Message, error) {
	if m != nil && id < m.MinMessageID {
		return nil, haven.Errorf(haven.CodeMessageNotFound, "there is no message %d in this chat", id)
	}
	msg, err := q.Message(ctx, c.ID, id)
	if errors.Is(err, haven.ErrNotFound) {
		return nil, haven.Errorf(haven.CodeMessageNotFound, "there is no message %d in this chat", id)
	}
	if err != nil {
		return nil, err
	}
	hidden, err := q.HiddenIDs(ctx, viewer, c.ID, []int64{id})
	if err != nil {
		return nil, err
	}
	if hidden[id] {
		return nil, haven.Errorf(haven.CodeMessageNotFound, "there is no message %d in this chat", id)
	}
	return msg, nil
}

// EditInput changes a message's text.
type EditInput struct {
	Text     string
	Entities []haven.Entity
}

// Edit changes the text of a message: one's own within 48 hours (channel
// admins with the right may edit any post). Edited messages show their
// edit date. Errors: CodeMessageNotFound, CodeMessageEditForbidden,
// CodeMessageEditExpired, CodeMessageNotModified, and the text errors of
// Send.
func (s *Service) Edit(ctx context.Context, a *Actor, chatID, id int64, in EditInput) (*MessageView, error) {
	// A media message's text is its caption, which may be empty and has
	// its own limit: both checks are made here, the one that applies is
	// chosen once the message is read.
	text, entities, textErr := s.checkText(in.Text, in.Entities, s.limits.MessageMax)
	caption, captionEntities, captionErr := s.checkCaption(in.Text, in.Entities)
	if textErr != nil && captionErr != nil {
		return nil, textErr
	}
	var out MessageView
	err := s.store.Update(ctx, func(tx Tx) error {
		c, m, err := s.access(ctx, tx, a, chatID, ActRead)
		if err != nil {
			return err
		}
		msg, err := s.visibleMessage(ctx, tx, a.UserID, c, m, id)
		if err != nil {
			return err
		}
		if msg.Service != nil {
			return haven.Errorf(haven.CodeMessageEditForbidden, "service messages cannot be edited")
		}
		text, entities := text, entities
		if msg.Media != nil {
			if captionErr != nil {
				return captionErr
			}
			text, entities = caption, captionEntities
		} else if textErr != nil {
			return textErr
		}
		if msg.SenderID == a.UserID {
			if err := s.may(ctx, tx, c, m, a.UserID, ActEditOwn); err != nil {
				return err
			}
			if s.now().Sub(msg.Date) > haven.EditWindow {
				return haven.Errorf(haven.CodeMessageEditExpired, "messages can be edited for 48 hours after sending")
			}
		} else if c.Kind != haven.ChatChannel {
			return haven.Errorf(haven.CodeMessageEditForbidden, "you can edit only your own messages")
		} else if err := can(c, m, ActEditAny, s.now()); err != nil {
			return haven.Errorf(haven.CodeMessageEditForbidden, "you may not edit others' posts")
		}
		if msg.Text == text && slices.Equal(msg.Entities, entities) {
			return haven.Errorf(haven.CodeMessageNotModified, "the new text is the same as the old")
		}
		msg.Text, msg.Entities, msg.EditDate = text, entities, s.now()
		if err := tx.UpdateMessage(ctx, msg); err != nil {
			return err
		}
		if _, err := s.chatEvent(ctx, tx, c, haven.EventMessageEdit, a.UserID, msg, nil); err != nil {
			return err
		}
		out = messageView(c, msg)
		return nil
	})
	if err != nil {
		return nil, s.internal(ctx, "messages.edit", err)
	}
	return &out, nil
}

// Delete removes messages: for everyone (one's own; any in private chats;
// any for admins with the right), or only for the actor. Ids that do not
// exist are skipped. Errors: CodeMessageDeleteForbidden, CodeTooManyIDs.
func (s *Service) Delete(ctx context.Context, a *Actor, chatID int64, ids []int64, forEveryone bool) (int, error) {
	if len(ids) == 0 || len(ids) > 100 {
		return 0, haven.Errorf(haven.CodeTooManyIDs, "give 1 to 100 message ids")
	}
	var n int
	err := s.store.Update(ctx, func(tx Tx) error {
		c, m, err := s.access(ctx, tx, a, chatID, ActRead)
		if err != nil {
			return err
		}
		msgs, err := s.visible(ctx, tx, c, m, a.UserID, ids)
		if err != nil {
			return err
		}
		var del []int64
		for _, msg := range msgs {
			if forEveryone {
				act := ActDeleteOwn
				if msg.SenderID != a.UserID {
					act = ActDeleteAny
				}
				if err := s.may(ctx, tx, c, m, a.UserID, act); haven.ErrorCode(err) == haven.CodeUserBlocked {
					return err
				} else if err != nil && act == ActDeleteAny {
					return haven.Errorf(haven.CodeMessageDeleteForbidden, "you may delete only your own messages for everyone")
				} else if err != nil {
					return haven.Errorf(haven.CodeMessageDeleteForbidden, "you may not delete messages here")
				}
			}
			del = append(del, msg.ID)
		}
		n = len(del)
		if n == 0 {
			return nil
		}
		if !forEveryone && c.Kind != haven.ChatChannel {
			if err := tx.HideMessages(ctx, a.UserID, chatID, del); err != nil {
				return err
			}
			return s.userEvent(ctx, tx, a.UserID, haven.UserMessagesHidden, chatID, map[string][]int64{"ids": del})
		}
		if !forEveryone {
			return haven.Errorf(haven.CodeMessageDeleteForbidden, "channel posts are deleted for everyone or not at all")
		}
		gone, err := tx.DeleteMessages(ctx, chatID, del)
		if err != nil {
			return err
		}
		n = len(gone)
		if n == 0 {
			return nil
		}
		for _, id := range gone {
			if id == c.PinnedMessageID {
				c.PinnedMessageID = 0
				if err := tx.UpdateChat(ctx, c); err != nil {
					return err
				}
			}
		}
		_, err = s.chatEvent(ctx, tx, c, haven.EventMessageDelete, a.UserID, nil, map[string][]int64{"ids": gone})
		return err
	})
	return n, s.internal(ctx, "messages.delete", err)
}

// Pin pins or unpins a message for everyone in the chat. Errors:
// CodeMessageNotFound, CodeRightForbidden.
func (s *Service) Pin(ctx context.Context, a *Actor, chatID, id int64, pinned bool) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		c, m, err := s.access(ctx, tx, a, chatID, ActPin)
		if err != nil {
			return err
		}
		msg, err := s.visibleMessage(ctx, tx, a.UserID, c, m, id)
		if err != nil {
			return err
		}
		if msg.Pinned == pinned {
			return nil
		}
		msg.Pinned = pinned
		if err := tx.UpdateMessage(ctx, msg); err != nil {
			return err
		}
		if pinned {
			c.PinnedMessageID = id
		} else if c.PinnedMessageID == id {
			c.PinnedMessageID = 0
		}
		if err := tx.UpdateChat(ctx, c); err != nil {
			return err
		}
		if _, err := s.chatEvent(ctx, tx, c, haven.EventMessagePin, a.UserID, msg, map[string]bool{"pinned": pinned}); err != nil {
			return err
		}
		if pinned {
			// The history shows who pinned what, as Telegram's does.
			_, err = s.service(ctx, tx, c, a.UserID, &haven.ServiceAction{Type: haven.ActionMessagePinned, MessageID: id})
		}
		return err
	})
	return s.internal(ctx, "messages.pin", err)
}

// React sets the actor's reaction to a message (one per person; "" takes
// it back). Errors: CodeReactionInvalid, CodeMessageNotFound.
func (s *Service) React(ctx context.Context, a *Actor, chatID, id int64, emoji string) (*MessageView, error) {
	var out MessageView
	err := s.store.Update(ctx, func(tx Tx) error {
		c, m, err := s.access(ctx, tx, a, chatID, ActReact)
		if err != nil {
			return err
		}
		if emoji != "" && !allowedReaction(c, emoji) {
			return haven.Errorf(haven.CodeReactionInvalid, "this chat does not allow the reaction %q", emoji)
		}
		msg, err := s.visibleMessage(ctx, tx, a.UserID, c, m, id)
		if err != nil {
			return err
		}
		if err := tx.SetReaction(ctx, chatID, id, a.UserID, emoji); err != nil {
			return err
		}
		rs, err := tx.Reactions(ctx, chatID, []int64{id})
		if err != nil {
			return err
		}
		if _, err := s.chatEvent(ctx, tx, c, haven.EventReaction, a.UserID, msg, map[string]string{"emoji": emoji}); err != nil {
			return err
		}
		out = s.viewFor(c, m, msg)
		out.Reactions = countReactions(rs[id], a.UserID)
		return nil
	})
	if err != nil {
		return nil, s.internal(ctx, "messages.react", err)
	}
	return &out, nil
}

func allowedReaction(c *haven.Chat, emoji string) bool {
	set := c.Reactions
	if set == nil {
		set = haven.DefaultReactions
	}
	return slices.Contains(set, emoji)
}

// Read marks a chat read up to maxID (0: up to its newest message). The
// person's other devices learn it from their log; the authors see read
// receipts in private chats and groups, except the other person of a
// private chat who blocks the reader. Reading never moves back.
func (s *Service) Read(ctx context.Context, a *Actor, chatID, maxID int64) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		c, m, err := s.access(ctx, tx, a, chatID, ActRead)
		if err != nil {
			return err
		}
		if maxID <= 0 || maxID > c.TopMessageID {
			maxID = c.TopMessageID
		}
		if maxID <= m.ReadInboxMaxID {
			return nil
		}
		if err := tx.SetReadInbox(ctx, chatID, a.UserID, maxID); err != nil {
			return err
		}
		if err := s.userEvent(ctx, tx, a.UserID, haven.UserReadInbox, chatID, map[string]int64{"max_id": maxID}); err != nil {
			return err
		}
		if c.Kind == haven.ChatChannel {
			return nil
		}
		// Someone the other person blocks reads for their own devices
		// only: no read receipt reaches the person who blocked them.
		if blocked, err := s.blockedBy(ctx, tx, c, a.UserID); err != nil || blocked {
			return err
		}
		if !c.NoteRead(a.UserID, maxID) {
			return nil
		}
		if err := tx.UpdateChat(ctx, c); err != nil {
			return err
		}
		_, err = s.chatEvent(ctx, tx, c, haven.EventRead, a.UserID, nil, map[string]int64{"max_id": maxID})
		return err
	})
	return s.internal(ctx, "messages.read", err)
}
