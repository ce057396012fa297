package nats_test

import (
	"context"
	"errors"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/havenchat/haven/internal/bus/bustest"
	natsbus "github.com/havenchat/haven/internal/bus/nats"
	"github.com/havenchat/haven/internal/bus/nats/natstest"
	"github.com/havenchat/haven/internal/core"
)

// connect opens a node's bus on url and closes it when the test ends.
func connect(t *testing.T, url string, opt bustest.NodeOptions) *natsbus.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := natsbus.Connect(ctx, natsbus.Options{URL: url, Name: t.Name(), Queue: opt.Queue, OnGap: opt.OnGap})
	if err != nil {
		t.Fatalf("connecting to %s: %v", url, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.Close(ctx)
	})
	return b
}

func cluster(url string) bustest.Cluster {
	return bustest.Cluster{Node: func(t *testing.T, opt bustest.NodeOptions) core.Bus { return connect(t, url, opt) }}
}

func TestConformanceEmbedded(t *testing.T) {
	bustest.Run(t, func(t *testing.T) bustest.Cluster {
		return cluster(natstest.Start(t).ClientURL())
	})
}

// TestConformanceCluster runs the suite with every node on a different
// server of a three-server cluster: what crosses routes keeps its order.
func TestConformanceCluster(t *testing.T) {
	srv := natstest.Cluster(t, 3)
	n := 0
	bustest.Run(t, func(*testing.T) bustest.Cluster {
		return bustest.Cluster{Node: func(t *testing.T, opt bustest.NodeOptions) core.Bus {
			n++
			return connect(t, srv[n%3].ClientURL(), opt)
		}}
	})
}

// TestConformanceRealNATS runs the suite against the NATS server of the
// machine (HAVEN_TEST_NATS, or 127.0.0.1:4222 when it answers).
func TestConformanceRealNATS(t *testing.T) {
	url := os.Getenv("HAVEN_TEST_NATS")
	if url == "" {
		c, err := net.DialTimeout("tcp", "127.0.0.1:4222", time.Second)
		if err != nil {
			t.Skip("no NATS server: set HAVEN_TEST_NATS=nats://host:4222 to run this test (127.0.0.1:4222 does not answer)")
		}
		c.Close()
		url = "nats://127.0.0.1:4222"
	}
	// The suite's subjects have a random prefix: other users of that
	// server do not disturb it.
	bustest.Run(t, func(*testing.T) bustest.Cluster { return cluster(url) })
}

// TestClusterNodeKilled publishes steadily through a three-server
// cluster and shuts down the server the subscriber and the publisher
// are connected to: both reconnect to the others, the subscriber is told
// it may have missed messages, publishing goes on, and what arrives
// keeps its order.
func TestClusterNodeKilled(t *testing.T) {
	srv := natstest.Cluster(t, 3)
	// The subscriber may connect to any server; the publisher is given
	// only that one and learns the others from it.
	gaps := make(chan error, 16)
	sub := connect(t, natstest.URLs(srv...), bustest.NodeOptions{OnGap: func(err error) {
		select {
		case gaps <- err:
		default:
		}
	}})
	var victim *server.Server
	var others []*server.Server
	for _, s := range srv {
		if s.ClientURL() == sub.Server() {
			victim = s
		} else {
			others = append(others, s)
		}
	}
	if victim == nil {
		t.Fatalf("the subscriber is on %q, none of the cluster's servers", sub.Server())
	}
	pub := connect(t, victim.ClientURL(), bustest.NodeOptions{})
	// A third node on another server watches the same subject throughout.
	watcher := connect(t, others[0].ClientURL(), bustest.NodeOptions{})
	got, watched := bustest.NewRecorder(), bustest.NewRecorder()
	if _, err := sub.Subscribe("haven.chat.1", got.Handle); err != nil {
		t.Fatal(err)
	}
	if _, err := watcher.Subscribe("haven.chat.1", watched.Handle); err != nil {
		t.Fatal(err)
	}
	// Wait until both subscribers hear the publisher.
	for i := 0; len(got.Got()) == 0 || len(watched.Got()) == 0; i++ {
		if i > 1500 {
			t.Fatal("the subscribers never heard the publisher")
		}
		_ = pub.Publish(context.Background(), "haven.chat.1", []byte("-1"))
		time.Sleep(20 * time.Millisecond)
	}

	// Publish steadily until stopped.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var mu sync.Mutex
	sent := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := pub.Publish(context.Background(), "haven.chat.1", []byte(strconv.Itoa(i))); err == nil {
				mu.Lock()
				sent = i
				mu.Unlock()
			}
			time.Sleep(time.Millisecond)
		}
	}()
	t.Cleanup(func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	})
	got.WaitLen(t, 100)
	victim.Shutdown()
	victim.WaitForShutdown()

	select {
	case err := <-gaps:
		if !errors.Is(err, natsbus.ErrReconnected) {
			t.Fatalf("the subscriber was told %v, want ErrReconnected", err)
		}
	case <-time.After(bustest.Wait):
		t.Fatal("the subscriber was not told it reconnected")
	}
	// Publishing continues through the others and reaches both.
	mu.Lock()
	after := sent
	mu.Unlock()
	past := func(g []string) bool {
		if len(g) == 0 {
			return false
		}
		v, _ := strconv.Atoi(g[len(g)-1])
		return v > after+50
	}
	got.WaitFor(t, "messages published after the kill", past)
	watched.WaitFor(t, "messages published after the kill", past)
	close(stop)
	wg.Wait()
	if !pub.Connected() || !sub.Connected() || pub.Server() == victim.ClientURL() || sub.Server() == victim.ClientURL() {
		t.Fatalf("after the kill the publisher is on %q and the subscriber on %q", pub.Server(), sub.Server())
	}
	for _, r := range []*bustest.Recorder{got, watched} {
		last := -2
		for _, g := range r.Got() {
			v, _ := strconv.Atoi(g)
			if v < last || (v == last && v != -1) {
				t.Fatalf("out of order or repeated: %d after %d", v, last)
			}
			last = v
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, ok := range []string{"nats://127.0.0.1:4222", "nats://a:1,nats://b:2", "tls://user:pw@h:4222", "nats://[::1]:4222", "nats://h"} {
		if err := natsbus.CheckURL(ok); err != nil {
			t.Errorf("CheckURL(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:4222", "http://h:4222", "nats://", "nats://a:1,", "nats://u:secret@h:1,ftp://x", "nats://u:secret@h:1:2:3", "nats://h:", "nats://h:99999", "nats://:4222"} {
		err := natsbus.CheckURL(bad)
		if !errors.Is(err, natsbus.ErrBadURL) {
			t.Errorf("CheckURL(%q) = %v, want ErrBadURL", bad, err)
		}
		if err != nil && contains(err.Error(), "secret") {
			t.Errorf("CheckURL(%q) leaks the password: %v", bad, err)
		}
		if bad == "127.0.0.1:4222" && (err == nil || !contains(err.Error(), bad)) {
			t.Errorf("CheckURL(%q) = %v, want the value named", bad, err)
		}
	}
}

func TestConnectFailsWithoutServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if b, err := natsbus.Connect(ctx, natsbus.Options{URL: "nats://" + addr, ConnectTimeout: time.Second}); err == nil {
		_ = b.Close(ctx)
		t.Fatal("Connect succeeded with no server")
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestWildcardSubscription: NATS wildcards work for what other nodes
// and this node publish.
func TestWildcardSubscription(t *testing.T) {
	url := natstest.Start(t).ClientURL()
	a := connect(t, url, bustest.NodeOptions{})
	other := connect(t, url, bustest.NodeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), bustest.Wait)
	defer cancel()
	star, rest := bustest.NewRecorder(), bustest.NewRecorder()
	if _, err := a.Subscribe("w.*.x", star.Handle); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Subscribe("w.>", rest.Handle); err != nil {
		t.Fatal(err)
	}
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, b := range []*natsbus.Bus{a, other} {
		for _, s := range []string{"w.1.x", "w.1.y", "w.1.x.z", "v.1.x", "w"} {
			if err := b.Publish(context.Background(), s, []byte(s)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := other.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := rest.WaitLen(t, 6)
	// Let anything wrongly matched arrive: a marker comes after it.
	_ = a.Publish(context.Background(), "w.end", []byte("end"))
	rest.WaitFor(t, "the marker", func(g []string) bool { return len(g) > 0 && g[len(g)-1] == "end" })
	if s := star.Got(); len(s) != 2 || s[0] != "w.1.x" || s[1] != "w.1.x" {
		t.Fatalf("w.*.x got %v", s)
	}
	for _, g := range got {
		if g == "v.1.x" || g == "w" {
			t.Fatalf("w.> got %v", got)
		}
	}
}

// BenchmarkDeliverToOtherNode measures one event published on a node and
// handled on another through an embedded NATS server (200-byte events,
// the size of a short message's notice).
func BenchmarkDeliverToOtherNode(b *testing.B) {
	url := natstest.Start(b).ClientURL()
	ctx := context.Background()
	open := func() *natsbus.Bus {
		n, err := natsbus.Connect(ctx, natsbus.Options{URL: url})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = n.Close(ctx) })
		return n
	}
	pub, sub := open(), open()
	var got sync.WaitGroup
	// At most 1,000 in flight: well under the node's queue, so none is
	// dropped (and the benchmark never waits for a lost one).
	inflight := make(chan struct{}, 1000)
	if _, err := sub.Subscribe("haven.chat.1", func([]byte) { <-inflight; got.Done() }); err != nil {
		b.Fatal(err)
	}
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := sub.Flush(fctx); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 200)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		got.Add(1)
		inflight <- struct{}{}
		if err := pub.Publish(ctx, "haven.chat.1", data); err != nil {
			b.Fatal(err)
		}
	}
	got.Wait()
}

// TestOwnEventsDroppedAreTold: a node whose handlers are stuck drops its
// own events beyond its queue, and is told once, not once per event.
func TestOwnEventsDroppedAreTold(t *testing.T) {
	url := natstest.Start(t).ClientURL()
	var mu sync.Mutex
	var gaps []error
	n := connect(t, url, bustest.NodeOptions{Queue: 8, OnGap: func(err error) {
		mu.Lock()
		gaps = append(gaps, err)
		mu.Unlock()
	}})
	release := make(chan struct{})
	got := bustest.NewRecorder()
	if _, err := n.Subscribe("own", func(d []byte) { <-release; got.Handle(d) }); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := n.Publish(context.Background(), "own", []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	got.WaitLen(t, 1)
	mu.Lock()
	defer mu.Unlock()
	if len(gaps) != 1 || !errors.Is(gaps[0], natsbus.ErrFellBehind) {
		t.Fatalf("told %v, want ErrFellBehind once", gaps)
	}
	if g := got.Got(); len(g) > 9 {
		t.Fatalf("%d events handled past a queue of 8", len(g))
	}
}

// TestLateAndRepeatedDropped: what a cluster may do when one of its
// servers dies (deliver a node's message after its next ones, or twice)
// does not reach the handlers: a late message is dropped and the node
// told, a repeat is dropped; messages without the bus's numbering (not
// from a node) pass.
func TestLateAndRepeatedDropped(t *testing.T) {
	url := natstest.Start(t).ClientURL()
	gaps := make(chan error, 16)
	n := connect(t, url, bustest.NodeOptions{OnGap: func(err error) { gaps <- err }})
	got := bustest.NewRecorder()
	if _, err := n.Subscribe("chat.1", got.Handle); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), bustest.Wait)
	defer cancel()
	if err := n.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	raw, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	send := func(from string, seq int, data string) {
		m := &nats.Msg{Subject: "chat.1", Data: []byte(data), Header: nats.Header{}}
		if from != "" {
			m.Header.Set(natsbus.HeaderFrom, from)
			m.Header.Set(natsbus.HeaderSeq, strconv.Itoa(seq))
		}
		if err := raw.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	send("A", 1, "a1")
	send("A", 3, "a3")
	send("B", 1, "b1") // another node counts on its own
	send("A", 2, "a2") // late
	send("A", 3, "a3") // a repeat
	send("", 0, "plain")
	send("A", 4, "a4")
	got.WaitFor(t, "a4", func(g []string) bool { return len(g) > 0 && g[len(g)-1] == "a4" })
	if g, want := got.Got(), []string{"a1", "a3", "b1", "plain", "a4"}; !slices.Equal(g, want) {
		t.Fatalf("handled %v, want %v", g, want)
	}
	select {
	case err := <-gaps:
		if !errors.Is(err, natsbus.ErrOutOfOrder) {
			t.Fatalf("told %v, want ErrOutOfOrder", err)
		}
	default:
		t.Fatal("the node was not told it dropped a late message")
	}
	if len(gaps) != 0 {
		t.Fatalf("told %v more, want ErrOutOfOrder once", <-gaps)
	}
}
