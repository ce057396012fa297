package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/gobwas/ws"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/netpoll"
)

// Close codes of the WebSocket transport beyond RFC 6455's.
const (
	// closeSessionEnded: the socket's session was ended (logged out,
	// terminated from another device, account deleted).
	closeSessionEnded ws.StatusCode = 4001
	// closeTooSlow: the client did not read fast enough; it should
	// reconnect and catch up from the log.
	closeTooSlow ws.StatusCode = 4008
	// closeResync: the node may have missed pushes (its bus connection
	// was restored, or it fell behind the bus); the client should
	// reconnect and catch up from the log.
	closeResync ws.StatusCode = 4009
)

// writeTimeout bounds one frame's write; a peer that stalls longer is cut.
const writeTimeout = 10 * time.Second

// batchBytes bounds a WebSocket message of several frames (on a socket
// opened with ?batch=1): frames queued together go out in one message,
// one per line, until it holds this many bytes. A frame larger than
// that goes alone.
const batchBytes = 64 << 10

// requestFrame is what a client sends: {"id","method","params"}.
type requestFrame struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

// responseFrame answers a request: the envelope plus the request's id.
type responseFrame struct {
	ID     json.RawMessage `json:"id"`
	OK     bool            `json:"ok"`
	Result any             `json:"result,omitempty"`
	Error  *wireError      `json:"error,omitempty"`
}

// outFrame is queued for the writer: data to send (and, when it was
// made once for many sockets, framed: the WebSocket frame that holds
// it), the unwritten rest of a frame (framed alone), or a close to make.
type outFrame struct {
	data   []byte
	framed []byte
	code   ws.StatusCode
	reason string
	// rest: the unwritten rest of a frame a direct write began.
	rest bool
}

func (f outFrame) isClose() bool { return f.data == nil && f.framed == nil }

// size is what the frame holds in the queue.
func (f outFrame) size() int {
	if f.data != nil {
		return len(f.data)
	}
	return len(f.framed)
}

// socket is one WebSocket connection.
type socket struct {
	srv *Server
	// nc is the connection, once the handshake is done; every frame the
	// socket sends goes through its outbox, so no two writes interleave.
	// raw, when nc is plain TCP, takes reads and writes that do not
	// wait, and poll (with fd) tells when it has something to read. All
	// are set, under readMu, before the outbox opens.
	nc    net.Conn
	raw   syscall.RawConn
	poll  *netpoll.Poller
	fd    int
	ip    string
	actor atomic.Pointer[core.Actor] // nil until authorized; set by the hub
	// group is the client's address group, for the per-address caps.
	group string
	// opened is when the upgrade came (Unix nanoseconds): an
	// unauthorized socket is closed AuthTimeout after it.
	opened int64
	// alive is when the peer was last heard from (a frame read or a
	// pong), in Unix nanoseconds; pingAt, when a ping was sent that no
	// frame has answered yet (0 when none waits).
	alive  atomic.Int64
	pingAt atomic.Int64

	// The reading side (wsread.go): reading is set while a reader runs;
	// readMu is held by it, and guards rd and ended. dead is set once
	// the socket is ending.
	reading atomic.Bool
	readMu  sync.Mutex
	rd      *readState
	ended   bool
	dead    atomic.Bool
	// The closing handshake: the close frame sent and received; failing,
	// the peer broke the protocol (the close goes out, then the
	// connection is dropped without waiting for the peer's).
	closeSent, closeRecv, failing atomic.Bool

	// chats are the chats whose pushes the socket receives; the hub
	// owns it, under its lock.
	chats map[int64]struct{}
	// leftDuring, while the hub loads the socket's chats, collects the
	// chats its person leaves meanwhile.
	leftDuring map[int64]bool
	// catching holds, per chat the socket's person was just added to,
	// the chat's pushes that arrive while the hub reads the events the
	// node may have missed before it subscribed (hub.catchUp). The hub
	// owns it: written under its lock, read by the chat's fan-out worker.
	catching map[int64]*catchup
	// caughtUp is, per chat caught up on, the last seq sent from the
	// log: a push of that chat up to it is not sent twice.
	caughtUp map[int64]int64
	// present is the person the hub counts the socket for (presence);
	// the hub owns it, under its lock.
	present int64

	out *outbox
	// slots holds the in-flight request slots, made by the reader for
	// the socket's first request (an idle socket has none); nil until
	// then, for no request ran.
	slots   atomic.Pointer[chan struct{}]
	running sync.WaitGroup
	// reqs is the requests' context, made with the first request and
	// cancelled when the socket ends (see requestContext).
	reqs atomic.Pointer[requestContext]
	// refuse, once set, is the answer to every new request.
	refuse atomic.Pointer[haven.Error]
	closed atomic.Bool
	// cut is set once the socket is counted as cut for being too slow
	// (see cutSlow).
	cut atomic.Bool
	// done is closed once the socket has ended and its requests have
	// answered; made on demand (see over), nil until then.
	done atomic.Pointer[chan struct{}]
	// batch: the client takes several frames in one message, one per
	// line (it opened the socket with ?batch=1).
	batch bool
}

// batchBufs holds the buffers of batched messages, shared by all sockets
// so that an idle socket keeps none.
var batchBufs = sync.Pool{New: func() any { return new([]byte) }}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	addr := s.clientAddr(r)
	ip := ipString(addr, r)
	var actor *core.Actor
	if tok := bearer(r); tok != "" {
		a, err := s.core.Authenticate(r.Context(), tok, ip)
		if err != nil {
			writeError(w, err)
			return
		}
		actor = &core.Actor{UserID: a.UserID, SessionID: a.SessionID, IP: ip}
	}
	if s.closing.Load() {
		writeError(w, haven.Errorf(haven.CodeUnavailable, "shutting down"))
		return
	}
	batch, err := batchParam(r)
	if err != nil {
		writeError(w, err)
		return
	}
	now := time.Now().UnixNano()
	sock := &socket{
		srv:    s,
		ip:     ip,
		group:  addrGroup(addr, r),
		opened: now,
		out:    newOutbox(),
		batch:  batch,
	}
	sock.alive.Store(now)
	if err := checkOrigin(r); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	// Count the socket in and subscribe before the handshake completes:
	// once the client sees the socket open, every commit after that
	// reaches it as a push. Pushes that come meanwhile wait in the queue
	// for the writer.
	if err := s.sockets.add(r.Context(), sock, actor); err != nil {
		writeError(w, err)
		return
	}
	// No compression is offered (none is negotiated), no subprotocol.
	hj := &hijacker{ResponseWriter: w}
	nc, _, _, err := ws.HTTPUpgrader{}.Upgrade(r, hj)
	if err != nil {
		// The upgrader has answered the client.
		if nc != nil {
			_ = nc.Close()
		}
		sock.finish()
		return
	}
	sock.readMu.Lock()
	if sock.ended {
		sock.unlockRead()
		_ = nc.Close()
		return
	}
	sock.nc = nc
	// A plain connection (not TLS, which must encrypt what is written
	// and decrypt what is read) takes reads and writes that do not wait.
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			sock.raw = rc
		}
	}
	if p, err := netpoll.Shared(); err == nil && sock.raw != nil {
		_ = sock.raw.Control(func(fd uintptr) { sock.fd = int(fd) })
		sock.poll = p
	}
	s.metrics.sockets.Inc()
	sock.unlockRead()
	// Pushes queued during the handshake go now.
	if sock.out.open(sock.raw != nil) {
		go sock.flush()
	}
	// This handler returns, and net/http lets go of the request, its
	// headers and its buffers. A socket the poller watches holds no
	// goroutine while its peer is quiet: the first reader takes what
	// the client wrote before it saw the handshake's answer, then arms
	// the poller.
	if sock.poll != nil {
		sock.reading.Store(true)
		go sock.readReady(hj.prefix)
	} else {
		go sock.readLoop(hj.prefix)
	}
}

// bind attaches the socket to a session: its requests act as that
// session, and ending the session closes the socket. signedIn says the
// session was made by a sign-in on this socket (see hub.bind).
// Errors: CONNECTIONS_TOO_MANY.
func (k *socket) bind(ctx context.Context, a *core.Actor, signedIn bool) error {
	return k.srv.sockets.bind(ctx, k, &core.Actor{UserID: a.UserID, SessionID: a.SessionID, IP: k.ip}, signedIn)
}

// decodeFrame checks a request frame with the same rules as HTTP bodies.
func decodeFrame(data []byte, f *requestFrame) error {
	if err := decodeParams(data, f); err != nil {
		return err
	}
	if !validID(f.ID) {
		return haven.Errorf(haven.CodeParamInvalid, "a request frame needs an id that is a string or a whole number from 0 to 2^53-1")
	}
	if f.Method == "" {
		return haven.Errorf(haven.CodeParamMissing, "a request frame needs a method")
	}
	return nil
}

// frameID recovers the id of a frame that failed the strict decoding, so
// that the error reaches the right caller; null when there is none, when
// the frame is not well-formed JSON, or when it names two ids (whose
// answer would it be?).
func frameID(data []byte) json.RawMessage {
	// Duplicates or bad UTF-8 elsewhere (inside params, say) do not hide
	// the id; validID checks the id itself.
	dec := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil
	}
	var id jsontext.Value
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil
		}
		name := tok.String() // before the next read voids tok
		val, err := dec.ReadValue()
		if err != nil {
			return nil
		}
		if name == "id" {
			if id != nil {
				return nil
			}
			id = val.Clone()
		}
	}
	if _, err := dec.ReadToken(); err != nil || !validID(id) {
		return nil
	}
	return json.RawMessage(id)
}

// validID reports whether a frame id is a JSON string or a whole number
// from 0 to 2^53-1 (exact in JavaScript, as every id of the API).
func validID(id []byte) bool {
	id = bytes.TrimSpace(id)
	if len(id) == 0 {
		return false
	}
	if id[0] == '"' {
		return utf8.Valid(id) && !hasLoneSurrogate(id)
	}
	n, err := strconv.ParseInt(string(id), 10, 64)
	return err == nil && id[0] >= '0' && id[0] <= '9' && n < haven.MaxID
}

func (k *socket) handle(ctx context.Context, f requestFrame) {
	defer func() {
		<-*k.slots.Load()
		k.running.Done()
	}()
	start := time.Now()
	c := &call{actor: k.actor.Load(), ip: k.ip, bind: k.bind}
	res, err := k.srv.invoke(ctx, f.Method, c, f.Params)
	code := "OK"
	if err != nil {
		code = haven.ErrorCode(err)
	}
	k.srv.metrics.observe(k.srv.metricName(f.Method), code, time.Since(start))
	k.reply(f.ID, res, err)
}

func (k *socket) reply(id json.RawMessage, res any, err error) {
	if id == nil {
		id = json.RawMessage("null")
	}
	if a, ok := res.(jsonAppender); ok && err == nil {
		f, aerr := appendAnswer(id, a)
		if aerr != nil {
			k.srv.log.Error("encoding a response frame", "err", aerr)
			return
		}
		k.answer(f)
		return
	}
	fr := responseFrame{ID: id, OK: err == nil, Result: res}
	if err != nil {
		we, _ := toWire(err)
		fr.Error = &we
	}
	b, merr := json.Marshal(fr)
	if merr != nil {
		k.srv.log.Error("encoding a response frame", "err", merr)
		return
	}
	k.answer(outFrame{data: b})
}

// jsonAppender is a result that encodes itself, writing the bytes
// json.Marshal would (a chat difference: megabytes of events).
type jsonAppender interface {
	AppendJSON(dst []byte) ([]byte, error)
}

// maxHeader is the longest header of a server's text frame.
const maxHeader = 10

// appendAnswer encodes a successful answer straight into its WebSocket
// frame: the JSON is appended after room for the header, which goes in
// front once the length is known. The frame holds the same bytes as
// reply's json.Marshal of a responseFrame, with no second copy.
func appendAnswer(id json.RawMessage, a jsonAppender) (outFrame, error) {
	idb, err := json.Marshal(id) // as the responseFrame's field
	if err != nil {
		return outFrame{}, err
	}
	buf := make([]byte, maxHeader, 64<<10)
	buf = append(append(append(buf, `{"id":`...), idb...), `,"ok":true,"result":`...)
	if buf, err = a.AppendJSON(buf); err != nil {
		return outFrame{}, err
	}
	buf = append(buf, '}')
	data := buf[maxHeader:]
	var h [maxHeader]byte
	start := maxHeader - len(appendTextHeader(h[:0], len(data)))
	appendTextHeader(buf[start:start], len(data))
	return outFrame{data: data, framed: buf[start:]}, nil
}

// push sends a server push; a socket too slow to take it is cut.
func (k *socket) push(kind string, data any) {
	b, err := EncodeFrame(kind, data)
	if err != nil {
		k.srv.log.Error("encoding a push", "err", err)
		return
	}
	k.send(outFrame{data: b})
}

// send queues a push without waiting: a full queue means the client is
// not keeping up, and it is closed rather than waited for.
func (k *socket) send(f outFrame) { k.put(f, false) }

// answer sends a request's answer; when nothing else waits to be written,
// the caller writes it (see outbox).
func (k *socket) answer(f outFrame) { k.put(f, true) }

func (k *socket) put(f outFrame, mine bool) {
	if k.closed.Load() {
		return
	}
	switch k.out.put(f, k.srv.wsQueue, mine) {
	case putRefused:
		k.cutSlow(closeTooSlow, "too slow: reconnect and resync")
	case putDirect:
		k.writeNow(f)
	case putFlush:
		go k.flush()
	}
}

// writeNow writes f on the caller's goroutine, as far as the kernel takes
// it without waiting: most often all of it, and no goroutine wakes. What
// is left goes to a writer goroutine, first in the queue. The caller
// holds the outbox (putDirect).
func (k *socket) writeNow(f outFrame) {
	b := f.framed
	if b == nil {
		b = textFrame(f.data)
	}
	n, err := k.writeSome(b)
	switch {
	case err != nil:
		k.drop()
	case n < len(b):
		k.out.putFront(outFrame{framed: b[n:], rest: true})
		go k.flush()
	case k.out.release():
		go k.flush()
	}
}

// writeSome writes what it can of b without waiting.
func (k *socket) writeSome(b []byte) (n int, err error) {
	werr := k.raw.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, e := syscall.Write(int(fd), b[n:])
			if m > 0 {
				n += m
			}
			if e == syscall.EINTR {
				continue
			}
			if e != nil && e != syscall.EAGAIN {
				err = e
			}
			if e != nil || m <= 0 {
				break
			}
		}
		return true // never wait: the rest goes to a writer
	})
	if err == nil {
		err = werr
	}
	return n, err
}

// cutSlow closes a socket that does not keep up (its queue full, or too
// far behind), counted as cut for being too slow.
func (k *socket) cutSlow(code ws.StatusCode, reason string) {
	k.countCut()
	k.closeNow(code, reason)
}

// countCut counts the socket as cut for being too slow, once, whichever
// way it goes: closed as its queue filled (cutSlow), or dropped as a
// write missed its deadline (writeFrames), which may be the close frame
// of that cut.
func (k *socket) countCut() {
	if k.cut.CompareAndSwap(false, true) {
		k.srv.metrics.cut.Inc()
	}
}

// closeNow closes the connection without waiting for queued frames:
// they are dropped, the close goes next.
func (k *socket) closeNow(code ws.StatusCode, reason string) {
	if k.closed.CompareAndSwap(false, true) && k.out.cut(outFrame{code: code, reason: reason}) {
		go k.flush()
	}
}

// closeAfterQueue closes the connection once the frames queued before it
// have been written.
func (k *socket) closeAfterQueue(code ws.StatusCode, reason string) {
	if k.out.put(outFrame{code: code, reason: reason}, k.srv.wsQueue, false) == putFlush {
		go k.flush()
	}
}

// batchParam reads the upgrade request's batch parameter: "1" when the
// client takes several frames per message, "0" or absent when not.
// Errors: CodeParamInvalid.
func batchParam(r *http.Request) (bool, error) {
	switch v := r.URL.Query().Get("batch"); v {
	case "", "0":
		return false, nil
	case "1":
		return true, nil
	default:
		return false, haven.Errorf(haven.CodeParamInvalid, "batch must be 0 or 1, not %q", v)
	}
}

// flush writes what the socket's outbox holds, all of it at each round,
// in one write, until nothing is left; it runs while there is something
// to write, so an idle socket has no writer goroutine.
func (k *socket) flush() {
	var frames []outFrame
	for {
		frames = k.out.take(frames[:0])
		if len(frames) == 0 {
			return
		}
		ok := k.writeFrames(frames)
		clear(frames)
		if !ok {
			return
		}
	}
}

// wbufs hold the bytes of a writer's round, shared by all sockets.
var wbufs = sync.Pool{New: func() any { return new([]byte) }}

// writeFrames writes frames as WebSocket messages, or makes the close
// among them; it reports whether the writer should go on.
func (k *socket) writeFrames(frames []outFrame) bool {
	wb := wbufs.Get().(*[]byte)
	defer putWbuf(wb)
	closing := k.encode(wb, frames)
	buf := *wb
	if len(buf) > 0 {
		if err := k.writeAll(buf); err != nil {
			// A peer that took nothing for writeTimeout, its buffers
			// full, is dropped for being too slow: its close frame
			// could not get through either.
			if isTimeout(err) {
				k.countCut()
			}
			k.drop()
			return false
		}
	}
	if closing != nil {
		// The peer's close ends the socket (see peerClosed); a peer that
		// sent its close already is not waited for, nor one that never
		// answers. (One that broke the protocol is read on, its bytes
		// thrown away, so that it reads the close before the connection
		// goes: closed with unread bytes, it would be reset.)
		k.closed.Store(true)
		k.closeSent.Store(true)
		if k.closeRecv.Load() {
			k.drop()
		} else {
			time.AfterFunc(closeWait, k.drop)
		}
		return false
	}
	return true
}

func putWbuf(wb *[]byte) {
	if cap(*wb) <= batchBytes {
		wbufs.Put(wb)
	}
}

// encode sets *wb to frames as the bytes of WebSocket messages (joined
// when the socket batches), up to and with the first close, which it
// returns (nil when there is none).
func (k *socket) encode(wb *[]byte, frames []outFrame) (closing *outFrame) {
	buf := (*wb)[:0]
	for rest := frames; len(rest) > 0; {
		var msg outFrame
		var bb *[]byte
		msg, rest, bb = nextMessage(rest, k.batch)
		if msg.isClose() {
			closing = &msg
			break
		}
		buf = appendFrame(buf, msg)
		if bb != nil {
			batchBufs.Put(bb)
		}
	}
	if closing != nil {
		buf = append(buf, closeFrame(closing.code, closing.reason)...)
	}
	*wb = buf
	return closing
}

// sendFanned queues a chat push for the fan-out's writers (hub.writers):
// it reports whether the caller must hand the socket to one of them,
// the push being first in an idle outbox. The socket's own writer
// goroutine (flush) is started only for a connection that does not take
// writes that do not wait (TLS). A full queue cuts the socket, as send.
func (k *socket) sendFanned(f outFrame) (write bool) {
	if k.closed.Load() {
		return false
	}
	switch k.out.put(f, k.srv.wsQueue, false) {
	case putRefused:
		k.cutSlow(closeTooSlow, "too slow: reconnect and resync")
	case putFlush:
		// raw was set before the outbox opened, and putFlush comes
		// only after that.
		if k.raw != nil {
			return true
		}
		go k.flush()
	}
	return false
}

// flushNoWait writes what the socket's outbox holds, on the caller's
// goroutine (a fan-out writer) and without waiting: round after round
// until nothing is left, when the connection is released. What the
// kernel does not take, and a close, go to the socket's own writer
// goroutine (flush), which may wait: a slow reader never holds up the
// fan-out writer, and is cut as before when its queue fills. The caller
// holds the outbox (putFlush). frames is scratch space, returned for
// reuse.
func (k *socket) flushNoWait(frames []outFrame) []outFrame {
	for {
		var closeNext bool
		frames, closeNext = k.out.takeData(frames[:0])
		if len(frames) == 0 {
			if closeNext {
				go k.flush()
			}
			return frames
		}
		wb := wbufs.Get().(*[]byte)
		k.encode(wb, frames)
		clear(frames)
		b := *wb
		n, err := k.writeSome(b)
		switch {
		case err != nil:
			putWbuf(wb)
			k.drop()
			return frames
		case n < len(b):
			k.out.putFront(outFrame{framed: bytes.Clone(b[n:]), rest: true})
			putWbuf(wb)
			go k.flush()
			return frames
		}
		putWbuf(wb)
	}
}

// writeAll writes b, first without waiting (most often the kernel takes
// it all, and no deadline is set), then the rest with a deadline: a
// peer that takes nothing for writeTimeout is cut (a timeout error).
func (k *socket) writeAll(b []byte) error {
	if k.raw != nil {
		n, err := k.writeSome(b)
		if err != nil {
			return err
		}
		if b = b[n:]; len(b) == 0 {
			return nil
		}
	}
	// The deadline is cleared after: a direct write must not wait.
	_ = k.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := k.nc.Write(b)
	_ = k.nc.SetWriteDeadline(time.Time{})
	return err
}

// endSession tells the client its session ended and closes the socket
// once the requests already running (the logOut that ended it, say) have
// answered. The socket takes no new request meanwhile.
func (k *socket) endSession(id int64) {
	k.refuse.Store(haven.Errorf(haven.CodeTokenInvalid, "the session has ended"))
	k.push("session.ended", map[string]int64{"session_id": id})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		defer cancel()
		k.waitIdle(ctx)
		k.closeAfterQueue(closeSessionEnded, haven.CodeTokenInvalid+": the session has ended")
	}()
}

// waitIdle returns when no request of the socket is running, or ctx ends.
func (k *socket) waitIdle(ctx context.Context) {
	// The slots in use are the requests still running.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for k.inflight() > 0 && ctx.Err() == nil {
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
}

// drainAndClose refuses new requests, waits for running ones to answer,
// then closes with "going away".
func (k *socket) drainAndClose(ctx context.Context) {
	k.refuse.Store(haven.Errorf(haven.CodeUnavailable, "the server is shutting down; reconnect"))
	k.waitIdle(ctx)
	k.closeAfterQueue(ws.StatusGoingAway, "server shutting down")
	select {
	case <-k.over():
	case <-ctx.Done():
		k.drop()
	}
}

// requestContext is the context of a socket's requests, and its cancel.
type requestContext struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// requestCtx returns the requests' context, made on the first call;
// the reader calls it, holding readMu. Made after the socket began to
// end, it is cancelled already.
func (k *socket) requestCtx() context.Context {
	if rc := k.reqs.Load(); rc != nil {
		return rc.ctx
	}
	rc := new(requestContext)
	rc.ctx, rc.cancel = context.WithCancel(context.Background())
	k.reqs.Store(rc)
	// cancel sets dead before it looks for the context: either it
	// finds this one, or dead is seen here.
	if k.dead.Load() {
		rc.cancel()
	}
	return rc.ctx
}

// cancel cancels the requests' context, if one was made. The caller
// has set dead.
func (k *socket) cancel() {
	if rc := k.reqs.Load(); rc != nil {
		rc.cancel()
	}
}

// requestSlots returns the channel of in-flight request slots, made on
// the first call; the reader calls it, holding readMu.
func (k *socket) requestSlots() chan struct{} {
	if p := k.slots.Load(); p != nil {
		return *p
	}
	c := make(chan struct{}, k.srv.wsInflight)
	k.slots.Store(&c)
	return c
}

// inflight is how many of the socket's requests are running.
func (k *socket) inflight() int {
	if p := k.slots.Load(); p != nil {
		return len(*p)
	}
	return 0
}

// closedChan is a channel closed already.
var closedChan = func() *chan struct{} {
	c := make(chan struct{})
	close(c)
	return &c
}()

// over returns a channel closed once the socket has ended and its
// requests have answered.
func (k *socket) over() <-chan struct{} {
	if p := k.done.Load(); p != nil {
		return *p
	}
	c := make(chan struct{})
	if k.done.CompareAndSwap(nil, &c) {
		return c
	}
	return *k.done.Load()
}

// markEnded closes the channel over returns, or has it return one
// closed already.
func (k *socket) markEnded() {
	if p := k.done.Swap(closedChan); p != nil && p != closedChan {
		close(*p)
	}
}
