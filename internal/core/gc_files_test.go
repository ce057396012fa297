package core_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/blob/disk"
	"github.com/havenchat/haven/internal/core"
)

// TestCollectFiles: a file row nothing refers to goes once it is older
// than the grace period, and its blob with it; a file a message carries,
// a profile photo's file or size, or a file whose upload is still open,
// stays.
func TestCollectFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t)
	dir := t.TempDir()
	ds, err := disk.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fixedClock{t: time.Now()}
	svc := blobService(t, st, clock, ds)
	// file stores s as a blob last Put age ago, and a file row of it
	// created age ago.
	file := func(s string, age time.Duration) (int64, string) {
		t.Helper()
		key, err := ds.Put(ctx, bytes.NewReader([]byte(s)), int64(len(s)))
		if err != nil {
			t.Fatal(err)
		}
		then := clock.t.Add(-age)
		if err := os.Chtimes(filepath.Join(dir, key[:2], key[2:4], key), then, then); err != nil {
			t.Fatal(err)
		}
		f := &core.File{BlobKey: key, Size: int64(len(s)), Name: "f", MIME: "text/plain", SHA256: key, UploaderID: 1, CreatedAt: then}
		if err := st.Update(ctx, func(tx core.Tx) error { return tx.CreateFile(ctx, f) }); err != nil {
			t.Fatal(err)
		}
		return f.ID, key
	}
	orphan, orphanKey := file("nothing refers to this file", 2*time.Hour)
	young, youngKey := file("a file made just now", 10*time.Minute)
	carried, carriedKey := file("a file a message carries", 2*time.Hour)
	open, openKey := file("a file whose upload is open", 2*time.Hour)
	photo, photoKey := file("a file that is a profile photo", 2*time.Hour)
	size, sizeKey := file("a size of a profile photo", 2*time.Hour)
	err = st.Update(ctx, func(tx core.Tx) error {
		u := &haven.User{FirstName: "Ann", CreatedAt: clock.t}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.SetUserPhoto(ctx, u.ID, &haven.Photo{FileID: photo, Sizes: []haven.PhotoSize{{Type: "s", FileID: size}}}); err != nil {
			return err
		}
		if err := tx.AddMessageFiles(ctx, 5, 7, []int64{carried}); err != nil {
			return err
		}
		up := &core.Upload{UserID: 1, Size: 1, PartSize: 1024, Parts: 1, Name: "u", CreatedAt: clock.t.Add(-2 * time.Hour), ExpiresAt: clock.t.Add(90 * time.Minute)}
		if err := tx.CreateUpload(ctx, up); err != nil {
			return err
		}
		return tx.FinishUpload(ctx, up.ID, open)
	})
	if err != nil {
		t.Fatal(err)
	}

	check := func(when string, want map[int64]bool, keys map[int64]string) {
		t.Helper()
		if _, err := svc.CollectBlobs(ctx); err != nil {
			t.Fatal(err)
		}
		for id, kept := range want {
			_, ferr := st.FileByID(ctx, id)
			_, berr := ds.Stat(ctx, keys[id])
			switch {
			case kept && (ferr != nil || berr != nil):
				t.Errorf("%s: file %d: row %v, blob %v; want both kept", when, id, ferr, berr)
			case !kept && (!errors.Is(ferr, haven.ErrNotFound) || !errors.Is(berr, haven.ErrNotFound)):
				t.Errorf("%s: file %d: row %v, blob %v; want both deleted", when, id, ferr, berr)
			}
		}
	}
	keys := map[int64]string{orphan: orphanKey, young: youngKey, carried: carriedKey, open: openKey, photo: photoKey, size: sizeKey}
	check("first pass", map[int64]bool{orphan: false, young: true, carried: true, open: true, photo: true, size: true}, keys)

	// Two hours on, the young file is old and goes; so does the file of
	// the upload that has since expired. The message's file stays.
	clock.t = clock.t.Add(2 * time.Hour)
	check("two hours on", map[int64]bool{young: false, carried: true, open: false, photo: true, size: true}, keys)
}
