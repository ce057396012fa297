package server_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// secretValues are the answers' fields that hold random values (tokens,
// invite hashes and the links made of them): the golden file has them
// masked.
var secretValues = regexp.MustCompile(`"(token|login_token|hash|link)":"[^"]*"`)

// gidValues are the sync state's gid: a number whose value is the
// database's (a count of events on SQLite, a transaction id on
// PostgreSQL, ADR 0017), opaque to clients: the golden file has it as N.
var gidValues = regexp.MustCompile(`"gid":[0-9]+`)

// TestAnswersGolden pins the answers of the methods whose results are
// core's values in their wire views (users, contacts, chats, members,
// messages, dialogs, the sync answers, global search, the account,
// sessions, invites), byte for byte, over HTTP, on a clock that stands
// still and a fresh database. Like TestPushFramesGolden, any change to
// how answers are encoded (or where their wire shapes live) must leave
// the file as it is; -update rewrites it for a deliberate change of the
// wire format.
func TestAnswersGolden(t *testing.T) {
	w := newResyncWorld(t)
	var m struct {
		ID int64 `json:"id"`
	}
	w.ann.must(t, "messages.send", map[string]any{"chat_id": w.group, "text": "golden <b>&</b> \u2028 \"q\" é😀", "random_id": 601,
		"entities": []map[string]any{{"type": "bold", "offset": 0, "length": 6}}}, &m)
	w.ann.must(t, "messages.react", map[string]any{"chat_id": w.group, "id": m.ID, "emoji": "👍"}, nil)
	w.bob.must(t, "messages.read", map[string]any{"chat_id": w.private, "max_id": 1}, nil)
	anon := &apiClient{base: fixedBase(w.n.url), hc: w.hc}
	calls := []struct {
		who    *apiClient
		method string
		params map[string]any
	}{
		{w.ann, "users.getMe", nil},
		{w.ann, "users.get", map[string]any{"ids": []int64{w.bobID, w.catID}}},
		{w.bob, "contacts.list", nil},
		{w.ann, "dialogs.list", nil},
		{w.bob, "dialogs.list", nil},
		{w.ann, "chats.get", map[string]any{"chat_id": w.group}},
		{w.ann, "chats.get", map[string]any{"chat_id": w.private}},
		{w.ann, "chats.members", map[string]any{"chat_id": w.group}},
		{w.ann, "messages.history", map[string]any{"chat_id": w.group}},
		{w.ann, "messages.get", map[string]any{"chat_id": w.private, "ids": []int64{1}}},
		{w.ann, "messages.edit", map[string]any{"chat_id": w.group, "id": m.ID, "text": "edited"}},
		{w.ann, "sync.getState", nil},
		{w.bob, "sync.getDifference", map[string]any{"pts": 0, "gid": 0}},
		{w.bob, "sync.getChatDifference", map[string]any{"chat_id": w.group, "seq": 0}},
		{w.ann, "search.global", map[string]any{"query": "nobody"}},
		{w.ann, "account.getPassword", nil},
		{w.ann, "account.getTTL", nil},
		{w.ann, "sessions.list", nil},
		{w.ann, "chats.createInvite", map[string]any{"chat_id": w.group, "usage_limit": 5}},
		{w.ann, "chats.invites", map[string]any{"chat_id": w.group}},
		{w.ann, "files.startUpload", map[string]any{"size": 10, "name": "a.txt"}},
		{w.ann, "files.uploadStatus", map[string]any{"upload_id": 1}},
		{anon, "auth.sendCode", map[string]any{"identifier": "+442079460099"}},
	}
	var got bytes.Buffer
	for _, c := range calls {
		r, err := c.who.do(c.method, c.params)
		if err != nil {
			t.Fatalf("%s: %v", c.method, err)
		}
		if !r.OK {
			t.Fatalf("%s: %s: %s", c.method, r.code(), r.Error.Message)
		}
		fmt.Fprintf(&got, "%s %s\n%s\n", c.method, marshal(t, c.params), gidValues.ReplaceAll(secretValues.ReplaceAll(r.Result, []byte(`"$1":"…"`)), []byte(`"gid":N`)))
	}
	path := filepath.Join("testdata", "answers.golden")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("answers differ from %s:\ngot:\n%s\nwant:\n%s", path, got.Bytes(), want)
	}
}
