package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// runSignup: people signing up through the whole flow (a code sent,
// read from the webhook, checked, a name given), Concurrency at a time.
func runSignup(ctx context.Context, r *run) (*Result, error) {
	p := r.begin(r.opts.Duration)
	stop := r.measuring("sign-ups", p.rec)
	sctx, cancel := r.until(ctx)
	signups(sctx, r, r.opts.Concurrency, p.rec)
	cancel()
	stop()
	res := p.end("sign-ups", "whole sign-up")
	res.Params = map[string]int64{"concurrency": int64(r.opts.Concurrency)}
	return res, nil
}

// signups runs workers that sign people up until ctx ends.
func signups(ctx context.Context, r *run, workers int, rec *recorder) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				start := time.Now()
				n := r.seq.Add(1)
				_, err := r.signUp(ctx, r.identifier(n), fmt.Sprintf("Bench %d", n))
				if err != nil {
					if failed(ctx, err) {
						rec.fail(err)
						backoff(ctx, err)
					}
					continue
				}
				rec.record(w, time.Now(), time.Since(start))
			}
		})
	}
	wg.Wait()
}

// runIdle: Conns signed-in sockets opened and held; the server's memory
// per socket from the growth of its resident set.
func runIdle(ctx context.Context, r *run) (*Result, error) {
	o := r.opts
	ps, err := r.people(ctx, o.Conns)
	if err != nil {
		return nil, err
	}
	// Let the sign-ups' garbage settle before the baseline.
	time.Sleep(2 * time.Second)
	p := r.begin(o.Duration)
	var rss0, rssHalf int64
	if r.t.proc != nil {
		rss0 = p.proc0.rss
	}
	stop := r.measuring("sockets open", p.rec)
	conns := make([]*wsConn, len(ps))
	open := func(from, to int) {
		parallel(ctx, to-from, o.Concurrency, func(ctx context.Context, k int) error {
			i := from + k
			start := time.Now()
			c, err := dialWS(ctx, r.t.url, ps[i].token, r.wsHTTP, false, nil)
			if err != nil {
				if failed(ctx, err) {
					p.rec.fail(err)
				}
				return nil
			}
			conns[i] = c
			p.rec.record(i, time.Now(), time.Since(start))
			return nil
		})
	}
	half := len(ps) / 2
	open(0, half)
	time.Sleep(time.Second)
	if r.t.proc != nil {
		rssHalf = r.t.proc.now().rss
	}
	open(half, len(ps))
	connecting := time.Since(p.start) - time.Second
	defer closeAll(conns)
	// Hold them: the sockets are idle, the server only keeps them.
	select {
	case <-ctx.Done():
	case <-time.After(o.Duration):
	}
	stop()
	alive := 0
	for _, c := range conns {
		if c != nil && !c.closed() {
			alive++
		}
	}
	if dropped := int(p.rec.count()) - alive; dropped > 0 {
		for range dropped {
			p.rec.failCode("SOCKET_CLOSED")
		}
	}
	res := p.end("sockets", "connect and authorize")
	// The throughput of an idle run is its connect rate, over the
	// connecting part, not the hold.
	res.Throughput = float64(res.Ops) / connecting.Seconds()
	res.Params = map[string]int64{"conns": int64(o.Conns)}
	res.Figures = map[string]float64{"sockets open at the end": float64(alive)}
	if r.t.proc != nil && alive > 0 {
		rss1 := median(r.t.proc.between(time.Now().Add(-o.Duration/2), time.Now()))
		res.Figures["server rss before (bytes)"] = float64(rss0)
		res.Figures["server rss held (bytes)"] = float64(rss1)
		res.Figures["memory per socket (bytes)"] = float64(rss1-rss0) / float64(alive)
		if n := alive - half; n > 0 && rssHalf > 0 {
			res.Figures["memory per socket, 2nd half (bytes)"] = float64(rss1-rssHalf) / float64(n)
		}
	}
	return res, nil
}

// median is the median resident set of samples.
func median(samples []procSample) int64 {
	if len(samples) == 0 {
		return 0
	}
	v := make([]int64, len(samples))
	for i, s := range samples {
		v[i] = s.rss
	}
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	return v[len(v)/2]
}

// words are the vocabulary of seeded messages, so that searches find
// something.
var words = strings.Fields(`apple river stone cloud maple orbit tiger lemon piano
	harbor candle forest meadow silver rocket garden winter summer violet copper
	falcon island marble canyon breeze thunder velvet lantern quartz saddle`)

func someWords(n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = words[rand.IntN(len(words))]
	}
	return strings.Join(w, " ")
}

// seedChat fills chat with n messages from ps, as fast as the server
// takes them (Concurrency×2 in flight over HTTP), and returns the
// newest message id.
func (r *run) seedChat(ctx context.Context, ps []person, chat int64, n int) (int64, error) {
	var done, top atomic.Int64
	stop := r.progressf(func() string { return fmt.Sprintf("setup: %d of %d messages seeded", done.Load(), n) })
	defer stop()
	err := parallel(ctx, n, r.opts.Concurrency*2, func(ctx context.Context, i int) error {
		var m struct {
			ID int64 `json:"id"`
		}
		text := fmt.Sprintf("seed %d %s", i, someWords(3))
		if err := r.setupCall(ctx, ps[i%len(ps)].token, "messages.send", map[string]any{"chat_id": chat, "text": text, "random_id": randomID()}, &m); err != nil {
			return fmt.Errorf("seeding: %w", err)
		}
		for {
			t := top.Load()
			if m.ID <= t || top.CompareAndSwap(t, m.ID) {
				break
			}
		}
		done.Add(1)
		return nil
	})
	return top.Load(), err
}

// runHistory: a private chat of Messages messages; readers page through
// it (50 messages at a random place) and search it (one word in ten
// calls).
func runHistory(ctx context.Context, r *run) (*Result, error) {
	o := r.opts
	h, err := r.setupHistory(ctx, o.Messages)
	if err != nil {
		return nil, err
	}
	defer closeAll(h.conns)
	res := h.measure(ctx, r, o.Duration)
	res.Params = map[string]int64{"messages": int64(o.Messages), "readers": int64(len(h.conns))}
	return res, nil
}

type historyLoad struct {
	chat  int64
	top   int64
	conns []*wsConn
}

// readers is how many sockets read the history at once.
func (r *run) readers() int { return min(r.opts.Concurrency, 8) }

func (r *run) setupHistory(ctx context.Context, messages int) (*historyLoad, error) {
	ps, err := r.people(ctx, 2)
	if err != nil {
		return nil, err
	}
	if err := r.meet(ctx, ps[0], ps[1]); err != nil {
		return nil, err
	}
	var m struct {
		ChatID int64 `json:"chat_id"`
	}
	if err := r.setupCall(ctx, ps[1].token, "messages.send", map[string]any{"user_id": ps[0].id, "text": "hi", "random_id": randomID()}, &m); err != nil {
		return nil, err
	}
	h := &historyLoad{chat: m.ChatID}
	if h.top, err = r.seedChat(ctx, ps, h.chat, messages); err != nil {
		return nil, err
	}
	readers := make([]person, r.readers())
	for i := range readers {
		readers[i] = ps[i%2]
	}
	h.conns, err = r.connect(ctx, readers, false, nil)
	return h, err
}

const pageSize = 50

func (h *historyLoad) measure(ctx context.Context, r *run, dur time.Duration) *Result {
	p := r.begin(dur)
	searches := newRecorder(p.start, p.rec.width)
	stop := r.measuring("pages", p.rec)
	sctx, cancel := context.WithTimeout(ctx, dur)
	var wg sync.WaitGroup
	for i, c := range h.conns {
		wg.Go(func() {
			for n := 0; sctx.Err() == nil; n++ {
				start := time.Now()
				var msgs []struct {
					ID int64 `json:"id"`
				}
				if every := r.opts.SearchEvery; every > 0 && n%every == every-1 {
					err := c.call(sctx, "messages.search", map[string]any{"chat_id": h.chat, "query": words[rand.IntN(len(words))], "limit": pageSize}, &msgs)
					if err != nil {
						if failed(sctx, err) {
							searches.fail(err)
						}
						continue
					}
					searches.record(i, time.Now(), time.Since(start))
					continue
				}
				before := pageSize + 2 + rand.Int64N(max(h.top-pageSize-1, 1))
				err := c.call(sctx, "messages.history", map[string]any{"chat_id": h.chat, "before_id": before, "limit": pageSize}, &msgs)
				if err != nil {
					if failed(sctx, err) {
						p.rec.fail(err)
					}
					continue
				}
				if len(msgs) != pageSize {
					p.rec.failCode("SHORT_PAGE")
					continue
				}
				p.rec.record(i, time.Now(), time.Since(start))
			}
		})
	}
	wg.Wait()
	cancel()
	stop()
	res := p.end("pages", "history page of 50, round trip")
	mergeErrors(res, searches)
	res.More = map[string]*Latency{"search, round trip": searches.latency()}
	res.Figures = map[string]float64{"searches per s": float64(searches.count()) / res.Seconds}
	return res
}

// runCatchup: a person offline while Events messages are posted to
// them, then back: the time from opening the socket to having every
// missed event (sync.getDifference, then sync.getChatDifference pages).
func runCatchup(ctx context.Context, r *run) (*Result, error) {
	o := r.opts
	ps, err := r.people(ctx, 2)
	if err != nil {
		return nil, err
	}
	me, other := ps[0], ps[1]
	if err := r.meet(ctx, me, other); err != nil {
		return nil, err
	}
	var first struct {
		ChatID int64 `json:"chat_id"`
	}
	if err := r.setupCall(ctx, other.token, "messages.send", map[string]any{"user_id": me.id, "text": "hi", "random_id": randomID()}, &first); err != nil {
		return nil, err
	}
	seq, err := chatSeq(ctx, r, me, first.ChatID)
	if err != nil {
		return nil, err
	}
	p := r.begin(time.Duration(o.Rounds) * 2 * time.Second)
	stop := r.measuring("catch-ups", p.rec)
	defer stop()
	var synced int64
	var busy time.Duration
	for round := range o.Rounds {
		var st struct {
			Pts int64 `json:"pts"`
			Gid int64 `json:"gid"`
		}
		if err := r.setupCall(ctx, me.token, "sync.getState", nil, &st); err != nil {
			return nil, err
		}
		// Offline: the other person posts Events messages.
		if _, err := r.seedChat(ctx, []person{other}, first.ChatID, o.Events); err != nil {
			return nil, err
		}
		start := time.Now()
		got, newSeq, err := catchUp(ctx, r, me, st.Pts, st.Gid, first.ChatID, seq)
		took := time.Since(start)
		if err != nil {
			p.rec.fail(err)
			continue
		}
		if got != int64(o.Events) {
			p.rec.failCode("EVENTS_MISSING")
			r.note(fmt.Sprintf("round %d: %d events caught up, want %d", round+1, got, o.Events))
		}
		seq = newSeq
		p.rec.record(round, time.Now(), took)
		synced += got
		busy += took
	}
	res := p.end("catch-ups", "socket opened→every missed event")
	res.Params = map[string]int64{"events": int64(o.Events), "rounds": int64(o.Rounds)}
	// The rate is that of catching up: the posting while offline is
	// setup, not measured.
	res.Figures = map[string]float64{"catch-ups": float64(res.Ops), "seconds catching up": busy.Seconds()}
	res.Ops, res.Unit = synced, "events"
	res.Throughput = 0
	if busy > 0 {
		res.Throughput = float64(synced) / busy.Seconds()
	}
	return res, nil
}

// chatSeq is the chat's current seq as me sees it.
func chatSeq(ctx context.Context, r *run, me person, chat int64) (int64, error) {
	var seq int64
	for {
		var d struct {
			Seq  int64 `json:"seq"`
			More bool  `json:"more"`
		}
		if err := r.setupCall(ctx, me.token, "sync.getChatDifference", map[string]any{"chat_id": chat, "seq": seq}, &d); err != nil {
			return 0, err
		}
		seq = d.Seq
		if !d.More {
			return seq, nil
		}
	}
}

// catchUp is what a client does when it comes back: a socket, the
// difference of its own log and dialogs, and the events of each chat
// that changed. It returns the new messages of chat it got.
func catchUp(ctx context.Context, r *run, me person, pts, gid, chat, seq int64) (int64, int64, error) {
	c, err := dialWS(ctx, r.t.url, me.token, r.wsHTTP, false, nil)
	if err != nil {
		return 0, seq, err
	}
	defer c.close()
	type dialog struct {
		Chat struct {
			ID  int64 `json:"id"`
			Seq int64 `json:"seq"`
		} `json:"chat"`
	}
	var changed []dialog
	for {
		var d struct {
			Dialogs []dialog `json:"dialogs"`
			State   struct {
				Pts int64 `json:"pts"`
				Gid int64 `json:"gid"`
			} `json:"state"`
			More bool `json:"more"`
		}
		if err := c.call(ctx, "sync.getDifference", map[string]any{"pts": pts, "gid": gid}, &d); err != nil {
			return 0, seq, err
		}
		changed = append(changed, d.Dialogs...)
		pts, gid = d.State.Pts, d.State.Gid
		if !d.More {
			break
		}
	}
	var got int64
	for _, dl := range changed {
		if dl.Chat.ID != chat {
			continue
		}
		for seq < dl.Chat.Seq {
			var cd struct {
				Events []struct {
					Kind string `json:"kind"`
				} `json:"events"`
				Seq  int64 `json:"seq"`
				More bool  `json:"more"`
			}
			if err := c.call(ctx, "sync.getChatDifference", map[string]any{"chat_id": chat, "seq": seq}, &cd); err != nil {
				return got, seq, err
			}
			for _, e := range cd.Events {
				if e.Kind == "message.new" {
					got++
				}
			}
			seq = cd.Seq
			if !cd.More {
				break
			}
		}
	}
	return got, seq, nil
}

// runMixed: a messenger's day compressed, all at once on one server:
// sign-ups trickling in, idle people online, pairs chatting, a busy
// group, people reading history. Each part reports its own figures.
func runMixed(ctx context.Context, r *run) (*Result, error) {
	o := r.opts
	pairs, members, idle := max(o.Pairs/5, 2), max(o.Members/2, 3), max(o.Conns/4, 1)
	ps, err := r.people(ctx, 2*pairs+idle)
	if err != nil {
		return nil, err
	}
	d, err := r.setupDirect(ctx, ps[:2*pairs])
	if err != nil {
		return nil, err
	}
	defer closeAll(d.conns)
	idlers, err := r.connect(ctx, ps[2*pairs:], false, nil)
	if err != nil {
		return nil, err
	}
	defer closeAll(idlers)
	g, err := r.setupGroup(ctx, members, max(members/10, 1))
	if err != nil {
		return nil, err
	}
	defer closeAll(g.conns)
	h, err := r.setupHistory(ctx, min(o.Messages, 20000))
	if err != nil {
		return nil, err
	}
	defer closeAll(h.conns)

	// The rates of a busy hour: a message per person every few seconds.
	directRate, groupRate := float64(2*pairs)*2, float64(g.posters)*2
	if o.Rate > 0 {
		directRate, groupRate = o.Rate*0.8, o.Rate*0.2
	}
	all := r.begin(o.Duration)
	var parts [4]*Result
	var wg sync.WaitGroup
	wg.Go(func() {
		parts[0] = d.measure(ctx, r, o.Duration, directRate)
		parts[0].Scenario, parts[0].Params = "mixed/direct", map[string]int64{"pairs": int64(pairs), "rate": int64(directRate)}
	})
	wg.Go(func() {
		parts[1] = g.measure(ctx, r, o.Duration, groupRate)
		parts[1].Scenario, parts[1].Params = "mixed/group", map[string]int64{"members": int64(members), "rate": int64(groupRate)}
	})
	wg.Go(func() {
		parts[2] = h.measure(ctx, r, o.Duration)
		parts[2].Scenario, parts[2].Params = "mixed/history", map[string]int64{"readers": int64(len(h.conns))}
	})
	wg.Go(func() {
		p := r.begin(o.Duration)
		sctx, cancel := r.until(ctx)
		signups(sctx, r, 2, p.rec)
		cancel()
		parts[3] = p.end("sign-ups", "whole sign-up")
		parts[3].Scenario, parts[3].Params = "mixed/signup", map[string]int64{"workers": 2}
	})
	wg.Wait()
	res := all.end("", "")
	res.Params = map[string]int64{"pairs": int64(pairs), "members": int64(members), "idle": int64(idle)}
	res.Latency = nil
	for _, p := range parts {
		// The server's time per method is the whole server's: the run's,
		// not each part's.
		p.ServerTime = nil
		res.Parts = append(res.Parts, p)
		res.Ops += p.Ops
	}
	res.Unit, res.LatencyOf = "operations", "(see the parts)"
	res.Throughput = float64(res.Ops) / res.Seconds
	res.Series = parts[0].Series
	alive := 0
	for _, c := range idlers {
		if !c.closed() {
			alive++
		}
	}
	res.Figures = map[string]float64{"idle sockets open at the end": float64(alive)}
	return res, nil
}

// sweep is the points of a --sweep: how cost grows with size or load.
func sweep(scenario string, o Options) ([]Options, error) {
	var out []Options
	switch scenario {
	case "group":
		for _, m := range []int{10, 100, 1000, 10000} {
			p := o
			p.Members, p.Posters = m, min(o.Posters, m)
			out = append(out, p)
		}
	case "idle":
		for _, n := range []int{1000, 5000, 15000} {
			p := o
			p.Conns = n
			out = append(out, p)
		}
	case "direct":
		for _, rate := range []float64{1000, 2000, 4000, 8000, 16000, 0} {
			p := o
			p.Rate = rate
			out = append(out, p)
		}
	default:
		return nil, fmt.Errorf("no sweep for %s: --sweep is for group (sizes), idle (connections) and direct (offered load)", scenario)
	}
	return out, nil
}
