package core

import (
	"context"
	"time"

	"github.com/havenchat/haven"
)

// DeleteAccount erases the actor's account for good: profile, phone,
// email, username, password, sessions, contacts, blocks and settings go;
// the id stays so that what the person wrote in groups shows as from a
// deleted account. The groups and channels they owned pass to another
// member (see handOver). When a cloud password is set it must be given.
// Errors: CodePasswordRequired, CodePasswordInvalid.
func (s *Service) DeleteAccount(ctx context.Context, a *Actor, password string) error {
	if _, err := s.checkCurrentPassword(ctx, a, password, false); err != nil {
		return err
	}
	return s.internal(ctx, "account.delete", s.erase(ctx, a.UserID, time.Time{}))
}

// erase deletes one account. With a non-zero inactiveBefore it deletes
// only if the account is still inactive, so that a janitor racing a
// sign-in on another node never deletes an account in use.
func (s *Service) erase(ctx context.Context, userID int64, now time.Time) error {
	return s.store.Update(ctx, func(tx Tx) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		if u.Deleted {
			return nil
		}
		if !now.IsZero() && !inactive(u, now) {
			return nil
		}
		if err := s.handOver(ctx, tx, userID); err != nil {
			return err
		}
		ids, err := tx.EraseUser(ctx, userID)
		if err != nil {
			return err
		}
		s.announceEnded(ctx, tx, userID, ids)
		return nil
	})
}

func inactive(u *haven.User, now time.Time) bool {
	return u.LastActiveAt.Add(time.Duration(u.AccountTTLDays) * 24 * time.Hour).Before(now)
}

// AccountTTL is the inactivity period after which an account deletes
// itself.
type AccountTTL struct {
	Months int
}

var ttlMonths = map[int]int{1: 30, 3: 90, 6: 180, 12: 365}

// GetAccountTTL returns the actor's inactivity period.
func (s *Service) GetAccountTTL(ctx context.Context, a *Actor) (*AccountTTL, error) {
	u, err := s.store.UserByID(ctx, a.UserID)
	if err != nil {
		return nil, s.internal(ctx, "account.getTTL", err)
	}
	for m, d := range ttlMonths {
		if d == u.AccountTTLDays {
			return &AccountTTL{Months: m}, nil
		}
	}
	return &AccountTTL{Months: u.AccountTTLDays / 30}, nil
}

// SetAccountTTL sets the inactivity period: 1, 3, 6 or 12 months.
// Errors: CodeAccountTTLInvalid.
func (s *Service) SetAccountTTL(ctx context.Context, a *Actor, months int) (*AccountTTL, error) {
	days, ok := ttlMonths[months]
	if !ok {
		return nil, haven.Errorf(haven.CodeAccountTTLInvalid, "the period is 1, 3, 6 or 12 months")
	}
	_, err := s.changeUser(ctx, a, "account.setTTL", false, func(u *haven.User) error {
		u.AccountTTLDays = days
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &AccountTTL{Months: months}, nil
}

// Sweep does the background housekeeping once: it deletes accounts
// inactive for longer than their period, login attempts and recovery
// email codes that expired, the buckets of limits that are full again
// and the contact lookups older than their day. It is safe to run on
// many nodes at once. It returns how many accounts it deleted.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.now()
	if err := s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.DeleteExpiredLoginAttempts(ctx, now); err != nil {
			return err
		}
		if _, err := tx.DeleteExpiredEmailConfirmations(ctx, now); err != nil {
			return err
		}
		if _, err := tx.DeleteFullBuckets(ctx, now); err != nil {
			return err
		}
		_, err := tx.ForgetLookups(ctx, now.Add(-LookupWindow))
		return err
	}); err != nil {
		return 0, err
	}
	deleted := 0
	seen := make(map[int64]bool)
	for {
		ids, err := s.store.InactiveUsers(ctx, now, 100)
		if err != nil {
			return deleted, err
		}
		progress := false
		for _, id := range ids {
			if seen[id] {
				continue // erase found it active after all
			}
			seen[id] = true
			progress = true
			if err := s.erase(ctx, id, now); err != nil {
				return deleted, err
			}
			deleted++
		}
		if len(ids) < 100 || !progress {
			break
		}
	}
	if deleted > 0 {
		s.log.InfoContext(ctx, "deleted inactive accounts", "count", deleted)
	}
	return deleted, nil
}

// RunJanitor calls Sweep, ExpireUploads and ExpireSecretEnvelopes every
// interval, CollectBlobs
// every hour and ExpireMessages every few seconds until ctx ends. Sends
// older than two days are forgotten: a client retries a send within
// minutes, not days.
func (s *Service) RunJanitor(ctx context.Context, every time.Duration) {
	sweep := time.NewTicker(every)
	defer sweep.Stop()
	expire := time.NewTicker(10 * time.Second)
	defer expire.Stop()
	collect := time.NewTicker(time.Hour)
	defer collect.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "janitor sweep failed", "err", err)
		}
		if err := s.store.Update(ctx, func(tx Tx) error { return tx.ForgetSendsBefore(ctx, s.now().Add(-48*time.Hour)) }); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "forgetting old sends failed", "err", err)
		}
		if _, err := s.ExpireUploads(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "expiring uploads failed", "err", err)
		}
		if _, err := s.ExpireSecretEnvelopes(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "expiring secret envelopes failed", "err", err)
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				return
			case <-expire.C:
				if _, err := s.ExpireMessages(ctx); err != nil && ctx.Err() == nil {
					s.log.WarnContext(ctx, "expiring messages failed", "err", err)
				}
			case <-collect.C:
				if _, err := s.CollectBlobs(ctx); err != nil && ctx.Err() == nil {
					s.log.WarnContext(ctx, "collecting blobs failed", "err", err)
				}
			case <-sweep.C:
				break wait
			}
		}
	}
}
