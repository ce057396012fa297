package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// person is a signed-up account the bench acts as.
type person struct {
	id    int64
	token string
}

type authorization struct {
	Status string `json:"status"`
	Token  string `json:"token"`
	User   struct {
		ID int64 `json:"id"`
	} `json:"user"`
}

// signUp makes the account of identifier through the whole public
// flow: a code sent, read from the webhook, checked, a name given.
func (r *run) signUp(ctx context.Context, identifier, name string) (person, error) {
	var sent struct {
		LoginToken string `json:"login_token"`
	}
	if err := r.api.call(ctx, "", "auth.sendCode", map[string]string{"identifier": identifier, "device": "haven bench"}, &sent); err != nil {
		return person{}, err
	}
	code, err := r.t.hook.wait(ctx, identifier)
	if err != nil {
		return person{}, err
	}
	var a authorization
	if err := r.api.call(ctx, "", "auth.signIn", map[string]string{"login_token": sent.LoginToken, "code": code}, &a); err != nil {
		return person{}, err
	}
	if a.Status == "sign_up_required" {
		if err := r.api.call(ctx, "", "auth.signUp", map[string]string{"login_token": sent.LoginToken, "first_name": name}, &a); err != nil {
			return person{}, err
		}
	}
	if a.Status != "authorized" {
		return person{}, fmt.Errorf("signing up %s ended %q (a cloud password?)", identifier, a.Status)
	}
	return person{id: a.User.ID, token: a.Token}, nil
}

// maxSetupWait is the longest FLOOD_WAIT the setup waits out; a longer
// one (the hourly sign-in code limits) ends the run with its name.
const maxSetupWait = 10

// setupCall calls method as part of a scenario's setup: a FLOOD_WAIT of
// up to maxSetupWait seconds is waited out and counted (the report then
// says flood control was on); a longer one is an error that names the
// limit.
func (r *run) setupCall(ctx context.Context, token, method string, params, result any) error {
	for {
		err := r.api.call(ctx, token, method, params, result)
		if err = r.floodWait(ctx, method, err); err != errRetry {
			return err
		}
	}
}

var errRetry = errors.New("retry")

// floodWait waits out a short FLOOD_WAIT answered to method and returns
// errRetry, or returns err as it is (a long wait, with a hint).
func (r *run) floodWait(ctx context.Context, method string, err error) error {
	var e *apiError
	if !errors.As(err, &e) || e.Code != "FLOOD_WAIT" {
		return err
	}
	r.floods.Add(1)
	if e.RetryAfter > maxSetupWait {
		return fmt.Errorf("%s: the server's limits stop the setup (FLOOD_WAIT, retry after %d s): raise them on the server, or use --spawn: %w", method, e.RetryAfter, err)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Duration(max(e.RetryAfter, 1)) * time.Second):
		return errRetry
	}
}

// identifier is the n-th email address of this run: unique across runs,
// so that a run against a server given by URL makes new accounts.
func (r *run) identifier(n int64) string {
	return fmt.Sprintf("b%s-%d@bench.example.org", r.id, n)
}

// people signs up n people, conc at a time, and fails on the first
// error (setup is not what is measured).
func (r *run) people(ctx context.Context, n int) ([]person, error) {
	out := make([]person, n)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	done := atomic.Int64{}
	stopProgress := r.progressf(func() string { return fmt.Sprintf("setup: %d of %d people signed up", done.Load(), n) })
	defer stopProgress()
	for range min(n, r.opts.Concurrency) {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || ctx.Err() != nil {
					return
				}
				var p person
				var err error
				for {
					p, err = r.signUp(ctx, r.identifier(r.seq.Add(1)), fmt.Sprintf("Bench %d", i))
					if err = r.floodWait(ctx, "signing up", err); err != errRetry {
						break
					}
				}
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("signing up people: %w", err); cancel() })
					return
				}
				out[i] = p
				done.Add(1)
			}
		})
	}
	wg.Wait()
	return out, firstErr
}

// parallel runs f(i) for i in [0, n), conc at a time, and returns the
// first error.
func parallel(ctx context.Context, n, conc int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range min(n, max(conc, 1)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(ctx, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}

// meet lets b reach a: a takes a username, b looks it up.
func (r *run) meet(ctx context.Context, a, b person) error {
	name := fmt.Sprintf("b%s_%d", r.id, a.id)
	if err := r.setupCall(ctx, a.token, "account.updateUsername", map[string]string{"username": name}, nil); err != nil {
		return fmt.Errorf("setting a username: %w", err)
	}
	if err := r.setupCall(ctx, b.token, "users.resolveUsername", map[string]string{"username": name}, nil); err != nil {
		return fmt.Errorf("finding a username: %w", err)
	}
	return nil
}

type chat struct {
	ID int64 `json:"id"`
}

// community makes a group or channel (kind) owned by owner and has every
// one of members join it by an invite link.
func (r *run) community(ctx context.Context, kind string, owner person, members []person) (int64, error) {
	var c chat
	method := map[string]string{"group": "chats.createGroup", "channel": "chats.createChannel"}[kind]
	if err := r.setupCall(ctx, owner.token, method, map[string]any{"title": "Bench " + kind}, &c); err != nil {
		return 0, fmt.Errorf("creating the %s: %w", kind, err)
	}
	var inv struct {
		Hash string `json:"hash"`
	}
	if err := r.setupCall(ctx, owner.token, "chats.createInvite", map[string]any{"chat_id": c.ID}, &inv); err != nil {
		return 0, fmt.Errorf("an invite link: %w", err)
	}
	var joined atomic.Int64
	stop := r.progressf(func() string { return fmt.Sprintf("setup: %d of %d joined the %s", joined.Load(), len(members), kind) })
	defer stop()
	err := parallel(ctx, len(members), r.opts.Concurrency, func(ctx context.Context, i int) error {
		if err := r.setupCall(ctx, members[i].token, "chats.joinByInvite", map[string]string{"hash": inv.Hash}, nil); err != nil {
			return fmt.Errorf("joining the %s: %w", kind, err)
		}
		joined.Add(1)
		return nil
	})
	return c.ID, err
}

// connect opens a socket for each of ps, onEvent(i, …) receiving the
// chat events of ps[i]'s socket; polled: the sockets only receive (see
// dialWS).
func (r *run) connect(ctx context.Context, ps []person, polled bool, onEvent func(i int, d delivery, at time.Time)) ([]*wsConn, error) {
	conns := make([]*wsConn, len(ps))
	var opened atomic.Int64
	stop := r.progressf(func() string { return fmt.Sprintf("setup: %d of %d sockets open", opened.Load(), len(ps)) })
	defer stop()
	err := parallel(ctx, len(ps), r.opts.Concurrency, func(ctx context.Context, i int) error {
		var f func(delivery, time.Time)
		if onEvent != nil {
			f = func(d delivery, at time.Time) { onEvent(i, d, at) }
		}
		c, err := dialWS(ctx, r.t.url, ps[i].token, r.wsHTTP, polled, f)
		if err != nil {
			return err
		}
		conns[i] = c
		opened.Add(1)
		return nil
	})
	if err != nil {
		closeAll(conns)
		return nil, err
	}
	return conns, nil
}

func closeAll(conns []*wsConn) {
	var wg sync.WaitGroup
	for _, c := range conns {
		if c != nil {
			wg.Go(c.close)
		}
	}
	wg.Wait()
}
