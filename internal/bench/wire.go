package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// apiError is an error the server answered, by its stable code.
type apiError struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	RetryAfter int    `json:"retry_after"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// codeOf names an error for the error counts: the server's code, or a
// word for a failure of the transport.
func codeOf(err error) string {
	var e *apiError
	switch {
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, context.DeadlineExceeded):
		return "TIMEOUT"
	case errors.Is(err, errClosed):
		return "SOCKET_CLOSED"
	}
	return "TRANSPORT"
}

// limitCodes are the errors that mean a limit of the server, not the
// server's speed, stopped the bench.
var limitCodes = map[string]bool{"FLOOD_WAIT": true, "CONNECTIONS_TOO_MANY": true, "SLOWMODE_WAIT": true}

type envelope struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Error  *apiError       `json:"error"`
}

// httpAPI calls methods with POST /api/METHOD: one request, one answer,
// nothing hidden.
type httpAPI struct {
	base string
	hc   *http.Client
}

func newHTTPAPI(base string, conns int) *httpAPI {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: 0, IdleConnTimeout: 90 * time.Second}
	return &httpAPI{base: base, hc: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

func (a *httpAPI) call(ctx context.Context, token, method string, params, result any) error {
	body, err := json.Marshal(params)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+"/api/"+method, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	return decode(method, data, result)
}

func decode(method string, data []byte, result any) error {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return fmt.Errorf("%s: unreadable answer: %w", method, err)
	}
	if !env.OK {
		if env.Error == nil {
			return fmt.Errorf("%s: an error without a code", method)
		}
		return env.Error
	}
	if result != nil {
		if err := json.Unmarshal(env.Result, result); err != nil {
			return fmt.Errorf("%s: unreadable result: %w", method, err)
		}
	}
	return nil
}

var errClosed = errors.New("the socket closed")

// errNoPoller: this system has no poller for the bench's sockets
// (poll_linux.go); a goroutine reads each.
var errNoPoller = errors.New("no poller for the sockets here")

// delivery is what the bench reads of a chat.event push of a message
// it sent: who sent it (0 for a channel post) and when (the
// nanoseconds its text carries).
type delivery struct {
	chatID int64
	sender int64
	sent   int64
}

// benchText is the text of a measured message: "b NANOS words".
func benchText(sent time.Time, words string) string {
	return "b " + strconv.FormatInt(sent.UnixNano(), 10) + " " + words
}

var (
	pushPrefix  = []byte(`{"push":"chat.event"`)
	kindNew     = []byte(`"kind":"message.new"`)
	senderKey   = []byte(`"sender_id":`)
	chatKey     = []byte(`"chat_id":`)
	benchPrefix = []byte(`"text":"b `)
)

// parseDelivery reads a message.new push of a bench message without a
// full JSON decode: on a machine shared with the server, the load
// generator's own cost is kept low. ok is false for any other frame.
func parseDelivery(frame []byte) (d delivery, ok bool) {
	if !bytes.HasPrefix(frame, pushPrefix) || !bytes.Contains(frame, kindNew) {
		return d, false
	}
	i := bytes.Index(frame, benchPrefix)
	if i < 0 {
		return d, false
	}
	d.sent, ok = leadingInt(frame[i+len(benchPrefix):])
	if !ok {
		return d, false
	}
	if j := bytes.Index(frame, senderKey); j >= 0 {
		d.sender, _ = leadingInt(frame[j+len(senderKey):])
	}
	if j := bytes.Index(frame, chatKey); j >= 0 {
		d.chatID, _ = leadingInt(frame[j+len(chatKey):])
	}
	return d, true
}

func leadingInt(b []byte) (int64, bool) {
	var n int64
	k := 0
	for k < len(b) && b[k] >= '0' && b[k] <= '9' {
		n = n*10 + int64(b[k]-'0')
		k++
	}
	return n, k > 0
}

// wsConn is one signed-in WebSocket at /api/ws: calls matched to their
// answers by id, and each chat.event push handed to onEvent with the
// time it was read.
type wsConn struct {
	ws *websocket.Conn
	// pc, instead of ws, is a socket read by the bench's pollers
	// (Linux): no goroutine per socket.
	pc        *polledConn
	onEvent   func(d delivery, at time.Time)
	done      chan struct{}
	endedOnce sync.Once

	mu     sync.Mutex
	nextID int64
	wait   map[int64]chan []byte
	err    error
}

// dialWS opens a socket authorized with token (the Authorization header
// of the upgrade).
//
// A socket that only receives (polled) is read by the bench's pollers
// where there are some (poll_linux.go), without a goroutine; a socket
// that makes calls keeps a goroutine of the WebSocket library, whose
// answers it then receives sooner.
func dialWS(ctx context.Context, base, token string, hc *http.Client, polled bool, onEvent func(delivery, time.Time)) (*wsConn, error) {
	u := "ws" + strings.TrimPrefix(base, "http") + "/api/ws?batch=1"
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	c := &wsConn{onEvent: onEvent, done: make(chan struct{}), wait: make(map[int64]chan []byte)}
	if polled {
		pc, err := dialPolled(ctx, u, h, c)
		if err == nil {
			c.pc = pc
			return c, nil
		}
		if !errors.Is(err, errNoPoller) {
			return nil, err
		}
	}
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h, HTTPClient: hc})
	if err != nil {
		if resp != nil && resp.Body != nil {
			data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			if derr := decode("upgrade", data, nil); derr != nil {
				var e *apiError
				if errors.As(derr, &e) {
					return nil, e
				}
			}
		}
		return nil, fmt.Errorf("opening a socket: %w", err)
	}
	ws.SetReadLimit(16 << 20)
	c.ws = ws
	go c.read()
	return c, nil
}

func (c *wsConn) read() {
	var err error
	defer func() {
		c.ended()
		c.ws.CloseNow()
	}()
	for {
		var data []byte
		_, data, err = c.ws.Read(context.Background())
		if err != nil {
			return
		}
		at := time.Now()
		for line := range bytes.SplitSeq(data, []byte{'\n'}) {
			c.dispatch(line, at)
		}
	}
}

// ended fails the calls waiting and marks the socket closed, once.
func (c *wsConn) ended() {
	c.endedOnce.Do(func() {
		c.mu.Lock()
		c.err = errClosed
		for id, ch := range c.wait {
			close(ch)
			delete(c.wait, id)
		}
		c.mu.Unlock()
		close(c.done)
	})
}

func (c *wsConn) dispatch(frame []byte, at time.Time) {
	if bytes.HasPrefix(frame, []byte(`{"push"`)) {
		if c.onEvent != nil {
			if d, ok := parseDelivery(frame); ok {
				c.onEvent(d, at)
			}
		}
		return // other pushes: not measured
	}
	// An answer begins with its id ({"id":N,...}): the frame is read
	// once, by the caller, into its result (a client reads a 10,000-event
	// answer once; reading it three times made the bench's own cost a
	// large part of a catch-up's).
	id, ok := answerID(frame)
	if !ok {
		return
	}
	c.mu.Lock()
	ch := c.wait[id]
	delete(c.wait, id)
	c.mu.Unlock()
	if ch != nil {
		ch <- frame
	}
}

// answerID reads the id an answer frame begins with.
func answerID(frame []byte) (int64, bool) {
	const prefix = `{"id":`
	if !bytes.HasPrefix(frame, []byte(prefix)) {
		return 0, false
	}
	return leadingInt(frame[len(prefix):])
}

// call calls method on the socket and waits for its answer.
func (c *wsConn) call(ctx context.Context, method string, params, result any) error {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", method, c.err)
	}
	c.nextID++
	id := c.nextID
	ch := make(chan []byte, 1)
	c.wait[id] = ch
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.wait, id)
		c.mu.Unlock()
	}
	frame, err := json.Marshal(struct {
		ID     int64  `json:"id"`
		Method string `json:"method"`
		Params any    `json:"params,omitempty"`
	}{id, method, params})
	if err != nil {
		forget()
		return err
	}
	if c.pc != nil {
		err = c.pc.write(opText, frame)
	} else {
		err = c.ws.Write(ctx, websocket.MessageText, frame)
	}
	if err != nil {
		forget()
		return fmt.Errorf("%s: %w", method, errClosed)
	}
	select {
	case <-ctx.Done():
		forget()
		return ctx.Err()
	case frame, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: %w", method, errClosed)
		}
		// One pass over the frame: the result is decoded in place.
		var env struct {
			OK     bool      `json:"ok"`
			Result any       `json:"result"`
			Error  *apiError `json:"error"`
		}
		env.Result = result
		if result == nil {
			env.Result = new(json.RawMessage) // kept, not parsed into maps
		}
		if err := json.Unmarshal(frame, &env); err != nil {
			return fmt.Errorf("%s: unreadable answer: %w", method, err)
		}
		if !env.OK {
			if env.Error == nil {
				return fmt.Errorf("%s: an error without a code", method)
			}
			return env.Error
		}
		return nil
	}
}

// closed reports whether the socket has ended.
func (c *wsConn) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *wsConn) close() {
	if c.pc != nil {
		c.pc.close()
		return
	}
	c.ws.Close(websocket.StatusNormalClosure, "")
}
