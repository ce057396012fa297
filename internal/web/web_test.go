package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/havenchat/haven/internal/testserver"
)

// get fetches a path of the server as a browser would (gzip accepted).
func get(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// The transport must not undo the gzip: sizes are measured as sent.
	tr := &http.Transport{DisableCompression: true}
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

var assetRef = regexp.MustCompile(`(?:src|href)="(/[^"]+)"`)

// TestAppServedWithStrictHeaders checks what the server sends with the
// page: a Content-Security-Policy that allows no inline script, no eval,
// no framing and no other origin; the other protective headers; and a
// page that is never cached.
func TestAppServedWithStrictHeaders(t *testing.T) {
	srv := testserver.Start(t)
	for _, path := range []string{"/", "/join/AbC_123-x"} {
		res, _ := get(t, srv.URL+path)
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if res.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("GET %s: not compressed", path)
		}
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self' 'wasm-unsafe-eval';", "style-src 'self';", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: the CSP %q lacks %q", path, csp, want)
			}
		}
		// 'wasm-unsafe-eval' (the secret chats' WebAssembly) compiles
		// WebAssembly only; JavaScript's eval stays banned.
		for _, banned := range []string{"unsafe-inline", "'unsafe-eval'", "http:", "https:", "*"} {
			if strings.Contains(csp, banned) {
				t.Errorf("GET %s: the CSP %q allows %q", path, csp, banned)
			}
		}
		for h, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "no-referrer",
			"Cache-Control":          "no-store",
			"X-Frame-Options":        "DENY",
		} {
			if got := res.Header.Get(h); got != want {
				t.Errorf("GET %s: %s is %q, want %q", path, h, got, want)
			}
		}
		if pp := res.Header.Get("Permissions-Policy"); !strings.Contains(pp, "microphone=(self)") || !strings.Contains(pp, "camera=()") {
			t.Errorf("GET %s: Permissions-Policy %q", path, pp)
		}
	}
	// The page has no inline script: every script is a file of the app.
	_, page := getPlain(t, srv.URL+"/")
	if regexp.MustCompile(`<script(?:\s+type="module")?>`).Match(page) || strings.Contains(string(page), "<style") || strings.Contains(string(page), " style=") {
		t.Errorf("the page has an inline script or style:\n%s", page)
	}
	if strings.Contains(string(page), "//") && regexp.MustCompile(`(?:src|href)="(?:https?:)?//`).Match(page) {
		t.Errorf("the page loads something from another origin:\n%s", page)
	}

	// Other paths are not the app's; the API keeps its own.
	if res, _ := get(t, srv.URL+"/nothing-here"); res.StatusCode != 404 {
		t.Errorf("GET /nothing-here: %d, want 404", res.StatusCode)
	}
	if res, body := get(t, srv.URL+"/healthz"); res.StatusCode != 200 || !strings.Contains(string(body), "alive") {
		t.Errorf("GET /healthz: %d %s", res.StatusCode, body)
	}
	if res, _ := getPlain(t, srv.URL+"/api/users.getMe"); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/users.getMe: %d, want 405 from the API", res.StatusCode)
	}
}

func getPlain(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	return get(t, url, "Accept-Encoding", "identity")
}

// TestAssetsCachedByContent checks the script and the style sheet: named
// by their content hash, cached for a year as immutable, gzipped, with
// an ETag that answers 304.
func TestAssetsCachedByContent(t *testing.T) {
	srv := testserver.Start(t)
	_, page := getPlain(t, srv.URL+"/")
	var assets []string
	for _, m := range assetRef.FindAllStringSubmatch(string(page), -1) {
		if strings.HasPrefix(m[1], "/assets/") {
			assets = append(assets, m[1])
		}
	}
	if len(assets) != 2 {
		t.Fatalf("the page names %v, want a script and a style sheet", assets)
	}
	hashed := regexp.MustCompile(`^/assets/[a-z]+-[A-Z0-9]{8}\.(js|css)$`)
	for _, a := range assets {
		if !hashed.MatchString(a) {
			t.Errorf("%s is not named by its content", a)
		}
		res, body := get(t, srv.URL+a)
		if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" || len(body) == 0 {
			t.Fatalf("GET %s: %d, encoding %q", a, res.StatusCode, res.Header.Get("Content-Encoding"))
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("GET %s: Cache-Control %q", a, cc)
		}
		if res.Header.Get("Content-Security-Policy") == "" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: the security headers are missing", a)
		}
		etag := res.Header.Get("ETag")
		again, _ := get(t, srv.URL+a, "If-None-Match", etag)
		if etag == "" || again.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match %s: %d, want 304", a, etag, again.StatusCode)
		}
	}
	res, _ := get(t, srv.URL+"/sw.js")
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-cache" || !strings.Contains(res.Header.Get("Content-Type"), "javascript") {
		t.Errorf("GET /sw.js: %d, Cache-Control %q, type %q", res.StatusCode, res.Header.Get("Cache-Control"), res.Header.Get("Content-Type"))
	}
	res, _ = get(t, srv.URL+"/manifest.webmanifest")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/manifest+json" {
		t.Errorf("GET /manifest.webmanifest: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

// TestFirstLoadBudget adds up, as sent over the network (gzipped), what
// a browser fetches to show the app: the page, everything it names, and
// the icons its manifest names. The budget is 300 KiB. (The browser test
// TestFirstLoadSize measures the same in Chromium, API calls included.)
func TestFirstLoadBudget(t *testing.T) {
	srv := testserver.Start(t)
	res, zipped := get(t, srv.URL+"/")
	total := len(zipped) + headerBytes(res)
	_, page := getPlain(t, srv.URL+"/")
	refs := assetRef.FindAllStringSubmatch(string(page), -1)
	if len(refs) < 4 {
		t.Fatalf("the page names only %v", refs)
	}
	for _, m := range refs {
		res, body := get(t, srv.URL+m[1])
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d", m[1], res.StatusCode)
		}
		total += len(body) + headerBytes(res)
	}
	res, sw := get(t, srv.URL+"/sw.js")
	total += len(sw) + headerBytes(res)
	const budget = 300 << 10
	t.Logf("first load: %.1f KiB", float64(total)/1024)
	if total > budget {
		t.Fatalf("the first load is %d bytes; the budget is %d", total, budget)
	}
}

func headerBytes(res *http.Response) int {
	n := 0
	for k, vs := range res.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// TestSecretWasmLoadedApart: the secret chats' WebAssembly is named by
// the app's script (which fetches it when a secret chat opens), not by
// the page nor the service worker's list, so it is no part of the first
// load; it is served gzipped as stored, or inflated to a browser that
// takes no gzip, cached as immutable.
func TestSecretWasmLoadedApart(t *testing.T) {
	srv := testserver.Start(t)
	_, page := getPlain(t, srv.URL+"/")
	_, sw := getPlain(t, srv.URL+"/sw.js")
	var script []byte
	for _, m := range assetRef.FindAllStringSubmatch(string(page), -1) {
		if strings.HasSuffix(m[1], ".js") {
			_, script = getPlain(t, srv.URL+m[1])
		}
	}
	name := regexp.MustCompile(`/assets/secret-[A-Z0-9]{8}\.wasm`).Find(script)
	if name == nil {
		t.Fatal("the app's script names no secret-chat WebAssembly")
	}
	if bytes.Contains(page, name) || bytes.Contains(sw, []byte("wasm")) {
		t.Fatalf("%s is in the page or the service worker's list: it would be part of the first load", name)
	}
	res, gz := get(t, srv.URL+string(name))
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/wasm" || res.Header.Get("Content-Encoding") != "gzip" ||
		!strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("GET %s: %d, %q, %q, %q", name, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Encoding"), res.Header.Get("Cache-Control"))
	}
	res, plain := getPlain(t, srv.URL+string(name))
	if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "" || !bytes.HasPrefix(plain, []byte("\x00asm")) {
		t.Fatalf("GET %s without gzip: %d, %q, starts %q", name, res.StatusCode, res.Header.Get("Content-Encoding"), plain[:min(8, len(plain))])
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	inflated, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(inflated, plain) {
		t.Fatalf("the gzipped and the plain WebAssembly differ (%v)", err)
	}
	t.Logf("secret chats' WebAssembly: %.2f MiB, %.2f MiB gzipped", float64(len(plain))/(1<<20), float64(len(gz))/(1<<20))
}
