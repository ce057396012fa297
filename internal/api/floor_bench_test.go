//go:build linux

package api

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkWriteFloor measures what the kernel alone allows for a
// channel post on this machine: one pre-built ~300-byte WebSocket frame
// written to each of N loopback TCP sockets (HAVEN_FLOOR_SOCKETS, 15,000
// by default; ulimit -n 20000), one write system call per socket, by 1
// or 2 writer goroutines. The readers, a goroutine per socket as a
// client holds them, run in a child process (this test binary again,
// see TestFloorReaderHelper) on the same machine, as the bench's do.
// One op is one round: every socket written once, then waited for until
// the child has read the frame on every one. It reports the writers'
// time per round (write-ms) and the time until the last reader had it
// (deliver-ms). HAVEN_FLOOR_READERS=epoll reads the child's sockets as
// haven bench does (one epoll reader per core, no goroutine per socket).
//
//	ulimit -n 20000; go test -run XXX -bench WriteFloor -benchtime 100x ./internal/api/
func BenchmarkWriteFloor(b *testing.B) {
	n := 15000
	if v := os.Getenv("HAVEN_FLOOR_SOCKETS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("HAVEN_FLOOR_SOCKETS=%q: want a count", v)
		}
	}
	frame := textFrame([]byte(fmt.Sprintf(`{"push":"chat.event","data":{"chat_id":1234567,"seq":42,"event":"message.new","message":{"id":987654321,"chat_id":1234567,"from":{"id":55,"name":"Channel"},"date":1765000000,"text":"%0200d"}}}`, 0)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFloorReaderHelper$")
	cmd.Env = append(os.Environ(), "HAVEN_FLOOR_READER="+ln.Addr().String(), "HAVEN_FLOOR_N="+strconv.Itoa(n), "HAVEN_FLOOR_FRAME="+strconv.Itoa(len(frame)))
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	fds := make([]int, 0, n)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := ln.Accept()
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
		rc, _ := c.(*net.TCPConn).SyscallConn()
		_ = rc.Control(func(fd uintptr) { fds = append(fds, int(fd)) })
	}
	rd := bufio.NewReader(out)
	if line, err := rd.ReadString('\n'); err != nil || line != "ready\n" {
		b.Fatalf("reader child: %q %v", line, err)
	}
	for _, writers := range []int{1, 2} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			var writeNs, deliverNs int64
			var short atomic.Int64
			for b.Loop() {
				start := time.Now()
				var wg sync.WaitGroup
				per := (len(fds) + writers - 1) / writers
				for w := range writers {
					part := fds[min(w*per, len(fds)):min((w+1)*per, len(fds))]
					wg.Add(1)
					go func() {
						defer wg.Done()
						for _, fd := range part {
							m, err := syscall.Write(fd, frame)
							if err != nil || m != len(frame) {
								short.Add(1) // the floor assumes the kernel takes it all
							}
						}
					}()
				}
				wg.Wait()
				writeNs += int64(time.Since(start))
				if _, err := rd.ReadByte(); err != nil {
					b.Fatal("reader child:", err)
				}
				deliverNs += int64(time.Since(start))
			}
			if short.Load() > 0 {
				b.Fatalf("%d writes were short", short.Load())
			}
			b.ReportMetric(float64(writeNs)/float64(b.N)/1e6, "write-ms")
			b.ReportMetric(float64(deliverNs)/float64(b.N)/1e6, "deliver-ms")
			b.ReportMetric(float64(writeNs)/float64(b.N)/float64(len(fds)), "write-ns/socket")
		})
	}
}

// TestFloorReaderHelper is BenchmarkWriteFloor's reading side, run in a
// child process: it dials the sockets, reads each round's frame on every
// one (a goroutine per socket, 1 KiB of buffer), and writes a byte to
// stdout when every socket has read a round.
func TestFloorReaderHelper(t *testing.T) {
	addr := os.Getenv("HAVEN_FLOOR_READER")
	if addr == "" {
		t.Skip("run by BenchmarkWriteFloor")
	}
	n, _ := strconv.Atoi(os.Getenv("HAVEN_FLOOR_N"))
	size, _ := strconv.Atoi(os.Getenv("HAVEN_FLOOR_FRAME"))
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	var mu sync.Mutex
	rounds := map[int64]int{} // round → sockets that have read it
	report := make(chan struct{}, 1024)
	count := func(got *int64, round *int64) {
		for *got >= int64(size)*(*round+1) {
			*round++
			mu.Lock()
			rounds[*round]++
			if rounds[*round] == n {
				delete(rounds, *round)
				report <- struct{}{}
			}
			mu.Unlock()
		}
	}
	if os.Getenv("HAVEN_FLOOR_READERS") == "epoll" {
		epollReaders(t, conns, count)
		fmt.Println("ready")
		for range report {
			os.Stdout.Write([]byte{1})
		}
		return
	}
	for _, c := range conns {
		go func() {
			buf := make([]byte, 1024)
			var got, round int64
			for {
				m, err := c.Read(buf)
				if err != nil {
					if err != io.EOF {
						fmt.Fprintln(os.Stderr, "reader:", err)
					}
					return
				}
				got += int64(m)
				count(&got, &round)
			}
		}()
	}
	fmt.Println("ready")
	for range report {
		os.Stdout.Write([]byte{1})
	}
}
