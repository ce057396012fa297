//go:build linux

package netpoll

import (
	"sync"

	"golang.org/x/sys/unix"
)

// Poller is an epoll set and the goroutine that waits on it.
type Poller struct {
	epfd int
	mu   sync.Mutex
	fds  map[int32]Readable
}

var (
	once    sync.Once
	shared  *Poller
	initErr error
)

// Shared returns the process's poller, started on first use. It lives
// as long as the process: a descriptor closed is gone from the set by
// itself.
func Shared() (*Poller, error) {
	once.Do(func() {
		fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			initErr = err
			return
		}
		shared = &Poller{epfd: fd, fds: make(map[int32]Readable)}
		go shared.wait()
	})
	return shared, initErr
}

const armed = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

// Arm watches fd for r, once: its first registration adds it to the
// set, each later one arms it again.
func (p *Poller) Arm(fd int, r Readable) error {
	ev := unix.EpollEvent{Events: armed, Fd: int32(fd)}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.fds[int32(fd)]; ok && old == r {
		return unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, fd, &ev)
	}
	p.fds[int32(fd)] = r
	err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
	if err == unix.EEXIST {
		// The number was another connection's, closed without Remove.
		err = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, fd, &ev)
	}
	if err != nil {
		delete(p.fds, int32(fd))
	}
	return err
}

// Remove stops watching fd for r; call it before closing fd. A
// descriptor now someone else's is left alone.
func (p *Poller) Remove(fd int, r Readable) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fds[int32(fd)] != r {
		return
	}
	delete(p.fds, int32(fd))
	_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil)
}

func (p *Poller) wait() {
	events := make([]unix.EpollEvent, 256)
	var ready []Readable
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			panic("netpoll: epoll_wait: " + err.Error())
		}
		p.mu.Lock()
		ready = ready[:0]
		for _, ev := range events[:n] {
			if r, ok := p.fds[ev.Fd]; ok {
				ready = append(ready, r)
			}
		}
		p.mu.Unlock()
		for _, r := range ready {
			r.Readable()
		}
		clear(ready)
	}
}
