//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package cli

import "errors"

// isTerminal reports false where the terminal cannot be controlled:
// secrets are then read as plain lines.
func isTerminal(fd int) bool { return false }

func echoOff(fd int) (restore func(), err error) {
	return nil, errors.New("cannot turn off the echo on this system")
}
