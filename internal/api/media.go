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
		ChatID int64 `json:"chat_id"`
		UserID int64 `json:"user_id"`
		mediaItem
		ReplyToID int64 `json:"reply_to_id"`
		Silent    bool  `json:"silent"`
	}
	sendAlbumParams struct {
		ChatID    int64       `json:"chat_id"`
		UserID    int64       `json:"user_id"`
		Items     []mediaItem `json:"items" required:"true"`
		ReplyToID int64       `json:"reply_to_id"`
		Silent    bool        `json:"silent"`
	}
)

// input is the core's input for the item, sent with replyToID and silent.
func (it *mediaItem) input(replyToID int64, silent bool) core.MediaInput {
	return core.MediaInput{
		Kind: it.Kind, FileID: it.FileID, Caption: it.Caption, Entities: it.Entities, Duration: it.Duration,
		Width: it.Width, Height: it.Height, ThumbFileID: it.ThumbFileID, RandomID: it.RandomID,
		ReplyToID: replyToID, Silent: silent,
	}
}

// mediaTable is the media-message part of the method table.
func (s *Server) mediaTable() []*method {
	co := s.core
	return []*method{
		def("messages.sendMedia", true, func(ctx context.Context, c *call, p *sendMediaParams) (any, error) {
			to, err := peer(p.ChatID, p.UserID)
			if err != nil {
				return nil, err
			}
			return co.SendMedia(ctx, c.actor, to, p.input(p.ReplyToID, p.Silent))
		}),
		def("messages.sendAlbum", true, func(ctx context.Context, c *call, p *sendAlbumParams) (any, error) {
			to, err := peer(p.ChatID, p.UserID)
			if err != nil {
				return nil, err
			}
			items := make([]core.MediaInput, len(p.Items))
			for i := range p.Items {
				items[i] = p.Items[i].input(p.ReplyToID, p.Silent)
			}
			return co.SendAlbum(ctx, c.actor, to, items)
		}),
	}
}
