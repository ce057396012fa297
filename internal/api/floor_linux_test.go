package api

import (
	"net"
	"runtime"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// epollReaders reads conns with one level-triggered epoll reader per
// core, as haven bench reads its sockets, calling count with each
// socket's bytes read so far and rounds counted.
func epollReaders(t *testing.T, conns []net.Conn, count func(got, round *int64)) {
	type sock struct{ got, round int64 }
	per := runtime.GOMAXPROCS(0)
	for w := range per {
		epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			t.Fatal(err)
		}
		socks := map[int32]*sock{}
		for i := w; i < len(conns); i += per {
			rc, _ := conns[i].(*net.TCPConn).SyscallConn()
			var fd int
			_ = rc.Control(func(f uintptr) { fd = int(f) })
			socks[int32(fd)] = &sock{}
			ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
			if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
				t.Fatal(err)
			}
		}
		go func() {
			events := make([]unix.EpollEvent, 512)
			buf := make([]byte, 64<<10)
			for {
				k, err := unix.EpollWait(epfd, events, -1)
				if err != nil {
					continue
				}
				for _, ev := range events[:k] {
					m, err := syscall.Read(int(ev.Fd), buf)
					if err != nil || m <= 0 {
						continue
					}
					s := socks[ev.Fd]
					s.got += int64(m)
					count(&s.got, &s.round)
				}
			}
		}()
	}
}
