// Package retry tries a call again while the server does not answer it:
// the Go SDK's sends (package client) and the secret chats' (package
// client/secret, also in the web app's WebAssembly) share it.
package retry

import (
	"context"
	"math/rand/v2"
	"time"
)

// MaxBackoff is the longest wait between two tries.
const MaxBackoff = 5 * time.Second

// UntilAnswered runs call, a call whose params carry random_ids (a send
// or a forward), until the server answers it: after an error for which
// unanswered is true (a network failure, or a server shutting down), it
// runs it again, waiting longer each time (with jitter), until ctx ends.
// The random_ids make the repeats safe: the server acts once and
// answers every try alike. It returns call's last error.
func UntilAnswered(ctx context.Context, call func() error, unanswered func(error) bool) error {
	backoff := 100 * time.Millisecond
	for {
		err := call()
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
		backoff = min(backoff*2, MaxBackoff)
	}
}
