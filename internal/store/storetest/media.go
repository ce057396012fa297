package storetest

import (
	"context"
	"testing"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// testMediaMessage: a message's media round-trips, and the files it
// carries are visible to the chat's members while they can see it.
func testMediaMessage(t *testing.T, s core.Store) {
	ctx := context.Background()
	u, outsider := createUser(t, s), createUser(t, s)
	c := createChat(t, s, u.ID)
	md := &haven.Media{Kind: haven.MediaPhoto, FileID: 501, Name: "a.png", MIME: "image/png", Size: 12345,
		Width: 2000, Height: 1500, Preview: []byte{0xff, 0xd8, 0, 1, 2}, AlbumID: 77,
		Sizes: []haven.PhotoSize{{Type: "s", FileID: 502, W: 320, H: 240}, {Type: "m", FileID: 503, W: 800, H: 600}}}
	m := send(t, s, c.ID, u.ID, "caption", func(m *haven.Message) { m.Media = md })
	checkMessage(t, s, m)
	update(t, s, func(tx core.Tx) error { return tx.AddMessageFiles(ctx, c.ID, m.ID, md.FileIDs()) })

	visible := func(user, file int64, want bool) {
		t.Helper()
		got, err := s.FileVisibleTo(ctx, user, file)
		if err != nil || got != want {
			t.Errorf("FileVisibleTo(%d, %d) = %v, %v; want %v", user, file, got, err, want)
		}
	}
	visible(u.ID, 501, true)
	visible(u.ID, 503, true)
	visible(u.ID, 999, false)
	visible(outsider.ID, 501, false)

	update(t, s, func(tx core.Tx) error { return tx.HideMessages(ctx, u.ID, c.ID, []int64{m.ID}) })
	visible(u.ID, 501, false)

	m2 := send(t, s, c.ID, u.ID, "", func(m *haven.Message) { m.Media = &haven.Media{Kind: haven.MediaDocument, FileID: 601, Size: 1} })
	checkMessage(t, s, m2)
	update(t, s, func(tx core.Tx) error { return tx.AddMessageFiles(ctx, c.ID, m2.ID, []int64{601}) })
	visible(u.ID, 601, true)
	update(t, s, func(tx core.Tx) error { _, err := tx.DeleteMessages(ctx, c.ID, []int64{m2.ID}); return err })
	visible(u.ID, 601, false)
}
