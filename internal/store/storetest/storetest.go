// Package storetest is the conformance suite of core.Store: every backend
// runs Run against a fresh store and must pass all of it, so that the core
// can rely on the behaviour documented in internal/core/store.go whichever
// database is underneath.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// Run runs the suite. open must return a new, empty store for each call;
// Run closes it when the subtest ends.
func Run(t *testing.T, open func(t *testing.T) core.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s core.Store)
	}{
		{"CreateAndGetUser", testCreateAndGetUser},
		{"UsersByIDs", testUsersByIDs},
		{"UserLookups", testUserLookups},
		{"UsernameUnique", testUsernameUnique},
		{"PhoneEmailUnique", testPhoneEmailUnique},
		{"ConcurrentSignups", testConcurrentSignups},
		{"UpdateUser", testUpdateUser},
		{"TouchUser", testTouchUser},
		{"LoginAttempts", testLoginAttempts},
		{"DeleteExpiredLoginAttempts", testDeleteExpiredLoginAttempts},
		{"Sessions", testSessions},
		{"DeleteUserSessions", testDeleteUserSessions},
		{"Contacts", testContacts},
		{"Blocks", testBlocks},
		{"Privacy", testPrivacy},
		{"EraseUser", testEraseUser},
		{"SecretKeys", testSecretKeys},
		{"InactiveUsers", testInactiveUsers},
		{"TokenBuckets", testTokenBuckets},
		{"Lookups", testLookups},
		{"VisibleUsers", testVisibleUsers},
		{"EmailConfirmations", testEmailConfirmations},
		{"EraseForgetsFinding", testEraseForgetsFinding},
		{"UpdateErrorRollsBack", testUpdateErrorRollsBack},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"AfterCommit", testAfterCommit},
		{"AfterCommitReadsUnderLoad", testAfterCommitReadsUnderLoad},
		{"FailedStatementAmongOthers", testFailedStatementAmongOthers},
		{"TxReadsOwnWrites", testTxReadsOwnWrites},
		{"CancelledContext", testCancelledContext},

		{"CreateAndGetChat", testCreateAndGetChat},
		{"PrivateChats", testPrivateChats},
		{"ConcurrentPrivateChats", testConcurrentPrivateChats},
		{"ChatUsernames", testChatUsernames},
		{"UpdateChat", testUpdateChat},
		{"NextSeq", testNextSeq},
		{"Members", testMembers},
		{"SetReadInbox", testSetReadInbox},
		{"Dialogs", testDialogs},
		{"Invites", testInvites},
		{"ActiveInvites", testActiveInvites},
		{"SeniorMember", testSeniorMember},
		{"InsertAndGetMessage", testInsertAndGetMessage},
		{"MediaMessage", testMediaMessage},
		{"UpdateMessage", testUpdateMessage},
		{"History", testHistory},
		{"HideMessages", testHideMessages},
		{"DeleteMessages", testDeleteMessages},
		{"CountUnread", testCountUnread},
		{"Mentions", testMentions},
		{"Reactions", testReactions},
		{"Views", testViews},
		{"Sends", testSends},
		{"ExpiredMessages", testExpiredMessages},
		{"Events", testEvents},
		{"ChatEvents", testChatEvents},
		{"GIDCommitOrder", testGIDCommitOrder},
		{"UserEvents", testUserEvents},
		{"ChatTxReadsOwnWrites", testChatTxReadsOwnWrites},
		{"ChatUpdateRollsBack", testChatUpdateRollsBack},
		{"SearchMessages", testSearchMessages},
		{"SearchChats", testSearchChats},
		{"SearchUsers", testSearchUsers},

		{"Uploads", testUploads},
		{"UploadParts", testUploadParts},
		{"ExpiredUploads", testExpiredUploads},
		{"UploadCheck", testUploadCheck},
		{"StorageUsage", testStorageUsage},
		{"Files", testFiles},
		{"BlobGC", testBlobGC},
		{"FileGC", testFileGC},
		{"Photos", testPhotos},

		{"SignupInvites", testSignupInvites},
		{"PushSubscriptions", testPushSubscriptions},
		{"PushEndsWithSession", testPushEndsWithSession},
		{"PushTargets", testPushTargets},
		{"PushSubscribers", testPushSubscribers},
		{"ReachVersion", testReachVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.fn(t, s)
		})
	}
}

// t0 is the suite's "now". Stores keep times to the millisecond, so every
// time used here is a whole number of milliseconds.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

// update runs fn in s.Update and fails the test on error.
func update(t *testing.T, s core.Store, fn func(tx core.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

var userSeq atomic.Int64

// newUser returns a user with unique phone, email and username, changed by
// the given functions.
func newUser(mods ...func(*haven.User)) *haven.User {
	n := userSeq.Add(1)
	u := &haven.User{
		FirstName:      fmt.Sprintf("First%d", n),
		LastName:       fmt.Sprintf("Last%d", n),
		Username:       fmt.Sprintf("User_%d", n),
		Bio:            "bio",
		Phone:          fmt.Sprintf("+1555%07d", n),
		Email:          fmt.Sprintf("user%d@example.org", n),
		CreatedAt:      t0,
		LastActiveAt:   t0,
		AccountTTLDays: haven.DefaultAccountTTLDays,
	}
	for _, m := range mods {
		m(u)
	}
	return u
}

// createUser stores a new user and returns it.
func createUser(t *testing.T, s core.Store, mods ...func(*haven.User)) *haven.User {
	t.Helper()
	u := newUser(mods...)
	update(t, s, func(tx core.Tx) error { return tx.CreateUser(context.Background(), u) })
	return u
}

// hash returns a distinct 32-byte value standing for a token or code hash.
func hash(s string) []byte {
	b := make([]byte, 32)
	copy(b, s)
	return b
}

func isCode(err error, code string) bool {
	return errors.Is(err, &haven.Error{Code: code})
}
