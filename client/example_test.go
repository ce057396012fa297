package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/havenchat/haven/client"
)

// Example signs a person in, sends a message to Saved Messages and
// listens for new messages. It needs a running server, so it has no
// output to check.
func Example() {
	ctx := context.Background()
	c := client.New("http://127.0.0.1:8080")

	sent, err := c.SendCode(ctx, "ann@example.org", "Example bot")
	if err != nil {
		log.Fatal(err)
	}
	code := "12345" // the code the person received
	auth, err := c.SignIn(ctx, sent.LoginToken, code)
	if err != nil {
		log.Fatal(err)
	}
	if auth.Status == client.StatusSignUpRequired {
		if auth, err = c.SignUp(ctx, sent.LoginToken, "Ann", ""); err != nil {
			log.Fatal(err)
		}
	}
	me := auth.User

	if _, err := c.Send(ctx, &client.SendParams{UserID: me.ID, Text: "Hello, me"}); err != nil {
		log.Fatal(err)
	}

	for ev := range c.Updates(ctx) {
		if ev.Chat != nil && ev.Chat.Kind == "message.new" && ev.Chat.Message != nil {
			fmt.Printf("%d: %s\n", ev.Chat.Message.SenderID, ev.Chat.Message.Text)
		}
	}
}
