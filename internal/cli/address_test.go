package cli

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	for _, c := range []struct {
		in   string
		want address
	}{
		{"me", address{raw: "me", me: true}},
		{"@Ann_Lee", address{raw: "@Ann_Lee", username: "Ann_Lee"}},
		{"user:42", address{raw: "user:42", userID: 42}},
		{"chat:7", address{raw: "chat:7", chatID: 7}},
	} {
		got, err := parseAddress(c.in)
		if err != nil || got != c.want {
			t.Errorf("parseAddress(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for in, msg := range map[string]string{
		"42":       `"42" is ambiguous`,
		"@":        "a username must follow the @",
		"user:":    "must be followed by a positive number",
		"chat:-3":  "must be followed by a positive number",
		"user:1x":  "must be followed by a positive number",
		"":         "the chat is empty",
		"ann":      `cannot tell which chat "ann" is`,
		"group:12": `cannot tell which chat "group:12" is`,
	} {
		_, err := parseAddress(in)
		var u *usageError
		if !errors.As(err, &u) || !strings.Contains(err.Error(), msg) {
			t.Errorf("parseAddress(%q): %v; want a usage error with %q", in, err, msg)
		}
	}
}
