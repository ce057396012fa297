package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/url"
	"time"
)

// maxSendBackoff is the longest wait between two tries of a send.
const maxSendBackoff = 5 * time.Second

// callUntilAnswered calls a method whose params carry random_ids (a
// send or a forward) until the server answers it: after a network
// failure, or a server shutting down (UNAVAILABLE), it tries again with
// the same params, waiting longer each time (with jitter), until ctx
// ends. The random_ids make the repeats safe: the server posts the
// message once and answers every try with it.
func (c *Client) callUntilAnswered(ctx context.Context, method string, params, result any) error {
	backoff := 100 * time.Millisecond
	for {
		err := c.Call(ctx, method, params, result)
		if err == nil || !unanswered(err) || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(backoff/2 + rand.N(backoff/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		backoff = min(backoff*2, maxSendBackoff)
	}
}

// unanswered reports whether err means the server did not take the
// call: the request or its answer was lost, or the server was shutting
// down.
func unanswered(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Code == "UNAVAILABLE"
	}
	var ue *url.Error
	return errors.As(err, &ue)
}
