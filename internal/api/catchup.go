package api

import (
	"context"
	"time"

	"github.com/havenchat/haven/internal/core"
)

// Catching up on a chat a person was just added to.
//
// A node learns of a new member from the person's own log (dialog.added)
// and only then subscribes to the chat. When the change was made on
// another node, the chat's next events (a new private chat's first
// message) are published right behind it and may pass this node before
// its subscription is in place. So the hub reads the chat's events after
// the join (the notice's Seq) from the log and sends them to the socket,
// holding the chat's pushes that arrive meanwhile; then it sends those
// held with a later seq. The socket receives each event once, in the
// chat's order, whichever node made it.
//
// A node alone, on a bus that delivers in step (core.InStepBus), needs
// none of it: the chat's events after the notice are published after it,
// and reach the subscription the notice made. Its sockets read nothing.

// catchupHeld bounds the pushes held for one socket and chat while the
// log is read; beyond it the socket is cut and its client resyncs from
// the log, as after any gap.
const catchupHeld = 1024

// catchupEvents bounds the events read from the log for one catch-up: a
// new member has seen few of them; a client that somehow missed more
// resyncs from the log (the socket is cut).
const catchupEvents = 4096

// catchup is one socket's catch-up on one chat.
type catchup struct {
	held     []*core.Notice
	overflow bool
}

// hold keeps a push for after the catch-up. Called by the chat's
// fan-out worker only.
func (c *catchup) hold(s *socket, n *core.Notice) {
	if len(c.held) >= catchupHeld {
		c.overflow = true
		return
	}
	// The notice's frame may share the bus's buffer: keep a copy.
	cp := *n
	cp.Frame = append([]byte(nil), n.Frame...)
	c.held = append(c.held, &cp)
}

// catchUpLocked starts reading the chat's events after seq for s, unless
// the bus cannot have lost them.
func (h *hub) catchUpLocked(s *socket, chatID, seq int64) {
	a := s.actor.Load()
	if a == nil || core.InStep(h.bus) {
		return
	}
	if s.catching == nil {
		s.catching = make(map[int64]*catchup)
	}
	if s.catching[chatID] != nil {
		return
	}
	c := &catchup{}
	s.catching[chatID] = c
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		go func() {
			select {
			case <-h.done: // the node stops: no waiting on the store
				cancel()
			case <-ctx.Done():
			}
		}()
		var frames [][]byte
		last, failed := seq, false
		for len(frames) < catchupEvents {
			d, err := h.core.GetChatDifference(ctx, a, chatID, last, 0)
			if err != nil {
				// Removed meanwhile, or the store failed: the held pushes
				// go out as they are and the client recovers from the log.
				h.log.Debug("catching up on a new chat failed", "chat", chatID, "err", err)
				failed = true
				break
			}
			for _, ev := range d.Events {
				f, err := chatEventFrame(ev)
				if err != nil {
					failed = true
					break
				}
				frames = append(frames, f)
			}
			if d.Seq > last {
				last = d.Seq
			}
			if !d.More || d.TooLong || failed {
				failed = failed || d.TooLong
				break
			}
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if s.catching[chatID] != c {
			return // the socket left the chat or closed
		}
		delete(s.catching, chatID)
		if c.overflow || len(frames) >= catchupEvents {
			s.cutSlow(closeTooSlow, "too far behind: reconnect and resync")
			return
		}
		if !failed {
			if s.caughtUp == nil {
				s.caughtUp = make(map[int64]int64)
			}
			s.caughtUp[chatID] = last
		}
		for _, f := range frames {
			s.send(outFrame{data: f, framed: textFrame(f)})
		}
		for _, n := range c.held {
			if !failed && n.Seq != 0 && n.Seq <= last {
				continue // sent from the log
			}
			s.send(outFrame{data: n.Frame, framed: textFrame(n.Frame)})
		}
	}()
}
