package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/havenchat/haven/internal/core"
)

func testBlobGC(t *testing.T, s core.Store) {
	ctx := context.Background()
	kFile, kPart, kDone, kNone := strings.Repeat("1", 64), strings.Repeat("2", 64), strings.Repeat("3", 64), strings.Repeat("4", 64)
	referenced := func(key string) bool {
		t.Helper()
		ok, err := s.BlobReferenced(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if referenced(kNone) {
		t.Errorf("an unknown blob is referenced")
	}
	f := &core.File{BlobKey: kFile, Size: 3, Name: "a", MIME: "text/plain", SHA256: kFile, UploaderID: 7, CreatedAt: t0}
	update(t, s, func(tx core.Tx) error { return tx.CreateFile(ctx, f) })
	pending := newUpload(t, s, 7, t0.Add(24*time.Hour))
	done := newUpload(t, s, 7, t0.Add(24*time.Hour))
	update(t, s, func(tx core.Tx) error {
		if err := tx.PutUploadPart(ctx, pending.ID, core.UploadPart{Part: 0, BlobKey: kPart, Size: 1}); err != nil {
			return err
		}
		if err := tx.PutUploadPart(ctx, done.ID, core.UploadPart{Part: 0, BlobKey: kDone, Size: 1}); err != nil {
			return err
		}
		return tx.FinishUpload(ctx, done.ID, f.ID)
	})
	for _, k := range []string{kFile, kPart, kDone} {
		if !referenced(k) {
			t.Errorf("blob %.8s… is not referenced, want referenced", k)
		}
	}

	// Finished uploads created after before keep their parts.
	var n int
	update(t, s, func(tx core.Tx) error {
		var err error
		n, err = tx.DeleteFinishedUploadParts(ctx, t0, 10)
		return err
	})
	if n != 0 || !referenced(kDone) {
		t.Errorf("DeleteFinishedUploadParts before creation: %d cleared, kDone referenced %v; want 0, true", n, referenced(kDone))
	}
	update(t, s, func(tx core.Tx) error {
		var err error
		n, err = tx.DeleteFinishedUploadParts(ctx, t0.Add(time.Hour), 10)
		return err
	})
	if n != 1 {
		t.Errorf("DeleteFinishedUploadParts cleared %d uploads, want 1", n)
	}
	if referenced(kDone) {
		t.Error("a finished upload's part is still referenced")
	}
	if !referenced(kPart) {
		t.Error("an unfinished upload's part lost its reference")
	}
	if u, err := s.UploadByID(ctx, done.ID); err != nil || u.FileID != f.ID {
		t.Errorf("finished upload after clearing parts: %+v, %v", u, err)
	}
	update(t, s, func(tx core.Tx) error { return tx.DeleteUpload(ctx, pending.ID) })
	if referenced(kPart) {
		t.Error("a deleted upload's part is still referenced")
	}
	if !referenced(kFile) {
		t.Error("a file's blob lost its reference")
	}
}
