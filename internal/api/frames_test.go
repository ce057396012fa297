package api

import (
	"bytes"
	"testing"

	"github.com/havenchat/haven/internal/core"
)

// TestEncodeFrameTyping: a typing push's domain value goes out in its
// wire shape (the bytes clients have always received).
func TestEncodeFrameTyping(t *testing.T) {
	for _, c := range []struct {
		in   core.Typing
		want string
	}{
		{core.Typing{ChatID: 5, UserID: 3, ExpiresIn: 6}, `{"push":"chat.typing","data":{"chat_id":5,"expires_in":6,"user_id":3}}`},
		{core.Typing{ChatID: 5, UserID: 3}, `{"push":"chat.typing","data":{"chat_id":5,"expires_in":0,"user_id":3}}`},
	} {
		b, err := EncodeFrame(core.PushTyping, c.in)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.want {
			t.Fatalf("%+v: frame %s, want %s", c.in, b, c.want)
		}
	}
}

// BenchmarkNoticeEncodeDecode is one chat event's cost on the way to
// the sockets: its frame encoded once, behind the notice's header, and
// the header read by the node.
func BenchmarkNoticeEncodeDecode(b *testing.B) {
	text := string(bytes.Repeat([]byte("news for everyone "), 10))
	ev := benchChatEvent(text)
	b.ReportAllocs()
	for b.Loop() {
		// As core does: the header (at most 209 bytes), then the frame
		// appended behind it.
		data, err := core.AppendNotice(make([]byte, 0, 209+256), core.Notice{Kind: core.PushChatEvent, ChatID: 12, UserID: 77, MessageID: 3400})
		if err != nil {
			b.Fatal(err)
		}
		if data, err = AppendFrame(data, core.PushChatEvent, ev); err != nil {
			b.Fatal(err)
		}
		n, err := core.DecodeNotice(data)
		if err != nil || len(n.Frame) == 0 {
			b.Fatal(err)
		}
		published = data // as the bus keeps it: on the heap
	}
}

var published []byte

func benchChatEvent(text string) core.ChatEventView {
	return core.ChatEventView{ChatID: 12, Seq: 3456, Kind: "message.new", Date: 1767268800, UserID: 77, MessageID: 3400,
		Message: &core.MessageView{ChatID: 12, ID: 3400, SenderID: 77, Date: 1767268800, Text: text}}
}
