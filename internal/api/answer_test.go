package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// TestAppendAnswer: an answer that encodes itself goes out as the same
// frame as one encoded by json.Marshal, at each length of the frame's
// header (under 126 bytes, under 64 KiB, more).
func TestAppendAnswer(t *testing.T) {
	for _, n := range []int{0, 1, 100, 20_000} {
		d := &core.ChatDifference{Events: []core.ChatEventView{}, Seq: int64(n)}
		for i := range n {
			d.Events = append(d.Events, core.ChatEventView{ChatID: 3, Seq: int64(i + 1), Kind: haven.EventMessageNew, Date: 1_765_000_000, MessageID: int64(i + 1),
				Message: &core.MessageView{ChatID: 3, ID: int64(i + 1), SenderID: 2, Date: 1_765_000_000, Text: fmt.Sprintf("message <%d>", i)}})
		}
		for _, id := range []json.RawMessage{json.RawMessage(`17`), json.RawMessage(`"a<b"`), json.RawMessage("null")} {
			want, err := json.Marshal(responseFrame{ID: id, OK: true, Result: chatDifferenceOut(d)})
			if err != nil {
				t.Fatal(err)
			}
			f, err := appendAnswer(id, chatDifferenceAnswer{d})
			if err != nil {
				t.Fatalf("appendAnswer: %v", err)
			}
			if !bytes.Equal(f.data, want) {
				t.Fatalf("%d events, id %s: data differs from json.Marshal's:\n got %.200s\nwant %.200s", n, id, f.data, want)
			}
			if !bytes.Equal(f.framed, textFrame(want)) {
				t.Fatalf("%d events, id %s: frame differs from textFrame's (header % x, want % x)", n, id, f.framed[:min(10, len(f.framed))], textFrame(want)[:10])
			}
		}
	}
}

// BenchmarkChatDifferenceAnswer10k encodes the answer of a chat
// difference of 10,000 new messages into its WebSocket frame: the
// encoding step of a catch-up, after the read.
func BenchmarkChatDifferenceAnswer10k(b *testing.B) {
	d := &core.ChatDifference{Events: make([]core.ChatEventView, 0, 10_000), Seq: 10_000}
	for i := range 10_000 {
		d.Events = append(d.Events, core.ChatEventView{ChatID: 3, Seq: int64(i + 1), Kind: haven.EventMessageNew, Date: 1_765_000_000, UserID: 2, MessageID: int64(i + 1),
			Message: &core.MessageView{ChatID: 3, ID: int64(i + 1), SenderID: 2, Date: 1_765_000_000, Text: fmt.Sprintf("message number %d of the catch-up", i),
				Reactions: []haven.ReactionCount{{Emoji: "👍", Count: 1}}}})
	}
	id := json.RawMessage(`17`)
	b.ReportAllocs()
	for b.Loop() {
		res := render(d)
		a, ok := res.(jsonAppender)
		if !ok {
			b.Fatalf("%T encodes by reflection", res)
		}
		if _, err := appendAnswer(id, a); err != nil {
			b.Fatal(err)
		}
	}
}
