package storetest

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

func newUpload(t *testing.T, s core.Store, userID int64, expires time.Time) *core.Upload {
	t.Helper()
	u := &core.Upload{UserID: userID, Size: 3000, PartSize: 1024, Parts: 3, Name: "a.bin", CreatedAt: t0, ExpiresAt: expires}
	update(t, s, func(tx core.Tx) error { return tx.CreateUpload(context.Background(), u) })
	if u.ID == 0 {
		t.Fatal("CreateUpload set no id")
	}
	return u
}

func testUploads(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := newUpload(t, s, 7, t0.Add(24*time.Hour))
	got, err := s.UploadByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, u) {
		t.Errorf("UploadByID = %+v, want %+v", got, u)
	}
	if _, err := s.UploadByID(ctx, u.ID+100); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("UploadByID of a missing upload: %v, want ErrNotFound", err)
	}
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.FinishUpload(ctx, u.ID+100, 1) }); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("FinishUpload of a missing upload: %v, want ErrNotFound", err)
	}
	update(t, s, func(tx core.Tx) error { return tx.FinishUpload(ctx, u.ID, 42) })
	if got, _ := s.UploadByID(ctx, u.ID); got == nil || got.FileID != 42 {
		t.Errorf("after FinishUpload: %+v, want FileID 42", got)
	}
	update(t, s, func(tx core.Tx) error { return tx.DeleteUpload(ctx, u.ID) })
	update(t, s, func(tx core.Tx) error { return tx.DeleteUpload(ctx, u.ID) }) // missing: no error
	if _, err := s.UploadByID(ctx, u.ID); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("UploadByID after DeleteUpload: %v, want ErrNotFound", err)
	}
}

func testUploadParts(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := newUpload(t, s, 7, t0.Add(time.Hour))
	other := newUpload(t, s, 7, t0.Add(time.Hour))
	k1, k2, k3 := strings.Repeat("a", 64), strings.Repeat("b", 64), strings.Repeat("c", 64)
	update(t, s, func(tx core.Tx) error {
		for _, p := range []core.UploadPart{{Part: 2, BlobKey: k1, Size: 952}, {Part: 0, BlobKey: k1, Size: 1024}} {
			if err := tx.PutUploadPart(ctx, u.ID, p); err != nil {
				return err
			}
		}
		return tx.PutUploadPart(ctx, other.ID, core.UploadPart{Part: 1, BlobKey: k3, Size: 1024})
	})
	update(t, s, func(tx core.Tx) error {
		return tx.PutUploadPart(ctx, u.ID, core.UploadPart{Part: 0, BlobKey: k2, Size: 1024})
	})
	got, err := s.UploadParts(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []core.UploadPart{{Part: 0, BlobKey: k2, Size: 1024}, {Part: 2, BlobKey: k1, Size: 952}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("UploadParts = %+v, want %+v (a re-sent part replaces)", got, want)
	}
	if err := s.Update(ctx, func(tx core.Tx) error {
		return tx.PutUploadPart(ctx, u.ID+other.ID+100, core.UploadPart{Part: 0, BlobKey: k1, Size: 1})
	}); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("PutUploadPart of a missing upload: %v, want ErrNotFound", err)
	}
	update(t, s, func(tx core.Tx) error { return tx.DeleteUpload(ctx, u.ID) })
	if got, err := s.UploadParts(ctx, u.ID); err != nil || len(got) != 0 {
		t.Errorf("UploadParts after DeleteUpload = %+v, %v; want none", got, err)
	}
	if got, err := s.UploadParts(ctx, other.ID); err != nil || len(got) != 1 {
		t.Errorf("UploadParts of another upload = %+v, %v; want its one part", got, err)
	}
}

func testExpiredUploads(t *testing.T, s core.Store) {
	ctx := context.Background()
	old := newUpload(t, s, 1, t0.Add(-2*time.Hour))
	older := newUpload(t, s, 1, t0.Add(-3*time.Hour))
	finished := newUpload(t, s, 1, t0.Add(-4*time.Hour))
	newUpload(t, s, 1, t0.Add(time.Hour))
	update(t, s, func(tx core.Tx) error { return tx.FinishUpload(ctx, finished.ID, 9) })
	got, err := s.ExpiredUploads(ctx, t0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{older.ID, old.ID}; !reflect.DeepEqual(got, want) {
		t.Errorf("ExpiredUploads = %v, want %v", got, want)
	}
	if got, _ := s.ExpiredUploads(ctx, t0, 1); len(got) != 1 || got[0] != older.ID {
		t.Errorf("ExpiredUploads limit 1 = %v, want [%d]", got, older.ID)
	}
	if got, _ := s.ExpiredUploads(ctx, t0, 0); len(got) != 0 {
		t.Errorf("ExpiredUploads limit 0 = %v, want none", got)
	}
}

// testUploadCheck: SetUploadCheck records what a finish found of the
// parts, UploadByID returns it, and a later call replaces it.
func testUploadCheck(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := newUpload(t, s, 7, t0.Add(time.Hour))
	other := newUpload(t, s, 7, t0.Add(time.Hour))
	if got, _ := s.UploadByID(ctx, u.ID); got == nil || got.PartsDigest != "" || got.PartsSHA256 != "" {
		t.Errorf("a new upload: %+v, want no check", got)
	}
	d1, h1, d2, h2 := strings.Repeat("1", 64), strings.Repeat("2", 64), strings.Repeat("3", 64), strings.Repeat("4", 64)
	update(t, s, func(tx core.Tx) error { return tx.SetUploadCheck(ctx, u.ID, d1, h1) })
	if got, _ := s.UploadByID(ctx, u.ID); got == nil || got.PartsDigest != d1 || got.PartsSHA256 != h1 {
		t.Errorf("after SetUploadCheck: %+v", got)
	}
	update(t, s, func(tx core.Tx) error { return tx.SetUploadCheck(ctx, u.ID, d2, h2) })
	if got, _ := s.UploadByID(ctx, u.ID); got == nil || got.PartsDigest != d2 || got.PartsSHA256 != h2 {
		t.Errorf("after a second SetUploadCheck: %+v, want the second", got)
	}
	if got, _ := s.UploadByID(ctx, other.ID); got == nil || got.PartsDigest != "" {
		t.Errorf("another upload: %+v, want no check", got)
	}
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.SetUploadCheck(ctx, other.ID+100, d1, h1) }); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("SetUploadCheck of a missing upload: %v, want ErrNotFound", err)
	}
}

// testStorageUsage: a person's usage is the sizes of their files (a blob
// they uploaded twice counted once) and their unfinished uploads that
// have not expired; finished, expired and other people's do not count.
func testStorageUsage(t *testing.T, s core.Store) {
	ctx := context.Background()
	const me, other = 7, 8
	key := func(c string) string { return strings.Repeat(c, 64) }
	file := func(uploader int64, k string, size int64) {
		t.Helper()
		f := &core.File{BlobKey: k, Size: size, Name: "f", MIME: "text/plain", SHA256: k, UploaderID: uploader, CreatedAt: t0}
		update(t, s, func(tx core.Tx) error { return tx.CreateFile(ctx, f) })
	}
	if got, err := s.StorageUsage(ctx, me, t0); err != nil || got != (core.StorageUsage{}) {
		t.Errorf("usage of someone with nothing = %+v, %v; want zero", got, err)
	}
	file(me, key("a"), 1000)
	file(me, key("a"), 1000) // the same bytes again
	file(me, key("b"), 500)
	file(other, key("c"), 7000)
	open := func(user int64, size int64, expires time.Time) *core.Upload {
		t.Helper()
		u := &core.Upload{UserID: user, Size: size, PartSize: 1024, Parts: 1, Name: "u", CreatedAt: t0, ExpiresAt: expires}
		update(t, s, func(tx core.Tx) error { return tx.CreateUpload(ctx, u) })
		return u
	}
	open(me, 3000, t0.Add(time.Hour))
	open(me, 4000, t0.Add(2*time.Hour))
	open(me, 50_000, t0.Add(-time.Minute)) // expired
	open(me, 60_000, t0)                   // expires now: no longer open
	done := open(me, 70_000, t0.Add(time.Hour))
	update(t, s, func(tx core.Tx) error { return tx.FinishUpload(ctx, done.ID, 99) })
	open(other, 80_000, t0.Add(time.Hour))

	got, err := s.StorageUsage(ctx, me, t0)
	if err != nil {
		t.Fatal(err)
	}
	if want := (core.StorageUsage{FileBytes: 1500, OpenUploads: 2, OpenBytes: 7000}); got != want {
		t.Errorf("StorageUsage = %+v, want %+v", got, want)
	}
	later, err := s.StorageUsage(ctx, me, t0.Add(90*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if want := (core.StorageUsage{FileBytes: 1500, OpenUploads: 1, OpenBytes: 4000}); later != want {
		t.Errorf("StorageUsage 90 minutes later = %+v, want %+v", later, want)
	}
	// Read inside a transaction, it sees the transaction's own writes.
	update(t, s, func(tx core.Tx) error {
		if err := tx.CreateUpload(ctx, &core.Upload{UserID: me, Size: 5, PartSize: 1024, Parts: 1, Name: "u", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			return err
		}
		u, err := tx.StorageUsage(ctx, me, t0)
		if err != nil {
			return err
		}
		if u.OpenUploads != 3 || u.OpenBytes != 7005 {
			t.Errorf("StorageUsage in the transaction that started an upload = %+v, want 3 uploads of 7005 bytes", u)
		}
		return nil
	})
}

func testFiles(t *testing.T, s core.Store) {
	ctx := context.Background()
	key := strings.Repeat("d", 64)
	f := &core.File{BlobKey: key, Size: 3000, Name: "report.pdf", MIME: "application/pdf", SHA256: key, UploaderID: 5, CreatedAt: t0}
	g := &core.File{BlobKey: key, Size: 3000, Name: "copy.pdf", MIME: "application/pdf", SHA256: key, UploaderID: 6, CreatedAt: t0}
	update(t, s, func(tx core.Tx) error {
		if err := tx.CreateFile(ctx, f); err != nil {
			return err
		}
		return tx.CreateFile(ctx, g)
	})
	if f.ID == 0 || g.ID == 0 || f.ID == g.ID {
		t.Fatalf("CreateFile ids %d, %d", f.ID, g.ID)
	}
	for _, want := range []*core.File{f, g} {
		got, err := s.FileByID(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("FileByID = %+v, want %+v", got, want)
		}
	}
	if _, err := s.FileByID(ctx, g.ID+100); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("FileByID of a missing file: %v, want ErrNotFound", err)
	}
}
