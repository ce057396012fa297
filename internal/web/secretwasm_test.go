package web_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// secretWasmBudget is the most the secret chats' WebAssembly may weigh
// as sent (gzipped). Issue 15's target is 1 MiB: the program is at 1.25
// MiB since it stopped linking an HTTP client (it was 2.89), and what
// remains above the target is chiefly encoding/json and fmt (they come
// together: json imports fmt), about 0.25 MiB (docs/e2ee.md).
const secretWasmBudget = 13 << 20 / 10 // 1.3 MiB

// TestSecretWasmBudget holds the committed secret-chat WebAssembly to its
// budget, so that a change that makes it link more is seen here.
func TestSecretWasmBudget(t *testing.T) {
	names, err := filepath.Glob(filepath.Join("dist", "assets", "secret-*.wasm.gz"))
	if err != nil || len(names) != 1 {
		t.Fatalf("dist holds %v (%v), want one secret-*.wasm.gz", names, err)
	}
	fi, err := os.Stat(names[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d bytes (%.2f MiB); the budget is %.2f MiB", filepath.Base(names[0]), fi.Size(), float64(fi.Size())/(1<<20), float64(secretWasmBudget)/(1<<20))
	if fi.Size() > secretWasmBudget {
		t.Fatalf("%s is %d bytes; the budget is %d", names[0], fi.Size(), secretWasmBudget)
	}
}

// TestSecretWasmLinksNoNetworking: the secret chats' program makes its
// calls through the page (secretwasm's pageTransport), so it must not
// pull in an HTTP, TLS or WebSocket client, nor the SDK's client
// package, which has them: they were most of its size.
func TestSecretWasmLinksNoNetworking(t *testing.T) {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		if gobin, err = exec.LookPath("go"); err != nil {
			t.Fatalf("no go command: %v", err)
		}
	}
	list := exec.Command(gobin, "list", "-deps", "./secretwasm")
	list.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	out, err := list.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := map[string]bool{
		"net": true, "net/http": true, "crypto/tls": true, "crypto/x509": true,
		"github.com/coder/websocket": true, "github.com/havenchat/haven/client": true,
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps answered only %v", deps)
	}
	for _, p := range deps {
		if forbidden[p] {
			t.Errorf("the secret chats' WebAssembly links %s", p)
		}
	}
}
