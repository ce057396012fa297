// Package natstest starts NATS servers inside a test process
// (github.com/nats-io/nats-server/v2 as a library) on random loopback
// ports: one server, or a cluster of several joined by routes.
package natstest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Start starts one NATS server on a random loopback port and stops it
// when the test ends.
func Start(t testing.TB) *server.Server {
	t.Helper()
	return start(t, &server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
}

// StartOn starts one NATS server on the loopback port given (to bring a
// server back where its clients look for it).
func StartOn(t testing.TB, port int) *server.Server {
	t.Helper()
	return start(t, &server.Options{Host: "127.0.0.1", Port: port, NoLog: true, NoSigs: true})
}

func start(t testing.TB, opts *server.Options) *server.Server {
	t.Helper()
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("starting a NATS server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		t.Fatal("the NATS server did not start within 30s")
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}

// Cluster starts n NATS servers joined in one cluster, each on random
// loopback ports, and waits until every one has a route to every other.
func Cluster(t testing.TB, n int) []*server.Server {
	t.Helper()
	var out []*server.Server
	var seed string
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("haven-test-%d", i),
			Host:       "127.0.0.1", Port: -1, NoLog: true, NoSigs: true,
			Cluster: server.ClusterOpts{Name: "haven-test", Host: "127.0.0.1", Port: -1},
		}
		if seed != "" {
			opts.Routes = server.RoutesFromStr(seed)
		}
		s := start(t, opts)
		if seed == "" {
			seed = "nats://" + s.ClusterAddr().String()
		}
		out = append(out, s)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, s := range out {
		for !routed(s, out) {
			if time.Now().After(deadline) {
				t.Fatalf("the NATS cluster did not form within 30s")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return out
}

// routed tells whether s has a route to every other server of all.
func routed(s *server.Server, all []*server.Server) bool {
	rz, err := s.Routez(nil)
	if err != nil {
		return false
	}
	peers := map[string]bool{}
	for _, r := range rz.Routes {
		peers[r.RemoteName] = true
	}
	for _, o := range all {
		if o != s && !peers[o.Name()] {
			return false
		}
	}
	return true
}

// URLs are the client addresses of servers, comma-separated, as
// internal/bus/nats takes them.
func URLs(servers ...*server.Server) string {
	var u []string
	for _, s := range servers {
		u = append(u, s.ClientURL())
	}
	return strings.Join(u, ",")
}
