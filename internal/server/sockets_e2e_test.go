package server_test

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// clientFrame is a WebSocket frame as a client sends it: masked
// (RFC 6455 section 5.2), written by hand so that the test does not
// share the server's frame code.
func clientFrame(op byte, fin bool, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	f := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 1<<16:
		f = binary.BigEndian.AppendUint16(append(f, 0x80|126), uint16(n))
	default:
		f = binary.BigEndian.AppendUint64(append(f, 0x80|127), uint64(n))
	}
	mask := [4]byte{0x12, 0x34, 0x56, 0x78}
	f = append(f, mask[:]...)
	for i, c := range payload {
		f = append(f, c^mask[i%4])
	}
	return f
}

// serverFrame reads one frame the server sent: its opcode and payload.
func serverFrame(t *testing.T, c net.Conn, br *bufio.Reader) (op byte, payload []byte) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	if h[1]&0x80 != 0 {
		t.Fatal("the server masked a frame")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		io.ReadFull(br, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		io.ReadFull(br, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(br, payload); err != nil {
		t.Fatalf("reading a frame's payload: %v", err)
	}
	return h[0] & 0x0f, payload
}

// answerID reads frames until an answer comes, and returns its id.
func answerID(t *testing.T, c net.Conn, br *bufio.Reader) string {
	t.Helper()
	for {
		op, p := serverFrame(t, c, br)
		if op != 0x1 {
			t.Fatalf("got a frame of opcode %#x, want an answer", op)
		}
		var a struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(p, &a) == nil && a.ID != nil {
			return string(a.ID)
		}
	}
}

func request(id string) []byte {
	return []byte(`{"id":` + id + `,"method":"nothing.here","params":{}}`)
}

// TestIdleSocketsHoldNoGoroutine: a socket whose peer is quiet costs the
// server no goroutine, once it has answered what the peer sent.
func TestIdleSocketsHoldNoGoroutine(t *testing.T) {
	const conns = 200
	n := startNode(t, append([]string{"--ws-per-ip", "1000", "--ws-unauthorized-per-ip", "1000"}, generous...)...)
	settle := func() int {
		// Whatever the server started for the last sockets ends soon.
		low := runtime.NumGoroutine()
		for range 20 {
			time.Sleep(50 * time.Millisecond)
			low = min(low, runtime.NumGoroutine())
		}
		return low
	}
	before := settle()
	for i := range conns {
		c, br := rawUpgradeWith(t, n, "", nil)
		// Each socket is read once, then quiet.
		if _, err := c.Write(clientFrame(0x1, true, request("1"))); err != nil {
			t.Fatal(err)
		}
		if id := answerID(t, c, br); id != "1" {
			t.Fatalf("socket %d: answer to %s, want 1", i, id)
		}
	}
	after := settle()
	// The client side holds no goroutine either (plain connections).
	if grown := after - before; grown > conns/10 {
		t.Fatalf("%d quiet sockets hold %d more goroutines, want none per socket", conns, grown)
	}
}

// TestSocketFramesInPieces: the server reads frames whatever the pieces
// the network cuts them into: a request written with the handshake, a
// request in two fragments with a ping between them, written a byte at
// a time; it answers the ping with its payload, and the close with the
// same code.
func TestSocketFramesInPieces(t *testing.T) {
	n := startNode(t, generous...)
	c, br := rawUpgradeWith(t, n, "", clientFrame(0x1, true, request("1")))
	if id := answerID(t, c, br); id != "1" {
		t.Fatalf("the request sent with the handshake: answer to %s, want 1", id)
	}
	req := request("2")
	var stream []byte
	stream = append(stream, clientFrame(0x1, false, req[:10])...)
	stream = append(stream, clientFrame(0x9, true, []byte("are you there"))...)
	stream = append(stream, clientFrame(0x0, true, req[10:])...)
	for _, b := range stream {
		if _, err := c.Write([]byte{b}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	op, p := serverFrame(t, c, br)
	if op != 0xA || string(p) != "are you there" {
		t.Fatalf("the ping got opcode %#x %q, want a pong with its payload", op, p)
	}
	if id := answerID(t, c, br); id != "2" {
		t.Fatalf("the fragmented request: answer to %s, want 2", id)
	}
	// A big request, in one write, split by the kernel as it likes.
	big := []byte(`{"id":3,"method":"nothing.here","params":{"pad":"` + strings.Repeat("x", 200<<10) + `"}}`)
	if _, err := c.Write(clientFrame(0x1, true, big)); err != nil {
		t.Fatal(err)
	}
	if id := answerID(t, c, br); id != "3" {
		t.Fatalf("the big request: answer to %s, want 3", id)
	}
	if _, err := c.Write(clientFrame(0x8, true, []byte{0x03, 0xE8})); err != nil {
		t.Fatal(err)
	}
	op, p = serverFrame(t, c, br)
	if op != 0x8 || len(p) < 2 || binary.BigEndian.Uint16(p) != 1000 {
		t.Fatalf("the close got opcode %#x %v, want a close with 1000", op, p)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("after the closing handshake: %v, want the connection closed", err)
	}
}

// TestSocketProtocolError: a frame a client must not send (unmasked)
// closes the socket with 1002, and nothing after it is taken.
func TestSocketProtocolError(t *testing.T) {
	n := startNode(t, generous...)
	c, br := rawUpgradeWith(t, n, "", nil)
	bad := clientFrame(0x1, true, request("1"))
	bad[1] &^= 0x80 // unmasked, and the mask's bytes read as payload
	if _, err := c.Write(append(bad, clientFrame(0x1, true, request("2"))...)); err != nil {
		t.Fatal(err)
	}
	op, p := serverFrame(t, c, br)
	if op != 0x8 || len(p) < 2 || binary.BigEndian.Uint16(p) != 1002 {
		t.Fatalf("got opcode %#x %q, want a close with 1002", op, p)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("after the protocol error: %v, want the connection closed", err)
	}
}
