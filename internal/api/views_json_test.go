package api

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// TestChatDifferenceJSON: appendChatDifference writes exactly what
// json.Marshal writes for the difference's wire view, for every part an
// event can hold and every kind of string.
func TestChatDifferenceJSON(t *testing.T) {
	texts := []string{
		"", "plain words 123", "Ünïcödé 🎉 текст 日本語", "quote \" and \\ backslash",
		"<b>html</b> & more", "tab\tnew\nline\r\x00\x1f", "line\u2028para\u2029sep",
		"bad \xff utf-8 \xc3", "emoji at end 👍", "\u007f del",
	}
	msg := func(i int, text string) *core.MessageView {
		return &core.MessageView{ChatID: 7, ID: int64(i + 1), SenderID: int64(i % 3), Date: 1_765_000_000 + int64(i), Text: text}
	}
	full := msg(100, "everything")
	full.Entities = []haven.Entity{{Type: haven.EntityBold, Offset: 0, Length: 3}, {Type: haven.EntityTextLink, Offset: 4, Length: 2, URL: "https://e.org/?a=1&b=<2>"}}
	full.ReplyToID, full.EditDate, full.Silent, full.Pinned, full.Views, full.ExpiresAt = 5, 1_765_000_100, true, true, 42, 1_765_100_000
	full.Forward = &core.ForwardView{FromUserID: 3, FromName: "Ann <&>", Date: 1_700_000_000}
	full.Service = &haven.ServiceAction{Type: haven.ActionMembersAdded, UserIDs: []int64{1, 2}, Title: "t"}
	full.Media = &haven.Media{Kind: "photo", FileID: 9, Name: "a\"b.jpg", Size: 1234, Width: 10, Height: 20, Preview: []byte{0, 1, 2, 255}}
	full.Reactions = []haven.ReactionCount{{Emoji: "👍", Count: 2, Mine: true}, {Emoji: "❤️", Count: 1}}

	var evs []core.ChatEventView
	for i, text := range texts {
		evs = append(evs, core.ChatEventView{ChatID: 7, Seq: int64(i + 1), Kind: haven.EventMessageNew, Date: 1_765_000_000, UserID: int64(i), MessageID: int64(i + 1), Message: msg(i, text)})
	}
	evs = append(evs,
		core.ChatEventView{ChatID: 7, Seq: 50, Kind: haven.EventMessageEdit, Date: 1, UserID: 2, MessageID: 101, Message: full},
		core.ChatEventView{ChatID: 7, Seq: 51, Kind: haven.EventReaction, Date: 2, MessageID: 101, Message: full, Data: json.RawMessage(`{ "emoji" : "<👍>", "n": [1, 2] }`)},
		core.ChatEventView{ChatID: 7, Seq: 52, Kind: haven.EventChatUpdate, Date: 3, Data: json.RawMessage(`{"title":"x\u2028y"}`)},
		core.ChatEventView{ChatID: 7, Seq: 53, Kind: haven.EventMessageDelete, Date: 4, Data: json.RawMessage(`{"ids":[1,2]}`)},
		core.ChatEventView{ChatID: -1, Seq: 0, Kind: "odd <kind>", Date: -5},
		core.ChatEventView{ChatID: 7, Seq: 54, Kind: haven.EventMessageNew, Date: 5, MessageID: 9, Message: &core.MessageView{}},
	)
	// Random strings of the characters that matter to escaping.
	alphabet := []string{"a", "Z", " ", "\"", "\\", "<", ">", "&", "\n", "\x01", "\x7f", "é", "🎉", "\u2028", "\u2029", "\xff", "\xe2\x80", "/"}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		evs = append(evs, core.ChatEventView{ChatID: 7, Seq: int64(100 + i), Kind: haven.EventMessageNew, Date: 6, MessageID: int64(i), Message: msg(i, b.String())})
	}

	for _, d := range []*core.ChatDifference{
		{Events: evs, Seq: 600, More: true},
		{Events: evs[:3], Seq: 3},
		{Events: []core.ChatEventView{}, Seq: 99, TooLong: true},
		{Seq: 0},
	} {
		want, err := json.Marshal(chatDifferenceOut(d))
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendChatDifference([]byte("prefix"), d)
		if err != nil {
			t.Fatalf("appendChatDifference: %v", err)
		}
		if !bytes.HasPrefix(got, []byte("prefix")) {
			t.Fatalf("appendChatDifference did not append: %.40q", got)
		}
		got = got[len("prefix"):]
		if !bytes.Equal(got, want) {
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			lo := max(i-80, 0)
			t.Fatalf("appendChatDifference differs from json.Marshal at byte %d:\n got …%s\nwant …%s", i, got[lo:min(i+40, len(got))], want[lo:min(i+40, len(want))])
		}
	}

	// Invalid event data fails as json.Marshal fails.
	bad := &core.ChatDifference{Events: []core.ChatEventView{{Kind: haven.EventChatUpdate, Data: json.RawMessage(`{"a":`)}}}
	if _, err := json.Marshal(chatDifferenceOut(bad)); err == nil {
		t.Fatal("json.Marshal took invalid data")
	}
	if _, err := appendChatDifference(nil, bad); err == nil {
		t.Error("appendChatDifference took invalid event data")
	}
}

// TestChatDifferenceJSONEveryField: every field of the values
// appendChatDifference writes by hand, set, comes out as json.Marshal
// writes the wire view: a field added to a view later and not to the
// appenders fails here (and one left out of the view, in
// TestViewsMapEveryField).
func TestChatDifferenceJSONEveryField(t *testing.T) {
	m := &core.MessageView{}
	fill(t, reflect.ValueOf(m).Elem())
	ev := core.ChatEventView{Message: m}
	fill(t, reflect.ValueOf(&ev).Elem())
	d := &core.ChatDifference{Events: []core.ChatEventView{ev}}
	fill(t, reflect.ValueOf(d).Elem())
	want, err := json.Marshal(chatDifferenceOut(d))
	if err != nil {
		t.Fatal(err)
	}
	got, err := appendChatDifference(nil, d)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("appendChatDifference misses a field json.Marshal writes:\n got %s\nwant %s", got, want)
	}
}

// fill sets every zero field of the struct v to a value that is not
// its zero: numbers 7, strings "s", bools true, a byte slice (raw JSON)
// to 1, other slices to one element, pointers to a new value.
func fill(t *testing.T, v reflect.Value) {
	t.Helper()
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanSet() || !f.IsZero() {
			continue
		}
		switch f.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			f.SetInt(7)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			f.SetUint(7)
		case reflect.Float32, reflect.Float64:
			f.SetFloat(7)
		case reflect.String:
			f.SetString("s")
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Slice:
			if f.Type().Elem().Kind() == reflect.Uint8 {
				f.SetBytes([]byte("1"))
			} else {
				f.Set(reflect.MakeSlice(f.Type(), 1, 1))
			}
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		case reflect.Map:
			f.Set(reflect.MakeMap(f.Type()))
		case reflect.Struct:
			fill(t, f)
		default:
			t.Fatalf("fill: field %s of kind %s", v.Type().Field(i).Name, f.Kind())
		}
	}
}
