-- 0013: sign-up invites. An invite lets people make an account on a
-- server whose sign-up needs a code; only the code's SHA-256 is kept.
-- creator_id is the member who made it, 0 for the operator (no foreign
-- key: the operator is no user). expires_at is NULL for never,
-- usage_limit 0 for unlimited.
CREATE TABLE signup_invites (
	id          INTEGER PRIMARY KEY,
	code_hash   BLOB    NOT NULL UNIQUE,
	creator_id  INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER,
	usage_limit INTEGER NOT NULL,
	usage       INTEGER NOT NULL DEFAULT 0,
	revoked     INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX signup_invites_creator ON signup_invites (creator_id, id);
