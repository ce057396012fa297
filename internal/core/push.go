package core

import (
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/havenchat/haven"
)

// Web Push: a device that enables notifications gives the server its push
// subscription (push.subscribe), kept for the session that gave it. A new
// message that would notify someone (not their own, not silent, not a
// service message, not in a chat they muted, not from someone they block)
// reaches those of their sessions that have no socket open, through the
// device's push service, encrypted to the device.
//
// Nothing of it runs on the writer. The commit hands the new message to a
// bounded queue (a full queue drops it: the message itself is safe, only
// its notification is lost); one fan-out loop takes the messages in order,
// reads the subscriptions of the people to notify a page at a time, and
// hands each push to a fixed number of workers, waiting while they are
// all busy. However large the chat, the memory held is one page and one
// push per worker, and a slow or dead push service costs at most a
// worker's timeout per push.

// PushSender delivers notifications through the devices' push services
// (internal/push).
type PushSender interface {
	// PublicKey is the server's VAPID public key (RFC 8292), an
	// uncompressed P-256 point: browsers bind their subscriptions to it.
	PublicKey() []byte
	// Push encrypts n to sub's keys and posts it to sub's endpoint
	// within ctx. Errors: ErrPushGone when the push service answers that
	// the subscription no longer exists (404, 410); any other error is a
	// failed delivery, which is not retried. No error may contain the
	// endpoint: it is a secret.
	Push(ctx context.Context, sub *haven.PushSubscription, n PushNotification) error
}

// ErrPushGone says a push service no longer knows a subscription: the
// device unsubscribed or the browser was reset. Its row is deleted.
var ErrPushGone = errors.New("the push subscription is gone")

// PushNotification is what a device shows for a new message.
type PushNotification struct {
	ChatID    int64
	MessageID int64
	Title     string
	Body      string
}

// Sockets tells which sessions have a WebSocket open, where the person
// sees new messages live and needs no notification. A single node knows
// its own sockets; a cluster's answer covers every node.
type Sockets interface {
	// Connected returns the sessions among ids that have a socket open.
	Connected(ctx context.Context, ids []int64) (map[int64]bool, error)
}

// PushConfig turns Web Push on and bounds it.
type PushConfig struct {
	// Sender delivers the pushes; nil turns Web Push off (push.* methods
	// answer UNAVAILABLE).
	Sender PushSender
	// Workers is how many pushes may be in flight at once (16).
	Workers int
	// Queue is how many new messages may wait for their fan-out (10,000);
	// past it a message notifies no one.
	Queue int
	// Timeout bounds one push, connection included (10 s).
	Timeout time.Duration
}

// The words of a private notification, which tells only that there is
// something new.
const (
	PushPrivateTitle = "Haven"
	PushPrivateBody  = "New message"
)

const (
	// pushPage is how many subscriptions a fan-out reads at once.
	pushPage = 256
	// pushTextMax is where a notification's text is cut, in characters:
	// enough to read on a lock screen, and far inside the ~4 KiB a push
	// service accepts.
	pushTextMax = 200
	// pushDropLogEvery spaces the warnings about a full queue.
	pushDropLogEvery = time.Minute
)

// pusher is the Service's Web Push state.
type pusher struct {
	cfg  PushConfig
	jobs chan pushJob
	// users is who may have a subscription: a message that can notify
	// none of them is not looked at further.
	users *pushUsers

	// backlog counts the messages queued or being fanned out and the
	// pushes queued or in flight: zero means everything committed so far
	// has been pushed (or found no one to push to).
	backlog                            atomic.Int64
	dropped, sent, gone, failed, awake atomic.Int64
	lastDropLog                        atomic.Int64 // unix nanoseconds
}

// pushJob is a committed new message waiting for its fan-out: only what
// the notification needs, with its text already cut.
type pushJob struct {
	chatID, messageID, senderID int64
	kind                        haven.ChatKind
	peers                       []int64 // a private chat's two people
	chatTitle                   string
	text                        string
}

// pushDelivery is one push for a worker.
type pushDelivery struct {
	sub *haven.PushSubscription
	n   PushNotification
}

func newPusher(cfg PushConfig) *pusher {
	if cfg.Sender == nil {
		return nil
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 16
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 10_000
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &pusher{cfg: cfg, jobs: make(chan pushJob, cfg.Queue), users: newPushUsers()}
}

// PushStats are counts of Web Push delivery since the start.
type PushStats struct {
	// Backlog is the messages waiting for or in their fan-out plus the
	// pushes waiting for or in delivery, now.
	Backlog int64
	// Dropped messages found the queue full and notified no one.
	Dropped int64
	// Sent, Gone and Failed are the pushes the push services accepted,
	// answered with "no such subscription" (which deletes it), and those
	// that failed otherwise (refused address, timeout, error status).
	Sent, Gone, Failed int64
	// Awake counts the pushes not sent because the session had a socket
	// open.
	Awake int64
}

// PushStats reports the counts of Web Push delivery (zero when it is off).
func (s *Service) PushStats() PushStats {
	p := s.push
	if p == nil {
		return PushStats{}
	}
	return PushStats{Backlog: p.backlog.Load(), Dropped: p.dropped.Load(), Sent: p.sent.Load(),
		Gone: p.gone.Load(), Failed: p.failed.Load(), Awake: p.awake.Load()}
}

// PushPublicKey returns the server's VAPID public key, which a browser
// needs to subscribe. Errors: CodeUnavailable when Web Push is off.
func (s *Service) PushPublicKey(ctx context.Context, a *Actor) ([]byte, error) {
	if s.push == nil {
		return nil, haven.Errorf(haven.CodeUnavailable, "this server does not send push notifications")
	}
	return s.push.cfg.Sender.PublicKey(), nil
}

// PushSubscriptionInput is a browser's push subscription as the client
// gives it: the keys in base64url, as PushSubscription.toJSON() writes
// them.
type PushSubscriptionInput struct {
	Endpoint string
	P256dh   string
	Auth     string
	// Private notifications show "New message" only.
	Private bool
}

// SubscribePush stores a push subscription for the actor's session, or
// updates the session's subscription with the same endpoint. Errors:
// CodeUnavailable, CodePushEndpointInvalid, CodePushKeyInvalid,
// CodePushTooMany.
func (s *Service) SubscribePush(ctx context.Context, a *Actor, in PushSubscriptionInput) error {
	if s.push == nil {
		return haven.Errorf(haven.CodeUnavailable, "this server does not send push notifications")
	}
	if err := s.checkPushEndpoint(in.Endpoint); err != nil {
		return err
	}
	p256dh, err := decodePushKey(in.P256dh)
	if err != nil {
		return haven.Errorf(haven.CodePushKeyInvalid, "p256dh is not base64url")
	}
	if _, err := ecdh.P256().NewPublicKey(p256dh); err != nil {
		return haven.Errorf(haven.CodePushKeyInvalid, "p256dh is not an uncompressed P-256 point")
	}
	auth, err := decodePushKey(in.Auth)
	if err != nil || len(auth) != haven.PushAuthSize {
		return haven.Errorf(haven.CodePushKeyInvalid, "auth must be %d bytes in base64url", haven.PushAuthSize)
	}
	sub := &haven.PushSubscription{SessionID: a.SessionID, UserID: a.UserID, Endpoint: in.Endpoint,
		P256dh: p256dh, Auth: auth, Private: in.Private, CreatedAt: s.now()}
	err = s.store.Update(ctx, func(tx Tx) error {
		subs, err := tx.PushSubscriptions(ctx, a.UserID, a.SessionID)
		if err != nil {
			return err
		}
		known := false
		for _, o := range subs {
			known = known || o.Endpoint == in.Endpoint
		}
		if !known && len(subs) >= s.limits.PushPerSession {
			return haven.Errorf(haven.CodePushTooMany, "a session may have %d push subscriptions; unsubscribe one first", s.limits.PushPerSession)
		}
		if err := tx.PutPushSubscription(ctx, sub); err != nil {
			return err
		}
		tx.AfterCommit(func() { s.push.users.add(a.UserID) })
		return nil
	})
	return s.internal(ctx, "push.subscribe", err)
}

// UnsubscribePush deletes the actor's session's subscription to endpoint;
// one it does not have is not an error (the server may have deleted it
// first, when the push service said it was gone).
func (s *Service) UnsubscribePush(ctx context.Context, a *Actor, endpoint string) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		return tx.DeletePushSubscription(ctx, a.UserID, a.SessionID, endpoint)
	})
	if err == nil && s.push != nil {
		err = s.push.users.recheck(ctx, s.store, a.UserID)
	}
	return s.internal(ctx, "push.unsubscribe", err)
}

// checkPushEndpoint accepts an absolute https URL with a host, no
// credentials and no fragment, within the length limit. Where the host
// points is checked when a push is sent (internal/push), as a name may
// point elsewhere by then. Errors: CodePushEndpointInvalid.
func (s *Service) checkPushEndpoint(endpoint string) error {
	if len(endpoint) > s.limits.PushEndpointMax {
		return haven.Errorf(haven.CodePushEndpointInvalid, "the endpoint is longer than %d bytes", s.limits.PushEndpointMax)
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return haven.Errorf(haven.CodePushEndpointInvalid, "the endpoint must be an https URL with a host")
	}
	return nil
}

// decodePushKey reads base64url with or without padding.
func decodePushKey(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// queuePush notes, inside the transaction that posts m to c, that m may
// notify people once committed: the rule of which messages notify. c and
// m are read now, as the caller may change them after.
func (s *Service) queuePush(tx Tx, c *haven.Chat, m *haven.Message) {
	if s.push == nil || m.Service != nil || m.Silent {
		return
	}
	j := pushJob{chatID: c.ID, messageID: m.ID, senderID: m.SenderID, kind: c.Kind,
		chatTitle: cutText(c.Title, pushTextMax), text: pushText(m)}
	if c.Kind == haven.ChatPrivate {
		j.peers = []int64{c.PeerA, c.PeerB}
	}
	tx.AfterCommit(func() { s.push.enqueue(s.log, s.clock.Now(), j) })
}

// enqueue hands a committed message to the fan-out without waiting; at
// is now, to space the warnings about a full queue.
func (p *pusher) enqueue(log *slog.Logger, at time.Time, j pushJob) {
	p.backlog.Add(1)
	select {
	case p.jobs <- j:
	default:
		p.backlog.Add(-1)
		p.dropped.Add(1)
		now := at.UnixNano()
		if last := p.lastDropLog.Load(); now-last >= int64(pushDropLogEvery) && p.lastDropLog.CompareAndSwap(last, now) {
			log.Warn("the push queue is full: new messages notify no one until it drains", "queue", p.cfg.Queue, "dropped", p.dropped.Load())
		}
	}
}

// RunPush fans committed messages out to the push subscriptions of the
// people they notify until ctx ends. sockets says which sessions are
// connected (nil: none). It returns at once when Web Push is off.
func (s *Service) RunPush(ctx context.Context, sockets Sockets) {
	p := s.push
	if p == nil {
		return
	}
	deliveries := make(chan pushDelivery)
	var wg sync.WaitGroup
	for range p.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range deliveries {
				s.deliverPush(ctx, d)
			}
		}()
	}
	defer func() {
		close(deliveries)
		wg.Wait()
	}()
	// Unloaded, the set answers "maybe" for everyone: on a store others
	// write too, subscriptions may be added where it cannot see them.
	if !s.store.SoleWriter() {
		s.log.Debug("push: the store has other writers; every message's subscribers are read")
	} else if err := p.users.load(ctx, s.store); err != nil && ctx.Err() == nil {
		// Every message is then looked at, as if all had a subscription.
		s.log.Warn("push: reading who has a subscription failed", "err", err)
	}
	for {
		select {
		case j := <-p.jobs:
			s.fanOutPush(ctx, sockets, j, deliveries)
		case <-ctx.Done():
			return
		}
	}
}

// fanOutPush finds who a message notifies, a page at a time, and hands
// their pushes to the workers. Who: the rule of PushTargetQuery (active
// members but the sender, who may see the message, who have not muted the
// chat and, but in channels, where the post is the channel's, who do not
// block the sender), on each of their sessions with no socket open.
func (s *Service) fanOutPush(ctx context.Context, sockets Sockets, j pushJob, out chan<- pushDelivery) {
	p := s.push
	defer p.backlog.Add(-1)
	if !p.users.any(j.peers, j.senderID) {
		return
	}
	full := PushNotification{ChatID: j.chatID, MessageID: j.messageID}
	switch j.kind {
	case haven.ChatPrivate, haven.ChatGroup:
		sender, err := s.store.UserByID(ctx, j.senderID)
		if err != nil {
			s.log.Warn("push: loading the sender failed; the message notifies no one", "err", err)
			return
		}
		if j.kind == haven.ChatPrivate {
			full.Title, full.Body = cutText(fullName(sender), pushTextMax), j.text
		} else {
			full.Title, full.Body = j.chatTitle, cutText(firstName(sender)+": "+j.text, pushTextMax)
		}
	default:
		full.Title, full.Body = j.chatTitle, j.text
	}
	private := PushNotification{ChatID: j.chatID, MessageID: j.messageID, Title: PushPrivateTitle, Body: PushPrivateBody}
	q := PushTargetQuery{ChatID: j.chatID, MessageID: j.messageID, Except: j.senderID, Now: s.now(), Limit: pushPage}
	if j.kind != haven.ChatChannel {
		q.NotBlocking = j.senderID
	}
	for {
		subs, err := s.store.PushTargets(ctx, q)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("push: reading whom to notify failed", "err", err)
			}
			return
		}
		var online map[int64]bool
		if sockets != nil && len(subs) > 0 {
			ids := make([]int64, len(subs))
			for i, sub := range subs {
				ids[i] = sub.SessionID
			}
			if online, err = sockets.Connected(ctx, ids); err != nil {
				// Better a notification on a device that also shows the
				// message than none on one that does not.
				s.log.Warn("push: finding connected sessions failed; pushing to all", "err", err)
			}
		}
		for _, sub := range subs {
			if online[sub.SessionID] {
				p.awake.Add(1)
				continue
			}
			d := pushDelivery{sub: sub, n: full}
			if sub.Private {
				d.n = private
			}
			p.backlog.Add(1)
			select {
			case out <- d:
			case <-ctx.Done():
				p.backlog.Add(-1)
				return
			}
		}
		if len(subs) < q.Limit {
			return
		}
		last := subs[len(subs)-1]
		q.After = PushCursor{UserID: last.UserID, ID: last.ID}
	}
}

// deliverPush sends one push, deleting the subscription if the push
// service says it is gone. The log names the session, never the
// endpoint.
func (s *Service) deliverPush(ctx context.Context, d pushDelivery) {
	p := s.push
	defer p.backlog.Add(-1)
	pctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	err := p.cfg.Sender.Push(pctx, d.sub, d.n)
	cancel()
	switch {
	case err == nil:
		p.sent.Add(1)
	case errors.Is(err, ErrPushGone):
		p.gone.Add(1)
		err := s.store.Update(ctx, func(tx Tx) error { return tx.DeletePushSubscriptionByID(ctx, d.sub.UserID, d.sub.ID) })
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("push: deleting a gone subscription failed", "session", d.sub.SessionID, "err", err)
			}
			return
		}
		s.log.Debug("push: the push service no longer knows a subscription; deleted", "session", d.sub.SessionID)
		if err := p.users.recheck(ctx, s.store, d.sub.UserID); err != nil && ctx.Err() == nil {
			s.log.Warn("push: rechecking a person's subscriptions failed", "err", err)
		}
	default:
		p.failed.Add(1)
		s.log.Debug("push: delivery failed", "session", d.sub.SessionID, "err", err)
	}
}

// pushText is what a notification says of a message: its text, or for
// media a word for the kind with the caption after it.
func pushText(m *haven.Message) string {
	text := strings.TrimSpace(m.Text)
	if m.Media == nil {
		return cutText(text, pushTextMax)
	}
	kind := map[string]string{
		haven.MediaPhoto:    "Photo",
		haven.MediaVideo:    "Video",
		haven.MediaVoice:    "Voice message",
		haven.MediaAudio:    "Audio",
		haven.MediaDocument: "File",
	}[m.Media.Kind]
	if kind == "" {
		kind = "Attachment"
	}
	if text == "" {
		return kind
	}
	return cutText(kind+": "+text, pushTextMax)
}

// cutText cuts s to at most max characters, marking a cut with "…".
func cutText(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:max-1]), " \n") + "…"
}

// fullName is how a notification names a person in its title.
func fullName(u *haven.User) string {
	if u.Deleted {
		return "Deleted Account"
	}
	if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" {
		return n
	}
	return "@" + u.Username
}

// firstName is how a group's notification names the sender before the
// text.
func firstName(u *haven.User) string {
	if u.Deleted || strings.TrimSpace(u.FirstName) == "" {
		return fullName(u)
	}
	return strings.TrimSpace(u.FirstName)
}
