package core

import (
	"encoding/binary"
	"image"
	"image/color"
	"testing"
)

func TestDownscaleAverages(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 2000, 1500))
	for y := 0; y < 1500; y++ {
		for x := 0; x < 2000; x++ {
			v := uint8(0)
			if (x+y)%2 == 0 {
				v = 200
			}
			src.SetRGBA(x, y, color.RGBA{v, v, v, 255})
		}
	}
	for _, tc := range []struct{ side, w, h int }{{320, 320, 240}, {40, 40, 30}, {5000, 2000, 1500}} {
		d := downscale(src, tc.side)
		if d.Rect.Dx() != tc.w || d.Rect.Dy() != tc.h {
			t.Errorf("downscale to %d: %v, want %d×%d", tc.side, d.Rect, tc.w, tc.h)
		}
		if tc.side < 2000 {
			if c := d.RGBAAt(tc.w/2, tc.h/2); c.R < 95 || c.R > 105 || c.A != 255 {
				t.Errorf("downscale to %d: a checkerboard averages to %v, want grey 100", tc.side, c)
			}
		}
	}
	tall := downscale(image.NewRGBA(image.Rect(0, 0, 10, 3000)), 800)
	if tall.Rect.Dx() != 3 || tall.Rect.Dy() != 800 {
		t.Errorf("a tall image: %v, want 3×800", tall.Rect)
	}
}

func TestOggPages(t *testing.T) {
	page := func(granule int64, payload string) []byte {
		h := make([]byte, 27)
		copy(h, "OggS")
		binary.LittleEndian.PutUint64(h[6:], uint64(granule))
		h[26] = 1
		return append(append(h, byte(len(payload))), payload...)
	}
	var b []byte
	b = append(b, page(0, "OpusHead\x01\x01\x38\x01")...)
	b = append(b, page(96000, "audio")...)
	b = append(b, page(-1, "continued packet")...)
	p, ok := oggFirstPayload(b)
	if !ok || string(p[:8]) != "OpusHead" || binary.LittleEndian.Uint16(p[10:]) != 312 {
		t.Errorf("first payload = %q, %v", p, ok)
	}
	if g, ok := oggLastGranule(b); !ok || g != 96000 {
		t.Errorf("last granule = %d, %v; want 96000 (a page ending no packet is skipped)", g, ok)
	}
	if _, ok := oggFirstPayload([]byte("RIFF....WAVE")); ok {
		t.Error("a WAV header passed as Ogg")
	}
	if _, ok := oggLastGranule([]byte("no pages here at all, just text that is long enough")); ok {
		t.Error("a granule found in text")
	}
}
