package client_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

func TestGroupEditReact(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := testserver.Start(t)
	ann, _ := signUp(t, ctx, srv, "ann@example.org", "Ann")
	bob, bobMe := signUp(t, ctx, srv, "bob@example.org", "Bob")
	srv.Befriend(t, ann, bob)

	g, err := ann.CreateGroup(ctx, "Climbing", []int64{bobMe.ID})
	if err != nil || g.Kind != "group" || g.Title != "Climbing" || g.Role != "owner" {
		t.Fatalf("CreateGroup: %+v, %v", g, err)
	}
	members, err := bob.Members(ctx, g.ID, 0, 0)
	if err != nil || len(members) != 2 {
		t.Fatalf("Members: %+v, %v", members, err)
	}
	m, err := bob.Send(ctx, &client.SendParams{ChatID: g.ID, Text: "hello all"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	ed, err := bob.Edit(ctx, g.ID, m.ID, "hello everyone", nil)
	if err != nil || ed.Text != "hello everyone" || ed.EditDate == 0 {
		t.Fatalf("Edit: %+v, %v", ed, err)
	}
	if _, err := bob.Edit(ctx, g.ID, m.ID, "hello everyone", nil); !client.IsCode(err, "MESSAGE_NOT_MODIFIED") {
		t.Fatalf("Edit again: %v", err)
	}
	if _, err := ann.Edit(ctx, g.ID, m.ID, "hijack", nil); !client.IsCode(err, "MESSAGE_EDIT_FORBIDDEN") {
		t.Fatalf("Edit by another: %v", err)
	}
	r, err := ann.React(ctx, g.ID, m.ID, "👍")
	if err != nil || len(r.Reactions) != 1 || r.Reactions[0].Emoji != "👍" || r.Reactions[0].Count != 1 || !r.Reactions[0].Mine {
		t.Fatalf("React: %+v, %v", r, err)
	}
	got, err := bob.Messages(ctx, g.ID, []int64{m.ID})
	if err != nil || len(got) != 1 || got[0].Text != "hello everyone" || len(got[0].Reactions) != 1 || got[0].Reactions[0].Mine {
		t.Fatalf("Messages: %+v, %v", got, err)
	}
	if err := ann.Pin(ctx, g.ID, m.ID); err != nil {
		t.Fatalf("Pin: %v", err)
	}
	if c, err := bob.Chat(ctx, g.ID); err != nil || c.PinnedMessageID != m.ID {
		t.Fatalf("Chat after Pin: %+v, %v", c, err)
	}
	title := "Bouldering"
	if c, err := ann.UpdateChat(ctx, client.ChatUpdate{ChatID: g.ID, Title: &title}); err != nil || c.Title != title {
		t.Fatalf("UpdateChat: %+v, %v", c, err)
	}
	// The history starts with the service message of the creation.
	hist, err := ann.History(ctx, client.HistoryParams{ChatID: g.ID})
	if err != nil || len(hist) == 0 {
		t.Fatalf("History: %+v, %v", hist, err)
	}
	if first := hist[len(hist)-1]; first.Service == nil || first.Service.Type != "chat_created" {
		t.Fatalf("first message: %+v", first)
	}
	if n, err := bob.Delete(ctx, g.ID, []int64{m.ID}, true); err != nil || n != 1 {
		t.Fatalf("Delete: %d, %v", n, err)
	}
	if err := bob.Leave(ctx, g.ID); err != nil {
		t.Fatalf("Leave: %v", err)
	}
	if _, err := bob.Send(ctx, &client.SendParams{ChatID: g.ID, Text: "still here?"}); !client.IsCode(err, "NOT_MEMBER") {
		t.Fatalf("Send after Leave: %v", err)
	}
}

func TestUploadSendDownload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := testserver.Start(t)
	ann, _ := signUp(t, ctx, srv, "ann@example.org", "Ann")
	bob, bobMe := signUp(t, ctx, srv, "bob@example.org", "Bob")
	srv.Befriend(t, ann, bob)

	// A noisy PNG, over 512 KiB so that it takes several parts.
	img := image.NewRGBA(image.Rect(0, 0, 500, 400))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.UintN(256))
	}
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if len(data) <= client.MaxPartSize {
		t.Fatalf("the PNG has only %d bytes", len(data))
	}
	f, err := ann.UploadBytes(ctx, data, "noise.png")
	if err != nil || f.Size != int64(len(data)) || f.Mime != "image/png" || f.Name != "noise.png" {
		t.Fatalf("UploadFile: %+v, %v", f, err)
	}
	p := &client.MediaParams{UserID: bobMe.ID, Kind: "photo", FileID: f.ID, Caption: "look"}
	m, err := ann.SendMedia(ctx, p)
	if err != nil || m.Media == nil || m.Media.Kind != "photo" || m.Media.FileID != f.ID || m.Media.Width != 500 || m.Media.Height != 400 || m.Text != "look" {
		t.Fatalf("SendMedia: %+v, %v", m, err)
	}
	if again, err := ann.SendMedia(ctx, p); err != nil || again.ID != m.ID {
		t.Fatalf("SendMedia retry: %+v, %v", again, err)
	}
	var got bytes.Buffer
	if n, err := bob.Download(ctx, f.ID, &got); err != nil || n != int64(len(data)) || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("Download: %d bytes, %v", n, err)
	}
	for _, s := range m.Media.Sizes {
		var b bytes.Buffer
		if _, err := bob.Download(ctx, s.FileID, &b); err != nil || b.Len() == 0 {
			t.Fatalf("Download size %s: %v", s.Type, err)
		}
	}
	// A stranger may not read it.
	eve, _ := signUp(t, ctx, srv, "eve@example.org", "Eve")
	if _, err := eve.Download(ctx, f.ID, &bytes.Buffer{}); !client.IsCode(err, "FILE_NOT_FOUND") {
		t.Fatalf("Download by a stranger: %v", err)
	}
	u, err := bob.FileURL(ctx, f.ID)
	if err != nil || u.URL == "" {
		t.Fatalf("FileURL: %+v, %v", u, err)
	}
}

func TestAccountContactsInvites(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := testserver.Start(t)
	ann, annMe := signUp(t, ctx, srv, "ann@example.org", "Ann")
	bob, bobMe := signUp(t, ctx, srv, "bob@example.org", "Bob")

	ss, err := ann.Sessions(ctx)
	if err != nil || len(ss) != 1 || !ss[0].Current || ss[0].Device != "SDK test" {
		t.Fatalf("Sessions: %+v, %v", ss, err)
	}
	bio := "climber"
	if u, err := ann.UpdateProfile(ctx, client.ProfileParams{Bio: &bio}); err != nil || u.Bio != bio || u.FirstName != "Ann" {
		t.Fatalf("UpdateProfile: %+v, %v", u, err)
	}
	if ok, err := bob.CheckUsername(ctx, "ann_climbs"); err != nil || !ok {
		t.Fatalf("CheckUsername: %v, %v", ok, err)
	}
	if u, err := ann.UpdateUsername(ctx, "ann_climbs"); err != nil || u.Username != "ann_climbs" {
		t.Fatalf("UpdateUsername: %+v, %v", u, err)
	}
	if u, err := bob.ResolveUsername(ctx, "@ann_climbs"); err != nil || u.ID != annMe.ID {
		t.Fatalf("ResolveUsername: %+v, %v", u, err)
	}
	if us, err := bob.Users(ctx, []int64{annMe.ID, bobMe.ID}); err != nil || len(us) != 2 || us[1].ID != bobMe.ID {
		t.Fatalf("Users: %+v, %v", us, err)
	}
	if gr, err := bob.SearchGlobal(ctx, "ann_cl", 0); err != nil || len(gr.Users) != 1 || gr.Users[0].ID != annMe.ID {
		t.Fatalf("SearchGlobal: %+v, %v", gr, err)
	}
	pv, err := ann.SetPrivacy(ctx, "last_seen", "nobody")
	if err != nil || pv["last_seen"] != "nobody" || pv["phone_number"] != "nobody" {
		t.Fatalf("SetPrivacy: %+v, %v", pv, err)
	}
	if ttl, err := ann.SetAccountTTL(ctx, 6); err != nil || ttl.Months != 6 {
		t.Fatalf("SetAccountTTL: %+v, %v", ttl, err)
	}
	// Bob looked Ann's address up (finding nobody: she does not have
	// his), which lets her find him by his.
	if ir, err := bob.ImportContacts(ctx, []client.ContactInput{{Email: "ann@example.org", FirstName: "Ann"}}); err != nil || len(ir.Imported) != 0 {
		t.Fatalf("ImportContacts by Bob: %+v, %v", ir, err)
	}
	ir, err := ann.ImportContacts(ctx, []client.ContactInput{{Email: "bob@example.org", FirstName: "Bobby"}, {Email: "nobody@example.org", FirstName: "X"}})
	if err != nil || len(ir.Imported) != 1 || ir.Imported[0].User.ID != bobMe.ID || ir.Unmatched != 1 {
		t.Fatalf("ImportContacts: %+v, %v", ir, err)
	}
	if cs, err := ann.Contacts(ctx); err != nil || len(cs) != 1 || cs[0].FirstName != "Bobby" {
		t.Fatalf("Contacts: %+v, %v", cs, err)
	}
	if err := ann.Block(ctx, bobMe.ID); err != nil {
		t.Fatalf("Block: %v", err)
	}
	if bl, err := ann.Blocked(ctx); err != nil || len(bl) != 1 || !bl[0].Blocked {
		t.Fatalf("Blocked: %+v, %v", bl, err)
	}
	if err := ann.Unblock(ctx, bobMe.ID); err != nil {
		t.Fatalf("Unblock: %v", err)
	}

	// A channel, an invite, a join, a forward and a search.
	ch, err := ann.CreateChannel(ctx, "News", "what happens", "")
	if err != nil || ch.Kind != "channel" {
		t.Fatalf("CreateChannel: %+v, %v", ch, err)
	}
	inv, err := ann.CreateInvite(ctx, ch.ID, 0, 10)
	if err != nil || inv.Hash == "" || inv.UsageLimit != 10 {
		t.Fatalf("CreateInvite: %+v, %v", inv, err)
	}
	if c, err := bob.CheckInvite(ctx, inv.Hash); err != nil || c.ID != ch.ID {
		t.Fatalf("CheckInvite: %+v, %v", c, err)
	}
	if c, err := bob.JoinByInvite(ctx, inv.Hash); err != nil || c.ID != ch.ID {
		t.Fatalf("JoinByInvite: %+v, %v", c, err)
	}
	post, err := ann.Send(ctx, &client.SendParams{ChatID: ch.ID, Text: "granite season opens"})
	if err != nil {
		t.Fatalf("Send to the channel: %v", err)
	}
	if v, err := bob.View(ctx, ch.ID, []int64{post.ID}); err != nil || v[post.ID] != 1 {
		t.Fatalf("View: %+v, %v", v, err)
	}
	fw, err := bob.Forward(ctx, &client.ForwardParams{FromChatID: ch.ID, IDs: []int64{post.ID}, UserID: bobMe.ID})
	if err != nil || len(fw) != 1 || fw[0].Forward == nil || fw[0].Forward.FromChatID != ch.ID || fw[0].Text != post.Text {
		t.Fatalf("Forward: %+v, %v", fw, err)
	}
	// The search index follows the log just after the ack: poll.
	var found []client.Message
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		found, err = bob.Search(ctx, client.SearchParams{Query: "granite"})
		if err != nil || len(found) == 2 || time.Now().After(deadline) {
			break
		}
	}
	// Both the post and its forwarded copy, newest chat first within the
	// grouping by chat: the channel post is among them.
	var sawPost bool
	for _, m := range found {
		sawPost = sawPost || (m.ChatID == ch.ID && m.ID == post.ID)
	}
	if err != nil || len(found) != 2 || !sawPost {
		t.Fatalf("Search: %+v, %v", found, err)
	}
	pinned := true
	if d, err := bob.UpdateDialog(ctx, client.DialogUpdate{ChatID: ch.ID, Pinned: &pinned}); err != nil || !d.Pinned {
		t.Fatalf("UpdateDialog: %+v, %v", d, err)
	}
	if err := bob.SetTyping(ctx, fw[0].ChatID, false); err != nil {
		t.Fatalf("SetTyping: %v", err)
	}
	if err := bob.LogOut(ctx); err != nil || bob.Token() != "" {
		t.Fatalf("LogOut: %v", err)
	}
}
