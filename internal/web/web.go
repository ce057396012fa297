// Package web serves Haven's web app: the page, its script and style
// sheet, the service worker, the manifest and the icons, embedded in the
// binary from dist (built from src by ./gen; see its doc). The server
// mounts it at / beside the API.
//
// Every answer carries a strict Content-Security-Policy (scripts and
// styles from this origin only, no inline script, no eval, no framing,
// no third-party origin) and the other headers browsers honour against
// sniffing, leaking the page's address and using powerful features. The
// script and style sheet are named by their content hash and cached for
// a year; the page itself is never cached, so a new version shows on
// the next load. Text files are served gzipped to browsers that take it.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
)

//go:generate go run ./gen -src src -out dist

//go:embed dist
var dist embed.FS

// CSP is the Content-Security-Policy of the app. 'wasm-unsafe-eval'
// lets the page compile WebAssembly (the secret chats' program, from
// this origin only); it allows no eval of JavaScript. 'self' in connect-src
// covers the WebSocket of the same host; data: images are the tiny
// previews that messages carry, blob: the photos, files and voice notes
// the person picks or records before sending them.
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; connect-src 'self'; font-src 'self'; worker-src 'self'; manifest-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// PermissionsPolicy lets the app use the microphone (voice notes), from
// its own origin only, and nothing else that needs a permission.
const PermissionsPolicy = "microphone=(self), camera=(), geolocation=(), payment=(), usb=(), serial=(), midi=(), display-capture=()"

// App is the web app, an http.Handler.
type App struct {
	files map[string]*asset
}

// asset is one file of the app, ready to send.
type asset struct {
	body []byte
	gz   []byte // gzipped body; nil when it would not shrink
	// inflate returns the body of an asset stored gzipped (body nil).
	inflate func() []byte
	etag    string
	ctype   string
	cache   string
}

// New loads the embedded app. It fails only if the binary was built
// without it (dist empty), which the tests catch.
func New() (*App, error) {
	a := &App{files: make(map[string]*asset)}
	err := fs.WalkDir(dist, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := dist.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "dist/")
		if gzName, ok := strings.CutSuffix(name, ".gz"); ok {
			a.files[gzName] = newGzipped(gzName, body)
			return nil
		}
		a.files[name] = newAsset(name, body)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if a.files["index.html"] == nil {
		return nil, fmt.Errorf("web: the app was not built into internal/web/dist (go generate ./internal/web)")
	}
	return a, nil
}

// newGzipped is the asset of a file that dist holds gzipped (the
// secret chats' WebAssembly, too big to compress at every start): sent
// as it is to browsers that take gzip, inflated once for any other.
func newGzipped(name string, gz []byte) *asset {
	f := newAsset(name, nil)
	sum := sha256.Sum256(gz)
	f.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
	f.gz = gz
	f.inflate = sync.OnceValue(func() []byte {
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			return nil // dist is built by gen: a test reads every file
		}
		b, _ := io.ReadAll(zr)
		return b
	})
	return f
}

func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	f := &asset{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	if body == nil {
		// newGzipped's: it sets the rest.
		f.ctype = mime.TypeByExtension(path.Ext(name))
		f.cache = "public, max-age=31536000, immutable"
		return f
	}
	switch ext := path.Ext(name); ext {
	case ".webmanifest":
		f.ctype = "application/manifest+json"
	case ".js":
		f.ctype = "text/javascript; charset=utf-8"
	default:
		f.ctype = mime.TypeByExtension(ext)
		if f.ctype == "" {
			f.ctype = "application/octet-stream"
		}
	}
	switch {
	case name == "index.html":
		// The page names the current script and style sheet: always
		// fetched anew, never stored.
		f.cache = "no-store"
	case name == "sw.js":
		f.cache = "no-cache"
	case strings.HasPrefix(name, "assets/"):
		f.cache = "public, max-age=31536000, immutable"
	default:
		f.cache = "public, max-age=86400"
	}
	if !strings.HasPrefix(f.ctype, "image/png") {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		if b.Len() < len(body) {
			f.gz = b.Bytes()
		}
	}
	return f
}

// ServeHTTP answers GET and HEAD for the app's files. The page answers
// at / and at the paths that open the app on something (/join/HASH, an
// invite link); any other path is not the app's.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Permissions-Policy", PermissionsPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	if name == "" || strings.HasPrefix(name, "join/") {
		name = "index.html"
	}
	f := a.files[name]
	if f == nil {
		http.NotFound(w, r)
		return
	}
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", f.cache)
	h.Set("Vary", "Accept-Encoding")
	body, etag := f.body, f.etag
	if f.inflate != nil {
		body = f.inflate()
	}
	if f.gz != nil && acceptsGzip(r) {
		body = f.gz
		etag = strings.TrimSuffix(f.etag, `"`) + `-gz"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, etag) {
		h.Del("Content-Type")
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

// acceptsGzip tells whether the request's Accept-Encoding takes gzip
// (and does not refuse it with q=0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
