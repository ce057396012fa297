package server_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// dbFiles are the files of a node's databases as they lie on disk: the
// main database and its search index, each with its write-ahead log and
// shared-memory index.
func (n *node) dbFiles() (main, search []string) {
	db := filepath.Join(n.dir, "haven.db")
	idx := db + "-search.db"
	return []string{db, db + "-wal", db + "-shm"}, []string{idx, idx + "-wal", idx + "-shm"}
}

// holding returns, for each of words, the names of the node's database
// files whose raw bytes contain it.
func (n *node) holding(t *testing.T, words ...string) map[string][]string {
	t.Helper()
	main, search := n.dbFiles()
	out := map[string][]string{}
	for _, path := range append(main, search...) {
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatalf("reading %s: %v", path, err)
		}
		for _, w := range words {
			if bytes.Contains(b, []byte(w)) {
				out[w] = append(out[w], filepath.Base(path))
			}
		}
	}
	return out
}

// waitErased waits until no database file of the node holds any of
// words: the erasure comes a moment after the deletion, with the
// checkpoint of the write-ahead logs.
func (n *node) waitErased(t *testing.T, what string, words ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		left := n.holding(t, words...)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still on disk 30s later: %v", what, left)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// mustHold fails unless every one of words is in one of the files of
// the main database, and those of inIndex in one of the search index's
// too: what an erasure test then checks is gone was there.
func (n *node) mustHold(t *testing.T, words []string, inIndex ...string) {
	t.Helper()
	main, search := n.dbFiles()
	names := func(paths []string) map[string]bool {
		m := map[string]bool{}
		for _, p := range paths {
			m[filepath.Base(p)] = true
		}
		return m
	}
	inMain, inSearch := names(main), names(search)
	found := n.holding(t, append(words, inIndex...)...)
	some := func(files []string, set map[string]bool) bool {
		for _, f := range files {
			if set[f] {
				return true
			}
		}
		return false
	}
	for _, w := range words {
		if !some(found[w], inMain) {
			t.Fatalf("%q is not in the main database's files before its deletion (found in %v): the test looks in the wrong place", w, found[w])
		}
	}
	for _, w := range inIndex {
		if !some(found[w], inSearch) {
			t.Fatalf("%q is not in the search index's files before its deletion (found in %v): the test looks in the wrong place", w, found[w])
		}
	}
}

// uniqueWord is a lower-case word (as the search index keeps it) that
// nothing else in a test's database holds, starting with a letter of its
// own (first) so that no other word of a test shares its beginning, which
// the index would store once for both.
func uniqueWord(first byte) string {
	b := []byte{first}
	for range 15 {
		b = append(b, byte('a'+rand.IntN(26)))
	}
	return string(b)
}

func TestDeletedTextLeavesDisk(t *testing.T) {
	sqliteOnly(t, "it reads the database files for the deleted text")
	n := startNode(t, generous...)
	var ph phones
	ann, _, _ := signUpHTTP(t, n, &ph, "Ann")
	bob, _, bobID := signUpHTTP(t, n, &ph, "Bob")
	meet(t, ann, bob, bobID)
	chat := send(t, ann, map[string]any{"user_id": bobID}, "hello").ChatID

	// sendIndexed sends text and waits until a search finds it.
	sendIndexed := func(t *testing.T, text, word string) messageView {
		t.Helper()
		m := send(t, ann, map[string]any{"chat_id": chat}, text)
		if found := pollSearch(t, bob, map[string]any{"query": word}, 1); len(found) != 1 || found[0].ID != m.ID {
			t.Fatalf("search for %q before the deletion: %+v", word, found)
		}
		return m
	}

	t.Run("deleted for everyone", func(t *testing.T) {
		w := uniqueWord('q')
		m := sendIndexed(t, w, w)
		n.mustHold(t, []string{w}, w)
		bob.call("messages.delete", map[string]any{"chat_id": chat, "ids": []int64{m.ID}, "for_everyone": true}).into(t, new(deletedCount))
		n.waitErased(t, "a message deleted for everyone", w)
		if found := pollSearch(t, ann, map[string]any{"query": w}, 0); len(found) != 0 {
			t.Fatalf("the deleted message is still found: %+v", found)
		}
	})

	t.Run("edited", func(t *testing.T) {
		old, kept := uniqueWord('x'), uniqueWord('j')
		m := sendIndexed(t, old, old)
		n.mustHold(t, []string{old}, old)
		ann.call("messages.edit", map[string]any{"chat_id": chat, "id": m.ID, "text": kept}).into(t, new(messageView))
		n.waitErased(t, "the old text of an edited message", old)
		if found := pollSearch(t, bob, map[string]any{"query": kept}, 1); len(found) != 1 {
			t.Fatalf("the new text is not found: %+v", found)
		}
		n.mustHold(t, []string{kept}, kept)
	})

	t.Run("deleted for me only", func(t *testing.T) {
		// Hiding a message from oneself erases nothing: the other person
		// still has it.
		w := uniqueWord('v')
		m := sendIndexed(t, w, w)
		bob.call("messages.delete", map[string]any{"chat_id": chat, "ids": []int64{m.ID}}).into(t, new(deletedCount))
		if found := pollSearch(t, ann, map[string]any{"query": w}, 1); len(found) != 1 {
			t.Fatalf("the sender lost a message the other person hid: %+v", found)
		}
		if found := pollSearch(t, bob, map[string]any{"query": w}, 0); len(found) != 0 {
			t.Fatalf("a hidden message is still found by the person who hid it: %+v", found)
		}
	})

	t.Run("auto-deleted", func(t *testing.T) {
		ann.call("chats.update", map[string]any{"chat_id": chat, "ttl_seconds": 86400}).into(t, new(chatInfo))
		w := uniqueWord('k')
		sendIndexed(t, w, w)
		n.mustHold(t, []string{w}, w)
		n.clock.Advance(24*time.Hour + time.Second)
		if k, err := n.srv.Core().ExpireMessages(t.Context()); err != nil || k != 1 {
			t.Fatalf("ExpireMessages: %d, %v", k, err)
		}
		n.waitErased(t, "a message removed by the auto-delete timer", w)
		ann.call("chats.update", map[string]any{"chat_id": chat, "ttl_seconds": 0}).into(t, new(chatInfo))
	})

	t.Run("erased account", func(t *testing.T) {
		phone := ph.next()
		cal := &httpCaller{t: t, base: n.url}
		signUp(t, n, cal, phone, "Cal")
		first, last, bio, user := uniqueWord('f'), uniqueWord('l'), uniqueWord('b'), uniqueWord('u')
		cal.call("account.updateProfile", map[string]any{"first_name": first, "last_name": last, "bio": bio}).into(t, new(userView))
		cal.call("account.updateUsername", map[string]any{"username": user}).into(t, new(userView))
		email := uniqueWord('e') + "@example.org"
		dee := &httpCaller{t: t, base: n.url}
		signUp(t, n, dee, email, "Dee")

		personal := []string{first, last, bio, user, phone, email}
		n.mustHold(t, personal)
		for _, c := range []*httpCaller{cal, dee} {
			if r := c.call("account.delete", nil); !r.OK {
				t.Fatalf("account.delete: %s", r.code())
			}
		}
		n.waitErased(t, "an erased account's profile", personal...)
	})
}
