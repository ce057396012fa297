package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// photoFromJSON reads a users.photo or chats.photo column: NULL is none.
func photoFromJSON(s sql.NullString) (*haven.Photo, error) {
	if !s.Valid || s.String == "" {
		return nil, nil
	}
	var p haven.Photo
	if err := json.Unmarshal([]byte(s.String), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

func photoJSON(p *haven.Photo) (sql.NullString, error) {
	if p == nil {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

// setPhoto writes the photo column of a user or chat and its photo_files
// rows (userID or chatID, the other 0).
func (t *Tx) setPhoto(ctx context.Context, table string, userID, chatID int64, p *haven.Photo) error {
	js, err := photoJSON(p)
	if err != nil {
		return err
	}
	id := userID + chatID
	if err := t.execOne(ctx, `UPDATE `+table+` SET photo = ? WHERE id = ?`, js, id); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM photo_files WHERE user_id = ? AND chat_id = ?`, userID, chatID); err != nil {
		return err
	}
	if ids := p.FileIDs(); len(ids) > 0 {
		_, err := t.exec(ctx, `INSERT INTO photo_files (file_id, user_id, chat_id)
			SELECT CAST(value AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT) FROM json_each(?) WHERE true
			ON CONFLICT DO NOTHING`, userID, chatID, idList(ids))
		if err != nil {
			return err
		}
	}
	return nil
}

// SetUserPhoto sets (p nil: removes) a user's profile photo.
// Errors: haven.ErrNotFound.
func (t *Tx) SetUserPhoto(ctx context.Context, userID int64, p *haven.Photo) error {
	if err := t.setPhoto(ctx, "users", userID, 0, p); err != nil {
		return fmt.Errorf("set user %d photo: %w", userID, err)
	}
	return nil
}

// SetChatPhoto sets (p nil: removes) a chat's photo.
// Errors: haven.ErrNotFound.
func (t *Tx) SetChatPhoto(ctx context.Context, chatID int64, p *haven.Photo) error {
	if err := t.setPhoto(ctx, "chats", 0, chatID, p); err != nil {
		return fmt.Errorf("set chat %d photo: %w", chatID, err)
	}
	return nil
}

// PhotoOwners lists the users and chats whose photo is made of fileID.
func (q Queries) PhotoOwners(ctx context.Context, fileID int64) ([]core.PhotoOwner, error) {
	out, err := queryAll(ctx, q.DB, func(sc scanner) (o core.PhotoOwner, err error) {
		err = sc.Scan(&o.UserID, &o.ChatID)
		return o, err
	}, `SELECT user_id, chat_id FROM photo_files WHERE file_id = ? ORDER BY user_id, chat_id`, fileID)
	if err != nil {
		return nil, fmt.Errorf("photo owners of file %d: %w", fileID, err)
	}
	return out, nil
}
