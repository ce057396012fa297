package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// searchIndexWaiter is implemented by stores whose search index follows
// the log asynchronously and that can say when it has caught up.
type searchIndexWaiter interface {
	WaitSearchIndexed(ctx context.Context) error
}

var sentinelSeq atomic.Int64

// waitIndexed returns once every message written so far is searchable.
// Stores that cannot say so are polled: a message with a unique word is
// sent, and searched for until it is found (an index that follows the
// log applies it after everything before it).
func waitIndexed(t *testing.T, s core.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if w, ok := s.(searchIndexWaiter); ok {
		if err := w.WaitSearchIndexed(ctx); err != nil {
			t.Fatalf("WaitSearchIndexed: %v", err)
		}
		return
	}
	u := createUser(t, s, func(u *haven.User) { u.Username = "" })
	c := createChat(t, s, u.ID)
	word := fmt.Sprintf("zqxsentinel%d", sentinelSeq.Add(1))
	send(t, s, c.ID, u.ID, word)
	for {
		ms, err := s.SearchMessages(ctx, u.ID, nil, word, core.MessageRef{}, 1)
		if err != nil {
			t.Fatalf("SearchMessages: %v", err)
		}
		if len(ms) == 1 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("a message sent was not searchable after 30 s")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func refs(ms []*haven.Message) []core.MessageRef {
	rs := []core.MessageRef{}
	for _, m := range ms {
		rs = append(rs, core.MessageRef{ChatID: m.ChatID, ID: m.ID})
	}
	return rs
}

func testSearchMessages(t *testing.T, s core.Store) {
	ctx := context.Background()
	me, friend, stranger := createUser(t, s), createUser(t, s), createUser(t, s)

	g1 := createChat(t, s, friend.ID)
	join(t, s, g1.ID, me.ID, haven.RoleMember)
	g2 := createChat(t, s, stranger.ID)
	p := createChat(t, s, me.ID, func(c *haven.Chat) { c.Kind, c.PeerA, c.PeerB = haven.ChatPrivate, me.ID, friend.ID })
	left := createChat(t, s, friend.ID)
	join(t, s, left.ID, me.ID, haven.RoleLeft)
	late := createChat(t, s, friend.ID)
	// I joined late, and the chat hides what came before (message 2 on).
	join(t, s, late.ID, me.ID, haven.RoleMember, func(m *haven.Member) { m.MinMessageID = 2 })

	ref := func(c *haven.Chat, id int64) core.MessageRef { return core.MessageRef{ChatID: c.ID, ID: id} }
	for _, text := range []string{
		"Hello world",        // 1
		"Café au lait ☕",     // 2
		"naïve résumé",       // 3
		"Привет, МИР!",       // 4
		"日本語のテキスト",           // 5
		"hello again, world", // 6
		"helicopter",         // 7
		"",                   // 8
		"edit me original",   // 9
		"delete this hello",  // 10
		"Ελληνικά ΚΕΊΜΕΝΟ straße", // 11
	} {
		send(t, s, g1.ID, []int64{friend.ID, me.ID}[len(text)%2], text)
	}
	send(t, s, g2.ID, stranger.ID, "hello from strangers")
	send(t, s, p.ID, friend.ID, "hello privately")
	send(t, s, p.ID, friend.ID, "hidden hello")
	send(t, s, left.ID, friend.ID, "hello left behind")
	send(t, s, late.ID, friend.ID, "hello before joining")
	send(t, s, late.ID, friend.ID, "hello after joining")

	// Hide one; edit one; delete one, each with its event.
	update(t, s, func(tx core.Tx) error { return tx.HideMessages(ctx, me.ID, p.ID, []int64{2}) })
	update(t, s, func(tx core.Tx) error {
		m, err := tx.Message(ctx, g1.ID, 9)
		if err != nil {
			return err
		}
		m.Text, m.EditDate = "changed words", t0.Add(time.Hour)
		if err := tx.UpdateMessage(ctx, m); err != nil {
			return err
		}
		seq, _, err := tx.NextSeq(ctx, g1.ID, false, t0.Add(time.Hour))
		if err != nil {
			return err
		}
		return tx.AppendEvent(ctx, &haven.Event{ChatID: g1.ID, Seq: seq, Kind: haven.EventMessageEdit, MessageID: 9, Date: t0.Add(time.Hour)})
	})
	update(t, s, func(tx core.Tx) error {
		ids, err := tx.DeleteMessages(ctx, g1.ID, []int64{10})
		if err != nil {
			return err
		}
		seq, _, err := tx.NextSeq(ctx, g1.ID, false, t0.Add(time.Hour))
		if err != nil {
			return err
		}
		return tx.AppendEvent(ctx, &haven.Event{ChatID: g1.ID, Seq: seq, Kind: haven.EventMessageDelete,
			Date: t0.Add(time.Hour), Data: fmt.Appendf(nil, `{"ids":%d}`, ids)})
	})
	waitIndexed(t, s)

	search := func(userID int64, chatIDs []int64, query string, before core.MessageRef, limit int) []core.MessageRef {
		t.Helper()
		ms, err := s.SearchMessages(ctx, userID, chatIDs, query, before, limit)
		if err != nil {
			t.Fatalf("SearchMessages(%q): %v", query, err)
		}
		for _, m := range ms {
			if m.Text == "" || m.Date.IsZero() || m.SenderID == 0 {
				t.Errorf("SearchMessages(%q) returned a message without its fields: %+v", query, m)
			}
		}
		return refs(ms)
	}
	none := []core.MessageRef{}
	cases := []struct {
		name  string
		user  int64
		chats []int64
		query string
		want  []core.MessageRef
	}{
		// Words, in any case, (chat, id) descending; only my active
		// chats, nothing hidden, nothing before my first message, nothing
		// deleted.
		{"word", me.ID, nil, "hello", []core.MessageRef{ref(late, 2), ref(p, 1), ref(g1, 6), ref(g1, 1)}},
		{"upper case", me.ID, nil, "HELLO", []core.MessageRef{ref(late, 2), ref(p, 1), ref(g1, 6), ref(g1, 1)}},
		{"prefix", me.ID, nil, "hel", []core.MessageRef{ref(late, 2), ref(p, 1), ref(g1, 7), ref(g1, 6), ref(g1, 1)}},
		{"all words", me.ID, nil, "WORLD hello", []core.MessageRef{ref(g1, 6), ref(g1, 1)}},
		{"all word prefixes", me.ID, nil, "wor hel", []core.MessageRef{ref(g1, 6), ref(g1, 1)}},
		{"a word not there", me.ID, nil, "hello nowhere", none},
		{"a word mid-word", me.ID, nil, "copter", none},
		// Diacritics and scripts.
		{"without diacritics", me.ID, nil, "cafe", []core.MessageRef{ref(g1, 2)}},
		{"with diacritics", me.ID, nil, "CAFÉ", []core.MessageRef{ref(g1, 2)}},
		{"diacritics in the text", me.ID, nil, "naive resume", []core.MessageRef{ref(g1, 3)}},
		{"cyrillic, other case", me.ID, nil, "привет мир", []core.MessageRef{ref(g1, 4)}},
		{"greek, other case", me.ID, nil, "κείμενο", []core.MessageRef{ref(g1, 11)}},
		{"CJK prefix", me.ID, nil, "日本語", []core.MessageRef{ref(g1, 5)}},
		// Edits and deletions reach the index.
		{"edited away", me.ID, nil, "original", none},
		{"edited in", me.ID, nil, "changed", []core.MessageRef{ref(g1, 9)}},
		{"deleted", me.ID, nil, "delete", none},
		// Queries with nothing to search for find nothing.
		{"empty", me.ID, nil, "", none},
		{"spaces", me.ID, nil, "   ", none},
		{"punctuation", me.ID, nil, "!!! ... ☕", none},
		// FTS syntax is text, never syntax.
		{"quote", me.ID, nil, `hello"`, []core.MessageRef{ref(late, 2), ref(p, 1), ref(g1, 6), ref(g1, 1)}},
		{"quoted", me.ID, nil, `"hello world"`, []core.MessageRef{ref(g1, 6), ref(g1, 1)}},
		{"star", me.ID, nil, `hello*`, []core.MessageRef{ref(late, 2), ref(p, 1), ref(g1, 6), ref(g1, 1)}},
		{"operators", me.ID, nil, `hello OR world NOT`, none},
		{"NEAR", me.ID, nil, `NEAR(hello world)`, none},
		{"column filter", me.ID, nil, `text:hello`, none},
		{"caret and minus", me.ID, nil, `^hello -world + (`, []core.MessageRef{ref(g1, 6), ref(g1, 1)}},
		// Other people see their own chats.
		{"stranger", stranger.ID, nil, "hello", []core.MessageRef{ref(g2, 1)}},
		{"friend", friend.ID, nil, "hello", []core.MessageRef{
			ref(late, 2), ref(late, 1), ref(left, 1), ref(p, 2), ref(p, 1), ref(g1, 6), ref(g1, 1)}},
		// The chats given, and only those.
		{"one chat", me.ID, []int64{g1.ID}, "hello", []core.MessageRef{ref(g1, 6), ref(g1, 1)}},
		{"two chats", me.ID, []int64{g1.ID, p.ID, g1.ID}, "hello", []core.MessageRef{ref(p, 1), ref(g1, 6), ref(g1, 1)}},
		{"a chat hidden from before", me.ID, []int64{late.ID}, "hello", []core.MessageRef{ref(late, 2)}},
		{"a chat the core let me read", me.ID, []int64{g2.ID}, "hello", []core.MessageRef{ref(g2, 1)}},
		{"a chat with no match", me.ID, []int64{g2.ID}, "cafe", none},
		{"a missing chat", me.ID, []int64{g2.ID + 1000}, "hello", none},
	}
	for _, tc := range cases {
		if got := search(tc.user, tc.chats, tc.query, core.MessageRef{}, 50); !slices.Equal(got, tc.want) {
			t.Errorf("%s: SearchMessages(%q) = %v, want %v", tc.name, tc.query, got, tc.want)
		}
	}
	if got := search(me.ID, nil, "hello", core.MessageRef{}, 0); len(got) != 0 {
		t.Errorf("SearchMessages with limit 0 = %v", got)
	}

	// Paging with the cursor, in all chats and in some.
	all := []core.MessageRef{ref(late, 2), ref(p, 1), ref(g1, 7), ref(g1, 6), ref(g1, 1)}
	for _, chats := range [][]int64{nil, {late.ID, p.ID, g1.ID}} {
		var got []core.MessageRef
		before := core.MessageRef{}
		for range 10 {
			page := search(me.ID, chats, "hel", before, 2)
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			before = page[len(page)-1]
		}
		if !slices.Equal(got, all) {
			t.Errorf("paging through %v by 2 = %v, want %v", chats, got, all)
		}
	}
	// A cursor of a message gone still places the page.
	if got, want := search(me.ID, nil, "hel", ref(g1, 10), 10), []core.MessageRef{ref(g1, 7), ref(g1, 6), ref(g1, 1)}; !slices.Equal(got, want) {
		t.Errorf("before a deleted message = %v, want %v", got, want)
	}
	if got, want := search(me.ID, nil, "hel", ref(p, 1<<40), 10), all[1:]; !slices.Equal(got, want) {
		t.Errorf("before a huge id = %v, want %v", got, want)
	}

	// One chat, newest first, below an id and before a date.
	dated := func(chatID, beforeID int64, before time.Time, limit int) []core.MessageRef {
		t.Helper()
		ms, err := s.SearchChatBefore(ctx, me.ID, chatID, "hel", beforeID, before, limit)
		if err != nil {
			t.Fatalf("SearchChatBefore: %v", err)
		}
		return refs(ms)
	}
	g1Msgs := map[int64]*haven.Message{}
	for _, id := range []int64{1, 6, 7} {
		m, err := s.Message(ctx, g1.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		g1Msgs[id] = m
	}
	for _, c := range []struct {
		name     string
		chatID   int64
		beforeID int64
		before   time.Time
		limit    int
		want     []core.MessageRef
	}{
		{"no bounds", g1.ID, 0, time.Time{}, 10, []core.MessageRef{ref(g1, 7), ref(g1, 6), ref(g1, 1)}},
		{"limit", g1.ID, 0, time.Time{}, 2, []core.MessageRef{ref(g1, 7), ref(g1, 6)}},
		{"below an id", g1.ID, 7, time.Time{}, 10, []core.MessageRef{ref(g1, 6), ref(g1, 1)}},
		{"below a huge id", g1.ID, 1 << 40, time.Time{}, 10, []core.MessageRef{ref(g1, 7), ref(g1, 6), ref(g1, 1)}},
		{"before a date", g1.ID, 0, g1Msgs[7].Date, 10, []core.MessageRef{ref(g1, 6), ref(g1, 1)}},
		{"just after a date", g1.ID, 0, g1Msgs[6].Date.Add(time.Millisecond), 10, []core.MessageRef{ref(g1, 6), ref(g1, 1)}},
		{"both", g1.ID, 6, g1Msgs[7].Date, 10, []core.MessageRef{ref(g1, 1)}},
		{"hidden from before", late.ID, 0, time.Time{}, 10, []core.MessageRef{ref(late, 2)}},
		{"hidden for me", p.ID, 0, time.Time{}, 10, []core.MessageRef{ref(p, 1)}},
		{"limit 0", g1.ID, 0, time.Time{}, 0, none},
		{"a missing chat", g2.ID + 1000, 0, time.Time{}, 10, none},
	} {
		if got := dated(c.chatID, c.beforeID, c.before, c.limit); !slices.Equal(got, c.want) {
			t.Errorf("SearchChatBefore %s = %v, want %v", c.name, got, c.want)
		}
	}
}

func testSearchChats(t *testing.T, s core.Store) {
	ctx := context.Background()
	u, v := createUser(t, s), createUser(t, s)
	public := func(kind haven.ChatKind, title, username string, members int) *haven.Chat {
		return createChat(t, s, u.ID, func(c *haven.Chat) {
			c.Kind, c.Title, c.Username, c.MemberCount = kind, title, username, members
		})
	}
	dev := public(haven.ChatGroup, "Haven Developers", "haven_dev", 10)
	news := public(haven.ChatChannel, "Daily News", "Daily_News", 100)
	fans := public(haven.ChatChannel, "haven fans", "fans_of_haven", 50)
	less := public(haven.ChatGroup, "Havenless", "zzz_other", 1)
	public(haven.ChatGroup, "Secret Haven", "", 500) // no username: not public
	createChat(t, s, u.ID, func(c *haven.Chat) { c.Kind, c.Title, c.PeerA, c.PeerB = haven.ChatPrivate, "haven", u.ID, v.ID })

	ids := func(cs []*haven.Chat) []int64 {
		out := []int64{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	for _, tc := range []struct {
		query string
		limit int
		want  []int64
	}{
		{"haven", 10, []int64{fans.ID, dev.ID, less.ID}}, // most members first
		{"HAVEN", 10, []int64{fans.ID, dev.ID, less.ID}},
		{"haven", 2, []int64{fans.ID, dev.ID}},
		{"haven_d", 10, []int64{dev.ID}},
		{"@HAVEN_DEV", 10, []int64{dev.ID}},
		{"@daily", 10, []int64{news.ID}},
		{"news", 10, []int64{news.ID}},
		{"dev", 10, []int64{dev.ID}},
		{"Developers", 10, []int64{dev.ID}},
		{"fans_of", 10, []int64{fans.ID}},
		{"evelopers", 10, []int64{}},
		{"secret", 10, []int64{}},
		{"xyz", 10, []int64{}},
		{"", 10, []int64{}},
		{"  ", 10, []int64{}},
		{"%", 10, []int64{}},
		{"_", 10, []int64{}},
		{"haven", 0, []int64{}},
	} {
		cs, err := s.SearchChats(ctx, tc.query, tc.limit)
		if err != nil {
			t.Fatalf("SearchChats(%q): %v", tc.query, err)
		}
		if got := ids(cs); !slices.Equal(got, tc.want) {
			t.Errorf("SearchChats(%q, %d) = %v, want %v", tc.query, tc.limit, got, tc.want)
		}
	}
	cs, err := s.SearchChats(ctx, "daily", 1)
	if err != nil || len(cs) != 1 || !same(cs[0], news) {
		t.Errorf("SearchChats result = %+v, %v; want %+v", cs, err, news)
	}
}

func testSearchUsers(t *testing.T, s core.Store) {
	ctx := context.Background()
	one := createUser(t, s, func(u *haven.User) { u.Username = "Alice_One" })
	two := createUser(t, s, func(u *haven.User) { u.Username = "alice_two" })
	bob := createUser(t, s, func(u *haven.User) { u.Username = "Bob_Smith" })
	gone := createUser(t, s, func(u *haven.User) { u.Username = "Alicia" })
	gone.Deleted = true
	update(t, s, func(tx core.Tx) error { return tx.UpdateUser(ctx, gone) })
	createUser(t, s, func(u *haven.User) { u.Username = "" })
	createChat(t, s, bob.ID, func(c *haven.Chat) { c.Username = "alice_chat" }) // a chat, not a user

	ids := func(us []*haven.User) []int64 {
		out := []int64{}
		for _, u := range us {
			out = append(out, u.ID)
		}
		return out
	}
	for _, tc := range []struct {
		query string
		limit int
		want  []int64
	}{
		{"ali", 10, []int64{one.ID, two.ID}}, // by username
		{"ALI", 10, []int64{one.ID, two.ID}},
		{"@alice_", 10, []int64{one.ID, two.ID}},
		{"ali", 1, []int64{one.ID}},
		{"alice_t", 10, []int64{two.ID}},
		{"bob_smith", 10, []int64{bob.ID}},
		{"bob_smithy", 10, []int64{}},
		{"alicia", 10, []int64{}}, // deleted
		{"smith", 10, []int64{}},  // not a prefix
		{"", 10, []int64{}},
		{"a%", 10, []int64{}},
		{"a_", 10, []int64{}},
		{"ali ", 10, []int64{one.ID, two.ID}},
		{"ali", 0, []int64{}},
	} {
		us, err := s.SearchUsers(ctx, tc.query, tc.limit)
		if err != nil {
			t.Fatalf("SearchUsers(%q): %v", tc.query, err)
		}
		if got := ids(us); !slices.Equal(got, tc.want) {
			t.Errorf("SearchUsers(%q, %d) = %v, want %v", tc.query, tc.limit, got, tc.want)
		}
	}
	us, err := s.SearchUsers(ctx, "bob", 10)
	if err != nil || len(us) != 1 {
		t.Fatalf("SearchUsers(bob) = %v, %v", us, err)
	}
	equalUser(t, us[0], bob)
}
