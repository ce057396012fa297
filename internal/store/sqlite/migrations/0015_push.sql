-- 0015: Web Push subscriptions, one row per device's subscription, kept
-- for the session that made it: ending the session (logging out, being
-- terminated, the account erased) deletes them with it. user_id repeats
-- the session's so that a message's fan-out finds its members'
-- subscriptions by an index seek per member. The endpoint is a
-- capability URL and the keys are the device's: they are needed to
-- push, so they cannot be hashed.
CREATE TABLE push_subscriptions (
	id         INTEGER PRIMARY KEY AUTOINCREMENT CHECK (id < 9007199254740992),
	session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	user_id    INTEGER NOT NULL REFERENCES users (id),
	endpoint   TEXT    NOT NULL,
	p256dh     BLOB    NOT NULL,
	auth       BLOB    NOT NULL,
	private    INTEGER NOT NULL DEFAULT 1,
	created_at INTEGER NOT NULL,
	UNIQUE (session_id, endpoint)
);

CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id, id);
