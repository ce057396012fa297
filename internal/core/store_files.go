package core

import (
	"context"
	"time"
)

// Upload is a file being uploaded in parts.
type Upload struct {
	ID        int64
	UserID    int64
	Size      int64 // of the whole file, bytes
	PartSize  int64 // of every part but the last
	Parts     int   // how many parts
	Name      string
	CreatedAt time.Time
	ExpiresAt time.Time
	FileID    int64 // the file it became; 0 while unfinished
	// PartsDigest and PartsSHA256 are what the last finish that read the
	// parts found: a digest of the parts it read (numbers, blob keys and
	// sizes) and the SHA-256 of their bytes; empty until then.
	PartsDigest string
	PartsSHA256 string
}

// StorageUsage is what one person keeps on the server.
type StorageUsage struct {
	FileBytes   int64 // bytes of the files they uploaded, each distinct blob once
	OpenUploads int   // their unfinished uploads that have not expired
	OpenBytes   int64 // the sizes those uploads declared
}

// UploadPart is one received part of an upload: a blob.
type UploadPart struct {
	Part    int
	BlobKey string
	Size    int64
}

// File is a finished upload: one blob and what is known of it.
type File struct {
	ID         int64
	BlobKey    string
	Size       int64
	Name       string
	MIME       string
	SHA256     string // lowercase hex
	UploaderID int64
	CreatedAt  time.Time
}

// FileTx are the writes of files and uploads.
type FileTx interface {
	// CreateUpload inserts u, setting u.ID.
	CreateUpload(ctx context.Context, u *Upload) error
	// PutUploadPart records a received part, replacing one of the same
	// number. Errors: haven.ErrNotFound when there is no such upload.
	PutUploadPart(ctx context.Context, uploadID int64, p UploadPart) error
	// FinishUpload marks an upload finished as fileID.
	// Errors: haven.ErrNotFound.
	FinishUpload(ctx context.Context, uploadID, fileID int64) error
	// SetUploadCheck records an upload's PartsDigest and PartsSHA256.
	// Errors: haven.ErrNotFound.
	SetUploadCheck(ctx context.Context, uploadID int64, digest, sha256 string) error
	// DeleteUpload removes an upload and its part rows (not the blobs); a
	// missing one is not an error.
	DeleteUpload(ctx context.Context, uploadID int64) error
	// CreateFile inserts f, setting f.ID.
	CreateFile(ctx context.Context, f *File) error
	// AddMessageFiles records that message msgID of chatID carries the
	// files; deleting the message forgets them.
	AddMessageFiles(ctx context.Context, chatID, msgID int64, fileIDs []int64) error
}

// FileQueries are the reads of files and uploads.
type FileQueries interface {
	// UploadByID returns an upload, finished or not. Errors: haven.ErrNotFound.
	UploadByID(ctx context.Context, id int64) (*Upload, error)
	// UploadParts lists an upload's received parts by part number.
	UploadParts(ctx context.Context, uploadID int64) ([]UploadPart, error)
	// ExpiredUploads returns up to limit ids of unfinished uploads whose
	// ExpiresAt is before now, the oldest first.
	ExpiredUploads(ctx context.Context, now time.Time, limit int) ([]int64, error)
	// StorageUsage sums what userID keeps: the sizes of the files whose
	// uploader they are (files of the same blob counted once), and their
	// unfinished uploads whose ExpiresAt is after now.
	StorageUsage(ctx context.Context, userID int64, now time.Time) (StorageUsage, error)
	// FileByID returns a file. Errors: haven.ErrNotFound.
	FileByID(ctx context.Context, id int64) (*File, error)
	// FileVisibleTo reports whether userID is an active member of a chat
	// with a message carrying fileID that they can see (at or after
	// their min message id, not hidden from them).
	FileVisibleTo(ctx context.Context, userID, fileID int64) (bool, error)
}
