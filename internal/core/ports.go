package core

import (
	"context"
	"time"
)

// CodeSender delivers one-time codes. Purpose says why the code was sent
// ("sign_in", "password_recovery" or "recovery_email"). Implementations
// live in internal/codesend.
type CodeSender interface {
	// SendCode delivers code to to (an E.164 phone number or an email
	// address). An error means the person will not get the code.
	SendCode(ctx context.Context, to, code, purpose string) error
}

// CodeRoute is implemented by a CodeSender that can say how a code for
// to would travel, so that a person signing in is told where to look.
// Delivery returns one of the Delivery* values, or "" when it cannot
// tell.
type CodeRoute interface {
	Delivery(to string) string
}

// How codes are delivered, as auth.sendCode tells the client.
const (
	// DeliveryLog: written to the server's log, for its operator to read
	// out (development, or a server run for oneself).
	DeliveryLog = "log"
	// DeliveryWebhook: handed to the operator's gateway (an SMS service,
	// say).
	DeliveryWebhook = "webhook"
	// DeliveryEmail: emailed to the address.
	DeliveryEmail = "email"
)

// The purposes a code is sent for.
const (
	PurposeSignIn           = "sign_in"
	PurposePasswordRecovery = "password_recovery"
	// PurposeRecoveryEmail confirms that a new recovery email is its
	// owner's (account.confirmRecoveryEmail).
	PurposeRecoveryEmail = "recovery_email"
)

// Clock tells the time; tests pass a fake one.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Bus carries events between the nodes of a cluster (and within one
// process). Delivery is at most once: a subscriber that misses an event
// recovers from the store, so the bus is a hint, never the truth.
type Bus interface {
	// Publish sends data to every current subscriber of subject. It may
	// queue and return before any subscriber has it (a node's bus does:
	// see internal/bus/ordered); data must not be modified afterwards.
	Publish(ctx context.Context, subject string, data []byte) error
	// Subscribe calls h for every message published to subject until the
	// subscription is closed. h must not block for long.
	Subscribe(subject string, h func(data []byte)) (Subscription, error)
}

// InStepBus is a Bus that can say whether it delivers in step: whether a
// subscription made by a handler while it handles a message receives
// every message published after that one. The in-process bus of a node
// alone does; a network bus, on which other nodes publish and a new
// subscription takes effect later, does not (a node then catches up from
// the store on what it may have missed).
type InStepBus interface {
	Bus
	InStep() bool
}

// InStep reports whether b delivers in step (see InStepBus).
func InStep(b Bus) bool {
	s, ok := b.(InStepBus)
	return ok && s.InStep()
}

// Frames appends a push to dst as the frame its clients receive: the
// wire shapes are the transport's (internal/api's AppendFrame), so core
// hands it the push's kind and a domain value (a ChatEventView, a
// UserEventView, a Typing, a UserStatusView, a secret chat's hint) and
// publishes the bytes, encoded once behind the notice's header (dst),
// for every socket.
type Frames func(dst []byte, kind string, data any) ([]byte, error)

// Subscription is a live interest in a subject.
type Subscription interface {
	Unsubscribe() error
}
