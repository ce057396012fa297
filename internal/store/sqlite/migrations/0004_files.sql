-- 0004: files uploaded in parts. A part is a blob (see core.Blobs) as soon
-- as it arrives, so any node can finish an upload; a file is one blob,
-- named by the SHA-256 of its bytes, which several files may share.
CREATE TABLE uploads (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id    INTEGER NOT NULL,
	size       INTEGER NOT NULL,
	part_size  INTEGER NOT NULL,
	parts      INTEGER NOT NULL,
	name       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	file_id    INTEGER
);

CREATE INDEX uploads_expiry ON uploads (expires_at) WHERE file_id IS NULL;

CREATE TABLE upload_parts (
	upload_id INTEGER NOT NULL,
	part      INTEGER NOT NULL,
	blob_key  TEXT    NOT NULL,
	size      INTEGER NOT NULL,
	PRIMARY KEY (upload_id, part)
) WITHOUT ROWID;

CREATE TABLE files (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	blob_key    TEXT    NOT NULL,
	size        INTEGER NOT NULL,
	name        TEXT    NOT NULL,
	mime        TEXT    NOT NULL,
	sha256      TEXT    NOT NULL,
	uploader_id INTEGER NOT NULL,
	created_at  INTEGER NOT NULL
);

CREATE INDEX files_blob ON files (blob_key);
