package msgtext

import (
	"fmt"
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
