package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// testFileGC checks DeleteUnreferencedFiles: a file row goes when it is
// older than before, no message carries it and no open upload became it.
func testFileGC(t *testing.T, s core.Store) {
	ctx := context.Background()
	file := func(key string, created time.Time) int64 {
		t.Helper()
		f := &core.File{BlobKey: key, Size: 1, Name: "f", MIME: "image/jpeg", SHA256: key, UploaderID: 7, CreatedAt: created}
		update(t, s, func(tx core.Tx) error { return tx.CreateFile(ctx, f) })
		return f.ID
	}
	finished := func(fileID int64, expires time.Time) *core.Upload {
		t.Helper()
		u := newUpload(t, s, 7, expires)
		update(t, s, func(tx core.Tx) error {
			if err := tx.PutUploadPart(ctx, u.ID, core.UploadPart{Part: 0, BlobKey: strings.Repeat("9", 64), Size: 1024}); err != nil {
				return err
			}
			return tx.FinishUpload(ctx, u.ID, fileID)
		})
		return u
	}
	old := t0.Add(-2 * time.Hour)
	key := func(c string) string { return strings.Repeat(c, 64) }
	orphan := file(key("a"), old)
	young := file(key("b"), t0.Add(-time.Minute))
	carried := file(key("c"), old)
	size := file(key("d"), old)
	thumb := file(key("e"), old)
	open := file(key("f"), old)
	openUp := finished(open, t0.Add(time.Hour))
	expired := file(key("0"), old)
	expiredUp := finished(expired, t0.Add(-time.Hour))
	// Files kept by a secret chat: until later than now, or no longer.
	keptSecret := file(key("5"), old)
	lapsedSecret := file(key("6"), old)
	update(t, s, func(tx core.Tx) error {
		if err := tx.KeepSecretFile(ctx, keptSecret, t0.Add(time.Minute)); err != nil {
			return err
		}
		return tx.KeepSecretFile(ctx, lapsedSecret, t0.Add(-time.Minute))
	})
	update(t, s, func(tx core.Tx) error {
		if err := tx.AddMessageFiles(ctx, 1, 10, []int64{carried, size}); err != nil {
			return err
		}
		return tx.AddMessageFiles(ctx, 2, 20, []int64{thumb})
	})

	var n int
	update(t, s, func(tx core.Tx) error {
		var err error
		n, err = tx.DeleteUnreferencedFiles(ctx, t0.Add(-time.Hour), t0, 100)
		return err
	})
	if n != 3 {
		t.Errorf("DeleteUnreferencedFiles removed %d files, want 3 (the orphan, the expired upload's, the lapsed secret one)", n)
	}
	for id, kept := range map[int64]bool{orphan: false, expired: false, young: true, carried: true, size: true, thumb: true, open: true,
		keptSecret: true, lapsedSecret: false} {
		_, err := s.FileByID(ctx, id)
		switch {
		case kept && err != nil:
			t.Errorf("file %d: %v, want kept", id, err)
		case !kept && !errors.Is(err, haven.ErrNotFound):
			t.Errorf("file %d: FileByID = %v, want ErrNotFound", id, err)
		}
	}
	if _, err := s.UploadByID(ctx, expiredUp.ID); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("the upload of a removed file: %v, want ErrNotFound", err)
	}
	if u, err := s.UploadByID(ctx, openUp.ID); err != nil || u.FileID != open {
		t.Errorf("an open upload's row: %+v, %v", u, err)
	}
	if ok, err := s.BlobReferenced(ctx, key("a")); err != nil || ok {
		t.Errorf("a removed file's blob: referenced %v, %v; want false", ok, err)
	}

	// The limit holds, and a later call finds the rest.
	update(t, s, func(tx core.Tx) error { return tx.KeepSecretFile(ctx, keptSecret, t0.Add(-time.Second)) })
	more := []int64{keptSecret, file(key("1"), old), file(key("2"), old), file(key("3"), old)}
	update(t, s, func(tx core.Tx) error {
		var err error
		n, err = tx.DeleteUnreferencedFiles(ctx, t0.Add(-time.Hour), t0, 2)
		return err
	})
	if n != 2 {
		t.Errorf("DeleteUnreferencedFiles with limit 2 removed %d", n)
	}
	update(t, s, func(tx core.Tx) error {
		var err error
		n, err = tx.DeleteUnreferencedFiles(ctx, t0.Add(-time.Hour), t0, 2)
		return err
	})
	if n != 2 {
		t.Errorf("the second call removed %d, want 2", n)
	}
	for _, id := range more {
		if _, err := s.FileByID(ctx, id); !errors.Is(err, haven.ErrNotFound) {
			t.Errorf("file %d: %v, want ErrNotFound", id, err)
		}
	}
}
