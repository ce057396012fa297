package cli

import (
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the side a terminal emulator holds
// and the side a program reads as its terminal.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skip("no pseudo-terminals here:", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Skip("unlockpt:", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Skip("ptsname:", err)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skip("opening the terminal:", err)
	}
	t.Cleanup(func() { tty.Close() })
	return master, tty
}

// TestSecretNoEcho types a line on a terminal: a plain answer is echoed,
// a secret is not, and the echo is back afterwards.
func TestSecretNoEcho(t *testing.T) {
	master, tty := openPTY(t)
	lr := newLineReader(tty)
	if lr.fd < 0 {
		t.Fatal("newLineReader does not see the terminal")
	}
	echoed := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(master) // until the test closes the terminal
		echoed <- string(b)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if _, err := master.WriteString("visible\n"); err != nil {
		t.Fatal(err)
	}
	if s, err := lr.line(ctx); err != nil || s != "visible" {
		t.Fatalf("line = %q, %v", s, err)
	}
	var out strings.Builder
	done := make(chan struct{})
	var secret string
	var serr error
	go func() {
		secret, serr = lr.secret(ctx, &out)
		close(done)
	}()
	// Type only once the echo is off.
	for {
		tio, err := unix.IoctlGetTermios(int(tty.Fd()), ioctlGetTermios)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the echo was not turned off for the secret")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := master.WriteString("hunter2-secret\n"); err != nil {
		t.Fatal(err)
	}
	<-done
	if serr != nil || secret != "hunter2-secret" {
		t.Fatalf("secret = %q, %v", secret, serr)
	}
	tio, err := unix.IoctlGetTermios(int(tty.Fd()), ioctlGetTermios)
	if err != nil || tio.Lflag&unix.ECHO == 0 {
		t.Errorf("the echo is still off after the secret (%v)", err)
	}
	tty.Close()
	got := <-echoed
	if !strings.Contains(got, "visible") {
		t.Errorf("the terminal did not echo the plain answer: %q", got)
	}
	if strings.Contains(got, "hunter2") {
		t.Errorf("the terminal echoed the secret: %q", got)
	}
}
