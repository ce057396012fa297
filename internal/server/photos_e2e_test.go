package server_test

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"io"
	"testing"
)

// photoView is a profile or chat photo as the API shows it.
type photoView struct {
	FileID  int64           `json:"file_id"`
	Width   int             `json:"width"`
	Height  int             `json:"height"`
	Preview []byte          `json:"preview"`
	Sizes   []photoSizeView `json:"sizes"`
}

// TestProfileAndChatPhotos: a profile photo is made like a photo
// message's, shown and downloadable as the profile_photo setting allows;
// a chat photo needs change_info and is visible to members.
func TestProfileAndChatPhotos(t *testing.T) {
	t.Parallel()
	n := startNode(t, generous...)
	var ph phones
	ann, annToken, annID := signUpHTTP(t, n, &ph, "Ann")
	bob, bobToken, bobID := signUpHTTP(t, n, &ph, "Bob")
	// Bob has Ann in his contacts: they see each other, and she may add
	// him to groups.
	knows(t, ann, ph.at(1), annID, bob, ph.at(2))
	af, bf := newFileClient(t, n.url, annToken), newFileClient(t, n.url, bobToken)
	download := func(fc *fileClient, id int64) (int, []byte) {
		t.Helper()
		resp := fc.get(fmt.Sprintf("/files/%d", id), true)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	annAsSeenBy := func(c caller) *photoView {
		t.Helper()
		var us []struct {
			ID    int64      `json:"id"`
			Photo *photoView `json:"photo"`
		}
		c.call("users.get", map[string]any{"ids": []int64{annID}}).into(t, &us)
		if len(us) != 1 {
			t.Fatalf("users.get: %+v", us)
		}
		return us[0].Photo
	}

	// Ann sets a profile photo.
	photoID := uploadBytes(t, ann, af, "me.png", testPNG(t, 1000, 500))
	var me struct {
		Photo *photoView `json:"photo"`
	}
	ann.call("account.setPhoto", map[string]any{"file_id": photoID}).into(t, &me)
	if me.Photo == nil || me.Photo.FileID != photoID || me.Photo.Width != 1000 || me.Photo.Height != 500 {
		t.Fatalf("account.setPhoto answered %+v", me.Photo)
	}
	p := annAsSeenBy(bob)
	if p == nil || p.FileID != photoID {
		t.Fatalf("Bob sees Ann's photo as %+v", p)
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(p.Preview)); err != nil || max(cfg.Width, cfg.Height) > 40 {
		t.Errorf("preview: %+v, %v", cfg, err)
	}
	want := map[string][2]int{"s": {320, 160}, "m": {800, 400}}
	if len(p.Sizes) != 2 {
		t.Fatalf("sizes = %+v, want s and m", p.Sizes)
	}
	for _, sz := range p.Sizes {
		if w := want[sz.Type]; sz.W != w[0] || sz.H != w[1] {
			t.Errorf("size %s is %d×%d, want %v", sz.Type, sz.W, sz.H, w)
		}
		status, b := download(bf, sz.FileID)
		if status != 200 {
			t.Errorf("Bob downloading size %s: %d", sz.Type, status)
			continue
		}
		if img, err := jpeg.Decode(bytes.NewReader(b)); err != nil || img.Bounds().Dx() != want[sz.Type][0] {
			t.Errorf("size %s: %v", sz.Type, err)
		}
	}
	if status, _ := download(bf, photoID); status != 200 {
		t.Errorf("Bob downloading the photo: %d", status)
	}

	// With profile_photo = nobody, Bob sees none and may not download it.
	ann.call("privacy.set", map[string]string{"key": "profile_photo", "value": "nobody"}).into(t, new(any))
	if p := annAsSeenBy(bob); p != nil {
		t.Errorf("with profile_photo nobody, Bob sees %+v", p)
	}
	if p := annAsSeenBy(ann); p == nil {
		t.Error("Ann no longer sees her own photo")
	}
	for _, id := range []int64{photoID, me.Photo.Sizes[0].FileID} {
		if status, _ := download(bf, id); status != 404 {
			t.Errorf("Bob downloading file %d of a hidden photo: %d, want 404", id, status)
		}
	}
	ann.call("privacy.set", map[string]string{"key": "profile_photo", "value": "everybody"}).into(t, new(any))

	// Bad images are refused as for photo messages.
	bomb := uploadBytes(t, ann, af, "bomb.png", bombPNG(50000, 50000))
	if r := ann.call("account.setPhoto", map[string]any{"file_id": bomb}); r.code() != "PHOTO_TOO_LARGE" || r.Status != 400 {
		t.Errorf("an image bomb: %s (%d), want PHOTO_TOO_LARGE", r.code(), r.Status)
	}
	text := uploadBytes(t, ann, af, "lying.png", []byte("this is not an image at all, whatever its name says"))
	if r := ann.call("account.setPhoto", map[string]any{"file_id": text}); r.code() != "PHOTO_INVALID" {
		t.Errorf("a text file as a photo: %s, want PHOTO_INVALID", r.code())
	}
	if r := bob.call("account.setPhoto", map[string]any{"file_id": photoID + 1000}); r.code() != "FILE_NOT_FOUND" {
		t.Errorf("a file that does not exist: %s, want FILE_NOT_FOUND", r.code())
	}

	// removePhoto.
	me.Photo = nil
	ann.call("account.removePhoto", nil).into(t, &me)
	if me.Photo != nil {
		t.Errorf("after removePhoto: %+v", me.Photo)
	}
	if p := annAsSeenBy(bob); p != nil {
		t.Errorf("Bob still sees a removed photo: %+v", p)
	}
	if status, _ := download(bf, photoID); status != 404 {
		t.Errorf("Bob downloading a removed photo: %d, want 404", status)
	}

	// A group photo: set by the owner, refused for a member without
	// change_info, visible to members.
	_, carolToken, _ := signUpHTTP(t, n, &ph, "Carol")
	cf := newFileClient(t, n.url, carolToken)
	var g struct {
		ID    int64      `json:"id"`
		Photo *photoView `json:"photo"`
	}
	ann.call("chats.createGroup", map[string]any{"title": "Photos", "user_ids": []int64{bobID}}).into(t, &g)
	ann.call("chats.update", map[string]any{"chat_id": g.ID, "member_rights": []string{"send_messages"}}).into(t, new(any))
	groupPhoto := uploadBytes(t, ann, af, "group.png", testPNG(t, 300, 300))
	bobPhoto := uploadBytes(t, bob, bf, "bob.png", testPNG(t, 300, 300))
	if r := bob.call("chats.setPhoto", map[string]any{"chat_id": g.ID, "file_id": bobPhoto}); r.code() != "RIGHT_FORBIDDEN" {
		t.Errorf("a member without change_info setting the photo: %s, want RIGHT_FORBIDDEN", r.code())
	}
	if r := bob.call("chats.removePhoto", map[string]any{"chat_id": g.ID}); r.code() != "RIGHT_FORBIDDEN" {
		t.Errorf("a member without change_info removing the photo: %s, want RIGHT_FORBIDDEN", r.code())
	}
	ann.call("chats.setPhoto", map[string]any{"chat_id": g.ID, "file_id": groupPhoto}).into(t, &g)
	if g.Photo == nil || g.Photo.FileID != groupPhoto || len(g.Photo.Preview) == 0 || len(g.Photo.Sizes) != 0 {
		t.Fatalf("chats.setPhoto answered %+v (a 300×300 photo has no smaller sizes)", g.Photo)
	}
	var seen struct {
		Photo *photoView `json:"photo"`
	}
	bob.call("chats.get", map[string]any{"chat_id": g.ID}).into(t, &seen)
	if seen.Photo == nil || seen.Photo.FileID != groupPhoto {
		t.Errorf("Bob sees the group photo as %+v", seen.Photo)
	}
	if status, _ := download(bf, groupPhoto); status != 200 {
		t.Errorf("a member downloading the group photo: %d", status)
	}
	if status, _ := download(cf, groupPhoto); status != 404 {
		t.Errorf("an outsider downloading a private group's photo: %d, want 404", status)
	}
	g.Photo = nil
	ann.call("chats.removePhoto", map[string]any{"chat_id": g.ID}).into(t, &g)
	if g.Photo != nil {
		t.Errorf("after chats.removePhoto: %+v", g.Photo)
	}
	if status, _ := download(bf, groupPhoto); status != 404 {
		t.Errorf("a member downloading a removed group photo: %d, want 404", status)
	}
	ann.call("chats.removePhoto", map[string]any{"chat_id": g.ID}).into(t, &g) // none: no change
	var hist []struct {
		Service *struct {
			Type string `json:"type"`
		} `json:"service"`
	}
	bob.call("messages.history", map[string]any{"chat_id": g.ID}).into(t, &hist)
	var acts []string
	for _, m := range hist {
		if m.Service != nil && (m.Service.Type == "photo_changed" || m.Service.Type == "photo_removed") {
			acts = append(acts, m.Service.Type)
		}
	}
	if len(acts) != 2 {
		t.Errorf("photo service messages in the group: %v, want one photo_changed and one photo_removed", acts)
	}
}
