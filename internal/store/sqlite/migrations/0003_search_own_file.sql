-- 0003: the full-text search index moves to its own database file (see
-- migrations/search and indexer.go), written by its own connection so that
-- indexing no longer takes the single writer's time. The index is derived
-- from the events log: the new file is filled from the log when the store
-- opens.
DROP TABLE search;
DROP TABLE search_cursor;

-- A random name for this database, which the search index records: an
-- index found beside a different database (a copy, a restored file) is
-- rebuilt from this one's log rather than trusted.
CREATE TABLE instance (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	uid BLOB    NOT NULL
);

INSERT INTO instance (id, uid) VALUES (1, randomblob(16));
