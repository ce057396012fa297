package client

import (
	"context"
	"errors"
)

// SyncState is where the sync engine of [Client.UpdatesWithStore] stands
// in the person's logs: Pts in their own log, Gid among all chat events,
// and, in Seqs, the seq of the last event it applied of each chat
// (chat id → seq).
type SyncState struct {
	Pts  int64
	Gid  int64
	Seqs map[int64]int64
}

// ErrNoState is returned by [Store.LoadState] when the store holds no
// state yet: the engine then starts from the server's current state.
var ErrNoState = errors.New("haven: no stored sync state")

// Change is one step of the sync engine, which a [Store] saves at once
// (in one transaction), so that the state it stores always agrees with
// what it stores of the events.
type Change struct {
	// Event is the event the step handed out: a Chat, User or
	// ReloadChatID event, or the zero Event when the step only moved the
	// state (the end of a sync.getDifference, say).
	Event Event
	// Dialogs are the dialogs the server sent in the step: every dialog
	// (dialogs.list) with Reset, the dialogs that moved with the end of a
	// sync.getDifference. Each reflects its chat at Dialog.Chat.Seq.
	Dialogs []Dialog
	// State is the engine's state after the step. Pts and Gid are always
	// set; Seqs holds only the chats whose seq the step set, except with
	// Reset, where it holds every chat.
	State SyncState
	// Reset says that the engine started over (a first start, or a state
	// the server did not know): State replaces the stored state whole.
	// The chats not in State.Seqs are to be forgotten, and what is kept
	// of a chat whose seq changed may have missed events.
	Reset bool
}

// Store keeps the state of the sync engine across restarts, for
// [Client.UpdatesWithStore]. The package client/cache implements it on
// SQLite, along with the dialogs and recent messages.
//
// The engine saves each step after handing its event to the program:
// if the program stops between the two, the event comes again at the
// next start (at least once), never is it lost.
type Store interface {
	// LoadState returns the stored state. It returns ErrNoState when
	// there is none, or another error when it cannot be read (which
	// ends the stream).
	LoadState(ctx context.Context) (*SyncState, error)
	// Save stores ch whole or not at all. An error ends the stream, the
	// step being the last the program received: the next start delivers
	// it again.
	Save(ctx context.Context, ch *Change) error
}
