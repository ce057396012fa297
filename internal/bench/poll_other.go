//go:build !linux

package bench

import (
	"context"
	"net/http"
)

// polledConn exists on Linux only (poll_linux.go); elsewhere each socket
// is read by a goroutine of its WebSocket library.
type polledConn struct{}

type wsOp byte

const opText wsOp = 1

func dialPolled(context.Context, string, http.Header, *wsConn) (*polledConn, error) {
	return nil, errNoPoller
}

func (*polledConn) write(wsOp, []byte) error { return errNoPoller }
func (*polledConn) close()                   {}
