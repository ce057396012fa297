package secret

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// state is what a device keeps of its secret chats, in one file
// readable by its owner only (mode 0600): the account and device
// private keys, the ratchet sessions, the pinned device lists of each
// contact and the messages. It is rewritten whole, through a new file
// renamed over the old one, after every change, and before the server
// is told an envelope was received.
type state struct {
	Version     int                  `json:"version"`
	User        int64                `json:"user"`
	AccountSeed []byte               `json:"account_seed"`
	Device      []byte               `json:"device"`
	Sessions    []byte               `json:"sessions"`
	OwnList     []byte               `json:"own_list"`
	Peers       map[int64]*peer      `json:"peers"`
	Chats       map[int64][]*Message `json:"chats"`
	Warnings    []Warning            `json:"warnings"`
}

// peer is what a device knows of a contact's secret-chat keys.
type peer struct {
	// List is the newest signed device list seen: its account key is
	// pinned at first contact.
	List []byte `json:"list"`
	// IdentityChanged is set when the account key changed and the
	// person has not accepted it yet (AcceptIdentity): sends refused.
	IdentityChanged bool `json:"identity_changed"`
}

const stateVersion = 1

// ErrNoState is returned by Open when its state file
// does not exist.
var ErrNoState = errors.New("haven: no secret-chat state")

// Store keeps a device's secret-chat state: one opaque value,
// read once when the chats are opened and written whole after every
// change. It holds the device's private keys: keep it where only its
// owner can read it.
type Store interface {
	// Load returns the state last saved, or an error wrapping
	// ErrNoState when there is none.
	Load() ([]byte, error)
	// Save replaces the state durably: after it returns, a crash leaves
	// the new state, and before, the old one.
	Save([]byte) error
}

// FileStore keeps the state in the file at path, of mode 0600,
// written through a new file renamed over the old one.
func FileStore(path string) Store { return fileStore(path) }

type fileStore string

func (path fileStore) Load() ([]byte, error) {
	b, err := os.ReadFile(string(path))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s", ErrNoState, string(path))
	}
	return b, err
}

func loadState(store Store) (*state, error) {
	b, err := store.Load()
	if err != nil {
		return nil, err
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("haven: secret-chat state: %w", err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("haven: secret-chat state has version %d, want %d", st.Version, stateVersion)
	}
	if st.Peers == nil {
		st.Peers = map[int64]*peer{}
	}
	if st.Chats == nil {
		st.Chats = map[int64][]*Message{}
	}
	return &st, nil
}

func (st *state) save(store Store) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := store.Save(b); err != nil {
		return fmt.Errorf("haven: saving secret-chat state: %w", err)
	}
	return nil
}

// Save writes the state durably: a new file of mode 0600, synced, then
// renamed over the old one, so that a crash leaves one or the other.
func (path fileStore) Save(b []byte) error {
	p := string(path)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.%d.tmp", p, time.Now().UnixNano())
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
