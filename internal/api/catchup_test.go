package api

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/havenchat/haven/internal/bus/local"
	"github.com/havenchat/haven/internal/bus/nats"
	"github.com/havenchat/haven/internal/bus/nats/natstest"
	"github.com/havenchat/haven/internal/bus/ordered"
	"github.com/havenchat/haven/internal/codesend"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/password"
	"github.com/havenchat/haven/internal/store/sqlite"
)

// TestCatchUpOnlyWhenTheBusMayLose: a socket told it joined a chat
// reads the chat's events from the store only when the bus may have
// lost them (a network bus, other nodes publishing); a node alone on its
// in-process bus reads nothing.
func TestCatchUpOnlyWhenTheBusMayLose(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "haven.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cheap := password.DefaultParams
	cheap.Time, cheap.MemoryKiB = 1, 64
	svc, err := core.New(core.Config{Store: st, Codes: codesend.NewLog(log),
		Passwords: password.NewHasher(cheap, 0), Secret: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	network, err := nats.Connect(ctx, nats.Options{URL: natstest.URLs(natstest.Start(t))})
	if err != nil {
		t.Fatal(err)
	}
	defer network.Close(ctx)
	for _, tc := range []struct {
		name  string
		bus   *ordered.Bus
		reads bool
	}{
		{"alone", ordered.New(local.New(), ordered.Options{}), false},
		{"cluster", ordered.New(network, ordered.Options{}), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer tc.bus.Close(ctx)
			h := newHub(tc.bus, svc, log, newMetrics(prometheus.NewRegistry()), ConnLimits{})
			defer h.stop()
			s := &socket{out: newOutbox(), srv: &Server{wsQueue: DefaultWSQueueBytes}}
			s.actor.Store(&core.Actor{UserID: 1})
			h.mu.Lock()
			h.catchUpLocked(s, 7, 0)
			reads := s.catching[7] != nil
			h.mu.Unlock()
			if reads != tc.reads {
				t.Errorf("the socket reads the store to catch up: %v, want %v", reads, tc.reads)
			}
		})
	}
}
