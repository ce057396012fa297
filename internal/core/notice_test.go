package core

import (
	"bytes"
	"errors"
	"testing"
)

func TestNoticeRoundTrip(t *testing.T) {
	for _, n := range []Notice{
		{Kind: PushChatEvent, ChatID: 7, UserID: 3, MessageID: 1 << 52, Seq: 1<<40 + 5, Frame: []byte(`{"push":"chat.event","data":{}}`)},
		{Kind: PushUserEvent, UserID: 9, ChatID: 2, Event: "dialog.added", MinMessageID: 41, Seq: 17, Frame: []byte(`{}`)},
		{Kind: PushSecretEnvelope, UserID: 4, SessionID: 1<<40 + 3, Frame: []byte(`{}`)},
		{Kind: PushTyping},
	} {
		b, err := AppendNotice(nil, n)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeNotice(b)
		if err != nil {
			t.Fatalf("%+v: %v", n, err)
		}
		if got.Kind != n.Kind || got.Event != n.Event || got.ChatID != n.ChatID || got.UserID != n.UserID ||
			got.MessageID != n.MessageID || got.MinMessageID != n.MinMessageID || got.Seq != n.Seq || !bytes.Equal(got.Frame, n.Frame) {
			t.Fatalf("decoded %+v, want %+v", got, n)
		}
		// The frame is the tail of the bytes, not a copy.
		if len(n.Frame) > 0 && &got.Frame[0] != &b[len(b)-len(n.Frame)] {
			t.Fatal("the decoded frame is a copy")
		}
	}
}

// TestEncodeNoticeEncodesOnce: the frame behind the header is the bytes
// Frames made, as they are.
func TestEncodeNoticeEncodesOnce(t *testing.T) {
	calls := 0
	s := &Service{frames: func(dst []byte, kind string, data any) ([]byte, error) {
		calls++
		if kind != PushTyping || data != (Typing{ChatID: 5}) {
			t.Fatalf("Frames got %q, %+v", kind, data)
		}
		return append(dst, `{"made":"once"}`...), nil
	}}
	b, err := s.encodeNotice(Notice{Kind: PushTyping, ChatID: 5}, Typing{ChatID: 5})
	if err != nil {
		t.Fatal(err)
	}
	n, err := DecodeNotice(b)
	if err != nil {
		t.Fatal(err)
	}
	if string(n.Frame) != `{"made":"once"}` || calls != 1 || n.ChatID != 5 {
		t.Fatalf("frame %s after %d calls (chat %d)", n.Frame, calls, n.ChatID)
	}
}

func TestNoticeRefusesBadInput(t *testing.T) {
	if _, err := AppendNotice(nil, Notice{Kind: string(make([]byte, 65))}); err == nil {
		t.Fatal("a 65-byte kind was encoded")
	}
	if _, err := AppendNotice(nil, Notice{ChatID: -1}); err == nil {
		t.Fatal("a negative id was encoded")
	}
	good, _ := AppendNotice(nil, Notice{Kind: "k", Event: "e", ChatID: 300, Frame: []byte("{}")})
	for name, b := range map[string][]byte{
		"empty":           nil,
		"another version": append([]byte{noticeVersion + 1}, good[1:]...),
		"JSON":            []byte(`{"kind":"chat.event"}`),
		"cut in kind":     good[:2],
		"cut in ids":      good[:6],
		"huge length":     {noticeVersion, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"id past 2^63": append([]byte{noticeVersion, 0, 0},
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0),
	} {
		if _, err := DecodeNotice(b); !errors.Is(err, ErrBadNotice) {
			t.Errorf("%s: %v, want ErrBadNotice", name, err)
		}
	}
}

func FuzzDecodeNotice(f *testing.F) {
	good, _ := AppendNotice(nil, Notice{Kind: PushChatEvent, Event: "dialog.added", ChatID: 1, UserID: 2, MessageID: 3, MinMessageID: 4, Frame: []byte(`{"a":1}`)})
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte{noticeVersion, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := DecodeNotice(b)
		if err != nil {
			return
		}
		// What decodes encodes back to the same bytes, but for varints
		// written longer than needed, which only a hostile peer sends.
		again, err := AppendNotice(nil, n)
		if err != nil {
			t.Fatalf("a decoded notice does not encode: %v", err)
		}
		n2, err := DecodeNotice(again)
		if err != nil || n2.Kind != n.Kind || n2.Event != n.Event || n2.ChatID != n.ChatID || n2.UserID != n.UserID ||
			n2.MessageID != n.MessageID || n2.MinMessageID != n.MinMessageID || !bytes.Equal(n2.Frame, n.Frame) {
			t.Fatalf("round trip of %+v gave %+v, %v", n, n2, err)
		}
	})
}
