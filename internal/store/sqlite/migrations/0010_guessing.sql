-- 0010: what stops guessing and enumeration.
--
-- rate_limits: token buckets that must survive a restart (sign-in codes
-- per phone number, email and IP; wrong codes and passwords). key is an
-- HMAC under the server's secret, never the number or address itself;
-- tat is the GCRA "theoretical arrival time" in unix milliseconds, the
-- moment the bucket is full again. A bucket whose tat has passed carries
-- nothing and is deleted by the janitor.
CREATE TABLE rate_limits (
	key BLOB    NOT NULL PRIMARY KEY,
	tat INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX rate_limits_tat ON rate_limits (tat);

-- contact_lookups: the HMACs of the phone numbers and emails a person
-- looked up with contacts.import in the last day, so that the daily cap
-- counts each once; forgotten after the window.
CREATE TABLE contact_lookups (
	owner INTEGER NOT NULL,
	key   BLOB    NOT NULL,
	at    INTEGER NOT NULL,
	PRIMARY KEY (owner, key)
) WITHOUT ROWID;

CREATE INDEX contact_lookups_at ON contact_lookups (at);

-- found_users: whom a person found by username, phone, email or search,
-- and may therefore see (users.get, messages to them, …).
CREATE TABLE found_users (
	viewer  INTEGER NOT NULL,
	user_id INTEGER NOT NULL,
	at      INTEGER NOT NULL,
	PRIMARY KEY (viewer, user_id)
) WITHOUT ROWID;

-- EraseUser removes both directions.
CREATE INDEX found_users_user ON found_users (user_id);

-- email_confirmations: a recovery email waiting for its code.
CREATE TABLE email_confirmations (
	user_id    INTEGER NOT NULL PRIMARY KEY,
	email      TEXT    NOT NULL,
	code_hash  BLOB    NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0,
	expires_at INTEGER NOT NULL
);

CREATE INDEX email_confirmations_expires_at ON email_confirmations (expires_at);

-- Recovery emails set before this version were never confirmed: they no
-- longer let anyone recover a password. Their owners set them again and
-- confirm them with the code that is then sent.
UPDATE users SET recovery_email = '' WHERE recovery_email <> '';
