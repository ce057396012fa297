package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"time"
)

// Event is one item of the stream of [Client.Updates]: exactly one of
// Chat, User and ReloadChatID is set, or Push for pushes outside the logs.
type Event struct {
	// Chat is an event of a chat's log. The events of one chat come in
	// seq order, each once, with no gap. Events fetched to fill a gap
	// carry their message as it is now; one about a message the person
	// can no longer see has MessageID 0 and no Message: a no-op.
	Chat *ChatEvent
	// User is an event of the person's own log, in pts order, each once.
	User *UserEvent
	// ReloadChatID names a chat first seen with a long log (joined
	// with its history), or one the client fell too far behind in
	// (too_long): drop what is kept of it and reload its history. Its
	// later events follow on the stream.
	ReloadChatID int64
	// Push is a push outside the logs (chat.typing, user.status,
	// session.ended, or a kind this version does not know).
	Push *Push
	// Err is set, alone, on the last event of a stream of
	// [Client.UpdatesWithStore] that ends because its [Store] failed.
	Err error
}

// Reconnect closes the WebSocket that [Client.Updates] currently uses, as
// a network failure would: the stream reconnects and catches up with no
// gap and no duplicate. It does nothing when no stream is connected.
func (c *Client) Reconnect() {
	c.updMu.Lock()
	cn := c.updConn
	c.updMu.Unlock()
	if cn != nil {
		cn.ws.CloseNow()
	}
}

// Updates runs the sync engine until ctx ends, then closes the returned
// channel. Before it returns, it takes the person's state
// (sync.getState) and every chat's seq (dialogs.list): the stream holds
// every event after that. It then opens a WebSocket, catches up with
// sync.getDifference, and applies the
// pushes by the rules of docs/api.md ("Staying in sync"): a chat event
// at or below the chat's stored seq is dropped as a duplicate, one just
// after it is delivered, and one beyond it is a gap that
// sync.getChatDifference fills; user events are applied by pts the same
// way, with sync.getDifference. When the socket ends, it reconnects with
// exponential backoff and jitter and catches up with sync.getDifference
// before applying the pushes held meanwhile. A chat first seen after the
// start is caught up from its first event when its log is short (up to
// 200 events: a new private chat, a small group; in a group that hides
// its history from new members, from the first event after the person
// joined: the server starts the difference there); one with a longer log
// (a channel joined with its history) comes as a ReloadChatID event,
// then its events from then on. The stream also ends when the
// session is no longer valid (AUTH_TOKEN_INVALID). If the server
// answers that the stored state is unknown to it (restored from a
// backup), the engine starts over from the server's current state.
//
// Updates keeps its state in memory only; [Client.UpdatesWithStore]
// keeps it across restarts.
//
// The caller must read the channel: the engine waits for it.
func (c *Client) Updates(ctx context.Context) <-chan Event {
	return c.updates(ctx, nil)
}

// UpdatesWithStore is [Client.Updates] with its state kept in s, so that
// a restarted program resumes where it stopped. When s holds a state,
// it starts from it without calling sync.getState nor dialogs.list: it
// asks only for the difference (sync.getDifference), and the stream
// holds the events after the stored state, those that happened while
// the program was away first. When s holds none ([ErrNoState]), or the
// server does not know the stored state, it starts over as Updates does
// and saves the new state with [Change.Reset].
//
// Each step is saved in s after its event is handed out: an event the
// program received just before it stopped may come again at the next
// start, and nothing is missed. When s fails, the stream ends with an
// event whose Err is set. Wait for the channel to close before closing
// s.
func (c *Client) UpdatesWithStore(ctx context.Context, s Store) <-chan Event {
	return c.updates(ctx, s)
}

func (c *Client) updates(ctx context.Context, s Store) <-chan Event {
	out := make(chan Event, 64)
	e := &engine{c: c, out: out, seqs: make(map[int64]int64), store: s}
	if s != nil {
		st, err := s.LoadState(ctx)
		switch {
		case err == nil:
			e.pts, e.gid = st.Pts, st.Gid
			for id, seq := range st.Seqs {
				e.seqs[id] = seq
			}
			e.inited = true
		case !errors.Is(err, ErrNoState):
			go func() {
				defer close(out)
				e.emit(ctx, Event{Err: fmt.Errorf("haven: loading the sync state: %w", err)})
			}()
			return out
		}
	}
	if !e.inited {
		// Take the state now, so that every event after Updates returns is
		// delivered; on failure, the engine tries again once connected.
		ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_ = e.init(ictx)
		cancel()
	}
	go e.run(ctx)
	return out
}

type engine struct {
	c      *Client
	out    chan<- Event
	store  Store // nil: the state lives in memory only
	seqs   map[int64]int64
	pts    int64
	gid    int64
	inited bool
}

var errStop = errors.New("stop")

// storeError is a failure of the engine's Store, which ends the stream.
type storeError struct{ err error }

func (e *storeError) Error() string { return "haven: saving the sync state: " + e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

func (e *engine) run(ctx context.Context) {
	defer close(e.out)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		cn, err := e.c.Connect(ctx)
		if err == nil {
			e.c.updMu.Lock()
			e.c.updConn = cn
			e.c.updMu.Unlock()
			err = e.serve(ctx, cn)
			e.c.updMu.Lock()
			e.c.updConn = nil
			e.c.updMu.Unlock()
			cn.ws.CloseNow()
			if err == nil {
				backoff = 100 * time.Millisecond
			}
		}
		var serr *storeError
		if errors.As(err, &serr) {
			e.emit(ctx, Event{Err: serr})
			return
		}
		if errors.Is(err, errStop) || IsCode(err, "AUTH_TOKEN_INVALID") || IsCode(err, "AUTH_REQUIRED") {
			return
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		if backoff < 10*time.Second {
			backoff *= 2
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// serve catches up, then applies the pushes of cn until it ends. It
// returns nil when the socket ended after a successful catch-up.
func (e *engine) serve(ctx context.Context, cn *Conn) error {
	if !e.inited {
		if err := e.init(ctx); err != nil {
			return err
		}
	} else if err := e.catchUp(ctx); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return errStop
		case p, ok := <-cn.Pushes():
			if !ok {
				return nil
			}
			if err := e.apply(ctx, p); err != nil {
				return err
			}
		}
	}
}

// init starts over from the server's current state.
func (e *engine) init(ctx context.Context) error {
	st, err := e.c.GetState(ctx)
	if err != nil {
		return err
	}
	ds, err := e.c.Dialogs(ctx)
	if err != nil {
		return err
	}
	seqs := make(map[int64]int64, len(ds))
	for _, d := range ds {
		seqs[d.Chat.ID] = d.Chat.Seq
	}
	e.pts, e.gid, e.seqs = st.Pts, st.Gid, seqs
	if err := e.save(ctx, &Change{Dialogs: ds, State: SyncState{Seqs: maps.Clone(seqs)}, Reset: true}); err != nil {
		return err
	}
	e.inited = true
	return nil
}

func (e *engine) emit(ctx context.Context, ev Event) error {
	select {
	case e.out <- ev:
		return nil
	case <-ctx.Done():
		return errStop
	}
}

// deliver hands ev out, then saves it with the engine's state, in which
// the seq of chatID (when not 0) has moved.
func (e *engine) deliver(ctx context.Context, ev Event, chatID int64) error {
	if err := e.emit(ctx, ev); err != nil {
		return err
	}
	ch := &Change{Event: ev}
	if chatID != 0 {
		ch.State.Seqs = map[int64]int64{chatID: e.seqs[chatID]}
	}
	return e.save(ctx, ch)
}

// save completes ch with the engine's pts and gid and saves it in the
// store, if any. An event handed out is saved even when ctx has just
// ended: the program received it.
func (e *engine) save(ctx context.Context, ch *Change) error {
	if e.store == nil {
		return nil
	}
	ch.State.Pts, ch.State.Gid = e.pts, e.gid
	if err := e.store.Save(context.WithoutCancel(ctx), ch); err != nil {
		return &storeError{err}
	}
	return nil
}

func (e *engine) apply(ctx context.Context, p Push) error {
	switch p.Kind {
	case "chat.event":
		var ev ChatEvent
		if err := json.Unmarshal(p.Data, &ev); err != nil {
			return nil
		}
		if err := e.firstSeen(ctx, ev.ChatID, ev.Seq-1); err != nil {
			return err
		}
		last := e.seqs[ev.ChatID] // an unknown chat starts from 0
		switch {
		case ev.Seq <= last:
			return nil
		case ev.Seq > last+1:
			return e.catchUpChat(ctx, ev.ChatID)
		}
		e.seqs[ev.ChatID] = ev.Seq
		return e.deliver(ctx, Event{Chat: &ev}, ev.ChatID)
	case "user.event":
		var ev UserEvent
		if err := json.Unmarshal(p.Data, &ev); err != nil {
			return nil
		}
		switch {
		case ev.Pts <= e.pts:
			return nil
		case ev.Pts > e.pts+1:
			return e.catchUp(ctx)
		}
		e.pts = ev.Pts
		return e.deliver(ctx, Event{User: &ev}, 0)
	default:
		pp := p
		return e.emit(ctx, Event{Push: &pp})
	}
}

// replayMax is the longest log of a chat first seen that the engine
// replays from its first event.
var replayMax int64 = 200

// firstSeen handles a chat the engine has no seq for, whose log has
// reached head. A short log is replayed from its first event (a private
// chat's first message is an event the program wants); a longer one (a
// group or channel joined with its history) is not: the program gets
// ReloadChatID, to load what history it wants, then the events after
// head.
func (e *engine) firstSeen(ctx context.Context, chatID, head int64) error {
	if _, known := e.seqs[chatID]; known || head <= replayMax {
		return nil
	}
	e.seqs[chatID] = head
	return e.deliver(ctx, Event{ReloadChatID: chatID}, chatID)
}

// catchUpChat fetches and delivers the chat's events after its stored seq.
func (e *engine) catchUpChat(ctx context.Context, chatID int64) error {
	for {
		last := e.seqs[chatID]
		d, err := e.c.GetChatDifference(ctx, chatID, last, 0)
		if err != nil {
			return err
		}
		if d.TooLong {
			e.seqs[chatID] = d.Seq
			return e.deliver(ctx, Event{ReloadChatID: chatID}, chatID)
		}
		for i := range d.Events {
			ev := d.Events[i]
			if ev.Seq <= e.seqs[chatID] {
				continue
			}
			e.seqs[chatID] = ev.Seq
			if err := e.deliver(ctx, Event{Chat: &ev}, chatID); err != nil {
				return err
			}
		}
		if d.Seq > e.seqs[chatID] {
			e.seqs[chatID] = d.Seq
			if err := e.save(ctx, &Change{State: SyncState{Seqs: map[int64]int64{chatID: d.Seq}}}); err != nil {
				return err
			}
		}
		if !d.More || d.Seq <= last {
			return nil
		}
	}
}

// catchUp runs sync.getDifference from the stored state: it delivers the
// missed user events and catches up every chat that moved.
func (e *engine) catchUp(ctx context.Context) error {
	for {
		d, err := e.c.GetDifference(ctx, e.pts, e.gid)
		if IsCode(err, "PARAM_INVALID") {
			// A state the server never had: start over.
			return e.init(ctx)
		}
		if err != nil {
			return err
		}
		for i := range d.UserEvents {
			ev := d.UserEvents[i]
			if ev.Pts <= e.pts {
				continue
			}
			e.pts = ev.Pts
			if err := e.deliver(ctx, Event{User: &ev}, 0); err != nil {
				return err
			}
		}
		for _, dl := range d.Dialogs {
			if err := e.firstSeen(ctx, dl.Chat.ID, dl.Chat.Seq); err != nil {
				return err
			}
			if dl.Chat.Seq > e.seqs[dl.Chat.ID] {
				if err := e.catchUpChat(ctx, dl.Chat.ID); err != nil {
					return err
				}
			}
		}
		if d.State.Pts > e.pts {
			e.pts = d.State.Pts
		}
		e.gid = d.State.Gid
		if err := e.save(ctx, &Change{Dialogs: d.Dialogs}); err != nil {
			return err
		}
		if !d.More {
			return nil
		}
	}
}
