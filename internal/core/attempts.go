package core

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"math"
	"strconv"
	"time"

	"github.com/havenchat/haven"
)

// Guessing is slowed by token buckets kept in the store (LimitTx), so
// that a restart or another node does not reset them: the codes sent to
// a phone number or email and from an IP address, and the wrong guesses
// made against a phone number or email (sign-in codes) and against an
// account (its password and recovery codes). Every bucket is named by an
// HMAC of what it limits under the server's secret: the store never holds
// a number, an address or an IP in clear, and a stolen database does not
// tell which were limited.

// The scopes of the buckets: each keeps its own count for the same
// identifier.
const (
	scopeCodeTo       = "code-to"       // codes sent to a phone number or email
	scopeCodeFrom     = "code-from"     // codes asked for from an IP address
	scopeGuessCode    = "guess-code"    // wrong sign-in codes for a phone number or email
	scopeGuessAccount = "guess-account" // wrong passwords and recovery codes of an account
	scopeLookup       = "lookup"        // not a bucket: a number or email looked up (lookupKey)
)

// limitKey names the bucket of scope for id.
func (s *Service) limitKey(scope, id string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("limit\x00"))
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write([]byte(id))
	return m.Sum(nil)
}

// accountKey names the bucket of an account's wrong passwords.
func (s *Service) accountKey(userID int64) []byte {
	return s.limitKey(scopeGuessAccount, strconv.FormatInt(userID, 10))
}

// take takes a token from key's bucket under r, or answers FLOOD_WAIT
// with the wait. An unlimited r takes nothing.
func (s *Service) take(ctx context.Context, tx Tx, r Rate, key []byte) error {
	if r.Unlimited() {
		return nil
	}
	ok, wait, err := tx.TakeToken(ctx, key, r, s.now())
	if err != nil {
		return err
	}
	if !ok {
		return floodWait(wait)
	}
	return nil
}

// giveBack returns a token take took under r.
func (s *Service) giveBack(ctx context.Context, tx Tx, r Rate, key []byte) error {
	if r.Unlimited() {
		return nil
	}
	return tx.ReturnToken(ctx, key, r)
}

// floodWait is FLOOD_WAIT for a wait, in whole seconds rounded up.
func floodWait(wait time.Duration) *haven.Error {
	return haven.FloodWait(int(math.Ceil(wait.Seconds())))
}

// tryTake is take for a use case whose transaction commits what it
// wrote even when it refuses (a spent code attempt must stick): failed
// is FLOOD_WAIT when key's bucket is empty, err anything else. For guesses (r is s.guesses) the token is taken before
// the guess is checked, and a refused guess is not checked at all, so its
// answer tells nothing; a right guess gives the token back (giveBack), so
// only wrong ones count. Taking first, in the transaction that checks,
// is what bounds the answers an attacker gets however many guesses they
// send at once.
func (s *Service) tryTake(ctx context.Context, tx Tx, r Rate, key []byte) (failed, err error) {
	err = s.take(ctx, tx, r, key)
	if haven.ErrorCode(err) == haven.CodeFloodWait {
		return err, nil
	}
	return nil, err
}

// takeGuessNow takes a guess's token (see tryTake) in a transaction of
// its own, for a check too slow to run inside one (a password hash).
func (s *Service) takeGuessNow(ctx context.Context, key []byte) error {
	return s.store.Update(ctx, func(tx Tx) error { return s.take(ctx, tx, s.guesses, key) })
}

// giveBackNow returns the token of a right guess that takeGuessNow took.
func (s *Service) giveBackNow(ctx context.Context, key []byte) error {
	return s.store.Update(ctx, func(tx Tx) error { return s.giveBack(ctx, tx, s.guesses, key) })
}

// beforeGuess readies the check of a guess (a code) inside tx against
// key's bucket of wrong guesses (s.guesses): failed is FLOOD_WAIT when
// the bucket is empty, and then the guess must not be checked. As the
// sole writer, the bucket is only read: this transaction runs alone, so
// nothing can take its last token before wrongGuess does, and a right
// guess, as in every sign-up, writes nothing. Beside other writers
// (other nodes on one PostgreSQL) the token is taken first (tryTake), so
// that guesses sent at once to several nodes get no more answers than
// the bucket holds, and rightGuess gives it back.
func (s *Service) beforeGuess(ctx context.Context, tx Tx, key []byte) (failed, err error) {
	if s.guesses.Unlimited() {
		return nil, nil
	}
	if !s.store.SoleWriter() {
		return s.tryTake(ctx, tx, s.guesses, key)
	}
	wait, err := tx.TokenWait(ctx, key, s.guesses, s.now())
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		return floodWait(wait), nil
	}
	return nil, nil
}

// wrongGuess counts a wrong guess beforeGuess let through.
func (s *Service) wrongGuess(ctx context.Context, tx Tx, key []byte) error {
	if s.guesses.Unlimited() || !s.store.SoleWriter() {
		return nil // taken by beforeGuess
	}
	err := s.take(ctx, tx, s.guesses, key)
	if haven.ErrorCode(err) == haven.CodeFloodWait {
		// Cannot be: beforeGuess saw a token in this transaction.
		return nil
	}
	return err
}

// rightGuess ends a right guess beforeGuess let through.
func (s *Service) rightGuess(ctx context.Context, tx Tx, key []byte) error {
	if s.store.SoleWriter() {
		return nil // nothing was taken
	}
	return s.giveBack(ctx, tx, s.guesses, key)
}
