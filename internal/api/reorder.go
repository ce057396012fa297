package api

import (
	"slices"
	"time"

	"github.com/havenchat/haven/internal/core"
)

// Putting a chat's pushes back in the database's order.
//
// On one node, a chat's events are published in commit order. In a
// cluster two nodes commit events of one chat one after the other (the
// writer lock orders them) but publish them over their own bus
// connections, so a third node may receive seq 6 before seq 5. The hub
// holds a push that comes early until the ones before it arrive, for at
// most reorderWait; then it sends what it holds, in order, and the
// client fills the gap it sees from the log (sync.getChatDifference), as
// after any lost push. A push older than one already sent is dropped:
// its seq is behind the client's, which has it or fetches it.

// reorderWait is how long an early push waits for those before it: the
// lag between two nodes' publications, with room for a busy machine.
const reorderWait = time.Second

// reorderHeld bounds the pushes held per chat; beyond it they are sent
// at once (the missing ones are lost, not late).
const reorderHeld = 1024

// reorderFlush is the kind of the hub's own notice that ends a chat's
// wait: it goes through the chat's fan-out queue, behind its pushes.
const reorderFlush = "hub.reorder.flush"

// reorder is one chat's state: the next seq expected (0: none seen yet)
// and the early pushes held, by seq.
type reorder struct {
	next  int64
	held  map[int64]*core.Notice
	armed bool
}

// inOrderLocked delivers n when its turn has come, with the held pushes
// that follow it; holds it when it is early. Called by the chat's
// fan-out worker, under the hub's read lock.
func (h *hub) inOrderLocked(in *interest, n *core.Notice, b *fanBatch) {
	o := &in.order
	switch {
	case n.Kind == reorderFlush:
		o.armed = false
		h.releaseLocked(in, b)
	case n.Seq == 0: // not a logged event (typing, read marks): no order
		h.deliverLocked(in, n, b)
	case o.next == 0 || n.Seq == o.next:
		h.deliverLocked(in, n, b)
		o.next = n.Seq + 1
		for {
			m := o.held[o.next]
			if m == nil {
				break
			}
			delete(o.held, o.next)
			h.deliverLocked(in, m, b)
			o.next++
		}
	case n.Seq < o.next:
		h.metrics.reorderLate.Inc()
	default:
		if o.held == nil {
			o.held = make(map[int64]*core.Notice)
		}
		cp := *n
		cp.Frame = append([]byte(nil), n.Frame...)
		o.held[n.Seq] = &cp
		if len(o.held) >= reorderHeld {
			h.releaseLocked(in, b)
			return
		}
		if !o.armed {
			o.armed = true
			chatID := n.ChatID
			time.AfterFunc(reorderWait, func() {
				h.queue(&core.Notice{Kind: reorderFlush, ChatID: chatID})
			})
		}
	}
}

// releaseLocked stops waiting: the held pushes go out in seq order, and
// the client sees the gap before them.
func (h *hub) releaseLocked(in *interest, b *fanBatch) {
	o := &in.order
	if len(o.held) == 0 {
		return
	}
	h.metrics.reorderGaps.Inc()
	seqs := make([]int64, 0, len(o.held))
	for seq := range o.held {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	for _, seq := range seqs {
		h.deliverLocked(in, o.held[seq], b)
	}
	o.next = seqs[len(seqs)-1] + 1
	clear(o.held)
}
