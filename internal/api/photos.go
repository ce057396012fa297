package api

import (
	"context"
)

// setChatPhotoParams are chats.setPhoto's; account.setPhoto takes
// fileParams.
type setChatPhotoParams struct {
	ChatID int64 `json:"chat_id" required:"true"`
	FileID int64 `json:"file_id" required:"true"`
}

// photoTable is the profile- and chat-photo part of the method table.
func (s *Server) photoTable() []*method {
	co := s.core
	return []*method{
		def("account.setPhoto", true, func(ctx context.Context, c *call, p *fileParams) (any, error) {
			return co.SetProfilePhoto(ctx, c.actor, p.FileID)
		}),
		def("account.removePhoto", true, func(ctx context.Context, c *call, _ *none) (any, error) {
			return co.RemoveProfilePhoto(ctx, c.actor)
		}),
		def("chats.setPhoto", true, func(ctx context.Context, c *call, p *setChatPhotoParams) (any, error) {
			return co.SetChatPhoto(ctx, c.actor, p.ChatID, p.FileID)
		}),
		def("chats.removePhoto", true, func(ctx context.Context, c *call, p *chatParams) (any, error) {
			return co.RemoveChatPhoto(ctx, c.actor, p.ChatID)
		}),
	}
}
