package client_test

import (
	"context"
	"fmt"
	"log"
	"os"

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

// ExampleClient_UploadFile uploads a file and sends it as a document to
// Saved Messages. It needs a running server, so it has no output to check.
func ExampleClient_UploadFile() {
	ctx := context.Background()
	c := client.New("http://127.0.0.1:8080", client.WithToken("hvn_…"))
	me, err := c.Me(ctx)
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Open("report.pdf")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		log.Fatal(err)
	}
	file, err := c.UploadFile(ctx, f, st.Size(), st.Name())
	if err != nil {
		log.Fatal(err)
	}
	m, err := c.SendMedia(ctx, &client.MediaParams{UserID: me.ID, Kind: "document", FileID: file.ID, Caption: "the report"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Media.Name, m.Media.Size)
}
