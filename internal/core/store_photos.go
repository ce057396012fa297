package core

import (
	"context"

	"github.com/havenchat/haven"
)

// PhotoOwner is a user or a chat (the other id 0) whose photo is made of
// a file.
type PhotoOwner struct {
	UserID int64
	ChatID int64
}

// PhotoTx are the writes of profile and chat photos.
type PhotoTx interface {
	// SetUserPhoto sets a user's profile photo (nil removes it) and
	// records its files as the user's photo files, forgetting the old
	// ones. Errors: haven.ErrNotFound.
	SetUserPhoto(ctx context.Context, userID int64, p *haven.Photo) error
	// SetChatPhoto does the same for a chat's photo.
	SetChatPhoto(ctx context.Context, chatID int64, p *haven.Photo) error
}

// PhotoQueries are the reads of profile and chat photos.
type PhotoQueries interface {
	// PhotoOwners lists the users and chats whose current photo is made
	// of fileID (the photo or one of its sizes).
	PhotoOwners(ctx context.Context, fileID int64) ([]PhotoOwner, error)
}
