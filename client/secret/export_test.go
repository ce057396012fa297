package secret

import "time"

// SetClock makes sc tell the time with now, for a test of
// self-destruct timers.
func SetClock(sc *Chats, now func() time.Time) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.now = now
}
