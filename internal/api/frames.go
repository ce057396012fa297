package api

import (
	"slices"

	"github.com/havenchat/haven/internal/core"
)

// Push frames: what a socket receives unasked, {"push":KIND,"data":DATA}.
// Core publishes each push encoded once, by AppendFrame (its
// core.Frames, given by the composition root), and every node writes the
// same bytes to each of its sockets; docs/api.md lists the kinds.

var _ core.Frames = AppendFrame

// pushFrame is a push frame as encoding/json writes it.
type pushFrame struct {
	Push string `json:"push"`
	Data any    `json:"data"`
}

// typingView is the data of a chat.typing push.
type typingView struct {
	ChatID    int64 `json:"chat_id"`
	ExpiresIn int   `json:"expires_in"`
	UserID    int64 `json:"user_id"`
}

// EncodeFrame encodes a push as the frame clients receive.
func EncodeFrame(kind string, data any) ([]byte, error) {
	return AppendFrame(nil, kind, data)
}

// AppendFrame appends a push of core's to dst as the frame clients
// receive. It is core.Frames.
func AppendFrame(dst []byte, kind string, data any) ([]byte, error) {
	if ev, ok := data.(core.ChatEventView); ok {
		// The push nearly every socket receives, written by hand: the
		// bytes json.Marshal writes for the frame (TestEncodeFrameChatEvent).
		size := 256 // the frame around a message's text, with room to spare
		if ev.Message != nil {
			size += len(ev.Message.Text)
		}
		dst = appendString(append(slices.Grow(dst, size), `{"push":`...), kind)
		dst, err := appendChatEvent(append(dst, `,"data":`...), &ev)
		if err != nil {
			return nil, err
		}
		return append(dst, '}'), nil
	}
	return appendMarshal(dst, pushFrame{Push: kind, Data: pushData(data)})
}

// pushData maps a push's domain value to its wire view.
func pushData(data any) any {
	switch d := data.(type) {
	case core.Typing:
		return typingView{ChatID: d.ChatID, ExpiresIn: d.ExpiresIn, UserID: d.UserID}
	case core.UserEventView:
		return userEventOut(&d)
	case core.UserStatusView:
		return userStatusPushOut(&d)
	case core.PreKeyCounts:
		return preKeyCountsJSON(d)
	case core.SecretQueuedView:
		return secretQueuedJSON(d)
	}
	return data
}

// chatEventFrame encodes a chat event read from the log as the push
// frame sockets receive (a socket catching up on a chat).
func chatEventFrame(ev core.ChatEventView) ([]byte, error) {
	return EncodeFrame(core.PushChatEvent, ev)
}
