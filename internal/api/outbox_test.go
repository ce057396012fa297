package api

import (
	"strings"
	"testing"
)

// TestOutboxBoundedByBytes: many small frames fit where few large ones
// do not; a frame larger than the bound goes when nothing waits; a
// close always fits, and nothing after it is kept.
func TestOutboxBoundedByBytes(t *testing.T) {
	const limit = 10_000
	o := newOutbox()
	for i := range 500 {
		if !o.put(data(`{"n":1234567}`), limit) { // 13 bytes
			t.Fatalf("small frame %d refused: 500 of them hold 6,500 bytes", i)
		}
	}
	if o.put(data(strings.Repeat("x", 4000)), limit) {
		t.Fatal("a frame past the bound was queued")
	}
	if got := len(o.take(nil)); got != 500 {
		t.Fatalf("took %d frames, want 500", got)
	}
	if !o.put(data(strings.Repeat("x", 3*limit)), limit) {
		t.Fatal("a frame larger than the bound was refused though nothing waited")
	}
	if o.put(data("y"), limit) {
		t.Fatal("a frame queued behind one that fills the bound")
	}
	if !o.put(outFrame{code: closeTooSlow, reason: "bye"}, limit) {
		t.Fatal("a close did not fit")
	}
	if !o.put(data("late"), limit) {
		t.Fatal("a frame after a close was refused; it should be dropped quietly")
	}
	got := o.take(nil)
	if len(got) != 2 || got[1].reason != "bye" {
		t.Fatalf("queue %d frames, last %+v; want the large frame then the close", len(got), got[len(got)-1])
	}
	select {
	case <-o.ready:
	default:
		t.Fatal("no wake-up token for the writer")
	}
}
