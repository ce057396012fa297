package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// startS3 starts an in-process S3 service (gofakes3 in memory) and
// returns the flags that point a node at it.
func startS3(tb testing.TB) (endpoint string, args []string) {
	tb.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	tb.Cleanup(srv.Close)
	endpoint = strings.TrimPrefix(srv.URL, "http://")
	return endpoint, []string{
		"--blob-store", "s3", "--s3-endpoint", endpoint, "--s3-bucket", "haven-e2e",
		"--s3-access-key", "haven", "--s3-secret-key", "haven-secret-key",
		"--s3-region", "us-east-1", "--s3-tls=false",
	}
}

// TestFileS3Backend: a node with --blob-store s3 keeps uploads in the
// bucket (not under its data directory) and serves them back whole and
// in ranges.
func TestFileS3Backend(t *testing.T) {
	t.Parallel()
	endpoint, s3args := startS3(t)
	n := startNode(t, append(generous, s3args...)...)
	if strings.Contains(n.logs.String(), "haven-secret-key") {
		t.Error("the log shows the S3 secret key")
	}
	var ph phones
	alice, token, _ := signUpHTTP(t, n, &ph, "Alice")
	alice.token = token

	g := genFile{seed: 7, size: 2<<20 + 12345}
	sum := g.sha256()
	var up uploadView
	alice.call("files.startUpload", map[string]any{"size": g.size, "name": "doc.bin"}).into(t, &up)
	parts := make([]int, up.Parts)
	for i := range parts {
		parts[i] = up.Parts - 1 - i
	}
	fc := newFileClient(t, n.url, token)
	sendParts(t, fc, g, up.UploadID, parts)
	if t.Failed() {
		t.FailNow()
	}
	var f fileView
	alice.call("files.finishUpload", map[string]any{"upload_id": up.UploadID, "parts": up.Parts, "sha256": sum}).into(t, &f)
	if f.Size != g.size || f.SHA256 != sum {
		t.Fatalf("finishUpload = %+v", f)
	}

	resp := fc.get(fmt.Sprintf("/files/%d", f.ID), true)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET: %d, %v", resp.StatusCode, err)
	}
	if !bytes.Equal(body, g.rangeOf(0, g.size-1)) {
		t.Fatalf("downloaded %d bytes unlike the %d uploaded", len(body), g.size)
	}
	resp = fc.get(fmt.Sprintf("/files/%d", f.ID), true, "Range", "bytes=1000000-1099999")
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, g.rangeOf(1000000, 1099999)) {
		t.Fatalf("Range: status %d, %d bytes", resp.StatusCode, len(body))
	}

	// The bytes are in the bucket, not on the node's disk.
	if _, err := os.Stat(filepath.Join(n.dir, "blobs")); !os.IsNotExist(err) {
		t.Errorf("the data directory has a blobs directory: %v", err)
	}
	client, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4("haven", "haven-secret-key", ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for obj := range client.ListObjectsIter(context.Background(), "haven-e2e", minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			t.Fatal(obj.Err)
		}
		if strings.HasSuffix(obj.Key, sum) && obj.Size == g.size {
			found = true
		}
	}
	if !found {
		t.Errorf("the bucket holds no object named by the file's SHA-256 %s", sum)
	}
}
