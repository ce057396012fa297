// Package haven holds Haven's vocabulary: the domain types (users, sessions,
// privacy settings), the limits every edge enforces and the one error type
// with its stable codes. It imports nothing of Haven's and does no I/O, so
// every other package can depend on it.
package haven
