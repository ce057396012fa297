package haven

// Photo is a profile or chat photo: the file set as the photo, the
// smaller copies the server made of it, and a tiny inline JPEG preview
// (base64 in JSON), made as for a photo message.
type Photo struct {
	FileID  int64       `json:"file_id"`
	Width   int         `json:"width"`
	Height  int         `json:"height"`
	Sizes   []PhotoSize `json:"sizes,omitempty"`
	Preview []byte      `json:"preview,omitempty"`
}

// FileIDs lists every file p refers to: the photo and its sizes.
func (p *Photo) FileIDs() []int64 {
	if p == nil {
		return nil
	}
	ids := []int64{p.FileID}
	for _, s := range p.Sizes {
		ids = append(ids, s.FileID)
	}
	return ids
}
