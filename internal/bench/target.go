package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// target is the server a run drives: one it spawned, or one given by URL.
type target struct {
	url string
	// metrics is the server's /metrics URL, or empty when the bench
	// cannot read it.
	metrics string
	hook    *codeHook
	proc    *sampler // nil when there is no process to sample
	// floodOff: the bench started the server with flood control off.
	floodOff bool

	mu     sync.Mutex // guards metrics
	cmd    *exec.Cmd
	exited chan struct{}
	logs   *tailBuffer
	dir    string
}

// spawnArgs are the settings of a spawned server: a free loopback port,
// flood control off, and every per-address and per-person cap of the
// edge raised past what one load generator on one address needs.
func spawnArgs(dir, hookURL string) []string {
	return []string{
		"--listen", "127.0.0.1:0", "--data-dir", dir, "--log-format", "text",
		"--code-sender", "webhook=" + hookURL,
		"--flood-rate", "0",
		"--signin-code-per-ip", "1000000000", "--signin-code-per-identifier", "1000",
		"--signin-guesses-per-day", "1000000",
		"--conns-per-ip", "1000000", "--ws-per-ip", "1000000", "--ws-unauthorized-per-ip", "1000000",
		"--ws-per-user", "1000000",
		// The server's own time per method, read from its metrics.
		"--metrics-listen", "127.0.0.1:0",
	}
}

var (
	servingLine = regexp.MustCompile(`msg="haven is serving" url=(\S+)`)
	metricsLine = regexp.MustCompile(`msg="metrics and profiles are served" url=(\S+)`)
)

// spawn starts binary serve on a temporary data directory and waits
// until it serves.
func spawn(ctx context.Context, binary string, extra []string) (*target, error) {
	hook, err := newCodeHook("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "haven-bench-")
	if err != nil {
		hook.close()
		return nil, err
	}
	t := &target{hook: hook, dir: dir, exited: make(chan struct{}), logs: &tailBuffer{max: 200}, floodOff: true}
	args := append([]string{"serve"}, spawnArgs(filepath.Join(dir, "data"), hook.url)...)
	t.cmd = exec.Command(binary, append(args, extra...)...)
	t.cmd.Env = cleanEnv()
	stderr, err := t.cmd.StderrPipe()
	if err != nil {
		t.close()
		return nil, err
	}
	t.cmd.Stdout = io.Discard
	if err := t.cmd.Start(); err != nil {
		hook.close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting %s serve: %w", binary, err)
	}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			t.logs.add(line)
			if m := metricsLine.FindStringSubmatch(line); m != nil {
				t.setMetrics(m[1])
			}
			if m := servingLine.FindStringSubmatch(line); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
		}
		t.cmd.Wait()
		close(t.exited)
	}()
	select {
	case t.url = <-urlc:
	case <-t.exited:
		err := fmt.Errorf("the spawned server exited before serving:\n%s", t.logs.String())
		t.close()
		return nil, err
	case <-time.After(60 * time.Second):
		t.close()
		return nil, errors.New("the spawned server did not serve within 60 s")
	case <-ctx.Done():
		t.close()
		return nil, ctx.Err()
	}
	t.proc = newSampler(t.cmd.Process.Pid)
	return t, nil
}

// setMetrics is called from the log reader before the serving line.
func (t *target) setMetrics(url string) {
	t.mu.Lock()
	t.metrics = url
	t.mu.Unlock()
}

func (t *target) metricsURL() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.metrics
}

// attach is the target of a running server at url; pid, when not 0, is
// its process on this machine, sampled like a spawned one's; metrics,
// when not empty, its /metrics URL.
func attach(url, hookListen string, pid int, metrics string) (*target, error) {
	hook, err := newCodeHook(hookListen)
	if err != nil {
		return nil, err
	}
	t := &target{url: strings.TrimRight(url, "/"), hook: hook, metrics: metrics}
	if pid != 0 {
		t.proc = newSampler(pid)
	}
	return t, nil
}

// cleanEnv is this process's environment without HAVEN_* variables,
// which the spawned serve would read as settings.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HAVEN_") {
			env = append(env, kv)
		}
	}
	return env
}

// close stops a spawned server (SIGTERM, then SIGKILL after 10 s) and
// removes its data.
func (t *target) close() {
	if t.proc != nil {
		t.proc.stop()
	}
	if t.cmd != nil && t.cmd.Process != nil {
		select {
		case <-t.exited:
		default:
			t.cmd.Process.Signal(os.Interrupt)
			select {
			case <-t.exited:
			case <-time.After(10 * time.Second):
				t.cmd.Process.Kill()
				<-t.exited
			}
		}
	}
	if t.hook != nil {
		t.hook.close()
	}
	if t.dir != "" {
		os.RemoveAll(t.dir)
	}
}

// alive reports an error when a spawned server has exited.
func (t *target) alive() error {
	if t.exited == nil {
		return nil
	}
	select {
	case <-t.exited:
		return fmt.Errorf("the spawned server exited:\n%s", t.logs.String())
	default:
		return nil
	}
}

// codeHook is the code sender's webhook: the server POSTs each sign-in
// code to it, and a sign-up waits for its own.
type codeHook struct {
	url string
	srv *http.Server

	mu    sync.Mutex
	codes map[string]chan string // to → its next code
}

func newCodeHook(listen string) (*codeHook, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("the code webhook cannot listen on %s: %w", listen, err)
	}
	h := &codeHook{url: "http://" + ln.Addr().String() + "/", codes: make(map[string]chan string)}
	h.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go h.srv.Serve(ln)
	return h, nil
}

func (h *codeHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m struct{ To, Code string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	select {
	case h.box(m.To) <- m.Code:
	default: // a code nobody waits for (a second one) replaces nothing
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *codeHook) box(to string) chan string {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.codes[to]
	if c == nil {
		c = make(chan string, 1)
		h.codes[to] = c
	}
	return c
}

// wait returns the code sent to to, and forgets it.
func (h *codeHook) wait(ctx context.Context, to string) (string, error) {
	c := h.box(to)
	defer func() {
		h.mu.Lock()
		delete(h.codes, to)
		h.mu.Unlock()
	}()
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	select {
	case code := <-c:
		return code, nil
	case <-t.C:
		return "", fmt.Errorf("no sign-in code for %s reached the webhook at %s within 30 s (is the server started with --code-sender webhook=%s ?)", to, h.url, h.url)
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (h *codeHook) close() { h.srv.Close() }

// tailBuffer keeps the last max lines of a log.
type tailBuffer struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (b *tailBuffer) add(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, line)
	if len(b.lines) > b.max {
		b.lines = b.lines[len(b.lines)-b.max:]
	}
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

// sampler reads a process's CPU time and resident memory from /proc
// four times a second.
type sampler struct {
	pid  int
	done chan struct{}
	once sync.Once

	mu      sync.Mutex
	samples []procSample
}

// procSample is one reading: the time, the CPU seconds used so far, the
// resident set in bytes.
type procSample struct {
	at  time.Time
	cpu float64
	rss int64
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

func newSampler(pid int) *sampler {
	s := &sampler{pid: pid, done: make(chan struct{})}
	if _, err := readProc(pid); err != nil {
		return nil // no /proc (not Linux) or not ours to read
	}
	go s.run()
	return s
}

func (s *sampler) run() {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		if p, err := readProc(s.pid); err == nil {
			s.mu.Lock()
			s.samples = append(s.samples, p)
			s.mu.Unlock()
		}
		select {
		case <-t.C:
		case <-s.done:
			return
		}
	}
}

func (s *sampler) stop() { s.once.Do(func() { close(s.done) }) }

// now reads the process at once (and keeps the sample).
func (s *sampler) now() procSample {
	p, _ := readProc(s.pid)
	s.mu.Lock()
	s.samples = append(s.samples, p)
	s.mu.Unlock()
	return p
}

// between returns the samples taken from start to end.
func (s *sampler) between(start, end time.Time) []procSample {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []procSample
	for _, p := range s.samples {
		if !p.at.Before(start) && !p.at.After(end) {
			out = append(out, p)
		}
	}
	return out
}

func readProc(pid int) (procSample, error) {
	p := procSample{at: time.Now()}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return p, err
	}
	// The command name (field 2) may hold spaces: fields count from
	// the last ')'.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return p, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return p, errors.New("short /proc stat")
	}
	utime, _ := strconv.ParseFloat(f[11], 64) // field 14
	stime, _ := strconv.ParseFloat(f[12], 64) // field 15
	p.cpu = (utime + stime) / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return p, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			p.rss = kb << 10
		}
	}
	return p, nil
}
