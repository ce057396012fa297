package api

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// TestOutboxBoundedByBytes: many small frames fit where few large ones
// do not; a frame larger than the bound goes when nothing waits; a
// close always fits, and nothing after it is kept.
func TestOutboxBoundedByBytes(t *testing.T) {
	const limit = 10_000
	o := newOutbox() // busy until open: everything queues
	for i := range 500 {
		if r := o.put(data(`{"n":1234567}`), limit, true); r != putQueued { // 13 bytes
			t.Fatalf("small frame %d: %v, want queued (500 of them hold 6,500 bytes)", i, r)
		}
	}
	if o.put(data(strings.Repeat("x", 4000)), limit, true) != putRefused {
		t.Fatal("a frame past the bound was queued")
	}
	if got := len(o.take(nil)); got != 500 {
		t.Fatalf("took %d frames, want 500", got)
	}
	if o.put(data(strings.Repeat("x", 3*limit)), limit, true) != putQueued {
		t.Fatal("a frame larger than the bound was refused though nothing waited")
	}
	if o.put(data("y"), limit, true) != putRefused {
		t.Fatal("a frame queued behind one that fills the bound")
	}
	if o.put(outFrame{code: closeTooSlow, reason: "bye"}, limit, true) != putQueued {
		t.Fatal("a close did not fit")
	}
	if o.put(data("late"), limit, true) != putQueued {
		t.Fatal("a frame after a close was refused; it should be dropped quietly")
	}
	got := o.take(nil)
	if len(got) != 2 || got[1].reason != "bye" {
		t.Fatalf("queue %d frames, last %+v; want the large frame then the close", len(got), got[len(got)-1])
	}
}

// TestOutboxOneWriter: the connection has one writer at a time. An idle
// open outbox hands the first frame to its producer; frames that come
// while it writes queue, and the producer, releasing, learns it must
// start a writer; the writer's take releases when nothing is left.
func TestOutboxOneWriter(t *testing.T) {
	const limit = 1 << 20
	o := newOutbox()
	if o.put(data("early"), limit, true) != putQueued {
		t.Fatal("a frame during the handshake did not queue")
	}
	if !o.open(true) {
		t.Fatal("open did not ask for a writer for the frame queued during the handshake")
	}
	if got := o.take(nil); len(got) != 1 {
		t.Fatalf("writer took %d frames, want 1", len(got))
	}
	if got := o.take(nil); len(got) != 0 {
		t.Fatal("take of nothing returned frames")
	}
	// Idle now: the next producer writes itself.
	if r := o.put(data("a"), limit, true); r != putDirect {
		t.Fatalf("put on an idle outbox: %v, want direct", r)
	}
	if r := o.put(data("b"), limit, true); r != putQueued {
		t.Fatalf("put while a producer writes: %v, want queued", r)
	}
	if !o.release() {
		t.Fatal("release did not report the frame queued meanwhile")
	}
	o.putFront(outFrame{framed: []byte("rest of a")})
	got := o.take(nil)
	if len(got) != 2 || string(got[0].framed) != "rest of a" || string(got[1].data) != "b" {
		t.Fatalf("queue after putFront %+v", got)
	}
	// A push never goes direct, even on an idle outbox.
	if len(o.take(nil)) != 0 || o.put(data("push"), limit, false) != putFlush {
		t.Fatal("a push on an idle outbox did not ask for a writer")
	}
	if len(o.take(nil)) != 1 || len(o.take(nil)) != 0 || o.put(data("c"), limit, true) != putDirect {
		t.Fatal("the outbox did not come back to idle")
	}
	if o.release() {
		t.Fatal("release reported frames where none waited")
	}
	// A close never goes direct: it queues and starts a writer.
	if o.put(outFrame{code: closeTooSlow}, limit, true) != putFlush {
		t.Fatal("a close on an idle outbox did not ask for a writer")
	}
	// Without direct writes, the first frame starts a writer.
	o2 := newOutbox()
	o2.open(false)
	if o2.put(data("x"), limit, true) != putFlush || o2.put(data("y"), limit, true) != putQueued {
		t.Fatal("an outbox without direct writes does not queue for one writer")
	}
}

// TestOutboxTakeData: a writer that does not wait takes the data frames
// before a close, keeps the connection when a close is next (for the
// writer that waits), and lets it go when nothing waits.
func TestOutboxTakeData(t *testing.T) {
	const limit = 1 << 20
	o := newOutbox()
	o.open(true)
	if o.put(data("a"), limit, false) != putFlush || o.put(data("b"), limit, false) != putQueued {
		t.Fatal("pushes on an idle outbox did not queue for one writer")
	}
	o.put(outFrame{code: closeTooSlow}, limit, false)
	got, closeNext := o.takeData(nil)
	if closeNext || len(got) != 2 || string(got[0].data) != "a" || string(got[1].data) != "b" {
		t.Fatalf("takeData: %+v close next %v, want a and b", got, closeNext)
	}
	got, closeNext = o.takeData(nil)
	if !closeNext || len(got) != 0 {
		t.Fatalf("takeData with a close first: %+v close next %v, want nothing and close next", got, closeNext)
	}
	// Still held: the close goes to the writer that waits.
	if r := o.put(data("late"), limit, true); r != putQueued {
		t.Fatalf("put after the close: %v, want queued (dropped)", r)
	}
	if got := o.take(nil); len(got) != 1 || !got[0].isClose() {
		t.Fatalf("the waiting writer took %+v, want the close alone", got)
	}
	// Empty: takeData lets the connection go.
	o2 := newOutbox()
	o2.open(true)
	if got, closeNext := o2.takeData(nil); len(got) != 0 || closeNext {
		t.Fatal("takeData of nothing returned something")
	}
	if o2.put(data("x"), limit, false) != putFlush {
		t.Fatal("takeData of nothing did not let the connection go")
	}
}

// TestTextFrame: the header of RFC 6455 section 5.2 for each length form.
func TestTextFrame(t *testing.T) {
	for _, n := range []int{0, 125, 126, 65535, 65536, 1 << 20} {
		payload := bytes.Repeat([]byte("a"), n)
		f := textFrame(payload)
		if f[0] != 0x81 {
			t.Fatalf("%d bytes: first byte %#x, want FIN|text", n, f[0])
		}
		var length, hdr int
		switch {
		case n < 126:
			length, hdr = int(f[1]), 2
		case n < 1<<16:
			if f[1] != 126 {
				t.Fatalf("%d bytes: length byte %d, want 126", n, f[1])
			}
			length, hdr = int(binary.BigEndian.Uint16(f[2:])), 4
		default:
			if f[1] != 127 {
				t.Fatalf("%d bytes: length byte %d, want 127", n, f[1])
			}
			length, hdr = int(binary.BigEndian.Uint64(f[2:])), 10
		}
		if length != n || len(f) != hdr+n || !bytes.Equal(f[hdr:], payload) {
			t.Fatalf("%d bytes: header says %d, frame %d bytes", n, length, len(f))
		}
	}
}
