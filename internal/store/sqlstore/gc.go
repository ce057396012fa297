package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// BlobReferenced reports whether any row refers to blob key.
//
// Rather than a fixed list of tables, it looks in every table with a
// column named blob_key or ending in _blob_key (files.blob_key,
// upload_parts.blob_key, and whatever later migrations add for media
// messages, previews or profile photos): a migration that adds such a
// column is covered without touching the collector (give the column an
// index, as files_blob and upload_parts_blob are: the collector asks once
// per blob). The schema is read each call; sqlite_master is tiny and
// cached by SQLite.
func (q Queries) BlobReferenced(ctx context.Context, key string) (bool, error) {
	rows, err := q.DB.Query(ctx, q.D.BlobKeyColumns())
	if err != nil {
		return false, fmt.Errorf("blob referenced: %w", err)
	}
	var parts []string
	var args []any
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			rows.Close()
			return false, fmt.Errorf("blob referenced: %w", err)
		}
		parts = append(parts, fmt.Sprintf(`SELECT 1 FROM %s WHERE %s = ?`, quoteIdent(table), quoteIdent(column)))
		args = append(args, key)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("blob referenced: %w", err)
	}
	if len(parts) == 0 {
		return false, nil
	}
	var found bool
	err = q.DB.QueryRow(ctx, `SELECT EXISTS (`+strings.Join(parts, ` UNION ALL `)+`)`, args...).Scan(&found)
	if err != nil {
		return false, fmt.Errorf("blob referenced: %w", err)
	}
	return found, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// DeleteFinishedUploadParts removes the part rows of up to limit
// uploads finished (their file created) before before.
func (t *Tx) DeleteFinishedUploadParts(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	ids, err := t.ids(ctx, `SELECT DISTINCT p.upload_id FROM upload_parts p JOIN uploads u ON u.id = p.upload_id
		JOIN files f ON f.id = u.file_id
		WHERE f.created_at < ? ORDER BY p.upload_id LIMIT ?`, millis(before), limit)
	if err != nil {
		return 0, fmt.Errorf("delete finished upload parts: %w", err)
	}
	for _, id := range ids {
		if _, err := t.exec(ctx, `DELETE FROM upload_parts WHERE upload_id = ?`, id); err != nil {
			return 0, fmt.Errorf("delete finished upload parts: %w", err)
		}
	}
	return len(ids), nil
}
