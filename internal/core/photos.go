package core

import (
	"context"

	"github.com/havenchat/haven"
)

// Profile and chat photos go through the photo pipeline of photo
// messages (preparePhoto): the same checks (an image bomb or a file that
// is not an image is refused with PHOTO_TOO_LARGE or PHOTO_INVALID), the
// same sizes and inline preview. A photo's files are recorded with their
// owner (PhotoTx), so that a download is allowed to whoever may see the
// photo (canReadPhoto) and the collector keeps them.

// preparedPhoto is a photo made outside the writer; its sizes' files are
// created by create, in the writer.
type preparedPhoto struct {
	p *prepared
}

// makePhoto checks file fileID, which a must be able to read, as a photo
// and makes its sizes and preview.
func (s *Service) makePhoto(ctx context.Context, a *Actor, fileID int64) (*preparedPhoto, error) {
	if s.blobs == nil {
		return nil, errNoBlobs()
	}
	f, err := s.readableFile(ctx, a, fileID)
	if err != nil {
		return nil, err
	}
	md := &haven.Media{Kind: haven.MediaPhoto, FileID: f.ID, Name: f.Name, MIME: f.MIME, Size: f.Size}
	p := &prepared{msg: &haven.Message{SenderID: a.UserID, Media: md}}
	if err := s.preparePhoto(ctx, a, f, p); err != nil {
		return nil, err
	}
	return &preparedPhoto{p: p}, nil
}

// create inserts the photo's size files and returns the photo.
func (pp *preparedPhoto) create(ctx context.Context, tx Tx) (*haven.Photo, error) {
	if err := pp.p.createFiles(ctx, tx); err != nil {
		return nil, err
	}
	md := pp.p.msg.Media
	return &haven.Photo{
		FileID: md.FileID, Width: md.Width, Height: md.Height,
		Sizes: append([]haven.PhotoSize(nil), md.Sizes...), Preview: md.Preview,
	}, nil
}

// SetProfilePhoto makes file fileID (uploaded by the actor, or one they
// may read) their profile photo, with its sizes and preview. Who sees it
// follows the profile_photo privacy setting.
//
// Errors: FILE_NOT_FOUND, PHOTO_INVALID, PHOTO_TOO_LARGE, UNAVAILABLE.
func (s *Service) SetProfilePhoto(ctx context.Context, a *Actor, fileID int64) (*UserView, error) {
	pp, err := s.makePhoto(ctx, a, fileID)
	if err != nil {
		return nil, err
	}
	return s.setProfilePhoto(ctx, a, "account.setPhoto", pp)
}

// RemoveProfilePhoto removes the actor's profile photo; having none is
// not an error.
func (s *Service) RemoveProfilePhoto(ctx context.Context, a *Actor) (*UserView, error) {
	return s.setProfilePhoto(ctx, a, "account.removePhoto", nil)
}

func (s *Service) setProfilePhoto(ctx context.Context, a *Actor, op string, pp *preparedPhoto) (*UserView, error) {
	var v UserView
	err := s.store.Update(ctx, func(tx Tx) error {
		u, err := tx.UserByID(ctx, a.UserID)
		if err != nil {
			return err
		}
		u.Photo = nil
		if pp != nil {
			if u.Photo, err = pp.create(ctx, tx); err != nil {
				return err
			}
		}
		if err := tx.SetUserPhoto(ctx, u.ID, u.Photo); err != nil {
			return err
		}
		if v, err = s.view(ctx, tx, a.UserID, u); err != nil {
			return err
		}
		return s.profileChanged(ctx, tx, u.ID)
	})
	if err != nil {
		return nil, s.internal(ctx, op, err)
	}
	return &v, nil
}

// SetChatPhoto makes file fileID the photo of a group or channel. It
// needs the change_info right, as the title does; members get a
// chat.update event and a photo_changed service message (photo_removed
// when RemoveChatPhoto removes one).
//
// Errors: CHAT_NOT_FOUND, NOT_MEMBER, USER_BANNED_IN_CHAT, RIGHT_FORBIDDEN,
// CHAT_KIND_INVALID (a private chat), FILE_NOT_FOUND, PHOTO_INVALID,
// PHOTO_TOO_LARGE, UNAVAILABLE.
func (s *Service) SetChatPhoto(ctx context.Context, a *Actor, chatID, fileID int64) (*ChatView, error) {
	// Check the right before the (costly) decoding, and again in the
	// writer.
	c, m, err := s.readable(ctx, s.store, a, chatID)
	if err != nil {
		return nil, s.internal(ctx, "chats.setPhoto", err)
	}
	if err := s.canChangePhoto(c, m); err != nil {
		return nil, err
	}
	pp, err := s.makePhoto(ctx, a, fileID)
	if err != nil {
		return nil, err
	}
	return s.setChatPhoto(ctx, a, chatID, "chats.setPhoto", pp)
}

// RemoveChatPhoto removes a chat's photo. Errors: those of SetChatPhoto
// but the file's.
func (s *Service) RemoveChatPhoto(ctx context.Context, a *Actor, chatID int64) (*ChatView, error) {
	return s.setChatPhoto(ctx, a, chatID, "chats.removePhoto", nil)
}

func (s *Service) canChangePhoto(c *haven.Chat, m *haven.Member) error {
	if c.Kind == haven.ChatPrivate {
		return haven.Errorf(haven.CodeChatKindInvalid, "a private chat has no photo of its own")
	}
	return can(c, m, ActChangeInfo, s.now())
}

func (s *Service) setChatPhoto(ctx context.Context, a *Actor, chatID int64, op string, pp *preparedPhoto) (*ChatView, error) {
	var out ChatView
	err := s.store.Update(ctx, func(tx Tx) error {
		c, m, err := s.membership(ctx, tx, a, chatID)
		if err != nil {
			return err
		}
		if err := s.canChangePhoto(c, m); err != nil {
			return err
		}
		if pp == nil && c.Photo == nil {
			out = chatView(c, m, a.UserID) // nothing to remove
			return nil
		}
		act := &haven.ServiceAction{Type: haven.ActionPhotoRemoved}
		c.Photo = nil
		if pp != nil {
			if c.Photo, err = pp.create(ctx, tx); err != nil {
				return err
			}
			act.Type = haven.ActionPhotoChanged
		}
		if err := tx.SetChatPhoto(ctx, c.ID, c.Photo); err != nil {
			return err
		}
		if _, err := s.chatEvent(ctx, tx, c, haven.EventChatUpdate, a.UserID, nil, nil); err != nil {
			return err
		}
		if _, err := s.service(ctx, tx, c, a.UserID, act); err != nil {
			return err
		}
		out = chatView(c, m, a.UserID)
		return nil
	})
	if err != nil {
		return nil, s.internal(ctx, op, err)
	}
	return &out, nil
}

// canReadPhoto reports whether a may see a photo fileID belongs to: a
// profile photo its owner's profile_photo setting shows a, or the photo
// of a chat a may read.
func (s *Service) canReadPhoto(ctx context.Context, a *Actor, fileID int64) (bool, error) {
	owners, err := s.store.PhotoOwners(ctx, fileID)
	if err != nil {
		return false, err
	}
	for _, o := range owners {
		if o.UserID != 0 {
			ok, err := s.photoVisible(ctx, s.store, a.UserID, o.UserID)
			if err != nil || ok {
				return ok, err
			}
			continue
		}
		_, _, err := s.readable(ctx, s.store, a, o.ChatID)
		if err == nil {
			return true, nil
		}
		if haven.ErrorCode(err) == haven.CodeInternal {
			return false, err
		}
	}
	return false, nil
}

// photoVisible reports whether viewer may see target's profile photo:
// they must be able to see target at all, and the profile_photo setting
// must let them in.
func (s *Service) photoVisible(ctx context.Context, q Queries, viewer, target int64) (bool, error) {
	r, err := s.relation(ctx, q, viewer, target)
	if err != nil {
		return false, err
	}
	if r.self {
		return true, nil
	}
	if ok, err := s.canSee(ctx, q, viewer, target); err != nil || !ok {
		return false, err
	}
	p, err := q.Privacy(ctx, target)
	if err != nil {
		return false, err
	}
	return r.allows(p.Get(haven.PrivacyProfilePhoto)), nil
}
