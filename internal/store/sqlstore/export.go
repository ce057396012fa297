package sqlstore

import (
	"time"

	"github.com/havenchat/haven"
)

// The pieces of the shared SQL that a backend's own statements (full-text
// search) reuse, so that a message is selected and read the same way
// everywhere.
const (
	// MessageColumns are the columns ScanMessage reads, of messages m.
	MessageColumns = messageColumns
	// NotHidden is the condition that the message m is not hidden by the
	// person whose membership is mb.
	NotHidden = notHidden
	// ActiveRoles is the parenthesised list of the roles of active members.
	ActiveRoles = activeRoles
)

// ScanMessage reads one row of MessageColumns.
func ScanMessage(sc Scanner) (*haven.Message, error) { return scanMessage(sc) }

// Millis is how a time is stored: unix milliseconds.
func Millis(t time.Time) int64 { return millis(t) }

// HotStatements are the statements on which the performance targets
// rest, by name, for each backend's test of its query plans (each must
// seek an index, never scan a table that grows with the messages).
// "visible users" has a %s for its list of ids.
var HotStatements = map[string]string{
	"history newest": historyNewestQuery,
	"history oldest": historyOldestQuery,
	"count unread":   countUnreadQuery,
	"dialogs":        dialogsQuery,
	"dialogs since":  dialogsSinceQuery,
	"senior member":  seniorQuery,
	"push targets":   pushTargetsQuery,
	"active invites": activeInvitesQuery,
	"storage usage":  storageUsageQuery,
	"visible users":  visibleQuery,
}
