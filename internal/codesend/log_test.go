package codesend

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestLogWritesOneLine(t *testing.T) {
	var buf bytes.Buffer
	l := NewLog(slog.New(slog.NewTextHandler(&buf, nil)))

	if err := l.SendCode(context.Background(), "+447700900123", "12345", "sign_in"); err != nil {
		t.Fatal(err)
	}

	out := buf.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("want exactly one line, got %q", out)
	}
	for _, want := range []string{
		"level=WARN",
		`msg="LOGIN CODE"`,
		"to=+447700900123",
		"code=12345",
		"purpose=sign_in",
	} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("line %q lacks %q", lines[0], want)
		}
	}
}

func TestLogCanceledContext(t *testing.T) {
	var buf bytes.Buffer
	l := NewLog(slog.New(slog.NewTextHandler(&buf, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := l.SendCode(ctx, "a@example.org", "12345", "sign_in")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if buf.Len() != 0 {
		t.Errorf("logged %q after the context ended", buf.String())
	}
}
