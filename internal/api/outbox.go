package api

import "sync"

// DefaultWSQueueBytes bounds what one socket may have waiting to be
// written before it is cut as too slow: room for a burst of a few
// thousand small pushes (a fan-out that was held up, a busy group), or
// for about eighty of the largest messages.
const DefaultWSQueueBytes = 1 << 20

// outbox is a socket's queue of frames to write. It is bounded by bytes,
// not frames: what a slow client costs is memory, and a burst of small
// pushes must not cut a client that reads at the speed of its link.
// Producers never wait: a frame that does not fit tells the caller to
// cut the socket. The one writer takes all that waits at once, so a
// burst costs one wake-up and (on a batching socket) few messages. An
// idle socket's outbox holds no array.
type outbox struct {
	mu     sync.Mutex
	frames []outFrame
	bytes  int
	// shut is set once a close is queued: nothing after it is written.
	shut bool
	// ready holds a token while frames wait for the writer.
	ready chan struct{}
}

func newOutbox() *outbox { return &outbox{ready: make(chan struct{}, 1)} }

// put queues f. A data frame is refused (false) when the frames waiting
// already hold limit bytes or more, unless none waits: a frame larger
// than the limit still goes, alone. A close always fits. Frames after a
// close are dropped (and reported queued: the socket is closing anyway).
func (o *outbox) put(f outFrame, limit int) bool {
	o.mu.Lock()
	if o.shut {
		o.mu.Unlock()
		return true
	}
	if f.data != nil && len(o.frames) > 0 && o.bytes+len(f.data) > limit {
		o.mu.Unlock()
		return false
	}
	o.frames = append(o.frames, f)
	o.bytes += len(f.data)
	o.shut = f.data == nil
	o.mu.Unlock()
	select {
	case o.ready <- struct{}{}:
	default:
	}
	return true
}

// take moves every waiting frame to the end of dst, oldest first, and
// returns it.
func (o *outbox) take(dst []outFrame) []outFrame {
	o.mu.Lock()
	dst = append(dst, o.frames...)
	clear(o.frames)
	// Keep a small array for the next burst; let a large one go.
	if cap(o.frames) > 64 {
		o.frames = nil
	} else {
		o.frames = o.frames[:0]
	}
	o.bytes = 0
	o.mu.Unlock()
	return dst
}

// nextMessage returns the first WebSocket message of frames and the
// frames after it. On a batching socket, consecutive data frames join,
// one per line, up to batchBytes (a frame larger than that goes alone);
// buf then holds the message, for the pool once written. A close frame
// is a message of its own, and the writer stops there.
func nextMessage(frames []outFrame, batch bool) (msg outFrame, rest []outFrame, buf *[]byte) {
	msg, rest = frames[0], frames[1:]
	if !batch || msg.data == nil {
		return msg, rest, nil
	}
	for len(rest) > 0 {
		next := rest[0]
		if next.data == nil || len(msg.data)+1+len(next.data) > batchBytes {
			break
		}
		if buf == nil {
			buf = batchBufs.Get().(*[]byte)
			*buf = append((*buf)[:0], msg.data...)
		}
		*buf = append(append(*buf, '\n'), next.data...)
		msg.data = *buf
		rest = rest[1:]
	}
	return msg, rest, buf
}
