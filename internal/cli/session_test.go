package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSessionSaveLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "haven")
	if _, err := LoadSession(dir); !errors.Is(err, ErrNotSignedIn) {
		t.Fatalf("LoadSession of a missing directory: %v, want ErrNotSignedIn", err)
	}
	want := Session{Server: "http://127.0.0.1:8080", Token: "hvn_one", UserID: 5, Name: "Ann Lee"}
	if err := SaveSession(dir, &want); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSession(dir)
	if err != nil || *got != want {
		t.Fatalf("LoadSession: %+v, %v; want %+v", got, err, want)
	}
	fi, err := os.Stat(SessionPath(dir))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("session file: %v, %v; want mode 600", fi.Mode(), err)
	}
	di, err := os.Stat(dir)
	if err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("config directory: %v, %v; want mode 700", di.Mode(), err)
	}

	// A new session replaces the file by a rename, not by writing into
	// it: a reader holding the old file sees it whole, and no temporary
	// file is left behind.
	old, err := os.Open(SessionPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	oldInfo, _ := old.Stat()
	next := Session{Server: "https://haven.example.org", Token: "hvn_two", UserID: 6, Name: "Bob"}
	if err := SaveSession(dir, &next); err != nil {
		t.Fatal(err)
	}
	newInfo, err := os.Stat(SessionPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(oldInfo, newInfo) {
		t.Errorf("SaveSession wrote into the existing file instead of replacing it")
	}
	if got, err := LoadSession(dir); err != nil || *got != next {
		t.Errorf("LoadSession after replacing: %+v, %v", got, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("config directory holds %q, want only session.json", names)
	}

	if err := RemoveSession(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSession(dir); !errors.Is(err, ErrNotSignedIn) {
		t.Errorf("LoadSession after RemoveSession: %v", err)
	}
	if err := RemoveSession(dir); err != nil {
		t.Errorf("RemoveSession without a session: %v", err)
	}
}

func TestSessionDamaged(t *testing.T) {
	dir := t.TempDir()
	for _, data := range []string{`{"server": `, `{"server": "http://x", "user_id": 3}`, `[]`} {
		if err := os.WriteFile(SessionPath(dir), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadSession(dir)
		if err == nil || errors.Is(err, ErrNotSignedIn) || !strings.Contains(err.Error(), SessionPath(dir)) {
			t.Errorf("LoadSession of %q: %v; want an error naming the file", data, err)
		}
	}
}

func TestConfigDir(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	env[EnvConfigDir] = "/somewhere/else"
	if d, err := ConfigDir(getenv); err != nil || d != "/somewhere/else" {
		t.Errorf("ConfigDir with %s: %q, %v", EnvConfigDir, d, err)
	}
	delete(env, EnvConfigDir)
	base, err := os.UserConfigDir()
	if err != nil {
		t.Skip("no user config directory here:", err)
	}
	if d, err := ConfigDir(getenv); err != nil || d != filepath.Join(base, "haven") {
		t.Errorf("ConfigDir: %q, %v; want %q", d, err, filepath.Join(base, "haven"))
	}
}
