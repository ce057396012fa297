package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const partMax = 512 << 10

// genFile is a file of pseudo-random bytes, made from a seed block by
// block (one block per 512 KiB part), so that any part or range can be
// made again without keeping the file anywhere.
type genFile struct {
	seed uint64
	size int64
}

// block returns block b of the file (the last one may be short).
func (g genFile) block(b int64) []byte {
	n := min(int64(partMax), g.size-b*partMax)
	if n <= 0 {
		return nil
	}
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], g.seed)
	binary.LittleEndian.PutUint64(key[8:], uint64(b))
	buf := make([]byte, n)
	rand.NewChaCha8(key).Read(buf)
	return buf
}

// rangeOf returns bytes [from, to] of the file.
func (g genFile) rangeOf(from, to int64) []byte {
	var out []byte
	for b := from / partMax; b <= to/partMax; b++ {
		blk := g.block(b)
		lo, hi := max(from-b*partMax, 0), min(to-b*partMax+1, int64(len(blk)))
		out = append(out, blk[lo:hi]...)
	}
	return out
}

// sha256 hashes the whole file, a block at a time.
func (g genFile) sha256() string {
	h := sha256.New()
	for b := int64(0); b*partMax < g.size; b++ {
		h.Write(g.block(b))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fileClient is one client's connection pool: a new one is a new client
// after a dropped connection.
type fileClient struct {
	t     *testing.T
	base  string
	token string
	hc    *http.Client
}

func newFileClient(t *testing.T, base, token string) *fileClient {
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	t.Cleanup(tr.CloseIdleConnections)
	return &fileClient{t: t, base: base, token: token, hc: &http.Client{Transport: tr}}
}

// put sends a part; body nil-reader tricks are up to the caller.
func (c *fileClient) put(uploadID int64, part int, body io.Reader) reply {
	req, err := http.NewRequest("PUT", fmt.Sprintf("%s/api/files/%d/%d", c.base, uploadID, part), body)
	if err != nil {
		c.t.Error(err)
		return reply{}
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Errorf("PUT part %d: %v", part, err)
		return reply{}
	}
	defer resp.Body.Close()
	var r reply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		c.t.Errorf("PUT part %d: decoding: %v", part, err)
	}
	r.Status = resp.StatusCode
	return r
}

// get fetches a path with optional headers and returns the response,
// whose body the caller closes.
func (c *fileClient) get(path string, withToken bool, hdr ...string) *http.Response {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	if withToken {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	return resp
}

// errorOf decodes an envelope error from a response.
func errorOf(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var r reply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("decoding an error answer (status %d): %v", resp.StatusCode, err)
	}
	return r.code()
}

type uploadView struct {
	UploadID  int64 `json:"upload_id"`
	Size      int64 `json:"size"`
	PartSize  int64 `json:"part_size"`
	Parts     int   `json:"parts"`
	ExpiresAt int64 `json:"expires_at"`
	Received  []int `json:"received"`
}

type fileView struct {
	ID     int64  `json:"id"`
	Size   int64  `json:"size"`
	Name   string `json:"name"`
	MIME   string `json:"mime"`
	SHA256 string `json:"sha256"`
}

// sendParts sends parts of g with 4 goroutines.
func sendParts(t *testing.T, c *fileClient, g genFile, uploadID int64, parts []int) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(parts) {
					return
				}
				if r := c.put(uploadID, parts[i], bytes.NewReader(g.block(int64(parts[i])))); !r.OK {
					t.Errorf("part %d: %s", parts[i], r.code())
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestFileUploadResumeDownload(t *testing.T) {
	t.Parallel()
	start := time.Now()
	n := startNode(t, generous...)
	var ph phones
	alice, token, _ := signUpHTTP(t, n, &ph, "Alice")
	bob, bobToken, _ := signUpHTTP(t, n, &ph, "Bob")

	g := genFile{seed: 42, size: 200<<20 + 777}
	sum := g.sha256()
	var up uploadView
	alice.call("files.startUpload", map[string]any{"size": g.size, "name": "dir/big video.bin"}).into(t, &up)
	if up.Parts != 401 || up.PartSize != partMax {
		t.Fatalf("startUpload = %+v, want 401 parts of 512 KiB", up)
	}

	// Out of order, four at once; a few parts first sent wrong, then
	// sent again right (the re-send replaces). The connection "drops"
	// after about half.
	order := rand.New(rand.NewPCG(1, 2)).Perm(up.Parts)
	first := newFileClient(t, n.url, token)
	half := order[:up.Parts/2]
	for _, p := range half[:10] {
		junk := make([]byte, len(g.block(int64(p))))
		if r := first.put(up.UploadID, p, bytes.NewReader(junk)); !r.OK {
			t.Fatalf("junk part %d: %s", p, r.code())
		}
	}
	sendParts(t, first, g, up.UploadID, half)
	sendParts(t, first, g, up.UploadID, half[:20]) // twice
	first.hc.CloseIdleConnections()

	// Resume from a new client: ask what arrived, send only the rest.
	second := newFileClient(t, n.url, token)
	resumer := &httpCaller{t: t, base: n.url, token: token}
	var st uploadView
	resumer.call("files.uploadStatus", map[string]any{"upload_id": up.UploadID}).into(t, &st)
	if len(st.Received) != len(half) {
		t.Fatalf("uploadStatus lists %d parts, want %d", len(st.Received), len(half))
	}
	have := map[int]bool{}
	for _, p := range st.Received {
		have[p] = true
	}
	var missing []int
	for p := range up.Parts {
		if !have[p] {
			missing = append(missing, p)
		}
	}
	sendParts(t, second, g, up.UploadID, missing)
	if t.Failed() {
		t.FailNow()
	}

	var f fileView
	resumer.call("files.finishUpload", map[string]any{"upload_id": up.UploadID, "parts": up.Parts, "sha256": sum}).into(t, &f)
	if f.Size != g.size || f.SHA256 != sum || f.Name != "big video.bin" || f.MIME != "application/octet-stream" {
		t.Fatalf("finishUpload = %+v", f)
	}
	if r := resumer.call("files.finishUpload", map[string]any{"upload_id": up.UploadID, "parts": up.Parts, "sha256": sum}); r.code() != "UPLOAD_NOT_FOUND" {
		t.Errorf("finishing twice: %s, want UPLOAD_NOT_FOUND", r.code())
	}
	t.Logf("uploaded %d MiB in %v", g.size>>20, time.Since(start))

	// The whole file, with a token.
	path := fmt.Sprintf("/files/%d", f.ID)
	resp := second.get(path, true)
	h := sha256.New()
	got, err := io.Copy(h, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || got != g.size || hex.EncodeToString(h.Sum(nil)) != sum {
		t.Fatalf("download: status %d, %d bytes, err %v, sha256 match %v", resp.StatusCode, got, err, hex.EncodeToString(h.Sum(nil)) == sum)
	}
	etag := resp.Header.Get("ETag")
	if etag != `"`+sum+`"` || resp.Header.Get("Content-Type") != "application/octet-stream" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="big video.bin"; filename*=UTF-8''big%20video.bin` ||
		!strings.HasPrefix(resp.Header.Get("Cache-Control"), "private") {
		t.Errorf("download headers: %v", resp.Header)
	}

	// Ranges.
	for _, rg := range []struct {
		hdr      string
		from, to int64
	}{
		{"bytes=0-99", 0, 99},
		{"bytes=1048000-1049999", 1048000, 1049999},
		{"bytes=-500", g.size - 500, g.size - 1},
	} {
		resp := second.get(path, true, "Range", rg.hdr)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, g.rangeOf(rg.from, rg.to)) {
			t.Errorf("Range %s: status %d, %d bytes, equal %v", rg.hdr, resp.StatusCode, len(body), bytes.Equal(body, g.rangeOf(rg.from, rg.to)))
		}
	}
	resp = second.get(path, true, "If-None-Match", etag)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", resp.StatusCode)
	}

	// Someone else: not found, by token or for a URL.
	other := newFileClient(t, n.url, bobToken)
	if resp := other.get(path, true); resp.StatusCode != 404 || errorOf(t, resp) != "FILE_NOT_FOUND" {
		t.Errorf("another person's download: status %d, want 404 FILE_NOT_FOUND", resp.StatusCode)
	}
	if r := bob.call("files.getURL", map[string]any{"file_id": f.ID}); r.code() != "FILE_NOT_FOUND" {
		t.Errorf("another person's getURL: %s, want FILE_NOT_FOUND", r.code())
	}
	if resp := other.get("/files/999999", true); resp.StatusCode != 404 || errorOf(t, resp) != "FILE_NOT_FOUND" {
		t.Errorf("a missing file: status %d, want 404 FILE_NOT_FOUND", resp.StatusCode)
	}
	anon := newFileClient(t, n.url, "")
	if resp := anon.get(path, false); resp.StatusCode != 401 || errorOf(t, resp) != "AUTH_REQUIRED" {
		t.Errorf("no token, no signature: status %d, want 401", resp.StatusCode)
	}

	// A signed URL, without a token.
	var u struct {
		URL       string `json:"url"`
		ExpiresAt int64  `json:"expires_at"`
	}
	alice.call("files.getURL", map[string]any{"file_id": f.ID}).into(t, &u)
	// A full URL on the server's address (here its listen address, as it
	// has no public-url), fetched as a browser would.
	signedPath, ok := strings.CutPrefix(u.URL, n.url)
	if !ok || !strings.HasPrefix(signedPath, "/files/") {
		t.Fatalf("files.getURL = %q, want a URL under %s/files/", u.URL, n.url)
	}
	u.URL = signedPath
	resp = anon.get(u.URL, false, "Range", "bytes=100-199")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, g.rangeOf(100, 199)) {
		t.Errorf("signed URL: status %d, %d bytes", resp.StatusCode, len(body))
	}
	tampered := u.URL[:len(u.URL)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", u.URL[len(u.URL)-1])+1)%16])
	if resp := anon.get(tampered, false); resp.StatusCode != 403 || errorOf(t, resp) != "FILE_URL_INVALID" {
		t.Errorf("tampered signature: status %d, want 403 FILE_URL_INVALID", resp.StatusCode)
	}
	longer := strings.Replace(u.URL, fmt.Sprintf("exp=%d", u.ExpiresAt), fmt.Sprintf("exp=%d", u.ExpiresAt+3600), 1)
	if resp := anon.get(longer, false); resp.StatusCode != 403 || errorOf(t, resp) != "FILE_URL_INVALID" {
		t.Errorf("lengthened expiry: status %d, want 403 FILE_URL_INVALID", resp.StatusCode)
	}
	n.clock.Advance(time.Hour + time.Second)
	if resp := anon.get(u.URL, false); resp.StatusCode != 403 || errorOf(t, resp) != "FILE_URL_EXPIRED" {
		t.Errorf("expired signed URL: status %d, want 403 FILE_URL_EXPIRED", resp.StatusCode)
	}
	t.Logf("whole test: %v", time.Since(start))
}

func TestFileUploadBadInput(t *testing.T) {
	t.Parallel()
	n := startNode(t, generous...)
	var ph phones
	alice, token, _ := signUpHTTP(t, n, &ph, "Alice")
	c := newFileClient(t, n.url, token)
	g := genFile{seed: 7, size: 3*partMax + 1000}
	sum := g.sha256()
	var up uploadView
	alice.call("files.startUpload", map[string]any{"size": g.size, "name": "notes.txt"}).into(t, &up)
	if up.Parts != 4 {
		t.Fatalf("startUpload = %+v, want 4 parts", up)
	}

	for _, tc := range []struct {
		name, code string
		params     map[string]any
	}{
		{"size below 1", "FILE_SIZE_INVALID", map[string]any{"size": -1}},
		{"part size not KiB", "FILE_PART_SIZE_INVALID", map[string]any{"size": 10, "part_size": 1000}},
		{"part size too big", "FILE_PART_SIZE_INVALID", map[string]any{"size": 10, "part_size": partMax + 1024}},
		{"file too large", "FILE_TOO_LARGE", map[string]any{"size": int64(2<<30) + 1}},
	} {
		if r := alice.call("files.startUpload", tc.params); r.code() != tc.code {
			t.Errorf("startUpload, %s: %s, want %s", tc.name, r.code(), tc.code)
		}
	}

	big := make([]byte, partMax+1)
	if r := c.put(up.UploadID, 0, bytes.NewReader(big)); r.code() != "FILE_PART_TOO_BIG" || r.Status != 413 {
		t.Errorf("a part over 512 KiB: %s (%d), want FILE_PART_TOO_BIG (413)", r.code(), r.Status)
	}
	if r := c.put(up.UploadID, 0, io.MultiReader(bytes.NewReader(big))); r.code() != "FILE_PART_TOO_BIG" {
		t.Errorf("a part over 512 KiB without Content-Length: %s, want FILE_PART_TOO_BIG", r.code())
	}
	if r := c.put(up.UploadID, 4, bytes.NewReader(g.block(3))); r.code() != "FILE_PART_INVALID" {
		t.Errorf("a part beyond the count: %s, want FILE_PART_INVALID", r.code())
	}
	if r := c.put(up.UploadID, 3, bytes.NewReader(g.block(2))); r.code() != "FILE_PART_SIZE_INVALID" {
		t.Errorf("a wrong last-part size: %s, want FILE_PART_SIZE_INVALID", r.code())
	}
	if r := c.put(up.UploadID, 1, bytes.NewReader(g.block(3))); r.code() != "FILE_PART_SIZE_INVALID" {
		t.Errorf("a short middle part: %s, want FILE_PART_SIZE_INVALID", r.code())
	}
	if r := newFileClient(t, n.url, "").put(up.UploadID, 0, bytes.NewReader(g.block(0))); r.code() != "AUTH_REQUIRED" {
		t.Errorf("a part without a token: %s, want AUTH_REQUIRED", r.code())
	}
	if r := c.put(up.UploadID+1000, 0, bytes.NewReader(g.block(0))); r.code() != "UPLOAD_NOT_FOUND" {
		t.Errorf("a part of no upload: %s, want UPLOAD_NOT_FOUND", r.code())
	}

	for _, p := range []int{0, 2} {
		if r := c.put(up.UploadID, p, bytes.NewReader(g.block(int64(p)))); !r.OK {
			t.Fatalf("part %d: %s", p, r.code())
		}
	}
	finish := func(parts int, hash string) reply {
		return alice.call("files.finishUpload", map[string]any{"upload_id": up.UploadID, "parts": parts, "sha256": hash})
	}
	r := finish(4, sum)
	if r.code() != "FILE_PARTS_MISSING" || !strings.Contains(r.Error.Message, "1, 3") {
		t.Errorf("finish with parts missing: %s %+v, want FILE_PARTS_MISSING naming 1, 3", r.code(), r.Error)
	}
	if r := finish(5, sum); r.code() != "FILE_PARTS_INVALID" {
		t.Errorf("finish with the wrong count: %s, want FILE_PARTS_INVALID", r.code())
	}
	for _, p := range []int{1, 3} {
		if r := c.put(up.UploadID, p, bytes.NewReader(g.block(int64(p)))); !r.OK {
			t.Fatalf("part %d: %s", p, r.code())
		}
	}
	wrong := strings.Repeat("ab", 32)
	if r := finish(4, wrong); r.code() != "FILE_HASH_MISMATCH" {
		t.Errorf("finish with a wrong hash: %s, want FILE_HASH_MISMATCH", r.code())
	}
	if r := finish(4, "xyz"); r.code() != "PARAM_INVALID" {
		t.Errorf("finish with a malformed hash: %s, want PARAM_INVALID", r.code())
	}
	// No file was made by any of it: the first good finish makes file 1.
	var f fileView
	finish(4, strings.ToUpper(sum)).into(t, &f)
	if f.ID != 1 || f.SHA256 != sum {
		t.Errorf("finish after the failures = %+v, want file 1", f)
	}
	// The same bytes again: another file, the same blob.
	var up2 uploadView
	alice.call("files.startUpload", map[string]any{"size": g.size, "part_size": partMax}).into(t, &up2)
	sendParts(t, c, g, up2.UploadID, []int{3, 2, 1, 0})
	var f2 fileView
	alice.call("files.finishUpload", map[string]any{"upload_id": up2.UploadID, "parts": 4, "sha256": sum}).into(t, &f2)
	if f2.ID == f.ID || f2.SHA256 != f.SHA256 || f2.Name != "file" {
		t.Errorf("second upload of the same bytes = %+v", f2)
	}
	resp := c.get(fmt.Sprintf("/files/%d", f2.ID), true)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(body, g.rangeOf(0, g.size-1)) {
		t.Errorf("second file's bytes differ")
	}

	// An upload left for more than a day.
	var old uploadView
	alice.call("files.startUpload", map[string]any{"size": 100}).into(t, &old)
	n.clock.Advance(24*time.Hour + time.Minute)
	if r := c.put(old.UploadID, 0, bytes.NewReader(make([]byte, 100))); r.code() != "UPLOAD_EXPIRED" {
		t.Errorf("a part of an expired upload: %s, want UPLOAD_EXPIRED", r.code())
	}
	if k, err := n.srv.Core().ExpireUploads(t.Context()); err != nil || k != 1 {
		t.Errorf("ExpireUploads = %d, %v; want 1", k, err)
	}
	if r := alice.call("files.uploadStatus", map[string]any{"upload_id": old.UploadID}); r.code() != "UPLOAD_NOT_FOUND" {
		t.Errorf("status of a discarded upload: %s, want UPLOAD_NOT_FOUND", r.code())
	}
	if resp := c.get("/files/3", true); resp.StatusCode != 404 {
		t.Errorf("a third file exists: status %d", resp.StatusCode)
	}
}

func TestFileSizeLimitSetting(t *testing.T) {
	t.Parallel()
	n := startNode(t, append([]string{"--max-file-size", "1MiB"}, generous...)...)
	var ph phones
	alice := &httpCaller{t: t, base: n.url}
	signUp(t, n, alice, ph.next(), "Alice")
	if r := alice.call("files.startUpload", map[string]any{"size": 1<<20 + 1}); r.code() != "FILE_TOO_LARGE" || r.Status != 413 {
		t.Errorf("a file over --max-file-size: %s (%d), want FILE_TOO_LARGE (413)", r.code(), r.Status)
	}
	if r := alice.call("files.startUpload", map[string]any{"size": 1 << 20}); !r.OK {
		t.Errorf("a file of exactly --max-file-size: %s", r.code())
	}
}

func TestFileMethodsOverWebSocket(t *testing.T) {
	t.Parallel()
	n := startNode(t, generous...)
	var ph phones
	ws := dialWS(t, n.url, "")
	signUp(t, n, ws, ph.next(), "Wes")
	var up uploadView
	ws.call("files.startUpload", map[string]any{"size": 5000, "part_size": 1024}).into(t, &up)
	if up.Parts != 5 {
		t.Errorf("startUpload over the WebSocket = %+v, want 5 parts", up)
	}
	var st uploadView
	ws.call("files.uploadStatus", map[string]any{"upload_id": up.UploadID}).into(t, &st)
	if len(st.Received) != 0 || st.Parts != 5 {
		t.Errorf("uploadStatus over the WebSocket = %+v", st)
	}
}

// TestSignedURLFollowsAccess: a signed URL is made for one person and
// works only while they may read the file: removed from the group, or
// the message that carried the file deleted, or the account gone, the
// URL answers FILE_NOT_FOUND at once, not at its expiry. Its life is the
// file-url-ttl setting.
func TestSignedURLFollowsAccess(t *testing.T) {
	t.Parallel()
	n := startNode(t, append(generous, "--file-url-ttl", "10m")...)
	var ph phones
	ps, chat := smallGroup(t, n, &ph, []string{"Ann", "Bob", "Cid"}, 0)
	ann, bob, cid := ps[0], ps[1], ps[2]
	anon := newFileClient(t, n.url, "")

	// postPhoto has p post a photo to the group.
	seed := 0
	postPhoto := func(p *person) mediaMessage {
		t.Helper()
		seed++
		id := uploadBytes(t, p.api, newFileClient(t, n.url, p.token), fmt.Sprintf("photo%d.png", seed), testPNG(t, 40+seed, 30))
		var m mediaMessage
		p.api.call("messages.sendMedia", map[string]any{"chat_id": chat, "kind": "photo", "file_id": id, "random_id": safeRID()}).into(t, &m)
		return m
	}
	type signed struct {
		URL       string `json:"url"`
		ExpiresAt int64  `json:"expires_at"`
	}
	urlOf := func(p *person, fileID int64) signed {
		t.Helper()
		var u signed
		p.api.call("files.getURL", map[string]any{"file_id": fileID}).into(t, &u)
		// A full URL on the server's listen address: fetched by its path.
		path, ok := strings.CutPrefix(u.URL, n.url)
		if !ok {
			t.Fatalf("files.getURL = %q, want a URL under %s", u.URL, n.url)
		}
		u.URL = path
		return u
	}
	fetch := func(u signed) string {
		t.Helper()
		resp := anon.get(u.URL, false)
		if resp.StatusCode == http.StatusOK {
			resp.Body.Close()
			return "OK"
		}
		return errorOf(t, resp)
	}

	// The URL works for the setting's ten minutes.
	photo := postPhoto(ann)
	bobs, cids := urlOf(bob, photo.Media.FileID), urlOf(cid, photo.Media.FileID)
	if want := n.clock.Now().Add(10 * time.Minute).Unix(); bobs.ExpiresAt != want {
		t.Errorf("expires_at %d, want %d (now + file-url-ttl)", bobs.ExpiresAt, want)
	}
	for _, u := range []signed{bobs, cids} {
		if got := fetch(u); got != "OK" {
			t.Fatalf("a member's signed URL: %s", got)
		}
	}
	// The URL names no one: the person is sealed inside sig.
	if u, err := url.Parse(bobs.URL); err != nil || len(u.Query()) != 2 || u.Query().Get("exp") == "" || u.Query().Get("sig") == "" {
		t.Errorf("the URL %s has other parameters than exp and sig (%v)", bobs.URL, err)
	}

	// Bob is removed: his URL stops at once; Cid's, for the same file,
	// works on.
	ann.api.call("chats.removeMember", map[string]any{"chat_id": chat, "user_id": bob.id}).into(t, new(bool))
	if got := fetch(bobs); got != "FILE_NOT_FOUND" {
		t.Errorf("the signed URL of a member removed from the group: %s, want FILE_NOT_FOUND", got)
	}
	if got := fetch(cids); got != "OK" {
		t.Errorf("a member's signed URL after another's removal: %s", got)
	}

	// The message is deleted: Cid's URL stops.
	ann.api.call("messages.delete", map[string]any{"chat_id": chat, "ids": []int64{photo.ID}, "for_everyone": true}).into(t, new(deletedCount))
	if got := fetch(cids); got != "FILE_NOT_FOUND" {
		t.Errorf("the signed URL of a deleted message's photo: %s, want FILE_NOT_FOUND", got)
	}

	// The uploader's own URL lasts as long as the account.
	second := postPhoto(ann)
	anns := urlOf(ann, second.Media.FileID)
	if got := fetch(anns); got != "OK" {
		t.Fatalf("the uploader's signed URL: %s", got)
	}
	if r := ann.api.call("account.delete", nil); !r.OK {
		t.Fatalf("account.delete: %s", r.code())
	}
	if got := fetch(anns); got != "FILE_NOT_FOUND" {
		t.Errorf("the signed URL of a deleted account: %s, want FILE_NOT_FOUND", got)
	}

	// Whatever the access, the URL ends with its time.
	third := urlOf(cid, postPhoto(cid).Media.FileID)
	n.clock.Advance(10*time.Minute - time.Second)
	if got := fetch(third); got != "OK" {
		t.Errorf("a signed URL just before its expiry: %s", got)
	}
	n.clock.Advance(time.Second)
	if got := fetch(third); got != "FILE_URL_EXPIRED" {
		t.Errorf("a signed URL at its expiry: %s, want FILE_URL_EXPIRED", got)
	}
}
