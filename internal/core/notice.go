package core

import (
	"encoding/binary"
	"errors"
)

// A notice travels on the bus as a small binary header followed by its
// frame, as is: a node routes it by the header and writes the frame's
// bytes to every socket without decoding anything. The header is a
// version byte, then the kind and the event as length-prefixed strings
// and the six numbers (ids and seq) as unsigned varints. A node that meets another
// version drops the notice (its clients recover from the log).
const noticeVersion = 2

// noticeHeaderMax bounds the header: 1 + 2×(varint + 64) + 6×10 bytes.
const noticeHeaderMax = 1 + 2*(binary.MaxVarintLen64+64) + 6*binary.MaxVarintLen64

// ErrBadNotice is the error of DecodeNotice for bytes that are not a
// notice of this version.
var ErrBadNotice = errors.New("core: not a notice")

// AppendNotice appends n, header then frame, to dst. Kind and Event
// longer than 64 bytes are refused (none is).
func AppendNotice(dst []byte, n Notice) ([]byte, error) {
	if len(n.Kind) > 64 || len(n.Event) > 64 {
		return dst, errors.New("core: notice kind or event too long")
	}
	if n.ChatID < 0 || n.UserID < 0 || n.MessageID < 0 || n.MinMessageID < 0 || n.SessionID < 0 || n.Seq < 0 {
		return dst, errors.New("core: notice id below 0")
	}
	dst = append(dst, noticeVersion)
	dst = binary.AppendUvarint(dst, uint64(len(n.Kind)))
	dst = append(dst, n.Kind...)
	dst = binary.AppendUvarint(dst, uint64(len(n.Event)))
	dst = append(dst, n.Event...)
	for _, id := range [...]int64{n.ChatID, n.UserID, n.MessageID, n.MinMessageID, n.SessionID, n.Seq} {
		dst = binary.AppendUvarint(dst, uint64(id))
	}
	return append(dst, n.Frame...), nil
}

// encodeNotice encodes the push (n.Kind, data) once, as the frame its
// clients receive (see Frames), straight behind n's header.
func (s *Service) encodeNotice(n Notice, data any) ([]byte, error) {
	n.Frame = nil
	b, err := AppendNotice(make([]byte, 0, noticeHeaderMax+256), n)
	if err != nil {
		return nil, err
	}
	return s.frames(b, n.Kind, data)
}

// DecodeNotice reads a notice. Its Frame shares data's bytes (no copy):
// neither may be modified while the other is in use. Errors: ErrBadNotice.
func DecodeNotice(data []byte) (Notice, error) {
	var n Notice
	if len(data) == 0 || data[0] != noticeVersion {
		return n, ErrBadNotice
	}
	p := data[1:]
	str := func() (string, bool) {
		l, k := binary.Uvarint(p)
		if k <= 0 || l > 64 || uint64(len(p)-k) < l {
			return "", false
		}
		s := string(p[k : k+int(l)])
		p = p[k+int(l):]
		return s, true
	}
	var ok bool
	if n.Kind, ok = str(); !ok {
		return Notice{}, ErrBadNotice
	}
	if n.Event, ok = str(); !ok {
		return Notice{}, ErrBadNotice
	}
	for _, id := range [...]*int64{&n.ChatID, &n.UserID, &n.MessageID, &n.MinMessageID, &n.SessionID, &n.Seq} {
		v, k := binary.Uvarint(p)
		if k <= 0 || v >= 1<<63 {
			return Notice{}, ErrBadNotice
		}
		*id, p = int64(v), p[k:]
	}
	n.Frame = p
	return n, nil
}
