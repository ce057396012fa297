package core

import (
	"bufio"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"io"
	"math"
	"time"

	"github.com/havenchat/haven"
)

// Decoding an image costs memory in proportion to its pixels, not to its
// file: a PNG of a few hundred KiB can hold 40 megapixels. So every
// decode first reserves, from one budget shared by all image work on the
// node (Config.ImageMemory), an upper bound of what it will allocate
// (imageCost), and gives it back when done. A caller waits for room up to
// Config.ImageWait and then gets FLOOD_WAIT; an image that costs more
// than the whole budget waits until it can take the whole budget, so it
// is still served, alone.

const (
	defaultImageMemory = 256 << 20
	defaultImageWait   = 15 * time.Second
	// imageOverhead covers what does not grow with the pixels: buffered
	// readers, decoder tables and state, row buffers and accumulators,
	// the inline preview's encodings.
	imageOverhead = 512 << 10
	// sizeBytesPerPixel is what each smaller copy costs a pixel: its RGBA
	// pixels (4) and the JPEG buffer it is encoded into (at most 4, as
	// the buffer grows by doubling).
	sizeBytesPerPixel = 8
	// jpegBlockBytes is the decoder's memory of one 8×8 block of a
	// progressive JPEG: 64 coefficients of 4 bytes.
	jpegBlockBytes = 256
)

// The image formats a photo may have; image.Decode may know others
// (registered by some dependency) that are not checked here.
var photoFormats = map[string]bool{"jpeg": true, "png": true, "gif": true}

// reserveImage takes cost bytes (at most the whole budget) from the image
// memory budget and returns the function that gives them back. It waits
// for room up to the configured time, then answers FLOOD_WAIT.
func (s *Service) reserveImage(ctx context.Context, cost int64) (release func(), err error) {
	n := min(max(cost, 1), s.imageMemory)
	wctx, cancel := context.WithTimeout(ctx, s.imageWait)
	defer cancel()
	if err := s.images.Acquire(wctx, n); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		secs := int(math.Ceil(s.imageWait.Seconds()))
		s.log.DebugContext(ctx, "image budget full", "cost", cost, "waited", s.imageWait)
		return nil, &haven.Error{
			Code:       haven.CodeFloodWait,
			Message:    "the server is busy with other images: retry later",
			RetryAfter: max(secs, 1),
		}
	}
	return func() { s.images.Release(n) }, nil
}

// imageCost is an upper bound of the bytes that decoding f (whose header
// is cfg, of format) and making its sizes and preview allocate, in all:
// the decoder's image and working memory, as image/png, image/jpeg and
// image/gif allocate them, plus each smaller copy and its encoding.
func (s *Service) imageCost(ctx context.Context, f *File, cfg image.Config, format string) (int64, error) {
	w, h := int64(cfg.Width), int64(cfg.Height)
	px := w * h
	var decode int64
	switch format {
	case "png":
		interlaced, err := s.pngInterlaced(ctx, f)
		if err != nil {
			return 0, err
		}
		decode = px * pngBytesPerPixel(cfg.ColorModel)
		if interlaced {
			// Each of the seven passes is decoded into an image of its
			// own before being merged into the whole.
			decode *= 2
		}
		decode += 7 * 2 * (8*w + 1) // two rows of 8 bytes a pixel, per pass
	case "gif":
		// The first frame, at most the screen, one byte a pixel; an
		// interlaced frame is copied once more to reorder its rows.
		decode = 2 * px
	default: // jpeg
		rc, err := s.blobs.OpenRange(ctx, f.BlobKey, 0, -1)
		if err != nil {
			return 0, s.internal(ctx, "media.image", err)
		}
		layout, ok := readJPEGLayout(rc)
		rc.Close()
		if !ok {
			// DecodeConfig read it, so this should not happen: assume
			// the worst a JPEG can cost (4 full planes, progressive).
			layout = jpegLayout{progressive: true, comps: []jpegComp{{1, 1}, {1, 1}, {1, 1}, {1, 1}}}
		}
		decode = layout.cost(w, h)
	}
	return decode + sizesCost(cfg.Width, cfg.Height) + imageOverhead, nil
}

// sizesCost is what the smaller copies of a w×h photo cost.
func sizesCost(w, h int) int64 {
	long := max(w, h)
	var n int64
	for _, ps := range photoSizes {
		if ps.side < long {
			dw, dh := scaledSize(w, h, ps.side)
			n += int64(dw) * int64(dh) * sizeBytesPerPixel
		}
	}
	dw, dh := scaledSize(w, h, previewSide)
	return n + int64(dw)*int64(dh)*sizeBytesPerPixel
}

// pngBytesPerPixel is the size of a pixel of the image image/png decodes
// into, by the color model its DecodeConfig reports.
func pngBytesPerPixel(m color.Model) int64 {
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	switch m {
	case color.GrayModel:
		return 1
	case color.Gray16Model:
		return 2
	case color.RGBAModel, color.NRGBAModel:
		return 4
	}
	return 8 // RGBA64, NRGBA64
}

// pngInterlaced reads the interlace method of a PNG's header (IHDR is the
// first chunk, its last byte at offset 28).
func (s *Service) pngInterlaced(ctx context.Context, f *File) (bool, error) {
	rc, err := s.blobs.OpenRange(ctx, f.BlobKey, 0, 29)
	if err != nil {
		return false, s.internal(ctx, "media.image", err)
	}
	defer rc.Close()
	var b [29]byte
	if _, err := io.ReadFull(rc, b[:]); err != nil {
		return true, nil // assume the dearer; the decoder will refuse it
	}
	return b[28] != 0, nil
}

// jpegComp is the sampling factors of one component of a JPEG.
type jpegComp struct{ h, v int }

// jpegLayout is what decides the memory image/jpeg decodes a JPEG with.
type jpegLayout struct {
	progressive bool
	comps       []jpegComp
}

// cost is an upper bound of what image/jpeg allocates to decode a w×h
// JPEG of this layout: a plane per component, padded to whole MCUs; for a
// progressive JPEG, the coefficients of every block; and for 3 or 4
// components, the RGBA or CMYK image it may convert to (whether it does
// depends on markers that may come after the first scan, so it is always
// counted).
func (l jpegLayout) cost(w, h int64) int64 {
	h0, v0 := int64(l.comps[0].h), int64(l.comps[0].v)
	mxx, myy := (w+8*h0-1)/(8*h0), (h+8*v0-1)/(8*v0)
	var n int64
	for _, c := range l.comps {
		blocks := mxx * myy * int64(c.h) * int64(c.v)
		n += blocks * 64
		if l.progressive {
			n += blocks * jpegBlockBytes
		}
	}
	if len(l.comps) >= 3 {
		n += 4 * w * h
	}
	return n
}

// readJPEGLayout reads a JPEG's markers up to its frame header (SOF0,
// SOF1 or SOF2, the ones image/jpeg decodes). ok is false if there is
// none before the first scan or the end.
func readJPEGLayout(r io.Reader) (jpegLayout, bool) {
	br := bufio.NewReader(r)
	var soi [2]byte
	if _, err := io.ReadFull(br, soi[:]); err != nil || soi != [2]byte{0xff, 0xd8} {
		return jpegLayout{}, false
	}
	for {
		// A marker is 0xff (maybe repeated) and a code; image/jpeg skips
		// junk before it, and so does this.
		c, err := br.ReadByte()
		for err == nil && c != 0xff {
			c, err = br.ReadByte()
		}
		for err == nil && c == 0xff {
			c, err = br.ReadByte()
		}
		if err != nil {
			return jpegLayout{}, false
		}
		switch {
		case c == 0x00 || c == 0x01 || c == 0xd8 || (c >= 0xd0 && c <= 0xd7):
			continue // no length follows
		case c == 0xd9 || c == 0xda: // EOI, SOS
			return jpegLayout{}, false
		}
		var lb [2]byte
		if _, err := io.ReadFull(br, lb[:]); err != nil {
			return jpegLayout{}, false
		}
		n := int(binary.BigEndian.Uint16(lb[:])) - 2
		if n < 0 {
			return jpegLayout{}, false
		}
		if c < 0xc0 || c > 0xc2 {
			if _, err := br.Discard(n); err != nil {
				return jpegLayout{}, false
			}
			continue
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil || n < 6 {
			return jpegLayout{}, false
		}
		nc := int(b[5])
		if (nc != 1 && nc != 3 && nc != 4) || n < 6+3*nc {
			return jpegLayout{}, false
		}
		l := jpegLayout{progressive: c == 0xc2}
		for i := 0; i < nc; i++ {
			hv := b[7+3*i]
			comp := jpegComp{int(hv >> 4), int(hv & 0x0f)}
			if nc == 1 {
				comp = jpegComp{1, 1} // one component: the MCU is one block
			}
			if comp.h < 1 || comp.h > 4 || comp.v < 1 || comp.v > 4 {
				return jpegLayout{}, false
			}
			l.comps = append(l.comps, comp)
		}
		return l, true
	}
}
