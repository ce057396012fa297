package api

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/http"
)

// The buffers the WebSocket library keeps for the life of a socket.
// net/http's are 4 KiB each, which 15,000 idle sockets pay for nothing:
// the library reads frame headers through the reader (a request frame's
// body mostly goes around it) and writes only control frames through
// the writer, the largest of which (131 bytes) must fit whole so that
// it leaves in one Write (see socket.nc).
const (
	wsReadBuffer  = 512
	wsWriteBuffer = 256
)

// hijacker hands the WebSocket library the connection with small
// buffers of its own, and keeps the connection for the socket.
type hijacker struct {
	http.ResponseWriter
	nc net.Conn
}

func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("api: the connection cannot be taken over")
	}
	c, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.nc = c
	var rc net.Conn = c
	if n := brw.Reader.Buffered(); n > 0 {
		// The client wrote before it saw the handshake's answer.
		b, _ := brw.Reader.Peek(n)
		rc = &prefixConn{Conn: c, prefix: bytes.Clone(b)}
	}
	return rc, bufio.NewReadWriter(bufio.NewReaderSize(rc, wsReadBuffer), bufio.NewWriterSize(rc, wsWriteBuffer)), nil
}

// prefixConn reads prefix before the connection.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}
