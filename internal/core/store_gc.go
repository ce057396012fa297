package core

import (
	"context"
	"time"
)

// GCQueries are the reads of the blob collector (see CollectBlobs).
type GCQueries interface {
	// BlobReferenced reports whether any row refers to blob key: a file,
	// an upload part, or anything else that names a blob. It is the one
	// place that knows every table with a blob_key column: a new table
	// that refers to blobs must be added to it, or the collector would
	// delete blobs still in use.
	BlobReferenced(ctx context.Context, key string) (bool, error)
}

// GCTx are the writes of the blob collector.
type GCTx interface {
	// DeleteFinishedUploadParts removes the part rows (not the blobs) of
	// up to limit uploads finished before before (their file's CreatedAt
	// is earlier), and reports how
	// many uploads it cleared. The upload rows stay: they tell which file
	// an upload became.
	DeleteFinishedUploadParts(ctx context.Context, before time.Time, limit int) (int, error)
	// DeleteUnreferencedFiles removes up to limit file rows created
	// before before that nothing refers to — no message carries them (as
	// its file, a size or a thumbnail: message_files), no upload still
	// open at now became them, no secret chat keeps them past now
	// (KeepSecretFile) — with the uploads that became them, and
	// reports how many it removed. Their blobs are then left to the blob
	// collector. A new kind of reference to files (a profile or chat
	// photo) must be added to it, or the collector would delete files
	// still in use.
	DeleteUnreferencedFiles(ctx context.Context, before, now time.Time, limit int) (int, error)
}
