package core

import (
	"context"
	"errors"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/ident"
)

// ContactInput is one entry of an address book to import: a phone number
// or an email address and the name the owner knows the person by.
type ContactInput struct {
	Phone     string `json:"phone,omitempty"`
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
}

// ImportedContact is one input that matched an account.
type ImportedContact struct {
	Index int      `json:"index"` // position in the request
	User  UserView `json:"user"`
}

// ImportResult answers ImportContacts.
type ImportResult struct {
	Imported []ImportedContact `json:"imported"`
	// Unmatched counts inputs that found nobody (or nobody who lets
	// themselves be found). Haven keeps nothing of them.
	Unmatched int `json:"unmatched"`
}

// ImportContacts adds to the actor's contacts the people whose phone
// number or email is given, where their privacy lets the actor find them
// ("find_by_phone" covers email too). Inputs that match nobody are not
// stored. Errors: CodeContactsTooMany, CodePhoneInvalid, CodeEmailInvalid,
// CodeParamMissing, CodeFirstNameInvalid, CodeLastNameInvalid; on any
// error nothing is imported.
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
	}
	res := &ImportResult{Imported: []ImportedContact{}}
	err := s.store.Update(ctx, func(tx Tx) error {
		res.Imported, res.Unmatched = res.Imported[:0], 0
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
			r, err := s.relation(ctx, tx, a.UserID, u.ID)
			if err != nil {
				return err
			}
			p, err := tx.Privacy(ctx, u.ID)
			if err != nil {
				return err
			}
			if !r.allows(p.Get(haven.PrivacyFindByPhone)) {
				res.Unmatched++
				continue
			}
			if err := tx.PutContact(ctx, a.UserID, haven.Contact{UserID: u.ID, FirstName: n.first, LastName: n.last}); err != nil {
				return err
			}
			v, err := s.view(ctx, tx, a.UserID, u)
			if err != nil {
				return err
			}
			res.Imported = append(res.Imported, ImportedContact{Index: i, User: v})
		}
		return nil
	})
	if err != nil {
		return nil, s.internal(ctx, "contacts.import", err)
	}
	return res, nil
}

// ContactView is a contact as its owner sees it: the name they gave it
// and the account as privacy shows it.
type ContactView struct {
	FirstName string   `json:"first_name"`
	LastName  string   `json:"last_name,omitempty"`
	User      UserView `json:"user"`
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
// CodeBlockSelf, CodeUserNotFound.
func (s *Service) Block(ctx context.Context, a *Actor, userID int64) error {
	if userID == a.UserID {
		return haven.Errorf(haven.CodeBlockSelf, "you cannot block yourself")
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		if _, err := s.liveUser(ctx, tx, userID); err != nil {
			return err
		}
		return tx.Block(ctx, a.UserID, userID, s.now())
	})
	return s.internal(ctx, "contacts.block", err)
}

// Unblock lifts a block; unblocking someone not blocked is not an error.
// Errors: CodeUserNotFound.
func (s *Service) Unblock(ctx context.Context, a *Actor, userID int64) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		if _, err := s.liveUser(ctx, tx, userID); err != nil {
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
// to `to`: the recipient must exist and must not block the sender. It is
// the check every messaging use case calls. Errors: CodeUserNotFound,
// CodeUserBlocked.
func (s *Service) CanContact(ctx context.Context, q Queries, from, to int64) error {
	if _, err := s.liveUser(ctx, q, to); err != nil {
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

// liveUser loads an account that exists and is not deleted.
func (s *Service) liveUser(ctx context.Context, q Queries, id int64) (*haven.User, error) {
	u, err := q.UserByID(ctx, id)
	if errors.Is(err, haven.ErrNotFound) || (err == nil && u.Deleted) {
		return nil, haven.Errorf(haven.CodeUserNotFound, "there is no user %d", id)
	}
	return u, err
}
