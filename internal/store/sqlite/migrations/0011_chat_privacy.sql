-- 0011: who sees what inside chats. A channel may sign its posts with
-- their authors (signatures); a member who joined a group hiding its
-- history is handed only the events after min_seq; invite links are
-- counted per creator, so the index finds one person's links of a chat
-- without reading every revoked link of it; and a deleted owner's heir
-- (the longest serving admin, else member) is found by an index seek,
-- not a sort of a channel's millions of rows inside the writer.
ALTER TABLE chats ADD COLUMN signatures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN min_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX invites_creator ON invites (chat_id, creator_id);
CREATE INDEX members_seniority ON members (chat_id, role, joined_at);
