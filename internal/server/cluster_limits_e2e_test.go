package server_test

import (
	"bufio"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestClusterFloodHolds: one person calling two nodes in turn gets the
// configured burst in all, not a burst per node: each node charges its
// buckets with the tokens the other reported taking (ADR 0012). The
// nodes' clocks stand still, so no token comes back meanwhile.
func TestClusterFloodHolds(t *testing.T) {
	const burst = 6
	nodes := startCluster(t, 2, "--flood-rate", "1", "--flood-burst", "6")
	var ph phones
	_, tok, _ := signUpHTTP(t, nodes[0], &ph, "Ann")
	allowed, refused := 0, 0
	for i := range 4 * burst {
		c := &httpCaller{t: t, base: nodes[i%2].url, token: tok}
		switch r := c.call("users.getMe", nil); r.code() {
		case "OK":
			allowed++
			if refused > 0 {
				t.Fatalf("call %d on node %d allowed after a FLOOD_WAIT", i+1, i%2)
			}
		case "FLOOD_WAIT":
			refused++
			if r.Error.RetryAfter < 1 {
				t.Fatalf("FLOOD_WAIT with retry_after %d", r.Error.RetryAfter)
			}
		default:
			t.Fatalf("call %d: %s", i+1, r.code())
		}
		// Longer than a report's interval (nodeshare.FloodEvery), with
		// room for a busy machine.
		time.Sleep(150 * time.Millisecond)
	}
	// One more than the burst: a report late on a loaded machine.
	if allowed < burst || allowed > burst+1 {
		t.Fatalf("%d calls allowed across two nodes, want the burst of %d (a burst per node would be %d)", allowed, burst, 2*burst)
	}
}

// TestClusterConnCapHolds: the TCP connections one address holds open
// count on every node: with conns-per-ip 4, three on node A and one on
// node B leave none on either, and one closed on A frees a place on B.
// (A node counts the others' as they report them, within
// nodeshare.ConnsEvery: the test waits that long at most.)
func TestClusterConnCapHolds(t *testing.T) {
	nodes := startCluster(t, 2, "--conns-per-ip", "4")
	a, b := nodes[0], nodes[1]
	var onA []net.Conn
	for i := range 3 {
		c := rawConn(t, a)
		if !healthy(t, c, bufio.NewReader(c)) {
			t.Fatalf("connection %d on node A refused", i+1)
		}
		onA = append(onA, c)
	}
	if c := rawConn(t, b); !healthy(t, c, bufio.NewReader(c)) {
		t.Fatal("a 4th connection, on node B, refused")
	}
	// Per node, each would take more: B holds one, A three.
	probe(t, b, false, "node B to refuse a 5th connection")
	probe(t, a, false, "node A to refuse a 5th connection")
	onA[0].Close()
	probe(t, b, true, "a connection closed on node A to free its place on node B")
	probe(t, a, false, "node A to refuse a 5th connection again")
}

// TestClusterSocketCapHolds: behind a trusted proxy (a cluster's load
// balancer), one client address's WebSockets count on every node: with
// ws-per-ip 3, two on node A and one on node B leave none on either.
func TestClusterSocketCapHolds(t *testing.T) {
	nodes := startCluster(t, 2, "--trusted-proxies", "127.0.0.1", "--ws-per-ip", "3", "--ws-unauthorized-per-ip", "3")
	a, b := nodes[0], nodes[1]
	client := xff("203.0.113.7")
	mustUpgrade(t, a, client, "1st socket, on node A")
	mustUpgrade(t, a, client, "2nd socket, on node A")
	mustUpgrade(t, b, client, "3rd socket, on node B")
	// Per node, each would take more: B holds one, A two.
	probeWS(t, b, client, "node B to refuse a 4th socket")
	probeWS(t, a, client, "node A to refuse a 4th socket")
	// Another address behind the same proxy is not lumped with it.
	mustUpgrade(t, b, xff("203.0.113.8"), "a socket of another address, on node B")
}

// probeWS upgrades sockets on n until one is refused with
// CONNECTIONS_TOO_MANY, closing those accepted meanwhile; it fails the
// test after 10 seconds.
func probeWS(t *testing.T, n *node, hdr http.Header, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, r := upgrade(t, n, hdr)
		if c == nil {
			if r.code() != "CONNECTIONS_TOO_MANY" {
				t.Fatalf("%s: refused with %d %s", what, r.Status, r.code())
			}
			return
		}
		c.conn.CloseNow()
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// probe dials n until a connection is served (wantServed; it is left
// open) or refused, closing those served meanwhile; it fails the test
// after 10 seconds.
func probe(t *testing.T, n *node, wantServed bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := rawConn(t, n)
		served := healthy(t, c, bufio.NewReader(c))
		if served == wantServed {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
