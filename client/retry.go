package client

import (
	"context"
	"errors"
	"net/url"

	"github.com/havenchat/haven/internal/retry"
)

// callUntilAnswered calls a method whose params carry random_ids (a
// send or a forward) until the server answers it (retry.UntilAnswered):
// after a network failure, or a server shutting down (UNAVAILABLE), it
// tries again with the same params until ctx ends.
func (c *Client) callUntilAnswered(ctx context.Context, method string, params, result any) error {
	return retry.UntilAnswered(ctx, func() error { return c.Call(ctx, method, params, result) }, unanswered)
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
