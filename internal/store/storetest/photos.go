package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// testPhotos: profile and chat photos round-trip through the user and
// chat reads, PhotoOwners finds who a file is the photo of, removing or
// replacing a photo forgets its files, erasing the user drops theirs, and
// the file collector keeps a photo's files.
func testPhotos(t *testing.T, s core.Store) {
	ctx := context.Background()
	u := createUser(t, s)
	c := createChat(t, s, u.ID)
	up := &haven.Photo{FileID: 11, Width: 2000, Height: 1000, Preview: []byte{0xff, 0xd8, 1, 2},
		Sizes: []haven.PhotoSize{{Type: "s", FileID: 12, W: 320, H: 160}, {Type: "m", FileID: 13, W: 800, H: 400}}}
	cp := &haven.Photo{FileID: 21, Width: 100, Height: 100, Preview: []byte{3}}
	update(t, s, func(tx core.Tx) error {
		if err := tx.SetUserPhoto(ctx, u.ID, up); err != nil {
			return err
		}
		return tx.SetChatPhoto(ctx, c.ID, cp)
	})
	gu, err := s.UserByID(ctx, u.ID)
	if err != nil || !same(gu.Photo, up) {
		t.Errorf("user photo: %+v, %v; want %+v", gu.Photo, err, up)
	}
	if us, err := s.UsersByIDs(ctx, []int64{u.ID}); err != nil || len(us) != 1 || !same(us[0].Photo, up) {
		t.Errorf("UsersByIDs photo: %v", err)
	}
	gc, err := s.ChatByID(ctx, c.ID)
	if err != nil || !same(gc.Photo, cp) {
		t.Errorf("chat photo: %+v, %v; want %+v", gc.Photo, err, cp)
	}
	// UpdateUser and UpdateChat leave the photo alone.
	gu.FirstName = "Renamed"
	gc.Title = "Renamed"
	update(t, s, func(tx core.Tx) error {
		if err := tx.UpdateUser(ctx, gu); err != nil {
			return err
		}
		return tx.UpdateChat(ctx, gc)
	})
	if g, _ := s.UserByID(ctx, u.ID); g == nil || !same(g.Photo, up) {
		t.Errorf("UpdateUser changed the photo")
	}
	if g, _ := s.ChatByID(ctx, c.ID); g == nil || !same(g.Photo, cp) {
		t.Errorf("UpdateChat changed the photo")
	}

	owners := func(fileID int64) []core.PhotoOwner {
		t.Helper()
		os, err := s.PhotoOwners(ctx, fileID)
		if err != nil {
			t.Fatal(err)
		}
		return os
	}
	if got := owners(12); !slices.Equal(got, []core.PhotoOwner{{UserID: u.ID}}) {
		t.Errorf("PhotoOwners(12) = %v, want user %d", got, u.ID)
	}
	if got := owners(21); !slices.Equal(got, []core.PhotoOwner{{ChatID: c.ID}}) {
		t.Errorf("PhotoOwners(21) = %v, want chat %d", got, c.ID)
	}
	if got := owners(99); len(got) != 0 {
		t.Errorf("PhotoOwners(99) = %v, want none", got)
	}

	// The collector keeps a photo's files.
	var ids []int64
	for range 3 {
		f := &core.File{BlobKey: "k", Size: 1, Name: "p.jpg", MIME: "image/jpeg", SHA256: "k", UploaderID: u.ID, CreatedAt: t0.Add(-2 * time.Hour)}
		update(t, s, func(tx core.Tx) error { return tx.CreateFile(ctx, f) })
		ids = append(ids, f.ID)
	}
	update(t, s, func(tx core.Tx) error {
		return tx.SetChatPhoto(ctx, c.ID, &haven.Photo{FileID: ids[0], Sizes: []haven.PhotoSize{{Type: "s", FileID: ids[1]}}})
	})
	var n int
	update(t, s, func(tx core.Tx) error {
		var err error
		n, err = tx.DeleteUnreferencedFiles(ctx, t0.Add(-time.Hour), t0, 100)
		return err
	})
	if n != 1 {
		t.Errorf("DeleteUnreferencedFiles removed %d, want 1 (the file no photo uses)", n)
	}
	for i, id := range ids {
		_, err := s.FileByID(ctx, id)
		if kept := i < 2; kept != (err == nil) {
			t.Errorf("file %d of the chat photo test: %v, kept want %v", id, err, kept)
		}
	}

	// Replacing and removing forget the old files.
	update(t, s, func(tx core.Tx) error {
		if err := tx.SetChatPhoto(ctx, c.ID, cp); err != nil {
			return err
		}
		return tx.SetUserPhoto(ctx, u.ID, nil)
	})
	if got := owners(ids[1]); len(got) != 0 {
		t.Errorf("a replaced photo's size still has owners %v", got)
	}
	if got := owners(12); len(got) != 0 {
		t.Errorf("a removed photo's size still has owners %v", got)
	}
	if g, _ := s.UserByID(ctx, u.ID); g == nil || g.Photo != nil {
		t.Errorf("removed user photo still set")
	}
	if err := s.Update(ctx, func(tx core.Tx) error { return tx.SetUserPhoto(ctx, 1<<40, up) }); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("SetUserPhoto of no user: %v, want ErrNotFound", err)
	}

	// Erasing the account drops its photo.
	update(t, s, func(tx core.Tx) error { return tx.SetUserPhoto(ctx, u.ID, up) })
	update(t, s, func(tx core.Tx) error {
		_, err := tx.EraseUser(ctx, u.ID)
		return err
	})
	if g, _ := s.UserByID(ctx, u.ID); g == nil || g.Photo != nil {
		t.Errorf("an erased user keeps a photo")
	}
	if got := owners(11); len(got) != 0 {
		t.Errorf("an erased user's photo file still has owners %v", got)
	}
}
