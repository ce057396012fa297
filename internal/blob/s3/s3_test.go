package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/havenchat/haven/internal/blob/blobtest"
	"github.com/havenchat/haven/internal/core"
)

// startServer starts an in-process S3 server (gofakes3 on memory) on a
// random loopback port and returns a client of it.
func startServer(t *testing.T) *minio.Client {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	client, err := minio.New(strings.TrimPrefix(srv.URL, "http://"), &minio.Options{
		Creds:  credentials.NewStaticV4("haven", "haven-secret", ""),
		Region: "us-east-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

var bucketSeq atomic.Int64

func TestConformance(t *testing.T) {
	client := startServer(t)
	blobtest.Run(t, func(t *testing.T) core.Blobs {
		s, err := New(context.Background(), client, fmt.Sprintf("haven-%d", bucketSeq.Add(1)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestNoTempLeft: a Put, finished or failed, leaves no temporary object.
func TestNoTempLeft(t *testing.T) {
	ctx := context.Background()
	client := startServer(t)
	s, err := New(ctx, client, "haven")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, strings.NewReader("hello"), 5); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, strings.NewReader("hell"), 5); err == nil {
		t.Fatal("short Put succeeded")
	}
	for obj := range client.ListObjectsIter(ctx, "haven", minio.ListObjectsOptions{Prefix: tmpPrefix, Recursive: true}) {
		t.Errorf("temporary object left: %s (%v)", obj.Key, obj.Err)
	}
}

// TestLarge puts a blob bigger than minio-go's multipart threshold
// (16 MiB), streamed, and reads it and a range deep inside it back.
func TestLarge(t *testing.T) {
	ctx := context.Background()
	s, err := New(ctx, startServer(t), "haven")
	if err != nil {
		t.Fatal(err)
	}
	const n = 40<<20 + 123
	src := func() io.Reader { return io.LimitReader(rand.NewChaCha8([32]byte{7}), n) }
	h := sha256.New()
	io.Copy(h, src())
	want := hex.EncodeToString(h.Sum(nil))

	key, err := s.Put(ctx, src(), n)
	if err != nil || key != want {
		t.Fatalf("Put(40 MiB) = %s, %v; want %s", key, err, want)
	}
	if size, err := s.Stat(ctx, key); err != nil || size != n {
		t.Errorf("Stat = %d, %v; want %d", size, err, n)
	}
	rc, err := s.OpenRange(ctx, key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	h.Reset()
	m, err := io.Copy(h, rc)
	rc.Close()
	if err != nil || m != n || hex.EncodeToString(h.Sum(nil)) != want {
		t.Errorf("read back %d bytes, %v; hash mismatch or short", m, err)
	}

	const off = 16<<20 - 10
	wantRange := make([]byte, 20)
	r := src()
	io.CopyN(io.Discard, r, off)
	io.ReadFull(r, wantRange)
	rc, err = s.OpenRange(ctx, key, off, 20)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, wantRange) {
		t.Errorf("range at 16 MiB = %x, %v; want %x", got, err, wantRange)
	}
}
