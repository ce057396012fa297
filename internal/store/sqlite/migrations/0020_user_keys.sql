-- 0020: what PostgreSQL's migration 0005 (keys for a distributed
-- PostgreSQL) needs of the shared queries, so that both schemas keep the
-- same tables and columns:
--   * session_tokens: a session token's hash -> the session's user and
--     id; sessions are found by token through it, then by (user_id, id).
--   * invite_links: an invite link's hash -> its chat; invites are found
--     by hash through it, then by (chat_id, hash).
--   * secret_prekeys and secret_envelopes carry their device's user_id,
--     and every query on them names it.
--   * cluster_keys: fingerprints of the keys the server was first
--     started with (secret.key, the Web Push key); a start with another
--     key is refused.
-- The unique indexes below are the conflict targets of the shared
-- upserts. On one SQLite file these are redundant, and cheap.
CREATE TABLE session_tokens (
	token_hash BLOB    NOT NULL PRIMARY KEY,
	user_id    INTEGER NOT NULL,
	session_id INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO session_tokens (token_hash, user_id, session_id) SELECT token_hash, user_id, id FROM sessions;

CREATE TABLE invite_links (
	hash    TEXT    NOT NULL PRIMARY KEY,
	chat_id INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO invite_links (hash, chat_id) SELECT hash, chat_id FROM invites;
CREATE UNIQUE INDEX invites_chat_id_hash ON invites (chat_id, hash);

CREATE UNIQUE INDEX push_subscriptions_user_session_endpoint ON push_subscriptions (user_id, session_id, endpoint);

ALTER TABLE secret_prekeys ADD COLUMN user_id INTEGER NOT NULL DEFAULT 0;
UPDATE secret_prekeys SET user_id = (SELECT d.user_id FROM secret_devices d WHERE d.session_id = secret_prekeys.session_id);
CREATE UNIQUE INDEX secret_prekeys_user_key ON secret_prekeys (user_id, session_id, kind, key_id);
DROP INDEX secret_prekeys_take;
CREATE INDEX secret_prekeys_take ON secret_prekeys (user_id, session_id, kind, id);

ALTER TABLE secret_envelopes ADD COLUMN user_id INTEGER NOT NULL DEFAULT 0;
UPDATE secret_envelopes SET user_id = (SELECT d.user_id FROM secret_devices d WHERE d.session_id = secret_envelopes.session_id);
CREATE UNIQUE INDEX secret_envelopes_user_random ON secret_envelopes (user_id, session_id, random_id);
DROP INDEX secret_envelopes_queue;
CREATE INDEX secret_envelopes_queue ON secret_envelopes (user_id, session_id, id);

CREATE TABLE cluster_keys (
	name        TEXT    NOT NULL PRIMARY KEY,
	fingerprint BLOB    NOT NULL,
	created_at  INTEGER NOT NULL
) WITHOUT ROWID;
