package api

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/havenchat/haven/internal/core"
)

// A chat difference of 10,000 events is a few megabytes of JSON, and
// encoding/json's reflection over its views was most of the time taken
// to answer it after the read. The appenders here write, straight from
// core's values, the bytes json.Marshal writes for their wire views
// (chatDifferenceJSON, chatEventJSON, messageJSON: TestChatDifferenceJSON
// compares them), by hand for what nearly every event holds, numbers and
// plain strings, and leave the rest (entities, forwards, media, service
// actions, reactions, event data, strings with characters JSON escapes)
// to json.Marshal. A chat event's push frame is written the same way.

// chatDifferenceAnswer answers sync.getChatDifference: it encodes itself
// (a jsonAppender) into the WebSocket frame, and over HTTP as the same
// bytes.
type chatDifferenceAnswer struct{ d *core.ChatDifference }

// AppendJSON appends the answer as json.Marshal encodes its wire view.
func (a chatDifferenceAnswer) AppendJSON(dst []byte) ([]byte, error) {
	return appendChatDifference(dst, a.d)
}

// MarshalJSON is AppendJSON for encoding/json (the HTTP answer).
func (a chatDifferenceAnswer) MarshalJSON() ([]byte, error) {
	return appendChatDifference(nil, a.d)
}

// appendChatDifference appends d as json.Marshal encodes
// chatDifferenceOut(d).
func appendChatDifference(dst []byte, d *core.ChatDifference) ([]byte, error) {
	dst = append(dst, `{"events":`...)
	if d.Events == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		var err error
		for i := range d.Events {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendChatEvent(dst, &d.Events[i]); err != nil {
				return nil, err
			}
		}
		dst = append(dst, ']')
	}
	dst = appendIntField(dst, `,"seq":`, d.Seq)
	if d.More {
		dst = append(dst, `,"more":true`...)
	}
	if d.TooLong {
		dst = append(dst, `,"too_long":true`...)
	}
	return append(dst, '}'), nil
}

// appendChatEvent appends e as json.Marshal encodes chatEventOut(e).
func appendChatEvent(dst []byte, e *core.ChatEventView) ([]byte, error) {
	dst = appendIntField(dst, `{"chat_id":`, e.ChatID)
	dst = appendIntField(dst, `,"seq":`, e.Seq)
	dst = appendString(append(dst, `,"kind":`...), string(e.Kind))
	dst = appendIntField(dst, `,"date":`, e.Date)
	if e.UserID != 0 {
		dst = appendIntField(dst, `,"user_id":`, e.UserID)
	}
	if e.MessageID != 0 {
		dst = appendIntField(dst, `,"message_id":`, e.MessageID)
	}
	var err error
	if e.Message != nil {
		if dst, err = appendMessage(append(dst, `,"message":`...), e.Message); err != nil {
			return nil, err
		}
	}
	if len(e.Data) > 0 {
		if dst, err = appendMarshal(append(dst, `,"data":`...), e.Data); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// appendMessage appends m as json.Marshal encodes messageOut(m).
func appendMessage(dst []byte, m *core.MessageView) ([]byte, error) {
	dst = appendIntField(dst, `{"chat_id":`, m.ChatID)
	dst = appendIntField(dst, `,"id":`, m.ID)
	if m.SenderID != 0 {
		dst = appendIntField(dst, `,"sender_id":`, m.SenderID)
	}
	dst = appendIntField(dst, `,"date":`, m.Date)
	if m.Text != "" {
		dst = appendString(append(dst, `,"text":`...), m.Text)
	}
	var err error
	if len(m.Entities) > 0 {
		if dst, err = appendMarshal(append(dst, `,"entities":`...), m.Entities); err != nil {
			return nil, err
		}
	}
	if m.ReplyToID != 0 {
		dst = appendIntField(dst, `,"reply_to_id":`, m.ReplyToID)
	}
	if m.Forward != nil {
		if dst, err = appendMarshal(append(dst, `,"forward":`...), forwardOut(m.Forward)); err != nil {
			return nil, err
		}
	}
	if m.EditDate != 0 {
		dst = appendIntField(dst, `,"edit_date":`, m.EditDate)
	}
	if m.Silent {
		dst = append(dst, `,"silent":true`...)
	}
	if m.Pinned {
		dst = append(dst, `,"pinned":true`...)
	}
	if m.Views != 0 {
		dst = appendIntField(dst, `,"views":`, int64(m.Views))
	}
	if m.ExpiresAt != 0 {
		dst = appendIntField(dst, `,"expires_at":`, m.ExpiresAt)
	}
	if m.Service != nil {
		if dst, err = appendMarshal(append(dst, `,"service":`...), m.Service); err != nil {
			return nil, err
		}
	}
	if m.Media != nil {
		if dst, err = appendMarshal(append(dst, `,"media":`...), m.Media); err != nil {
			return nil, err
		}
	}
	if len(m.Reactions) > 0 {
		if dst, err = appendMarshal(append(dst, `,"reactions":`...), m.Reactions); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

func appendIntField(dst []byte, name string, v int64) []byte {
	return strconv.AppendInt(append(dst, name...), v, 10)
}

// appendMarshal appends v as json.Marshal encodes it.
func appendMarshal(dst []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(dst, b...), nil
}

// appendString appends s as a JSON string, as json.Marshal writes it: by
// hand when it holds nothing json.Marshal escapes (a control character,
// a quote, a backslash, <, > or &, invalid UTF-8, U+2028 or U+2029),
// which is nearly always; otherwise by json.Marshal.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b < 0x20 || b == '"' || b == '\\' || b == '<' || b == '>' || b == '&' {
				return appendQuoted(dst, s)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			return appendQuoted(dst, s)
		}
		i += size
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

func appendQuoted(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always encodes
	return append(dst, b...)
}
