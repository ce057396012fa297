package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"

	"golang.org/x/image/vector"
)

// The icon: a white speech bubble holding a small house (a haven) on a
// blue tile; src/icons/icon.svg is the same drawing for browsers that
// take SVG icons.
var (
	brand = color.NRGBA{0x2f, 0x6f, 0xde, 0xff}
	white = color.NRGBA{0xff, 0xff, 0xff, 0xff}
)

// icons draws the PNG icons that browsers and home screens ask for:
// "any" icons on a rounded tile and a maskable one whose drawing keeps
// to the safe zone, as the manifest declares them.
func icons() map[string][]byte {
	return map[string][]byte{
		"icons/icon-192.png":         drawIcon(192, false),
		"icons/icon-512.png":         drawIcon(512, false),
		"icons/maskable-512.png":     drawIcon(512, true),
		"icons/apple-touch-icon.png": drawIcon(180, true),
		"icons/favicon-32.png":       drawIcon(32, false),
	}
}

// drawIcon draws the icon at size pixels. A maskable icon fills the
// square (the platform cuts its own shape) and shrinks the bubble into
// the central circle of 80% that every mask keeps.
func drawIcon(size int, maskable bool) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	s := float32(size)
	fill := func(c color.NRGBA, path func(r *vector.Rasterizer)) {
		r := vector.NewRasterizer(size, size)
		path(r)
		r.Draw(img, img.Bounds(), image.NewUniform(c), image.Point{})
	}
	// The tile.
	fill(brand, func(r *vector.Rasterizer) {
		if maskable {
			rect(r, 0, 0, s, s, 0)
		} else {
			rect(r, 0, 0, s, s, 0.22*s)
		}
	})
	scale := float32(1)
	if maskable {
		scale = 0.8
	}
	// p maps the drawing's unit square, scaled about its centre.
	p := func(x, y float32) (float32, float32) {
		return (0.5 + (x-0.5)*scale) * s, (0.5 + (y-0.5)*scale) * s
	}
	fill(white, func(r *vector.Rasterizer) {
		cx, cy := p(0.5, 0.47)
		circle(r, cx, cy, 0.28*s*scale)
	})
	// The tail, bottom left, drawn on its own: the rasterizer adds up
	// signed areas, so a shape overlapping the circle in the other
	// winding would cut a hole.
	fill(white, func(r *vector.Rasterizer) {
		x, y := p(0.265, 0.622)
		r.MoveTo(x, y)
		x, y = p(0.24, 0.80)
		r.LineTo(x, y)
		x, y = p(0.404, 0.733)
		r.LineTo(x, y)
		r.ClosePath()
	})
	// The house inside the bubble.
	fill(brand, func(r *vector.Rasterizer) {
		pts := [][2]float32{{0.5, 0.335}, {0.64, 0.455}, {0.605, 0.455}, {0.605, 0.585}, {0.395, 0.585}, {0.395, 0.455}, {0.36, 0.455}}
		for i, q := range pts {
			x, y := p(q[0], q[1])
			if i == 0 {
				r.MoveTo(x, y)
			} else {
				r.LineTo(x, y)
			}
		}
		r.ClosePath()
	})
	// The door, cut back out in white.
	fill(white, func(r *vector.Rasterizer) {
		x0, y0 := p(0.47, 0.505)
		x1, y1 := p(0.53, 0.585)
		rect(r, x0, y0, x1-x0, y1-y0, 0)
	})
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		panic(err) // writing to a buffer does not fail
	}
	return b.Bytes()
}

// kappa places the control points of a cubic Bézier quarter circle.
const kappa = 0.5522848

func circle(r *vector.Rasterizer, cx, cy, rad float32) {
	k := kappa * rad
	r.MoveTo(cx+rad, cy)
	r.CubeTo(cx+rad, cy+k, cx+k, cy+rad, cx, cy+rad)
	r.CubeTo(cx-k, cy+rad, cx-rad, cy+k, cx-rad, cy)
	r.CubeTo(cx-rad, cy-k, cx-k, cy-rad, cx, cy-rad)
	r.CubeTo(cx+k, cy-rad, cx+rad, cy-k, cx+rad, cy)
	r.ClosePath()
}

// rect adds a rectangle with corners rounded by rad (0: square).
func rect(r *vector.Rasterizer, x, y, w, h, rad float32) {
	if rad == 0 {
		r.MoveTo(x, y)
		r.LineTo(x+w, y)
		r.LineTo(x+w, y+h)
		r.LineTo(x, y+h)
		r.ClosePath()
		return
	}
	k := kappa * rad
	r.MoveTo(x+rad, y)
	r.LineTo(x+w-rad, y)
	r.CubeTo(x+w-rad+k, y, x+w, y+rad-k, x+w, y+rad)
	r.LineTo(x+w, y+h-rad)
	r.CubeTo(x+w, y+h-rad+k, x+w-rad+k, y+h, x+w-rad, y+h)
	r.LineTo(x+rad, y+h)
	r.CubeTo(x+rad-k, y+h, x, y+h-rad+k, x, y+h-rad)
	r.LineTo(x, y+rad)
	r.CubeTo(x, y+rad-k, x+rad-k, y, x+rad, y)
	r.ClosePath()
}
