package api

import (
	"encoding/binary"
	"sync"
)

// DefaultWSQueueBytes bounds what one socket may have waiting to be
// written before it is cut as too slow: room for a burst of a few
// thousand small pushes (a fan-out that was held up, a busy group), or
// for about eighty of the largest messages.
const DefaultWSQueueBytes = 1 << 20

// outbox is a socket's queue of frames to write, and who writes them.
//
// It is bounded by bytes, not frames: what a slow client costs is
// memory, and a burst of small pushes must not cut a client that reads
// at the speed of its link. Producers never wait: a frame that does not
// fit tells the caller to cut the socket.
//
// No goroutine waits on an idle socket's outbox. At most one writer owns
// the connection's data writes at a time (busy): a request's answer
// that finds the outbox empty and idle is written by the request's own
// goroutine, without blocking (see socket.send); otherwise the frame is
// queued, and a writer goroutine, started when the first frame is
// queued, writes all that waits, in one write, and ends when nothing is
// left. Pushes always queue: the fan-out worker, one goroutine for all
// the sockets of a chat, makes no system call per socket; it hands the
// sockets it found idle to the node's writers (hub.writes), which write
// without waiting and leave the rest to the socket's writer goroutine
// (socket.flushNoWait). A socket that receives faster than one write per
// push then takes many in one write.
type outbox struct {
	mu     sync.Mutex
	frames []outFrame
	bytes  int
	// busy: a writer owns the connection's data writes (a producer
	// writing directly, a flush goroutine, or the handshake, which holds
	// it until the connection is ready).
	busy bool
	// shut is set once a close is queued: nothing after it is written.
	shut bool
	// direct: producers may write to the connection themselves (it is
	// ready, and it takes writes that do not wait).
	direct bool
}

// newOutbox returns an outbox held busy until the connection is ready
// (open).
func newOutbox() *outbox { return &outbox{busy: true} }

// open makes the connection ready after the handshake, direct saying
// whether producers may write to it themselves. Like release, it
// reports whether frames queued meanwhile need a writer.
func (o *outbox) open(direct bool) (flush bool) {
	o.mu.Lock()
	o.direct = direct
	o.mu.Unlock()
	return o.release()
}

// What put tells the producer to do.
type putResult int

const (
	putQueued  putResult = iota // queued behind a writer at work (or dropped after a close)
	putRefused                  // the queue is full: cut the socket
	putDirect                   // nothing waits and nobody writes: write it yourself, then call done
	putFlush                    // queued as the first: start a writer
)

// put queues f, or, when the caller may write (mine) and direct writes
// are allowed, hands it the connection (putDirect) if the frame may go
// at once. A data frame is
// refused when the frames waiting already hold limit bytes or more,
// unless none waits: a frame larger than the limit still goes, alone. A
// close always fits. Frames after a close are dropped.
func (o *outbox) put(f outFrame, limit int, mine bool) putResult {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.shut:
		return putQueued
	case mine && !o.busy && len(o.frames) == 0 && o.direct && !f.isClose():
		o.busy = true
		return putDirect
	case !f.isClose() && len(o.frames) > 0 && o.bytes+f.size() > limit:
		return putRefused
	}
	o.frames = append(o.frames, f)
	o.bytes += f.size()
	o.shut = f.isClose()
	if o.busy {
		return putQueued
	}
	o.busy = true
	return putFlush
}

// cut drops the frames waiting (but the rest of a frame begun, which
// must end before another can start) and queues close f in their place:
// it reports whether the caller must start a writer. Nothing is queued
// after a close already queued.
func (o *outbox) cut(f outFrame) (flush bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.shut {
		return false
	}
	keep := 0
	if len(o.frames) > 0 && o.frames[0].rest {
		keep = 1
	}
	clear(o.frames[keep:])
	o.frames = append(o.frames[:keep], f)
	o.bytes = 0
	for _, q := range o.frames {
		o.bytes += q.size()
	}
	o.shut = true
	if o.busy {
		return false
	}
	o.busy = true
	return true
}

// putFront queues the unwritten rest of a frame a direct write began,
// ahead of everything, for the writer the caller then starts. The caller
// holds busy.
func (o *outbox) putFront(f outFrame) {
	o.mu.Lock()
	o.frames = append(o.frames, outFrame{})
	copy(o.frames[1:], o.frames)
	o.frames[0] = f
	o.bytes += f.size()
	o.mu.Unlock()
}

// release gives up the connection after a direct write or the handshake:
// it reports whether frames were queued meanwhile, in which case the
// caller still holds busy and must start a writer.
func (o *outbox) release() (flush bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.frames) > 0 {
		return true
	}
	o.busy = false
	return false
}

// take moves every waiting frame to the end of dst, oldest first, and
// returns it. When none waits it releases the connection (the writer
// ends) and returns dst as it was.
func (o *outbox) take(dst []outFrame) []outFrame {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.frames) == 0 {
		o.busy = false
		return dst
	}
	dst = append(dst, o.frames...)
	clear(o.frames)
	// Keep a small array for the next burst; let a large one go.
	if cap(o.frames) > 64 {
		o.frames = nil
	} else {
		o.frames = o.frames[:0]
	}
	o.bytes = 0
	return dst
}

// takeData is take for a writer that does not wait (a fan-out writer,
// see socket.flushNoWait): it moves the frames before the first close to
// the end of dst. When a close is first in line it returns dst as it
// was with closeNext set: the caller, still holding the connection,
// hands it to a writer that waits (flush), which makes the close. When
// nothing waits it releases the connection, as take does.
func (o *outbox) takeData(dst []outFrame) (_ []outFrame, closeNext bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.frames) == 0 {
		o.busy = false
		return dst, false
	}
	n := 0
	for n < len(o.frames) && !o.frames[n].isClose() {
		n++
	}
	if n == 0 {
		return dst, true
	}
	dst = append(dst, o.frames[:n]...)
	if n < len(o.frames) {
		// Only a close can follow (nothing is queued after one).
		rest := copy(o.frames, o.frames[n:])
		clear(o.frames[rest:])
		o.frames = o.frames[:rest]
		o.bytes = 0
		for _, f := range o.frames {
			o.bytes += f.size()
		}
		return dst, false
	}
	clear(o.frames)
	if cap(o.frames) > 64 {
		o.frames = nil
	} else {
		o.frames = o.frames[:0]
	}
	o.bytes = 0
	return dst, false
}

// nextMessage returns the first WebSocket message of frames and the
// frames after it. On a batching socket, consecutive data frames join,
// one per line, up to batchBytes (a frame larger than that goes alone);
// buf then holds the message's data, for the pool once written. A close
// frame, and the rest of a frame already begun, are messages of their
// own; the writer stops at a close.
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
		msg.data, msg.framed = *buf, nil
		rest = rest[1:]
	}
	return msg, rest, buf
}

// appendFrame appends msg to dst as a WebSocket message: its frame as
// prepared, or a final text frame holding its data.
func appendFrame(dst []byte, msg outFrame) []byte {
	if msg.framed != nil {
		return append(dst, msg.framed...)
	}
	return append(appendTextHeader(dst, len(msg.data)), msg.data...)
}

// textFrame returns data as one final, unmasked WebSocket text frame
// (RFC 6455 section 5.2), as a server sends it: encoded once, the same
// bytes go to every socket.
func textFrame(data []byte) []byte {
	return append(appendTextHeader(make([]byte, 0, 10+len(data)), len(data)), data...)
}

func appendTextHeader(dst []byte, n int) []byte {
	const finText = 0x80 | 0x1
	switch {
	case n < 126:
		return append(dst, finText, byte(n))
	case n < 1<<16:
		return binary.BigEndian.AppendUint16(append(dst, finText, 126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(dst, finText, 127), uint64(n))
	}
}
