package core

import (
	"encoding/binary"
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"testing"
)

// downscale is downscaleAll with one side.
func downscale(img image.Image, side int) *image.RGBA {
	return downscaleAll(img, []int{side})[0]
}

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

// TestDownscaleMatchesDraw: shrinking each decoder's own image type
// straight gives, byte for byte, what converting it to RGBA with
// draw.Draw first (as Haven did before) and shrinking that gives, for
// every size a photo is made in, and for a source offset from the origin.
func TestDownscaleMatchesDraw(t *testing.T) {
	const w, h = 333, 250
	rnd := rand.New(rand.NewPCG(1, 2))
	byte8 := func() uint8 { return uint8(rnd.UintN(256)) }
	r := image.Rect(0, 0, w, h)
	imgs := map[string]image.Image{}

	rgba := image.NewRGBA(r)
	nrgba := image.NewNRGBA(r)
	gray := image.NewGray(r)
	gray16 := image.NewGray16(r)
	cmyk := image.NewCMYK(r)
	nrgba64 := image.NewNRGBA64(r)
	pal := image.NewPaletted(r, color.Palette{color.Black, color.White, color.NRGBA{200, 30, 60, 128}, color.Transparent})
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			a := byte8()
			rgba.SetRGBA(x, y, color.RGBA{byte8() & a, byte8() & a, byte8() & a, a})
			nrgba.SetNRGBA(x, y, color.NRGBA{byte8(), byte8(), byte8(), byte8()})
			gray.SetGray(x, y, color.Gray{byte8()})
			gray16.SetGray16(x, y, color.Gray16{uint16(rnd.UintN(1 << 16))})
			cmyk.SetCMYK(x, y, color.CMYK{byte8(), byte8(), byte8(), byte8()})
			nrgba64.SetNRGBA64(x, y, color.NRGBA64{uint16(rnd.UintN(1 << 16)), 7, 40000, uint16(rnd.UintN(1 << 16))})
			pal.SetColorIndex(x, y, uint8(rnd.UintN(4)))
		}
	}
	imgs["RGBA"], imgs["NRGBA"], imgs["Gray"], imgs["Gray16"] = rgba, nrgba, gray, gray16
	imgs["CMYK"], imgs["NRGBA64"], imgs["Paletted"] = cmyk, nrgba64, pal
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410} {
		m := image.NewYCbCr(r, ratio)
		for i := range m.Y {
			m.Y[i] = byte8()
		}
		for i := range m.Cb {
			m.Cb[i], m.Cr[i] = byte8(), byte8()
		}
		imgs["YCbCr"+ratio.String()] = m
	}
	// A sub-image: bounds that do not start at 0,0.
	imgs["NRGBA sub-image"] = nrgba.SubImage(image.Rect(17, 9, 300, 240))
	imgs["YCbCr sub-image"] = imgs["YCbCrYCbCrSubsampleRatio420"].(*image.YCbCr).SubImage(image.Rect(3, 5, 300, 211))

	sides := []int{320, 200, 100, previewSide, 1000}
	for name, img := range imgs {
		got := downscaleAll(img, sides)
		ref := toRGBA(img)
		for i, side := range sides {
			want := refDownscale(ref, side)
			if got[i].Rect != want.Rect || string(got[i].Pix) != string(want.Pix) {
				t.Errorf("%s to %d: %v differs from the draw.Draw way (%v)", name, side, got[i].Rect, want.Rect)
			}
		}
	}
}

// toRGBA and refDownscale are how photos were shrunk before: a full-size
// RGBA copy made with draw.Draw, then averaged.
func toRGBA(img image.Image) *image.RGBA {
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	return dst
}

func refDownscale(src *image.RGBA, side int) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	if max(sw, sh) <= side {
		return src
	}
	dw, dh := side, side
	if sw >= sh {
		dh = max(1, (sh*side+sw/2)/sw)
	} else {
		dw = max(1, (sw*side+sh/2)/sh)
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		y0, y1 := y*sh/dh, (y+1)*sh/dh
		for x := 0; x < dw; x++ {
			x0, x1 := x*sw/dw, (x+1)*sw/dw
			var r, g, b, al, n uint64
			for yy := y0; yy < y1; yy++ {
				row := src.Pix[yy*src.Stride+x0*4 : yy*src.Stride+x1*4]
				for i := 0; i < len(row); i += 4 {
					r += uint64(row[i])
					g += uint64(row[i+1])
					b += uint64(row[i+2])
					al += uint64(row[i+3])
					n++
				}
			}
			o := y*dst.Stride + x*4
			dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2], dst.Pix[o+3] = uint8(r/n), uint8(g/n), uint8(b/n), uint8(al/n)
		}
	}
	return dst
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
