-- Keys for a distributed PostgreSQL, second part (0004 did events and
-- sends): the tables of sessions, Web Push subscriptions and secret-chat
-- devices are keyed by the user they belong to, invite links by their
-- chat. A table spread over many machines by a column (Citus's
-- distribution column, YugabyteDB's hash key) can only keep a primary
-- key, unique constraints and foreign keys that hold that column, and its
-- queries are cheap when they name one value of it.
--
-- What a client presents (a session token, an invite link) names no
-- user or chat, so two lookup tables, each keyed by what is presented,
-- give the user or chat to name: session_tokens (a session token's hash
-- -> the session's user and id) and invite_links (an invite's hash ->
-- its chat). Tokens and links already given out keep working: the
-- lookup rows are made here from the rows there are. The token's hash
-- stays the only thing kept of a token.
--
-- The secret-chat tables' foreign keys become (user_id, session_id), so
-- that they stay between tables spread by the same column; ON DELETE
-- CASCADE still ends a session's push subscriptions and device with it.
--
-- cluster_keys holds a fingerprint of each key the nodes must share
-- (secret.key, the Web Push key), so that a node started with another
-- key refuses to start (internal/server, checkKeys).
--
-- Constraint names follow <table>_<first column>_..., which is how the
-- store tells which one a write broke (dialect.UniqueViolation).

-- The foreign keys to sessions (id) and to secret_devices (session_id)
-- go first: the keys they rest on are replaced.
ALTER TABLE push_subscriptions DROP CONSTRAINT push_subscriptions_session_id_fkey;
ALTER TABLE secret_devices DROP CONSTRAINT secret_devices_session_id_fkey;
ALTER TABLE secret_prekeys DROP CONSTRAINT secret_prekeys_session_id_fkey;
ALTER TABLE secret_envelopes DROP CONSTRAINT secret_envelopes_session_id_fkey;

-- Sessions: by user. A token's hash is unique through session_tokens.
CREATE TABLE session_tokens (
	token_hash BYTEA  NOT NULL PRIMARY KEY,
	user_id    BIGINT NOT NULL,
	session_id BIGINT NOT NULL
);
INSERT INTO session_tokens (token_hash, user_id, session_id) SELECT token_hash, user_id, id FROM sessions;
ALTER TABLE sessions DROP CONSTRAINT sessions_pkey;
ALTER TABLE sessions DROP CONSTRAINT sessions_token_hash_key;
ALTER TABLE sessions ADD CONSTRAINT sessions_pkey PRIMARY KEY (user_id, id);

-- Web Push subscriptions: by user, one per (session, endpoint).
ALTER TABLE push_subscriptions DROP CONSTRAINT push_subscriptions_pkey;
ALTER TABLE push_subscriptions DROP CONSTRAINT push_subscriptions_session_id_endpoint_key;
ALTER TABLE push_subscriptions ADD CONSTRAINT push_subscriptions_pkey PRIMARY KEY (user_id, id);
ALTER TABLE push_subscriptions ADD CONSTRAINT push_subscriptions_user_id_session_id_endpoint_key UNIQUE (user_id, session_id, endpoint);
ALTER TABLE push_subscriptions ADD CONSTRAINT push_subscriptions_user_id_session_id_fkey
	FOREIGN KEY (user_id, session_id) REFERENCES sessions (user_id, id) ON DELETE CASCADE;
DROP INDEX push_subscriptions_user; -- the primary key now

-- Secret chats' devices: by user (device ids were unique per user already).
ALTER TABLE secret_devices DROP CONSTRAINT secret_devices_pkey;
ALTER TABLE secret_devices ADD CONSTRAINT secret_devices_pkey PRIMARY KEY (user_id, session_id);
ALTER TABLE secret_devices ADD CONSTRAINT secret_devices_user_id_session_id_fkey
	FOREIGN KEY (user_id, session_id) REFERENCES sessions (user_id, id) ON DELETE CASCADE;

-- One-time prekeys and envelope queues carry their device's user.
ALTER TABLE secret_prekeys ADD COLUMN user_id BIGINT;
UPDATE secret_prekeys k SET user_id = d.user_id FROM secret_devices d WHERE d.session_id = k.session_id;
DELETE FROM secret_prekeys WHERE user_id IS NULL; -- none: the foreign key kept them to a device
ALTER TABLE secret_prekeys ALTER COLUMN user_id SET NOT NULL;
ALTER TABLE secret_prekeys DROP CONSTRAINT secret_prekeys_pkey;
ALTER TABLE secret_prekeys DROP CONSTRAINT secret_prekeys_session_id_kind_key_id_key;
ALTER TABLE secret_prekeys ADD CONSTRAINT secret_prekeys_pkey PRIMARY KEY (user_id, id);
ALTER TABLE secret_prekeys ADD CONSTRAINT secret_prekeys_user_id_session_id_kind_key_id_key UNIQUE (user_id, session_id, kind, key_id);
ALTER TABLE secret_prekeys ADD CONSTRAINT secret_prekeys_user_id_session_id_fkey
	FOREIGN KEY (user_id, session_id) REFERENCES secret_devices (user_id, session_id) ON DELETE CASCADE;
DROP INDEX secret_prekeys_take;
CREATE INDEX secret_prekeys_take ON secret_prekeys (user_id, session_id, kind, id);

ALTER TABLE secret_envelopes ADD COLUMN user_id BIGINT;
UPDATE secret_envelopes e SET user_id = d.user_id FROM secret_devices d WHERE d.session_id = e.session_id;
DELETE FROM secret_envelopes WHERE user_id IS NULL; -- none, as above
ALTER TABLE secret_envelopes ALTER COLUMN user_id SET NOT NULL;
ALTER TABLE secret_envelopes DROP CONSTRAINT secret_envelopes_pkey;
ALTER TABLE secret_envelopes DROP CONSTRAINT secret_envelopes_session_id_random_id_key;
ALTER TABLE secret_envelopes ADD CONSTRAINT secret_envelopes_pkey PRIMARY KEY (user_id, id);
ALTER TABLE secret_envelopes ADD CONSTRAINT secret_envelopes_user_id_session_id_random_id_key UNIQUE (user_id, session_id, random_id);
ALTER TABLE secret_envelopes ADD CONSTRAINT secret_envelopes_user_id_session_id_fkey
	FOREIGN KEY (user_id, session_id) REFERENCES secret_devices (user_id, session_id) ON DELETE CASCADE;
DROP INDEX secret_envelopes_queue;
CREATE INDEX secret_envelopes_queue ON secret_envelopes (user_id, session_id, id);

-- Invite links: by chat. A link's hash is unique through invite_links.
CREATE TABLE invite_links (
	hash    TEXT   NOT NULL PRIMARY KEY,
	chat_id BIGINT NOT NULL
);
INSERT INTO invite_links (hash, chat_id) SELECT hash, chat_id FROM invites;
ALTER TABLE invites DROP CONSTRAINT invites_pkey;
ALTER TABLE invites ADD CONSTRAINT invites_pkey PRIMARY KEY (chat_id, hash);

-- The fingerprints of the keys every node must share.
CREATE TABLE cluster_keys (
	name        TEXT   NOT NULL PRIMARY KEY,
	fingerprint BYTEA  NOT NULL,
	created_at  BIGINT NOT NULL
);
