package core

import (
	"context"

	"github.com/havenchat/haven"
)

// RemoteOnline reports whether this node knows a person to be online on
// another node.
func (s *Service) RemoteOnline(userID int64) bool {
	p := s.presence
	now := s.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.remoteOnlineLocked(userID, now)
}

// PhotoCost is what making a photo of file fileID reserves from the
// image memory budget (or would, were the budget larger).
func (s *Service) PhotoCost(ctx context.Context, a *Actor, fileID int64) (int64, error) {
	f, err := s.readableFile(ctx, a, fileID)
	if err != nil {
		return 0, err
	}
	cfg, format, err := s.imageConfig(ctx, f)
	if err != nil {
		return 0, err
	}
	return s.imageCost(ctx, f, cfg, format)
}

// MakePhoto makes a photo of file fileID as a photo message or profile
// photo would (decoding it, making its sizes' blobs and preview) and
// returns it, storing no row.
func (s *Service) MakePhoto(ctx context.Context, a *Actor, fileID int64) (*haven.Media, error) {
	pp, err := s.makePhoto(ctx, a, fileID)
	if err != nil {
		return nil, err
	}
	return pp.p.msg.Media, nil
}

// ReserveImage takes cost bytes from the image memory budget.
func (s *Service) ReserveImage(ctx context.Context, cost int64) (release func(), err error) {
	return s.reserveImage(ctx, cost)
}
