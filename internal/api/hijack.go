package api

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// hijacker hands the WebSocket handshake the connection with small
// buffers (the handshake writes its answer through them; the socket
// keeps neither), and keeps what the client wrote before it saw the
// answer.
type hijacker struct {
	http.ResponseWriter
	prefix []byte
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
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		h.prefix = bytes.Clone(b)
	}
	return c, bufio.NewReadWriter(bufio.NewReaderSize(c, 16), bufio.NewWriterSize(c, 512)), nil
}

// checkOrigin refuses a browser's upgrade from another site's page
// (cross-site WebSocket hijacking): a request with an Origin must come
// from the host it is addressed to. Clients that are not browsers send
// none.
func checkOrigin(r *http.Request) error {
	o := r.Header.Get("Origin")
	if o == "" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || !strings.EqualFold(u.Host, r.Host) {
		return fmt.Errorf("a WebSocket from origin %q is not accepted by host %q", o, r.Host)
	}
	return nil
}
