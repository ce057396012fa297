package core

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"image"
	_ "image/gif" // photos may be GIF
	"image/jpeg"
	_ "image/png" // photos may be PNG
	"io"
	"math/rand/v2"
	"strings"

	"github.com/havenchat/haven"
)

// Media messages carry a file the sender uploaded (or may read). Photos
// are checked by decoding: the header first, so that an image bomb is
// refused before its pixels are, then the pixels, within the node's image
// memory budget (imagecost.go), from which the server makes smaller
// copies (each a file) and a tiny inline preview (imagescale.go).

const (
	previewSide      = 40   // the inline preview's longer side at most
	previewMaxBytes  = 1536 // the inline preview's size at most
	sizeJPEGQuality  = 85
	mediaDurationMax = 7 * 24 * 3600 // seconds
	albumMin         = 2
	albumMax         = 10
	oggTail          = 64 << 10 // bytes read from the end of a voice note for its last page
	opusRate         = 48000
)

// photoSizes are the copies made of a photo, by longer side.
var photoSizes = []struct {
	typ  string
	side int
}{{"s", 320}, {"m", 800}, {"x", 1280}}

// MediaInput is a new media message.
type MediaInput struct {
	Kind        string // haven.MediaPhoto ...
	FileID      int64
	Caption     string
	Entities    []haven.Entity
	Duration    int   // audio, video: seconds, as the client says
	Width       int   // video
	Height      int   // video
	ThumbFileID int64 // audio, video: an image
	RandomID    int64
	ReplyToID   int64
	Silent      bool
}

// pendingFile is a file made while preparing a message (a photo size),
// created in the writer with the message; set receives its id.
type pendingFile struct {
	file *File
	set  *int64
}

// checkCaption validates a caption: empty is allowed.
func (s *Service) checkCaption(text string, es []haven.Entity) (string, []haven.Entity, error) {
	if strings.TrimSpace(text) == "" {
		return "", nil, nil
	}
	if n := haven.UTF16Len(text); n > s.limits.CaptionMax {
		return "", nil, haven.Errorf(haven.CodeCaptionTooLong, "the caption has %d characters; the limit is %d", n, s.limits.CaptionMax)
	}
	return s.checkText(text, es, s.limits.CaptionMax)
}

// SendMedia posts a media message: a photo, document, voice note, video
// or audio file, with an optional caption. A retry with the same RandomID
// returns the first attempt's message.
//
// Errors: those of Send (but an empty caption is allowed), CAPTION_TOO_LONG,
// MEDIA_INVALID, FILE_NOT_FOUND, PHOTO_INVALID, PHOTO_TOO_LARGE,
// VOICE_INVALID, UNAVAILABLE.
func (s *Service) SendMedia(ctx context.Context, a *Actor, to Peer, in MediaInput) (*MessageView, error) {
	if in.RandomID == 0 {
		return nil, haven.Errorf(haven.CodeRandomIDInvalid, "random_id must be a non-zero number chosen by the client")
	}
	if s.blobs == nil {
		return nil, errNoBlobs()
	}
	if v, err := s.alreadySent(ctx, a, in.RandomID); v != nil || err != nil {
		return v, err
	}
	p, err := s.prepareMedia(ctx, a, in)
	if err != nil {
		return nil, err
	}
	return s.sendOne(ctx, a, to, p, "messages.sendMedia")
}

// SendAlbum posts 2 to 10 photos and videos together, in one write, as
// messages sharing an album id. Each item has its own RandomID; a retry
// answers the first attempt's messages.
//
// Errors: ALBUM_INVALID, and those of SendMedia.
func (s *Service) SendAlbum(ctx context.Context, a *Actor, to Peer, items []MediaInput) ([]MessageView, error) {
	if len(items) < albumMin || len(items) > albumMax {
		return nil, haven.Errorf(haven.CodeAlbumInvalid, "an album has %d to %d items", albumMin, albumMax)
	}
	ids := make([]int64, len(items)) // the random_ids
	seen := map[int64]bool{}
	for i, in := range items {
		if in.Kind != haven.MediaPhoto && in.Kind != haven.MediaVideo {
			return nil, haven.Errorf(haven.CodeAlbumInvalid, "an album holds only photos and videos")
		}
		if in.RandomID == 0 {
			return nil, haven.Errorf(haven.CodeRandomIDInvalid, "random_id must be a non-zero number chosen by the client")
		}
		if seen[in.RandomID] {
			return nil, haven.Errorf(haven.CodeAlbumInvalid, "each item needs its own random_id")
		}
		seen[in.RandomID] = true
		ids[i] = in.RandomID
	}
	if s.blobs == nil {
		return nil, errNoBlobs()
	}
	if v, err := s.alreadySent(ctx, a, items[0].RandomID); v != nil || err != nil {
		if err != nil {
			return nil, err
		}
		return s.sentMessages(ctx, a, ids)
	}
	albumID := rand.Int64N(haven.MaxID-1) + 1 // an id: exact in JavaScript
	ps := make([]*prepared, len(items))
	for i, in := range items {
		p, err := s.prepareMedia(ctx, a, in)
		if err != nil {
			return nil, err
		}
		p.msg.Media.AlbumID = albumID
		ps[i] = p
	}
	return s.sendPrepared(ctx, a, to, ps, "messages.sendMedia")
}

// prepareMedia checks an input and makes its message (and, for a photo,
// its sizes), outside the writer.
func (s *Service) prepareMedia(ctx context.Context, a *Actor, in MediaInput) (*prepared, error) {
	caption, entities, err := s.checkCaption(in.Caption, in.Entities)
	if err != nil {
		return nil, err
	}
	f, err := s.readableFile(ctx, a, in.FileID)
	if err != nil {
		return nil, err
	}
	md := &haven.Media{Kind: in.Kind, FileID: f.ID, Name: f.Name, MIME: f.MIME, Size: f.Size}
	p := &prepared{
		msg:      &haven.Message{SenderID: a.UserID, Text: caption, Entities: entities, ReplyToID: in.ReplyToID, Silent: in.Silent, Media: md},
		randomID: in.RandomID,
	}
	switch in.Kind {
	case haven.MediaPhoto:
		if err := s.preparePhoto(ctx, a, f, p); err != nil {
			return nil, err
		}
	case haven.MediaDocument:
	case haven.MediaVoice:
		d, err := s.voiceDuration(ctx, f)
		if err != nil {
			return nil, err
		}
		md.Duration = d
	case haven.MediaAudio, haven.MediaVideo:
		if in.Duration < 0 || in.Duration > mediaDurationMax {
			return nil, haven.Errorf(haven.CodeMediaInvalid, "duration must be 0 to %d seconds", mediaDurationMax)
		}
		md.Duration = in.Duration
		if in.Kind == haven.MediaVideo {
			if in.Width < 0 || in.Height < 0 || in.Width > s.limits.PhotoMaxSide || in.Height > s.limits.PhotoMaxSide {
				return nil, haven.Errorf(haven.CodeMediaInvalid, "width and height must be 0 to %d", s.limits.PhotoMaxSide)
			}
			md.Width, md.Height = in.Width, in.Height
		}
		if in.ThumbFileID != 0 {
			tf, err := s.readableFile(ctx, a, in.ThumbFileID)
			if err != nil {
				return nil, err
			}
			cfg, _, err := s.imageConfig(ctx, tf)
			if err != nil {
				return nil, err
			}
			md.Thumb = &haven.PhotoSize{Type: "t", FileID: tf.ID, W: cfg.Width, H: cfg.Height}
		}
	default:
		return nil, haven.Errorf(haven.CodeMediaInvalid, "kind must be photo, document, voice, video or audio")
	}
	return p, nil
}

// imageConfig reads an image's header and refuses what is not a JPEG,
// PNG or GIF image or is too large, without decoding the pixels. It
// returns the header and the format.
func (s *Service) imageConfig(ctx context.Context, f *File) (image.Config, string, error) {
	rc, err := s.blobs.OpenRange(ctx, f.BlobKey, 0, -1)
	if err != nil {
		return image.Config{}, "", s.internal(ctx, "media.image", err)
	}
	defer rc.Close()
	cfg, format, err := image.DecodeConfig(bufio.NewReader(rc))
	if err != nil || !photoFormats[format] {
		return cfg, "", haven.Errorf(haven.CodePhotoInvalid, "file %d is not a JPEG, PNG or GIF image", f.ID)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return cfg, "", haven.Errorf(haven.CodePhotoInvalid, "file %d has no pixels", f.ID)
	}
	maxSide, maxPixels := s.limits.PhotoMaxSide, s.limits.PhotoMaxPixels
	if cfg.Width > maxSide || cfg.Height > maxSide || int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return cfg, "", haven.Errorf(haven.CodePhotoTooLarge, "an image has at most %d pixels a side and %d in all", maxSide, maxPixels)
	}
	return cfg, format, nil
}

// preparePhoto decodes a photo and makes its sizes and inline preview,
// within the image memory budget (reserveImage).
func (s *Service) preparePhoto(ctx context.Context, a *Actor, f *File, p *prepared) error {
	cfg, format, err := s.imageConfig(ctx, f)
	if err != nil {
		return err
	}
	cost, err := s.imageCost(ctx, f, cfg, format)
	if err != nil {
		return err
	}
	release, err := s.reserveImage(ctx, cost)
	if err != nil {
		return err
	}
	defer release()
	rc, err := s.blobs.OpenRange(ctx, f.BlobKey, 0, -1)
	if err != nil {
		return s.internal(ctx, "media.photo", err)
	}
	img, _, err := image.Decode(bufio.NewReader(rc))
	rc.Close()
	if err != nil {
		return haven.Errorf(haven.CodePhotoInvalid, "file %d is not a readable image", f.ID)
	}
	md := p.msg.Media
	md.Width, md.Height = cfg.Width, cfg.Height
	long := max(cfg.Width, cfg.Height)
	var sides []int
	var types []string
	for _, ps := range photoSizes {
		if ps.side < long {
			sides = append(sides, ps.side)
			types = append(types, ps.typ)
		}
	}
	scaled := downscaleAll(img, append(sides, previewSide))
	img = nil // the decoded pixels may go while the copies are encoded
	for i, small := range scaled[:len(sides)] {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, small, &jpeg.Options{Quality: sizeJPEGQuality}); err != nil {
			return s.internal(ctx, "media.photo", err)
		}
		scaled[i] = nil
		sum := sha256.Sum256(buf.Bytes())
		key, err := s.blobs.Put(ctx, bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			return s.internal(ctx, "media.photo", err)
		}
		b := small.Bounds()
		md.Sizes = append(md.Sizes, haven.PhotoSize{Type: types[i], W: b.Dx(), H: b.Dy()})
		name := strings.TrimSuffix(f.Name, pathExt(f.Name)) + "_" + types[i] + ".jpg"
		p.files = append(p.files, pendingFile{file: &File{
			BlobKey: key, Size: int64(buf.Len()), Name: cleanFileName(name), MIME: "image/jpeg",
			SHA256: hex.EncodeToString(sum[:]), UploaderID: a.UserID, CreatedAt: s.now(),
		}})
	}
	for i := range p.files {
		p.files[i].set = &md.Sizes[i].FileID
	}
	prev := scaled[len(sides)]
	for q := 30; q >= 5; q -= 5 {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, prev, &jpeg.Options{Quality: q}); err != nil {
			return s.internal(ctx, "media.photo", err)
		}
		if buf.Len() <= previewMaxBytes {
			md.Preview = buf.Bytes()
			break
		}
	}
	return nil
}

func pathExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return name[i:]
	}
	return ""
}

// voiceDuration reads an Ogg/Opus voice note's length in whole seconds:
// the last page's granule position, less the pre-skip, at 48 kHz.
func (s *Service) voiceDuration(ctx context.Context, f *File) (int, error) {
	bad := haven.Errorf(haven.CodeVoiceInvalid, "a voice note must be Ogg/Opus")
	rc, err := s.blobs.OpenRange(ctx, f.BlobKey, 0, min(f.Size, oggTail))
	if err != nil {
		return 0, s.internal(ctx, "media.voice", err)
	}
	head, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return 0, s.internal(ctx, "media.voice", err)
	}
	payload, ok := oggFirstPayload(head)
	if !ok || len(payload) < 19 || string(payload[:8]) != "OpusHead" {
		return 0, bad
	}
	preSkip := int64(binary.LittleEndian.Uint16(payload[10:12]))
	tail := head
	if f.Size > oggTail {
		rc, err := s.blobs.OpenRange(ctx, f.BlobKey, f.Size-oggTail, oggTail)
		if err != nil {
			return 0, s.internal(ctx, "media.voice", err)
		}
		tail, err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return 0, s.internal(ctx, "media.voice", err)
		}
	}
	g, ok := oggLastGranule(tail)
	if !ok || g < preSkip {
		return 0, bad
	}
	return int((g - preSkip + opusRate/2) / opusRate), nil
}

// oggFirstPayload returns the payload of the Ogg page at the start of b.
func oggFirstPayload(b []byte) ([]byte, bool) {
	if len(b) < 27 || string(b[:4]) != "OggS" || b[4] != 0 {
		return nil, false
	}
	nseg := int(b[26])
	if len(b) < 27+nseg {
		return nil, false
	}
	n := 0
	for _, l := range b[27 : 27+nseg] {
		n += int(l)
	}
	start := 27 + nseg
	if len(b) < start+n {
		return nil, false
	}
	return b[start : start+n], true
}

// oggLastGranule finds the granule position of the last page in b that
// ends a packet (granule not -1).
func oggLastGranule(b []byte) (int64, bool) {
	for i := len(b) - 27; i >= 0; i-- {
		if b[i] != 'O' || string(b[i:i+4]) != "OggS" || b[i+4] != 0 {
			continue
		}
		g := int64(binary.LittleEndian.Uint64(b[i+6 : i+14]))
		if g >= 0 {
			return g, true
		}
	}
	return 0, false
}
