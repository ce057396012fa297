package haven

// The error codes of connections: how many a client may hold open and how
// fast it must send what it started.
const (
	// CodeConnectionsTooMany refuses a WebSocket (or binding a socket to
	// a session) beyond a cap: sockets from one client address, sockets
	// from one address not yet signed in, or one person's sockets.
	CodeConnectionsTooMany = "CONNECTIONS_TOO_MANY"
	// CodeBodyTimeout cuts an HTTP request whose body did not arrive in
	// time (or, for a file part, arrived slower than the minimum rate).
	CodeBodyTimeout = "BODY_TIMEOUT"
)
