package core

import (
	"context"
	"time"

	"github.com/havenchat/haven"
)

// Rate is a budget of Count events per Per, kept as a token bucket: it
// holds Count tokens at most and gets one back every Per/Count, so Count
// events may come at once after a quiet spell and no more than Count
// in any period Per. The zero Rate is no limit.
type Rate struct {
	Count int
	Per   time.Duration
}

// Unlimited reports whether r is the zero Rate (or otherwise allows
// everything).
func (r Rate) Unlimited() bool { return r.Count <= 0 || r.Per <= 0 }

// Interval is how long a bucket under r takes to get one token back
// (at least a millisecond, the unit stores keep).
func (r Rate) Interval() time.Duration {
	return max(r.Per/time.Duration(r.Count), time.Millisecond).Truncate(time.Millisecond)
}

// LimitTx keeps the counts behind the limits that must hold across
// restarts and across the nodes of a cluster: sign-in codes sent, wrong
// guesses of codes and passwords, contact lookups. Keys are HMACs made by
// the core (never a phone number, an address or an IP in clear). Each
// method is one atomic step on its key, so that a SQL database can do it
// in one statement (or with the owner's rows locked) however many nodes
// share the database.
type LimitTx interface {
	// TakeToken takes a token from the bucket named key, under r, at now.
	// A bucket not seen before is full. ok reports whether there was a
	// token; when there was not, nothing changes and wait (> 0) is how
	// long until there will be one. r must not be unlimited.
	TakeToken(ctx context.Context, key []byte, r Rate, now time.Time) (ok bool, wait time.Duration, err error)
	// TokenWait reads, without taking anything, how long until the
	// bucket named key under r has a token at now: 0 when it has one. A
	// bucket not seen before is full. r must not be unlimited.
	TokenWait(ctx context.Context, key []byte, r Rate, now time.Time) (time.Duration, error)
	// ReturnToken gives back a token TakeToken took (a guess that proved
	// right costs nothing); a bucket that is full stays full.
	ReturnToken(ctx context.Context, key []byte, r Rate) error
	// DeleteFullBuckets removes the buckets that are full at now (a full
	// bucket is the same as none) and reports how many.
	DeleteFullBuckets(ctx context.Context, now time.Time) (int, error)

	// RecordLookups notes that owner looked up the identifiers whose
	// keyed hashes are keys, at now. Keys owner looked up after
	// now-window are already noted and do not count again (nor move);
	// the others are new. If the new keys would make more than max keys
	// looked up after now-window, nothing is noted and ok is false; wait
	// is then how long until enough of the noted keys are older than
	// the window for the new ones to fit, or 0 when they never will
	// (more new keys than max). Duplicates in keys count once.
	RecordLookups(ctx context.Context, owner int64, keys [][]byte, now time.Time, window time.Duration, max int) (ok bool, wait time.Duration, err error)
	// ForgetLookups removes the lookups noted before before and reports
	// how many.
	ForgetLookups(ctx context.Context, before time.Time) (int, error)
}

// LimitQueries are the reads of LimitTx's records.
type LimitQueries interface {
	// LookedUp reports whether owner looked up any of keys after since.
	LookedUp(ctx context.Context, owner int64, keys [][]byte, since time.Time) (bool, error)
}

// PeopleTx records who found whom.
type PeopleTx interface {
	// MarkFound records that viewer found each of ids (by username, by
	// phone number or email, or by search), so that viewer may see them
	// from then on. Marking again is not an error; viewer's own id is
	// ignored.
	MarkFound(ctx context.Context, viewer int64, ids []int64, at time.Time) error
}

// PeopleQueries answer who may see whom.
type PeopleQueries interface {
	// VisibleUsers returns, in no set order, those of ids (which exist
	// or not) that viewer has a stored reason to see:
	//   - viewer has them in their contacts, or they have viewer in
	//     theirs (their own choice shows them to viewer), or viewer
	//     blocks them;
	//   - viewer found them (MarkFound);
	//   - viewer is an active member (owner, admin or member) of a chat
	//     in which they have a membership row of any role (so authors
	//     who left stay known to those who read their messages), except
	//     that in a channel a plain subscriber sees only the owner and
	//     admins, and the other subscribers only the owner and admins
	//     see;
	//   - they are an active member of a public group (a group with a
	//     username), whose members anyone may read.
	// Viewer's own id is returned if asked for. Duplicates in ids may
	// be returned once.
	VisibleUsers(ctx context.Context, viewer int64, ids []int64) ([]int64, error)
}

// ConfirmationTx keeps the recovery emails waiting for confirmation.
type ConfirmationTx interface {
	// PutEmailConfirmation stores c, replacing the person's previous one.
	PutEmailConfirmation(ctx context.Context, c *haven.EmailConfirmation) error
	// DeleteEmailConfirmation removes a person's confirmation; a missing
	// one is not an error.
	DeleteEmailConfirmation(ctx context.Context, userID int64) error
	// DeleteExpiredEmailConfirmations removes those that expired before
	// now and reports how many.
	DeleteExpiredEmailConfirmations(ctx context.Context, now time.Time) (int, error)
}

// ConfirmationQueries read them.
type ConfirmationQueries interface {
	// EmailConfirmation returns a person's pending confirmation.
	// Errors: haven.ErrNotFound.
	EmailConfirmation(ctx context.Context, userID int64) (*haven.EmailConfirmation, error)
}
