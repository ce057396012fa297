package api

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/havenchat/haven"
)

// queued makes a socket whose queue holds frames, as the writer finds it.
func queued(batch bool, frames ...outFrame) *socket {
	k := &socket{batch: batch, out: newOutbox()}
	for _, f := range frames {
		if k.out.put(f, 1<<30, false) == putRefused {
			panic("queue full")
		}
	}
	return k
}

func data(s string) outFrame { return outFrame{data: []byte(s)} }

// messages runs the writer's loop over what is queued and returns the
// messages it would write, a close as "close:REASON".
func messages(k *socket, first outFrame) []string {
	var out []string
	for rest := k.out.take([]outFrame{first}); len(rest) > 0; {
		var f outFrame
		var buf *[]byte
		f, rest, buf = nextMessage(rest, k.batch)
		if f.data == nil {
			// The writer stops at a close: what follows is never written.
			return append(out, "close:"+f.reason)
		}
		out = append(out, string(f.data))
		if buf != nil {
			batchBufs.Put(buf)
		}
	}
	return out
}

func TestBatchJoinsQueuedFrames(t *testing.T) {
	k := queued(true, data(`{"b":2}`), data(`{"c":3}`))
	got := messages(k, data(`{"a":1}`))
	want := []string{"{\"a\":1}\n{\"b\":2}\n{\"c\":3}"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("messages %q, want %q", got, want)
	}
}

func TestNoBatchOneFramePerMessage(t *testing.T) {
	k := queued(false, data(`{"b":2}`), data(`{"c":3}`))
	got := messages(k, data(`{"a":1}`))
	want := []string{`{"a":1}`, `{"b":2}`, `{"c":3}`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("messages %q, want %q", got, want)
	}
}

func TestBatchStopsAtClose(t *testing.T) {
	k := queued(true, data(`{"b":2}`), outFrame{code: closeSessionEnded, reason: "ended"}, data(`{"late":1}`))
	got := messages(k, data(`{"a":1}`))
	want := []string{"{\"a\":1}\n{\"b\":2}", "close:ended"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("messages %q, want %q", got, want)
	}
}

func TestBatchBounded(t *testing.T) {
	big := strings.Repeat("x", batchBytes/3)
	frames := make([]outFrame, 7)
	for i := range frames {
		frames[i] = data(fmt.Sprintf(`{"n":%d,"pad":%q}`, i+1, big))
	}
	huge := data(`{"pad":"` + strings.Repeat("y", batchBytes) + `"}`)
	k := queued(true, append(frames, huge, data(`{"after":1}`))...)
	got := messages(k, data(`{"n":0}`))
	var frames2 int
	for _, m := range got {
		if len(m) > batchBytes && strings.Contains(m, "\n") {
			t.Fatalf("a message of %d bytes holds several frames; the bound is %d", len(m), batchBytes)
		}
		frames2 += strings.Count(m, "\n") + 1
	}
	if frames2 != 10 {
		t.Fatalf("%d frames written, want 10", frames2)
	}
	if len(got) < 4 {
		t.Fatalf("%d messages: the bound did not split the batch", len(got))
	}
	if got[len(got)-2] != string(huge.data) {
		t.Fatalf("the frame larger than the bound did not go alone")
	}
	// Order is kept across messages.
	var order []string
	for _, m := range got {
		for line := range strings.SplitSeq(m, "\n") {
			order = append(order, line[:min(len(line), 7)])
		}
	}
	want := `[{"n":0} {"n":1, {"n":2, {"n":3, {"n":4, {"n":5, {"n":6, {"n":7, {"pad": {"after]`
	if fmt.Sprint(order) != want {
		t.Fatalf("frames in order %v, want %v", order, want)
	}
}

func TestBatchParam(t *testing.T) {
	for q, want := range map[string]bool{"": false, "?batch=0": false, "?batch=1": true} {
		got, err := batchParam(httptest.NewRequest("GET", "/api/ws"+q, nil))
		if err != nil || got != want {
			t.Errorf("%q: %v, %v; want %v", q, got, err, want)
		}
	}
	for _, q := range []string{"?batch=yes", "?batch=2", "?batch=true"} {
		_, err := batchParam(httptest.NewRequest("GET", "/api/ws"+q, nil))
		if haven.ErrorCode(err) != haven.CodeParamInvalid {
			t.Errorf("%q: %v, want %s", q, err, haven.CodeParamInvalid)
		}
	}
}

// A batched message is frames that each decode alone: no frame may hold
// a raw newline, which json.Marshal never writes.
func TestFramesHoldNoNewline(t *testing.T) {
	k := &socket{out: newOutbox(), srv: &Server{wsQueue: DefaultWSQueueBytes}}
	k.push("chat.event", map[string]string{"text": "two\nlines\r\n\u2028"})
	f := k.out.take(nil)[0]
	if bytes.ContainsAny(f.data, "\n\r") {
		t.Fatalf("a push frame holds a raw newline: %s", f.data)
	}
}
