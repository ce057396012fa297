package core

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

func TestCleanFileName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 300)
	for in, want := range map[string]string{
		"":                    "file",
		"report.pdf":          "report.pdf",
		"../../etc/passwd":    "passwd",
		`C:\Users\me\cat.jpg`: "cat.jpg",
		"  a\x00b\tc.txt  ":   "abc.txt",
		"dir/":                "dir",
		"..":                  "file",
		long:                  strings.Repeat("é", 255),
	} {
		if got := cleanFileName(in); got != want {
			t.Errorf("cleanFileName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBlobReadSeeker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789"), 1000)
	blobs := &oneBlob{data: data}
	key := strings.Repeat("a", 64)
	rs := &blobReadSeeker{ctx: ctx, blobs: blobs, key: key, size: int64(len(data))}
	defer rs.Close()
	if end, err := rs.Seek(0, io.SeekEnd); err != nil || end != int64(len(data)) {
		t.Fatalf("Seek end = %d, %v", end, err)
	}
	for _, off := range []int64{5000, 17, 9990, 0} {
		if _, err := rs.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 10)
		n, err := io.ReadFull(rs, buf)
		if err != nil || !bytes.Equal(buf[:n], data[off:off+10]) {
			t.Errorf("at %d: %q, %v; want %q", off, buf[:n], err, data[off:off+10])
		}
	}
	if _, err := rs.Seek(-1, io.SeekStart); err == nil {
		t.Error("a negative seek succeeded")
	}
	rs.Seek(0, io.SeekEnd)
	if n, err := rs.Read(make([]byte, 4)); n != 0 || err != io.EOF {
		t.Errorf("Read at the end = %d, %v; want EOF", n, err)
	}
	if blobs.opens != 4 {
		t.Errorf("%d ranges opened, want 4 (one per Seek then Read)", blobs.opens)
	}
}

// oneBlob serves one blob's ranges from memory (the disk backend imports
// core, so it cannot be used here).
type oneBlob struct {
	Blobs
	data  []byte
	opens int
}

func (b *oneBlob) OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	b.opens++
	return io.NopCloser(bytes.NewReader(b.data[offset:])), nil
}
