package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/coder/websocket"
)

// Push is a frame the server sent on its own: {"push": KIND, "data": …}.
type Push struct {
	// Kind is the push's kind, such as "chat.event" or "user.event".
	Kind string `json:"push"`
	// Data is the push's data, to decode according to Kind.
	Data json.RawMessage `json:"data"`
}

// ErrClosed is returned by calls on a [Conn] that is closed.
var ErrClosed = errors.New("haven: connection closed")

// Conn is one WebSocket connection to the server, authorized with the
// client's token. Calls on it are matched to their answers by id, so they
// may run concurrently. Pushes come on [Conn.Pushes].
type Conn struct {
	ws     *websocket.Conn
	pushes chan Push
	done   chan struct{}

	mu     sync.Mutex
	nextID int64
	wait   map[string]chan envelope
	err    error
}

// Connect opens a WebSocket to the server at /api/ws, authorized with the
// client's token (when it has one). The connection lives until Close, a
// network failure or the server's close; ctx bounds only the dial.
func (c *Client) Connect(ctx context.Context) (*Conn, error) {
	// batch=1: the server may send several frames in one message, one
	// per line, when it has them ready at once.
	u := c.base + "/api/ws?batch=1"
	switch {
	case strings.HasPrefix(u, "https://"):
		u = "wss://" + strings.TrimPrefix(u, "https://")
	case strings.HasPrefix(u, "http://"):
		u = "ws://" + strings.TrimPrefix(u, "http://")
	}
	ws, resp, err := websocket.Dial(ctx, u, c.dialOptions())
	if err != nil {
		if e := refusal(resp); e != nil {
			return nil, e
		}
		return nil, fmt.Errorf("haven: connecting: %w", err)
	}
	ws.SetReadLimit(16 << 20)
	cn := &Conn{ws: ws, pushes: make(chan Push, 1024), done: make(chan struct{}), wait: make(map[string]chan envelope)}
	go cn.read()
	return cn, nil
}

// refusal is the server's answer to a refused upgrade, as an *Error:
// the code of its envelope (AUTH_TOKEN_INVALID, CONNECTIONS_TOO_MANY,
// UNAVAILABLE ...), or nil when resp is no answer of Haven's.
func refusal(resp *http.Response) *Error {
	if resp == nil || resp.Body == nil {
		return nil
	}
	var env envelope
	if json.NewDecoder(resp.Body).Decode(&env) != nil || env.Error == nil || env.Error.Code == "" {
		if resp.StatusCode == http.StatusUnauthorized {
			return &Error{Code: "AUTH_TOKEN_INVALID", Message: "the WebSocket upgrade was refused", Status: resp.StatusCode}
		}
		return nil
	}
	env.Error.Status = resp.StatusCode
	return env.Error
}

// Pushes returns the channel of the connection's pushes, in the order the
// server sent them. It is closed when the connection ends. A program
// must read it: while it is full, answers are not read either.
func (cn *Conn) Pushes() <-chan Push { return cn.pushes }

// Done is closed when the connection has ended; [Conn.Err] then says why.
func (cn *Conn) Done() <-chan struct{} { return cn.done }

// Err returns why the connection ended, or nil while it is open.
func (cn *Conn) Err() error {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.err
}

// Close closes the connection.
func (cn *Conn) Close() error {
	return cn.ws.Close(websocket.StatusNormalClosure, "")
}

func (cn *Conn) read() {
	var err error
	defer func() {
		cn.mu.Lock()
		if err == nil {
			err = ErrClosed
		}
		cn.err = err
		for id, ch := range cn.wait {
			close(ch)
			delete(cn.wait, id)
		}
		cn.mu.Unlock()
		close(cn.pushes)
		close(cn.done)
		cn.ws.CloseNow()
	}()
	for {
		var data []byte
		_, data, err = cn.ws.Read(context.Background())
		if err != nil {
			return
		}
		for line := range bytes.SplitSeq(data, []byte{'\n'}) {
			cn.dispatch(line)
		}
	}
}

// dispatch hands one frame to Pushes or to the call waiting for it.
func (cn *Conn) dispatch(frame []byte) {
	var f struct {
		ID   json.RawMessage `json:"id"`
		Push string          `json:"push"`
		Data json.RawMessage `json:"data"`
		envelope
	}
	if json.Unmarshal(frame, &f) != nil {
		return
	}
	if f.Push != "" {
		cn.pushes <- Push{Kind: f.Push, Data: f.Data}
		return
	}
	cn.mu.Lock()
	ch := cn.wait[string(f.ID)]
	delete(cn.wait, string(f.ID))
	cn.mu.Unlock()
	if ch != nil {
		ch <- f.envelope
	}
}

// Call calls method on the socket, like [Client.Call] over HTTP, and
// waits for its answer or for ctx to end. It does not retry FLOOD_WAIT.
func (cn *Conn) Call(ctx context.Context, method string, params, result any) error {
	cn.mu.Lock()
	if cn.err != nil {
		cn.mu.Unlock()
		return cn.err
	}
	cn.nextID++
	id := strconv.FormatInt(cn.nextID, 10)
	ch := make(chan envelope, 1)
	cn.wait[id] = ch
	cn.mu.Unlock()
	forget := func() {
		cn.mu.Lock()
		delete(cn.wait, id)
		cn.mu.Unlock()
	}
	frame, err := json.Marshal(struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params any             `json:"params,omitempty"`
	}{json.RawMessage(id), method, params})
	if err != nil {
		forget()
		return fmt.Errorf("haven: %s: encoding params: %w", method, err)
	}
	if err := cn.ws.Write(ctx, websocket.MessageText, frame); err != nil {
		forget()
		return fmt.Errorf("haven: %s: %w", method, err)
	}
	select {
	case <-ctx.Done():
		forget()
		return ctx.Err()
	case env, ok := <-ch:
		if !ok {
			return fmt.Errorf("haven: %s: %w", method, cn.Err())
		}
		if !env.OK {
			if env.Error == nil {
				return &Error{Code: "INTERNAL", Message: "answer without ok nor error"}
			}
			return env.Error
		}
		if result != nil && len(env.Result) > 0 {
			if err := json.Unmarshal(env.Result, result); err != nil {
				return fmt.Errorf("haven: %s: decoding the result: %w", method, err)
			}
		}
		return nil
	}
}
