package sqlite_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/havenchat/haven/internal/store/sqlite"
)

// filesHolding names the files of the database at path (and of its
// search index) whose bytes contain word.
func filesHolding(t *testing.T, path, word string) []string {
	t.Helper()
	var in []string
	for _, db := range []string{path, sqlite.SearchPath(path)} {
		for _, f := range []string{"", "-wal", "-shm"} {
			b, err := os.ReadFile(db + f)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(word)) {
				in = append(in, filepath.Base(db+f))
			}
		}
	}
	return in
}

// TestOpenCutsLeftoverWAL: a process that stopped between a deletion and
// the checkpoint that follows it left the deleted text in its WAL; the
// next Open checkpoints and truncates it before anything else.
func TestOpenCutsLeftoverWAL(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path, crashed := filepath.Join(dir, "haven.db"), filepath.Join(dir, "crashed.db")
	s := open(t, path)
	defer s.Close()
	// Raw statements: the writer does not know they erased anything, as
	// if it had stopped before the checkpoint was due.
	const word = "leftoverwordinthewal"
	if err := s.Exec(ctx, `CREATE TABLE scratch (t TEXT)`, `INSERT INTO scratch VALUES ('`+word+`')`); err != nil {
		t.Fatal(err)
	}
	if err := s.Exec(ctx, `DELETE FROM scratch`); err != nil {
		t.Fatal(err)
	}
	// The files as a power cut would leave them.
	for _, f := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crashed+f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if in := filesHolding(t, crashed, word); len(in) == 0 {
		t.Fatal("the deleted text is not in the crashed database's files: the test looks in the wrong place")
	}
	c := open(t, crashed)
	defer c.Close()
	if in := filesHolding(t, crashed, word); len(in) != 0 {
		t.Errorf("after Open, the deleted text is still in %v", in)
	}
}
