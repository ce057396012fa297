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

var (
	_ core.CodeSender = Router{}
	_ core.CodeRoute  = Router{}
)

// Delivery asks the sender that to would go through, and says "" when
// that sender cannot tell or there is none.
func (r Router) Delivery(to string) string {
	if rt, ok := r.route(to).(core.CodeRoute); ok {
		return rt.Delivery(to)
	}
	return ""
}

func (r Router) route(to string) core.CodeSender {
	if strings.Contains(to, "@") {
		return r.Email
	}
	return r.Phone
}

// SendCode passes the call to Phone or Email and returns its error
// unchanged, or ErrNoSender.
func (r Router) SendCode(ctx context.Context, to, code, purpose string) error {
	s := r.route(to)
	if s == nil {
		return ErrNoSender
	}
	return s.SendCode(ctx, to, code, purpose)
}
