package api

import (
	"context"
	"encoding/base64"

	"github.com/havenchat/haven/internal/core"
)

// Web Push parameter structs.
type (
	pushSubscribeParams struct {
		Endpoint string `json:"endpoint" required:"true"`
		P256dh   string `json:"p256dh" required:"true"`
		Auth     string `json:"auth" required:"true"`
		// Private is true when left out: the choice that shows the least
		// on a lock screen.
		Private *bool `json:"private"`
	}
	pushUnsubscribeParams struct {
		Endpoint string `json:"endpoint" required:"true"`
	}
)

// pushConfig answers push.getConfig.
type pushConfig struct {
	VAPIDPublicKey string `json:"vapid_public_key"`
}

// pushTable is the Web Push part of the method table.
func (s *Server) pushTable() []*method {
	co := s.core
	return []*method{
		def("push.getConfig", true, func(ctx context.Context, c *call, _ *none) (any, error) {
			key, err := co.PushPublicKey(ctx, c.actor)
			if err != nil {
				return nil, err
			}
			return pushConfig{VAPIDPublicKey: base64.RawURLEncoding.EncodeToString(key)}, nil
		}),
		def("push.subscribe", true, func(ctx context.Context, c *call, p *pushSubscribeParams) (any, error) {
			private := p.Private == nil || *p.Private
			return true, co.SubscribePush(ctx, c.actor, core.PushSubscriptionInput{Endpoint: p.Endpoint, P256dh: p.P256dh, Auth: p.Auth, Private: private})
		}),
		def("push.unsubscribe", true, func(ctx context.Context, c *call, p *pushUnsubscribeParams) (any, error) {
			return true, co.UnsubscribePush(ctx, c.actor, p.Endpoint)
		}),
	}
}

var _ core.Sockets = (*Server)(nil)

// Connected reports which of the sessions have a WebSocket open on this
// node (core.Sockets): those need no push, as they see new messages live.
func (s *Server) Connected(_ context.Context, ids []int64) (map[int64]bool, error) {
	return s.sockets.connected(ids), nil
}
