package core

import (
	"context"
	"time"
)

// gcPage is how many blobs the collector lists at a time; gcBatch how
// many finished uploads' part rows it clears per transaction.
const (
	gcPage  = 500
	gcBatch = 100
)

// CollectBlobs deletes the blobs that nothing refers to, and reports how
// many it deleted. RunJanitor calls it every hour.
//
// First it clears the part rows of uploads finished more than the grace
// period ago (their parts were concatenated into the file's blob, so the
// part blobs become garbage unless something else refers to them), and
// the file rows older than the grace period that nothing refers to
// (collectFiles: their blobs become garbage the same way). Then
// it lists every blob, page by page, and deletes one when
//
//   - its ModTime (the time of its last Put) is older than the grace
//     period (Config.BlobGrace, one hour by default), and
//   - no row refers to it (Queries.BlobReferenced: files, upload parts,
//     and any other table naming a blob).
//
// Right before the Delete it reads the blob's ModTime again and asks
// again for a reference: the page may have been listed a while ago, and
// a Put of the same bytes since then moves ModTime to now.
//
// Why this is safe, on one node or many: whoever Puts a blob writes the
// row referring to it right after Put returns — within seconds (a part's
// row, or the file row at the end of FinishUpload). So a blob whose last
// Put is more than the grace period old, and that has no reference, is
// one nobody is about to refer to: a writer that Put it would have
// written its row long ago. A new Put of the same bytes (deduplication)
// moves ModTime to now, and the re-check right before Delete sees that
// and keeps the blob. A Put that finishes after the Delete writes the
// blob again, whole. What remains is a Put of the same bytes returning in
// the milliseconds between the re-check and the Delete: it needs bytes
// that lay unreferenced for a whole grace period to be uploaded again in
// exactly that window (and the uploader can upload them again). Several nodes may
// collect at once: they make the same decisions, and deleting a blob that
// another node has just deleted is not an error.
func (s *Service) CollectBlobs(ctx context.Context) (int, error) {
	if s.blobs == nil {
		return 0, nil
	}
	before := s.now().Add(-s.blobGrace)
	for {
		var n int
		err := s.store.Update(ctx, func(tx Tx) error {
			var err error
			n, err = tx.DeleteFinishedUploadParts(ctx, before, gcBatch)
			return err
		})
		if err != nil {
			return 0, err
		}
		if n < gcBatch {
			break
		}
	}
	if err := s.collectFiles(ctx, before); err != nil {
		return 0, err
	}
	deleted := 0
	after := ""
	for {
		page, err := s.blobs.List(ctx, after, gcPage)
		if err != nil {
			return deleted, err
		}
		for _, b := range page {
			after = b.Key
			ok, err := s.collectBlob(ctx, b)
			if err != nil {
				return deleted, err
			}
			if ok {
				deleted++
			}
		}
		if len(page) < gcPage {
			break
		}
	}
	if deleted > 0 {
		s.log.InfoContext(ctx, "deleted unreferenced blobs", "count", deleted)
	}
	return deleted, nil
}

// collectFiles deletes, in batches, the file rows older than the grace
// period that nothing refers to (see Tx.DeleteUnreferencedFiles): a file
// no message carries, whose upload has expired. Their blobs, no longer
// referenced, are then deleted by the blob pass that follows.
//
// A file is kept while the upload that made it is open (24 hours by
// default), so its uploader has that long to send it; a message sent with
// a file in the moment its row is deleted would carry a file that is
// gone (a download answers FILE_NOT_FOUND).
func (s *Service) collectFiles(ctx context.Context, before time.Time) error {
	total := 0
	for {
		var n int
		err := s.store.Update(ctx, func(tx Tx) error {
			var err error
			n, err = tx.DeleteUnreferencedFiles(ctx, before, s.now(), gcBatch)
			return err
		})
		if err != nil {
			return err
		}
		total += n
		if n < gcBatch {
			break
		}
	}
	if total > 0 {
		s.log.InfoContext(ctx, "deleted unreferenced files", "count", total)
	}
	return nil
}

// collectBlob deletes b if it is old enough and unreferenced, checking
// both again right before the Delete.
func (s *Service) collectBlob(ctx context.Context, b BlobInfo) (bool, error) {
	if !s.blobOld(b.ModTime) {
		return false, nil
	}
	if ref, err := s.store.BlobReferenced(ctx, b.Key); err != nil || ref {
		return false, err
	}
	cur, found, err := s.blobInfo(ctx, b.Key)
	if err != nil || !found || !s.blobOld(cur.ModTime) {
		return false, err
	}
	if ref, err := s.store.BlobReferenced(ctx, b.Key); err != nil || ref {
		return false, err
	}
	if err := s.blobs.Delete(ctx, b.Key); err != nil {
		return false, err
	}
	return true, nil
}

func (s *Service) blobOld(mod time.Time) bool {
	return s.now().Sub(mod) >= s.blobGrace
}

// blobInfo reads the current BlobInfo of key. Blobs.Stat gives no
// ModTime, so it lists from just before key: the keys sorting after its
// first 63 characters begin with the 16 that share them.
func (s *Service) blobInfo(ctx context.Context, key string) (BlobInfo, bool, error) {
	if !ValidBlobKey(key) {
		return BlobInfo{}, false, nil
	}
	page, err := s.blobs.List(ctx, key[:len(key)-1], 16)
	if err != nil {
		return BlobInfo{}, false, err
	}
	for _, b := range page {
		if b.Key == key {
			return b, true, nil
		}
	}
	return BlobInfo{}, false, nil
}
