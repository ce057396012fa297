package server_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/havenchat/haven/internal/bus/nats/natstest"
	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/server"
)

// TestNATSBusEndToEnd runs a node on a NATS server (--bus): a message
// sent reaches the recipient's socket, and it went through NATS (a tap
// on the server sees the chat's notice).
func TestNATSBusEndToEnd(t *testing.T) {
	ns := natstest.Start(t)
	tap, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer tap.Close()
	seen := make(chan string, 1024)
	if _, err := tap.Subscribe("haven.chat.>", func(m *nats.Msg) {
		select {
		case seen <- m.Subject:
		default:
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := tap.Flush(); err != nil {
		t.Fatal(err)
	}

	n := startNode(t, append([]string{"--bus", ns.ClientURL(), "--metrics-listen", "127.0.0.1:0"}, generous...)...)
	a := dialWS(t, n.url, "")
	b := dialWS(t, n.url, "")
	atok, aid := signUp(t, n, a, "+442079460001", "Ann")
	btok, bid := signUp(t, n, b, "+442079460002", "Bob")
	meet(t, a, b, bid)

	m1 := send(t, a, map[string]any{"user_id": bid}, "Hi Bob")
	if m1.ChatID == 0 || m1.SenderID != aid {
		t.Fatalf("first message %+v", m1)
	}
	ev := nextEvent(t, b, "message.new")
	if ev.Message == nil || ev.Message.Text != "Hi Bob" {
		t.Fatalf("Bob's push: %+v", ev)
	}
	m2 := send(t, a, map[string]any{"chat_id": m1.ChatID}, "second")
	if ev := nextEvent(t, b, "message.new"); ev.Message == nil || ev.Message.ID != m2.ID || ev.Message.Text != "second" {
		t.Fatalf("Bob's second push: %+v", ev)
	}
	want := "haven.chat." + strconv.FormatInt(m1.ChatID, 10)
	deadline := time.After(30 * time.Second)
	for tapped := false; !tapped; {
		select {
		case s := <-seen:
			tapped = s == want
		case <-deadline:
			t.Fatalf("NATS never carried %s", want)
		}
	}

	// The NATS server goes away and comes back on its port: the node
	// reconnects by itself, counts the gap, closes its sockets with 4009
	// (they may have missed pushes: their clients reconnect and catch up
	// from the log), and pushes flow again.
	port := ns.Addr().(*net.TCPAddr).Port
	tap.Close()
	ns.Shutdown()
	ns.WaitForShutdown()
	metric(t, n, "haven_bus_connected 0")
	natstest.StartOn(t, port)
	metric(t, n, "haven_bus_connected 1")
	metric(t, n, "haven_bus_gaps_total 1")
	for name, w := range map[string]*wsCaller{"Ann": a, "Bob": b} {
		select {
		case code := <-w.closed:
			if code != 4009 {
				t.Fatalf("%s's socket closed with %d after the gap, want 4009", name, code)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s's socket stayed open after the bus gap", name)
		}
	}
	a, b = dialWS(t, n.url, atok), dialWS(t, n.url, btok)
	m3 := send(t, a, map[string]any{"chat_id": m1.ChatID}, "after the restart")
	if ev := nextEvent(t, b, "message.new"); ev.Message == nil || ev.Message.ID != m3.ID {
		t.Fatalf("Bob's push after the restart: %+v", ev)
	}
}

// metric waits until the node's /metrics has the line want.
func metric(t *testing.T, n *node, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var body []byte
	for time.Now().Before(deadline) {
		var status int
		status, body = get(t, "http://"+n.srv.MetricsAddr()+"/metrics")
		if status == 200 && bytes.Contains(body, []byte("\n"+want+"\n")) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("/metrics never had %q; it has:\n%s", want, grepLines(body, "haven_bus"))
}

func grepLines(b []byte, sub string) string {
	var out []string
	for l := range strings.SplitSeq(string(b), "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestNATSBusUnreachable: a node whose NATS server does not answer does
// not start, and says why.
func TestNATSBusUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg, err := config.LoadServe([]string{"--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--bus", "nats://" + addr}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := server.New(ctx, cfg, server.Options{})
	if err == nil {
		_ = s.Shutdown(ctx)
		t.Fatal("the node started without its bus")
	}
	if !strings.Contains(err.Error(), "bus") || !strings.Contains(err.Error(), addr) {
		t.Fatalf("error %q does not name the bus and its address", err)
	}
}
