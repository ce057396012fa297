package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// BenchmarkIdleSockets measures what an idle, signed-in WebSocket costs
// the server: heap and goroutine stacks in use, resident memory, and
// goroutines, each divided by the number of sockets. The server runs in
// this process; the sockets are dialled over loopback TCP by a child
// process (this test binary again, see TestIdleClientHelper), so that
// the client's memory is not counted and each process stays under its
// open-files limit. HAVEN_IDLE_SOCKETS sets how many (2,000 by default;
// the target figure is for 15,000: ulimit -n 20000); ten per person.
// HAVEN_IDLE_HEAPPROF=FILE writes a heap profile taken with the sockets
// open. Run it with -benchtime 1x: each op opens every socket.
func BenchmarkIdleSockets(b *testing.B) {
	n := envCount(b, "HAVEN_IDLE_SOCKETS", 2000, 10)
	const perPerson = 10
	bs := startBench(b, "--ws-per-user", strconv.Itoa(perPerson))
	people := n / perPerson
	tokens := bs.signUpMany(b, people, "idle%d@idle.test", nil)
	list := writeTokens(b, tokens)
	for b.Loop() {
		before := memNow()
		client := bs.startIdleClient(b, list, perPerson, "")
		if line := client.next(b); !strings.HasPrefix(line, "ready ") {
			client.stop()
			b.Fatalf("the client did not open its sockets: %q", line)
		}
		// Let the server's side of the last handshakes settle.
		time.Sleep(2 * time.Second)
		after := memNow()
		if f := os.Getenv("HAVEN_IDLE_HEAPPROF"); f != "" {
			pf, err := os.Create(f)
			if err != nil {
				b.Fatal(err)
			}
			_ = pprof.Lookup("heap").WriteTo(pf, 0)
			pf.Close()
		}
		client.stop()
		per := func(a, z uint64) float64 { return (float64(z) - float64(a)) / float64(people*perPerson) }
		b.ReportMetric(per(before.heap, after.heap), "heapB/socket")
		b.ReportMetric(per(before.stack, after.stack), "stackB/socket")
		b.ReportMetric(per(before.heap+before.stack, after.heap+after.stack), "B/socket")
		b.ReportMetric(per(before.rss, after.rss), "rssB/socket")
		b.ReportMetric(per(uint64(before.goroutines), uint64(after.goroutines)), "goroutines/socket")
	}
}

type memFigures struct {
	heap, stack, rss uint64
	goroutines       int
}

// memNow collects garbage and reads what the process holds.
func memNow() memFigures {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	f := memFigures{heap: m.HeapInuse, stack: m.StackInuse, goroutines: runtime.NumGoroutine()}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
				kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				f.rss = kb << 10
			}
		}
	}
	return f
}

// TestIdleClientHelper is BenchmarkIdleSockets's client, run as a child
// process: it opens every socket, says "ready N", and holds them (reading,
// so that pings are answered) until its standard input closes.
func TestIdleClientHelper(t *testing.T) {
	url := os.Getenv("HAVEN_IDLE_CLIENT")
	if url == "" {
		t.Skip("the client of BenchmarkIdleSockets; it runs only as its child")
	}
	raw, err := os.ReadFile(os.Getenv("HAVEN_IDLE_TOKENS"))
	if err != nil {
		t.Fatal(err)
	}
	per, _ := strconv.Atoi(os.Getenv("HAVEN_IDLE_PER_PERSON"))
	tokens := strings.Split(string(raw), "\n")
	// With a marker, count the frames that hold it over all sockets; at
	// each multiple of the number of sockets (one post reached all),
	// say "got K UNIXNANO".
	marker := []byte(os.Getenv("HAVEN_IDLE_MARKER"))
	total := int64(len(tokens) * per)
	var seen atomic.Int64
	ws := "ws" + strings.TrimPrefix(url, "http") + "/api/ws"
	tr := &http.Transport{MaxIdleConnsPerHost: -1}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []*websocket.Conn
	var firstErr error
	sem := make(chan struct{}, 32)
	for _, tok := range tokens {
		for range per {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				c, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}, HTTPHeader: http.Header{"Authorization": {"Bearer " + tok}}})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					return
				}
				conns = append(conns, c)
				c.SetReadLimit(1 << 20)
				go func() {
					for {
						_, data, err := c.Read(context.Background())
						if err != nil {
							return
						}
						if len(marker) > 0 && bytes.Contains(data, marker) {
							if k := seen.Add(1); k%total == 0 {
								fmt.Printf("got %d %d\n", k/total-1, time.Now().UnixNano())
							}
						}
					}
				}()
			}()
		}
	}
	wg.Wait()
	if firstErr != nil {
		fmt.Printf("failed %d open: %v\n", len(conns), firstErr)
		return
	}
	fmt.Printf("ready %d\n", len(conns))
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	for _, c := range conns {
		c.CloseNow()
	}
}

// envCount reads a count from the environment variable name: def when
// it is not set, and at least least.
func envCount(b *testing.B, name string, def, least int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < least {
		b.Fatalf("%s=%q: want a whole number, %d or more", name, v, least)
	}
	return n
}

// writeTokens writes the tokens, one a line, to a file for the idle
// client, and returns its path.
func writeTokens(b *testing.B, tokens []string) string {
	list := b.TempDir() + "/tokens"
	if err := os.WriteFile(list, []byte(strings.Join(tokens, "\n")), 0o600); err != nil {
		b.Fatal(err)
	}
	return list
}

// idleClient is a running TestIdleClientHelper.
type idleClient struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

// startIdleClient starts TestIdleClientHelper as a child process,
// holding per sockets for each token in the file list, and counting the
// frames that hold marker ("" for none).
func (bs *benchServer) startIdleClient(b *testing.B, list string, per int, marker string) *idleClient {
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClientHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "HAVEN_IDLE_CLIENT="+bs.srv.URL(), "HAVEN_IDLE_TOKENS="+list, fmt.Sprintf("HAVEN_IDLE_PER_PERSON=%d", per))
	if marker != "" {
		cmd.Env = append(cmd.Env, "HAVEN_IDLE_MARKER="+marker)
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	c := &idleClient{cmd: cmd, stdin: stdin, lines: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	return c
}

// next returns the client's next line; "" if it ended first, or said
// nothing for 5 minutes.
func (c *idleClient) next(b *testing.B) string {
	select {
	case l := <-c.lines:
		return l
	case <-time.After(5 * time.Minute):
		b.Logf("the client said nothing for 5 minutes")
		return ""
	}
}

// stop has the client close its sockets and waits for it to end.
func (c *idleClient) stop() {
	c.stdin.Close()
	_ = c.cmd.Wait()
}

// startCPUProfile profiles this process into file ("" for none) until
// the returned function is called.
func startCPUProfile(b *testing.B, file string) func() {
	if file == "" {
		return func() {}
	}
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
