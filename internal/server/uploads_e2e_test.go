package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/havenchat/haven/internal/core"
)

// blobStore lets a test see and damage a node's blobs as an operator
// could: list their keys, delete one.
type blobStore struct {
	keys   func(t *testing.T) map[string]bool
	delete func(t *testing.T, key string)
}

// diskBlobs is the blob store of a node with --blob-store disk.
func diskBlobs(n *node) blobStore {
	dir := filepath.Join(n.dir, "blobs")
	return blobStore{
		keys: func(t *testing.T) map[string]bool {
			t.Helper()
			keys := map[string]bool{}
			err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if !d.IsDir() && core.ValidBlobKey(d.Name()) {
					keys[d.Name()] = true
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return keys
		},
		delete: func(t *testing.T, key string) {
			t.Helper()
			if err := os.Remove(filepath.Join(dir, key[:2], key[2:4], key)); err != nil {
				t.Fatal(err)
			}
		},
	}
}

// s3Blobs is the blob store of a node given s3args (startS3).
func s3Blobs(t *testing.T, endpoint string) blobStore {
	client, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4("haven", "haven-secret-key", ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	return blobStore{
		keys: func(t *testing.T) map[string]bool {
			t.Helper()
			keys := map[string]bool{}
			for obj := range client.ListObjectsIter(context.Background(), "haven-e2e", minio.ListObjectsOptions{Recursive: true, Prefix: "blobs/"}) {
				if obj.Err != nil {
					t.Fatal(obj.Err)
				}
				keys[strings.TrimPrefix(obj.Key, "blobs/")] = true
			}
			return keys
		},
		delete: func(t *testing.T, key string) {
			t.Helper()
			if err := client.RemoveObject(context.Background(), "haven-e2e", "blobs/"+key, minio.RemoveObjectOptions{}); err != nil {
				t.Fatal(err)
			}
		},
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestFailedFinishIsCheap: a finish with the wrong SHA-256 stores nothing
// of the joined bytes, and repeating it over the same parts answers
// FILE_HASH_MISMATCH without reading them (shown by deleting a part's
// blob from under the server: the repeat does not notice). Once a part
// is sent again, a finish reads the parts again; the right hash then
// makes the file.
func TestFailedFinishIsCheap(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"disk", "s3"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			args := generous
			var endpoint string
			if backend == "s3" {
				var s3args []string
				endpoint, s3args = startS3(t)
				args = append(append([]string(nil), generous...), s3args...)
			}
			n := startNode(t, args...)
			blobs := diskBlobs(n)
			if backend == "s3" {
				blobs = s3Blobs(t, endpoint)
			}
			var ph phones
			alice, token, _ := signUpHTTP(t, n, &ph, "Alice")
			fc := newFileClient(t, n.url, token)
			g := genFile{seed: 99, size: 3*partMax + 4321}
			sum := g.sha256()
			var up uploadView
			alice.call("files.startUpload", map[string]any{"size": g.size, "name": "report.pdf"}).into(t, &up)
			sendParts(t, fc, g, up.UploadID, []int{0, 1, 2, 3})
			finish := func(hash string) reply {
				return alice.call("files.finishUpload", map[string]any{"upload_id": up.UploadID, "parts": up.Parts, "sha256": hash})
			}
			wrong, wrong2 := strings.Repeat("ab", 32), strings.Repeat("cd", 32)

			if r := finish(wrong); r.code() != "FILE_HASH_MISMATCH" {
				t.Fatalf("finish with a wrong hash: %s", r.code())
			}
			keys := blobs.keys(t)
			if keys[sum] || len(keys) != up.Parts {
				t.Errorf("after a failed finish the store holds %d blobs (the whole file's: %v), want only the %d parts", len(keys), keys[sum], up.Parts)
			}

			// The same parts again: answered without reading them.
			part0 := sha256Hex(g.block(0))
			blobs.delete(t, part0)
			for _, h := range []string{wrong, wrong2} {
				if r := finish(h); r.code() != "FILE_HASH_MISMATCH" {
					t.Errorf("finish repeated over the same parts: %s (%v), want FILE_HASH_MISMATCH without reading them", r.code(), r.Error)
				}
			}

			// Part 0 again (its blob is back), part 1 replaced by junk:
			// the parts changed, so they are read; the junk does not hash
			// to sum, and no blob of the junk file is left either.
			junk := bytes.Repeat([]byte{7}, partMax)
			if r := fc.put(up.UploadID, 0, bytes.NewReader(g.block(0))); !r.OK {
				t.Fatalf("part 0 again: %s", r.code())
			}
			if r := fc.put(up.UploadID, 1, bytes.NewReader(junk)); !r.OK {
				t.Fatalf("junk part 1: %s", r.code())
			}
			if r := finish(sum); r.code() != "FILE_HASH_MISMATCH" {
				t.Errorf("finish over a junk part: %s, want FILE_HASH_MISMATCH", r.code())
			}
			junkFile := sha256Hex(append(append(append(g.block(0), junk...), g.block(2)...), g.block(3)...))
			if keys := blobs.keys(t); keys[junkFile] || keys[sum] {
				t.Errorf("a failed finish left the joined bytes stored")
			}

			if r := fc.put(up.UploadID, 1, bytes.NewReader(g.block(1))); !r.OK {
				t.Fatalf("part 1 again: %s", r.code())
			}
			var f fileView
			finish(sum).into(t, &f)
			resp := fc.get(fmt.Sprintf("/files/%d", f.ID), true)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if f.SHA256 != sum || sha256Hex(body) != sum {
				t.Errorf("the file made after the failures: %+v, downloaded %d bytes matching %v", f, len(body), sha256Hex(body) == sum)
			}
		})
	}
}

// TestStorageQuota: what a person keeps (their files, and the declared
// sizes of their open uploads) may not pass --storage-quota; the refusal
// names the figures. The same bytes uploaded twice count once, another
// person has a quota of their own, and an upload that expired no longer
// counts.
func TestStorageQuota(t *testing.T) {
	t.Parallel()
	const quota = 3 << 20
	n := startNode(t, append([]string{"--storage-quota", "3MiB"}, generous...)...)
	var ph phones
	alice, token, _ := signUpHTTP(t, n, &ph, "Alice")
	bob, _, _ := signUpHTTP(t, n, &ph, "Bob")
	fc := newFileClient(t, n.url, token)
	start := func(c caller, size int) reply {
		return c.call("files.startUpload", map[string]any{"size": size})
	}

	// A 1 MiB file, twice: the same bytes count once.
	file := genFile{seed: 5, size: 1 << 20}
	for range 2 {
		var up uploadView
		start(alice, int(file.size)).into(t, &up)
		sendParts(t, fc, file, up.UploadID, []int{0, 1})
		alice.call("files.finishUpload", map[string]any{"upload_id": up.UploadID, "parts": 2, "sha256": file.sha256()}).into(t, &fileView{})
	}
	// An open upload of 1.5 MiB: 2.5 MiB used.
	var open uploadView
	start(alice, 3<<19).into(t, &open)

	r := start(alice, 600<<10)
	if r.code() != "QUOTA_EXCEEDED" || r.Status != 403 {
		t.Fatalf("600 KiB more over a 3 MiB quota with 2.5 MiB used: %s (%d), want QUOTA_EXCEEDED (403)", r.code(), r.Status)
	}
	for _, figure := range []string{fmt.Sprint(quota), fmt.Sprint(5 << 19), fmt.Sprint(600 << 10)} {
		if !strings.Contains(r.Error.Message, figure) {
			t.Errorf("the refusal %q does not give %s (quota, used, asked)", r.Error.Message, figure)
		}
	}
	if r := start(alice, 1<<19); !r.OK {
		t.Errorf("512 KiB, up to the quota exactly: %s", r.code())
	}
	if r := start(alice, 1); r.code() != "QUOTA_EXCEEDED" {
		t.Errorf("1 byte over the quota: %s, want QUOTA_EXCEEDED", r.code())
	}
	if r := start(bob, 3<<20); !r.OK {
		t.Errorf("another person's first 3 MiB: %s", r.code())
	}

	// The open uploads expire (24 hours by default): 1 MiB of files
	// remains used until the collector deletes them (they were never sent).
	n.clock.Advance(24*time.Hour + time.Minute)
	if r := start(alice, 2<<20); !r.OK {
		t.Errorf("2 MiB once the open uploads expired: %s", r.code())
	}
	if r := start(alice, 1); r.code() != "QUOTA_EXCEEDED" {
		t.Errorf("1 byte more: %s, want QUOTA_EXCEEDED", r.code())
	}
}

// TestStorageQuotaOff: --storage-quota 0 is no limit.
func TestStorageQuotaOff(t *testing.T) {
	t.Parallel()
	n := startNode(t, append([]string{"--storage-quota", "0"}, generous...)...)
	var ph phones
	alice, _, _ := signUpHTTP(t, n, &ph, "Alice")
	for i := range 30 {
		if r := alice.call("files.startUpload", map[string]any{"size": 2 << 30}); !r.OK {
			t.Fatalf("2 GiB upload %d with no quota: %s", i+1, r.code())
		}
	}
}

// TestOpenUploadsLimit: a person may have --max-open-uploads unfinished
// uploads; one more is refused with UPLOADS_TOO_MANY until one finishes
// or expires. Another person is not held back.
func TestOpenUploadsLimit(t *testing.T) {
	t.Parallel()
	n := startNode(t, append([]string{"--max-open-uploads", "2"}, generous...)...)
	var ph phones
	alice, token, _ := signUpHTTP(t, n, &ph, "Alice")
	bob, _, _ := signUpHTTP(t, n, &ph, "Bob")
	fc := newFileClient(t, n.url, token)
	small := genFile{seed: 3, size: 2000}
	var first, second uploadView
	alice.call("files.startUpload", map[string]any{"size": small.size}).into(t, &first)
	alice.call("files.startUpload", map[string]any{"size": 5000}).into(t, &second)
	if r := alice.call("files.startUpload", map[string]any{"size": 10}); r.code() != "UPLOADS_TOO_MANY" || r.Status != 403 {
		t.Fatalf("a third open upload: %s (%d), want UPLOADS_TOO_MANY (403)", r.code(), r.Status)
	}
	if r := bob.call("files.startUpload", map[string]any{"size": 10}); !r.OK {
		t.Errorf("another person's upload: %s", r.code())
	}
	sendParts(t, fc, small, first.UploadID, []int{0})
	alice.call("files.finishUpload", map[string]any{"upload_id": first.UploadID, "parts": 1, "sha256": small.sha256()}).into(t, &fileView{})
	var third uploadView
	alice.call("files.startUpload", map[string]any{"size": 10}).into(t, &third)
	if r := alice.call("files.startUpload", map[string]any{"size": 10}); r.code() != "UPLOADS_TOO_MANY" {
		t.Fatalf("a third open upload again: %s, want UPLOADS_TOO_MANY", r.code())
	}
	n.clock.Advance(24*time.Hour + time.Minute)
	for range 2 {
		if r := alice.call("files.startUpload", map[string]any{"size": 10}); !r.OK {
			t.Errorf("an upload once the others expired: %s", r.code())
		}
	}
}

// TestUploadTTLAndCollection: with --upload-ttl 1h an upload expires an
// hour after it starts (UPLOAD_EXPIRED); ExpireUploads then removes it,
// and the blob collector the blobs of its parts, once they are older than
// the grace period. A part of an upload still open stays.
func TestUploadTTLAndCollection(t *testing.T) {
	t.Parallel()
	n := startNode(t, append([]string{"--upload-ttl", "1h"}, generous...)...)
	blobs := diskBlobs(n)
	var ph phones
	alice, token, _ := signUpHTTP(t, n, &ph, "Alice")
	fc := newFileClient(t, n.url, token)
	g := genFile{seed: 11, size: 3 * partMax}
	var up uploadView
	alice.call("files.startUpload", map[string]any{"size": g.size}).into(t, &up)
	if want := n.clock.Now().Add(time.Hour).Unix(); up.ExpiresAt != want {
		t.Errorf("expires_at = %d, want an hour from now (%d)", up.ExpiresAt, want)
	}
	sendParts(t, fc, g, up.UploadID, []int{0, 1})
	n.clock.Advance(59 * time.Minute)
	// Another upload, started later, stays open with its part.
	kept := genFile{seed: 12, size: partMax}
	var later uploadView
	alice.call("files.startUpload", map[string]any{"size": kept.size}).into(t, &later)
	sendParts(t, fc, kept, later.UploadID, []int{0})
	n.clock.Advance(2 * time.Minute)
	if r := fc.put(up.UploadID, 2, bytes.NewReader(g.block(2))); r.code() != "UPLOAD_EXPIRED" {
		t.Fatalf("a part after an hour: %s, want UPLOAD_EXPIRED", r.code())
	}
	parts := []string{sha256Hex(g.block(0)), sha256Hex(g.block(1))}
	keptKey := sha256Hex(kept.block(0))
	if keys := blobs.keys(t); !keys[parts[0]] || !keys[parts[1]] || !keys[keptKey] {
		t.Fatalf("the parts' blobs are not stored: %v", keys)
	}

	ctx := context.Background()
	if k, err := n.srv.Core().ExpireUploads(ctx); err != nil || k != 1 {
		t.Fatalf("ExpireUploads = %d, %v; want 1", k, err)
	}
	if r := alice.call("files.uploadStatus", map[string]any{"upload_id": up.UploadID}); r.code() != "UPLOAD_NOT_FOUND" {
		t.Errorf("status of the expired upload: %s, want UPLOAD_NOT_FOUND", r.code())
	}
	// The blobs were written moments ago by the wall clock; the node's
	// clock is the test's. Date them two hours back by the node's clock,
	// past the collector's grace period (one hour).
	then := n.clock.Now().Add(-2 * time.Hour)
	err := filepath.WalkDir(filepath.Join(n.dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			err = os.Chtimes(p, then, then)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if k, err := n.srv.Core().CollectBlobs(ctx); err != nil || k != 2 {
		t.Errorf("CollectBlobs = %d, %v; want the 2 parts of the expired upload", k, err)
	}
	keys := blobs.keys(t)
	if keys[parts[0]] || keys[parts[1]] {
		t.Errorf("the expired upload's parts are still stored")
	}
	if !keys[keptKey] {
		t.Errorf("the part of an open upload was deleted")
	}
	var st uploadView
	alice.call("files.uploadStatus", map[string]any{"upload_id": later.UploadID}).into(t, &st)
	if len(st.Received) != 1 {
		t.Errorf("the open upload's status = %+v, want its one part", st)
	}
}
