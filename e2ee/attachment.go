package e2ee

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
)

// Attachments: a file is encrypted under a fresh random key; the message
// that shares it carries the key and the ciphertext's digest, and the
// server stores only the ciphertext. The format is the STREAM construction
// (Hoang, Reyhanitabar, Rogaway, Vizár 2015, as age uses it): the file in
// chunks of 64 KiB, each sealed with ChaCha20-Poly1305 under a nonce that is
// the chunk's number and a flag set only on the last chunk, so that chunks
// can be neither reordered, dropped nor cut off at the end without the
// decryption failing, and a file of any size streams in bounded memory.

// attachmentChunk is the plaintext size of every chunk but the last.
const attachmentChunk = 64 << 10

// AttachmentKeySize is the size of an attachment key.
const AttachmentKeySize = chacha20poly1305.KeySize

// AttachmentKey is the random key of one attachment.
type AttachmentKey [AttachmentKeySize]byte

// Digest is the SHA-256 of an attachment's ciphertext: the message binds
// the exact blob, and a client checks a download against it.
type Digest [sha256.Size]byte

var attachmentHeader = []byte{tagAttachment, version}

// EncryptAttachment encrypts src to dst under a new random key and returns
// the key, the ciphertext's digest and its size.
func EncryptAttachment(dst io.Writer, src io.Reader) (AttachmentKey, Digest, int64, error) {
	var key AttachmentKey
	if _, err := rand.Read(key[:]); err != nil {
		return key, Digest{}, 0, fmt.Errorf("e2ee: attachment key: %w", err)
	}
	aead, _ := chacha20poly1305.New(key[:])
	h := sha256.New()
	out := io.MultiWriter(dst, h)
	n, err := out.Write(attachmentHeader)
	size := int64(n)
	if err != nil {
		return key, Digest{}, size, err
	}
	buf := make([]byte, attachmentChunk+1) // one byte of lookahead
	ct := make([]byte, 0, attachmentChunk+aeadOverhead)
	have := 0
	for counter := uint64(0); ; counter++ {
		m, err := io.ReadFull(src, buf[have:])
		have += m
		last := false
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			last = have <= attachmentChunk
		case err != nil:
			return key, Digest{}, size, fmt.Errorf("e2ee: reading attachment: %w", err)
		}
		chunk := min(have, attachmentChunk)
		ct = aead.Seal(ct[:0], streamNonce(counter, last), buf[:chunk], attachmentHeader)
		n, err := out.Write(ct)
		size += int64(n)
		if err != nil {
			return key, Digest{}, size, err
		}
		if last {
			break
		}
		have = copy(buf, buf[chunk:have])
	}
	var d Digest
	h.Sum(d[:0])
	return key, d, size, nil
}

// streamNonce is STREAM's nonce: an 11-byte big-endian chunk counter and a
// last-chunk flag.
func streamNonce(counter uint64, last bool) []byte {
	n := make([]byte, chacha20poly1305.NonceSize)
	binary.BigEndian.PutUint64(n[3:11], counter)
	n[11] = boolByte(last)
	return n
}

// DecryptAttachment decrypts src, an attachment's ciphertext, to dst. Each
// chunk is authenticated before it is written; a cut, altered or
// reordered ciphertext fails with ErrDecrypt, one with another digest with
// ErrDigest. On any error what was written to dst must be discarded.
func DecryptAttachment(dst io.Writer, src io.Reader, key AttachmentKey, digest Digest) error {
	aead, _ := chacha20poly1305.New(key[:])
	h := sha256.New()
	in := io.TeeReader(src, h)
	hdr := make([]byte, len(attachmentHeader))
	if _, err := io.ReadFull(in, hdr); err != nil || !bytes.Equal(hdr, attachmentHeader) {
		return malformed("attachment header")
	}
	buf := make([]byte, attachmentChunk+aeadOverhead+1)
	pt := make([]byte, 0, attachmentChunk)
	have := 0
	for counter := uint64(0); ; counter++ {
		m, err := io.ReadFull(in, buf[have:])
		have += m
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("e2ee: reading attachment: %w", err)
		}
		last := have <= attachmentChunk+aeadOverhead
		chunk := min(have, attachmentChunk+aeadOverhead)
		pt, err = aead.Open(pt[:0], streamNonce(counter, last), buf[:chunk], attachmentHeader)
		if err != nil {
			return fmt.Errorf("%w: attachment chunk %d", ErrDecrypt, counter)
		}
		if last {
			if err := checkDigest(h, digest); err != nil {
				return err
			}
			_, err := dst.Write(pt)
			return err
		}
		if _, err := dst.Write(pt); err != nil {
			return err
		}
		have = copy(buf, buf[chunk:have])
	}
}

func checkDigest(h hash.Hash, want Digest) error {
	if subtle.ConstantTimeCompare(h.Sum(nil), want[:]) != 1 {
		return ErrDigest
	}
	return nil
}

// SealAttachment encrypts a whole file held in memory.
func SealAttachment(plaintext []byte) ([]byte, AttachmentKey, Digest, error) {
	var b bytes.Buffer
	key, d, _, err := EncryptAttachment(&b, bytes.NewReader(plaintext))
	return b.Bytes(), key, d, err
}

// OpenAttachment decrypts a whole attachment held in memory, checking its
// digest first.
func OpenAttachment(ciphertext []byte, key AttachmentKey, digest Digest) ([]byte, error) {
	if sum := sha256.Sum256(ciphertext); subtle.ConstantTimeCompare(sum[:], digest[:]) != 1 {
		return nil, ErrDigest
	}
	var b bytes.Buffer
	if err := DecryptAttachment(&b, bytes.NewReader(ciphertext), key, digest); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
