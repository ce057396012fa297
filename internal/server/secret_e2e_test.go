package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/havenchat/haven/e2ee"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to look into a PostgreSQL node's database
	_ "modernc.org/sqlite"
)

// secretDevice is one test device: its e2ee keys, its sessions with
// others, and the caller acting as its session.
type secretDevice struct {
	api  caller
	user int64
	dev  *e2ee.Device
	ss   *e2ee.Sessions
}

func newSecretDevice(t *testing.T, api caller, user int64, acct *e2ee.AccountKey, id e2ee.DeviceID) *secretDevice {
	t.Helper()
	dev, err := e2ee.NewDevice(user, acct.Public(), id)
	if err != nil {
		t.Fatal(err)
	}
	return &secretDevice{api: api, user: user, dev: dev, ss: e2ee.NewSessions(dev.Identity())}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func unb64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type preKeyCounts struct {
	OneTime    int  `json:"one_time"`
	OneTimeKEM int  `json:"one_time_kem"`
	Low        bool `json:"low"`
}

// upload uploads n one-time prekeys of each kind with the device's keys.
func (d *secretDevice) upload(t *testing.T, n int) preKeyCounts {
	t.Helper()
	up, err := d.dev.NewPreKeys(n)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := up.MarshalBinary()
	var c preKeyCounts
	d.api.call("secret.uploadKeys", map[string]string{"keys": b64(b)}).into(t, &c)
	return c
}

func signList(t *testing.T, acct *e2ee.AccountKey, user int64, version uint64, ds ...*secretDevice) *e2ee.DeviceList {
	t.Helper()
	var es []e2ee.DeviceEntry
	for _, d := range ds {
		es = append(es, e2ee.DeviceEntry{ID: d.dev.ID(), Key: d.dev.Key()})
	}
	l, err := e2ee.SignDeviceList(acct, user, version, es)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func setList(api caller, l *e2ee.DeviceList) reply {
	b, _ := l.MarshalBinary()
	return api.call("secret.setDeviceList", map[string]string{"list": b64(b)})
}

type bundlesView struct {
	List    string   `json:"list"`
	Active  []uint32 `json:"active"`
	Bundles []string `json:"bundles"`
}

// bundles fetches user's list and bundles and checks both.
func (d *secretDevice) bundles(t *testing.T, user int64, ids ...uint32) (*e2ee.DeviceList, []*e2ee.Bundle) {
	t.Helper()
	var v bundlesView
	d.api.call("secret.getBundles", map[string]any{"user_id": user, "device_ids": ids}).into(t, &v)
	l, err := e2ee.ParseDeviceList(unb64(t, v.List))
	if err != nil {
		t.Fatalf("the served device list: %v", err)
	}
	var bs []*e2ee.Bundle
	for _, s := range v.Bundles {
		b, err := e2ee.ParseBundle(unb64(t, s))
		if err != nil {
			t.Fatalf("a served bundle: %v", err)
		}
		if _, err := b.Verify(l); err != nil {
			t.Fatalf("a served bundle does not verify: %v", err)
		}
		bs = append(bs, b)
	}
	return l, bs
}

type outEnvelope struct {
	UserID   int64  `json:"user_id"`
	DeviceID uint32 `json:"device_id"`
	RandomID int64  `json:"random_id"`
	Body     string `json:"body"`
}

func sendEnvelopes(api caller, es ...outEnvelope) reply {
	return api.call("secret.send", map[string]any{"envelopes": es})
}

type secretInbox struct {
	Envelopes []struct {
		ID       int64  `json:"id"`
		Envelope string `json:"envelope"`
		Date     int64  `json:"date"`
	} `json:"envelopes"`
	PreKeys preKeyCounts `json:"prekeys"`
}

// receive fetches the device's queue, decrypts each envelope with the
// sender's list, acknowledges them, and returns the plaintexts.
func (d *secretDevice) receive(t *testing.T, lists map[int64]*e2ee.DeviceList) ([]string, preKeyCounts) {
	t.Helper()
	var in secretInbox
	d.api.call("secret.fetch", nil).into(t, &in)
	var out []string
	var last int64
	for _, q := range in.Envelopes {
		env, err := e2ee.ParseEnvelope(unb64(t, q.Envelope))
		if err != nil {
			t.Fatalf("a fetched envelope: %v", err)
		}
		if env.To != (e2ee.Address{User: d.user, Device: d.dev.ID()}) {
			t.Fatalf("an envelope for %v reached %d.%d", env.To, d.user, d.dev.ID())
		}
		pt, err := d.ss.Decrypt(d.dev, lists[env.From.User], env)
		if err != nil {
			t.Fatalf("decrypting an envelope from %v: %v", env.From, err)
		}
		out = append(out, string(pt))
		last = q.ID
	}
	if last != 0 {
		var ack struct {
			Deleted int `json:"deleted"`
		}
		d.api.call("secret.ack", map[string]int64{"up_to_id": last}).into(t, &ack)
		if ack.Deleted != len(in.Envelopes) {
			t.Fatalf("ack deleted %d, want %d", ack.Deleted, len(in.Envelopes))
		}
	}
	return out, in.PreKeys
}

// encryptTo encrypts text to every device in to (which need sessions).
func (d *secretDevice) encryptTo(t *testing.T, to []e2ee.Address, text string) []outEnvelope {
	t.Helper()
	es, err := d.ss.Encrypt(to, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	var out []outEnvelope
	for _, e := range es {
		out = append(out, outEnvelope{UserID: e.To.User, DeviceID: uint32(e.To.Device), RandomID: safeRID(), Body: b64(e.Body)})
	}
	return out
}

// TestSecretRelay: two people, one with two devices, through the real
// server: device lists and bundles, each one-time prekey handed out once,
// a device out of them still reached and told to upload more, envelopes
// queued per device, pushed to that device's session only, fetched,
// acknowledged and gone; retries, limits and named errors.
func TestSecretRelay(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps := cast(t, n, &ph, []string{"Ann", "Bob"}, 2)
	ann, bob := ps[0], ps[1]
	ann2 := &httpCaller{t: t, base: n.url}
	_, a2 := codeSignIn(t, n, ann2, ann.phone, "Ann's tablet")
	ann2.setToken(a2.Token)
	ann2Sock := openSock(t, n, a2.Token, "Ann's tablet")

	annKey, _ := e2ee.NewAccountKey()
	bobKey, _ := e2ee.NewAccountKey()
	a1d := newSecretDevice(t, ann.api, ann.id, annKey, 1)
	a2d := newSecretDevice(t, ann2, ann.id, annKey, 2)
	bd := newSecretDevice(t, bob.api, bob.id, bobKey, 7)

	// Before any keys: no device to send from, none to fetch for.
	wantCode(t, ann.api.call("secret.fetch", nil), "SECRET_NO_DEVICE", "fetching without keys")
	if c := a1d.upload(t, 5); c.OneTime != 5 || c.OneTimeKEM != 5 || !c.Low {
		t.Fatalf("counts after uploading 5: %+v, want 5, 5 and low", c)
	}
	a2d.upload(t, 5)
	if c := bd.upload(t, 2); c.OneTime != 2 || c.OneTimeKEM != 2 {
		t.Fatalf("Bob's counts: %+v", c)
	}
	annList := signList(t, annKey, ann.id, 1, a1d, a2d)
	bobList := signList(t, bobKey, bob.id, 1, bd)
	if r := setList(ann.api, annList); !r.OK {
		t.Fatalf("Ann's list: %s", r.code())
	}
	if r := setList(bob.api, bobList); !r.OK {
		t.Fatalf("Bob's list: %s", r.code())
	}
	lists := map[int64]*e2ee.DeviceList{ann.id: annList, bob.id: bobList}

	// Bad lists and keys change nothing.
	wantCode(t, setList(ann.api, annList), "SECRET_DEVICE_LIST_OLD", "the same version again")
	wantCode(t, setList(ann.api, bobList), "SECRET_DEVICE_LIST_INVALID", "another person's list")
	lb, _ := annList.MarshalBinary()
	lb[len(lb)-1] ^= 1
	wantCode(t, ann.api.call("secret.setDeviceList", map[string]string{"list": b64(lb)}), "SECRET_DEVICE_LIST_INVALID", "a list with a bad signature")
	wantCode(t, ann.api.call("secret.setDeviceList", map[string]string{"list": "%%%"}), "PARAM_INVALID", "a list that is not base64")
	up, _ := a1d.dev.NewPreKeys(1)
	ub, _ := up.MarshalBinary()
	ub[len(ub)-1] ^= 1
	wantCode(t, ann.api.call("secret.uploadKeys", map[string]string{"keys": b64(ub)}), "SECRET_KEYS_INVALID", "keys with a bad signature")
	wantCode(t, ann.api.call("secret.uploadKeys", map[string]string{"keys": b64([]byte("garbage"))}), "SECRET_KEYS_INVALID", "garbage keys")
	taken := newSecretDevice(t, ann2, ann.id, annKey, 1)
	up, _ = taken.dev.NewPreKeys(1)
	ub, _ = up.MarshalBinary()
	wantCode(t, ann2.call("secret.uploadKeys", map[string]string{"keys": b64(ub)}), "SECRET_DEVICE_TAKEN", "another session's device id")

	// Who sees whom: Bob's keys are not Ann's to fetch before they meet.
	wantCode(t, ann.api.call("secret.getBundles", map[string]any{"user_id": bob.id}), "USER_NOT_FOUND", "bundles of a stranger")
	wantCode(t, ann.api.call("secret.getDevices", map[string]any{"user_id": bob.id}), "USER_NOT_FOUND", "devices of a stranger")
	wantCode(t, sendEnvelopes(ann.api, outEnvelope{UserID: bob.id, DeviceID: 7, RandomID: 1, Body: b64([]byte("M"))}), "USER_NOT_FOUND", "sending to a stranger")
	meetP(t, ann, bob)

	// Ann's first device starts sessions with Bob's device and her other
	// one; each bundle has its own one-time prekeys.
	l, bs := a1d.bundles(t, bob.id)
	if l.Version != 1 || len(bs) != 1 || !bs[0].HasOneTime || bs[0].KEM.LastResort {
		t.Fatalf("Bob's bundles: version %d, %d bundles %+v", l.Version, len(bs), bs)
	}
	first := bs[0]
	_, own := a1d.bundles(t, ann.id)
	if len(own) != 1 || own[0].Device != 2 {
		t.Fatalf("Ann's own bundles for her first device: %+v, want device 2 only", own)
	}
	for _, b := range append(bs, own...) {
		s, err := e2ee.Initiate(a1d.dev, lists[b.User], b)
		if err != nil {
			t.Fatal(err)
		}
		a1d.ss.Put(s)
	}
	to := e2ee.Recipients(a1d.dev.Identity().Address(), bobList, annList)
	out := a1d.encryptTo(t, to, "hello Bob")
	var sent struct {
		Queued int `json:"queued"`
	}
	sendEnvelopes(ann.api, out...).into(t, &sent)
	if sent.Queued != 2 {
		t.Fatalf("queued %d, want 2", sent.Queued)
	}
	sendEnvelopes(ann.api, out...).into(t, &sent) // a retry
	if sent.Queued != 0 {
		t.Fatalf("a retried send queued %d more", sent.Queued)
	}
	nextPushOf(t, bob.ws, "secret.envelope")
	nextPushOf(t, ann2Sock, "secret.envelope")
	for _, d := range []*secretDevice{bd, a2d} {
		got, _ := d.receive(t, lists)
		if len(got) != 1 || got[0] != "hello Bob" {
			t.Fatalf("device %d.%d received %q, want one hello", d.user, d.dev.ID(), got)
		}
		if again, _ := d.receive(t, lists); len(again) != 0 {
			t.Fatalf("acknowledged envelopes came back: %q", again)
		}
	}
	// Bob answers to both of Ann's devices.
	for _, b := range func() []*e2ee.Bundle { _, bs := bd.bundles(t, ann.id); return bs }() {
		if bd.ss.Get(e2ee.Address{User: b.User, Device: b.Device}) == nil {
			s, err := e2ee.Initiate(bd.dev, annList, b)
			if err != nil {
				t.Fatal(err)
			}
			bd.ss.Put(s)
		}
	}
	sendEnvelopes(bob.api, bd.encryptTo(t, e2ee.Recipients(bd.dev.Identity().Address(), annList, bobList), "hi Ann")...).into(t, &sent)
	for _, d := range []*secretDevice{a1d, a2d} {
		if got, _ := d.receive(t, lists); len(got) != 1 || got[0] != "hi Ann" {
			t.Fatalf("Ann's device %d received %q", d.dev.ID(), got)
		}
	}
	// The push went to the recipient device's session only: Ann's first
	// session, the sender of the first message, got none for it; it got
	// Bob's answer.
	nextPushOf(t, ann.ws, "secret.envelope")
	ann.ws.mu.Lock()
	pushes := 0
	for _, r := range ann.ws.other {
		if strings.Contains(string(r), `"push":"secret.envelope"`) {
			pushes++
		}
	}
	ann.ws.mu.Unlock()
	if pushes != 1 {
		t.Fatalf("Ann's first session got %d secret.envelope pushes, want 1 (Bob's answer only)", pushes)
	}

	// Bob had 2 one-time prekeys and handed out one: one more bundle takes
	// the last, then he is out but still reachable, and told so.
	_, bs = a2d.bundles(t, bob.id, 7)
	if len(bs) != 1 || !bs[0].HasOneTime || bs[0].OneTime.ID == first.OneTime.ID || bs[0].KEM.ID == first.KEM.ID {
		t.Fatalf("second bundle %+v reuses the first's one-time keys", bs)
	}
	nextPushOf(t, bob.ws, "secret.preKeysLow")
	_, bs = a2d.bundles(t, bob.id, 7)
	if len(bs) != 1 || bs[0].HasOneTime || !bs[0].KEM.LastResort {
		t.Fatalf("a bundle of a device out of one-time prekeys: %+v, want signed and last-resort only", bs)
	}
	s, err := e2ee.Initiate(a2d.dev, bobList, bs[0])
	if err != nil {
		t.Fatal(err)
	}
	a2d.ss.Put(s)
	sendEnvelopes(ann2, a2d.encryptTo(t, []e2ee.Address{{User: bob.id, Device: 7}}, "from the tablet")...).into(t, &sent)
	got, counts := bd.receive(t, lists)
	if len(got) != 1 || got[0] != "from the tablet" {
		t.Fatalf("Bob received %q from a session made without one-time prekeys", got)
	}
	if counts.OneTime != 0 || counts.OneTimeKEM != 0 || !counts.Low {
		t.Fatalf("Bob's counts: %+v, want none and low", counts)
	}
	if c := bd.upload(t, 30); c.OneTime != 30 || c.Low {
		t.Fatalf("after replenishing: %+v", c)
	}

	// Limits and named errors; none queues anything.
	body := b64([]byte("M"))
	big := b64(append([]byte("M"), make([]byte, e2ee.MaxMessageSize)...))
	wantCode(t, sendEnvelopes(ann.api, outEnvelope{UserID: bob.id, DeviceID: 7, RandomID: 1, Body: big}), "SECRET_ENVELOPE_TOO_LARGE", "a body over the limit")
	wantCode(t, sendEnvelopes(ann.api, outEnvelope{UserID: bob.id, DeviceID: 7, RandomID: 1, Body: b64([]byte("hello"))}), "SECRET_ENVELOPE_INVALID", "a body that is no e2ee message")
	wantCode(t, sendEnvelopes(ann.api, outEnvelope{UserID: bob.id, DeviceID: 8, RandomID: 1, Body: body}), "SECRET_DEVICE_NOT_FOUND", "a device Bob does not have")
	wantCode(t, sendEnvelopes(ann.api, outEnvelope{UserID: bob.id, DeviceID: 7, RandomID: 1, Body: body},
		outEnvelope{UserID: bob.id, DeviceID: 8, RandomID: 2, Body: body}), "SECRET_DEVICE_NOT_FOUND", "one good envelope and one bad")
	many := make([]outEnvelope, 201)
	for i := range many {
		many[i] = outEnvelope{UserID: bob.id, DeviceID: 7, RandomID: int64(i + 1), Body: body}
	}
	wantCode(t, sendEnvelopes(ann.api, many...), "SECRET_ENVELOPES_TOO_MANY", "201 envelopes")
	if got, _ := bd.receive(t, lists); len(got) != 0 {
		t.Fatalf("refused sends queued %d envelopes", len(got))
	}

	// A block shuts Ann out of Bob's keys and queue.
	bob.api.call("contacts.block", map[string]int64{"user_id": ann.id}).into(t, new(bool))
	wantCode(t, ann.api.call("secret.getBundles", map[string]any{"user_id": bob.id}), "USER_BLOCKED", "bundles of someone who blocks")
	wantCode(t, sendEnvelopes(ann.api, outEnvelope{UserID: bob.id, DeviceID: 7, RandomID: 9, Body: body}), "USER_BLOCKED", "sending to someone who blocks")
	bob.api.call("contacts.unblock", map[string]int64{"user_id": ann.id}).into(t, new(bool))

	// Envelopes wait 30 days at most.
	sendEnvelopes(ann.api, a1d.encryptTo(t, []e2ee.Address{{User: bob.id, Device: 7}}, "never read")...).into(t, &sent)
	ctx := context.Background()
	n.clock.Advance(29 * 24 * time.Hour)
	if k, err := n.srv.Core().ExpireSecretEnvelopes(ctx); err != nil || k != 0 {
		t.Fatalf("expiring after 29 days: %d, %v", k, err)
	}
	n.clock.Advance(2 * 24 * time.Hour)
	if k, err := n.srv.Core().ExpireSecretEnvelopes(ctx); err != nil || k != 1 {
		t.Fatalf("expiring after 31 days: %d, %v; want 1", k, err)
	}

	// Ending Ann's tablet's session deletes its keys and its queue.
	sendEnvelopes(ann.api, a1d.encryptTo(t, []e2ee.Address{{User: ann.id, Device: 2}}, "to the tablet")...).into(t, &sent)
	db := openDB(t, n)
	if k := rows(t, db, `SELECT COUNT(*) FROM secret_envelopes`); k != 1 {
		t.Fatalf("%d envelopes queued, want 1", k)
	}
	ann2.call("auth.logOut", nil).into(t, new(bool))
	var devs bundlesView
	ann.api.call("secret.getDevices", map[string]any{"user_id": ann.id}).into(t, &devs)
	if len(devs.Active) != 1 || devs.Active[0] != 1 || devs.Bundles != nil {
		t.Fatalf("Ann's devices after her tablet logged out: %+v, want device 1 active", devs)
	}
	if k := rows(t, db, `SELECT COUNT(*) FROM secret_envelopes`) + rows(t, db, `SELECT COUNT(*) FROM secret_prekeys p JOIN secret_devices d USING (session_id) WHERE d.device_id = 2`); k != 0 {
		t.Fatalf("%d envelopes and prekeys of the ended session are left", k)
	}
	wantCode(t, sendEnvelopes(ann.api, outEnvelope{UserID: ann.id, DeviceID: 2, RandomID: 5, Body: body}), "SECRET_DEVICE_NOT_FOUND", "sending to a logged-out device")

	// Deleting Bob's account deletes his list, keys and queue.
	sendEnvelopes(ann.api, a1d.encryptTo(t, []e2ee.Address{{User: bob.id, Device: 7}}, "last words")...).into(t, &sent)
	bob.api.call("account.delete", nil).into(t, new(bool))
	for _, table := range []string{"secret_device_lists", "secret_devices", "secret_prekeys", "secret_envelopes"} {
		if k := rows(t, db, `SELECT COUNT(*) FROM `+table+` WHERE `+map[bool]string{true: "user_id = ?", false: "session_id IN (SELECT id FROM sessions WHERE user_id = ?) OR session_id NOT IN (SELECT id FROM sessions)"}[table == "secret_device_lists" || table == "secret_devices"], bob.id); k != 0 {
			t.Errorf("%d rows of Bob's left in %s after deleting his account", k, table)
		}
	}
	if k := rows(t, db, `SELECT COUNT(*) FROM secret_envelopes`); k != 0 {
		t.Errorf("%d envelopes left after the recipient's account was deleted", k)
	}

	// No envelope's plaintext is in the database or the logs, and the
	// logs hold no envelope either.
	checkNoPlaintext(t, n, "hello Bob", "hi Ann", "from the tablet", "never read", "to the tablet", "last words")
	if logs := n.logs.String(); logs == "" || strings.Contains(logs, out[0].Body[:40]) || strings.Contains(logs, "secret.send") && strings.Contains(logs, "envelopes") {
		t.Errorf("the log is empty or holds an envelope")
	}
}

// openDB opens the node's database to look into: its SQLite file, or its
// PostgreSQL database when the node runs on one.
func openDB(t *testing.T, n *node) *sql.DB {
	t.Helper()
	if len(n.db) == 2 { // --db URL
		db, err := sql.Open("pgx", n.db[1])
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(n.dir, "haven.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// rows runs a count; its ? placeholders are numbered for PostgreSQL
// when the servers run on it.
func rows(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	if pgtest.OnPostgres() {
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	var k int
	if err := db.QueryRow(q, args...).Scan(&k); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return k
}

// checkNoPlaintext scans every file of the node's data directory (the
// database, its write-ahead log, the search index, blobs) and its log for
// the texts.
func checkNoPlaintext(t *testing.T, n *node, texts ...string) {
	t.Helper()
	seen := 0
	err := filepath.WalkDir(n.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		seen++
		for _, text := range texts {
			if bytes.Contains(b, []byte(text)) {
				t.Errorf("%s contains the plaintext %q", path, text)
			}
		}
		return nil
	})
	if err != nil || seen == 0 {
		t.Fatalf("scanning the data directory: %v (%d files)", err, seen)
	}
	logs := n.logs.String()
	for _, text := range texts {
		if strings.Contains(logs, text) {
			t.Errorf("the log contains the plaintext %q", text)
		}
	}
}

// TestSecretQueueFull: a device's queue holds secret-queue envelopes at
// most (10,000 by default; 300 here); past that sends to it are refused
// whole, until it acknowledges some.
func TestSecretQueueFull(t *testing.T) {
	n := startNode(t, append([]string{"--secret-queue", "300"}, generous...)...)
	var ph phones
	ps := cast(t, n, &ph, []string{"Ann", "Bob"}, 0)
	ann, bob := ps[0], ps[1]
	annKey, _ := e2ee.NewAccountKey()
	bobKey, _ := e2ee.NewAccountKey()
	ad := newSecretDevice(t, ann.api, ann.id, annKey, 1)
	bd := newSecretDevice(t, bob.api, bob.id, bobKey, 1)
	ad.upload(t, 1)
	bd.upload(t, 1)
	setList(ann.api, signList(t, annKey, ann.id, 1, ad)).into(t, new(bool))
	setList(bob.api, signList(t, bobKey, bob.id, 1, bd)).into(t, new(bool))
	meetP(t, ann, bob)

	body := b64([]byte("M"))
	batch := func(from int) []outEnvelope {
		es := make([]outEnvelope, 200)
		for i := range es {
			es[i] = outEnvelope{UserID: bob.id, DeviceID: 1, RandomID: int64(from + i + 1), Body: body}
		}
		return es
	}
	var sent struct {
		Queued int `json:"queued"`
	}
	sendEnvelopes(ann.api, batch(0)...).into(t, &sent)
	if sent.Queued != 200 {
		t.Fatalf("the first 200 queued %d", sent.Queued)
	}
	// 200 wait: a send of 200 would go past 300, so none of it is
	// queued; one of 100 fills the queue.
	wantCode(t, sendEnvelopes(ann.api, batch(10_000)...), "SECRET_QUEUE_FULL", "a send that would overfill the queue")
	sendEnvelopes(ann.api, batch(10_000)[:100]...).into(t, &sent)
	if sent.Queued != 100 {
		t.Fatalf("the last 100 queued %d: the refused send left some behind", sent.Queued)
	}
	wantCode(t, sendEnvelopes(ann.api, outEnvelope{UserID: bob.id, DeviceID: 1, RandomID: 20_001, Body: body}), "SECRET_QUEUE_FULL", "the 301st envelope")
	// Fetching pages through the queue; acknowledging makes room.
	var in secretInbox
	bob.api.call("secret.fetch", map[string]any{"limit": 500}).into(t, &in)
	if len(in.Envelopes) != 100 {
		t.Fatalf("a fetch of 500 returned %d, want the most, 100", len(in.Envelopes))
	}
	var next secretInbox
	bob.api.call("secret.fetch", map[string]any{"after_id": in.Envelopes[99].ID, "limit": 1}).into(t, &next)
	if len(next.Envelopes) != 1 || next.Envelopes[0].ID <= in.Envelopes[99].ID {
		t.Fatalf("the next page: %+v", next.Envelopes)
	}
	bob.api.call("secret.ack", map[string]int64{"up_to_id": in.Envelopes[0].ID}).into(t, new(struct{}))
	sendEnvelopes(ann.api, outEnvelope{UserID: bob.id, DeviceID: 1, RandomID: 20_001, Body: body}).into(t, &sent)
	if sent.Queued != 1 {
		t.Fatalf("after an ack, queued %d", sent.Queued)
	}
	wantCode(t, sendEnvelopes(ann.api, outEnvelope{UserID: bob.id, DeviceID: 1, RandomID: 20_002, Body: body}), "SECRET_QUEUE_FULL", "the queue full again")
}

// TestSecretSharedFile: secret.shareFile keeps an uploaded ciphertext 30
// days and signs a URL valid as long, so that a device online a day
// later still fetches it, while the collector takes a file nobody
// shared; another person's file cannot be shared; after 30 days it goes.
func TestSecretSharedFile(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps := cast(t, n, &ph, []string{"Ann", "Bob"}, 0)
	ann, bob := ps[0], ps[1]
	fc := newFileClient(t, n.url, ann.token)
	anon := newFileClient(t, n.url, "")
	shared := bytes.Repeat([]byte{0xA5, 0x17}, 5000)
	unshared := bytes.Repeat([]byte{0x3C, 0x99}, 4000)
	sharedID := uploadBytes(t, ann.api, fc, "", shared)
	unsharedID := uploadBytes(t, ann.api, fc, "", unshared)

	wantCode(t, bob.api.call("secret.shareFile", map[string]int64{"file_id": sharedID}), "FILE_NOT_FOUND", "sharing another person's file")
	var u struct {
		URL       string `json:"url"`
		ExpiresAt int64  `json:"expires_at"`
	}
	ann.api.call("secret.shareFile", map[string]int64{"file_id": sharedID}).into(t, &u)
	if want := n.clock.Now().Add(30 * 24 * time.Hour).Unix(); u.ExpiresAt != want {
		t.Fatalf("expires_at %d, want 30 days on (%d)", u.ExpiresAt, want)
	}
	path := strings.TrimPrefix(u.URL, n.url)

	// A day and more later, uploads closed and the collector run: the
	// shared file is there, by its URL and without a session; the other
	// is gone.
	ctx := context.Background()
	collect := func() {
		t.Helper()
		if _, err := n.srv.Core().ExpireUploads(ctx); err != nil {
			t.Fatal(err)
		}
		then := n.clock.Now().Add(-2 * time.Hour)
		if err := filepath.WalkDir(filepath.Join(n.dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				err = os.Chtimes(p, then, then)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := n.srv.Core().CollectBlobs(ctx); err != nil {
			t.Fatal(err)
		}
	}
	n.clock.Advance(25 * time.Hour)
	collect()
	resp := anon.get(path, false)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, shared) {
		t.Fatalf("the shared file a day later: status %d, %d bytes", resp.StatusCode, len(body))
	}
	if resp := fc.get(fmt.Sprintf("/files/%d", unsharedID), true); resp.StatusCode != 404 || errorOf(t, resp) != "FILE_NOT_FOUND" {
		t.Fatalf("a file nobody shared, a day later: status %d, want it collected", resp.StatusCode)
	}

	// Thirty days on, the URL has expired and the file is collected.
	n.clock.Advance(30 * 24 * time.Hour)
	collect()
	if resp := anon.get(path, false); resp.StatusCode != 403 || errorOf(t, resp) != "FILE_URL_EXPIRED" {
		t.Fatalf("the URL after 30 days: status %d", resp.StatusCode)
	}
	if resp := fc.get(fmt.Sprintf("/files/%d", sharedID), true); resp.StatusCode != 404 || errorOf(t, resp) != "FILE_NOT_FOUND" {
		t.Fatalf("the shared file after 30 days: status %d, want it collected", resp.StatusCode)
	}
	if k := rows(t, openDB(t, n), `SELECT COUNT(*) FROM secret_files`); k != 0 {
		t.Fatalf("%d secret_files rows left after collection", k)
	}
}

// TestSecretUnlistedDevice: a device with keys on the server that its
// account's signed list does not name (or names with other keys) is not
// active: no bundle of it is handed out and nothing is queued for it.
func TestSecretUnlistedDevice(t *testing.T) {
	n := startNode(t, generous...)
	var ph phones
	ps := cast(t, n, &ph, []string{"Ann", "Bob"}, 0)
	ann, bob := ps[0], ps[1]
	ann2 := &httpCaller{t: t, base: n.url}
	_, a2 := codeSignIn(t, n, ann2, ann.phone, "Ann's tablet")
	ann2.setToken(a2.Token)
	annKey, _ := e2ee.NewAccountKey()
	a1 := newSecretDevice(t, ann.api, ann.id, annKey, 1)
	a2d := newSecretDevice(t, ann2, ann.id, annKey, 2)
	a1.upload(t, 2)
	a2d.upload(t, 2)
	setList(ann.api, signList(t, annKey, ann.id, 1, a1)).into(t, new(bool))
	bobKey, _ := e2ee.NewAccountKey()
	bd := newSecretDevice(t, bob.api, bob.id, bobKey, 1)
	bd.upload(t, 1)
	setList(bob.api, signList(t, bobKey, bob.id, 1, bd)).into(t, new(bool))
	meetP(t, bob, ann)

	var v bundlesView
	bob.api.call("secret.getBundles", map[string]any{"user_id": ann.id}).into(t, &v)
	if len(v.Active) != 1 || v.Active[0] != 1 || len(v.Bundles) != 1 {
		t.Fatalf("Ann's devices with one listed: active %v, %d bundles; want device 1 only", v.Active, len(v.Bundles))
	}
	body := b64([]byte("M"))
	wantCode(t, sendEnvelopes(bob.api, outEnvelope{UserID: ann.id, DeviceID: 2, RandomID: 1, Body: body}), "SECRET_DEVICE_NOT_FOUND", "sending to an unlisted device")

	// Listed with other keys (the server swapped them, or a reinstall
	// the list does not know yet): still not active.
	other := newSecretDevice(t, ann2, ann.id, annKey, 2)
	setList(ann.api, signList(t, annKey, ann.id, 2, a1, other)).into(t, new(bool))
	bob.api.call("secret.getDevices", map[string]any{"user_id": ann.id}).into(t, &v)
	if len(v.Active) != 1 {
		t.Fatalf("a device listed with other keys is active: %v", v.Active)
	}
	// Listed as it is: active.
	setList(ann.api, signList(t, annKey, ann.id, 3, a1, a2d)).into(t, new(bool))
	bob.api.call("secret.getDevices", map[string]any{"user_id": ann.id}).into(t, &v)
	if len(v.Active) != 2 {
		t.Fatalf("both listed devices: active %v", v.Active)
	}
	sendEnvelopes(bob.api, outEnvelope{UserID: ann.id, DeviceID: 2, RandomID: 1, Body: body}).into(t, new(struct{}))
}
