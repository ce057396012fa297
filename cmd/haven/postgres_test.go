package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/havenchat/haven/internal/store/postgres"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
)

var appliedMigration = regexp.MustCompile(`(?m)^.*msg="postgres: applied migration".*$`)

// TestThreeNodesStartOnOnePostgres starts three haven serve processes at
// once on one new PostgreSQL database, as a cluster's nodes would: one
// migrates it while the others wait, all three serve, and what is written
// through one node is read through the others.
func TestThreeNodesStartOnOnePostgres(t *testing.T) {
	t.Parallel()
	srv := pgtest.Get(t)
	db := srv.ConnString(srv.NewEmpty(t))
	// The nodes share the keys (the first start makes the Web Push key,
	// the others read it; the secret is written before).
	shared := t.TempDir()
	secret := filepath.Join(shared, "secret.key")
	if err := os.WriteFile(secret, []byte(strings.Repeat("k", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	nodes := make([]*proc, 3)
	for i := range nodes {
		nodes[i] = start(t, t.TempDir(), "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--db", db,
			"--secret-file", secret, "--push-key-file", filepath.Join(shared, "vapid.key"))
	}
	var wg sync.WaitGroup
	for _, p := range nodes {
		wg.Go(func() { p.waitServing() })
	}
	wg.Wait()
	migrated := 0
	for _, p := range nodes {
		migrated += len(appliedMigration.FindAllString(p.stderr.String(), -1))
	}
	want, err := postgres.Migrations()
	if err != nil || migrated != len(want) {
		t.Fatalf("the three nodes applied %d migrations in all, want each of %v once (%v)", migrated, want, err)
	}

	// Ann signs up on node 0 and posts in a group; Bob signs up on node
	// 1; node 2 knows both, and serves Ann's history.
	tokA, ann := signUp(t, nodes[0], "+442079460031", "Ann", 1)
	_, bob := signUp(t, nodes[1], "+442079460032", "Bob", 1)
	if ann.ID == bob.ID {
		t.Fatalf("two nodes gave the same user id %d", ann.ID)
	}
	var group struct {
		ID int64 `json:"id"`
	}
	call(t, nodes[0].url, "chats.createGroup", tokA, map[string]any{"title": "Across nodes"}, &group)
	var sent crashView
	call(t, nodes[1].url, "messages.send", tokA, map[string]any{"chat_id": group.ID, "text": "sent through node 1", "random_id": 7}, &sent)
	hist := wholeHistory(t, nodes[2].url, tokA, group.ID)
	if len(hist) == 0 || hist[len(hist)-1].Text != "sent through node 1" || hist[len(hist)-1].ID != sent.ID {
		t.Fatalf("history through node 2 = %+v, want it to end with %+v", hist, sent)
	}
	for _, p := range nodes {
		p.stop()
	}
}
