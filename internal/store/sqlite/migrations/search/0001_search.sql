-- Search index 0001. This database holds only derived data: the full-text
-- index of message text, filled from the main database's events log by the
-- store's indexer (indexer.go) after the sends are acknowledged. It can be
-- deleted at any time; the store rebuilds it when it next opens.
--
-- Contentless (the text lives in the main database's messages only);
-- rowid = chat_id << 31 | msg_id, so a chat's messages are one rowid range
-- and ORDER BY rowid DESC is (chat, id) descending. contentless_delete lets
-- edits and deletions remove entries by rowid alone.
CREATE VIRTUAL TABLE search USING fts5 (
	text,
	content = '',
	contentless_delete = 1,
	tokenize = 'unicode61 remove_diacritics 2'
);

-- gid: the events log is applied up to there. instance: the uid of the
-- main database whose log that is (its instance table).
CREATE TABLE search_cursor (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	gid      INTEGER NOT NULL,
	instance BLOB    NOT NULL
);

INSERT INTO search_cursor (id, gid, instance) VALUES (1, 0, x'');
