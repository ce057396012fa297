-- 0005: media messages. A message's media is JSON; message_files names
-- every file a message carries (the file, its sizes, a thumbnail), so
-- that a download is allowed to whoever can see one such message.
ALTER TABLE messages ADD COLUMN media TEXT;

CREATE TABLE message_files (
	file_id INTEGER NOT NULL,
	chat_id INTEGER NOT NULL,
	msg_id  INTEGER NOT NULL,
	PRIMARY KEY (file_id, chat_id, msg_id)
) WITHOUT ROWID;

CREATE INDEX message_files_message ON message_files (chat_id, msg_id);
