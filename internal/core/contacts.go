package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/ident"
)

// ContactInput is one entry of an address book to import: a phone number
// or an email address and the name the owner knows the person by.
type ContactInput struct {
	Phone     string
	Email     string
	FirstName string
	LastName  string
}

// ImportedContact is one input that matched an account.
type ImportedContact struct {
	Index int // position in the request
	User  UserView
}

// ImportResult answers ImportContacts.
type ImportResult struct {
	Imported []ImportedContact
	// Unmatched counts inputs that found nobody (or nobody who lets
	// themselves be found). Haven keeps nothing of them.
	Unmatched int
}

// LookupWindow is how long a phone number or email that someone looked
// up counts against their daily cap (Config.LookupsPerDay), and how long
// its HMAC is kept.
const LookupWindow = 24 * time.Hour

// lookupKey is what the store keeps of a phone number or email someone
// looked up: an HMAC under the server's secret, the same for every
// person, so that "has Ann looked up Bob's number?" can be asked
// without the number itself.
func (s *Service) lookupKey(identifier string) []byte {
	return s.limitKey(scopeLookup, identifier)
}

// ImportContacts adds to the actor's contacts the people whose phone
// number or email is given, where their privacy lets the actor find them
// ("find_by_phone" covers email too), and records that the actor found
// them (they stay visible to the actor if the contact is removed). Inputs
// that match nobody are not stored; only an HMAC of each number or
// address looked up is kept, for LookupWindow, so that the actor may
// look up at most Config.LookupsPerDay new ones a day (one looked up
// within the window again is free). Errors: CodeContactsTooMany (too
// many entries at once, or, with a retry_after, too many new ones
// today), CodePhoneInvalid, CodeEmailInvalid, CodeParamMissing,
// CodeFirstNameInvalid, CodeLastNameInvalid; on any error nothing is
// imported and nothing counts.
func (s *Service) ImportContacts(ctx context.Context, a *Actor, in []ContactInput) (*ImportResult, error) {
	if len(in) > s.limits.ContactsPerImport {
		return nil, haven.Errorf(haven.CodeContactsTooMany, "at most %d contacts per import", s.limits.ContactsPerImport)
	}
	type norm struct {
		id          string
		kind        haven.IdentifierKind
		first, last string
	}
	ns := make([]norm, len(in))
	keys := make([][]byte, len(in))
	for i, c := range in {
		var n norm
		var err error
		switch {
		case c.Phone != "" && c.Email != "":
			return nil, haven.Errorf(haven.CodeParamInvalid, "contact %d: give a phone or an email, not both", i)
		case c.Phone != "":
			n.id, err = ident.Phone(c.Phone)
			n.kind = haven.KindPhone
		case c.Email != "":
			n.id, err = ident.Email(c.Email)
			n.kind = haven.KindEmail
		default:
			return nil, haven.Errorf(haven.CodeParamMissing, "contact %d: give a phone or an email", i)
		}
		if err != nil {
			return nil, err
		}
		if n.first, n.last, err = s.checkNames(c.FirstName, c.LastName); err != nil {
			return nil, err
		}
		ns[i] = n
		keys[i] = s.lookupKey(n.id)
	}
	res := &ImportResult{Imported: []ImportedContact{}}
	err := s.store.Update(ctx, func(tx Tx) error {
		res.Imported, res.Unmatched = res.Imported[:0], 0
		if s.lookups > 0 && len(keys) > 0 {
			ok, wait, err := tx.RecordLookups(ctx, a.UserID, keys, s.now(), LookupWindow, s.lookups)
			if err != nil {
				return err
			}
			if !ok {
				if wait == 0 {
					return haven.Errorf(haven.CodeContactsTooMany, "at most %d new phone numbers and emails a day: import fewer at a time", s.lookups)
				}
				secs := floodWait(wait).RetryAfter
				return &haven.Error{Code: haven.CodeContactsTooMany, RetryAfter: secs,
					Message: fmt.Sprintf("at most %d new phone numbers and emails a day: retry in %d s", s.lookups, secs)}
			}
		}
		// fn may run again (core.Store.Update): the result starts over.
		res.Unmatched, res.Imported = 0, res.Imported[:0]
		me, err := tx.UserByID(ctx, a.UserID)
		if err != nil {
			return err
		}
		var found []*haven.User
		for i, n := range ns {
			u, err := s.userByIdentifier(ctx, tx, n.id, n.kind)
			if errors.Is(err, haven.ErrNotFound) {
				res.Unmatched++
				continue
			}
			if err != nil {
				return err
			}
			if u.ID == a.UserID {
				res.Unmatched++
				continue
			}
			ok, err := s.findable(ctx, tx, me, u)
			if err != nil {
				return err
			}
			if !ok {
				res.Unmatched++
				continue
			}
			if err := tx.PutContact(ctx, a.UserID, haven.Contact{UserID: u.ID, FirstName: n.first, LastName: n.last}); err != nil {
				return err
			}
			found = append(found, u)
			v, err := s.view(ctx, tx, a.UserID, u)
			if err != nil {
				return err
			}
			res.Imported = append(res.Imported, ImportedContact{Index: i, User: v})
		}
		return s.markFound(ctx, tx, a.UserID, found)
	})
	if err != nil {
		return nil, s.internal(ctx, "contacts.import", err)
	}
	return res, nil
}

// findable reports whether target's find_by_phone setting lets seeker
// find them by phone number or email. "contacts" admits the people the
// target has in their contacts and, since those are added only once
// found, also the people whose number or address the target looked up
// within LookupWindow: so two people who have each other's numbers find
// each other whichever imports first.
func (s *Service) findable(ctx context.Context, q Queries, seeker, target *haven.User) (bool, error) {
	r, err := s.relation(ctx, q, seeker.ID, target.ID)
	if err != nil {
		return false, err
	}
	p, err := q.Privacy(ctx, target.ID)
	if err != nil {
		return false, err
	}
	aud := p.Get(haven.PrivacyFindByPhone)
	if r.allows(aud) {
		return true, nil
	}
	if aud != haven.Contacts || r.blockedBy {
		return false, nil
	}
	var keys [][]byte
	for _, id := range []string{seeker.Phone, seeker.Email} {
		if id != "" {
			keys = append(keys, s.lookupKey(id))
		}
	}
	return q.LookedUp(ctx, target.ID, keys, s.now().Add(-LookupWindow))
}

// AddContact adds a person the actor may see to the actor's contacts
// under the names given, or renames them if they are one already; the
// actor has then found them (they stay visible if the contact is
// removed). It is how a client adds someone met in a chat, whose phone
// number it may not know. Errors: CodeParamInvalid (the actor's own id),
// CodeUserNotFound (also for someone the actor may not see),
// CodeFirstNameInvalid, CodeLastNameInvalid.
func (s *Service) AddContact(ctx context.Context, a *Actor, userID int64, firstName, lastName string) (*ContactView, error) {
	if userID == a.UserID {
		return nil, haven.Errorf(haven.CodeParamInvalid, "you cannot add yourself to your contacts")
	}
	first, last, err := s.checkNames(firstName, lastName)
	if err != nil {
		return nil, err
	}
	var out *ContactView
	err = s.store.Update(ctx, func(tx Tx) error {
		u, err := s.knownUser(ctx, tx, a.UserID, userID)
		if err != nil {
			return err
		}
		if err := tx.PutContact(ctx, a.UserID, haven.Contact{UserID: u.ID, FirstName: first, LastName: last}); err != nil {
			return err
		}
		if err := s.markFound(ctx, tx, a.UserID, []*haven.User{u}); err != nil {
			return err
		}
		v, err := s.view(ctx, tx, a.UserID, u)
		if err != nil {
			return err
		}
		out = &ContactView{FirstName: first, LastName: last, User: v}
		return nil
	})
	if err != nil {
		return nil, s.internal(ctx, "contacts.add", err)
	}
	return out, nil
}

// ContactView is a contact as its owner sees it: the name they gave it
// and the account as privacy shows it.
type ContactView struct {
	FirstName string
	LastName  string
	User      UserView
}

// ListContacts returns the actor's contacts ordered by user id.
func (s *Service) ListContacts(ctx context.Context, a *Actor) ([]ContactView, error) {
	cs, err := s.store.Contacts(ctx, a.UserID)
	if err != nil {
		return nil, s.internal(ctx, "contacts.list", err)
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.UserID
	}
	us, err := s.store.UsersByIDs(ctx, ids)
	if err != nil {
		return nil, s.internal(ctx, "contacts.list", err)
	}
	byID := make(map[int64]*haven.User, len(us))
	for _, u := range us {
		byID[u.ID] = u
	}
	out := make([]ContactView, 0, len(cs))
	for _, c := range cs {
		u := byID[c.UserID]
		if u == nil {
			continue
		}
		v, err := s.view(ctx, s.store, a.UserID, u)
		if err != nil {
			return nil, s.internal(ctx, "contacts.list", err)
		}
		out = append(out, ContactView{FirstName: c.FirstName, LastName: c.LastName, User: v})
	}
	return out, nil
}

// DeleteContacts removes users from the actor's contacts; ids that are
// not contacts are ignored. Errors: CodeTooManyIDs.
func (s *Service) DeleteContacts(ctx context.Context, a *Actor, ids []int64) error {
	if len(ids) > s.limits.ContactsPerImport {
		return haven.Errorf(haven.CodeTooManyIDs, "at most %d ids per request", s.limits.ContactsPerImport)
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		for _, id := range ids {
			if err := tx.DeleteContact(ctx, a.UserID, id); err != nil {
				return err
			}
		}
		return nil
	})
	return s.internal(ctx, "contacts.delete", err)
}

// Block stops userID from messaging the actor and from seeing the actor's
// online status, phone and other details privacy guards. Errors:
// CodeBlockSelf, CodeUserNotFound (also for someone the actor may not
// see).
func (s *Service) Block(ctx context.Context, a *Actor, userID int64) error {
	if userID == a.UserID {
		return haven.Errorf(haven.CodeBlockSelf, "you cannot block yourself")
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		if _, err := s.knownUser(ctx, tx, a.UserID, userID); err != nil {
			return err
		}
		return tx.Block(ctx, a.UserID, userID, s.now())
	})
	return s.internal(ctx, "contacts.block", err)
}

// Unblock lifts a block; unblocking someone not blocked is not an error.
// Errors: CodeUserNotFound (also for someone the actor may not see;
// whom the actor blocks they may see).
func (s *Service) Unblock(ctx context.Context, a *Actor, userID int64) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		if _, err := s.knownUser(ctx, tx, a.UserID, userID); err != nil {
			return err
		}
		return tx.Unblock(ctx, a.UserID, userID)
	})
	return s.internal(ctx, "contacts.unblock", err)
}

// ListBlocked returns the users the actor blocks.
func (s *Service) ListBlocked(ctx context.Context, a *Actor) ([]UserView, error) {
	ids, err := s.store.Blocked(ctx, a.UserID)
	if err != nil {
		return nil, s.internal(ctx, "contacts.listBlocked", err)
	}
	us, err := s.store.UsersByIDs(ctx, ids)
	if err != nil {
		return nil, s.internal(ctx, "contacts.listBlocked", err)
	}
	return s.views(ctx, a.UserID, us)
}

// CanContact reports whether from may start a conversation with or send
// to `to`: the recipient must exist, be someone from may see, and must
// not block the sender. It is the check every messaging use case calls.
// Errors: CodeUserNotFound, CodeUserBlocked.
func (s *Service) CanContact(ctx context.Context, q Queries, from, to int64) error {
	if _, err := s.knownUser(ctx, q, from, to); err != nil {
		return err
	}
	blocked, err := q.IsBlocked(ctx, to, from)
	if err != nil {
		return err
	}
	if blocked {
		return haven.Errorf(haven.CodeUserBlocked, "this person does not accept your messages")
	}
	return nil
}

// liveUser loads an account that exists and is not deleted. It does not
// ask whether anyone may see it: for an id a caller gave, use knownUser.
func (s *Service) liveUser(ctx context.Context, q Queries, id int64) (*haven.User, error) {
	u, err := q.UserByID(ctx, id)
	if errors.Is(err, haven.ErrNotFound) || (err == nil && u.Deleted) {
		return nil, userNotFound(id)
	}
	return u, err
}
