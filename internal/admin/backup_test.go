package admin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/store/sqlite"
)

// serverData makes what a server leaves in dataDir: its database, secret
// key and one blob.
func serverData(t *testing.T, dataDir string) *config.Serve {
	t.Helper()
	cfg, err := config.LoadServe([]string{"--data-dir", dataDir}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dataDir, dbFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.SecretFile, []byte(strings.Repeat("k", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.PushKeyFile, []byte("a VAPID key"), 0o600); err != nil {
		t.Fatal(err)
	}
	content := []byte("a file's bytes")
	sum := sha256.Sum256(content)
	key := hex.EncodeToString(sum[:])
	blob := filepath.Join(dataDir, blobsDir, key[:2], key[2:4], key)
	if err := os.MkdirAll(filepath.Dir(blob), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blob, content, 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	if err := os.Chtimes(blob, old, old); err != nil {
		t.Fatal(err)
	}
	// The blob store's temporary files are no blobs.
	if err := os.MkdirAll(filepath.Join(dataDir, blobsDir, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, blobsDir, "tmp", "put-1"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestRestoreChecksAndCleansUp: a restore checks every file against the
// manifest, keeps blobs' times, and, when anything is wrong, leaves the
// target as it found it.
func TestRestoreChecksAndCleansUp(t *testing.T) {
	ctx := context.Background()
	src := serverData(t, filepath.Join(t.TempDir(), "data"))
	backup := filepath.Join(t.TempDir(), "backup")
	m, err := Backup(ctx, src, backup)
	if err != nil {
		t.Fatal(err)
	}
	if m.Blobs != 1 || len(m.Keys) != 2 || m.Keys[0].Name != "secret.key" || m.Keys[1].Name != "vapid.key" {
		t.Fatalf("manifest %+v: want 1 blob (not the temporary file), secret.key and vapid.key", m)
	}
	if _, err := os.Stat(filepath.Join(backup, blobsDir, "tmp")); err == nil {
		t.Errorf("the blob store's tmp directory was backed up")
	}

	target := func() *config.Serve {
		cfg, err := config.LoadServe([]string{"--data-dir", filepath.Join(t.TempDir(), "restored")}, nil, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	good := target()
	if _, err := Restore(ctx, good, backup); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(good.SecretFile)
	if err != nil || string(b) != strings.Repeat("k", 32) {
		t.Fatalf("restored secret %q, %v", b, err)
	}
	var blob string
	filepath.WalkDir(filepath.Join(good.DataDir, blobsDir), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			blob = p
		}
		return nil
	})
	fi, err := os.Stat(blob)
	if err != nil || time.Since(fi.ModTime()) < 2*time.Hour {
		t.Errorf("restored blob %s: %v, %v; want its old modification time kept", blob, fi, err)
	}
	if _, err := Restore(ctx, good, backup); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a second restore over the first: %v, want not empty", err)
	}

	// A damaged blob: refused, and the new data directory is gone.
	rel, _ := filepath.Rel(good.DataDir, blob)
	if err := os.WriteFile(filepath.Join(backup, rel), []byte("a file's bytez"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := target()
	if _, err := Restore(ctx, bad, backup); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("a restore of a damaged blob: %v, want damaged", err)
	}
	if _, err := os.Stat(bad.DataDir); !os.IsNotExist(err) {
		t.Errorf("a failed restore left %s (%v)", bad.DataDir, err)
	}
	// Into an empty directory made by the operator: left empty.
	if err := os.MkdirAll(bad.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, bad, backup); err == nil {
		t.Fatal("a restore of a damaged blob succeeded")
	}
	if entries, err := os.ReadDir(bad.DataDir); err != nil || len(entries) != 0 {
		t.Errorf("a failed restore left %v (%v) in the operator's directory", entries, err)
	}
	if _, err := os.Stat(bad.SecretFile); !os.IsNotExist(err) {
		t.Errorf("a failed restore left the key (%v)", err)
	}

	// An unfinished backup (no manifest) is refused.
	if err := os.Remove(filepath.Join(backup, manifestFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, target(), backup); err == nil || !strings.Contains(err.Error(), "not a finished") {
		t.Errorf("a backup without its manifest: %v", err)
	}
}

func TestParseExpiry(t *testing.T) {
	for in, want := range map[string]time.Duration{"0": 0, "7d": 7 * 24 * time.Hour, "36h": 36 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := parseExpiry(in); err != nil || got != want {
			t.Errorf("parseExpiry(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1h", "0d", "1w", "x", "99999d"} {
		if _, err := parseExpiry(in); err == nil {
			t.Errorf("parseExpiry(%q) succeeded", in)
		}
	}
}
