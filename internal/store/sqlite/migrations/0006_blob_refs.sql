-- 0006: the blob collector asks, for every blob, whether any row names
-- it (BlobReferenced); files.blob_key is indexed by 0004, upload_parts
-- needs its own index or each question scans every pending part.
CREATE INDEX upload_parts_blob ON upload_parts (blob_key);
