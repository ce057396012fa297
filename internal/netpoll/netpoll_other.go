//go:build !linux

package netpoll

// Poller is not available on this system.
type Poller struct{}

// Shared reports ErrUnsupported.
func Shared() (*Poller, error) { return nil, ErrUnsupported }

// Arm is never called: Shared gave no poller.
func (p *Poller) Arm(fd int, r Readable) error { return ErrUnsupported }

// Remove is never called: Shared gave no poller.
func (p *Poller) Remove(fd int, r Readable) {}
