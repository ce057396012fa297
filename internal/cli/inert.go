package cli

import (
	"io"
	"unicode/utf8"

	"github.com/havenchat/haven/internal/msgtext"
)

// inertWriter shows control characters inert (msgtext.Inert) in all
// that a command prints: names, messages, captions, file names and the
// server's own messages come from others, and a terminal would act on
// the escape sequences in them. The commands print no escapes of their
// own. A UTF-8 sequence cut between two writes is kept for the next.
type inertWriter struct {
	w    io.Writer
	tail []byte // the start of a UTF-8 sequence the last write ended in
}

func (iw *inertWriter) Write(p []byte) (int, error) {
	buf := append(iw.tail, p...)
	iw.tail = nil
	// Keep back a sequence that may still be completed.
	cut := len(buf)
	for i := len(buf) - 1; i >= 0 && i >= len(buf)-utf8.UTFMax; i-- {
		if utf8.RuneStart(buf[i]) {
			if !utf8.FullRune(buf[i:]) {
				cut = i
			}
			break
		}
	}
	iw.tail = append([]byte(nil), buf[cut:]...)
	if _, err := io.WriteString(iw.w, msgtext.Inert(string(buf[:cut]))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// inert returns env with its output shown inert.
func inert(env Env) Env {
	if _, ok := env.Stdout.(*inertWriter); !ok && env.Stdout != nil {
		env.Stdout = &inertWriter{w: env.Stdout}
	}
	if _, ok := env.Stderr.(*inertWriter); !ok && env.Stderr != nil {
		env.Stderr = &inertWriter{w: env.Stderr}
	}
	return env
}
