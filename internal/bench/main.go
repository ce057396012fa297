package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

const usage = `Usage: haven bench SCENARIO [flags]

Drives a Haven server over real sockets through the public API and prints
throughput, latency percentiles (p50/p90/p99/max), errors, and the
server's CPU and memory when it can read them.

Scenarios:
  signup   people signing up through the whole flow (--concurrency at once)
  idle     --conns signed-in sockets held for --duration; memory per socket
  direct   --pairs of people chatting; send→delivery latency per message
  group    --members online in a group, --posters of them posting;
           deliveries per second
  channel  --subscribers, --online of them connected; the owner posts
           --posts times; time until a post reached every online one
  history  pages of 50 and searches in a chat of --messages messages
  catchup  offline while --events messages arrive, then back: time to
           have them all (--rounds times)
  mixed    a messenger's day compressed: sign-ups, idle people, pairs,
           a group and history readers at once

--sweep measures how cost grows: group at 10, 100, 1,000 and 10,000
members; idle at 1,000, 5,000 and 15,000 sockets; direct at offered
loads of 1,000 to 16,000 messages/s and unbounded.

Where the server comes from (one of):
  --spawn        start "haven serve" on a temporary data directory and a
                 free loopback port, with flood control off and the
                 per-address caps raised (all load comes from one address)
  --server URL   a running server. Sign-in codes must reach the bench: start
                 it with --code-sender webhook=http://HOOK/ (HOOK is
                 --hook-listen). Limits that refuse the bench are counted
                 and named in the report.

Flags:
`

// Main is "haven bench": it parses args, runs the scenario and prints
// the report to stdout. binary is the haven executable that --spawn
// starts. Progress goes to stderr when stderrTTY.
func Main(ctx context.Context, args []string, binary string, stdout, stderr io.Writer, stderrTTY bool) int {
	o := DefaultOptions()
	o.Binary = binary
	fs := flag.NewFlagSet("haven bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var jsonPath, plotPath, serverArgs string
	fs.StringVar(&o.Server, "server", "", "URL of a running server")
	fs.BoolVar(&o.Spawn, "spawn", false, "start a server of its own")
	fs.StringVar(&serverArgs, "server-args", "", "more settings for the spawned server, space-separated")
	fs.StringVar(&o.Binary, "server-binary", o.Binary, "with --spawn: the haven executable to start (another build, measured with this load generator)")
	fs.IntVar(&o.ServerPID, "server-pid", 0, "with --server: its process id on this machine, to read its CPU and memory")
	fs.StringVar(&o.Metrics, "metrics", "", "with --server: its /metrics URL (its --metrics-listen), to read its own time per method")
	fs.StringVar(&o.HookListen, "hook-listen", o.HookListen, "with --server: where to receive its sign-in codes")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "how long the measured phase lasts")
	fs.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "requests in flight during setup, sign-ups and history reads (readers: at most 8)")
	fs.Float64Var(&o.Rate, "rate", 0, "offered load in messages per second over all senders; 0: as fast as answers come")
	fs.IntVar(&o.Conns, "conns", o.Conns, "idle: sockets")
	fs.IntVar(&o.Pairs, "pairs", o.Pairs, "direct: pairs of people")
	fs.IntVar(&o.Members, "members", o.Members, "group: members, all online")
	fs.IntVar(&o.Posters, "posters", o.Posters, "group: members posting")
	fs.IntVar(&o.Subscribers, "subscribers", o.Subscribers, "channel: subscribers")
	fs.IntVar(&o.Online, "online", o.Online, "channel: subscribers online (-1: all)")
	fs.IntVar(&o.Posts, "posts", o.Posts, "channel: posts")
	fs.IntVar(&o.Messages, "messages", o.Messages, "history: messages in the chat")
	fs.IntVar(&o.SearchEvery, "search-every", o.SearchEvery, "history: one call in this many is a search (0: pages alone)")
	fs.IntVar(&o.Events, "events", o.Events, "catchup: events missed")
	fs.IntVar(&o.Rounds, "rounds", o.Rounds, "catchup: times offline and back")
	fs.BoolVar(&o.Sweep, "sweep", false, "measure at growing sizes or loads")
	fs.StringVar(&jsonPath, "json", "", "write the figures to this JSON file")
	fs.StringVar(&o.Profile, "profile", "", "keep a CPU profile of the server over the measured phase in this file (go tool pprof reads it)")
	fs.StringVar(&o.SelfProfile, "self-profile", "", "keep a CPU profile of the bench itself over the measured phase in this file")
	fs.StringVar(&plotPath, "plot", "", "draw latency and throughput over time to this SVG file")
	printUsage := func(w io.Writer) {
		fmt.Fprint(w, usage)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "haven bench: "+format+"\nRun \"haven bench --help\" for usage.\n", a...)
		return 2
	}
	if len(args) == 0 {
		printUsage(stderr)
		return 2
	}
	scenario := args[0]
	if scenario == "-h" || scenario == "--help" || scenario == "help" {
		printUsage(stdout)
		return 0
	}
	err := fs.Parse(args[1:])
	if errors.Is(err, flag.ErrHelp) {
		printUsage(stdout)
		return 0
	}
	if err != nil {
		return fail("%v", err)
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q", fs.Arg(0))
	}
	if !knownScenario(scenario) {
		return fail("unknown scenario %q (want one of %s)", scenario, strings.Join(Scenarios, ", "))
	}
	if o.Spawn == (o.Server != "") {
		return fail("give --spawn or --server URL (one of them)")
	}
	if (o.ServerPID != 0 || o.Metrics != "") && o.Spawn {
		return fail("--server-pid and --metrics are for --server")
	}
	if o.SearchEvery < 0 {
		return fail("--search-every must be 0 or more")
	}
	if o.Binary != binary && !o.Spawn {
		return fail("--server-binary is for --spawn")
	}
	if serverArgs != "" {
		if !o.Spawn {
			return fail("--server-args is for --spawn")
		}
		o.ServerArgs = strings.Fields(serverArgs)
	}
	for name, v := range map[string]int{"concurrency": o.Concurrency, "conns": o.Conns, "pairs": o.Pairs, "members": o.Members,
		"posters": o.Posters, "subscribers": o.Subscribers, "posts": o.Posts, "messages": o.Messages, "events": o.Events, "rounds": o.Rounds} {
		if v < 1 {
			return fail("--%s must be at least 1", name)
		}
	}
	if o.Online == 0 || o.Online < -1 {
		return fail("--online must be at least 1 (or -1: every subscriber)")
	}
	if o.Members < 2 {
		return fail("--members must be at least 2")
	}
	if o.Messages < pageSize+2 {
		return fail("--messages must be at least %d", pageSize+2)
	}
	if o.Duration <= 0 || o.Rate < 0 {
		return fail("--duration must be above 0 and --rate 0 or above")
	}
	if stderrTTY {
		o.Progress = stderr
	}
	rep, err := Run(ctx, scenario, o)
	if rep != nil && len(rep.Results) > 0 {
		rep.WriteTable(stdout)
		if jsonPath != "" {
			if werr := rep.WriteJSON(jsonPath); werr != nil {
				fmt.Fprintf(stderr, "haven bench: %v\n", werr)
				return 1
			}
		}
		if plotPath != "" {
			if werr := rep.WritePlot(plotPath); werr != nil {
				fmt.Fprintf(stderr, "haven bench: %v\n", werr)
				return 1
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "haven bench: %v\n", err)
		if ctx.Err() != nil {
			return 130
		}
		return 1
	}
	return 0
}

// IsTerminal reports whether f is a terminal (for the progress line).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
