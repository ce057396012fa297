// Command gen builds Haven's web app from internal/web/src into
// internal/web/dist, which the haven binary embeds: esbuild (through its
// Go API, so no Node.js is needed) bundles and minifies the JavaScript
// and the CSS into files named by their content hash, the service
// worker gets the list of files to keep for offline use, and the icons
// are drawn here in Go. Run it after changing anything under src:
//
//	go generate ./internal/web
//
// The build is deterministic, and a test (TestDistIsFresh) fails when
// the committed dist differs from what the sources build to.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

func main() {
	src := flag.String("src", "src", "the sources of the web app")
	out := flag.String("out", "dist", "where to write the built app (replaced)")
	flag.Parse()
	files, err := Build(*src)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := write(*out, files); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// Build builds the app from the sources in src and returns the files of
// dist by their slash-separated path.
func Build(src string) (map[string][]byte, error) {
	src, err := filepath.Abs(src)
	if err != nil {
		return nil, err
	}
	files := make(map[string][]byte)
	secret, err := secretWasm(src)
	if err != nil {
		return nil, err
	}
	for name, b := range secret {
		files[name] = b
	}
	// Paths are relative to src, wherever the build runs from: they go
	// into the hashes that name the files.
	res := api.Build(api.BuildOptions{
		AbsWorkingDir:     src,
		EntryPoints:       []string{"app/main.jsx", "app.css"},
		Bundle:            true,
		Write:             false,
		Outdir:            "/out/assets",
		EntryNames:        "[name]-[hash]",
		AssetNames:        "[name]-[hash]",
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		Format:            api.FormatESModule,
		Target:            api.ES2022,
		Engines:           []api.Engine{{Name: api.EngineChrome, Version: "111"}, {Name: api.EngineFirefox, Version: "115"}, {Name: api.EngineSafari, Version: "16.4"}},
		JSX:               api.JSXAutomatic,
		JSXImportSource:   "preact",
		Charset:           api.CharsetUTF8,
		LegalComments:     api.LegalCommentsNone,
		Banner:            map[string]string{"js": "/*! Haven web app. Includes Preact (MIT, see /licenses.txt). */"},
		Plugins:           []api.Plugin{vendored(src)},
		Define: map[string]string{
			"SECRET_WASM": fmt.Sprintf("%q", "/"+secretName(secret, ".wasm")),
			"WASM_EXEC":   fmt.Sprintf("%q", "/"+secretName(secret, ".js")),
		},
		LogLevel: api.LogLevelSilent,
	})
	if err := buildErrors(res.Errors); err != nil {
		return nil, err
	}
	var js, css string
	for _, f := range res.OutputFiles {
		rel := strings.TrimPrefix(filepath.ToSlash(f.Path), "/out/")
		files[rel] = f.Contents
		switch path.Ext(rel) {
		case ".js":
			js = "/" + rel
		case ".css":
			css = "/" + rel
		}
	}
	if js == "" || css == "" {
		return nil, errors.New("esbuild made no script or no style sheet")
	}

	index, err := os.ReadFile(filepath.Join(src, "index.html"))
	if err != nil {
		return nil, err
	}
	index = bytes.ReplaceAll(index, []byte("{{app.js}}"), []byte(js))
	index = bytes.ReplaceAll(index, []byte("{{app.css}}"), []byte(css))
	files["index.html"] = index

	for _, name := range []string{"manifest.webmanifest", "icons/icon.svg"} {
		b, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(name)))
		if err != nil {
			return nil, err
		}
		files[name] = b
	}
	lic, err := os.ReadFile(filepath.Join(src, "vendor", "preact", "LICENSE"))
	if err != nil {
		return nil, err
	}
	files["licenses.txt"] = append([]byte("Haven's web app includes Preact 11.2.0 (https://preactjs.com):\n\n"), lic...)
	for name, b := range icons() {
		files[name] = b
	}

	// The service worker keeps every file of the app shell for offline
	// use; its own bytes change whenever one of them does, which is how
	// a browser learns that a new version is out.
	var shell []string
	for name := range files {
		if name == "licenses.txt" || secret[name] != nil {
			continue // the secret chats' program is fetched when first used
		}
		shell = append(shell, "/"+strings.TrimSuffix(name, "index.html"))
	}
	slices.Sort(shell)
	h := sha256.New()
	for _, name := range shell {
		key := strings.TrimPrefix(name, "/")
		if key == "" {
			key = "index.html"
		}
		h.Write([]byte(name))
		h.Write(files[key])
	}
	list, _ := json.Marshal(shell)
	sw := api.Build(api.BuildOptions{
		AbsWorkingDir:     src,
		EntryPoints:       []string{"sw.js"},
		Bundle:            true,
		Write:             false,
		Outfile:           "/out/sw.js",
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		Format:            api.FormatIIFE,
		Target:            api.ES2022,
		Charset:           api.CharsetUTF8,
		Define: map[string]string{
			"SHELL":   string(list),
			"VERSION": fmt.Sprintf("%q", hex.EncodeToString(h.Sum(nil))[:16]),
		},
		LogLevel: api.LogLevelSilent,
	})
	if err := buildErrors(sw.Errors); err != nil {
		return nil, err
	}
	files["sw.js"] = sw.OutputFiles[0].Contents
	return files, nil
}

// vendored resolves the imports of Preact to the copies committed under
// src/vendor, so the build needs no package manager.
func vendored(src string) api.Plugin {
	dir, _ := filepath.Abs(filepath.Join(src, "vendor", "preact"))
	paths := map[string]string{
		"preact":             filepath.Join(dir, "preact.mjs"),
		"preact/hooks":       filepath.Join(dir, "hooks.mjs"),
		"preact/jsx-runtime": filepath.Join(dir, "jsxRuntime.mjs"),
	}
	return api.Plugin{
		Name: "vendored",
		Setup: func(b api.PluginBuild) {
			b.OnResolve(api.OnResolveOptions{Filter: `^preact(/hooks|/jsx-runtime)?$`}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
				return api.OnResolveResult{Path: paths[a.Path]}, nil
			})
		},
	}
}

func buildErrors(msgs []api.Message) error {
	var errs []error
	for _, m := range msgs {
		if m.Location != nil {
			errs = append(errs, fmt.Errorf("%s:%d:%d: %s", m.Location.File, m.Location.Line, m.Location.Column, m.Text))
		} else {
			errs = append(errs, errors.New(m.Text))
		}
	}
	return errors.Join(errs...)
}

// generated matches the files that write may remove from out: those
// that a build makes, so a stray file of someone else's is left alone.
var generated = regexp.MustCompile(`^(index\.html|sw\.js|manifest\.webmanifest|licenses\.txt|assets/.*|icons/.*)$`)

// write replaces out's built files with files.
func write(out string, files map[string][]byte) error {
	err := filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		if generated.MatchString(filepath.ToSlash(rel)) {
			return os.Remove(p)
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for name, b := range files {
		p := filepath.Join(out, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// secretWasm builds ../secretwasm (the SDK's secret chats) for
// GOOS=js GOARCH=wasm, reproducibly, and takes the Go runtime's
// wasm_exec.js beside it, both named by their content hash.
func secretWasm(src string) (map[string][]byte, error) {
	tmp, err := os.MkdirTemp("", "haven-wasm")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "secret.wasm")
	// Not inlining (-l) makes the program 7% smaller as sent, but for
	// the cryptography, whose speed matters more than its few bytes. The
	// program links no HTTP client: its calls go through the page.
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=",
		"-gcflags=all=-l", "-gcflags=crypto/...=", "-gcflags=golang.org/x/crypto/...=",
		"-o", out, "./secretwasm")
	cmd.Dir = filepath.Join(src, "..")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the secret chats' WebAssembly: %v\n%s", err, msg)
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return nil, err
	}
	execJS, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return nil, err
	}
	named := func(name, ext string, b []byte) string {
		h := sha256.Sum256(b)
		return "assets/" + name + "-" + strings.ToUpper(hex.EncodeToString(h[:])[:8]) + ext
	}
	// The program is stored gzipped (a quarter of its size, in the
	// repository and in the binary) and served as it is (see web.go).
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(wasm)
	zw.Close()
	return map[string][]byte{
		named("secret", ".wasm", wasm) + ".gz": gz.Bytes(),
		named("wasm_exec", ".js", execJS):      execJS,
	}, nil
}

// secretName is the name of the secret chats' file ending in ext.
func secretName(files map[string][]byte, ext string) string {
	for name := range files {
		if name = strings.TrimSuffix(name, ".gz"); strings.HasSuffix(name, ext) {
			return name
		}
	}
	return ""
}
