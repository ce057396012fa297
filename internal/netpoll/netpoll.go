// Package netpoll tells when connections become readable, with no
// goroutine per connection: one goroutine waits for all of them.
//
// A connection is armed once (one-shot): when it becomes readable its
// Readable method is called once, on the poller's goroutine (it must
// not block: it should start a reader and return), and it is not called
// again until it is armed again. Calls may be spurious (a descriptor
// number reused after a close): the reader must read without waiting.
package netpoll

import "errors"

// Readable is told that its connection has something to read, or was
// closed by the peer.
type Readable interface{ Readable() }

// ErrUnsupported: this system has no poller; read on a goroutine.
var ErrUnsupported = errors.New("netpoll: not supported on this system")
