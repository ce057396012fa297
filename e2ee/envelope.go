package e2ee

import "fmt"

// Envelope is what the server relays: one message for one device. The
// server sees who sends to whom and the message's size, never its content.
// It sets From from the sender's authenticated connection; a wrong From
// sends the message to a session that cannot open it.
type Envelope struct {
	From, To Address
	Body     []byte // an initial message or a ratchet message
}

// MarshalBinary encodes the envelope.
func (e *Envelope) MarshalBinary() ([]byte, error) {
	if len(e.Body) > MaxMessageSize {
		return nil, fmt.Errorf("%w: body of %d bytes", ErrTooLarge, len(e.Body))
	}
	w := newWriter(tagEnvelope, 24+4+len(e.Body))
	w.u64(uint64(e.From.User))
	w.u32(uint32(e.From.Device))
	w.u64(uint64(e.To.User))
	w.u32(uint32(e.To.Device))
	w.bytes32(e.Body)
	return w.b, nil
}

// ParseEnvelope parses an envelope. Its body is parsed when decrypted.
func ParseEnvelope(b []byte) (*Envelope, error) {
	r := newReader(b, tagEnvelope, "envelope")
	e := &Envelope{}
	e.From = Address{User: int64(r.u64()), Device: DeviceID(r.u32())}
	e.To = Address{User: int64(r.u64()), Device: DeviceID(r.u32())}
	e.Body = r.bytes32(MaxMessageSize)
	if err := r.done(); err != nil {
		return nil, err
	}
	if e.From.Device == 0 || e.To.Device == 0 {
		return nil, malformed("envelope: device 0")
	}
	if len(e.Body) == 0 || (e.Body[0] != tagMessage && e.Body[0] != tagPreKeyMessage) {
		return nil, malformed("envelope: body is no message")
	}
	return e, nil
}
