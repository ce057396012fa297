-- 0021: what PostgreSQL's migration 0006 (keys for a distributed
-- PostgreSQL, ADR 0016 as amended) needs of the shared queries, so that
-- both schemas keep the same tables and columns: what must be unique across
-- people and chats is kept by lookup tables keyed by it, which the store
-- writes beside users and chats in the same transaction and reads first:
--   * user_phones, user_emails: a phone number, an email address -> its
--     account;
--   * usernames: a username (canonical) -> the account or the chat that
--     holds it, one table for both kinds, which replaces the triggers of
--     0002 that kept a name a person's or a chat's;
--   * private_pairs: a private chat's two people (peer_a <= peer_b) ->
--     the chat, which replaces the index chats_private_pair.
-- They are filled here from the rows there are. The UNIQUE constraints
-- of the users and chats columns stay: SQLite drops a column's UNIQUE
-- only by rebuilding its table, and on one file they are redundant (a
-- value reaches them only once its lookup row is written) and serve the
-- search by a username's prefix.
CREATE TABLE user_phones (
	phone   TEXT    NOT NULL PRIMARY KEY,
	user_id INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO user_phones (phone, user_id) SELECT phone, id FROM users WHERE phone IS NOT NULL;

CREATE TABLE user_emails (
	email   TEXT    NOT NULL PRIMARY KEY,
	user_id INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO user_emails (email, user_id) SELECT email, id FROM users WHERE email IS NOT NULL;

CREATE TABLE usernames (
	username_canon TEXT    NOT NULL PRIMARY KEY,
	user_id        INTEGER,
	chat_id        INTEGER,
	CHECK ((user_id IS NULL) <> (chat_id IS NULL))
) WITHOUT ROWID;
INSERT INTO usernames (username_canon, user_id) SELECT username_canon, id FROM users WHERE username_canon IS NOT NULL;
INSERT INTO usernames (username_canon, chat_id) SELECT username_canon, id FROM chats WHERE username_canon IS NOT NULL;

CREATE TABLE private_pairs (
	peer_a  INTEGER NOT NULL,
	peer_b  INTEGER NOT NULL,
	chat_id INTEGER NOT NULL,
	PRIMARY KEY (peer_a, peer_b)
) WITHOUT ROWID;
INSERT INTO private_pairs (peer_a, peer_b, chat_id) SELECT peer_a, peer_b, id FROM chats WHERE kind = 'private';

DROP TRIGGER chats_username_insert;
DROP TRIGGER chats_username_update;
DROP TRIGGER users_username_insert;
DROP TRIGGER users_username_update;
DROP INDEX chats_private_pair;
