package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/havenchat/haven"
)

// What must be unique across people and chats (a phone number, an email
// address, a username, the pair of a private chat) is kept by a lookup
// table keyed by it, which names its holder: a distributed PostgreSQL
// keeps a table's unique keys only when they hold its distribution
// column, so the users and chats tables keep none but their ids (see
// docs/decisions/0016-keys-by-user-lookup-tables-key-check.md,
// "Amended"). The store writes a lookup row in the same transaction as
// its holder's row; a value is looked up there first, then its holder
// by id.

// lookup is one lookup table: its key column and the column of the
// holder's id.
type lookup struct{ table, key, holder string }

var (
	phones        = lookup{"user_phones", "phone", "user_id"}
	emails        = lookup{"user_emails", "email", "user_id"}
	userUsernames = lookup{"usernames", "username_canon", "user_id"}
	chatUsernames = lookup{"usernames", "username_canon", "chat_id"} // one table: a name is a person's or a chat's
)

// claim makes id the holder of key, and reports false when another
// holds it already. Holding it already is no failure.
func (t *Tx) claim(ctx context.Context, l lookup, key string, id int64) (bool, error) {
	res, err := t.exec(ctx, `INSERT INTO `+l.table+` (`+l.key+`, `+l.holder+`) VALUES (?, ?)
		ON CONFLICT (`+l.key+`) DO NOTHING`, key, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 1 {
		return n == 1, err
	}
	var holder sql.NullInt64
	if err := t.queryRow(ctx, `SELECT `+l.holder+` FROM `+l.table+` WHERE `+l.key+` = ?`, key).Scan(&holder); err != nil {
		return false, err
	}
	return holder.Valid && holder.Int64 == id, nil
}

// release frees key if id holds it.
func (t *Tx) release(ctx context.Context, l lookup, key string, id int64) error {
	_, err := t.exec(ctx, `DELETE FROM `+l.table+` WHERE `+l.key+` = ? AND `+l.holder+` = ?`, key, id)
	return err
}

// move makes id the holder of to ("" for none) instead of from, and
// reports false, changing nothing, when another holds to.
func (t *Tx) move(ctx context.Context, l lookup, id int64, from, to string) (bool, error) {
	if from == to {
		return true, nil
	}
	if to != "" {
		if ok, err := t.claim(ctx, l, to, id); err != nil || !ok {
			return false, err
		}
	}
	if from != "" {
		return true, t.release(ctx, l, from, id)
	}
	return true, nil
}

// holderOf returns the id that holds key in l. Errors: haven.ErrNotFound.
func (q Queries) holderOf(ctx context.Context, l lookup, key string) (int64, error) {
	var id sql.NullInt64
	if err := q.DB.QueryRow(ctx, `SELECT `+l.holder+` FROM `+l.table+` WHERE `+l.key+` = ?`, key).Scan(&id); err != nil {
		return 0, noRows(err)
	}
	if !id.Valid {
		return 0, haven.ErrNotFound // held by the other kind
	}
	return id.Int64, nil
}

// taken reports whether key is held in l, by anyone. Creating a user or
// chat asks before its row is written, as SQLite's users and chats keep
// the UNIQUE constraints of their columns (migration 0021), which would
// fail first; claim, after the row, still decides.
func (t *Tx) taken(ctx context.Context, l lookup, key string) (bool, error) {
	if key == "" {
		return false, nil
	}
	var n int
	err := t.queryRow(ctx, `SELECT count(*) FROM `+l.table+` WHERE `+l.key+` = ?`, key).Scan(&n)
	return n > 0, err
}

// userKeys are a user's values kept unique by lookup tables.
type userKeys struct{ username, phone, email string }

func keysOf(u *haven.User) userKeys {
	return userKeys{haven.CanonicalUsername(u.Username), u.Phone, u.Email}
}

// storedUserKeys reads what a user holds now. Errors: haven.ErrNotFound.
func (t *Tx) storedUserKeys(ctx context.Context, userID int64) (userKeys, error) {
	var canon, phone, email sql.NullString
	err := t.queryRow(ctx, `SELECT username_canon, phone, email FROM users WHERE id = ?`, userID).Scan(&canon, &phone, &email)
	if err != nil {
		return userKeys{}, noRows(err)
	}
	return userKeys{canon.String, phone.String, email.String}, nil
}

// freeUserKeys fails as moveUserKeys would when another holds one of k.
func (t *Tx) freeUserKeys(ctx context.Context, k userKeys, username string) error {
	for _, c := range []struct {
		l   lookup
		key string
	}{{userUsernames, k.username}, {phones, k.phone}, {emails, k.email}} {
		held, err := t.taken(ctx, c.l, c.key)
		if err != nil || !held {
			if err != nil {
				return err
			}
			continue
		}
		return keyError(c.l, k, username)
	}
	return nil
}

// keyError is the error of a value of k in l held by another.
func keyError(l lookup, k userKeys, username string) error {
	switch l {
	case phones:
		return haven.Errorf(haven.CodeAccountExists, "phone number %s already belongs to another account", k.phone)
	case emails:
		return haven.Errorf(haven.CodeAccountExists, "email address %s already belongs to another account", k.email)
	}
	return occupied(nil, username)
}

// moveUserKeys moves user id's lookup rows from one set of values to
// another. Errors: CodeUsernameOccupied, CodeAccountExists (a phone
// number or email address of another account).
func (t *Tx) moveUserKeys(ctx context.Context, id int64, from, to userKeys, username string) error {
	for _, c := range []struct {
		l        lookup
		from, to string
	}{{userUsernames, from.username, to.username}, {phones, from.phone, to.phone}, {emails, from.email, to.email}} {
		ok, err := t.move(ctx, c.l, id, c.from, c.to)
		if err != nil {
			return err
		}
		if !ok {
			return keyError(c.l, to, username)
		}
	}
	return nil
}

// occupied is err, or, for none, the error of a username held already.
func occupied(err error, username string) error {
	if err != nil {
		return err
	}
	return &haven.Error{Code: haven.CodeUsernameOccupied, Message: fmt.Sprintf("username %q is taken", username)}
}

// claimPair records chatID as the private chat of peerA <= peerB, and
// reports false when the pair has one already.
func (t *Tx) claimPair(ctx context.Context, peerA, peerB, chatID int64) (bool, error) {
	res, err := t.exec(ctx, `INSERT INTO private_pairs (peer_a, peer_b, chat_id) VALUES (?, ?, ?)
		ON CONFLICT (peer_a, peer_b) DO NOTHING`, peerA, peerB, chatID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
