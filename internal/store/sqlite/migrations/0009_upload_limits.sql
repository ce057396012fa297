-- 0009: limits on uploads. StorageUsage sums a person's files (by
-- uploader) and counts their open uploads, at every files.startUpload;
-- an upload remembers the SHA-256 its parts had when a finish last read
-- them, with a digest of those parts (SetUploadCheck), so that a finish
-- repeated over the same parts need not read them again.
ALTER TABLE uploads ADD COLUMN parts_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE uploads ADD COLUMN parts_sha256 TEXT NOT NULL DEFAULT '';

CREATE INDEX uploads_open_user ON uploads (user_id, expires_at) WHERE file_id IS NULL;
CREATE INDEX files_uploader ON files (uploader_id, blob_key, size);
