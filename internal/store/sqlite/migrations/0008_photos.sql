-- 0008: profile and chat photos. The photo (its file, sizes and inline
-- preview) is JSON on the user or chat; photo_files names every file of a
-- photo with its owner (user_id or chat_id, the other 0), so that a
-- download finds who may see it and the collector keeps the files.
ALTER TABLE users ADD COLUMN photo TEXT;
ALTER TABLE chats ADD COLUMN photo TEXT;

CREATE TABLE photo_files (
	file_id INTEGER NOT NULL,
	user_id INTEGER NOT NULL,
	chat_id INTEGER NOT NULL,
	PRIMARY KEY (file_id, user_id, chat_id)
) WITHOUT ROWID;

CREATE INDEX photo_files_user ON photo_files (user_id) WHERE user_id != 0;
CREATE INDEX photo_files_chat ON photo_files (chat_id) WHERE chat_id != 0;
