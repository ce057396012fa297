-- 0002: messaging. Chats, members, messages, the chat and user logs,
-- idempotency of sends, per-person state (hidden messages, mentions),
-- reactions, views, invite links and the full-text search index.
--
-- Times are unix milliseconds; optional times ("zero = none") are NULL.
-- The tables written for every message (messages, events, sends, and the
-- chats row) carry no foreign keys and as few indexes as their reads
-- allow: the write path is CPU-bound, and every index is another B-tree
-- touched per message.

-- A user's own log counter (user_events).
ALTER TABLE users ADD COLUMN pts INTEGER NOT NULL DEFAULT 0;

CREATE TABLE chats (
	id                INTEGER PRIMARY KEY AUTOINCREMENT CHECK (id < 9007199254740992),
	kind              TEXT    NOT NULL CHECK (kind IN ('private', 'group', 'channel')),
	title             TEXT    NOT NULL DEFAULT '',
	about             TEXT    NOT NULL DEFAULT '',
	username          TEXT    NOT NULL DEFAULT '',
	-- NULL when the chat has no username, so that UNIQUE applies only to
	-- names someone holds. Unique across users too: see the triggers.
	username_canon    TEXT    UNIQUE,
	creator_id        INTEGER NOT NULL,
	created_at        INTEGER NOT NULL,
	seq               INTEGER NOT NULL DEFAULT 0,
	top_message_id    INTEGER NOT NULL DEFAULT 0,
	last_event_at     INTEGER NOT NULL,
	member_count      INTEGER NOT NULL DEFAULT 0,
	max_read_id       INTEGER NOT NULL DEFAULT 0,
	max_read_by       INTEGER NOT NULL DEFAULT 0,
	max_read_id2      INTEGER NOT NULL DEFAULT 0,
	default_rights    INTEGER NOT NULL DEFAULT 0,
	slow_mode         INTEGER NOT NULL DEFAULT 0,
	history_hidden    INTEGER NOT NULL DEFAULT 0,
	ttl_seconds       INTEGER NOT NULL DEFAULT 0,
	reactions         TEXT,   -- JSON array; NULL = the default set
	pinned_message_id INTEGER NOT NULL DEFAULT 0,
	-- Private chats only, stored with peer_a <= peer_b.
	peer_a            INTEGER,
	peer_b            INTEGER
);

-- One private chat per pair of people.
CREATE UNIQUE INDEX chats_private_pair ON chats (peer_a, peer_b) WHERE kind = 'private';

-- A username names one account or one chat, never both. The UNIQUE
-- constraints cover each table; these cover the pair. RAISE(ABORT) undoes
-- only the offending statement, as a constraint failure does.
CREATE TRIGGER chats_username_insert BEFORE INSERT ON chats
WHEN NEW.username_canon IS NOT NULL
	AND EXISTS (SELECT 1 FROM users WHERE username_canon = NEW.username_canon)
BEGIN
	SELECT RAISE(ABORT, 'username occupied');
END;

CREATE TRIGGER chats_username_update BEFORE UPDATE OF username_canon ON chats
WHEN NEW.username_canon IS NOT NULL AND NEW.username_canon IS NOT OLD.username_canon
	AND EXISTS (SELECT 1 FROM users WHERE username_canon = NEW.username_canon)
BEGIN
	SELECT RAISE(ABORT, 'username occupied');
END;

CREATE TRIGGER users_username_insert BEFORE INSERT ON users
WHEN NEW.username_canon IS NOT NULL
	AND EXISTS (SELECT 1 FROM chats WHERE username_canon = NEW.username_canon)
BEGIN
	SELECT RAISE(ABORT, 'username occupied');
END;

CREATE TRIGGER users_username_update BEFORE UPDATE OF username_canon ON users
WHEN NEW.username_canon IS NOT NULL AND NEW.username_canon IS NOT OLD.username_canon
	AND EXISTS (SELECT 1 FROM chats WHERE username_canon = NEW.username_canon)
BEGIN
	SELECT RAISE(ABORT, 'username occupied');
END;

CREATE TABLE members (
	chat_id           INTEGER NOT NULL REFERENCES chats (id),
	user_id           INTEGER NOT NULL REFERENCES users (id),
	role              TEXT    NOT NULL,
	rights            INTEGER NOT NULL DEFAULT 0,
	inviter_id        INTEGER NOT NULL DEFAULT 0,
	joined_at         INTEGER NOT NULL,
	min_message_id    INTEGER NOT NULL DEFAULT 0,
	read_inbox_max_id INTEGER NOT NULL DEFAULT 0,
	last_post_at      INTEGER,
	banned_until      INTEGER,
	pinned_rank       INTEGER NOT NULL DEFAULT 0,
	archived          INTEGER NOT NULL DEFAULT 0,
	muted_until       INTEGER,
	PRIMARY KEY (chat_id, user_id)
) WITHOUT ROWID;

-- A person's dialogs.
CREATE INDEX members_user ON members (user_id, chat_id);

-- The large columns come last: SQLite reads a row's columns in order, so
-- the filters of History and CountUnread (sender_id, the dates) are found
-- without reading the text, even when it spills to overflow pages.
CREATE TABLE messages (
	chat_id     INTEGER NOT NULL,
	id          INTEGER NOT NULL,
	sender_id   INTEGER NOT NULL,
	date        INTEGER NOT NULL,
	reply_to_id INTEGER NOT NULL DEFAULT 0,
	edit_date   INTEGER,
	silent      INTEGER NOT NULL DEFAULT 0,
	pinned      INTEGER NOT NULL DEFAULT 0,
	views       INTEGER NOT NULL DEFAULT 0,
	expires_at  INTEGER,
	text        TEXT    NOT NULL DEFAULT '',
	entities    TEXT,   -- JSON array; NULL when none
	forward     TEXT,   -- JSON; NULL when not forwarded
	service     TEXT,   -- JSON; NULL on ordinary messages
	PRIMARY KEY (chat_id, id)
) WITHOUT ROWID;

-- The auto-delete sweep. Most messages never expire and stay out of it.
CREATE INDEX messages_expires_at ON messages (expires_at) WHERE expires_at IS NOT NULL;

-- The chat log. gid is AUTOINCREMENT so that it is never reused even if
-- the newest events are deleted: with the single writer it is strictly
-- increasing in commit order, which "changed since GID g" relies on.
CREATE TABLE events (
	gid        INTEGER PRIMARY KEY AUTOINCREMENT,
	chat_id    INTEGER NOT NULL,
	seq        INTEGER NOT NULL,
	kind       TEXT    NOT NULL,
	message_id INTEGER NOT NULL DEFAULT 0,
	user_id    INTEGER NOT NULL DEFAULT 0,
	date       INTEGER NOT NULL,
	data       BLOB,
	UNIQUE (chat_id, seq)
);

-- A person's own log.
CREATE TABLE user_events (
	user_id INTEGER NOT NULL,
	pts     INTEGER NOT NULL,
	kind    TEXT    NOT NULL,
	chat_id INTEGER NOT NULL DEFAULT 0,
	date    INTEGER NOT NULL,
	data    BLOB,
	PRIMARY KEY (user_id, pts)
) WITHOUT ROWID;

-- Which message a sender's random_id made. A rowid table: new rows are
-- appended at the end of its B-tree, and ForgetSendsBefore deletes a
-- range of the oldest rowids (created_at grows with them) with no index
-- on created_at. Only the UNIQUE index is written at a random place.
CREATE TABLE sends (
	id         INTEGER PRIMARY KEY,
	sender_id  INTEGER NOT NULL,
	random_id  INTEGER NOT NULL,
	chat_id    INTEGER NOT NULL,
	msg_id     INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (sender_id, random_id)
);

-- Messages deleted for one person only.
CREATE TABLE hidden (
	user_id INTEGER NOT NULL,
	chat_id INTEGER NOT NULL,
	msg_id  INTEGER NOT NULL,
	PRIMARY KEY (user_id, chat_id, msg_id)
) WITHOUT ROWID;

-- DeleteMessages removes the rows of the deleted messages of everyone.
CREATE INDEX hidden_message ON hidden (chat_id, msg_id);

CREATE TABLE mentions (
	chat_id INTEGER NOT NULL,
	user_id INTEGER NOT NULL,
	msg_id  INTEGER NOT NULL,
	PRIMARY KEY (chat_id, user_id, msg_id)
) WITHOUT ROWID;

CREATE INDEX mentions_message ON mentions (chat_id, msg_id);

-- One reaction per person per message.
CREATE TABLE reactions (
	chat_id INTEGER NOT NULL,
	msg_id  INTEGER NOT NULL,
	user_id INTEGER NOT NULL,
	emoji   TEXT    NOT NULL,
	PRIMARY KEY (chat_id, msg_id, user_id)
) WITHOUT ROWID;

CREATE TABLE views (
	chat_id INTEGER NOT NULL,
	msg_id  INTEGER NOT NULL,
	user_id INTEGER NOT NULL,
	PRIMARY KEY (chat_id, msg_id, user_id)
) WITHOUT ROWID;

CREATE TABLE invites (
	hash        TEXT    PRIMARY KEY,
	chat_id     INTEGER NOT NULL REFERENCES chats (id),
	creator_id  INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER,
	usage_limit INTEGER NOT NULL DEFAULT 0,
	usage       INTEGER NOT NULL DEFAULT 0,
	revoked     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE INDEX invites_chat ON invites (chat_id, created_at);

-- Full-text search over message text: derived data, filled from the
-- events log by the store's indexer after the send is acknowledged (see
-- search.go), never in the send's transaction. Contentless (the text
-- lives in messages only); rowid = chat_id << 31 | msg_id, so a chat's
-- messages are one rowid range and ORDER BY rowid DESC is (chat, id)
-- descending. contentless_delete lets edits and deletions remove entries
-- by rowid alone.
CREATE VIRTUAL TABLE search USING fts5 (
	text,
	content = '',
	contentless_delete = 1,
	tokenize = 'unicode61 remove_diacritics 2'
);

-- The gid up to which the indexer has applied the events log.
CREATE TABLE search_cursor (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	gid INTEGER NOT NULL
);

INSERT INTO search_cursor (id, gid) VALUES (1, 0);
