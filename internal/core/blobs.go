package core

import (
	"context"
	"errors"
	"io"
	"time"
)

// Blobs stores file contents, addressed by their SHA-256: the key of a
// blob is the lowercase hex SHA-256 of its bytes (64 characters). The same
// bytes stored twice have one key and are kept once. A blob is immutable;
// it is either wholly visible under its key or not at all, never half
// written. Implementations live in internal/blob (disk, s3) and pass
// internal/blob/blobtest.
//
// Blobs knows nothing of who refers to a blob: the core records references
// in the Store, and a garbage collector deletes blobs that nothing refers
// to (List, then Delete), after a grace period measured from ModTime.
//
// A key that is not 64 lowercase hex digits names no blob: Stat and
// OpenRange answer haven.ErrNotFound for it and Delete does nothing.
type Blobs interface {
	// Put stores the size bytes that r yields and returns their key. It
	// streams: r is read in small pieces, hashed as it is written, and
	// never held in memory whole. Once Put returns nil the blob is
	// durable. Putting bytes already stored returns the same key, keeps
	// one copy, and moves its ModTime to now (so a collector's grace
	// period starts again). Concurrent Puts of the same bytes are safe.
	//
	// Errors (none leaves anything visible under any key):
	//   - ErrBlobSize (wrapped) if size < 0 or r yields fewer or more
	//     than size bytes;
	//   - r's own error, wrapped, if reading fails;
	//   - ctx.Err(), wrapped, if ctx ends first;
	//   - any other error: the storage failed.
	Put(ctx context.Context, r io.Reader, size int64) (key string, err error)

	// Stat returns the size of the blob key, or haven.ErrNotFound
	// (wrapped) if there is none.
	Stat(ctx context.Context, key string) (size int64, err error)

	// OpenRange returns a reader of length bytes of blob key starting at
	// offset; the caller must close it. A negative length, or one past
	// the end, reads to the end of the blob; offset == size gives an
	// empty reader. This serves HTTP Range requests without reading the
	// bytes before offset.
	//
	// Errors: haven.ErrNotFound (wrapped) if there is no blob key;
	// ErrBlobRange (wrapped) if offset < 0 or offset > size; any other
	// error, from OpenRange or from the reader's Read, means the storage
	// failed.
	OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)

	// Delete removes blob key. Deleting a blob that does not exist (or
	// was just deleted by another node) returns nil. A reader opened
	// before the Delete may or may not go on reading. Any error means the
	// blob may still exist.
	Delete(ctx context.Context, key string) error

	// List returns up to limit blobs whose keys sort after after (""
	// starts at the beginning), in increasing key order; fewer than
	// limit means the end was reached. limit <= 0 returns none. Blobs
	// being written by Puts not yet finished are not listed. Any error
	// means the storage failed.
	List(ctx context.Context, after string, limit int) ([]BlobInfo, error)
}

// BlobInfo describes one stored blob.
type BlobInfo struct {
	Key     string    // lowercase hex SHA-256 of the bytes
	Size    int64     // in bytes
	ModTime time.Time // when the blob was last Put
}

// Errors of Blobs, tested with errors.Is.
var (
	// ErrBlobSize: the reader given to Put did not yield the size
	// announced.
	ErrBlobSize = errors.New("blob: size does not match the bytes given")
	// ErrBlobRange: OpenRange was asked for an offset outside the blob.
	ErrBlobRange = errors.New("blob: offset outside the blob")
)

// ValidBlobKey reports whether key is a well-formed blob key: 64
// lowercase hex digits. Backends use it so that no other string ever
// reaches a path or an object name.
func ValidBlobKey(key string) bool {
	if len(key) != 64 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
