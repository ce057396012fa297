package server_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkChannelPost measures how long one channel post takes to reach
// every online subscriber: from the moment the admin sends it until the
// last subscriber's socket has it, over loopback TCP, with the sockets
// held by a child process (see TestIdleClientHelper). Posts go one after
// the other; the figures are the latency percentiles over b.N posts.
// HAVEN_CHANNEL_SUBSCRIBERS sets how many subscribers are online (1,000
// by default; the target is 15,000: ulimit -n 20000). HAVEN_CHANNEL_CPUPROF=FILE
// writes a CPU profile of the server while it posts.
func BenchmarkChannelPost(b *testing.B) {
	subs := 1000
	if v := os.Getenv("HAVEN_CHANNEL_SUBSCRIBERS"); v != "" {
		var err error
		if subs, err = strconv.Atoi(v); err != nil || subs < 1 {
			b.Fatalf("HAVEN_CHANNEL_SUBSCRIBERS=%q: want a number of subscribers", v)
		}
	}
	bs := startBench(b)
	admin, _, err := bs.signUp("admin@channel.test")
	if err != nil {
		b.Fatal(err)
	}
	var ch struct{ ID int64 }
	if err := bs.call(admin, "chats.createChannel", map[string]any{"title": "news", "username": "newsbench"}, &ch); err != nil {
		b.Fatal(err)
	}
	tokens := make([]string, subs)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range subs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			tok, _, err := bs.signUp(fmt.Sprintf("sub%d@channel.test", i))
			if err == nil {
				err = bs.call(tok, "chats.join", map[string]any{"chat_id": ch.ID}, nil)
			}
			if err != nil {
				b.Error(err)
			}
			tokens[i] = tok
		}()
	}
	wg.Wait()
	if b.Failed() {
		return
	}
	list := b.TempDir() + "/tokens"
	if err := os.WriteFile(list, []byte(strings.Join(tokens, "\n")), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClientHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "HAVEN_IDLE_CLIENT="+bs.srv.URL(), "HAVEN_IDLE_TOKENS="+list, "HAVEN_IDLE_PER_PERSON=1",
		`HAVEN_IDLE_MARKER="kind":"message.new"`)
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
	defer func() {
		stdin.Close()
		_ = cmd.Wait()
	}()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func(prefix string) string {
		select {
		case l := <-lines:
			if !strings.HasPrefix(l, prefix) {
				b.Fatalf("the client said %q, want %q…", l, prefix)
			}
			return l
		case <-time.After(5 * time.Minute):
			b.Fatalf("the client said nothing for 5 minutes (waiting for %q)", prefix)
		}
		return ""
	}
	next("ready ")
	stopProf := startCPUProfile(b, os.Getenv("HAVEN_CHANNEL_CPUPROF"))
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if err := bs.call(admin, "messages.send", map[string]any{"chat_id": ch.ID, "text": "news for every subscriber", "random_id": i + 1}, nil); err != nil {
			b.Fatal(err)
		}
		f := strings.Fields(next(fmt.Sprintf("got %d ", i)))
		at, _ := strconv.ParseInt(f[2], 10, 64)
		lat = append(lat, time.Unix(0, at).Sub(start))
	}
	b.StopTimer()
	stopProf()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(0, "ns/op")
}
