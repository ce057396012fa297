package core

import (
	"image"
	"image/color"
)

// The smaller copies of a photo are made straight from the image the
// decoder returns, whatever its type, in one pass over its rows: a
// full-size RGBA copy (4 bytes a pixel, as much again as a PNG's pixels
// and more than twice a JPEG's) is never made. Each copy averages the
// source pixels each of its pixels covers, in the alpha-premultiplied
// RGBA that draw.Draw would have converted the source to, so the result
// is the same as converting first and shrinking after.

// scaledSize is the size of a w×h image shrunk so that its longer side
// is at most side (unchanged if it already is).
func scaledSize(w, h, side int) (int, int) {
	if max(w, h) <= side {
		return w, h
	}
	if w >= h {
		return side, max(1, (h*side+w/2)/w)
	}
	return max(1, (w*side+h/2)/h), side
}

// downscaleAll makes one copy of img per side, each shrunk so that its
// longer side is at most that side (a copy of an image already small
// enough has its size), reading img once.
func downscaleAll(img image.Image, sides []int) []*image.RGBA {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	ts := make([]*scaleTarget, len(sides))
	out := make([]*image.RGBA, len(sides))
	for i, side := range sides {
		ts[i] = newScaleTarget(sw, sh, side)
		out[i] = ts[i].dst
	}
	row := rowsOf(img)
	buf := make([]byte, 4*sw)
	for y := 0; y < sh; y++ {
		px := row(y, buf)
		for _, t := range ts {
			t.add(y, px)
		}
	}
	return out
}

// scaleTarget is one copy being made: the source columns and rows each
// of its pixels covers, and the sums of the band of rows being read.
type scaleTarget struct {
	dst *image.RGBA
	xs  []int    // destination column x covers source columns xs[x] to xs[x+1]-1
	ys  []int    // likewise for rows
	y   int      // the destination row being summed
	acc []uint64 // its sums, 4 a pixel
}

func newScaleTarget(sw, sh, side int) *scaleTarget {
	dw, dh := scaledSize(sw, sh, side)
	t := &scaleTarget{dst: image.NewRGBA(image.Rect(0, 0, dw, dh)), xs: make([]int, dw+1), ys: make([]int, dh+1), acc: make([]uint64, 4*dw)}
	// dw <= sw and dh <= sh, so every band has at least one column or row.
	for x := range t.xs {
		t.xs[x] = x * sw / dw
	}
	for y := range t.ys {
		t.ys[y] = y * sh / dh
	}
	return t
}

// add sums source row sy (px, 4 bytes a pixel) into the row being made,
// and writes that row out once its band is complete.
func (t *scaleTarget) add(sy int, px []byte) {
	for x := 0; x+1 < len(t.xs); x++ {
		var r, g, b, a uint64
		for i := 4 * t.xs[x]; i < 4*t.xs[x+1]; i += 4 {
			r += uint64(px[i])
			g += uint64(px[i+1])
			b += uint64(px[i+2])
			a += uint64(px[i+3])
		}
		acc := t.acc[4*x : 4*x+4 : 4*x+4]
		acc[0] += r
		acc[1] += g
		acc[2] += b
		acc[3] += a
	}
	if sy+1 != t.ys[t.y+1] {
		return
	}
	rows := uint64(t.ys[t.y+1] - t.ys[t.y])
	o := t.y * t.dst.Stride
	for x := 0; x+1 < len(t.xs); x++ {
		n := rows * uint64(t.xs[x+1]-t.xs[x])
		for c := 0; c < 4; c++ {
			t.dst.Pix[o+4*x+c] = uint8(t.acc[4*x+c] / n)
			t.acc[4*x+c] = 0
		}
	}
	t.y++
}

// rowsOf returns a function giving row y (counted from the top of img's
// bounds) as alpha-premultiplied RGBA, 4 bytes a pixel, the bytes
// draw.Draw would write into an *image.RGBA. It fills buf (4 bytes for
// each pixel of a row) or returns img's own bytes. The decoders' own
// types are read directly; any other through RGBA64At (or At).
func rowsOf(img image.Image) func(y int, buf []byte) []byte {
	b := img.Bounds()
	w := b.Dx()
	switch m := img.(type) {
	case *image.RGBA:
		return func(y int, _ []byte) []byte {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			return m.Pix[i : i+4*w]
		}
	case *image.NRGBA:
		return func(y int, buf []byte) []byte {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			src := m.Pix[i : i+4*w]
			for j := 0; j < len(src); j += 4 {
				s := src[j : j+4 : j+4]
				a := uint32(s[3]) * 0x101
				d := buf[j : j+4 : j+4]
				d[0] = uint8(uint32(s[0]) * a / 0xff >> 8)
				d[1] = uint8(uint32(s[1]) * a / 0xff >> 8)
				d[2] = uint8(uint32(s[2]) * a / 0xff >> 8)
				d[3] = s[3]
			}
			return buf
		}
	case *image.YCbCr:
		return func(y int, buf []byte) []byte {
			sy := b.Min.Y + y
			for x := 0; x < w; x++ {
				sx := b.Min.X + x
				ci := m.COffset(sx, sy)
				r, g, bl := color.YCbCrToRGB(m.Y[m.YOffset(sx, sy)], m.Cb[ci], m.Cr[ci])
				d := buf[4*x : 4*x+4 : 4*x+4]
				d[0], d[1], d[2], d[3] = r, g, bl, 0xff
			}
			return buf
		}
	case *image.Gray:
		return func(y int, buf []byte) []byte {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			for x, v := range m.Pix[i : i+w] {
				d := buf[4*x : 4*x+4 : 4*x+4]
				d[0], d[1], d[2], d[3] = v, v, v, 0xff
			}
			return buf
		}
	case *image.Paletted:
		var pal [256][4]byte // an index past the palette reads as transparent
		for i, c := range m.Palette {
			if i == len(pal) {
				break
			}
			r, g, bl, a := c.RGBA()
			pal[i] = [4]byte{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}
		}
		return func(y int, buf []byte) []byte {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			for x, v := range m.Pix[i : i+w] {
				copy(buf[4*x:4*x+4], pal[v][:])
			}
			return buf
		}
	}
	// RGBA64At returns a struct, where At would allocate an interface
	// value for every pixel.
	at := func(x, y int) (r, g, b, a uint32) { return img.At(x, y).RGBA() }
	if m, ok := img.(image.RGBA64Image); ok {
		at = func(x, y int) (r, g, b, a uint32) {
			c := m.RGBA64At(x, y)
			return uint32(c.R), uint32(c.G), uint32(c.B), uint32(c.A)
		}
	}
	return func(y int, buf []byte) []byte {
		sy := b.Min.Y + y
		for x := 0; x < w; x++ {
			r, g, bl, a := at(b.Min.X+x, sy)
			d := buf[4*x : 4*x+4 : 4*x+4]
			d[0], d[1], d[2], d[3] = uint8(r>>8), uint8(g>>8), uint8(bl>>8), uint8(a>>8)
		}
		return buf
	}
}
