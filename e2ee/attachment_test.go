package e2ee

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
)

// TestAttachmentRoundTrip: files of sizes around the chunk boundaries go
// through both the slice and the stream helpers, each under its own key.
func TestAttachmentRoundTrip(t *testing.T) {
	keys := map[AttachmentKey]bool{}
	for _, n := range []int{0, 1, attachmentChunk - 1, attachmentChunk, attachmentChunk + 1, 2 * attachmentChunk, 3*attachmentChunk + 17} {
		pt := make([]byte, n)
		rand.Read(pt)
		ct, key, digest, err := SealAttachment(pt)
		if err != nil {
			t.Fatal(err)
		}
		if keys[key] {
			t.Fatal("a key used twice")
		}
		keys[key] = true
		chunks := max(1, (n+attachmentChunk-1)/attachmentChunk) // a full last chunk is the last
		if want := 2 + n + chunks*aeadOverhead; len(ct) != want {
			t.Errorf("%d bytes: ciphertext of %d, want %d", n, len(ct), want)
		}
		got, err := OpenAttachment(ct, key, digest)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("%d bytes: %v", n, err)
		}
		// The stream helpers, reading in small pieces.
		var enc bytes.Buffer
		key2, digest2, size, err := EncryptAttachment(&enc, io.LimitReader(bytes.NewReader(pt), int64(n)))
		if err != nil || size != int64(enc.Len()) {
			t.Fatalf("stream: %v, size %d of %d", err, size, enc.Len())
		}
		var dec bytes.Buffer
		if err := DecryptAttachment(&dec, &slowReader{r: &enc}, key2, digest2); err != nil || !bytes.Equal(dec.Bytes(), pt) {
			t.Fatalf("%d bytes through streams: %v", n, err)
		}
	}
}

// slowReader returns at most 1,000 bytes a read.
type slowReader struct{ r io.Reader }

func (s *slowReader) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), 1000)]) }

// TestAttachmentTamper: a ciphertext changed anywhere, cut, extended,
// with chunks swapped, or opened with another key or digest, fails.
func TestAttachmentTamper(t *testing.T) {
	small := []byte("a small file")
	ct, key, digest, err := SealAttachment(small)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ct {
		if _, err := OpenAttachment(flip(ct, i), key, digest); !errors.Is(err, ErrDigest) {
			t.Fatalf("byte %d changed: %v", i, err)
		}
		// Even with a digest of the altered bytes the AEAD refuses it.
		if err := DecryptAttachment(io.Discard, bytes.NewReader(flip(ct, i)), key, digest); err == nil {
			t.Fatalf("byte %d changed: decrypted", i)
		}
	}
	other, _, _, _ := SealAttachment(small)
	if _, err := OpenAttachment(ct, key, Digest{}); !errors.Is(err, ErrDigest) {
		t.Errorf("wrong digest: %v", err)
	}
	var wrongKey AttachmentKey
	if err := DecryptAttachment(io.Discard, bytes.NewReader(other), wrongKey, digest); !errors.Is(err, ErrDecrypt) {
		t.Errorf("wrong key: %v", err)
	}

	big := make([]byte, 3*attachmentChunk)
	ct, key, digest, err = SealAttachment(big)
	if err != nil {
		t.Fatal(err)
	}
	c := attachmentChunk + aeadOverhead
	swapped := bytes.Clone(ct)
	copy(swapped[2:2+c], ct[2+c:2+2*c])
	copy(swapped[2+c:2+2*c], ct[2:2+c])
	for name, bad := range map[string][]byte{
		"chunks swapped":              swapped,
		"last chunk dropped":          ct[:len(ct)-aeadOverhead],
		"cut at a chunk boundary":     ct[:2+2*c],
		"cut inside a chunk":          ct[:2+c+100],
		"a byte appended":             append(bytes.Clone(ct), 0),
		"header only":                 ct[:2],
		"nothing":                     nil,
		"a full chunk appended again": append(bytes.Clone(ct), ct[2:2+c]...),
	} {
		if err := DecryptAttachment(io.Discard, bytes.NewReader(bad), key, digest); err == nil {
			t.Errorf("%s: decrypted", name)
		}
	}
}
