package conncap

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// serve accepts on l and reads each connection until its client closes
// it, as a server does.
func serve(t *testing.T, l net.Listener) {
	t.Helper()
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				_, _ = io.Copy(io.Discard, c)
				c.Close()
			}()
		}
	}()
}

// closedByServer reports whether the server closed c within wait: a
// read gets EOF (or a reset) instead of waiting.
func closedByServer(t *testing.T, c net.Conn, wait time.Duration) bool {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(wait))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return err != nil
}

// open is how long a connection must stay open to count as left open.
// A close that came later would go unseen, never fail a test wrongly.
const open = 300 * time.Millisecond

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestCapPerAddress(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var refused atomic.Int64
	l := New(raw, 2, nil, func() { refused.Add(1) })
	serve(t, l)
	addr := raw.Addr().String()
	a, b := dial(t, addr), dial(t, addr)
	loop := netip.MustParseAddr("127.0.0.1")
	waitFor(t, "two connections counted", func() bool { return l.Open(loop) == 2 })
	over := dial(t, addr)
	if !closedByServer(t, over, 10*time.Second) {
		t.Fatal("the third connection from one address was left open")
	}
	if refused.Load() != 1 {
		t.Errorf("refused %d, want 1", refused.Load())
	}
	if closedByServer(t, a, open) || closedByServer(t, b, open) {
		t.Fatal("a connection within the cap was closed")
	}
	// A closed connection frees its place.
	a.Close()
	waitFor(t, "the closed connection released", func() bool { return l.Open(loop) == 1 })
	if c := dial(t, addr); closedByServer(t, c, open) {
		t.Fatal("a connection in the freed place was closed")
	}
}

func TestExemptPeersNotCounted(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := New(raw, 1, func(a netip.Addr) bool { return a.IsLoopback() }, nil)
	serve(t, l)
	for i := range 5 {
		c := dial(t, raw.Addr().String())
		if closedByServer(t, c, open) {
			t.Fatalf("connection %d from an exempt peer was closed", i+1)
		}
	}
	if n := l.Open(netip.MustParseAddr("127.0.0.1")); n != 0 {
		t.Errorf("%d connections of an exempt peer counted", n)
	}
}

func TestReadFromPassesThrough(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := New(raw, 1, nil, nil)
	t.Cleanup(func() { l.Close() })
	got := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = c.(io.ReaderFrom).ReadFrom(strings.NewReader("hello"))
	}()
	c := dial(t, raw.Addr().String())
	go func() {
		b, _ := io.ReadAll(c)
		got <- string(b)
	}()
	select {
	case s := <-got:
		if s != "hello" {
			t.Fatalf("read %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing arrived")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSyscallConn: a counted connection still gives its file descriptor
// to writers that must not wait.
func TestSyscallConn(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := New(inner, 10, nil, nil)
	defer l.Close()
	go func() {
		if c, err := net.Dial("tcp", inner.Addr().String()); err == nil {
			defer c.Close()
			_, _ = c.Read(make([]byte, 1))
		}
	}()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, ok := c.(syscall.Conn)
	if !ok {
		t.Fatal("a counted connection is not a syscall.Conn")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var wrote int
	if err := rc.Write(func(fd uintptr) bool {
		wrote, _ = syscall.Write(int(fd), []byte("x"))
		return true
	}); err != nil || wrote != 1 {
		t.Fatalf("raw write: %d, %v", wrote, err)
	}
}
