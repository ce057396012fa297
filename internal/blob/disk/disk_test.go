package disk

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/havenchat/haven/internal/blob/blobtest"
	"github.com/havenchat/haven/internal/core"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) core.Blobs {
		s, err := New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestLayout checks what the package comment promises about the files.
func TestLayout(t *testing.T) {
	dir := t.TempDir()
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	key, err := s.Put(context.Background(), bytes.NewReader([]byte("x")), 1)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, key[:2], key[2:4], key)
	info, err := os.Stat(p)
	if err != nil {
		t.Fatalf("blob not at %s: %v", p, err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("blob mode %v, want 0600", info.Mode().Perm())
	}
	for _, d := range []string{filepath.Join(dir, key[:2]), filepath.Dir(p), filepath.Join(dir, "tmp")} {
		if info, err := os.Stat(d); err != nil || info.Mode().Perm() != 0o700 {
			t.Errorf("dir %s: %v, %v; want mode 0700", d, info, err)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(entries) != 0 {
		t.Errorf("tmp holds %d files after a Put", len(entries))
	}
}

// TestStaleTempRemoved: New removes temporary files left by a crash once
// they are old, and leaves young ones (a Put may be running).
func TestStaleTempRemoved(t *testing.T) {
	dir := t.TempDir()
	if _, err := New(dir); err != nil {
		t.Fatal(err)
	}
	old, young := filepath.Join(dir, "tmp", "put-old"), filepath.Join(dir, "tmp", "put-young")
	for _, p := range []string{old, young} {
		if err := os.WriteFile(p, []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	then := time.Now().Add(-25 * time.Hour)
	os.Chtimes(old, then, then)
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("stale temp file kept: %v", err)
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("young temp file removed: %v", err)
	}
	if got, err := s.List(context.Background(), "", 10); err != nil || len(got) != 0 {
		t.Errorf("List = %v, %v; temp files are not blobs", got, err)
	}
}
