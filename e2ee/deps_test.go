package e2ee

import (
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// forbidden are standard packages the protocol must not use: it does no
// file or network I/O, no cgo, no unsafe tricks, no logging (of secrets or
// anything) and no non-cryptographic randomness.
var forbidden = map[string]bool{
	"C": true, "unsafe": true, "syscall": true, "os": true, "os/exec": true, "io/fs": true,
	"net": true, "net/http": true, "plugin": true, "log": true, "log/slog": true,
	"math/rand": true, "math/rand/v2": true, "path/filepath": true, "embed": true,
}

// TestImports: the package imports only the standard library (less the
// forbidden packages) and golang.org/x/crypto: nothing of Haven's, so
// that the web app can compile it on its own.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			std := !strings.Contains(strings.Split(path, "/")[0], ".")
			switch {
			case std && forbidden[path]:
				t.Errorf("%s imports %s", name, path)
			case !std && !strings.HasPrefix(path, "golang.org/x/crypto/"):
				t.Errorf("%s imports %s: only the standard library and golang.org/x/crypto", name, path)
			}
		}
	}
}

// TestBuildsForWebAssembly: the package compiles for js/wasm without cgo,
// and everything it pulls in outside the standard library is
// golang.org/x/crypto or golang.org/x/sys/cpu (which x/crypto uses).
func TestBuildsForWebAssembly(t *testing.T) {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		if gobin, err = exec.LookPath("go"); err != nil {
			t.Fatalf("no go command to build with: %v", err)
		}
	}
	env := append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	build := exec.Command(gobin, "build", "-o", filepath.Join(t.TempDir(), "e2ee.a"), ".")
	build.Env = env
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=js GOARCH=wasm go build: %v\n%s", err, out)
	}
	list := exec.Command(gobin, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".")
	list.Env = env
	out, err := list.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/havenchat/haven/e2ee" && !strings.HasPrefix(p, "golang.org/x/crypto/") && p != "golang.org/x/sys/cpu" {
			t.Errorf("depends on %s", p)
		}
	}
}
