package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Environment variables the terminal commands read. "haven serve" does
// not know them, so the command line hides them from it (see [EnvNames]).
const (
	// EnvConfigDir names the directory of the stored session instead of
	// the user's config directory: for tests, and for running two accounts.
	EnvConfigDir = "HAVEN_CONFIG_DIR"
	// EnvServer is the server "haven login" signs in to when --server is
	// not given.
	EnvServer = "HAVEN_SERVER"
)

// EnvNames lists the environment variables of the terminal commands.
func EnvNames() []string { return []string{EnvConfigDir, EnvServer} }

// DefaultServer is the server "haven login" signs in to without
// --server or HAVEN_SERVER: "haven serve" with no flags.
const DefaultServer = "http://127.0.0.1:8080"

// sessionFile is the name of the stored session in the config directory.
const sessionFile = "session.json"

// ErrNotSignedIn is returned by [LoadSession] when no session is stored.
var ErrNotSignedIn = errors.New("not signed in: run haven login")

// Session is what "haven login" stores: the server, the session token
// and who it signs in. The token is a secret: it is never printed.
type Session struct {
	// Server is the base URL of the server, as given to haven login.
	Server string `json:"server"`
	// Token is the session token (hvn_…).
	Token string `json:"token"`
	// UserID is the account's id.
	UserID int64 `json:"user_id"`
	// Name is the account's name when it signed in.
	Name string `json:"name"`
}

// ConfigDir returns the directory of Haven's terminal files: the value
// of HAVEN_CONFIG_DIR when getenv gives one, else "haven" in the user's
// config directory (os.UserConfigDir: $XDG_CONFIG_HOME or ~/.config on
// Linux, ~/Library/Application Support on macOS, %AppData% on Windows).
// getenv is os.Getenv in the haven command; tests pass their own.
func ConfigDir(getenv func(string) string) (string, error) {
	if d := getenv(EnvConfigDir); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the config directory (set %s to choose one): %w", EnvConfigDir, err)
	}
	return filepath.Join(base, "haven"), nil
}

// SessionPath returns the path of the session file in the config
// directory dir.
func SessionPath(dir string) string { return filepath.Join(dir, sessionFile) }

// LoadSession reads the session stored in dir. It returns an error
// wrapping [ErrNotSignedIn] when there is none, and an error naming the
// file when it cannot be read or is not a complete session.
func LoadSession(dir string) (*Session, error) {
	path := SessionPath(dir)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotSignedIn
	}
	if err != nil {
		return nil, fmt.Errorf("reading the session: %w", err)
	}
	var s Session
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("session file %s is damaged (%v): remove it and run haven login", path, err)
	}
	if s.Server == "" || s.Token == "" || s.UserID == 0 {
		return nil, fmt.Errorf("session file %s is incomplete: remove it and run haven login", path)
	}
	return &s, nil
}

// SaveSession stores s in dir, replacing any stored session. It makes
// dir (mode 0700) when missing and writes the file (mode 0600) under a
// temporary name first, then renames it, so that a reader sees the old
// session or the new one, never a part of one.
func SaveSession(dir string, s *Session) (err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("making the config directory: %w", err)
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	// CreateTemp makes the file with mode 0600 whatever the umask.
	f, err := os.CreateTemp(dir, ".session-*.tmp")
	if err != nil {
		return fmt.Errorf("saving the session: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("saving the session: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("saving the session: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("saving the session: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("saving the session: %w", err)
	}
	if err := os.Rename(tmp, SessionPath(dir)); err != nil {
		return fmt.Errorf("saving the session: %w", err)
	}
	syncDir(dir)
	return nil
}

// RemoveSession deletes the session stored in dir; it is not an error
// when there is none.
func RemoveSession(dir string) error {
	err := os.Remove(SessionPath(dir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the session: %w", err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename or removal in dir durable, where the system
// allows it (best effort: the session is small and can be made again).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// CachePath is the file where haven chat keeps its cache of the
// account userID, in the config directory dir.
func CachePath(dir string, userID int64) string {
	return filepath.Join(dir, fmt.Sprintf("cache-%d.db", userID))
}

// SecretPath is the file where haven chat keeps the secret-chat keys of
// the account userID's device (its session), in the config directory
// dir.
func SecretPath(dir string, userID int64) string {
	return filepath.Join(dir, fmt.Sprintf("secret-%d.json", userID))
}

// RemoveCaches removes every cache of haven chat in dir, with the
// journal files of SQLite, and the secret-chat keys of the device: what
// it kept goes with the session (the server deletes the device's keys
// and queue with it, so the private keys serve nothing any more).
func RemoveCaches(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "cache-*.db*"))
	if err != nil {
		return err
	}
	secrets, err := filepath.Glob(filepath.Join(dir, "secret-*.json"))
	if err != nil {
		return err
	}
	files = append(files, secrets...)
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
