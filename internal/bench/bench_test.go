package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// havenBin is the haven binary the tests spawn, built by TestMain.
var havenBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "haven-bench-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	havenBin = filepath.Join(dir, "haven")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	out, err := exec.CommandContext(ctx, "go", "build", "-o", havenBin, "../../cmd/haven").CombinedOutput()
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building haven: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// small are sizes that run in a couple of seconds.
func small() Options {
	o := DefaultOptions()
	o.Spawn, o.Binary = true, havenBin
	o.Duration = 2 * time.Second
	o.Concurrency = 8
	o.Conns, o.Pairs, o.Members, o.Posters = 40, 4, 12, 3
	o.Subscribers, o.Online, o.Posts = 30, 20, 5
	o.Messages, o.Events, o.Rounds = 300, 200, 2
	return o
}

func runScenario(t *testing.T, scenario string, o Options) (*Report, *Result) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, scenario, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 {
		t.Fatalf("%d results, want 1", len(rep.Results))
	}
	var table bytes.Buffer
	rep.WriteTable(&table)
	t.Logf("\n%s", table.String())
	return rep, rep.Results[0]
}

// measuredSomething checks what every scenario must show: operations
// counted, a latency for each, no errors, and the spawned server's CPU
// and memory read.
func measuredSomething(t *testing.T, rep *Report, r *Result) {
	t.Helper()
	if rep.FloodControl != "off" || !rep.Spawned {
		t.Errorf("a spawned server: flood control %q, spawned %v", rep.FloodControl, rep.Spawned)
	}
	if r.Ops == 0 || r.Throughput <= 0 {
		t.Errorf("nothing measured: %d ops, %v/s", r.Ops, r.Throughput)
	}
	if r.Latency == nil || r.Latency.Count == 0 || r.Latency.P50 <= 0 || r.Latency.Max < r.Latency.P99 || r.Latency.P99 < r.Latency.P50 {
		t.Errorf("latency: %+v", r.Latency)
	}
	if len(r.Errors) != 0 {
		t.Errorf("errors: %v", r.Errors)
	}
	// The kernel counts a process's CPU in ticks of 10 ms: a measured
	// phase of a fraction of a second (5 channel posts) may honestly
	// read 0; one of a second or more, of a server at work, may not.
	if r.Server == nil || r.Server.PID <= 0 || r.Server.RSSPeak <= 0 || r.Server.CPU < 0 {
		t.Errorf("server use not read: %+v", r.Server)
	} else if r.Throughput > 0 && float64(r.Ops)/r.Throughput >= 1 && r.Server.CPU <= 0 {
		t.Errorf("server CPU not read over %.1f s: %+v", float64(r.Ops)/r.Throughput, r.Server)
	}
	if len(r.Series) == 0 {
		t.Error("no series for the plot")
	}
}

func TestSignup(t *testing.T) {
	rep, r := runScenario(t, "signup", small())
	measuredSomething(t, rep, r)
	// Every completed sign-up has its latency, and nothing else does.
	if r.Latency.Count != r.Ops {
		t.Errorf("%d latencies for %d sign-ups", r.Latency.Count, r.Ops)
	}
}

func TestDirect(t *testing.T) {
	rep, r := runScenario(t, "direct", small())
	measuredSomething(t, rep, r)
	// Every message acknowledged reached the other person's socket,
	// once.
	if acked := int64(r.Figures["messages acknowledged"]); acked == 0 || r.Ops != acked || r.Latency.Count != acked {
		t.Errorf("%d delivered (%d latencies), %d acknowledged", r.Ops, r.Latency.Count, acked)
	}
	if r.More["send→acknowledged"].Count == 0 {
		t.Error("no acknowledgement latencies")
	}
}

func TestDirectAtARate(t *testing.T) {
	o := small()
	o.Rate = 100
	rep, r := runScenario(t, "direct", o)
	measuredSomething(t, rep, r)
	// 100 messages a second for 2 seconds: about 200, not as many as
	// the server takes.
	if acked := r.Figures["messages acknowledged"]; acked < 100 || acked > 300 || r.Ops != int64(acked) {
		t.Errorf("at 100/s for 2 s: %v acknowledged, %d delivered", acked, r.Ops)
	}
}

func TestGroup(t *testing.T) {
	o := small()
	rep, r := runScenario(t, "group", o)
	measuredSomething(t, rep, r)
	// Each post reached every member but its poster.
	posts := int64(r.Figures["posts acknowledged"])
	if posts == 0 || r.Ops != posts*int64(o.Members-1) {
		t.Errorf("%d deliveries for %d posts to %d members", r.Ops, posts, o.Members)
	}
}

func TestChannel(t *testing.T) {
	o := small()
	rep, r := runScenario(t, "channel", o)
	measuredSomething(t, rep, r)
	// Each post is timed once, when the last online subscriber got it;
	// every online subscriber got every post, the offline ones nothing.
	if r.Ops != int64(o.Posts) || r.Figures["deliveries"] != float64(o.Posts*o.Online) {
		t.Errorf("%d posts timed, %v deliveries; want %d and %d", r.Ops, r.Figures["deliveries"], o.Posts, o.Posts*o.Online)
	}
	if each := r.More["post→each delivery"]; each.Max > r.Latency.Max+0.001 {
		t.Errorf("a delivery (%v ms) later than its post's last (%v ms)", each.Max, r.Latency.Max)
	}
}

func TestHistory(t *testing.T) {
	rep, r := runScenario(t, "history", small())
	measuredSomething(t, rep, r)
	if r.More["search, round trip"].Count == 0 {
		t.Error("no searches")
	}
	// The server's own time, from its metrics: every page and search
	// the bench counted, and a bound for their p99.
	pages, search := r.ServerTime["messages.history"], r.ServerTime["messages.search"]
	if pages == nil || search == nil || pages.Count < r.Ops || search.Count < r.More["search, round trip"].Count || pages.P99 == 0 {
		t.Errorf("server time: %+v %+v for %d pages", pages, search, r.Ops)
	}
}

// TestHistoryPagesAlone: --search-every 0 reads pages and no search.
func TestHistoryPagesAlone(t *testing.T) {
	o := small()
	o.SearchEvery = 0
	rep, r := runScenario(t, "history", o)
	measuredSomething(t, rep, r)
	if n := r.More["search, round trip"].Count; n != 0 {
		t.Errorf("%d searches, want none", n)
	}
	if search := r.ServerTime["messages.search"]; search != nil && search.Count != 0 {
		t.Errorf("the server answered %d searches", search.Count)
	}
}

func TestParseBuckets(t *testing.T) {
	before, err := parseBuckets(strings.NewReader(`# HELP haven_api_request_duration_seconds Time to answer
haven_api_request_duration_seconds_bucket{method="messages.send",le="0.001"} 10
haven_api_request_duration_seconds_bucket{method="messages.send",le="0.005"} 10
haven_api_request_duration_seconds_bucket{method="messages.send",le="+Inf"} 10
`))
	if err != nil {
		t.Fatal(err)
	}
	after, err := parseBuckets(strings.NewReader(`haven_api_request_duration_seconds_bucket{method="messages.send",le="0.001"} 60
haven_api_request_duration_seconds_bucket{method="messages.send",le="0.005"} 109
haven_api_request_duration_seconds_bucket{method="messages.send",le="+Inf"} 110
haven_api_request_duration_seconds_sum{method="messages.send"} 1
haven_api_request_duration_seconds_bucket{method="users.get",le="0.001"} 3
haven_api_request_duration_seconds_bucket{method="users.get",le="+Inf"} 3
`))
	if err != nil {
		t.Fatal(err)
	}
	st := serverTimes(before, after)
	// 100 sends in the phase: 50 within 1 ms, 99 within 5 ms, one over.
	if s := st["messages.send"]; s == nil || s.Count != 100 || s.P50 != 1 || s.P99 != 5 {
		t.Errorf("messages.send: %+v", s)
	}
	if s := st["users.get"]; s == nil || s.Count != 3 || s.P99 != 1 {
		t.Errorf("users.get: %+v", s)
	}
}

func TestCatchup(t *testing.T) {
	o := small()
	rep, r := runScenario(t, "catchup", o)
	measuredSomething(t, rep, r)
	// Every missed message came back, in every round.
	if r.Ops != int64(o.Events*o.Rounds) || r.Latency.Count != int64(o.Rounds) {
		t.Errorf("%d events in %d catch-ups; want %d in %d", r.Ops, r.Latency.Count, o.Events*o.Rounds, o.Rounds)
	}
}

func TestIdle(t *testing.T) {
	o := small()
	rep, r := runScenario(t, "idle", o)
	measuredSomething(t, rep, r)
	if r.Ops != int64(o.Conns) || r.Figures["sockets open at the end"] != float64(o.Conns) {
		t.Errorf("%d sockets opened, %v open at the end; want %d", r.Ops, r.Figures["sockets open at the end"], o.Conns)
	}
	// The server's memory was read before and while holding them (how
	// much it grew is the figure, and may be noise at this size).
	if _, ok := r.Figures["memory per socket (bytes)"]; !ok || r.Figures["server rss held (bytes)"] <= 0 {
		t.Errorf("no memory figures: %v", r.Figures)
	}
}

func TestMixed(t *testing.T) {
	o := small()
	rep, r := runScenario(t, "mixed", o)
	if len(r.Parts) != 4 {
		t.Fatalf("%d parts, want 4", len(r.Parts))
	}
	for _, p := range r.Parts {
		measuredSomething(t, rep, p)
	}
	if r.Figures["idle sockets open at the end"] != float64(o.Conns/4) {
		t.Errorf("idle sockets: %v", r.Figures)
	}
	// The plot draws each part.
	plot := filepath.Join(t.TempDir(), "mixed.svg")
	if err := rep.WritePlot(plot); err != nil {
		t.Fatal(err)
	}
	if svg, err := os.ReadFile(plot); err != nil || bytes.Count(svg, []byte("<polyline")) != 3*len(r.Parts) {
		t.Errorf("the plot of a mixed run: %v, %d lines", err, bytes.Count(svg, []byte("<polyline")))
	}
}

// TestServerWithLimits drives a server given by URL, started with its
// default flood control: the sign-ups run into it, and the report says
// which limit got in the way.
func TestServerWithLimits(t *testing.T) {
	hook := freeAddr(t)
	url, pid, metrics := serve(t, "--code-sender", "webhook=http://"+hook+"/", "--metrics-listen", "127.0.0.1:0")
	o := small()
	o.Spawn, o.Server, o.HookListen, o.ServerPID, o.Metrics = false, url, hook, pid, metrics
	rep, r := runScenario(t, "signup", o)
	if r.Limits["FLOOD_WAIT"] == 0 || r.Errors["FLOOD_WAIT"] != r.Limits["FLOOD_WAIT"] {
		t.Errorf("limits %v, errors %v; want FLOOD_WAIT", r.Limits, r.Errors)
	}
	if !strings.HasPrefix(rep.FloodControl, "on") || rep.Spawned {
		t.Errorf("flood control %q, spawned %v", rep.FloodControl, rep.Spawned)
	}
	// Some got through before the limit, and the server's process was
	// read by its pid.
	if r.Ops == 0 || r.Server == nil || r.Server.PID != pid || r.Server.RSSPeak == 0 {
		t.Errorf("ops %d, server %+v", r.Ops, r.Server)
	}
	// Its metrics were read: every completed sign-up made one signUp.
	if st := r.ServerTime["auth.signUp"]; st == nil || st.Count < r.Ops {
		t.Errorf("server time of auth.signUp: %+v for %d sign-ups", st, r.Ops)
	}
	var table bytes.Buffer
	rep.WriteTable(&table)
	if !strings.Contains(table.String(), "limits that got in the way:") || !strings.Contains(table.String(), "FLOOD_WAIT×") {
		t.Errorf("the table does not name the limit:\n%s", table.String())
	}
}

// serve starts haven serve on a free port with args and returns its URL,
// process id and metrics URL (if any).
func serve(t *testing.T, args ...string) (string, int, string) {
	t.Helper()
	cmd := exec.Command(havenBin, append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir()}, args...)...)
	cmd.Env = cleanEnv()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	type urls struct{ api, metrics string }
	urlc := make(chan urls, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		var metrics string
		for sc.Scan() {
			if m := metricsLine.FindStringSubmatch(sc.Text()); m != nil {
				metrics = m[1]
			}
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- urls{m[1], metrics}
			}
		}
	}()
	select {
	case u := <-urlc:
		return u.api, cmd.Process.Pid, u.metrics
	case <-time.After(60 * time.Second):
		t.Fatal("the server did not serve within 60 s")
	}
	return "", 0, ""
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestMainWritesJSONAndPlot runs the command as a person would and reads
// back what it wrote.
func TestMainWritesJSONAndPlot(t *testing.T) {
	dir := t.TempDir()
	jsonPath, plotPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.svg")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"direct", "--spawn", "--pairs", "2", "--duration", "1s", "--concurrency", "4",
		"--json", jsonPath, "--plot", plotPath}, havenBin, &stdout, &stderr, false)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("progress on a stderr that is no terminal: %q", stderr.String())
	}
	for _, want := range []string{"flood control off", "send→delivery", "p99 ms", "direct", "pairs=2"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, stdout.String())
		}
	}
	var rep Report
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].Ops == 0 || rep.Results[0].Latency.P99 <= 0 || rep.Machine.Cores == 0 {
		t.Errorf("the JSON: %s", data)
	}
	svg, err := os.ReadFile(plotPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(svg, []byte("<svg")) || bytes.Count(svg, []byte("<polyline")) != 3 {
		t.Errorf("the plot: %.300s", svg)
	}
}

func TestMainRefusesBadCommandLines(t *testing.T) {
	for _, args := range [][]string{
		{"warp", "--spawn"},
		{"direct"},
		{"direct", "--spawn", "--server", "http://127.0.0.1:1"},
		{"direct", "--spawn", "--pairs", "0"},
		{"group", "--spawn", "--members", "1"},
		{"channel", "--spawn", "--online", "0"},
		{"direct", "--spawn", "extra"},
		{"direct", "--server", "http://127.0.0.1:1", "--server-args", "--x"},
		{"direct", "--server", "http://127.0.0.1:1", "--server-binary", "/bin/true"},
		{"history", "--spawn", "--search-every", "-1"},
	} {
		var stdout, stderr bytes.Buffer
		if code := Main(context.Background(), args, havenBin, &stdout, &stderr, false); code != 2 || !strings.Contains(stderr.String(), "haven bench: ") {
			t.Errorf("%q: exit %d, %q", args, code, stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"--help"}, havenBin, &stdout, &stderr, false); code != 0 || !strings.Contains(stdout.String(), "Scenarios:") {
		t.Errorf("--help: exit %d", code)
	}
}

func TestSweepPoints(t *testing.T) {
	o := small()
	pts, err := sweep("group", o)
	if err != nil || len(pts) != 4 || pts[0].Members != 10 || pts[3].Members != 10000 || pts[0].Posters != o.Posters {
		t.Fatalf("group sweep: %v %+v", err, pts)
	}
	pts, err = sweep("idle", o)
	if err != nil || len(pts) != 3 || pts[2].Conns != 15000 {
		t.Fatalf("idle sweep: %v", err)
	}
	pts, err = sweep("direct", o)
	if err != nil || len(pts) != 6 || pts[0].Rate != 1000 || pts[5].Rate != 0 {
		t.Fatalf("direct sweep: %v", err)
	}
	if _, err := sweep("history", o); err == nil {
		t.Fatal("a sweep of history")
	}
}

func TestParseDelivery(t *testing.T) {
	sent := time.Unix(0, 1767225600123456789)
	frame := []byte(`{"push":"chat.event","data":{"chat_id":12,"seq":9,"kind":"message.new","date":1767225600,"user_id":42,"message":{"chat_id":12,"id":7,"sender_id":42,"date":1767225600,"text":"` + benchText(sent, "hi") + `"}}}`)
	d, ok := parseDelivery(frame)
	if !ok || d.chatID != 12 || d.sender != 42 || d.sent != sent.UnixNano() {
		t.Fatalf("%+v %v", d, ok)
	}
	for _, f := range []string{
		strings.Replace(string(frame), "message.new", "message.edit", 1),
		strings.Replace(string(frame), `"text":"b `, `"text":"x `, 1),
		`{"push":"user.event","data":{}}`,
		`{"id":1,"ok":true,"result":{"text":"b 12"}}`,
	} {
		if _, ok := parseDelivery([]byte(f)); ok {
			t.Errorf("read as a delivery: %s", f)
		}
	}
}

func TestSeries(t *testing.T) {
	start := time.Unix(1000, 0)
	r := newRecorder(start, time.Second)
	for i := range 10 {
		r.record(i, start.Add(500*time.Millisecond), time.Duration(i+1)*time.Millisecond)
	}
	r.record(0, start.Add(1200*time.Millisecond), 40*time.Millisecond)
	r.record(1, start.Add(1300*time.Millisecond), 40*time.Millisecond)
	s := r.series(start.Add(1500 * time.Millisecond))
	if len(s) != 2 {
		t.Fatalf("%d intervals: %+v", len(s), s)
	}
	// The first second: 10 operations of 1 to 10 ms.
	if s[0].Ops != 10 || s[0].Rate != 10 || s[0].T != 1 || s[0].P50 < 4.9 || s[0].P50 > 5.1 || s[0].Max < 9.9 {
		t.Errorf("first interval: %+v", s[0])
	}
	// The last, half a second long: 2 operations are 4 per second.
	if s[1].Ops != 2 || s[1].Rate != 4 || s[1].T != 1.5 {
		t.Errorf("last interval: %+v", s[1])
	}
	if l := r.latency(); l.Count != 12 || l.Max < 39.9 || l.Max > 40.1 {
		t.Errorf("latency: %+v", l)
	}
}

// TestProfile keeps the spawned server's CPU profile of the measured
// phase.
func TestProfile(t *testing.T) {
	o := small()
	o.Profile = filepath.Join(t.TempDir(), "cpu.pprof")
	runScenario(t, "group", o)
	data, err := os.ReadFile(o.Profile)
	// A pprof profile is gzipped protocol buffers.
	if err != nil || len(data) < 100 || data[0] != 0x1f || data[1] != 0x8b {
		t.Fatalf("the profile: %v, %d bytes", err, len(data))
	}
}

// TestServerSetupWaitsOutFloodControl: against a server with flood
// control on, the setup (more sign-ups at once than the sign-in burst
// allows) waits out FLOOD_WAIT, and the measured posts that run into it
// are counted as the limit they met; what was acknowledged was still
// delivered.
func TestServerSetupWaitsOutFloodControl(t *testing.T) {
	hook := freeAddr(t)
	url, _, _ := serve(t, "--code-sender", "webhook=http://"+hook+"/", "--signin-code-per-ip", "1000")
	o := small()
	o.Spawn, o.Server, o.HookListen = false, url, hook
	// 200 posts/s offered per poster, whatever the answers' latency: far
	// past flood control's 30/s and burst of 60 on any machine (one post
	// in flight each stayed under it on a loaded one).
	o.Rate = 600
	rep, r := runScenario(t, "group", o)
	if !strings.HasPrefix(rep.FloodControl, "on") {
		t.Errorf("flood control %q", rep.FloodControl)
	}
	if r.Limits["FLOOD_WAIT"] == 0 {
		t.Errorf("limits %v; want FLOOD_WAIT from 3 posters offering 200 posts/s each", r.Limits)
	}
	if posts := int64(r.Figures["posts acknowledged"]); posts == 0 || r.Ops != posts*int64(o.Members-1) {
		t.Errorf("%d deliveries for %d posts", r.Ops, posts)
	}
}
