package main

// BenchmarkServerSizing measures what docs/operations.md's sizing section
// quotes, on the real binary through real sockets:
//
//	go test ./cmd/haven -run '^$' -bench ServerSizing -benchtime 1x
//
// It reports the resident memory of an idle server, the memory each
// signed-in WebSocket adds, and the disk each text message takes (the
// database and its search index, after the server stopped and folded
// its write-ahead log in).

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// rssBytes reads a process's resident set size from /proc.
func rssBytes(b *testing.B, pid int) int64 {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// settledRSS waits for the resident size to stop moving (the runtime
// returns memory to the system lazily) and returns it.
func settledRSS(b *testing.B, pid int) int64 {
	b.Helper()
	last := rssBytes(b, pid)
	for range 20 {
		time.Sleep(500 * time.Millisecond)
		now := rssBytes(b, pid)
		if d := now - last; d < 256<<10 && d > -(256<<10) {
			return now
		}
		last = now
	}
	return last
}

func dbBytes(b *testing.B, dir string) int64 {
	b.Helper()
	var n int64
	for _, name := range []string{"haven.db", "haven.db-wal", "haven.db-search.db", "haven.db-search.db-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func BenchmarkServerSizing(b *testing.B) {
	const (
		people         = 20
		socketsEach    = 100 // 2,000 signed-in sockets
		messages       = 20_000
		senders        = 8
		messageText    = "See you at the station at half past six, the usual platform" // 60 characters, a typical chat line
		signUpDeadline = 2 * time.Minute
	)
	for range b.N {
		data := b.TempDir()
		p := startBench(b, data, "--flood-rate", "100000", "--flood-burst", "100000",
			"--signin-code-per-ip", "100000", "--signin-code-per-identifier", "1000")
		pid := p.cmd.Process.Pid
		idle := settledRSS(b, pid)

		tokens := make([]string, people)
		ids := make([]int64, people)
		for i := range people {
			tokens[i], ids[i] = benchSignUp(b, p, fmt.Sprintf("+4420794670%02d", i), i+1)
		}
		before := settledRSS(b, pid)
		ctx, cancel := context.WithTimeout(context.Background(), signUpDeadline)
		var conns []*websocket.Conn
		for i := range people {
			for range socketsEach {
				h := http.Header{}
				h.Set("Authorization", "Bearer "+tokens[i])
				c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(p.url, "http")+"/api/ws?batch=1", &websocket.DialOptions{HTTPHeader: h})
				if err != nil {
					b.Fatalf("socket %d: %v", len(conns), err)
				}
				c.SetReadLimit(1 << 20)
				go func() { // drain pushes, as a client does
					for {
						if _, _, err := c.Read(context.Background()); err != nil {
							return
						}
					}
				}()
				conns = append(conns, c)
			}
		}
		cancel()
		withSockets := settledRSS(b, pid)
		for _, c := range conns {
			c.Close(websocket.StatusNormalClosure, "")
		}

		// Disk per message: a private chat between two people.
		var first crashView
		call(b, p.url, "messages.send", tokens[0], map[string]any{"user_id": ids[1], "text": messageText, "random_id": 1}, &first)
		p.stopBench(b)
		base := dbBytes(b, data)
		p = startBench(b, data, "--flood-rate", "100000", "--flood-burst", "100000")
		hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
		var wg sync.WaitGroup
		errs := make(chan error, senders)
		start := time.Now()
		for w := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := w; k < messages; k += senders {
					_, err := trySend(hc, p.url, tokens[k%2], map[string]any{"chat_id": first.ChatID, "text": messageText, "random_id": int64(k + 2)})
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		sendTime := time.Since(start)
		p.stopBench(b)
		grown := dbBytes(b, data) - base

		b.ReportMetric(float64(idle)/(1<<20), "idle-RSS-MiB")
		b.ReportMetric(float64(withSockets-before)/float64(len(conns))/1024, "KiB/socket")
		b.ReportMetric(float64(grown)/messages, "disk-B/message")
		b.ReportMetric(messages/sendTime.Seconds(), "sends/s")
		b.Logf("idle %.1f MiB; %d people signed in %.1f MiB; %d sockets %.1f MiB; %d messages of %d characters: +%d bytes on disk",
			float64(idle)/(1<<20), people, float64(before)/(1<<20), len(conns), float64(withSockets)/(1<<20), messages, len(messageText), grown)
	}
}

// startBench starts "haven serve" for a benchmark and waits until it
// serves.
func startBench(b *testing.B, dataDir string, args ...string) *proc {
	b.Helper()
	p := &proc{stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(havenBin, append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	b.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if m := servingLine.FindStringSubmatch(p.stderr.String()); m != nil {
			p.url = m[1]
			return p
		}
		if time.Now().After(deadline) {
			b.Fatalf("haven did not serve:\n%s", p.stderr.String())
		}
	}
}

func (p *proc) stopBench(b *testing.B) {
	b.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		b.Fatal("haven did not stop")
	}
}

// benchSignUp makes an account, reading the n-th code from the log.
func benchSignUp(b *testing.B, p *proc, phone string, n int) (string, int64) {
	b.Helper()
	var sent sentCode
	call(b, p.url, "auth.sendCode", "", map[string]string{"identifier": phone}, &sent)
	var code string
	for deadline := time.Now().Add(10 * time.Second); code == ""; time.Sleep(5 * time.Millisecond) {
		if m := loginCodeLine.FindAllStringSubmatch(p.stderr.String(), -1); len(m) >= n {
			code = regexpCode.FindStringSubmatch(m[n-1][0])[1]
		}
		if time.Now().After(deadline) {
			b.Fatalf("no code for %s", phone)
		}
	}
	var auth authorization
	call(b, p.url, "auth.signIn", "", map[string]string{"login_token": sent.LoginToken, "code": code}, &auth)
	call(b, p.url, "auth.signUp", "", map[string]string{"login_token": sent.LoginToken, "first_name": "P"}, &auth)
	return auth.Token, auth.User.ID
}

var regexpCode = regexp.MustCompile(`code=([0-9]{5})`)
