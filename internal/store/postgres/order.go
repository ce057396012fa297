package postgres

import "sync"

// The order of AfterCommit callbacks. Core publishes a transaction's
// events from its AfterCommit callbacks, and a chat's subscribers must
// get them in commit order. Updates commit one at a time, under the write
// lock (writelock.go), but the lock is let go at the commit, before the
// callbacks run: the next Update need not wait for them. So each Update
// takes a ticket as soon as it has the lock, in commit order, and the
// callbacks of a ticket run only once those of every earlier ticket
// have. Whoever finishes the ticket at the head runs the callbacks of it
// and of the finished tickets behind it; each Update waits for its own
// before returning, as the contract of AfterCommit asks. The order is per
// node: nodes learn of each other's events through the bus, in gid order
// per chat.

// orderer is the queue of tickets of one Store.
type orderer struct {
	mu      sync.Mutex
	queue   []*ticket    // taken and not yet run, in the order taken
	running bool         // a goroutine is running callbacks from the head
	run     func(func()) // runs one callback
}

// ticket is one transaction's place in the commit order.
type ticket struct {
	finished bool     // committed (after set) or aborted
	after    []func() // the callbacks, when it committed
	ran      chan struct{}
}

// take returns a new ticket at the end of the queue.
func (o *orderer) take() *ticket {
	t := &ticket{ran: make(chan struct{})}
	o.mu.Lock()
	o.queue = append(o.queue, t)
	o.mu.Unlock()
	return t
}

// done finishes t (nil: nothing to do) with the callbacks to run, none
// when its transaction did not commit, and runs whatever the queue's head
// now allows, unless another goroutine is at it.
func (o *orderer) done(t *ticket, after []func()) {
	if t == nil {
		return
	}
	o.mu.Lock()
	t.finished, t.after = true, after
	if o.running {
		o.mu.Unlock()
		return
	}
	o.running = true
	for len(o.queue) > 0 && o.queue[0].finished {
		head := o.queue[0]
		o.queue[0] = nil
		o.queue = o.queue[1:]
		o.mu.Unlock()
		for _, f := range head.after {
			o.run(f)
		}
		close(head.ran)
		o.mu.Lock()
	}
	o.running = false
	o.mu.Unlock()
}
