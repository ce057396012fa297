package codesend

import (
	"context"
	"log/slog"

	"github.com/havenchat/haven/internal/core"
)

// LogMessage is the message of the log line Log writes, so that a person
// can find it with grep.
const LogMessage = "LOGIN CODE"

// Log is a core.CodeSender that writes each code to the server log as one
// line at Warn level: message "LOGIN CODE" with the attributes to, code and
// purpose.
//
// Log is the one deliberate exception to the rule that codes are never
// logged. It is meant for development and for a single person running Haven
// for themselves (on a laptop, say), who reads the code from the terminal
// instead of receiving it. Anyone who can read the log can sign in as any
// user, so do not use it on a server with other people's accounts.
//
// A Log is safe for concurrent use.
type Log struct {
	logger *slog.Logger
}

var (
	_ core.CodeSender = (*Log)(nil)
	_ core.CodeRoute  = (*Log)(nil)
)

// NewLog returns a Log that writes to logger. It panics if logger is nil:
// that is a wiring mistake, not something to recover from.
func NewLog(logger *slog.Logger) *Log {
	if logger == nil {
		panic("codesend: NewLog with a nil logger")
	}
	return &Log{logger: logger}
}

// Delivery says codes go to the server's log.
func (*Log) Delivery(string) string { return core.DeliveryLog }

// SendCode writes the code to the log. It fails only when ctx is already
// done, with ctx.Err().
func (l *Log) SendCode(ctx context.Context, to, code, purpose string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// Warn, not Info: the line should stand out, and still appear when the
	// operator has turned the log level up to Warn.
	l.logger.LogAttrs(ctx, slog.LevelWarn, LogMessage,
		slog.String("to", to),
		slog.String("code", code),
		slog.String("purpose", purpose),
	)
	return nil
}
