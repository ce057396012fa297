package main

import (
	"bytes"
	"image"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDistIsFresh fails when the committed app (internal/web/dist) is
// not what its sources build to: someone changed src and did not run
// `go generate ./internal/web`.
func TestDistIsFresh(t *testing.T) {
	want, err := Build("../src")
	if err != nil {
		t.Fatalf("building the app: %v", err)
	}
	have := make(map[string][]byte)
	err = filepath.WalkDir("../dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("../dist", p)
		rel = filepath.ToSlash(rel)
		if !generated.MatchString(rel) {
			return nil
		}
		b, err := os.ReadFile(p)
		have[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range want {
		names = append(names, name)
	}
	for name := range have {
		if _, ok := want[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	stale := false
	for _, name := range names {
		w, inWant := want[name]
		h, inHave := have[name]
		switch {
		case !inHave:
			t.Errorf("dist lacks %s", name)
		case !inWant:
			t.Errorf("dist has %s, which the sources no longer make", name)
		case strings.HasSuffix(name, ".png"):
			// PNG bytes depend on the Go version's compressor; the
			// pixels are what matter.
			if !samePixels(t, w, h) {
				t.Errorf("dist's %s differs from the sources'", name)
			}
			continue
		case !bytes.Equal(w, h):
			t.Errorf("dist's %s differs from the sources'", name)
		default:
			continue
		}
		stale = true
	}
	if stale || t.Failed() {
		t.Log("the committed app is stale: run go generate ./internal/web and commit internal/web/dist")
	}
}

func samePixels(t *testing.T, a, b []byte) bool {
	t.Helper()
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return false
	}
	if ia.Bounds() != ib.Bounds() {
		return false
	}
	r := ia.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if !sameColor(ia, ib, x, y) {
				return false
			}
		}
	}
	return true
}

func sameColor(a, b image.Image, x, y int) bool {
	r1, g1, b1, a1 := a.At(x, y).RGBA()
	r2, g2, b2, a2 := b.At(x, y).RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}

// TestIconsDrawn checks the icons the manifest names exist at their
// sizes, and that the maskable one fills its square (no transparent
// corner for the platform's mask to show).
func TestIconsDrawn(t *testing.T) {
	for name, size := range map[string]int{"icons/icon-192.png": 192, "icons/icon-512.png": 512, "icons/maskable-512.png": 512, "icons/apple-touch-icon.png": 180, "icons/favicon-32.png": 32} {
		b, ok := icons()[name]
		if !ok {
			t.Fatalf("no %s", name)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if img.Bounds().Dx() != size || img.Bounds().Dy() != size {
			t.Errorf("%s is %v, want %d×%d", name, img.Bounds(), size, size)
		}
		_, _, _, corner := img.At(0, 0).RGBA()
		_, _, _, centre := img.At(size/2, size/2).RGBA()
		if centre != 0xffff {
			t.Errorf("%s: the centre is not opaque", name)
		}
		maskable := strings.Contains(name, "maskable") || strings.Contains(name, "apple")
		if maskable && corner != 0xffff {
			t.Errorf("%s: a maskable icon must fill its corners", name)
		}
		if !maskable && corner != 0 {
			t.Errorf("%s: the rounded tile should leave its corners clear", name)
		}
	}
}
