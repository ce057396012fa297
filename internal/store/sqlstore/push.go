package sqlstore

import (
	"context"
	"fmt"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

const pushColumns = `p.id, p.session_id, p.user_id, p.endpoint, p.p256dh, p.auth, p.private, p.created_at`

func scanPush(sc scanner) (*haven.PushSubscription, error) {
	var (
		p       haven.PushSubscription
		created int64
	)
	if err := sc.Scan(&p.ID, &p.SessionID, &p.UserID, &p.Endpoint, &p.P256dh, &p.Auth, &p.Private, &created); err != nil {
		return nil, err
	}
	p.CreatedAt = fromMillis(created)
	return &p, nil
}

// PutPushSubscription stores sub for its session of sub.UserID, or
// updates the keys and Private of the session's subscription to the same
// endpoint; sets sub.ID and CreatedAt. Errors: haven.ErrNotFound when
// the session does not exist.
func (t *Tx) PutPushSubscription(ctx context.Context, sub *haven.PushSubscription) error {
	var created int64
	err := t.queryRow(ctx, `INSERT INTO push_subscriptions (session_id, user_id, endpoint, p256dh, auth, private, created_at)
		SELECT id, user_id, ?, ?, ?, ?, ? FROM sessions WHERE user_id = ? AND id = ?
		ON CONFLICT (user_id, session_id, endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth, private = excluded.private
		RETURNING id, created_at`,
		sub.Endpoint, sub.P256dh, sub.Auth, sub.Private, millis(sub.CreatedAt), sub.UserID, sub.SessionID).Scan(&sub.ID, &created)
	if err != nil {
		return fmt.Errorf("put push subscription of session %d: %w", sub.SessionID, noRows(err))
	}
	sub.CreatedAt = fromMillis(created)
	return nil
}

// DeletePushSubscription removes a session's subscription to endpoint.
func (t *Tx) DeletePushSubscription(ctx context.Context, userID, sessionID int64, endpoint string) error {
	if _, err := t.exec(ctx, `DELETE FROM push_subscriptions WHERE user_id = ? AND session_id = ? AND endpoint = ?`, userID, sessionID, endpoint); err != nil {
		return fmt.Errorf("delete push subscription of session %d: %w", sessionID, err)
	}
	return nil
}

// DeletePushSubscriptionByID removes one subscription.
func (t *Tx) DeletePushSubscriptionByID(ctx context.Context, userID, id int64) error {
	if _, err := t.exec(ctx, `DELETE FROM push_subscriptions WHERE user_id = ? AND id = ?`, userID, id); err != nil {
		return fmt.Errorf("delete push subscription %d: %w", id, err)
	}
	return nil
}

// PushSubscriptions lists a session's subscriptions by id.
func (q Queries) PushSubscriptions(ctx context.Context, userID, sessionID int64) ([]*haven.PushSubscription, error) {
	subs, err := queryAll(ctx, q.DB, scanPush, `SELECT `+pushColumns+` FROM push_subscriptions p
		WHERE p.user_id = ? AND p.session_id = ? ORDER BY p.id`, userID, sessionID)
	if err != nil {
		return nil, fmt.Errorf("push subscriptions of session %d: %w", sessionID, err)
	}
	return subs, nil
}

// pushTargetsQuery walks the chat's members in id order (its primary
// key) and seeks each one's subscriptions (push_subscriptions_user): the
// cost follows the chat's size, whatever the number of subscriptions on
// the server, and a page resumes where the last ended without sorting.
// The members come first (CROSS JOIN keeps the order): the server's
// subscriptions may far outnumber a small chat's members.
const pushTargetsQuery = `SELECT ` + pushColumns + ` FROM members mb CROSS JOIN push_subscriptions p
	WHERE mb.chat_id = ?1 AND mb.user_id >= ?2
		AND p.user_id = mb.user_id AND (mb.user_id > ?2 OR p.id > ?3)
		AND mb.role IN ('owner', 'admin', 'member') AND mb.user_id <> ?4
		AND mb.min_message_id <= ?5
		AND (mb.muted_until IS NULL OR mb.muted_until <= ?6)
		AND (?7 = 0 OR NOT EXISTS (SELECT 1 FROM blocks b WHERE b.owner = mb.user_id AND b.user_id = ?7))
	ORDER BY mb.user_id, p.id LIMIT ?8`

// PushTargets lists the subscriptions a new message may notify; see
// core.PushTargetQuery.
func (q Queries) PushTargets(ctx context.Context, tq core.PushTargetQuery) ([]*haven.PushSubscription, error) {
	subs, err := queryAll(ctx, q.DB, scanPush, pushTargetsQuery, tq.ChatID, tq.After.UserID, tq.After.ID,
		tq.Except, tq.MessageID, millis(tq.Now), tq.NotBlocking, tq.Limit)
	if err != nil {
		return nil, fmt.Errorf("push targets of chat %d: %w", tq.ChatID, err)
	}
	return subs, nil
}

// PushSubscribers lists the people with a subscription, walking
// push_subscriptions_user.
func (q Queries) PushSubscribers(ctx context.Context) ([]int64, error) {
	ids, err := q.ids(ctx, `SELECT DISTINCT user_id FROM push_subscriptions ORDER BY user_id`)
	if err != nil {
		return nil, fmt.Errorf("push subscribers: %w", err)
	}
	return ids, nil
}

// HasPushSubscription reports whether userID has a subscription.
func (q Queries) HasPushSubscription(ctx context.Context, userID int64) (bool, error) {
	var has bool
	err := q.DB.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM push_subscriptions WHERE user_id = ?)`, userID).Scan(&has)
	if err != nil {
		return false, fmt.Errorf("push subscriptions of user %d: %w", userID, err)
	}
	return has, nil
}
