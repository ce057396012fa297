package client_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// examples is the real server the examples run against, which TestMain
// starts in the test binary (the tests start servers of their own).
var examples *testserver.Server

func TestMain(m *testing.M) { testserver.Main(m, &examples) }

// codeSentTo returns the login code the server sent to a phone number or
// email address. In a real program the person types the code they
// received.
func codeSentTo(to string) string {
	code, err := examples.CodeSentTo(to)
	if err != nil {
		log.Fatal(err)
	}
	return code
}

// signedInClient returns a client signed in as a new person, as Example
// shows, and that person.
func signedInClient(email, firstName string) (*client.Client, *client.User) {
	c, u, err := examples.SignIn(context.Background(), email, firstName)
	if err != nil {
		log.Fatal(err)
	}
	return c, u
}

// Example signs a person in with the code the server sent them (signing
// them up, the first time), then sends a message to their Saved
// Messages: the private chat with themselves.
func Example() {
	ctx := context.Background()
	c := client.New(examples.URL)

	sent, err := c.SendCode(ctx, "ann@example.org", "Example bot")
	if err != nil {
		log.Fatal(err)
	}
	code := codeSentTo("ann@example.org") // the code the person received
	auth, err := c.SignIn(ctx, sent.LoginToken, code)
	if err != nil {
		log.Fatal(err)
	}
	if auth.Status == client.StatusSignUpRequired {
		if auth, err = c.SignUp(ctx, sent.LoginToken, "Ann", ""); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("signed in as", auth.User.FirstName)
	// The client now holds the session's token; keep it to sign in
	// again without a code: client.New(url, client.WithToken(token)).

	m, err := c.Send(ctx, &client.SendParams{UserID: auth.User.ID, Text: "Hello, me"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("sent:", m.Text)
	// Output:
	// signed in as Ann
	// sent: Hello, me
}

// ExampleClient_Send sends a message to a person, which makes their
// private chat, then answers in that chat. Ann finds Bob by his
// username first: a user id alone reaches only people one has a reason
// to see (a contact, a shared chat, someone found by username).
func ExampleClient_Send() {
	ctx := context.Background()
	ann, _ := signedInClient("ann.send@example.org", "Ann")
	bob, _ := signedInClient("bob.send@example.org", "Bob")
	if _, err := bob.UpdateUsername(ctx, "bob_sends"); err != nil {
		log.Fatal(err)
	}
	found, err := ann.ResolveUsername(ctx, "@bob_sends")
	if err != nil {
		log.Fatal(err)
	}

	hi, err := ann.Send(ctx, &client.SendParams{UserID: found.ID, Text: "Hi Bob!"})
	if err != nil {
		log.Fatal(err)
	}
	// A retry with the same params (and so the same random_id) would
	// answer the same message rather than send it twice.
	reply, err := bob.Send(ctx, &client.SendParams{ChatID: hi.ChatID, Text: "Hi Ann.", ReplyToID: hi.ID})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(reply.Text, "answers", reply.ReplyToID == hi.ID)

	history, err := ann.History(ctx, client.HistoryParams{ChatID: hi.ChatID})
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range history { // newest first
		fmt.Println(m.Text)
	}
	// Output:
	// Hi Ann. answers true
	// Hi Ann.
	// Hi Bob!
}

// ExampleClient_Updates listens for new messages while someone writes.
func ExampleClient_Updates() {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ann, annUser := signedInClient("ann.updates@example.org", "Ann")
	bob, bobUser := signedInClient("bob.updates@example.org", "Bob")
	// Ann found Bob by his username (see ExampleClient_Send).
	if _, err := bob.UpdateUsername(ctx, "bob_listens"); err != nil {
		log.Fatal(err)
	}
	if _, err := ann.ResolveUsername(ctx, "bob_listens"); err != nil {
		log.Fatal(err)
	}

	// Every event after Updates returns is on the stream.
	events := bob.Updates(ctx)

	if _, err := ann.Send(ctx, &client.SendParams{UserID: bobUser.ID, Text: "Are you there?"}); err != nil {
		log.Fatal(err)
	}
	for ev := range events { // until stop: then the channel closes
		if ev.Chat == nil || ev.Chat.Kind != "message.new" || ev.Chat.Message == nil {
			continue // other kinds: read receipts, edits, typing …
		}
		m := ev.Chat.Message
		fmt.Printf("from Ann: %v, text: %s\n", m.SenderID == annUser.ID, m.Text)
		stop()
	}
	// Output:
	// from Ann: true, text: Are you there?
}

// ExampleClient_UploadFile uploads a file, sends it as a document to
// Saved Messages, and downloads it again.
func ExampleClient_UploadFile() {
	ctx := context.Background()
	c, me := signedInClient("ann.files@example.org", "Ann")

	// Any io.ReaderAt will do, such as an *os.File.
	report := strings.NewReader("Q3: all good.\n")
	file, err := c.UploadFile(ctx, report, report.Size(), "report.txt")
	if err != nil {
		log.Fatal(err)
	}
	m, err := c.SendMedia(ctx, &client.MediaParams{UserID: me.ID, Kind: "document", FileID: file.ID, Caption: "the report"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Text, m.Media.Name, m.Media.Size)

	var got bytes.Buffer
	if _, err := c.Download(ctx, m.Media.FileID, &got); err != nil {
		log.Fatal(err)
	}
	fmt.Print(got.String())
	// Output:
	// the report report.txt 14
	// Q3: all good.
}

// ExampleSecretChats holds a secret chat: each person's session becomes
// a secret-chat device (its keys in a file of mode 0600), Ann writes, and
// Bob's device decrypts it. The server relays only ciphertext.
func ExampleSecretChats() {
	ctx := context.Background()
	ann, _ := signedInClient("ann.secret@example.org", "Ann")
	bob, bobUser := signedInClient("bob.secret@example.org", "Bob")
	if err := testserver.Befriend(ctx, ann, bob); err != nil { // people meet before they write
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "secret-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	annChats, err := client.CreateSecretDevice(ctx, ann, filepath.Join(dir, "ann.json"))
	if err != nil {
		log.Fatal(err)
	}
	bobChats, err := client.CreateSecretDevice(ctx, bob, filepath.Join(dir, "bob.json"))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := annChats.SendText(ctx, bobUser.ID, "Only you can read this", 0); err != nil {
		log.Fatal(err)
	}
	events, err := bobChats.Receive(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, ev := range events {
		fmt.Println(ev.Kind, ev.Message.Text)
	}
	// Output: message Only you can read this
}
