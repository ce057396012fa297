-- Search index 0002: deleted text leaves the index at once (see erase.go
-- and docs/security.md, "Deleted data").
--
-- A contentless table cannot do that. It does not know a row's words, so
-- a deletion only records a tombstone, and the words stay in the index's
-- segment b-trees until a merge rewrites those segments, which for the
-- large old ones may be never. This table keeps a copy of each message's
-- text (in search_content), from which FTS5 learns which words a deletion
-- or an edit takes away; with its secure-delete option on (set by the
-- store each time it opens the index), it then rewrites the index pages
-- that held them instead of adding delete markers.
--
-- columnsize = 0: no search_docsize table; it serves only ranking, which
-- searches do not use.
DROP TABLE search;

CREATE VIRTUAL TABLE search USING fts5 (
	text,
	columnsize = 0,
	tokenize = 'unicode61 remove_diacritics 2'
);

-- An instance no database has: the store rebuilds the index from the
-- events log when it opens (startIndexer).
UPDATE search_cursor SET gid = 0, instance = x'';
