package api

import (
	"context"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// Parameter structs of media messages.
type (
	mediaItem struct {
		Kind        string         `json:"kind" required:"true"`
		FileID      int64          `json:"file_id" required:"true"`
		Caption     string         `json:"caption"`
		Entities    []haven.Entity `json:"entities"`
		Duration    int            `json:"duration"`
		Width       int            `json:"width"`
		Height      int            `json:"height"`
		ThumbFileID int64          `json:"thumb_file_id"`
		RandomID    int64          `json:"random_id" required:"true"`
	}
	sendMediaParams struct {
		ChatID      int64          `json:"chat_id"`
		UserID      int64          `json:"user_id"`
		Kind        string         `json:"kind" required:"true"`
		FileID      int64          `json:"file_id" required:"true"`
		Caption     string         `json:"caption"`
		Entities    []haven.Entity `json:"entities"`
		Duration    int            `json:"duration"`
		Width       int            `json:"width"`
		Height      int            `json:"height"`
		ThumbFileID int64          `json:"thumb_file_id"`
		ReplyToID   int64          `json:"reply_to_id"`
		Silent      bool           `json:"silent"`
		RandomID    int64          `json:"random_id" required:"true"`
	}
	sendAlbumParams struct {
		ChatID    int64       `json:"chat_id"`
		UserID    int64       `json:"user_id"`
		Items     []mediaItem `json:"items" required:"true"`
		ReplyToID int64       `json:"reply_to_id"`
		Silent    bool        `json:"silent"`
	}
)

// mediaTable is the media-message part of the method table.
func (s *Server) mediaTable() []*method {
	co := s.core
	return []*method{
		def("messages.sendMedia", true, func(ctx context.Context, c *call, p *sendMediaParams) (any, error) {
			to, err := peer(p.ChatID, p.UserID)
			if err != nil {
				return nil, err
			}
			return co.SendMedia(ctx, c.actor, to, core.MediaInput{
				Kind: p.Kind, FileID: p.FileID, Caption: p.Caption, Entities: p.Entities, Duration: p.Duration,
				Width: p.Width, Height: p.Height, ThumbFileID: p.ThumbFileID, RandomID: p.RandomID,
				ReplyToID: p.ReplyToID, Silent: p.Silent,
			})
		}),
		def("messages.sendAlbum", true, func(ctx context.Context, c *call, p *sendAlbumParams) (any, error) {
			to, err := peer(p.ChatID, p.UserID)
			if err != nil {
				return nil, err
			}
			items := make([]core.MediaInput, len(p.Items))
			for i, it := range p.Items {
				items[i] = core.MediaInput{
					Kind: it.Kind, FileID: it.FileID, Caption: it.Caption, Entities: it.Entities, Duration: it.Duration,
					Width: it.Width, Height: it.Height, ThumbFileID: it.ThumbFileID, RandomID: it.RandomID,
					ReplyToID: p.ReplyToID, Silent: p.Silent,
				}
			}
			return co.SendAlbum(ctx, c.actor, to, items)
		}),
	}
}
