package tui_test

import (
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/cli"
	"github.com/havenchat/haven/internal/ptytest"
)

const ctrlE, ctrlS = "\x05", "\x13"

// TestSecretChat: in haven chat, Ctrl+E in a private chat opens the
// secret chat with the same person, setting this device up the first
// time (its keys in a 0600 file beside the session); a message written
// there reaches the other person's SDK decrypted, their answer shows up,
// and Ctrl+S shows the safety number their device shows.
func TestSecretChat(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	c := ctx(t)
	bobSC, err := client.CreateSecretDevice(c, bob, filepath.Join(t.TempDir(), "bob.json"))
	if err != nil {
		t.Fatal(err)
	}
	first := send(t, bob, client.SendParams{UserID: annU.ID, Text: "Let's talk in secret"})
	cfg := signedIn(t, srv, ann)
	work := t.TempDir()
	a := startChat(t, cfg, 100, 30, work)
	a.see("Bob", "Let's talk in secret")
	a.typ(ptytest.Enter)
	a.see("│  Let's talk in secret", "Write a message")
	a.typ(ctrlE)
	a.see("Secret chat with Bob", "No secret messages yet")

	fi, err := os.Stat(cli.SecretPath(cfg, annU.ID))
	if err != nil {
		t.Fatalf("the device's secret-chat keys: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("the keys' file has mode %v, want 0600", fi.Mode().Perm())
	}

	a.typ("Meet at the old bridge", ptytest.Enter)
	a.see("You", "Meet at the old bridge")
	var got []string
	waitFor(t, func() bool {
		got = append(got, receiveTexts(t, c, bobSC)...)
		return slices.Contains(got, "Meet at the old bridge")
	}, "Bob's device decrypting Ann's secret message")
	if _, err := bobSC.SendText(c, annU.ID, "Bring the map", 0); err != nil {
		t.Fatal(err)
	}
	a.see("Bring the map")

	sn, err := bobSC.SafetyNumber(c, annU.ID)
	if err != nil {
		t.Fatal(err)
	}
	g := strings.Fields(sn.Grouped())
	a.typ(ctrlS)
	a.see("Safety number with Bob", strings.Join(g[:4], " "), strings.Join(g[4:8], " "), strings.Join(g[8:], " "))

	// Files both ways: Bob's opens into Ann's working directory with
	// Ctrl+D; Ann's, sent with Ctrl+O, opens on Bob's device.
	plan := []byte(strings.Repeat("the route, in secret\n", 3000))
	if _, err := bobSC.SendFile(c, annU.ID, "plan.txt", plan, "", 0); err != nil {
		t.Fatal(err)
	}
	a.see("📎 plan.txt")
	a.typ("\x04") // Ctrl+D
	a.see("Saved plan.txt")
	if got, err := os.ReadFile(filepath.Join(work, "plan.txt")); err != nil || string(got) != string(plan) {
		t.Fatalf("the saved file: %d bytes, %v", len(got), err)
	}
	mine := filepath.Join(t.TempDir(), "photo.raw")
	if err := os.WriteFile(mine, []byte(strings.Repeat("pixels ", 5000)), 0o600); err != nil {
		t.Fatal(err)
	}
	a.typ(ptytest.CtrlO)
	a.see("Send file secretly:")
	a.typ(mine, ptytest.Enter)
	a.see("📎 photo.raw")
	waitFor(t, func() bool {
		evs, err := bobSC.Receive(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Kind == "message" && ev.Message.File != nil && ev.Message.File.Name == "photo.raw" {
				data, err := bobSC.OpenFile(c, ev.Message)
				if err != nil || string(data) != strings.Repeat("pixels ", 5000) {
					t.Fatalf("Bob opened Ann's file: %d bytes, %v", len(data), err)
				}
				return true
			}
		}
		return false
	}, "Bob's device opening Ann's secret file")

	// A message with a 3-second timer: shown, read (the app marks what
	// it shows), then gone from Ann's screen and from Bob's device.
	burn, err := bobSC.SendText(c, annU.ID, "This burns in three seconds", 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	a.see("This burns in three seconds")
	a.seeNot("This burns in three seconds")
	waitFor(t, func() bool {
		if _, err := bobSC.Receive(c); err != nil {
			t.Fatal(err)
		}
		ms, err := bobSC.Messages(annU.ID)
		if err != nil {
			t.Fatal(err)
		}
		return !slices.ContainsFunc(ms, func(m client.SecretMessage) bool { return m.ID == burn.ID })
	}, "the read message gone from Bob's device")

	// The cloud chat never saw the secret messages.
	if last := lastMessage(t, bob, first.ChatID); last.ID != first.ID {
		t.Fatalf("the cloud chat has a new message: %+v", last)
	}
	a.typ(ptytest.Esc)
	a.see("│  Let's talk in secret")

	// With the secret chat closed, a new secret message is announced
	// (the server's push), and Ctrl+E shows it.
	if _, err := bobSC.SendText(c, annU.ID, "Are you there?", 0); err != nil {
		t.Fatal(err)
	}
	a.see("New secret message from Bob")
	a.typ(ctrlE)
	a.see("Secret chat with Bob", "Are you there?")
	a.typ(ptytest.Esc)
	a.see("│  Let's talk in secret")

	// haven logout removes the keys' file, and the server the device.
	a.quit()
	out, err := logout(cfg).CombinedOutput()
	if err != nil {
		t.Fatalf("haven logout: %v\n%s", err, out)
	}
	if _, err := os.Stat(cli.SecretPath(cfg, annU.ID)); !os.IsNotExist(err) {
		t.Fatalf("the keys' file after haven logout: %v", err)
	}
	devs, err := bob.SecretDeviceList(c, annU.ID)
	if err != nil || len(devs.Active) != 0 {
		t.Fatalf("Ann's active devices after she logged out: %+v, %v", devs, err)
	}
}

func logout(cfg string) *exec.Cmd {
	cmd := exec.Command(haven, "logout")
	cmd.Env = havenEnv(cfg)
	return cmd
}

// TestSecretLinkDevice: when the account has secret-chat devices
// already, Ctrl+E asks for the account key of one of them; given it,
// the app's session becomes another device of the account and gets the
// messages sent from then on, to it and from the person's other device.
func TestSecretLinkDevice(t *testing.T) {
	srv, ann, annU, bob := annAndBob(t)
	c := ctx(t)
	dir := t.TempDir()
	annPhone, err := client.CreateSecretDevice(c, ann, filepath.Join(dir, "ann-phone.json"))
	if err != nil {
		t.Fatal(err)
	}
	bobSC, err := client.CreateSecretDevice(c, bob, filepath.Join(dir, "bob.json"))
	if err != nil {
		t.Fatal(err)
	}
	send(t, bob, client.SendParams{UserID: annU.ID, Text: "Hello again"})

	// The app runs as another session of Ann's.
	laptop, _, err := srv.SignIn(c, "ann@example.org", "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := signedIn(t, srv, laptop)
	a := startChat(t, cfg, 100, 30, "")
	a.see("Bob", "Hello again")
	a.typ(ptytest.Enter)
	a.see("│  Hello again")
	a.typ(ctrlE)
	a.see("Account key from your other device")
	a.typ("not a key", ptytest.Enter)
	a.see("an account key is 64 hexadecimal digits")
	a.typ(ctrlE)
	a.see("Account key from your other device")
	a.typ(hex.EncodeToString(annPhone.AccountSeed()), ptytest.Enter)
	a.see("Secret chats are set up on this device")
	a.typ(ctrlE)
	a.see("Secret chat with Bob", "No secret messages yet")

	// Bob writes; both of Ann's devices get it. Ann's phone answers; the
	// laptop shows its own person's answer too.
	if _, err := bobSC.SendText(c, annU.ID, "To both your devices", 0); err != nil {
		t.Fatal(err)
	}
	a.see("To both your devices")
	// The phone gets the message, and that the laptop showed (read) it.
	var kinds []string
	waitFor(t, func() bool {
		evs, err := annPhone.Receive(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Kind == "message" && ev.Message.Text != "To both your devices" {
				t.Fatalf("Ann's phone received %+v", ev.Message)
			}
			kinds = append(kinds, ev.Kind)
		}
		return slices.Contains(kinds, "message") && slices.Contains(kinds, "read")
	}, "Ann's phone receiving Bob's message and the laptop's read")
	if _, err := annPhone.SendText(c, bobSC.UserID(), "Answered from my phone", 0); err != nil {
		t.Fatal(err)
	}
	a.see("You", "Answered from my phone")
}

// receiveTexts receives on sc and gives the texts of the messages that
// came.
func receiveTexts(t *testing.T, c context.Context, sc *client.SecretChats) []string {
	t.Helper()
	evs, err := sc.Receive(c)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, ev := range evs {
		if ev.Kind == "message" {
			texts = append(texts, ev.Message.Text)
		}
	}
	return texts
}
