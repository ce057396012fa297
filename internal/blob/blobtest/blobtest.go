// Package blobtest is the conformance suite of core.Blobs: every backend
// runs Run against a fresh, empty store and must pass all of it, so that
// the core can rely on the behaviour documented in internal/core/blobs.go
// whichever storage is underneath.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// Run runs the suite. open must return a new, empty store for each call;
// cleaning it up is open's job (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) core.Blobs) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b core.Blobs)
	}{
		{"RoundTrip", testRoundTrip},
		{"Streamed5MiB", testStreamed},
		{"SameContentOnce", testSameContentOnce},
		{"Ranges", testRanges},
		{"NotFound", testNotFound},
		{"Delete", testDelete},
		{"ListPaging", testListPaging},
		{"ConcurrentSamePut", testConcurrentSamePut},
		{"FailedPutLeavesNothing", testFailedPutLeavesNothing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
}

func keyOf(p []byte) string {
	sum := sha256.Sum256(p)
	return hex.EncodeToString(sum[:])
}

func put(t *testing.T, b core.Blobs, p []byte) string {
	t.Helper()
	key, err := b.Put(context.Background(), bytes.NewReader(p), int64(len(p)))
	if err != nil {
		t.Fatalf("Put(%d bytes): %v", len(p), err)
	}
	if want := keyOf(p); key != want {
		t.Fatalf("Put returned key %s, want the SHA-256 %s", key, want)
	}
	return key
}

// read returns the bytes of OpenRange(key, off, n).
func read(t *testing.T, b core.Blobs, key string, off, n int64) []byte {
	t.Helper()
	rc, err := b.OpenRange(context.Background(), key, off, n)
	if err != nil {
		t.Fatalf("OpenRange(%.8s, %d, %d): %v", key, off, n, err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading OpenRange(%.8s, %d, %d): %v", key, off, n, err)
	}
	return got
}

func list(t *testing.T, b core.Blobs, after string, limit int) []core.BlobInfo {
	t.Helper()
	got, err := b.List(context.Background(), after, limit)
	if err != nil {
		t.Fatalf("List(%q, %d): %v", after, limit, err)
	}
	return got
}

func keys(infos []core.BlobInfo) []string {
	ks := []string{}
	for _, i := range infos {
		ks = append(ks, i.Key)
	}
	return ks
}

// pattern returns n deterministic bytes that differ with seed.
func pattern(seed byte, n int) []byte {
	p := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range p {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		p[i] = byte(x)
	}
	return p
}

func testRoundTrip(t *testing.T, b core.Blobs) {
	ctx := context.Background()
	for _, p := range [][]byte{{}, {42}, []byte("hello, haven"), pattern(1, 64<<10+3)} {
		key := put(t, b, p)
		if size, err := b.Stat(ctx, key); err != nil || size != int64(len(p)) {
			t.Errorf("Stat = %d, %v; want %d", size, err, len(p))
		}
		if got := read(t, b, key, 0, -1); !bytes.Equal(got, p) {
			t.Errorf("read %d bytes back, want the %d put", len(got), len(p))
		}
	}
	if got := list(t, b, "", 100); len(got) != 4 {
		t.Errorf("List after 4 Puts: %d blobs", len(got))
	}
}

// generator yields n bytes of a pattern without holding them, so the suite
// itself never has the whole blob in memory.
type generator struct {
	n, off int64
	x      uint64
}

func newGenerator(n int64) *generator { return &generator{n: n, x: 0x9e3779b97f4a7c15} }

func (g *generator) Read(p []byte) (int, error) {
	if g.off >= g.n {
		return 0, io.EOF
	}
	if rest := g.n - g.off; int64(len(p)) > rest {
		p = p[:rest]
	}
	for i := range p {
		g.x ^= g.x << 13
		g.x ^= g.x >> 7
		g.x ^= g.x << 17
		p[i] = byte(g.x >> 32)
	}
	g.off += int64(len(p))
	return len(p), nil
}

func testStreamed(t *testing.T, b core.Blobs) {
	ctx := context.Background()
	const n = 5 << 20
	h := sha256.New()
	io.Copy(h, newGenerator(n))
	want := hex.EncodeToString(h.Sum(nil))

	key, err := b.Put(ctx, newGenerator(n), n)
	if err != nil {
		t.Fatalf("Put(5 MiB): %v", err)
	}
	if key != want {
		t.Fatalf("Put key = %s, want %s", key, want)
	}
	if size, err := b.Stat(ctx, key); err != nil || size != n {
		t.Errorf("Stat = %d, %v; want %d", size, err, n)
	}
	rc, err := b.OpenRange(ctx, key, 0, -1)
	if err != nil {
		t.Fatalf("OpenRange: %v", err)
	}
	defer rc.Close()
	h.Reset()
	if m, err := io.Copy(h, rc); err != nil || m != n {
		t.Fatalf("read back %d bytes, %v; want %d", m, err, n)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("bytes read back hash to %s, want %s", got, want)
	}

	// A range in the middle matches the generator's bytes there.
	const off, length = 3<<20 + 17, 100_000
	g := newGenerator(n)
	io.CopyN(io.Discard, g, off)
	wantMid := make([]byte, length)
	io.ReadFull(g, wantMid)
	if got := read(t, b, key, off, length); !bytes.Equal(got, wantMid) {
		t.Errorf("range [%d, +%d) differs from the bytes put", off, length)
	}
}

func testSameContentOnce(t *testing.T, b core.Blobs) {
	ctx := context.Background()
	p := pattern(2, 1000)
	k1 := put(t, b, p)
	first := list(t, b, "", 10)
	time.Sleep(1100 * time.Millisecond) // past a one-second clock tick
	k2 := put(t, b, p)
	if k1 != k2 {
		t.Errorf("same bytes, two keys: %s, %s", k1, k2)
	}
	got := list(t, b, "", 10)
	if len(got) != 1 || got[0].Key != k1 || got[0].Size != 1000 {
		t.Fatalf("List after putting the same bytes twice = %+v, want one blob of 1000 bytes", got)
	}
	if !got[0].ModTime.After(first[0].ModTime) {
		t.Errorf("ModTime after the second Put = %v, want after the first's %v", got[0].ModTime, first[0].ModTime)
	}
	if d := time.Since(got[0].ModTime); d < -time.Minute || d > time.Minute {
		t.Errorf("ModTime %v is not about now", got[0].ModTime)
	}
	if got := read(t, b, k1, 0, -1); !bytes.Equal(got, p) {
		t.Error("bytes changed by the second Put")
	}
	other := put(t, b, pattern(3, 1000))
	if other == k1 {
		t.Error("different bytes got the same key")
	}
	if size, err := b.Stat(ctx, k1); err != nil || size != 1000 {
		t.Errorf("Stat = %d, %v", size, err)
	}
}

func testRanges(t *testing.T, b core.Blobs) {
	ctx := context.Background()
	p := pattern(4, 10_000)
	key := put(t, b, p)
	for _, c := range []struct {
		off, n int64
		want   []byte
	}{
		{0, 1, p[:1]},
		{0, 100, p[:100]},
		{0, 10_000, p},
		{0, -1, p},
		{4321, 1000, p[4321:5321]},
		{4321, -1, p[4321:]},
		{9_999, 1, p[9_999:]},
		{9_000, 5_000, p[9_000:]}, // past the end: truncated
		{9_999, 1 << 40, p[9_999:]},
		{10_000, 10, []byte{}}, // at the end: empty
		{10_000, -1, []byte{}},
		{500, 0, []byte{}},
	} {
		if got := read(t, b, key, c.off, c.n); !bytes.Equal(got, c.want) {
			t.Errorf("OpenRange(%d, %d) read %d bytes, want %d", c.off, c.n, len(got), len(c.want))
		}
	}
	for _, off := range []int64{10_001, 1 << 40, -1} {
		if rc, err := b.OpenRange(ctx, key, off, 10); !errors.Is(err, core.ErrBlobRange) {
			if err == nil {
				rc.Close()
			}
			t.Errorf("OpenRange(offset %d of 10000) = %v, want ErrBlobRange", off, err)
		}
	}

	// Ranges of the empty blob.
	empty := put(t, b, nil)
	if got := read(t, b, empty, 0, 10); len(got) != 0 {
		t.Errorf("OpenRange of the empty blob read %d bytes", len(got))
	}
	if _, err := b.OpenRange(ctx, empty, 1, 1); !errors.Is(err, core.ErrBlobRange) {
		t.Errorf("OpenRange(1, 1) of the empty blob = %v, want ErrBlobRange", err)
	}
}

func testNotFound(t *testing.T, b core.Blobs) {
	ctx := context.Background()
	put(t, b, []byte("something"))
	missing := keyOf([]byte("never stored"))
	for _, key := range []string{missing, "", "abc", "../../etc/passwd", strings64("G"), "AB" + missing[2:]} {
		if _, err := b.Stat(ctx, key); !errors.Is(err, haven.ErrNotFound) {
			t.Errorf("Stat(%q) = %v, want ErrNotFound", key, err)
		}
		if rc, err := b.OpenRange(ctx, key, 0, -1); !errors.Is(err, haven.ErrNotFound) {
			if err == nil {
				rc.Close()
			}
			t.Errorf("OpenRange(%q) = %v, want ErrNotFound", key, err)
		}
		if rc, err := b.OpenRange(ctx, key, 0, 0); !errors.Is(err, haven.ErrNotFound) {
			if err == nil {
				rc.Close()
			}
			t.Errorf("OpenRange(%q, 0, 0) = %v, want ErrNotFound", key, err)
		}
		if err := b.Delete(ctx, key); err != nil {
			t.Errorf("Delete(%q) = %v, want nil", key, err)
		}
	}
	if got := list(t, b, "", 10); len(got) != 1 {
		t.Errorf("List = %+v, want the one blob", got)
	}
}

func strings64(s string) string {
	var buf bytes.Buffer
	for buf.Len() < 64 {
		buf.WriteString(s)
	}
	return buf.String()[:64]
}

func testDelete(t *testing.T, b core.Blobs) {
	ctx := context.Background()
	k1, k2 := put(t, b, []byte("one")), put(t, b, []byte("two"))
	if err := b.Delete(ctx, k1); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := b.Delete(ctx, k1); err != nil {
		t.Errorf("Delete again = %v, want nil", err)
	}
	if _, err := b.Stat(ctx, k1); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("Stat after Delete = %v, want ErrNotFound", err)
	}
	if _, err := b.OpenRange(ctx, k1, 0, -1); !errors.Is(err, haven.ErrNotFound) {
		t.Errorf("OpenRange after Delete = %v, want ErrNotFound", err)
	}
	if got := keys(list(t, b, "", 10)); !slices.Equal(got, []string{k2}) {
		t.Errorf("List after Delete = %v, want [%s]", got, k2)
	}
	if got := read(t, b, k2, 0, -1); string(got) != "two" {
		t.Errorf("the other blob reads %q", got)
	}
	// Put after Delete stores it again.
	put(t, b, []byte("one"))
	if got := read(t, b, k1, 0, -1); string(got) != "one" {
		t.Errorf("blob put again reads %q", got)
	}
}

func testListPaging(t *testing.T, b core.Blobs) {
	if got := list(t, b, "", 10); len(got) != 0 {
		t.Errorf("List of an empty store = %+v", got)
	}
	sizes := map[string]int64{}
	var want []string
	for i := range 23 {
		p := []byte(fmt.Sprintf("blob number %d", i))
		k := put(t, b, p)
		want = append(want, k)
		sizes[k] = int64(len(p))
	}
	slices.Sort(want)

	var got []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("List never reached the end")
		}
		page := list(t, b, after, 5)
		for _, info := range page {
			got = append(got, info.Key)
			if info.Size != sizes[info.Key] {
				t.Errorf("List size of %.8s = %d, want %d", info.Key, info.Size, sizes[info.Key])
			}
			if info.ModTime.IsZero() {
				t.Errorf("List ModTime of %.8s is zero", info.Key)
			}
		}
		if len(page) < 5 {
			break
		}
		after = page[len(page)-1].Key
	}
	if !slices.Equal(got, want) {
		t.Errorf("List pages gave\n%v\nwant\n%v", got, want)
	}
	if got := keys(list(t, b, want[10], 3)); !slices.Equal(got, want[11:14]) {
		t.Errorf("List(after #10, 3) = %v, want %v", got, want[11:14])
	}
	// after need not be a stored key, nor a whole one.
	if got := keys(list(t, b, want[10][:5], 1)); !slices.Equal(got, want[10:11]) {
		t.Errorf("List(after a prefix of #10) = %v, want %v", got, want[10:11])
	}
	if got := list(t, b, want[22], 5); len(got) != 0 {
		t.Errorf("List after the last = %+v", got)
	}
	if got := list(t, b, "", 0); len(got) != 0 {
		t.Errorf("List(limit 0) = %+v", got)
	}
	if got := keys(list(t, b, "", 100)); !slices.Equal(got, want) {
		t.Errorf("List(all) = %v", got)
	}
}

func testConcurrentSamePut(t *testing.T, b core.Blobs) {
	ctx := context.Background()
	p := pattern(5, 300_000)
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	ks := make([]string, n)
	for i := range n {
		wg.Go(func() {
			ks[i], errs[i] = b.Put(ctx, bytes.NewReader(p), int64(len(p)))
		})
	}
	// Readers racing the Puts see the whole blob or none of it.
	key := keyOf(p)
	for range 50 {
		rc, err := b.OpenRange(ctx, key, 0, -1)
		if errors.Is(err, haven.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatalf("OpenRange during Puts: %v", err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, p) {
			t.Fatalf("read during Puts: %d bytes, %v; want all %d", len(got), err, len(p))
		}
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || ks[i] != key {
			t.Errorf("Put %d = %s, %v", i, ks[i], errs[i])
		}
	}
	if got := list(t, b, "", 10); len(got) != 1 || got[0].Size != int64(len(p)) {
		t.Errorf("List after concurrent Puts = %+v, want one blob", got)
	}
	if got := read(t, b, key, 0, -1); !bytes.Equal(got, p) {
		t.Error("bytes differ after concurrent Puts")
	}
}

// failingReader yields n bytes of a pattern, then err.
type failingReader struct {
	g   *generator
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.g.Read(p)
	if err == io.EOF {
		return 0, f.err
	}
	return n, err
}

func testFailedPutLeavesNothing(t *testing.T, b core.Blobs) {
	ctx := context.Background()
	keep := put(t, b, []byte("kept"))
	boom := errors.New("connection dropped")

	// The reader fails midway.
	_, err := b.Put(ctx, &failingReader{newGenerator(1 << 20), boom}, 2<<20)
	if !errors.Is(err, boom) {
		t.Errorf("Put with a failing reader = %v, want its error", err)
	}
	// Fewer bytes than announced, and more.
	if _, err := b.Put(ctx, bytes.NewReader(pattern(6, 999)), 1000); !errors.Is(err, core.ErrBlobSize) {
		t.Errorf("Put(999 bytes as 1000) = %v, want ErrBlobSize", err)
	}
	if _, err := b.Put(ctx, bytes.NewReader(pattern(6, 1001)), 1000); !errors.Is(err, core.ErrBlobSize) {
		t.Errorf("Put(1001 bytes as 1000) = %v, want ErrBlobSize", err)
	}
	if _, err := b.Put(ctx, bytes.NewReader(nil), -1); !errors.Is(err, core.ErrBlobSize) {
		t.Errorf("Put(size -1) = %v, want ErrBlobSize", err)
	}
	// The context ends midway.
	cctx, cancel := context.WithCancel(ctx)
	r := &cancelAfter{g: newGenerator(4 << 20), after: 1 << 20, cancel: cancel}
	if _, err := b.Put(cctx, r, 4<<20); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a cancelled context = %v, want context.Canceled", err)
	}

	if got := keys(list(t, b, "", 10)); !slices.Equal(got, []string{keep}) {
		t.Errorf("List after failed Puts = %v, want only [%s]", got, keep)
	}
	for _, p := range [][]byte{pattern(6, 999), pattern(6, 1000), pattern(6, 1001)} {
		if _, err := b.Stat(ctx, keyOf(p)); !errors.Is(err, haven.ErrNotFound) {
			t.Errorf("Stat of a failed Put's bytes = %v, want ErrNotFound", err)
		}
	}
}

// cancelAfter calls cancel once after bytes have been read.
type cancelAfter struct {
	g      *generator
	after  int64
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.g.off >= c.after {
		c.cancel()
	}
	return c.g.Read(p)
}
