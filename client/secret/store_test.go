package secret_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// memStore is a SecretStore in memory, as a program that keeps the state
// elsewhere than in a file (the web app's IndexedDB) has one.
type memStore struct {
	mu sync.Mutex
	b  []byte
}

func (m *memStore) Load() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.b == nil {
		return nil, client.ErrNoSecretState
	}
	return append([]byte(nil), m.b...), nil
}

func (m *memStore) Save(b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.b = append([]byte(nil), b...)
	return nil
}

// TestSecretStoreElsewhere: a device kept in a SecretStore of the
// program's rather than a file is created, talks with a file-kept one,
// and opens again from what the store holds, sessions and messages
// included; a store that holds nothing opens as ErrNoSecretState.
func TestSecretStoreElsewhere(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := testserver.Start(t)
	annC, annU := srv.SignUp(t, "ann@example.org", "Ann")
	bobC, bobU := srv.SignUp(t, "bob@example.org", "Bob")
	srv.Befriend(t, annC, bobC)

	if _, err := client.OpenSecretChatsIn(annC, &memStore{}); !errors.Is(err, client.ErrNoSecretState) {
		t.Fatalf("opening an empty store: %v, want ErrNoSecretState", err)
	}
	st := &memStore{}
	ann, err := client.CreateSecretDeviceIn(ctx, annC, st)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := client.CreateSecretDevice(ctx, bobC, t.TempDir()+"/bob.secret")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ann.SendText(ctx, bobU.ID, "first", 0); err != nil {
		t.Fatal(err)
	}
	wantMessage(t, ctx, bob, annU.ID, "first", false)
	// Opened anew from the store alone: the session goes on.
	ann2, err := client.OpenSecretChatsIn(annC, st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.SendText(ctx, annU.ID, "second", 0); err != nil {
		t.Fatal(err)
	}
	wantMessage(t, ctx, ann2, bobU.ID, "second", false)
	ms, err := ann2.Messages(bobU.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Text != "first" || ms[1].Text != "second" {
		t.Fatalf("the reopened device holds %+v", ms)
	}
}
