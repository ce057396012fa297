package sqlite_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/havenchat/haven/internal/store/sqlite"
)

// TestBlobReferencedFindsNewTables: a table added later with a blob_key
// (or *_blob_key) column is consulted without changing BlobReferenced.
func TestBlobReferencedFindsNewTables(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "haven.db")
	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := rawDB(t, path)
	defer db.Close()
	k1, k2, k3 := strings.Repeat("d", 64), strings.Repeat("e", 64), strings.Repeat("f", 64)
	_, err = db.Exec(`CREATE TABLE later_media (id INTEGER PRIMARY KEY, blob_key TEXT, thumb_blob_key TEXT, other_key TEXT);
		INSERT INTO later_media (blob_key, thumb_blob_key, other_key) VALUES (?, ?, ?)`, k1, k2, k3)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]bool{k1: true, k2: true, k3: false} {
		got, err := s.BlobReferenced(ctx, key)
		if err != nil || got != want {
			t.Errorf("BlobReferenced(%.8s…) = %v, %v; want %v", key, got, err, want)
		}
	}
}
