package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/server"
)

// The examples run against a real server that TestMain starts in the
// test binary (the tests start servers of their own).
var (
	// serverURL is the address of the examples' server.
	serverURL string
	// examplesInbox holds the login codes the server sent.
	examplesInbox = &codeInbox{codes: make(map[string]string)}
)

func TestMain(m *testing.M) {
	stop, err := startExamplesServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the examples' server:", err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

// codeInbox receives the login codes that the server posts to its
// webhook code sender.
type codeInbox struct {
	mu    sync.Mutex
	codes map[string]string // to → newest code
}

func (b *codeInbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m struct{ To, Code string }
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	b.codes[m.To] = m.Code
	b.mu.Unlock()
}

// startExamplesServer starts the examples' server and sets serverURL.
func startExamplesServer() (stop func(), err error) {
	hook := httptest.NewServer(examplesInbox)
	dir, err := os.MkdirTemp("", "haven-examples-")
	if err != nil {
		hook.Close()
		return nil, err
	}
	args := []string{"--listen", "127.0.0.1:0", "--data-dir", dir, "--code-sender", "webhook=" + hook.URL,
		"--signin-code-per-ip", "100000", "--flood-rate", "1000", "--flood-burst", "1000"}
	cleanup := func() { hook.Close(); os.RemoveAll(dir) }
	cfg, err := config.LoadServe(args, nil, io.Discard)
	if err != nil {
		cleanup()
		return nil, err
	}
	ctx := context.Background()
	srv, err := server.New(ctx, cfg, server.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		cleanup()
		return nil, err
	}
	if err := srv.Start(ctx); err != nil {
		cleanup()
		return nil, err
	}
	serverURL = srv.URL()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		cleanup()
	}, nil
}

// codeSentTo returns the login code the server sent to a phone number or
// email address. In a real program the person types the code they
// received.
func codeSentTo(to string) string {
	examplesInbox.mu.Lock()
	defer examplesInbox.mu.Unlock()
	return examplesInbox.codes[to]
}

// signedInClient returns a client signed in as a new person, as Example
// shows, and that person.
func signedInClient(email, firstName string) (*client.Client, *client.User) {
	ctx := context.Background()
	c := client.New(serverURL)
	sent, err := c.SendCode(ctx, email, "Example")
	if err != nil {
		log.Fatal(err)
	}
	auth, err := c.SignIn(ctx, sent.LoginToken, codeSentTo(email))
	if err != nil {
		log.Fatal(err)
	}
	if auth.Status == client.StatusSignUpRequired {
		if auth, err = c.SignUp(ctx, sent.LoginToken, firstName, ""); err != nil {
			log.Fatal(err)
		}
	}
	return c, auth.User
}

// Example signs a person in with the code the server sent them (signing
// them up, the first time), then sends a message to their Saved
// Messages: the private chat with themselves.
func Example() {
	ctx := context.Background()
	c := client.New(serverURL)

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
// private chat, then answers in that chat.
func ExampleClient_Send() {
	ctx := context.Background()
	ann, _ := signedInClient("ann.send@example.org", "Ann")
	bob, bobUser := signedInClient("bob.send@example.org", "Bob")

	hi, err := ann.Send(ctx, &client.SendParams{UserID: bobUser.ID, Text: "Hi Bob!"})
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
