-- 0017: secret chats (end-to-end encrypted; docs/e2ee.md). The server
-- keeps only public keys and opaque envelopes, and only while delivery
-- needs them:
--   * secret_device_lists: each account's newest signed device list.
--   * secret_devices: a session's public device key, signed prekey and
--     last-resort ML-KEM prekey; ending the session deletes it, and with
--     it its one-time prekeys and its queue (ON DELETE CASCADE).
--   * secret_prekeys: one-time prekeys, each handed out once (deleted as
--     it is handed out).
--   * secret_envelopes: the per-device queue. An envelope is deleted when
--     its device acknowledges it, and after 30 days at most; created_at
--     is kept to the hour only, which is all the expiry needs. Nothing
--     records who wrote to whom once the envelope is gone, and nothing
--     indexes its content.
--   * secret_files: files (ciphertext) shared in secret chats, kept until
--     expires_at (30 days, as envelopes) so that a device that comes
--     online late can still fetch them; the files' collector keeps them.
-- Portable SQL: the PostgreSQL store will use the same tables.
CREATE TABLE secret_device_lists (
	user_id INTEGER PRIMARY KEY REFERENCES users (id),
	version INTEGER NOT NULL,
	list    BLOB    NOT NULL
);

CREATE TABLE secret_devices (
	session_id         INTEGER PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
	user_id            INTEGER NOT NULL,
	device_id          INTEGER NOT NULL,
	sign_key           BLOB    NOT NULL,
	dh_key             BLOB    NOT NULL,
	signed_id          INTEGER NOT NULL,
	signed_public      BLOB    NOT NULL,
	signed_signature   BLOB    NOT NULL,
	kem_id             INTEGER NOT NULL,
	kem_public         BLOB    NOT NULL,
	kem_signature      BLOB    NOT NULL,
	updated_at         INTEGER NOT NULL,
	UNIQUE (user_id, device_id)
);

CREATE TABLE secret_prekeys (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	session_id INTEGER NOT NULL REFERENCES secret_devices (session_id) ON DELETE CASCADE,
	kind       INTEGER NOT NULL,
	key_id     INTEGER NOT NULL,
	public     BLOB    NOT NULL,
	signature  BLOB    NOT NULL,
	UNIQUE (session_id, kind, key_id)
);

CREATE INDEX secret_prekeys_take ON secret_prekeys (session_id, kind, id);

CREATE TABLE secret_envelopes (
	id         INTEGER PRIMARY KEY AUTOINCREMENT CHECK (id < 9007199254740992),
	session_id INTEGER NOT NULL REFERENCES secret_devices (session_id) ON DELETE CASCADE,
	random_id  INTEGER NOT NULL,
	envelope   BLOB    NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (session_id, random_id)
);

CREATE INDEX secret_envelopes_queue ON secret_envelopes (session_id, id);
CREATE INDEX secret_envelopes_created ON secret_envelopes (created_at);

CREATE TABLE secret_files (
	file_id    INTEGER PRIMARY KEY REFERENCES files (id),
	expires_at INTEGER NOT NULL
);
