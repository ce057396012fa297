package main

// The operator's backup and restore, with the real binary: a backup of a
// server in the middle of a burst of sends, restored into a new data
// directory, serves the same history, files and sign-ins on a new server.

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdk "github.com/havenchat/haven/client"
)

// runAdmin runs "haven admin args..." to completion.
func runAdmin(t *testing.T, args ...string) result {
	t.Helper()
	return runHaven(t, t.TempDir(), cleanEnv(), append([]string{"admin"}, args...)...)
}

func TestBackupRestoreBusyServer(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	flags := []string{"--flood-rate", "100000", "--flood-burst", "100000"}
	p := startServing(t, data, flags...)
	tokA, ann := signUp(t, p, "+442079460031", "Ann", 1)
	tokB, bob := signUp(t, p, "+442079460032", "Bob", 2)
	// Ann finds Bob by his username: an id alone reaches nobody.
	call(t, p.url, "account.updateUsername", tokB, map[string]string{"username": "bob_backs_up"}, nil)
	call(t, p.url, "users.resolveUsername", tokA, map[string]string{"username": "bob_backs_up"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// A file, sent in the chat, and a signed link to it.
	annSDK := sdk.New(p.url, sdk.WithToken(tokA))
	blob := make([]byte, 700<<10) // two parts
	rand.Read(blob)
	f, err := annSDK.UploadFile(ctx, bytes.NewReader(blob), int64(len(blob)), "notes.bin")
	if err != nil {
		t.Fatal(err)
	}
	first, err := annSDK.SendMedia(ctx, &sdk.MediaParams{UserID: bob.ID, Kind: "document", FileID: f.ID, Caption: "the notes"})
	if err != nil {
		t.Fatal(err)
	}
	chat := first.ChatID
	signed, err := annSDK.FileURL(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	signedPath := signed.URL[strings.Index(signed.URL, "/files/"):]
	// A sign-in begun before the backup, finished after the restore: its
	// code is stored keyed by secret.key.
	var pending sentCode
	call(t, p.url, "auth.sendCode", "", map[string]string{"identifier": "+442079460031", "device": "restored"}, &pending)
	pendingCode := p.code("+442079460031", 3)

	// Senders keep sending through the backup.
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	var (
		stop   atomic.Bool
		mu     sync.Mutex
		acked  = map[int64]string{} // id → text
		wg     sync.WaitGroup
		failed atomic.Value
	)
	for w := range 4 {
		token := []string{tokA, tokB}[w%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; !stop.Load(); k++ {
				text := fmt.Sprintf("busy %d-%d", w, k)
				v, err := trySend(hc, p.url, token, map[string]any{"chat_id": chat, "text": text, "random_id": int64(w+1)*1_000_000 + int64(k)})
				if err != nil {
					failed.Store(err)
					return
				}
				mu.Lock()
				acked[v.ID] = text
				mu.Unlock()
			}
		}()
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d sends answered in 20s", n)
		}
	}
	mu.Lock()
	before := make(map[int64]string, len(acked))
	for id, text := range acked {
		before[id] = text
	}
	mu.Unlock()

	backup := filepath.Join(t.TempDir(), "backup")
	r := runAdmin(t, "backup", "--data-dir", data, backup)
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	stop.Store(true)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatalf("a send failed: %v", err)
	}
	if r.code != 0 || !strings.Contains(r.stdout, "Backed up") || !strings.Contains(r.stdout, "3 blobs") {
		t.Fatalf("haven admin backup: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("%d sends answered before the backup, %d while it ran\n%s", len(before), during, r.stdout)
	if during == 0 {
		t.Logf("no send was answered while the backup ran (a fast backup on a slow machine): the snapshot's consistency is still checked below")
	}
	for _, name := range []string{"backup.json", "haven.db", "keys/secret.key", "keys/vapid.key"} {
		fi, err := os.Stat(filepath.Join(backup, name))
		if err != nil {
			t.Fatalf("the backup has no %s: %v", name, err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s in the backup: mode %v, want no access for group and others", name, fi.Mode())
		}
	}
	if r := runAdmin(t, "backup", "--data-dir", data, backup); r.code != 1 || !strings.Contains(r.stderr, "not empty") {
		t.Errorf("a backup into a non-empty directory: exit %d, stderr %q; want 1 and \"not empty\"", r.code, r.stderr)
	}

	// Restore: never over the running server's data.
	if r := runAdmin(t, "restore", "--data-dir", data, backup); r.code != 1 || !strings.Contains(r.stderr, "not empty") {
		t.Fatalf("a restore into the server's own data directory: exit %d, stderr %q; want 1 and \"not empty\"", r.code, r.stderr)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	if r := runAdmin(t, "restore", "--data-dir", restored, backup); r.code != 0 || !strings.Contains(r.stdout, "Restored") {
		t.Fatalf("haven admin restore: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	q := startServing(t, restored, flags...)

	// The same history: a consistent snapshot is the first messages of
	// the chat with none missing, and it holds every send answered before
	// the backup began.
	live := wholeHistory(t, p.url, tokA, chat)
	got := wholeHistory(t, q.url, tokB, chat)
	if len(got) < len(before)+1 || len(got) > len(live) {
		t.Fatalf("the restored chat has %d messages; want at least %d (answered before the backup, and the file) and at most %d", len(got), len(before)+1, len(live))
	}
	for i, m := range got {
		if m.ID != live[i].ID || m.Text != live[i].Text {
			t.Fatalf("restored message %d is %+v, the server's %+v: not a snapshot of the chat", i, m, live[i])
		}
	}
	for id, text := range before {
		if id > int64(len(got)) || got[id-1].Text != text {
			t.Fatalf("message %d %q, answered before the backup, is not in the restored chat", id, text)
		}
	}

	// The same files, downloaded with a session, and by the link signed
	// before the backup (the same secret.key).
	var buf bytes.Buffer
	if _, err := sdk.New(q.url, sdk.WithToken(tokB)).Download(ctx, f.ID, &buf); err != nil || !bytes.Equal(buf.Bytes(), blob) {
		t.Fatalf("the file on the restored server: %d bytes, %v; want the %d uploaded", buf.Len(), err, len(blob))
	}
	resp, err := client.Get(q.url + signedPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the link signed before the backup, on the restored server: %d", resp.StatusCode)
	}

	// Sessions and sign-ins go on: the old token, and the sign-in begun
	// before the backup, whose code only the same secret.key accepts.
	var me user
	call(t, q.url, "users.getMe", tokA, struct{}{}, &me)
	if me.ID != ann.ID {
		t.Fatalf("users.getMe on the restored server: %+v, want %d", me, ann.ID)
	}
	var auth authorization
	call(t, q.url, "auth.signIn", "", map[string]string{"login_token": pending.LoginToken, "code": pendingCode}, &auth)
	if auth.Status != "authorized" || auth.User.ID != ann.ID {
		t.Fatalf("finishing on the restored server a sign-in begun before the backup: %+v", auth)
	}
	// The search index, left out of the backup, was rebuilt.
	hits, err := sdk.New(q.url, sdk.WithToken(tokA)).Search(ctx, sdk.SearchParams{Query: "busy", ChatID: chat, Limit: 5})
	if err != nil || len(hits) == 0 {
		t.Fatalf("searching the restored server: %d hits, %v", len(hits), err)
	}
}

var inviteCodeLine = regexp.MustCompile(`(?m)^Invite code: (hvi(?:-[a-z2-7]{4}){4})$`)

// TestAdminInvitesAndLogin: on a running server whose sign-up is by
// invite, the operator makes invite codes from another process, and
// people sign up with haven login, asked for the code, or giving the
// invite link.
func TestAdminInvitesAndLogin(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	p := startServing(t, data, "--signup", "invite", "--public-url", "http://chat.example.org")
	r := runAdmin(t, "invite", "create", "--uses", "2", "--expires", "30d", "--data-dir", data, "--public-url", "http://chat.example.org")
	m := inviteCodeLine.FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil || !strings.Contains(r.stdout, "Link:        http://chat.example.org/join/"+m[1]) ||
		!strings.Contains(r.stdout, "lets in 2 people") {
		t.Fatalf("haven admin invite create: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	code := m[1]

	// Asked for the code: a wrong one first, then the link pasted.
	ann := newPerson(t, p.url)
	res := runTalking(t, t.TempDir(), ann.env, func(stdin io.Writer) {
		fmt.Fprintln(stdin, "+442079460041")
		fmt.Fprintln(stdin, p.code("+442079460041", 1))
		fmt.Fprintln(stdin, "hvi-aaaa-bbbb-cccc-dddd")
		fmt.Fprintln(stdin, "Ann")
		fmt.Fprintln(stdin, "")
		// Refused, the code is asked again (not the name).
		fmt.Fprintln(stdin, "http://chat.example.org/join/"+code)
	}, "login")
	wantRun(t, "haven login with an invite code asked for", res, 0, []string{"Signed in as Ann"},
		[]string{"by invitation", "Invite code", "does not let you in", "INVITE_CODE_INVALID"})

	// The link on the command line names the server and the code.
	bob := newPerson(t, "")
	res = runTalking(t, t.TempDir(), bob.env, func(stdin io.Writer) {
		fmt.Fprintln(stdin, "+442079460042")
		fmt.Fprintln(stdin, p.code("+442079460042", 2))
		fmt.Fprintln(stdin, "Bob")
		fmt.Fprintln(stdin, "")
	}, "login", p.url+"/join/"+strings.ToUpper(code))
	wantRun(t, "haven login LINK", res, 0, []string{"Signed in as Bob", p.url}, nil)
	if strings.Contains(res.stderr, "Invite code:") {
		t.Errorf("haven login LINK asked for the code it was given:\n%s", res.stderr)
	}

	// Used up: the third person is told so, and asked for another.
	cy := newPerson(t, p.url)
	res = runTalking(t, t.TempDir(), cy.env, func(stdin io.Writer) {
		fmt.Fprintln(stdin, "+442079460043")
		fmt.Fprintln(stdin, p.code("+442079460043", 3))
		fmt.Fprintln(stdin, "Cy")
		fmt.Fprintln(stdin, "")
	}, "login", "--invite", code)
	wantRun(t, "haven login with a used-up code", res, 1, nil, []string{"INVITE_CODE_USED_UP"})
	if cy.hasSession() {
		t.Errorf("a refused sign-up stored a session")
	}

	r = runAdmin(t, "invite", "list", "--data-dir", data)
	if r.code != 0 || !regexp.MustCompile(`(?m)^1 +\S+ \S+ UTC +operator +\S+ \S+ UTC +2/2 +used up$`).MatchString(r.stdout) {
		t.Fatalf("haven admin invite list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Not given the server's settings, the command says what it assumed.
	r = runAdmin(t, "invite", "create", "--data-dir", data)
	fresh := inviteCodeLine.FindStringSubmatch(r.stdout)
	if fresh == nil || !strings.Contains(r.stdout, "http://127.0.0.1:8080/join/"+fresh[1]) || !strings.Contains(r.stderr, "sign-up is open") {
		t.Fatalf("haven admin invite create without the server's settings: %s%s", r.stdout, r.stderr)
	}
	if r := runAdmin(t, "invite", "revoke", fresh[1], "--data-dir", data); r.code != 0 {
		t.Fatalf("haven admin invite revoke: exit %d %s", r.code, r.stderr)
	}
	dee := newPerson(t, p.url)
	res = runTalking(t, t.TempDir(), dee.env, func(stdin io.Writer) {
		fmt.Fprintln(stdin, "+442079460044")
		fmt.Fprintln(stdin, p.code("+442079460044", 4))
		fmt.Fprintln(stdin, "Dee")
		fmt.Fprintln(stdin, "")
	}, "login", "--invite", fresh[1])
	wantRun(t, "haven login with a revoked code", res, 1, nil, []string{"INVITE_CODE_EXPIRED"})
	if r := runAdmin(t, "invite", "revoke", "999", "--data-dir", data); r.code != 1 || !strings.Contains(r.stderr, "INVITE_CODE_INVALID") {
		t.Errorf("revoking an invite that does not exist: exit %d %q", r.code, r.stderr)
	}
	if r := runAdmin(t, "invite", "create", "--data-dir", filepath.Join(data, "nothing")); r.code != 1 || !strings.Contains(r.stderr, "no Haven database") {
		t.Errorf("haven admin on a directory without a server: exit %d %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(data, "nothing")); err == nil {
		t.Errorf("haven admin made a data directory")
	}
}

// TestClosedSignupLogin: haven login says plainly that a closed server
// makes no accounts, and signs in the person the operator made.
func TestClosedSignupLogin(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	p := startServing(t, data, "--signup", "closed")
	ann := newPerson(t, p.url)
	res := ann.login(p, "+442079460051", 1, func(code string) []string { return []string{code} })
	wantRun(t, "haven login on a closed server", res, 1, nil, []string{"no account for +442079460051", "makes none by sign-up", "operator"})
	if strings.Contains(res.stderr, "First name") {
		t.Errorf("haven login asked for a name on a closed server:\n%s", res.stderr)
	}

	r := runAdmin(t, "user", "create", "--data-dir", data, "+44 20 7946 0051", "Ann", "Lee")
	if r.code != 0 || !strings.Contains(r.stdout, "Made the account user:") || !strings.Contains(r.stdout, "+442079460051") {
		t.Fatalf("haven admin user create: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runAdmin(t, "user", "create", "--data-dir", data, "+442079460051", "Ann"); r.code != 1 || !strings.Contains(r.stderr, "ACCOUNT_EXISTS") {
		t.Errorf("making the account twice: exit %d %q", r.code, r.stderr)
	}
	if r := runAdmin(t, "user", "create", "--data-dir", data, "07946", "Ann"); r.code != 1 || !strings.Contains(r.stderr, "PHONE_INVALID") {
		t.Errorf("a bad number: exit %d %q", r.code, r.stderr)
	}
	res = ann.login(p, "+442079460051", 2, func(code string) []string { return []string{code} })
	wantRun(t, "haven login to the operator's account", res, 0, []string{"Signed in as Ann Lee"}, nil)
}
