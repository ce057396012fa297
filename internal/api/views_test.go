package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// TestViewsMapEveryField: each wire view has a field for each of its
// domain value's, and the mapping sets them all: a field added to a
// value of core's and left out of its view, or of the mapping, fails
// here.
func TestViewsMapEveryField(t *testing.T) {
	check := func(name string, in any, out func() any, serverOnly ...string) {
		t.Helper()
		v := reflect.ValueOf(in).Elem()
		fill(t, v)
		got := reflect.ValueOf(out())
		if got.Kind() == reflect.Pointer {
			got = got.Elem()
		}
		if got.NumField() != v.NumField()-len(serverOnly) {
			t.Errorf("%s: the view has %d fields, the value %d (%d of them the server's alone)", name, got.NumField(), v.NumField(), len(serverOnly))
		}
		for _, f := range serverOnly {
			if _, ok := got.Type().FieldByName(f); ok {
				t.Errorf("%s: the view shows %s", name, f)
			}
		}
		for i := range got.NumField() {
			if got.Field(i).IsZero() {
				t.Errorf("%s: the mapping leaves %s unset", name, got.Type().Field(i).Name)
			}
		}
	}
	m := &core.MessageView{}
	check("message", m, func() any { return messageOut(m) })
	f := &core.ForwardView{}
	check("forward", f, func() any { return forwardOut(f) })
	e := &core.ChatEventView{}
	check("chat event", e, func() any { return chatEventOut(e) })
	u := &core.UserEventView{}
	check("user event", u, func() any { return userEventOut(u) })
	cd := &core.ChatDifference{}
	check("chat difference", cd, func() any { return chatDifferenceOut(cd) })
	st := &core.State{}
	check("state", st, func() any { return stateOut(st) })
	d := &core.Difference{}
	check("difference", d, func() any { return differenceOut(d) })
	dv := &core.DialogView{}
	check("dialog", dv, func() any { return dialogOut(dv) })
	fm := &core.FoundMessages{}
	check("found messages", fm, func() any { return foundMessagesOut(fm) })
	us := &core.UserView{}
	check("user", us, func() any { return userOut(us) })
	ss := &core.UserStatus{}
	check("user status", ss, func() any { return userStatusOut(ss) })
	c := &core.ChatView{}
	check("chat", c, func() any { return chatOut(c) })
	mv := &core.MemberView{}
	check("member", mv, func() any { return memberOut(mv) })
	cv := &core.ContactView{}
	check("contact", cv, func() any { return contactOut(cv) })
	ic := &core.ImportedContact{}
	check("imported contact", ic, func() any { return importedContactOut(ic) })
	ir := &core.ImportResult{}
	check("import result", ir, func() any { return importResultOut(ir) })
	au := &core.Authorization{}
	check("authorization", au, func() any { return authorizationOut(au) }, "SessionID")
	gr := &core.GlobalResult{}
	check("global result", gr, func() any { return globalResultOut(gr) })
	sv := &core.UserStatusView{}
	check("user status push", sv, func() any { return userStatusPushOut(sv) })
	// The flat views convert (a field missing is a compile error); those
	// that hold others map.
	si := &core.SignupInvites{}
	check("signup invites", si, func() any { return signupInvitesOut(si) })
	up := &core.UploadStatusView{}
	check("upload status", up, func() any { return uploadStatusOut(up) })
	sb := &core.SecretBundlesView{}
	check("secret bundles", sb, func() any { return secretBundlesOut(sb) })
	in := &core.SecretInbox{}
	check("secret inbox", in, func() any { return secretInboxOut(in) })
}

// TestRenderKeepsNilAndEmpty: a list core returns empty goes out as [],
// one it returns nil as null, and a nil answer as null: as before the
// views moved.
func TestRenderKeepsNilAndEmpty(t *testing.T) {
	for _, c := range []struct {
		in   any
		want string
	}{
		{[]core.MessageView{}, `[]`},
		{[]core.MessageView(nil), `null`},
		{(*core.MessageView)(nil), `null`},
		{[]core.DialogView{}, `[]`},
		{&core.Difference{UserEvents: []core.UserEventView{}, Dialogs: []core.DialogView{}}, `{"user_events":[],"dialogs":[],"state":{"pts":0,"gid":0,"date":0}}`},
		{&core.ChatDifference{Events: []core.ChatEventView{}, Seq: 3, TooLong: true}, `{"events":[],"seq":3,"too_long":true}`},
	} {
		b, err := json.Marshal(render(c.in))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.want {
			t.Errorf("%T: %s, want %s", c.in, b, c.want)
		}
	}
}

// TestEncodeFrameChatEvent: a chat event's push frame, written by hand,
// holds the bytes json.Marshal writes for the frame.
func TestEncodeFrameChatEvent(t *testing.T) {
	full := &core.MessageView{ChatID: 7, ID: 9, SenderID: 2, Date: 5, Text: "a <b> \u2028 \"q\"", Entities: []haven.Entity{{Type: haven.EntityBold, Length: 1}},
		Forward: &core.ForwardView{FromName: "x&y", Date: 1}, Reactions: []haven.ReactionCount{{Emoji: "👍", Count: 1}}}
	for _, ev := range []core.ChatEventView{
		{ChatID: 7, Seq: 1, Kind: haven.EventMessageNew, Date: 5, UserID: 2, MessageID: 9, Message: full},
		{ChatID: 7, Seq: 2, Kind: haven.EventMessageDelete, Date: 6, Data: json.RawMessage(`{"ids": [9]}`)},
		{ChatID: 7, Seq: 3, Kind: haven.EventMessageEdit},
	} {
		want, err := json.Marshal(pushFrame{Push: core.PushChatEvent, Data: chatEventOut(&ev)})
		if err != nil {
			t.Fatal(err)
		}
		got, err := EncodeFrame(core.PushChatEvent, ev)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("frame\n %s\nwant\n %s", got, want)
		}
	}
}
