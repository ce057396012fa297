// Package s3 is the core.Blobs backend on S3-compatible object storage,
// for a cluster of stateless nodes that must all see the same files. It
// speaks S3 through minio-go; in production MinIO, SeaweedFS, Ceph RGW,
// Garage, AWS S3 or any other S3-compatible service serves it. Its tests
// run against gofakes3, an S3 server started in the test process.
//
// A blob is the object "blobs/<key>". The key is the SHA-256 of the bytes,
// known only once they have all been read, so Put first uploads to a
// temporary object "tmp/<random>" while hashing, then copies it, inside
// the service, to its final name (an atomic replace: readers see the whole
// blob or nothing) and deletes the temporary one. A node that dies midway
// leaves a temporary object, which New removes once it is a day old (an
// expiry lifecycle rule on "tmp/" does the same job on the service side).
//
// Put uploads in one streaming PUT (never holding the blob in memory)
// and copies it server-side; S3 limits both to 5 GiB, above Haven's
// default file limit of 2 GiB.
package s3

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

const (
	blobPrefix = "blobs/"
	tmpPrefix  = "tmp/"
	// staleTemp is how old a temporary object must be for New to remove
	// it: no Put runs that long.
	staleTemp = 24 * time.Hour
)

// Store keeps blobs in one bucket. It is safe for concurrent use, also by
// many nodes sharing the bucket.
type Store struct {
	client *minio.Client
	raw    minio.Core // for GetObject that fails at once, not on the first Read
	bucket string
}

var _ core.Blobs = (*Store)(nil)

// New returns a store in bucket, creating the bucket if it does not exist,
// and removes temporary objects left by Puts that died.
func New(ctx context.Context, client *minio.Client, bucket string) (*Store, error) {
	s := &Store{client: client, raw: minio.Core{Client: client}, bucket: bucket}
	ok, err := client.BucketExists(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("blob/s3: bucket %s: %w", bucket, err)
	}
	if !ok {
		if err := client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
			if code := minio.ToErrorResponse(err).Code; code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
				return nil, fmt.Errorf("blob/s3: creating bucket %s: %w", bucket, err)
			}
		}
	}
	for obj := range client.ListObjectsIter(ctx, bucket, minio.ListObjectsOptions{Prefix: tmpPrefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, fmt.Errorf("blob/s3: listing %s: %w", tmpPrefix, obj.Err)
		}
		if time.Since(obj.LastModified) > staleTemp {
			client.RemoveObject(ctx, bucket, obj.Key, minio.RemoveObjectOptions{})
		}
	}
	return s, nil
}

// exactReader yields the first size bytes of r, hashing them, and fails
// with core.ErrBlobSize if r ends sooner. It never reads past size, so
// the caller checks for excess bytes after the upload.
type exactReader struct {
	ctx  context.Context
	r    io.Reader
	left int64
	h    hash.Hash
	err  error // the first error given, kept to report it over minio's
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.left == 0 {
		return 0, io.EOF
	}
	if err := e.ctx.Err(); err != nil {
		e.err = err
		return 0, err
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.h.Write(p[:n])
	e.left -= int64(n)
	switch {
	case err == io.EOF && e.left > 0:
		e.err = fmt.Errorf("%d bytes missing: %w", e.left, core.ErrBlobSize)
	case err != nil && err != io.EOF:
		e.err = err
	}
	if e.err != nil {
		return n, e.err
	}
	return n, nil
}

// Put implements core.Blobs.
func (s *Store) Put(ctx context.Context, r io.Reader, size int64) (string, error) {
	if size < 0 {
		return "", fmt.Errorf("blob/s3: size %d: %w", size, core.ErrBlobSize)
	}
	tmp := tmpPrefix + randomName()
	defer s.client.RemoveObject(context.WithoutCancel(ctx), s.bucket, tmp, minio.RemoveObjectOptions{})

	er := &exactReader{ctx: ctx, r: r, left: size, h: sha256.New()}
	// Over plain HTTP minio-go signs the payload in chunks, and for 0
	// bytes sends no Content-Length, which S3 refuses: an empty object is
	// sent unsigned (there is nothing to protect).
	_, err := s.client.PutObject(ctx, s.bucket, tmp, er, size, minio.PutObjectOptions{
		ContentType:          "application/octet-stream",
		DisableContentSha256: size == 0,
		// One streaming PUT: minio-go's multipart upload would hold each
		// part (16 MiB or more) in memory, and a part that fails is
		// retried by the caller's Put as a whole anyway.
		DisableMultipart: true,
	})
	if er.err != nil {
		return "", fmt.Errorf("blob/s3: %w", er.err)
	}
	if err != nil {
		return "", fmt.Errorf("blob/s3: uploading: %w", err)
	}
	if er.left != 0 {
		return "", fmt.Errorf("blob/s3: %d bytes not read: %w", er.left, core.ErrBlobSize)
	}
	var one [1]byte
	for {
		n, err := r.Read(one[:])
		if n > 0 {
			return "", fmt.Errorf("blob/s3: more than %d bytes: %w", size, core.ErrBlobSize)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("blob/s3: %w", err)
		}
	}
	key := hex.EncodeToString(er.h.Sum(nil))

	// Copying even when the blob exists moves its LastModified to now, as
	// Put promises; the bytes are the same, so the replace is harmless.
	_, err = s.client.CopyObject(ctx,
		minio.CopyDestOptions{Bucket: s.bucket, Object: blobPrefix + key},
		minio.CopySrcOptions{Bucket: s.bucket, Object: tmp})
	if err != nil {
		return "", fmt.Errorf("blob/s3: copying into place: %w", err)
	}
	return key, nil
}

func randomName() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Stat implements core.Blobs.
func (s *Store) Stat(ctx context.Context, key string) (int64, error) {
	if !core.ValidBlobKey(key) {
		return 0, notFound(key)
	}
	info, err := s.client.StatObject(ctx, s.bucket, blobPrefix+key, minio.StatObjectOptions{})
	if err != nil {
		return 0, s.wrap(key, err)
	}
	return info.Size, nil
}

func notFound(key string) error {
	return fmt.Errorf("blob %.16s: %w", key, haven.ErrNotFound)
}

// wrap turns a missing object into haven.ErrNotFound.
func (s *Store) wrap(key string, err error) error {
	resp := minio.ToErrorResponse(err)
	if resp.Code == "NoSuchKey" || resp.Code == "NotFound" || resp.StatusCode == http.StatusNotFound {
		return notFound(key)
	}
	return fmt.Errorf("blob/s3: %w", err)
}

// OpenRange implements core.Blobs. It costs one GET with a Range header;
// the edge cases an S3 Range cannot express (an empty range, an offset at
// the very end) cost a HEAD as well.
func (s *Store) OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if !core.ValidBlobKey(key) {
		return nil, notFound(key)
	}
	if offset < 0 {
		return nil, fmt.Errorf("blob/s3: offset %d: %w", offset, core.ErrBlobRange)
	}
	empty := func() (io.ReadCloser, error) {
		size, err := s.Stat(ctx, key)
		if err != nil {
			return nil, err
		}
		if offset > size {
			return nil, fmt.Errorf("blob/s3: offset %d of %d bytes: %w", offset, size, core.ErrBlobRange)
		}
		return io.NopCloser(strings.NewReader("")), nil
	}
	if length == 0 {
		return empty()
	}
	var opts minio.GetObjectOptions
	switch {
	case length > 0:
		opts.Set("Range", fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	case offset > 0:
		opts.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	body, _, _, err := s.raw.GetObject(ctx, s.bucket, blobPrefix+key, opts)
	if err != nil {
		resp := minio.ToErrorResponse(err)
		if resp.Code == "InvalidRange" || resp.StatusCode == http.StatusRequestedRangeNotSatisfiable {
			// Past the last byte: at the end (empty) or beyond it.
			return empty()
		}
		return nil, s.wrap(key, err)
	}
	return body, nil
}

// Delete implements core.Blobs.
func (s *Store) Delete(ctx context.Context, key string) error {
	if !core.ValidBlobKey(key) {
		return nil
	}
	err := s.client.RemoveObject(ctx, s.bucket, blobPrefix+key, minio.RemoveObjectOptions{})
	if err != nil && !errors.Is(s.wrap(key, err), haven.ErrNotFound) {
		return fmt.Errorf("blob/s3: %w", err)
	}
	return nil
}

// List implements core.Blobs.
func (s *Store) List(ctx context.Context, after string, limit int) ([]core.BlobInfo, error) {
	out := []core.BlobInfo{}
	if limit <= 0 {
		return out, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops minio's paging once we have enough
	opts := minio.ListObjectsOptions{Prefix: blobPrefix, Recursive: true, MaxKeys: min(limit, 1000)}
	if after != "" {
		opts.StartAfter = blobPrefix + after
	}
	for obj := range s.client.ListObjectsIter(ctx, s.bucket, opts) {
		if obj.Err != nil {
			return nil, fmt.Errorf("blob/s3: listing: %w", obj.Err)
		}
		k := strings.TrimPrefix(obj.Key, blobPrefix)
		if !core.ValidBlobKey(k) || k <= after {
			continue
		}
		out = append(out, core.BlobInfo{Key: k, Size: obj.Size, ModTime: obj.LastModified})
		if len(out) == limit {
			break
		}
	}
	return out, nil
}
