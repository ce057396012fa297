package main

// Acknowledged means durable: the real binary is killed with SIGKILL in
// the middle of a burst of sends, and every send it had answered "ok" is
// there after the restart, with the same id and text. Sends it had not
// answered may or may not be there; retrying them with their random_id
// makes each exactly once.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/havenchat/haven/internal/store/postgres/pgtest"
)

// crashMsg is one attempted send.
type crashMsg struct {
	token    string
	randomID int64
	text     string
	acked    bool
	id       int64 // when acked
}

type crashView struct {
	ChatID int64  `json:"chat_id"`
	ID     int64  `json:"id"`
	Text   string `json:"text"`
}

// trySend sends one message and returns its view, or an error for
// anything but an ok answer.
func trySend(hc *http.Client, base, token string, params map[string]any) (crashView, error) {
	var v crashView
	body, _ := json.Marshal(params)
	req, err := http.NewRequest("POST", base+"/api/messages.send", bytes.NewReader(body))
	if err != nil {
		return v, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return v, err
	}
	defer resp.Body.Close()
	var env envelope
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return v, fmt.Errorf("HTTP %d: %w", resp.StatusCode, err)
	}
	if !env.OK {
		return v, fmt.Errorf("HTTP %d: %s: %s", resp.StatusCode, env.Error.Code, env.Error.Message)
	}
	return v, json.Unmarshal(env.Result, &v)
}

// wholeHistory pages through a chat, oldest first.
func wholeHistory(t *testing.T, base, token string, chatID int64) []crashView {
	t.Helper()
	var all []crashView
	var before int64
	for {
		var page []crashView
		call(t, base, "messages.history", token, map[string]int64{"chat_id": chatID, "before_id": before, "limit": 100}, &page)
		all = append(all, page...)
		if len(page) < 100 {
			break
		}
		before = page[len(page)-1].ID
	}
	slices.Reverse(all)
	return all
}

func TestKillDuringBurst(t *testing.T) {
	t.Parallel()
	killDuringBurst(t, nil)
}

// TestKillDuringBurstOnPostgres is the same with the data in PostgreSQL
// (haven serve --db): an answered send is committed there too.
func TestKillDuringBurstOnPostgres(t *testing.T) {
	t.Parallel()
	srv := pgtest.Get(t)
	killDuringBurst(t, []string{"--db", srv.ConnString(srv.NewEmpty(t))})
}

// killDuringBurst kills a server (started with the settings db) in the
// middle of a burst of sends, restarts it and checks every answered send.
func killDuringBurst(t *testing.T, db []string) {
	data := t.TempDir()
	flags := append([]string{"--flood-rate", "100000", "--flood-burst", "100000"}, db...)
	p := startServing(t, data, flags...)
	tokA, _ := signUp(t, p, "+442079460021", "Ann", 1)
	tokB, bob := signUp(t, p, "+442079460022", "Bob", 2)
	// Ann finds Bob by his username: an id alone reaches nobody.
	call(t, p.url, "account.updateUsername", tokB, map[string]string{"username": "bob_bursts"}, nil)
	call(t, p.url, "users.resolveUsername", tokA, map[string]string{"username": "bob_bursts"}, nil)
	var first crashView
	call(t, p.url, "messages.send", tokA, map[string]any{"user_id": bob.ID, "text": "before the burst", "random_id": 1}, &first)
	chat := first.ChatID

	// Eight senders, four as each person, over keep-alive connections.
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: tr}
	const workers = 8
	var (
		mu       sync.Mutex
		attempts []*crashMsg
		acks     atomic.Int64
		wg       sync.WaitGroup
		failures = make([]error, workers)
	)
	for w := range workers {
		token := []string{tokA, tokB}[w%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ; k++ {
				m := &crashMsg{token: token, randomID: int64(w+1)*1_000_000 + int64(k), text: fmt.Sprintf("sender %d message %d", w, k)}
				mu.Lock()
				attempts = append(attempts, m)
				mu.Unlock()
				v, err := trySend(hc, p.url, token, map[string]any{"chat_id": chat, "text": m.text, "random_id": m.randomID})
				if err != nil {
					failures[w] = err // the server is gone
					return
				}
				mu.Lock()
				m.acked, m.id = true, v.ID
				mu.Unlock()
				acks.Add(1)
			}
		}()
	}
	// Kill it mid-burst: after a second, or sooner with many answers, but
	// never before some.
	began := time.Now()
	for acks.Load() < 50 || (time.Since(began) < time.Second && acks.Load() < 5000) {
		if time.Since(began) > 20*time.Second {
			t.Fatalf("only %d sends answered in 20s", acks.Load())
		}
		time.Sleep(time.Millisecond)
	}
	p.signal(syscall.SIGKILL)
	if code := p.wait(10 * time.Second); code != -1 {
		t.Fatalf("exit %d after SIGKILL, want death by signal", code)
	}
	wg.Wait()
	acked := acks.Load()
	elapsed := time.Since(began)
	for w, err := range failures {
		if err == nil {
			t.Fatalf("sender %d did not fail when the server died", w)
		}
	}
	t.Logf("killed with SIGKILL after %v: %d sends acknowledged, %d in flight (unanswered); %.0f sends/s", elapsed.Round(time.Millisecond), acked, int64(len(attempts))-acked, float64(acked)/elapsed.Seconds())

	q := startServing(t, data, flags...)
	hist := wholeHistory(t, q.url, tokB, chat)
	byText := map[string]crashView{}
	for _, m := range hist {
		if _, dup := byText[m.Text]; dup {
			t.Fatalf("%q is in the history twice", m.Text)
		}
		byText[m.Text] = m
	}
	lost, kept := 0, 0
	for _, m := range attempts {
		got, ok := byText[m.text]
		switch {
		case m.acked && (!ok || got.ID != m.id):
			lost++
			t.Errorf("acknowledged message %d %q: after the restart %+v (present %v)", m.id, m.text, got, ok)
		case !m.acked && ok:
			kept++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged messages lost or changed by the crash", lost, acked)
	}
	t.Logf("after the restart: all %d acknowledged messages there; %d of the %d unanswered ones were committed", acked, kept, int64(len(attempts))-acked)

	// Retrying every send with its random_id (as a client whose request
	// went unanswered does): the acknowledged and the committed ones
	// answer their first result, the others are made now, once.
	for _, m := range attempts {
		v, err := trySend(hc, q.url, m.token, map[string]any{"chat_id": chat, "text": m.text, "random_id": m.randomID})
		if err != nil {
			t.Fatalf("retrying %q: %v", m.text, err)
		}
		if before, ok := byText[m.text]; ok && v.ID != before.ID {
			t.Fatalf("retrying %q made message %d; it was already %d", m.text, v.ID, before.ID)
		}
		if v.Text != m.text {
			t.Fatalf("retrying %q answered %+v", m.text, v)
		}
		m.id = v.ID
	}
	hist = wholeHistory(t, q.url, tokA, chat)
	if len(hist) != len(attempts)+1 {
		t.Fatalf("%d messages after the retries, want %d (each random_id once, plus the first)", len(hist), len(attempts)+1)
	}
	ids := map[string]int64{}
	for i, m := range hist {
		if m.ID != int64(i+1) {
			t.Fatalf("message ids are not 1..%d: %d at %d", len(hist), m.ID, i)
		}
		if _, dup := ids[m.Text]; dup {
			t.Fatalf("%q twice after the retries", m.Text)
		}
		ids[m.Text] = m.ID
	}
	for _, m := range attempts {
		if ids[m.text] != m.id {
			t.Fatalf("%q: message %d in the history, the retry answered %d", m.text, ids[m.text], m.id)
		}
	}
	// The chat's log agrees: one message.new per message, seqs 1..n.
	var seq int64
	news := 0
	for {
		var d struct {
			Events []struct {
				Seq       int64  `json:"seq"`
				Kind      string `json:"kind"`
				MessageID int64  `json:"message_id"`
			} `json:"events"`
			More bool `json:"more"`
		}
		call(t, q.url, "sync.getChatDifference", tokA, map[string]int64{"chat_id": chat, "seq": seq}, &d)
		for _, e := range d.Events {
			if e.Seq != seq+1 {
				t.Fatalf("the chat's log jumps from seq %d to %d", seq, e.Seq)
			}
			seq = e.Seq
			if e.Kind == "message.new" {
				news++
				if e.MessageID != int64(news) {
					t.Fatalf("message.new %d names message %d", news, e.MessageID)
				}
			}
		}
		if !d.More {
			break
		}
	}
	if news != len(hist) {
		t.Fatalf("%d message.new events for %d messages", news, len(hist))
	}
	q.stop()
}
