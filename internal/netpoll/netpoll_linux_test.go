//go:build linux

package netpoll

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

type ready chan struct{}

func (r ready) Readable() { r <- struct{}{} }

func (r ready) wait(t *testing.T, want bool, what string) {
	t.Helper()
	select {
	case <-r:
		if !want {
			t.Fatalf("%s: told readable, want nothing", what)
		}
	case <-time.After(300 * time.Millisecond):
		if want {
			t.Fatalf("%s: not told readable", what)
		}
	}
}

// TestOneShot: an armed descriptor is told once when bytes come, not
// again until armed again (then at once if bytes still wait), and not
// after Remove.
func TestOneShot(t *testing.T) {
	p, err := Shared()
	if err != nil {
		t.Fatal(err)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	r := make(ready, 4)
	if err := p.Arm(fds[0], r); err != nil {
		t.Fatal(err)
	}
	r.wait(t, false, "nothing written")
	unix.Write(fds[1], []byte("a"))
	r.wait(t, true, "a byte written")
	unix.Write(fds[1], []byte("b"))
	r.wait(t, false, "more written before arming again")
	if err := p.Arm(fds[0], r); err != nil {
		t.Fatal(err)
	}
	r.wait(t, true, "armed again with bytes waiting")
	// Someone else's Remove leaves the descriptor armed for r.
	p.Remove(fds[0], make(ready))
	if err := p.Arm(fds[0], r); err != nil {
		t.Fatal(err)
	}
	r.wait(t, true, "after another's Remove")
	p.Remove(fds[0], r)
	unix.Write(fds[1], []byte("c"))
	r.wait(t, false, "removed")
}
