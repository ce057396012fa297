package client

// SetReplayMax sets the longest log of a first-seen chat that the
// engine replays, for a test, and returns what restores it.
func SetReplayMax(n int64) (restore func()) {
	old := replayMax
	replayMax = n
	return func() { replayMax = old }
}
