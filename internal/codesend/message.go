package codesend

import (
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"time"

	"github.com/havenchat/haven/internal/core"
)

// maxCodeLen bounds a code; real ones are a handful of digits.
const maxCodeLen = 64

// checkCode rejects codes that could not be put in a mail safely: empty,
// too long, or anything but printable ASCII. Its errors never quote the
// code.
func checkCode(code string) error {
	if code == "" {
		return errors.New("codesend: empty code")
	}
	if len(code) > maxCodeLen {
		return errors.New("codesend: code too long")
	}
	for i := 0; i < len(code); i++ {
		if code[i] <= ' ' || code[i] > '~' {
			return errors.New("codesend: code has a character other than printable ASCII")
		}
	}
	return nil
}

// checkRecipient accepts a bare email address (no display name, no angle
// brackets) and nothing with CR, LF or another control character, so a
// recipient can neither add headers nor add envelope recipients.
func checkRecipient(to string) error {
	if strings.ContainsFunc(to, isControl) {
		return errors.New("codesend: recipient address contains control characters")
	}
	if len(to) > 254 {
		return errors.New("codesend: recipient address too long")
	}
	a, err := mail.ParseAddress(to)
	if err != nil || a.Name != "" || a.Address != to {
		return fmt.Errorf("codesend: %q is not a plain email address", to)
	}
	return nil
}

// emailText returns the subject and plain-text body (CRLF line ends) of the
// mail that carries code for purpose. Errors: purpose is not one of
// core.PurposeSignIn, core.PurposePasswordRecovery and
// core.PurposeRecoveryEmail.
func emailText(code, purpose string, ttl time.Duration) (subject, body string, err error) {
	expires := "It expires in " + formatTTL(ttl) + "."
	var lines []string
	switch purpose {
	case core.PurposeSignIn:
		subject = "Your Haven sign-in code"
		lines = []string{
			"Your Haven code is " + code + ". " + expires,
			"",
			"If you did not ask for it, ignore this message.",
			"Never give this code to anyone else.",
		}
	case core.PurposePasswordRecovery:
		subject = "Your Haven password recovery code"
		lines = []string{
			"Your Haven password recovery code is " + code + ". " + expires,
			"",
			"If you did not ask to reset your password, ignore this message:",
			"your password has not been changed.",
			"Never give this code to anyone else.",
		}
	case core.PurposeRecoveryEmail:
		subject = "Confirm your Haven recovery email"
		lines = []string{
			"Your Haven confirmation code is " + code + ". " + expires,
			"",
			"Someone set this address as the recovery email of a Haven account.",
			"If it was not you, ignore this message: the address will not be used.",
			"Never give this code to anyone else.",
		}
	default:
		return "", "", fmt.Errorf("codesend: unknown purpose %q", purpose)
	}
	return subject, strings.Join(lines, "\r\n") + "\r\n", nil
}

// formatTTL writes d for people: "5 minutes", "1 minute", "90 seconds".
func formatTTL(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return plural(int64(d/time.Minute), "minute")
	case d >= time.Second && d%time.Second == 0:
		return plural(int64(d/time.Second), "second")
	}
	return d.String()
}

// buildMessage returns an RFC 5322 message with CRLF line ends. from and
// to must already be checked (checkRecipient, NewSMTP); the body must be
// ASCII with CRLF line ends. messageID is the part between < and >.
func buildMessage(from *mail.Address, to, subject, body string, date time.Time, messageID string) []byte {
	var b strings.Builder
	header := func(name, value string) {
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(value)
		b.WriteString("\r\n")
	}
	header("From", from.String())
	header("To", (&mail.Address{Address: to}).String())
	header("Subject", mime.QEncoding.Encode("utf-8", subject))
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", "<"+messageID+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "7bit")
	// RFC 3834: keeps vacation responders from answering a robot.
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	b.WriteString(body)
	return []byte(b.String())
}
