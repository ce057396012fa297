package codesend

import (
	"context"
	"errors"
	"strings"

	"github.com/havenchat/haven/internal/core"
)

// ErrNoSender is returned by Router.SendCode when no sender is set for the
// kind of address (phone or email) it was given.
var ErrNoSender = errors.New("codesend: no sender for this kind of address")

// Router is a core.CodeSender that sends codes for email addresses (any
// address containing '@') through Email and all others, E.164 phone
// numbers, through Phone. Either may be nil, in which case codes for that
// kind of address fail with ErrNoSender.
type Router struct {
	Phone core.CodeSender
	Email core.CodeSender
}

var _ core.CodeSender = Router{}

// SendCode passes the call to Phone or Email and returns its error
// unchanged, or ErrNoSender.
func (r Router) SendCode(ctx context.Context, to, code, purpose string) error {
	s := r.Phone
	if strings.Contains(to, "@") {
		s = r.Email
	}
	if s == nil {
		return ErrNoSender
	}
	return s.SendCode(ctx, to, code, purpose)
}
