//go:build linux

package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"
)

// The bench's sockets that only receive (a channel's subscribers) are
// read without a goroutine each: a few readers
// (one per core) wait on epoll sets, level-triggered, and read each
// ready socket once, into a buffer they share, parsing the server's
// frames in place. A goroutine per socket, as a WebSocket library
// needs, costs the machine the server shares a read that finds nothing
// (EAGAIN) and a park and a wake-up per frame: on a channel post to
// 15,000 sockets that was most of the bench's CPU. Every frame is still
// read, and every push checked (parseDelivery).

type wsOp = ws.OpCode

const opText = ws.OpText

type clientPoller struct {
	epfd  int
	mu    sync.Mutex
	conns map[int32]*polledConn
}

var (
	pollersOnce sync.Once
	pollers     []*clientPoller
	pollersErr  error
	pollerNext  uint32
	pollerMu    sync.Mutex
)

func clientPollers() ([]*clientPoller, error) {
	pollersOnce.Do(func() {
		for range runtime.GOMAXPROCS(0) {
			fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
			if err != nil {
				pollersErr = err
				return
			}
			p := &clientPoller{epfd: fd, conns: make(map[int32]*polledConn)}
			pollers = append(pollers, p)
			go p.run()
		}
	})
	return pollers, pollersErr
}

func (p *clientPoller) run() {
	events := make([]unix.EpollEvent, 512)
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			panic("bench: epoll_wait: " + err.Error())
		}
		// Under the lock: a socket is not closed (and its number
		// reused) while it is read.
		p.mu.Lock()
		for _, ev := range events[:n] {
			if pc := p.conns[ev.Fd]; pc != nil {
				pc.readReady(buf)
			}
		}
		p.mu.Unlock()
	}
}

// polledConn is a client WebSocket read by a clientPoller. Its
// descriptor is a copy (dup) of the dialled connection's, which is
// closed: Go's own poller no longer wakes for it.
type polledConn struct {
	p  *clientPoller
	fd int
	c  *wsConn

	wmu      sync.Mutex // serializes writes (calls, pongs), and the close
	fdClosed bool       // under wmu and the poller's lock

	// Under the poller's lock: the start of a frame not yet whole, the
	// fragments of a message not yet ended, and whether it ended.
	pending []byte
	frag    []byte
	ended   bool
}

// dialPolled opens a WebSocket at u and hands it to a poller; pushes and
// answers go to c.dispatch.
func dialPolled(ctx context.Context, u string, h http.Header, c *wsConn) (*polledConn, error) {
	ps, err := clientPollers()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoPoller, err)
	}
	var upgradeErr error
	d := ws.Dialer{
		Header:  ws.HandshakeHeaderHTTP(h),
		Timeout: 60 * time.Second,
		OnStatusError: func(status int, _ []byte, resp io.Reader) {
			upgradeErr = fmt.Errorf("opening a socket: HTTP %d", status)
			r, err := http.ReadResponse(bufio.NewReader(resp), nil)
			if err != nil {
				return
			}
			data, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
			if derr := decode("upgrade", data, nil); derr != nil {
				var e *apiError
				if errors.As(derr, &e) {
					upgradeErr = e
				}
			}
		},
	}
	nc, br, _, err := d.Dial(ctx, u)
	if err != nil {
		if upgradeErr != nil {
			return nil, upgradeErr
		}
		return nil, fmt.Errorf("opening a socket: %w", err)
	}
	pc := &polledConn{c: c}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		nc.Close()
		return nil, errors.New("opening a socket: not a TCP connection")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		nc.Close()
		return nil, err
	}
	var dupErr error
	_ = rc.Control(func(fd uintptr) { pc.fd, dupErr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) })
	var pending []byte
	if br != nil {
		// Frames the server sent right after its answer.
		pending = make([]byte, br.Buffered())
		_, _ = io.ReadFull(br, pending)
		ws.PutReader(br)
	}
	nc.Close()
	if dupErr != nil {
		return nil, dupErr
	}
	if len(pending) > 0 {
		// Parsed before a poller knows the socket.
		pc.parse(pending, time.Now())
		if pc.ended {
			return nil, errClosed
		}
	}
	pollerMu.Lock()
	pc.p = ps[pollerNext%uint32(len(ps))]
	pollerNext++
	pollerMu.Unlock()
	pc.p.mu.Lock()
	pc.p.conns[int32(pc.fd)] = pc
	pc.p.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(pc.fd)}
	if err := unix.EpollCtl(pc.p.epfd, unix.EPOLL_CTL_ADD, pc.fd, &ev); err != nil {
		pc.p.mu.Lock()
		pc.shut()
		pc.p.mu.Unlock()
		return nil, err
	}
	return pc, nil
}

// shut forgets the socket and closes its descriptor, once; the caller
// holds the poller's lock (when the socket has a poller).
func (pc *polledConn) shut() {
	pc.wmu.Lock()
	defer pc.wmu.Unlock()
	if pc.fdClosed {
		return
	}
	pc.fdClosed = true
	if pc.p != nil && pc.p.conns[int32(pc.fd)] == pc {
		delete(pc.p.conns, int32(pc.fd))
		_ = unix.EpollCtl(pc.p.epfd, unix.EPOLL_CTL_DEL, pc.fd, nil)
	}
	_ = syscall.Close(pc.fd)
}

// readReady reads what the socket holds, once, without waiting.
func (pc *polledConn) readReady(buf []byte) {
	if pc.ended {
		return
	}
	n, err := syscall.Read(pc.fd, buf)
	if err == syscall.EAGAIN || err == syscall.EINTR {
		return
	}
	if err != nil || n == 0 {
		pc.end()
		return
	}
	pc.parse(buf[:n], time.Now())
}

// parse takes the complete frames of pending and data, and keeps the
// start of an unfinished one.
func (pc *polledConn) parse(data []byte, at time.Time) {
	if len(pc.pending) > 0 {
		data = append(pc.pending, data...)
		pc.pending = nil
	}
	for len(data) >= 2 {
		b0, b1 := data[0], data[1]
		if b1&0x80 != 0 { // a server never masks
			pc.end()
			return
		}
		hdr, size := 2, uint64(b1&0x7f)
		switch size {
		case 126:
			if len(data) < 4 {
				break
			}
			hdr, size = 4, uint64(binary.BigEndian.Uint16(data[2:]))
		case 127:
			if len(data) < 10 {
				break
			}
			hdr, size = 10, binary.BigEndian.Uint64(data[2:])
		}
		if (b1&0x7f == 126 && hdr == 2) || (b1&0x7f == 127 && hdr == 2) || uint64(len(data)-hdr) < size {
			break // not whole yet
		}
		payload := data[hdr : hdr+int(size)]
		data = data[hdr+int(size):]
		fin, op := b0&0x80 != 0, ws.OpCode(b0&0x0f)
		switch op {
		case ws.OpText, ws.OpBinary, ws.OpContinuation:
			if !fin {
				pc.frag = append(pc.frag, payload...)
				continue
			}
			msg := payload
			if pc.frag != nil {
				msg = append(pc.frag, payload...)
				pc.frag = nil
			}
			for line := range bytes.SplitSeq(msg, []byte{'\n'}) {
				pc.c.dispatch(line, at)
			}
		case ws.OpPing:
			p := append([]byte(nil), payload...)
			go func() { _ = pc.write(ws.OpPong, p) }()
		case ws.OpClose:
			p := append([]byte(nil), payload[:min(len(payload), 2)]...)
			go func() { _ = pc.write(ws.OpClose, p) }()
			pc.end()
			return
		}
	}
	if len(data) > 0 {
		pc.pending = append([]byte(nil), data...)
	}
}

// end forgets the socket and closes it; the wsConn ends.
func (pc *polledConn) end() {
	if pc.ended {
		return
	}
	pc.ended = true
	pc.shut()
	pc.c.ended()
}

// write sends one masked frame (a client masks all it sends).
func (pc *polledConn) write(op wsOp, payload []byte) error {
	var key [4]byte
	_, _ = rand.Read(key[:])
	f := make([]byte, 0, 14+len(payload))
	f = append(f, 0x80|byte(op))
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 1<<16:
		f = binary.BigEndian.AppendUint16(append(f, 0x80|126), uint16(n))
	default:
		f = binary.BigEndian.AppendUint64(append(f, 0x80|127), uint64(n))
	}
	f = append(f, key[:]...)
	start := len(f)
	f = append(f, payload...)
	for i := range f[start:] {
		f[start+i] ^= key[i&3]
	}
	pc.wmu.Lock()
	defer pc.wmu.Unlock()
	if pc.fdClosed {
		return errClosed
	}
	// The descriptor does not wait (O_NONBLOCK): wait for room here.
	deadline := time.Now().Add(30 * time.Second)
	for len(f) > 0 {
		n, err := syscall.Write(pc.fd, f)
		if n > 0 {
			f = f[n:]
		}
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			left := time.Until(deadline)
			if left <= 0 {
				return errors.New("writing to a socket: timed out")
			}
			_, _ = unix.Poll([]unix.PollFd{{Fd: int32(pc.fd), Events: unix.POLLOUT}}, int(left.Milliseconds())+1)
		case err != nil:
			return err
		}
	}
	return nil
}

// close sends a normal close; the server's close (or the connection's
// end) ends the socket.
func (pc *polledConn) close() {
	_ = pc.write(ws.OpClose, binary.BigEndian.AppendUint16(nil, uint16(ws.StatusNormalClosure)))
	time.AfterFunc(5*time.Second, func() {
		pc.p.mu.Lock()
		pc.ended = true
		pc.shut()
		pc.p.mu.Unlock()
		pc.c.ended()
	})
}
