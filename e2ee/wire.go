package e2ee

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Errors returned by this package. Callers compare with errors.Is; the
// wrapped message says which field or check failed.
var (
	// ErrMalformed: the bytes are not a well-formed encoding of what was
	// expected (wrong tag or version, truncated, trailing bytes, a count
	// or length out of range, fields out of order).
	ErrMalformed = errors.New("e2ee: malformed input")
	// ErrBadSignature: a signature does not verify under the key that
	// should have made it.
	ErrBadSignature = errors.New("e2ee: bad signature")
	// ErrDecrypt: a ciphertext failed authentication: altered, sent to
	// the wrong session, or encrypted under a key this state no longer
	// has. The state is unchanged.
	ErrDecrypt = errors.New("e2ee: message failed authentication")
	// ErrReplay: a message whose key was already used (a duplicate or a
	// replay). The state is unchanged.
	ErrReplay = errors.New("e2ee: message already received")
	// ErrTooManySkipped: a message would need more than MaxSkip message
	// keys of its chain skipped and kept. The state is unchanged.
	ErrTooManySkipped = errors.New("e2ee: too many skipped messages")
	// ErrUnknownPreKey: an initial message names a prekey this device
	// does not have (used already, rotated away, or never made).
	ErrUnknownPreKey = errors.New("e2ee: unknown prekey")
	// ErrUnknownDevice: a device is not in the device list that should
	// vouch for it, or its key differs from the one listed.
	ErrUnknownDevice = errors.New("e2ee: device not in the signed device list")
	// ErrNoSession: there is no session with a device a message must go
	// to or comes from.
	ErrNoSession = errors.New("e2ee: no session with the device")
	// ErrRollback: a device list older than one already seen.
	ErrRollback = errors.New("e2ee: device list older than the one known")
	// ErrTooLarge: a plaintext over MaxPlaintext.
	ErrTooLarge = errors.New("e2ee: plaintext too large")
	// ErrDigest: an attachment's ciphertext does not have the digest the
	// message gave for it.
	ErrDigest = errors.New("e2ee: attachment digest mismatch")
)

// Tag bytes: the first byte of every encoding says what follows, so that
// one kind of object can never be parsed as another.
const (
	tagDeviceList    byte = 'L'
	tagBundle        byte = 'B'
	tagUpload        byte = 'U'
	tagMessage       byte = 'M'
	tagPreKeyMessage byte = 'P'
	tagEnvelope      byte = 'E'
	tagSession       byte = 'Z'
	tagSessions      byte = 'R'
	tagDevice        byte = 'D'
	tagFingerprint   byte = 'F'
	tagAttachment    byte = 'A'
	tagIdentity      byte = 'I'
)

// version is the one version of every format this package writes and reads.
// A later version gets a new number and a parser branch; an unknown one is
// ErrMalformed.
const version byte = 1

// malformed wraps ErrMalformed with what was wrong.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// writer appends big-endian fields to a byte slice.
type writer struct{ b []byte }

func newWriter(tag byte, sizeHint int) *writer {
	w := &writer{b: make([]byte, 0, sizeHint+2)}
	w.b = append(w.b, tag, version)
	return w
}

func (w *writer) u8(v byte)    { w.b = append(w.b, v) }
func (w *writer) u16(v uint16) { w.b = binary.BigEndian.AppendUint16(w.b, v) }
func (w *writer) u32(v uint32) { w.b = binary.BigEndian.AppendUint32(w.b, v) }
func (w *writer) u64(v uint64) { w.b = binary.BigEndian.AppendUint64(w.b, v) }
func (w *writer) raw(p []byte) { w.b = append(w.b, p...) }
func (w *writer) bool(v bool)  { w.u8(boolByte(v)) }
func (w *writer) bytes32(p []byte) { // a length-prefixed field (u32 length)
	w.u32(uint32(len(p)))
	w.raw(p)
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// reader consumes big-endian fields; the first failure sticks and later
// reads return zero values, so a parser checks err once at the end.
type reader struct {
	b    []byte
	err  error
	what string
}

// newReader checks the tag and version and returns a reader over the rest.
func newReader(b []byte, tag byte, what string) *reader {
	r := &reader{b: b, what: what}
	if len(b) < 2 {
		r.err = malformed("%s: %d bytes", what, len(b))
		return r
	}
	if b[0] != tag {
		r.err = malformed("%s: tag %#x", what, b[0])
		return r
	}
	if b[1] != version {
		r.err = malformed("%s: version %d", what, b[1])
		return r
	}
	r.b = b[2:]
	return r
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = malformed(r.what+": "+format, args...)
	}
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.fail("truncated")
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) u8() byte {
	p := r.take(1)
	if p == nil {
		return 0
	}
	return p[0]
}

func (r *reader) u16() uint16 {
	p := r.take(2)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint16(p)
}

func (r *reader) u32() uint32 {
	p := r.take(4)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint32(p)
}

func (r *reader) u64() uint64 {
	p := r.take(8)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint64(p)
}

// bool accepts only 0 and 1, so that every value has one encoding.
func (r *reader) bool() bool {
	v := r.u8()
	if v > 1 {
		r.fail("flag %d", v)
	}
	return v == 1
}

// array copies exactly len(dst) bytes.
func (r *reader) array(dst []byte) {
	if p := r.take(len(dst)); p != nil {
		copy(dst, p)
	}
}

// bytes32 reads a u32-length-prefixed field of at most max bytes.
func (r *reader) bytes32(max int) []byte {
	n := r.u32()
	if r.err == nil && uint64(n) > uint64(max) {
		r.fail("field of %d bytes over %d", n, max)
		return nil
	}
	return r.take(int(n))
}

// rest returns what is left; the caller bounds it.
func (r *reader) rest() []byte {
	if r.err != nil {
		return nil
	}
	p := r.b
	r.b = nil
	return p
}

// done reports the first error, or trailing bytes.
func (r *reader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	return r.err
}
