package haven

// Media is the file a media message carries, with what the server knows
// of it. Preview, on photos, is a tiny JPEG that travels inside the
// message (base64 in JSON) so a client shows something at once.
type Media struct {
	Kind     string      `json:"kind"` // see the Media constants
	FileID   int64       `json:"file_id"`
	Name     string      `json:"name,omitempty"`
	MIME     string      `json:"mime,omitempty"`
	Size     int64       `json:"size"`
	Width    int         `json:"width,omitempty"`    // photo, video
	Height   int         `json:"height,omitempty"`   // photo, video
	Duration int         `json:"duration,omitempty"` // seconds: voice, audio, video
	Preview  []byte      `json:"preview,omitempty"`  // photo: inline JPEG
	Sizes    []PhotoSize `json:"sizes,omitempty"`    // photo: smaller copies
	Thumb    *PhotoSize  `json:"thumb,omitempty"`    // audio, video: a thumbnail the client gave
	AlbumID  int64       `json:"album_id,omitempty"` // messages sent together share it
}

// PhotoSize is one downscaled copy of a photo, a file of its own.
type PhotoSize struct {
	Type   string `json:"type"` // "s", "m", "x"; "t" for a thumbnail
	FileID int64  `json:"file_id"`
	W      int    `json:"w"`
	H      int    `json:"h"`
}

// The media kinds.
const (
	MediaPhoto    = "photo"
	MediaDocument = "document"
	MediaVoice    = "voice"
	MediaVideo    = "video"
	MediaAudio    = "audio"
)

// FileIDs lists every file m refers to: the file, its sizes and thumbnail.
func (m *Media) FileIDs() []int64 {
	if m == nil {
		return nil
	}
	ids := []int64{m.FileID}
	for _, s := range m.Sizes {
		ids = append(ids, s.FileID)
	}
	if m.Thumb != nil {
		ids = append(ids, m.Thumb.FileID)
	}
	return ids
}
