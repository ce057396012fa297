package client

import (
	"context"
	"encoding/base64"
)

// PushSubscription is a browser's Web Push subscription, as
// push.subscribe takes it: the fields of PushSubscription.toJSON(), the
// keys in base64url.
type PushSubscription struct {
	Endpoint string `json:"endpoint"`
	P256dh   string `json:"p256dh"`
	Auth     string `json:"auth"`
	// Private, when set, chooses notifications that show only "New
	// message" (true) or the sender and the text (false); left nil, the
	// server's default, private.
	Private *bool `json:"private,omitempty"`
}

// PushPublicKey returns the server's VAPID public key (push.getConfig),
// an uncompressed P-256 point: a subscription's applicationServerKey.
func (c *Client) PushPublicKey(ctx context.Context) ([]byte, error) {
	r, err := do[struct {
		Key string `json:"vapid_public_key"`
	}](ctx, c, "push.getConfig", nil)
	if err != nil {
		return nil, err
	}
	return base64.RawURLEncoding.DecodeString(r.Key)
}

// SubscribePush keeps a Web Push subscription for the caller's session
// (push.subscribe); the same endpoint again updates it.
func (c *Client) SubscribePush(ctx context.Context, s PushSubscription) error {
	return c.Call(ctx, "push.subscribe", s, nil)
}

// UnsubscribePush deletes the session's subscription to endpoint
// (push.unsubscribe).
func (c *Client) UnsubscribePush(ctx context.Context, endpoint string) error {
	return c.Call(ctx, "push.unsubscribe", obj{"endpoint": endpoint}, nil)
}
