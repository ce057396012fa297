package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/havenchat/haven/internal/core"
)

// CreateUpload inserts u, setting u.ID.
func (t *Tx) CreateUpload(ctx context.Context, u *core.Upload) error {
	newID, err := t.insertID(ctx, `INSERT INTO uploads (user_id, size, part_size, parts, name, created_at, expires_at, file_id, parts_digest, parts_sha256)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.UserID, u.Size, u.PartSize, u.Parts, u.Name, millis(u.CreatedAt), millis(u.ExpiresAt), nullID(u.FileID), u.PartsDigest, u.PartsSHA256)
	if err != nil {
		return fmt.Errorf("create upload: %w", err)
	}
	u.ID = newID
	return nil
}

// PutUploadPart records a part, replacing one of the same number.
func (t *Tx) PutUploadPart(ctx context.Context, uploadID int64, p core.UploadPart) error {
	err := t.execOne(ctx, `INSERT INTO upload_parts (upload_id, part, blob_key, size)
		SELECT id, ?, ?, ? FROM uploads WHERE id = ?
		ON CONFLICT (upload_id, part) DO UPDATE SET blob_key = excluded.blob_key, size = excluded.size`,
		p.Part, p.BlobKey, p.Size, uploadID)
	if err != nil {
		return fmt.Errorf("put part %d of upload %d: %w", p.Part, uploadID, err)
	}
	return nil
}

// FinishUpload marks an upload finished as fileID.
func (t *Tx) FinishUpload(ctx context.Context, uploadID, fileID int64) error {
	if err := t.execOne(ctx, `UPDATE uploads SET file_id = ? WHERE id = ?`, fileID, uploadID); err != nil {
		return fmt.Errorf("finish upload %d: %w", uploadID, err)
	}
	return nil
}

// SetUploadCheck records what the last finish found of an upload's parts.
func (t *Tx) SetUploadCheck(ctx context.Context, uploadID int64, digest, sha256 string) error {
	if err := t.execOne(ctx, `UPDATE uploads SET parts_digest = ?, parts_sha256 = ? WHERE id = ?`, digest, sha256, uploadID); err != nil {
		return fmt.Errorf("check of upload %d: %w", uploadID, err)
	}
	return nil
}

// DeleteUpload removes an upload and its part rows.
func (t *Tx) DeleteUpload(ctx context.Context, uploadID int64) error {
	if _, err := t.exec(ctx, `DELETE FROM upload_parts WHERE upload_id = ?`, uploadID); err != nil {
		return fmt.Errorf("delete upload %d: %w", uploadID, err)
	}
	if _, err := t.exec(ctx, `DELETE FROM uploads WHERE id = ?`, uploadID); err != nil {
		return fmt.Errorf("delete upload %d: %w", uploadID, err)
	}
	return nil
}

// CreateFile inserts f, setting f.ID.
func (t *Tx) CreateFile(ctx context.Context, f *core.File) error {
	newID, err := t.insertID(ctx, `INSERT INTO files (blob_key, size, name, mime, sha256, uploader_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		f.BlobKey, f.Size, f.Name, f.MIME, f.SHA256, f.UploaderID, millis(f.CreatedAt))
	if err != nil {
		return fmt.Errorf("create file: %w", err)
	}
	f.ID = newID
	return nil
}

// UploadByID returns an upload. Errors: haven.ErrNotFound.
func (q Queries) UploadByID(ctx context.Context, id int64) (*core.Upload, error) {
	var (
		u                core.Upload
		created, expires int64
		fileID           sql.NullInt64
	)
	err := q.DB.QueryRow(ctx, `SELECT id, user_id, size, part_size, parts, name, created_at, expires_at, file_id, parts_digest, parts_sha256
		FROM uploads WHERE id = ?`, id).Scan(&u.ID, &u.UserID, &u.Size, &u.PartSize, &u.Parts, &u.Name, &created, &expires, &fileID, &u.PartsDigest, &u.PartsSHA256)
	if err != nil {
		return nil, fmt.Errorf("upload %d: %w", id, noRows(err))
	}
	u.CreatedAt, u.ExpiresAt, u.FileID = fromMillis(created), fromMillis(expires), fileID.Int64
	return &u, nil
}

// UploadParts lists an upload's parts by part number.
func (q Queries) UploadParts(ctx context.Context, uploadID int64) ([]core.UploadPart, error) {
	ps, err := queryAll(ctx, q.DB, func(sc scanner) (p core.UploadPart, err error) {
		err = sc.Scan(&p.Part, &p.BlobKey, &p.Size)
		return p, err
	}, `SELECT part, blob_key, size FROM upload_parts WHERE upload_id = ? ORDER BY part`, uploadID)
	if err != nil {
		return nil, fmt.Errorf("parts of upload %d: %w", uploadID, err)
	}
	return ps, nil
}

// ExpiredUploads returns up to limit ids of unfinished uploads past
// their expiry, the oldest first.
func (q Queries) ExpiredUploads(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	if limit <= 0 {
		return nil, nil
	}
	ids, err := q.ids(ctx, `SELECT id FROM uploads WHERE file_id IS NULL AND expires_at < ?
		ORDER BY expires_at, id LIMIT ?`, millis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("expired uploads: %w", err)
	}
	return ids, nil
}

const storageUsageQuery = `SELECT
	(SELECT COALESCE(SUM(size), 0) FROM (SELECT DISTINCT blob_key, size FROM files WHERE uploader_id = ?) AS blobs),
	(SELECT COUNT(*) FROM uploads WHERE user_id = ? AND file_id IS NULL AND expires_at > ?),
	(SELECT COALESCE(SUM(size), 0) FROM uploads WHERE user_id = ? AND file_id IS NULL AND expires_at > ?)`

// StorageUsage sums what userID keeps: their files, each blob once, and
// their open uploads (files_uploader and uploads_open_user cover both).
func (q Queries) StorageUsage(ctx context.Context, userID int64, now time.Time) (core.StorageUsage, error) {
	var u core.StorageUsage
	err := q.DB.QueryRow(ctx, storageUsageQuery, userID, userID, millis(now), userID, millis(now)).Scan(&u.FileBytes, &u.OpenUploads, &u.OpenBytes)
	if err != nil {
		return u, fmt.Errorf("storage of user %d: %w", userID, err)
	}
	return u, nil
}

// FileByID returns a file. Errors: haven.ErrNotFound.
func (q Queries) FileByID(ctx context.Context, id int64) (*core.File, error) {
	var (
		f       core.File
		created int64
	)
	err := q.DB.QueryRow(ctx, `SELECT id, blob_key, size, name, mime, sha256, uploader_id, created_at
		FROM files WHERE id = ?`, id).Scan(&f.ID, &f.BlobKey, &f.Size, &f.Name, &f.MIME, &f.SHA256, &f.UploaderID, &created)
	if err != nil {
		return nil, fmt.Errorf("file %d: %w", id, noRows(err))
	}
	f.CreatedAt = fromMillis(created)
	return &f, nil
}

// AddMessageFiles records the files a message carries.
func (t *Tx) AddMessageFiles(ctx context.Context, chatID, msgID int64, fileIDs []int64) error {
	if len(fileIDs) == 0 {
		return nil
	}
	_, err := t.exec(ctx, `INSERT INTO message_files (file_id, chat_id, msg_id)
		SELECT CAST(value AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT) FROM json_each(?) WHERE true
		ON CONFLICT DO NOTHING`, chatID, msgID, idList(fileIDs))
	if err != nil {
		return fmt.Errorf("message %d/%d files: %w", chatID, msgID, err)
	}
	return nil
}

// FileVisibleTo reports whether userID can see a message carrying fileID.
func (q Queries) FileVisibleTo(ctx context.Context, userID, fileID int64) (bool, error) {
	var one int
	err := q.DB.QueryRow(ctx, `SELECT 1 FROM message_files f
		JOIN members m ON m.chat_id = f.chat_id AND m.user_id = ?
		WHERE f.file_id = ? AND m.role IN ('owner', 'admin', 'member') AND f.msg_id >= m.min_message_id
			AND NOT EXISTS (SELECT 1 FROM hidden h WHERE h.user_id = ? AND h.chat_id = f.chat_id AND h.msg_id = f.msg_id)
		LIMIT 1`, userID, fileID, userID).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("file %d visible to %d: %w", fileID, userID, err)
	}
	return true, nil
}
