-- Keys for a distributed PostgreSQL, third part (0004 and 0005 did the
-- rest; ADR 0016, amended): what must be unique across people and chats
-- moves to lookup tables keyed by it, as a table spread over many machines by a
-- column (Citus's distribution column, YugabyteDB's hash key) can only
-- keep unique keys that hold that column:
--   * user_phones, user_emails: a phone number, an email address ->
--     its account;
--   * usernames: a username (canonical, lower case) -> the account or the
--     chat that holds it; one table, so a name is a person's or a chat's,
--     which the triggers username_free kept until now;
--   * private_pairs: the two people of a private chat (peer_a <= peer_b)
--     -> the chat, spread by peer_a with the people's tables.
-- The store writes them beside users and chats in the same transaction
-- (no triggers: Citus runs those on the shards) and looks a value up
-- there first, then its holder by id. They are filled here from the rows
-- there are; users and chats keep only their ids as unique.
--
-- login_attempts is keyed by its token's hash, what a client presents:
-- its id stays (an attempt's number), no longer unique.

CREATE TABLE user_phones (
	phone   TEXT   NOT NULL PRIMARY KEY,
	user_id BIGINT NOT NULL
);
INSERT INTO user_phones (phone, user_id) SELECT phone, id FROM users WHERE phone IS NOT NULL;

CREATE TABLE user_emails (
	email   TEXT   NOT NULL PRIMARY KEY,
	user_id BIGINT NOT NULL
);
INSERT INTO user_emails (email, user_id) SELECT email, id FROM users WHERE email IS NOT NULL;

CREATE TABLE usernames (
	username_canon TEXT   NOT NULL PRIMARY KEY,
	user_id        BIGINT,
	chat_id        BIGINT,
	CHECK ((user_id IS NULL) <> (chat_id IS NULL))
);
INSERT INTO usernames (username_canon, user_id) SELECT username_canon, id FROM users WHERE username_canon IS NOT NULL;
INSERT INTO usernames (username_canon, chat_id) SELECT username_canon, id FROM chats WHERE username_canon IS NOT NULL;

CREATE TABLE private_pairs (
	peer_a  BIGINT NOT NULL,
	peer_b  BIGINT NOT NULL,
	chat_id BIGINT NOT NULL,
	PRIMARY KEY (peer_a, peer_b)
);
INSERT INTO private_pairs (peer_a, peer_b, chat_id) SELECT peer_a, peer_b, id FROM chats WHERE kind = 'private';

DROP TRIGGER users_username ON users;
DROP TRIGGER chats_username ON chats;
DROP FUNCTION username_free();
ALTER TABLE users DROP CONSTRAINT users_username_canon_key;
ALTER TABLE users DROP CONSTRAINT users_phone_key;
ALTER TABLE users DROP CONSTRAINT users_email_key;
ALTER TABLE chats DROP CONSTRAINT chats_username_canon_key;
DROP INDEX chats_peer_a_peer_b_private;
-- People and public chats are still searched by a username's prefix.
CREATE INDEX users_username_canon ON users (username_canon);
CREATE INDEX chats_username_canon ON chats (username_canon);

ALTER TABLE login_attempts DROP CONSTRAINT login_attempts_pkey;
ALTER TABLE login_attempts DROP CONSTRAINT login_attempts_token_hash_key;
ALTER TABLE login_attempts ADD CONSTRAINT login_attempts_pkey PRIMARY KEY (token_hash);
