-- Keys for a distributed PostgreSQL (Citus, YugabyteDB): a table spread
-- over many machines by a column can only keep a primary key (and any
-- unique constraint) that holds that column. Most tables already lead
-- with chat_id or user_id; these two did not (docs/operations.md, "The
-- schema on a distributed PostgreSQL", lists every table).
--
-- The constraints keep the names the store reads in unique violations
-- (dialect.UniqueViolation: <table>_<first column>_...).

-- The chat log: a chat's (chat_id, seq) is its key. gid, the order of
-- commits across chats, stays unique through an index of its own; a
-- distributed database would keep it unique by the sequence alone.
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events DROP CONSTRAINT events_chat_id_seq_key;
ALTER TABLE events ADD CONSTRAINT events_chat_id_seq_key PRIMARY KEY (chat_id, seq);
CREATE UNIQUE INDEX events_gid_key ON events (gid);

-- The idempotency record of sends: the sender's (sender_id, random_id)
-- is its key; id orders the records by age for their collection.
ALTER TABLE sends DROP CONSTRAINT sends_pkey;
ALTER TABLE sends DROP CONSTRAINT sends_sender_id_random_id_key;
ALTER TABLE sends ADD CONSTRAINT sends_sender_id_random_id_key PRIMARY KEY (sender_id, random_id);
CREATE INDEX sends_id ON sends (id);
