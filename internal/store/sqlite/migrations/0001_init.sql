-- 0001: accounts, sign-in, sessions, contacts, blocks and privacy.
--
-- Times are unix milliseconds. Empty phone, email and username are stored
-- as NULL so that the UNIQUE constraints (which let NULLs repeat) apply
-- only to values someone actually holds.

CREATE TABLE users (
	id               INTEGER PRIMARY KEY AUTOINCREMENT CHECK (id < 9007199254740992),
	first_name       TEXT    NOT NULL DEFAULT '',
	last_name        TEXT    NOT NULL DEFAULT '',
	username         TEXT    NOT NULL DEFAULT '',
	username_canon   TEXT    UNIQUE,
	bio              TEXT    NOT NULL DEFAULT '',
	phone            TEXT    UNIQUE,
	email            TEXT    UNIQUE,
	deleted          INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	last_active_at   INTEGER NOT NULL,
	account_ttl_days INTEGER NOT NULL,
	password_hash    TEXT    NOT NULL DEFAULT '',
	password_hint    TEXT    NOT NULL DEFAULT '',
	recovery_email   TEXT    NOT NULL DEFAULT ''
);

-- InactiveUsers filters and orders by this exact expression.
CREATE INDEX users_expiry ON users (last_active_at + account_ttl_days * 86400000) WHERE deleted = 0;

CREATE TABLE login_attempts (
	id                 INTEGER PRIMARY KEY AUTOINCREMENT CHECK (id < 9007199254740992),
	token_hash         BLOB    NOT NULL UNIQUE,
	identifier         TEXT    NOT NULL,
	kind               TEXT    NOT NULL,
	code_hash          BLOB,
	attempts           INTEGER NOT NULL DEFAULT 0,
	device             TEXT    NOT NULL DEFAULT '',
	created_at         INTEGER NOT NULL,
	expires_at         INTEGER NOT NULL,
	step               TEXT    NOT NULL,
	user_id            INTEGER REFERENCES users (id),
	recovery_code_hash BLOB
);

CREATE INDEX login_attempts_expires_at ON login_attempts (expires_at);
CREATE INDEX login_attempts_identifier ON login_attempts (identifier);
CREATE INDEX login_attempts_user_id ON login_attempts (user_id);

CREATE TABLE sessions (
	id             INTEGER PRIMARY KEY AUTOINCREMENT CHECK (id < 9007199254740992),
	user_id        INTEGER NOT NULL REFERENCES users (id),
	token_hash     BLOB    NOT NULL UNIQUE,
	device         TEXT    NOT NULL DEFAULT '',
	created_at     INTEGER NOT NULL,
	last_active_at INTEGER NOT NULL,
	ip             TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX sessions_user_id ON sessions (user_id, created_at);

CREATE TABLE contacts (
	owner      INTEGER NOT NULL REFERENCES users (id),
	user_id    INTEGER NOT NULL REFERENCES users (id),
	first_name TEXT    NOT NULL DEFAULT '',
	last_name  TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (owner, user_id)
) WITHOUT ROWID;

-- EraseUser removes contacts in both directions.
CREATE INDEX contacts_user_id ON contacts (user_id);

CREATE TABLE blocks (
	owner      INTEGER NOT NULL REFERENCES users (id),
	user_id    INTEGER NOT NULL REFERENCES users (id),
	created_at INTEGER NOT NULL,
	PRIMARY KEY (owner, user_id)
) WITHOUT ROWID;

CREATE INDEX blocks_user_id ON blocks (user_id);

CREATE TABLE privacy (
	user_id INTEGER NOT NULL REFERENCES users (id),
	key     TEXT    NOT NULL,
	value   TEXT    NOT NULL,
	PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
