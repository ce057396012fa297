package api

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"

	"github.com/havenchat/haven"
)

// The reading side of a socket. Frames are parsed from whatever bytes
// have arrived, so that a socket whose peer is quiet holds no goroutine
// and no buffer: the node's poller (netpoll) starts a reader when bytes
// come, the reader takes what the kernel holds without waiting, and the
// socket is armed again. A TLS connection, whose bytes only its own
// reader can decrypt, is read on a goroutine of its own (readLoop).

// readState is what a socket keeps between two reads: the start of a
// frame not all arrived, and the frames of a fragmented message so far.
// A socket has none while nothing is pending.
type readState struct {
	partial  []byte
	frag     []byte
	fragOp   ws.OpCode
	fragging bool
}

// readBufSize is how much one read takes from the kernel.
const readBufSize = 16 << 10

// readBufs are the readers' buffers, shared by all sockets.
var readBufs = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

// closeWait is how long a socket that sent its close frame waits for the
// peer's before it drops the connection.
const closeWait = 5 * time.Second

// pingFrame is the ping sent to a quiet peer.
var pingFrame = ws.MustCompileFrame(ws.NewPingFrame(nil))

// errAgain: nothing more to read for now.
var errAgain = errors.New("nothing to read")

// Readable starts a reader: the poller saw bytes arrive, or the peer go.
func (k *socket) Readable() {
	if k.reading.CompareAndSwap(false, true) {
		go k.readReady(nil)
	}
}

// readReady reads early (what came with the handshake), then what has
// arrived without waiting, then arms the poller again; it ends the
// socket when the peer has gone.
func (k *socket) readReady(early []byte) {
	bp := readBufs.Get().(*[]byte)
	k.readMu.Lock()
	defer k.unlockRead()
	ok := !k.ended && k.consume(early) && k.readAvailable(*bp)
	readBufs.Put(bp)
	// Cleared before arming: a wake-up once armed must start a reader.
	k.reading.Store(false)
	if ok && k.poll.Arm(k.fd, k) != nil {
		ok = false
	}
	if !ok {
		k.endLocked()
	}
}

// readAvailable consumes what the kernel holds; false when the socket
// must end (the peer went, or the connection failed).
func (k *socket) readAvailable(buf []byte) bool {
	for !k.dead.Load() {
		n, err := k.readSome(buf)
		if n > 0 {
			if !k.consume(buf[:n]) {
				return false
			}
			if n < len(buf) {
				return true // the kernel had no more; the poller tells if more came
			}
			continue
		}
		return err == errAgain
	}
	return false
}

// readSome reads what it can into b without waiting: errAgain when
// nothing waits, 0 and no error at the end of the stream.
func (k *socket) readSome(b []byte) (n int, err error) {
	rerr := k.raw.Read(func(fd uintptr) bool {
		for {
			m, e := syscall.Read(int(fd), b)
			if e == syscall.EINTR {
				continue
			}
			switch {
			case e == syscall.EAGAIN:
				err = errAgain
			case e != nil:
				err = e
			default:
				n = m
			}
			return true // never wait: the poller says when to come back
		}
	})
	if err == nil {
		err = rerr
	}
	return n, err
}

// readLoop reads a connection the poller cannot watch, after early,
// until it ends.
func (k *socket) readLoop(early []byte) {
	k.readMu.Lock()
	ok := k.ended || k.consume(early)
	if !ok {
		k.endLocked()
	}
	k.unlockRead()
	if !ok {
		return
	}
	buf := make([]byte, 4<<10)
	for {
		n, err := k.nc.Read(buf)
		k.readMu.Lock()
		ok := !k.ended && (n == 0 || k.consume(buf[:n])) && err == nil
		if !ok {
			k.endLocked()
		}
		k.unlockRead()
		if !ok {
			return
		}
	}
}

// consume parses the frames of p, after what was pending; false when
// the socket must end now. The caller holds readMu.
func (k *socket) consume(p []byte) bool {
	if k.failing.Load() {
		// The rest of a broken stream means nothing: the close is on its
		// way, and the connection goes closeWait after it, or when the
		// peer closes.
		return true
	}
	b := p
	if k.rd != nil && len(k.rd.partial) > 0 {
		k.rd.partial = append(k.rd.partial, p...)
		b = k.rd.partial
	}
	for {
		h, n, ok := frameHeader(b)
		if !ok {
			break
		}
		state := ws.StateServerSide
		if k.rd != nil && k.rd.fragging {
			state |= ws.StateFragmented
		}
		if err := ws.CheckHeader(h, state); err != nil {
			k.fail(ws.StatusProtocolError, err.Error())
			return true
		}
		pending := int64(0)
		if k.rd != nil {
			pending = int64(len(k.rd.frag))
		}
		if h.Length > k.srv.maxBody-pending {
			k.fail(ws.StatusMessageTooBig, "read limited at "+strconv.FormatInt(k.srv.maxBody+1, 10)+" bytes")
			return true
		}
		if int64(len(b)-n) < h.Length {
			break
		}
		payload := b[n : n+int(h.Length)]
		b = b[n+int(h.Length):]
		ws.Cipher(payload, h.Mask, 0)
		if !k.frame(h, payload) || k.dead.Load() {
			return false
		}
		if k.failing.Load() {
			return true
		}
	}
	// Keep the start of the next frame; let the buffer go when none is
	// pending.
	switch {
	case len(b) > 0 && k.rd != nil && len(k.rd.partial) > 0:
		k.rd.partial = append(k.rd.partial[:0], b...)
	case len(b) > 0:
		if k.rd == nil {
			k.rd = &readState{}
		}
		k.rd.partial = bytes.Clone(b)
	case k.rd != nil:
		k.rd.partial = nil
		if !k.rd.fragging {
			k.rd = nil
		}
	}
	return true
}

// frameHeader parses the header of the frame at the start of b (RFC
// 6455 section 5.2) and its size; ok is false while it has not all
// arrived.
func frameHeader(b []byte) (h ws.Header, n int, ok bool) {
	if len(b) < 2 {
		return h, 0, false
	}
	h.Fin = b[0]&0x80 != 0
	h.Rsv = (b[0] & 0x70) >> 4
	h.OpCode = ws.OpCode(b[0] & 0x0f)
	h.Masked = b[1]&0x80 != 0
	n = 2
	switch l := b[1] & 0x7f; l {
	case 126:
		if len(b) < 4 {
			return h, 0, false
		}
		h.Length, n = int64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return h, 0, false
		}
		u := binary.BigEndian.Uint64(b[2:])
		h.Length, n = int64(min(u, math.MaxInt64)), 10
	default:
		h.Length = int64(l)
	}
	if h.Masked {
		if len(b) < n+4 {
			return h, 0, false
		}
		copy(h.Mask[:], b[n:])
		n += 4
	}
	return h, n, true
}

// frame takes one whole frame; false when the socket must end now.
func (k *socket) frame(h ws.Header, p []byte) bool {
	k.alive.Store(time.Now().UnixNano())
	switch h.OpCode {
	case ws.OpPing:
		k.send(outFrame{framed: ws.MustCompileFrame(ws.NewPongFrame(p))})
		return true
	case ws.OpPong:
		return true
	case ws.OpClose:
		return k.peerClosed(p)
	}
	if k.closeSent.Load() || k.closeRecv.Load() {
		return true // closing: no new request
	}
	if !h.Fin || (k.rd != nil && k.rd.fragging) {
		if k.rd == nil {
			k.rd = &readState{}
		}
		if !k.rd.fragging {
			k.rd.fragging, k.rd.fragOp = true, h.OpCode
		}
		k.rd.frag = append(k.rd.frag, p...)
		if !h.Fin {
			return true
		}
		p, h.OpCode = k.rd.frag, k.rd.fragOp
		k.rd.frag, k.rd.fragging = nil, false
	} else {
		p = bytes.Clone(p) // the read buffer is reused
	}
	k.message(h.OpCode, p)
	return true
}

// peerClosed answers the peer's close frame with its code; false when
// the socket has sent its own already and may end now.
func (k *socket) peerClosed(p []byte) bool {
	k.closeRecv.Store(true)
	if k.closeSent.Load() {
		return false
	}
	code := ws.StatusNormalClosure
	if len(p) >= 2 {
		var reason string
		code, reason = ws.ParseCloseFrameData(p)
		if ws.CheckCloseFrameData(code, reason) != nil {
			code = ws.StatusProtocolError
		}
	} else if len(p) == 1 {
		code = ws.StatusProtocolError
	}
	k.closed.Store(true)
	k.closeAfterQueue(code, "")
	return true
}

// fail closes the socket for a frame that breaks the protocol or the
// size limit: the close goes out, and nothing read after it is taken.
func (k *socket) fail(code ws.StatusCode, reason string) {
	k.failing.Store(true)
	k.closeNow(code, reason)
}

// message takes one whole message from the client: a request.
func (k *socket) message(op ws.OpCode, data []byte) {
	if op != ws.OpText {
		k.reply(nil, nil, haven.Errorf(haven.CodeMalformedJSON, "frames are JSON text"))
		return
	}
	var f requestFrame
	if err := decodeFrame(data, &f); err != nil {
		k.reply(frameID(data), nil, err)
		return
	}
	if e := k.refuse.Load(); e != nil {
		k.reply(f.ID, nil, e)
		return
	}
	// A client with as many requests running as it may have waits: its
	// socket is not read meanwhile.
	k.requestSlots() <- struct{}{}
	k.running.Add(1)
	go k.handle(k.requestCtx(), f)
}

// closeFrame is a close frame with code and reason, the reason cut to
// what a control frame holds.
func closeFrame(code ws.StatusCode, reason string) []byte {
	const most = ws.MaxControlFramePayloadSize - 2
	for len(reason) > most {
		_, size := utf8.DecodeLastRuneInString(reason)
		reason = reason[:len(reason)-size]
	}
	return ws.MustCompileFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(code, reason)))
}

// drop closes the connection at once, without a closing handshake.
func (k *socket) drop() { k.finish() }

// finish ends the socket: its connection closes, its requests are
// cancelled, and once they have answered it is counted out. It never
// waits for the reader (which may wait for a request slot that the
// caller holds): a reader at work ends the socket itself when it lets
// go (unlockRead).
func (k *socket) finish() {
	k.dead.Store(true)
	k.cancel()
	if k.readMu.TryLock() {
		k.endLocked()
		k.readMu.Unlock()
	}
}

// unlockRead lets go of readMu, and ends the socket if it was asked to
// meanwhile.
func (k *socket) unlockRead() {
	k.readMu.Unlock()
	if k.dead.Load() {
		k.finish()
	}
}

// endLocked is finish for a caller that holds readMu.
func (k *socket) endLocked() {
	if k.ended {
		return
	}
	k.ended = true
	k.dead.Store(true)
	k.closed.Store(true)
	k.cancel()
	opened := k.nc != nil
	if opened {
		if k.poll != nil {
			k.poll.Remove(k.fd, k)
		}
		_ = k.nc.Close()
	}
	k.rd = nil
	go func() {
		k.running.Wait()
		k.srv.sockets.remove(k)
		if opened {
			k.srv.metrics.sockets.Dec()
		}
		k.markEnded()
	}()
}
