package api

import "github.com/havenchat/haven/internal/core"

// The wire views of uploads and files.

// uploadJSON is the wire view of core.UploadView.
type uploadJSON struct {
	UploadID  int64 `json:"upload_id"`
	Size      int64 `json:"size"`
	PartSize  int64 `json:"part_size"`
	Parts     int   `json:"parts"`
	ExpiresAt int64 `json:"expires_at"` // unix seconds
}

// uploadStatusJSON is the wire view of core.UploadStatusView.
type uploadStatusJSON struct {
	uploadJSON
	Received []int `json:"received"` // part numbers, ascending
}

// fileJSON is the wire view of core.FileView.
type fileJSON struct {
	ID     int64  `json:"id"`
	Size   int64  `json:"size"`
	Name   string `json:"name"`
	MIME   string `json:"mime"`
	SHA256 string `json:"sha256"`
}

// fileURLJSON is the wire view of core.FileURLView.
type fileURLJSON struct {
	URL       string `json:"url"`
	ExpiresAt int64  `json:"expires_at"` // unix seconds
}

func uploadStatusOut(v *core.UploadStatusView) uploadStatusJSON {
	return uploadStatusJSON{uploadJSON: uploadJSON(v.UploadView), Received: v.Received}
}
