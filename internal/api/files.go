package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// putPartMethod names the HTTP upload of a part in metrics and flood
// control; it is not in the method table (its body is bytes, not JSON).
const putPartMethod = "files.putPart"

// Parameter structs of files.
type (
	startUploadParams struct {
		Size     int64  `json:"size" required:"true"`
		PartSize int64  `json:"part_size"`
		Name     string `json:"name"`
	}
	uploadParams struct {
		UploadID int64 `json:"upload_id" required:"true"`
	}
	finishUploadParams struct {
		UploadID int64  `json:"upload_id" required:"true"`
		Parts    int    `json:"parts" required:"true"`
		SHA256   string `json:"sha256" required:"true"`
	}
	fileParams struct {
		FileID int64 `json:"file_id" required:"true"`
	}
)

// fileTable is the files part of the method table. The bytes of a part
// travel by HTTP PUT (servePart), never in a JSON body.
func (s *Server) fileTable() []*method {
	co := s.core
	return []*method{
		def("files.startUpload", true, func(ctx context.Context, c *call, p *startUploadParams) (any, error) {
			return co.StartUpload(ctx, c.actor, p.Size, p.PartSize, p.Name)
		}),
		def("files.uploadStatus", true, func(ctx context.Context, c *call, p *uploadParams) (any, error) {
			return co.UploadStatus(ctx, c.actor, p.UploadID)
		}),
		def("files.finishUpload", true, func(ctx context.Context, c *call, p *finishUploadParams) (any, error) {
			return co.FinishUpload(ctx, c.actor, p.UploadID, p.Parts, p.SHA256)
		}),
		def("files.getURL", true, func(ctx context.Context, c *call, p *fileParams) (any, error) {
			return co.FileURL(ctx, c.actor, p.FileID)
		}),
	}
}

// writeError answers err in the envelope and counts it under the
// metric name.
func (s *Server) writeError(w http.ResponseWriter, name string, err error, start time.Time) {
	s.metrics.observe(name, writeError(w, err), time.Since(start))
}

// servePart is PUT /api/files/{upload_id}/{part}: the body is the part's
// bytes, streamed to blob storage.
func (s *Server) servePart(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	err := s.putPart(w, r)
	if err != nil {
		s.writeError(w, putPartMethod, err, start)
		return
	}
	writeJSON(w, http.StatusOK, envelope{OK: true, Result: true})
	s.metrics.observe(putPartMethod, "OK", time.Since(start))
}

func (s *Server) putPart(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	token := bearer(r)
	if token == "" {
		return haven.Errorf(haven.CodeAuthRequired, "uploading a part needs a signed-in session")
	}
	a, err := s.core.Authenticate(ctx, token, s.clientIP(r))
	if err != nil {
		return err
	}
	if s.flood != nil {
		if ok, wait := s.flood.Allow(putPartMethod, "u:"+strconv.FormatInt(a.UserID, 10)); !ok {
			return haven.FloodWait(int(wait.Seconds() + 0.999))
		}
	}
	uploadID, err1 := strconv.ParseInt(r.PathValue("upload_id"), 10, 64)
	part, err2 := strconv.Atoi(r.PathValue("part"))
	if err1 != nil || err2 != nil || uploadID <= 0 {
		return haven.Errorf(haven.CodeParamInvalid, "the path must be /api/files/UPLOAD_ID/PART")
	}
	limit := s.core.Limits().FilePartMax
	if r.ContentLength > limit {
		return haven.Errorf(haven.CodeFilePartTooBig, "a part has at most %d bytes", limit)
	}
	// A part may take its time on a slow link, but not less than the
	// minimum rate: a client trickling bytes to hold the connection is cut.
	clock := newBodyClock(w, r, s.conns.BodyTimeout, s.conns.PartMinRate)
	body, n := io.Reader(clock), r.ContentLength
	if n < 0 {
		// No Content-Length: read at most one byte past the limit.
		b, err := io.ReadAll(io.LimitReader(clock, limit+1))
		if clock.late {
			return clock.err()
		}
		if err != nil {
			return haven.Errorf(haven.CodeFilePartSizeInvalid, "the part could not be read")
		}
		if int64(len(b)) > limit {
			return haven.Errorf(haven.CodeFilePartTooBig, "a part has at most %d bytes", limit)
		}
		body, n = bytes.NewReader(b), int64(len(b))
	}
	err = s.core.PutPart(ctx, a, uploadID, part, body, n)
	if clock.late {
		// Whatever the blob store made of the failed read.
		return clock.err()
	}
	return err
}

// serveFile is GET /files/{id}: a file's bytes, authorized by a signed
// URL (exp and sig) or a bearer token of a session that may read it.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	const name = "files.download"
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.writeError(w, name, haven.Errorf(haven.CodeFileNotFound, "there is no such file"), start)
		return
	}
	q := r.URL.Query()
	exp, sig := q.Get("exp"), q.Get("sig")
	var a *core.Actor
	if exp == "" && sig == "" {
		if token := bearer(r); token != "" {
			if a, err = s.core.Authenticate(ctx, token, s.clientIP(r)); err != nil {
				s.writeError(w, name, err, start)
				return
			}
		}
	}
	f, rs, err := s.core.OpenFile(ctx, a, id, exp, sig)
	if err != nil {
		s.writeError(w, name, err, start)
		return
	}
	defer rs.Close()
	h := w.Header()
	h.Set("Content-Type", f.MIME)
	h.Set("ETag", `"`+f.SHA256+`"`)
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", contentDisposition(f.MIME, f.Name))
	http.ServeContent(w, r, "", f.CreatedAt, rs)
	s.metrics.observe(name, "OK", time.Since(start))
}

// contentDisposition shows images inline and offers anything else as a
// download, naming it in ASCII and in UTF-8 (RFC 6266, RFC 8187).
func contentDisposition(mime, name string) string {
	kind := "attachment"
	if strings.HasPrefix(mime, "image/") {
		kind = "inline"
	}
	var ascii, ext strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r >= 0x7f || r == '"' || r == '\\':
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
	}
	for _, b := range []byte(name) {
		if b < 0x80 && (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0) {
			ext.WriteByte(b)
		} else {
			ext.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(b)|0x100, 16)[1:]))
		}
	}
	return kind + `; filename="` + ascii.String() + `"; filename*=UTF-8''` + ext.String()
}
