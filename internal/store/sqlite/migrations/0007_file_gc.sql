-- 0007: the collector deletes file rows nothing refers to
-- (DeleteUnreferencedFiles): it scans files by age and asks, for each,
-- whether an unexpired upload became it.
CREATE INDEX files_created ON files (created_at);
CREATE INDEX uploads_file ON uploads (file_id) WHERE file_id IS NOT NULL;
