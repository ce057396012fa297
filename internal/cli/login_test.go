package cli

import (
	"strings"
	"testing"
)

func TestParseInviteLink(t *testing.T) {
	for _, c := range []struct{ link, server, code string }{
		{"https://chat.example.org/join/hvi-abcd-efgh-ijkl-mnop", "https://chat.example.org", "hvi-abcd-efgh-ijkl-mnop"},
		{"https://example.org/haven/join/HVIABCDEFGHIJKLMNOP/", "https://example.org/haven", "HVIABCDEFGHIJKLMNOP"},
		{"http://127.0.0.1:8080/join/hvi-abcd-efgh-ijkl-mnop", "http://127.0.0.1:8080", "hvi-abcd-efgh-ijkl-mnop"},
	} {
		server, code, err := parseInviteLink(c.link)
		if err != nil || server != c.server || code != c.code {
			t.Errorf("parseInviteLink(%q) = %q, %q, %v; want %q, %q", c.link, server, code, err, c.server, c.code)
		}
	}
	for link, want := range map[string]string{
		"hvi-abcd-efgh-ijkl-mnop":                      "not an invite link",
		"https://chat.example.org/hvi-abcd":            "not an invite link",
		"ftp://chat.example.org/join/hvi-abcd":         "not an invite link",
		"https://chat.example.org/join/Ab3_-xYz012345": "leads to a chat",
	} {
		if _, _, err := parseInviteLink(link); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseInviteLink(%q) = %v, want an error saying %q", link, err, want)
		}
	}
	for answer, want := range map[string]string{
		" hvi-abcd-efgh-ijkl-mnop ":                        "hvi-abcd-efgh-ijkl-mnop",
		"https://chat.example.org/join/hvi-abcd-efgh-ijkl": "hvi-abcd-efgh-ijkl",
	} {
		if got := inviteCodeOf(answer); got != want {
			t.Errorf("inviteCodeOf(%q) = %q, want %q", answer, got, want)
		}
	}
}
