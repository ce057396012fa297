package core

import (
	"context"
	"time"

	"github.com/havenchat/haven"
)

// PushTx are the writes of Web Push subscriptions. A subscription
// belongs to a session: deleting the session (DeleteSession,
// DeleteUserSessions, EraseUser) deletes its subscriptions.
type PushTx interface {
	// PutPushSubscription stores sub for sub.SessionID of sub.UserID, replacing the
	// keys and Private of the session's subscription with the same
	// endpoint if there is one (keeping its ID and CreatedAt), and sets
	// sub.ID. Errors: haven.ErrNotFound when the session does not exist.
	PutPushSubscription(ctx context.Context, sub *haven.PushSubscription) error
	// DeletePushSubscription removes a session's subscription to
	// endpoint; a missing one is not an error.
	DeletePushSubscription(ctx context.Context, userID, sessionID int64, endpoint string) error
	// DeletePushSubscriptionByID removes one subscription of userID; a
	// missing one is not an error.
	DeletePushSubscriptionByID(ctx context.Context, userID, id int64) error
}

// PushQueries are the reads of Web Push subscriptions.
type PushQueries interface {
	// PushSubscriptions lists a session's subscriptions by ID.
	PushSubscriptions(ctx context.Context, userID, sessionID int64) ([]*haven.PushSubscription, error)
	// PushTargets lists, ordered by (UserID, ID), up to q.Limit
	// subscriptions after q.After of the people q describes.
	PushTargets(ctx context.Context, q PushTargetQuery) ([]*haven.PushSubscription, error)
	// PushSubscribers lists the people who have a subscription, by id.
	PushSubscribers(ctx context.Context) ([]int64, error)
	// HasPushSubscription reports whether userID has a subscription.
	HasPushSubscription(ctx context.Context, userID int64) (bool, error)
}

// PushTargetQuery describes whose subscriptions a new message may
// notify: the active members (owner, admin, member) of ChatID but
// Except, whose first visible message is at most MessageID, whose chat
// is not muted at Now (no muted_until, or one not after Now), and, when
// NotBlocking is not 0, who do not block NotBlocking.
type PushTargetQuery struct {
	ChatID      int64
	MessageID   int64
	Except      int64
	Now         time.Time
	NotBlocking int64
	// After is where the page starts: past the subscription with this
	// UserID and ID (both 0 for the first page).
	After PushCursor
	Limit int
}

// PushCursor is a position in PushTargets' order.
type PushCursor struct {
	UserID, ID int64
}
