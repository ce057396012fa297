package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// DeleteUnreferencedFiles removes up to limit file rows created before
// before that nothing refers to: no message carries them (message_files
// names a message's file, its sizes and thumbnail), no profile or chat
// photo is made of them (photo_files) and no upload still
// open at now (expires_at after now) became them. The uploads that
// became a removed file go with it, with their part rows.
func (t *Tx) DeleteUnreferencedFiles(ctx context.Context, before, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	ids, err := t.ids(ctx, `SELECT f.id FROM files f
		WHERE f.created_at < ?1
			AND NOT EXISTS (SELECT 1 FROM message_files mf WHERE mf.file_id = f.id)
			AND NOT EXISTS (SELECT 1 FROM photo_files pf WHERE pf.file_id = f.id)
			AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.file_id = f.id AND u.expires_at > ?2)
			AND NOT EXISTS (SELECT 1 FROM secret_files sf WHERE sf.file_id = f.id AND sf.expires_at > ?2)
		ORDER BY f.id LIMIT ?3`, millis(before), millis(now), limit)
	if err != nil {
		return 0, fmt.Errorf("delete unreferenced files: %w", err)
	}
	for _, id := range ids {
		for _, q := range []string{
			`DELETE FROM upload_parts WHERE upload_id IN (SELECT id FROM uploads WHERE file_id = ?)`,
			`DELETE FROM uploads WHERE file_id = ?`,
			`DELETE FROM secret_files WHERE file_id = ?`,
			`DELETE FROM files WHERE id = ?`,
		} {
			if _, err := t.exec(ctx, q, id); err != nil {
				return 0, fmt.Errorf("delete unreferenced file %d: %w", id, err)
			}
		}
	}
	return len(ids), nil
}
