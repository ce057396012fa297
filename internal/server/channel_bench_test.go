package server_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
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
	subs := envCount(b, "HAVEN_CHANNEL_SUBSCRIBERS", 1000, 1)
	bs := startBench(b)
	admin, _, err := bs.signUp("admin@channel.test")
	if err != nil {
		b.Fatal(err)
	}
	var ch struct{ ID int64 }
	if err := bs.call(admin, "chats.createChannel", map[string]any{"title": "news", "username": "newsbench"}, &ch); err != nil {
		b.Fatal(err)
	}
	tokens := bs.signUpMany(b, subs, "sub%d@channel.test", func(tok string) error {
		return bs.call(tok, "chats.join", map[string]any{"chat_id": ch.ID}, nil)
	})
	client := bs.startIdleClient(b, writeTokens(b, tokens), 1, `"kind":"message.new"`)
	defer client.stop()
	next := func(prefix string) string {
		l := client.next(b)
		if !strings.HasPrefix(l, prefix) {
			b.Fatalf("the client said %q, want %q…", l, prefix)
		}
		return l
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
