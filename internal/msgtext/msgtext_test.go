package msgtext

import (
	"fmt"
	"strings"
	"testing"

	"github.com/havenchat/haven/client"
)

func TestWords(t *testing.T) {
	name := func(id int64) string { return fmt.Sprintf("P%d", id) }
	for _, c := range []struct{ got, want string }{
		{FullName(&client.User{FirstName: "Ann", LastName: "Lee"}), "Ann Lee"},
		{FullName(&client.User{Username: "ann_lee"}), "@ann_lee"},
		{FullName(&client.User{Deleted: true}), "Deleted Account"},
		{FullName(nil), ""},
		{Media(&client.Media{Kind: "photo", Name: "a.png"}), "[photo]"},
		{Media(&client.Media{Kind: "document", Name: "a.pdf"}), "[document: a.pdf]"},
		{Media(&client.Media{Kind: "voice", Name: "v.ogg", Duration: 75}), "[voice: v.ogg 1:15]"},
		{Service(&client.Message{Service: &client.ServiceAction{Type: "members_added", UserIDs: []int64{2, 3}}}, "Ann", name), "Ann added P2, P3"},
		{Service(&client.Message{Service: &client.ServiceAction{Type: "chat_created", Title: "Climbing"}}, "Ann", name), `Ann created the chat "Climbing"`},
		{Service(&client.Message{Service: &client.ServiceAction{Type: "ttl_changed", Seconds: 86400}}, "Ann", name), "Ann set the auto-delete timer to 24h0m0s"},
		{Service(&client.Message{Service: &client.ServiceAction{Type: "brand_new"}}, "Ann", name), "Ann: brand_new"},
		{Preview(&client.Message{Text: "two\nlines"}), "two lines"},
		{Preview(&client.Message{Text: "the plan", Media: &client.Media{Kind: "document", Name: "p.pdf"}}), "[document: p.pdf] the plan"},
		{Preview(&client.Message{Service: &client.ServiceAction{Type: "member_left"}}), "(member left)"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestInert: control characters from others are shown, never sent to
// the terminal as such; line breaks, tabs and other text stay, and the
// length in UTF-16 units does not change.
func TestInert(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain text, ünïcödé ☕", "plain text, ünïcödé ☕"},
		{"\x1b]0;pwned\x07 and \x1b[2J", "␛]0;pwned␇ and ␛[2J"},
		{"two\nlines\tand a tab", "two\nlines\tand a tab"},
		{"del\x7f c1\u009b31m bad\xffbyte", "del␡ c1�31m bad�byte"},
		{"\r\x00", "␍␀"},
	} {
		got := Inert(c.in)
		if got != c.want {
			t.Errorf("Inert(%q) = %q, want %q", c.in, got, c.want)
		}
		if c.in == got {
			continue
		}
		for _, r := range got {
			if r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f {
				t.Errorf("Inert(%q) kept %U", c.in, r)
			}
		}
	}
	if got := FullName(&client.User{FirstName: "Eve\x1b[2J"}); got != "Eve␛[2J" {
		t.Errorf("FullName of a name with ESC = %q", got)
	}
	if got := Preview(&client.Message{Text: "hi\x1b]0;x\x07"}); got != "hi␛]0;x␇" {
		t.Errorf("Preview = %q", got)
	}
	if got := Media(&client.Media{Kind: "document", Name: "a\x1b[31m.txt"}); got != "[document: a␛[31m.txt]" {
		t.Errorf("Media = %q", got)
	}
}

// TestCodeSent: sign-in says where the code went, in words, for each
// way the server delivers it.
func TestCodeSent(t *testing.T) {
	for _, c := range []struct {
		sent client.SentCode
		want string
	}{
		{client.SentCode{Kind: "phone", Delivery: "log", CodeLength: 5}, "A 5-digit code for +447400123456 was written to the server's log"},
		{client.SentCode{Kind: "phone", Delivery: "webhook", CodeLength: 5}, "sent to +447400123456 through the server's code gateway (usually by SMS)"},
		{client.SentCode{Kind: "email", Delivery: "email", CodeLength: 5}, "A 5-digit code was emailed to +447400123456."},
		{client.SentCode{Kind: "email", CodeLength: 5}, "was sent by email to"},
		{client.SentCode{Kind: "phone", Delivery: "pigeon\x1b[2J", CodeLength: 5}, "was sent by pigeon␛[2J to"},
	} {
		if got := CodeSent(&c.sent, "+447400123456"); !strings.Contains(got, c.want) {
			t.Errorf("CodeSent(%+v) = %q, want it to say %q", c.sent, got, c.want)
		}
	}
}
