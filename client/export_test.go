package client

import "time"

// SetReplayMax sets the longest log of a first-seen chat that the
// engine replays, for a test, and returns what restores it.
func SetReplayMax(n int64) (restore func()) {
	old := replayMax
	replayMax = n
	return func() { replayMax = old }
}

// SetSecretClock makes sc tell the time with now, for a test of
// self-destruct timers.
func SetSecretClock(sc *SecretChats, now func() time.Time) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.now = now
}
