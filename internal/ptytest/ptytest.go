// Package ptytest runs a program in a pseudo-terminal and reads its
// screen through a terminal emulator, the way a person would see it. The
// tests of the terminal app run the real haven binary with it.
package ptytest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Keys as a terminal sends them.
const (
	Enter    = "\r"
	Tab      = "\t"
	Esc      = "\x1b"
	Up       = "\x1b[A"
	Down     = "\x1b[B"
	PgUp     = "\x1b[5~"
	PgDown   = "\x1b[6~"
	Home     = "\x1b[H"
	F1       = "\x1bOP"
	AltEnter = "\x1b\r"
	CtrlC    = "\x03"
	CtrlF    = "\x06"
	CtrlG    = "\x07"
	CtrlL    = "\x0c"
	CtrlN    = "\x0e"
	CtrlO    = "\x0f"
)

// Term is a pseudo-terminal with an emulator reading its output.
type Term struct {
	ptm, pts *os.File

	mu    sync.Mutex
	emu   *vt.Emulator
	title string // the window title the program set

	done chan struct{}
}

// New opens a pseudo-terminal of w×h cells.
func New(w, h int) (*Term, error) {
	ptm, pts, err := pty.Open()
	if err != nil {
		return nil, err
	}
	// pty.Open leaves the controlling side in blocking mode, where Close
	// does not end a Read in progress; a non-blocking copy of it does.
	if ptm, err = pollable(ptm); err != nil {
		pts.Close()
		return nil, err
	}
	if err := pty.Setsize(ptm, &pty.Winsize{Cols: uint16(w), Rows: uint16(h)}); err != nil {
		ptm.Close()
		pts.Close()
		return nil, err
	}
	t := &Term{ptm: ptm, pts: pts, emu: vt.NewEmulator(w, h), done: make(chan struct{})}
	// Called from Write, under t.mu.
	t.emu.SetCallbacks(vt.Callbacks{Title: func(s string) { t.title = s }})
	go t.pump()
	go t.answer()
	return t, nil
}

// pollable returns a non-blocking copy of f, served by the runtime's
// poller, and closes f.
func pollable(f *os.File) (*os.File, error) {
	defer f.Close()
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// pump feeds what the program writes into the emulator.
func (t *Term) pump() {
	defer close(t.done)
	buf := make([]byte, 32<<10)
	for {
		n, err := t.ptm.Read(buf)
		if n > 0 {
			t.mu.Lock()
			t.emu.Write(buf[:n])
			t.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// answer sends the emulator's replies to the program's queries (cursor
// position, colours, …) back, as a terminal does.
func (t *Term) answer() {
	io.Copy(t.ptm, t.emu)
}

// Start runs cmd on the terminal, as its controlling terminal.
func (t *Term) Start(cmd *exec.Cmd) error {
	cmd.Stdin, cmd.Stdout, cmd.Stderr = t.pts, t.pts, t.pts
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setsid = true
	cmd.SysProcAttr.Setctty = true
	if err := cmd.Start(); err != nil {
		return err
	}
	// The child has its own copy of the terminal side.
	return t.pts.Close()
}

// Type sends keys, as typed.
func (t *Term) Type(keys ...string) {
	for _, k := range keys {
		t.ptm.Write([]byte(k))
		// Separate keys; a lone Esc needs longer, or the program reads
		// it as Alt held with the next key, as terminals encode it.
		if k == Esc {
			time.Sleep(150 * time.Millisecond)
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// Resize changes the terminal's size; the program gets SIGWINCH.
func (t *Term) Resize(w, h int) error {
	t.mu.Lock()
	t.emu.Resize(w, h)
	t.mu.Unlock()
	return pty.Setsize(t.ptm, &pty.Winsize{Cols: uint16(w), Rows: uint16(h)})
}

// Screen is the text on the screen now, each line without trailing
// spaces.
func (t *Term) Screen() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(t.emu.String(), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return strings.Join(lines, "\n")
}

// Title is the window title the program set last.
func (t *Term) Title() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.title
}

// Style is how a cell is drawn, as far as tests look.
type Style struct {
	Bold, Italic, Underline, Strikethrough bool
}

// StyleAt returns the style of the first cell of the first place the
// screen shows text, and whether it shows it.
func (t *Term) StyleAt(text string) (Style, bool) {
	for y, line := range strings.Split(t.Screen(), "\n") {
		i := strings.Index(line, text)
		if i < 0 {
			continue
		}
		x := ansi.StringWidth(line[:i])
		t.mu.Lock()
		defer t.mu.Unlock()
		c := t.emu.CellAt(x, y)
		if c == nil {
			return Style{}, false
		}
		a := c.Style.Attrs
		return Style{
			Bold:          a&uv.AttrBold != 0,
			Italic:        a&uv.AttrItalic != 0,
			Underline:     c.Style.Underline != uv.UnderlineNone,
			Strikethrough: a&uv.AttrStrikethrough != 0,
		}, true
	}
	return Style{}, false
}

// ErrTimeout is returned by WaitFor when the screen never matched.
var ErrTimeout = errors.New("ptytest: the screen did not show what was expected")

// WaitFor waits until ok(screen) holds and returns that screen.
func (t *Term) WaitFor(timeout time.Duration, ok func(screen string) bool) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		s := t.Screen()
		if ok(s) {
			return s, nil
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("%w; the screen:\n%s", ErrTimeout, s)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// WaitText waits until the screen contains every one of texts.
func (t *Term) WaitText(timeout time.Duration, texts ...string) (string, error) {
	return t.WaitFor(timeout, func(s string) bool {
		for _, x := range texts {
			if !strings.Contains(s, x) {
				return false
			}
		}
		return true
	})
}

// Close closes both sides of the terminal.
func (t *Term) Close() {
	t.pts.Close() // already closed once a program was started on it
	t.ptm.Close()
	<-t.done
	// End the answering goroutine by closing the emulator's reply pipe
	// (Emulator.Close would race with its Read).
	if c, ok := t.emu.InputPipe().(io.Closer); ok {
		c.Close()
	}
}
