package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// poster is one person posting into one chat over their socket.
type poster struct {
	conn *wsConn
	chat int64
}

// maxInFlight bounds the sends of one poster waiting for their answer
// at an offered rate: past it the server is not keeping up with the
// offered load, and a send due is skipped and counted
// (SKIPPED_64_IN_FLIGHT) rather than piled up.
const maxInFlight = 64

// post has every poster send messages into their chat until ctx ends:
// one at a time as fast as the answers come when rate is 0, else rate
// messages per second over all posters. Each answer is recorded in
// acks; acked counts them.
func post(ctx context.Context, posters []poster, rate float64, acks *recorder, acked *atomic.Int64) {
	var wg sync.WaitGroup
	for i, p := range posters {
		wg.Go(func() {
			send := func() {
				// A send begun is seen to its answer, even past the end of
				// the phase, so that every message sent is counted.
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
				defer cancel()
				start := time.Now()
				_, err := p.send(cctx, start)
				if err != nil {
					acks.fail(err)
					backoff(ctx, err)
					return
				}
				acks.record(i, time.Now(), time.Since(start))
				acked.Add(1)
			}
			if rate <= 0 {
				for ctx.Err() == nil {
					send()
				}
				return
			}
			every := time.Duration(float64(time.Second) * float64(len(posters)) / rate)
			// Posters start spread over one interval, not all at once.
			next := time.Now().Add(time.Duration(rand.Int64N(int64(every) + 1)))
			var inflight atomic.Int64
			var mine sync.WaitGroup
			defer mine.Wait()
			for {
				wait := time.Until(next)
				if wait > 0 {
					select {
					case <-ctx.Done():
						return
					case <-time.After(wait):
					}
				} else if ctx.Err() != nil {
					return
				}
				next = next.Add(every)
				if inflight.Load() >= maxInFlight {
					acks.failCode("SKIPPED_64_IN_FLIGHT")
					continue
				}
				inflight.Add(1)
				mine.Go(func() { defer inflight.Add(-1); send() })
			}
		})
	}
	wg.Wait()
}

// send posts one measured message, stamped with start.
func (p poster) send(ctx context.Context, start time.Time) (int64, error) {
	var m struct {
		ID int64 `json:"id"`
	}
	err := p.conn.call(ctx, "messages.send", map[string]any{
		"chat_id": p.chat, "text": benchText(start, "hello from the bench"), "random_id": randomID(),
	}, &m)
	return m.ID, err
}

// randomID is a random_id: not zero, below 2^53.
func randomID() int64 { return rand.Int64N(1<<53-1) + 1 }

// backoff waits a moment after a failed call, longer when the server
// asked (FLOOD_WAIT), so that a refusing server is not hammered.
func backoff(ctx context.Context, err error) {
	d := 20 * time.Millisecond
	var e *apiError
	if errors.As(err, &e) && e.RetryAfter > 0 {
		d = time.Duration(min(e.RetryAfter, 5)) * time.Second
	}
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// drain waits until got() reaches want() or nothing arrived for 10 s,
// and counts what never arrived as NOT_DELIVERED.
func drain(ctx context.Context, rec *recorder, want, got func() int64) {
	last, lastAt := got(), time.Now()
	for got() < want() && time.Since(lastAt) < 10*time.Second && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
		if g := got(); g != last {
			last, lastAt = g, time.Now()
		}
	}
	if miss := want() - got(); miss > 0 {
		for range miss {
			rec.failCode("NOT_DELIVERED")
		}
	}
}

// runDirect: pairs of people chatting in private chats; each message's
// time from send to delivery on the other person's socket.
func runDirect(ctx context.Context, r *run) (*Result, error) {
	o := r.opts
	ps, err := r.people(ctx, 2*o.Pairs)
	if err != nil {
		return nil, err
	}
	d, err := r.setupDirect(ctx, ps)
	if err != nil {
		return nil, err
	}
	defer closeAll(d.conns)
	res := d.measure(ctx, r, o.Duration, o.Rate)
	res.Params = map[string]int64{"pairs": int64(o.Pairs)}
	if o.Rate > 0 {
		res.Params["rate"] = int64(o.Rate)
	}
	return res, nil
}

// directLoad is pairs of people with a private chat each, online.
type directLoad struct {
	ps        []person
	conns     []*wsConn
	chats     []int64
	delivered atomic.Int64
	rec       atomic.Pointer[recorder]
}

func (r *run) setupDirect(ctx context.Context, ps []person) (*directLoad, error) {
	d := &directLoad{ps: ps, chats: make([]int64, len(ps))}
	pairs := len(ps) / 2
	err := parallel(ctx, pairs, r.opts.Concurrency, func(ctx context.Context, i int) error {
		a, b := ps[2*i], ps[2*i+1]
		if err := r.meet(ctx, a, b); err != nil {
			return err
		}
		var m struct {
			ChatID int64 `json:"chat_id"`
		}
		if err := r.setupCall(ctx, b.token, "messages.send", map[string]any{"user_id": a.id, "text": "hi", "random_id": randomID()}, &m); err != nil {
			return fmt.Errorf("the first message of a pair: %w", err)
		}
		d.chats[2*i], d.chats[2*i+1] = m.ChatID, m.ChatID
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.conns, err = r.connect(ctx, ps, false, func(i int, dl delivery, at time.Time) {
		rec := d.rec.Load()
		if rec == nil || dl.sender == ps[i].id {
			return // before the measure, or one's own message
		}
		rec.record(i, at, at.Sub(time.Unix(0, dl.sent)))
		d.delivered.Add(1)
	})
	return d, err
}

func (d *directLoad) measure(ctx context.Context, r *run, dur time.Duration, rate float64) *Result {
	p := r.begin(dur)
	acks := newRecorder(p.start, p.rec.width)
	d.rec.Store(p.rec)
	var acked atomic.Int64
	posters := make([]poster, len(d.ps))
	for i := range d.ps {
		posters[i] = poster{conn: d.conns[i], chat: d.chats[i]}
	}
	stop := r.measuring("messages delivered", p.rec)
	sctx, cancel := context.WithTimeout(ctx, dur)
	post(sctx, posters, rate, acks, &acked)
	cancel()
	drain(ctx, p.rec, acked.Load, d.delivered.Load)
	stop()
	res := p.end("messages", "send→delivery")
	mergeErrors(res, acks)
	res.More = map[string]*Latency{"send→acknowledged": acks.latency()}
	res.Figures = map[string]float64{"messages acknowledged": float64(acked.Load()), "acknowledged per s": float64(acked.Load()) / res.Seconds}
	return res
}

func mergeErrors(res *Result, recs ...*recorder) {
	for _, rec := range recs {
		for k, v := range rec.errors() {
			res.Errors[k] += v
		}
	}
}

// runGroup: a group of members, all online, posters of them posting;
// deliveries to every other member's socket.
func runGroup(ctx context.Context, r *run) (*Result, error) {
	o := r.opts
	if o.Posters > o.Members {
		return nil, fmt.Errorf("--posters %d is more than --members %d", o.Posters, o.Members)
	}
	g, err := r.setupGroup(ctx, o.Members, o.Posters)
	if err != nil {
		return nil, err
	}
	defer closeAll(g.conns)
	res := g.measure(ctx, r, o.Duration, o.Rate)
	res.Params = map[string]int64{"members": int64(o.Members), "posters": int64(o.Posters)}
	if o.Rate > 0 {
		res.Params["rate"] = int64(o.Rate)
	}
	return res, nil
}

type groupLoad struct {
	ps        []person
	conns     []*wsConn
	chat      int64
	posters   int
	delivered atomic.Int64
	rec       atomic.Pointer[recorder]
}

func (r *run) setupGroup(ctx context.Context, members, posters int) (*groupLoad, error) {
	ps, err := r.people(ctx, members)
	if err != nil {
		return nil, err
	}
	g := &groupLoad{ps: ps, posters: posters}
	if g.chat, err = r.community(ctx, "group", ps[0], ps[1:]); err != nil {
		return nil, err
	}
	g.conns, err = r.connect(ctx, ps, false, func(i int, dl delivery, at time.Time) {
		rec := g.rec.Load()
		if rec == nil || dl.sender == ps[i].id || dl.chatID != g.chat {
			return
		}
		rec.record(i, at, at.Sub(time.Unix(0, dl.sent)))
		g.delivered.Add(1)
	})
	return g, err
}

func (g *groupLoad) measure(ctx context.Context, r *run, dur time.Duration, rate float64) *Result {
	p := r.begin(dur)
	acks := newRecorder(p.start, p.rec.width)
	g.rec.Store(p.rec)
	var acked atomic.Int64
	posters := make([]poster, g.posters)
	for i := range posters {
		posters[i] = poster{conn: g.conns[i], chat: g.chat}
	}
	stop := r.measuring("deliveries", p.rec)
	sctx, cancel := context.WithTimeout(ctx, dur)
	post(sctx, posters, rate, acks, &acked)
	cancel()
	others := int64(len(g.ps) - 1)
	drain(ctx, p.rec, func() int64 { return acked.Load() * others }, g.delivered.Load)
	stop()
	res := p.end("deliveries", "send→delivery")
	mergeErrors(res, acks)
	res.More = map[string]*Latency{"send→acknowledged": acks.latency()}
	res.Figures = map[string]float64{"posts acknowledged": float64(acked.Load()), "posts per s": float64(acked.Load()) / res.Seconds}
	return res
}

// runChannel: a channel of subscribers, some online; the owner posts,
// one post at a time, and each post's time until it reached every
// online subscriber is measured.
func runChannel(ctx context.Context, r *run) (*Result, error) {
	o := r.opts
	ps, err := r.people(ctx, o.Subscribers+1)
	if err != nil {
		return nil, err
	}
	owner, subs := ps[0], ps[1:]
	ch, err := r.community(ctx, "channel", owner, subs)
	if err != nil {
		return nil, err
	}
	var (
		mu      sync.Mutex
		current int64 // the sent stamp of the post in flight
		got     int64
		last    time.Time
		all     = make(chan struct{}, 1)
		each    *recorder
	)
	online := subs[:o.Online]
	conns, err := r.connect(ctx, online, true, func(i int, dl delivery, at time.Time) {
		if dl.chatID != ch {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if each == nil || dl.sent != current {
			return
		}
		each.record(i, at, at.Sub(time.Unix(0, dl.sent)))
		got++
		if at.After(last) {
			last = at
		}
		if got == int64(len(online)) {
			select {
			case all <- struct{}{}:
			default:
			}
		}
	})
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	oc, err := dialWS(ctx, r.t.url, owner.token, r.wsHTTP, false, nil)
	if err != nil {
		return nil, err
	}
	defer oc.close()
	owners := poster{conn: oc, chat: ch}

	p := r.begin(time.Duration(o.Posts) * 200 * time.Millisecond)
	mu.Lock()
	each = newRecorder(p.start, p.rec.width)
	mu.Unlock()
	posted := 0
	stop := r.measuring("posts reached everyone", p.rec)
	for range o.Posts {
		if ctx.Err() != nil {
			break
		}
		start := time.Now()
		mu.Lock()
		current, got, last = start.UnixNano(), 0, time.Time{}
		mu.Unlock()
		select {
		case <-all:
		default:
		}
		if _, err := owners.send(ctx, start); err != nil {
			p.rec.fail(err)
			backoff(ctx, err)
			continue
		}
		posted++
		select {
		case <-all:
			mu.Lock()
			p.rec.record(0, last, last.Sub(start))
			mu.Unlock()
		case <-time.After(30 * time.Second):
			mu.Lock()
			for range int64(len(online)) - got {
				p.rec.failCode("NOT_DELIVERED")
			}
			mu.Unlock()
		case <-ctx.Done():
		}
		// A moment between posts, as between a channel's posts.
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	res := p.end("posts", "post→reached every online subscriber")
	res.More = map[string]*Latency{"post→each delivery": each.latency()}
	res.Figures = map[string]float64{"posts": float64(posted), "deliveries": float64(each.count()),
		"deliveries per s": float64(each.count()) / res.Seconds}
	res.Params = map[string]int64{"subscribers": int64(o.Subscribers), "online": int64(o.Online), "posts": int64(o.Posts)}
	return res, nil
}
