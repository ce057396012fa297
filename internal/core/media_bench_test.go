package core_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/blob/disk"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/sqlite"
)

// bombSide is the side of the largest square photo the default limits
// allow (6,324² is just under 40 megapixels).
const bombSide = 6324

// uniformPNG is a side×side PNG of one colour with some transparency
// (so it decodes to *image.NRGBA, 4 bytes a pixel): a few hundred KiB
// that decode to side²×4 bytes.
func uniformPNG(tb testing.TB, side int) []byte {
	tb.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	c := color.NRGBA{R: 40, G: 120, B: 200, A: 200}
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// uploadFile uploads b through the use cases as a's file.
func uploadFile(tb testing.TB, svc *core.Service, a *core.Actor, name string, b []byte) int64 {
	tb.Helper()
	ctx := context.Background()
	up, err := svc.StartUpload(ctx, a, int64(len(b)), 0, name)
	if err != nil {
		tb.Fatal(err)
	}
	for p := 0; p < up.Parts; p++ {
		part := b[int64(p)*up.PartSize : min(int64(len(b)), int64(p+1)*up.PartSize)]
		if err := svc.PutPart(ctx, a, up.UploadID, p, bytes.NewReader(part), int64(len(part))); err != nil {
			tb.Fatal(err)
		}
	}
	sum := sha256.Sum256(b)
	f, err := svc.FinishUpload(ctx, a, up.UploadID, up.Parts, hex.EncodeToString(sum[:]))
	if err != nil {
		tb.Fatal(err)
	}
	return f.ID
}

// heapPeak samples the heap (live and not yet collected objects) every
// millisecond until stop is called, which returns the highest sample.
func heapPeak() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// BenchmarkPhotoPeakHeap sends one 6,324×6,324 PNG (a few hundred KiB
// on the wire, 160 MB of pixels) as a photo message, through the use case
// with real SQLite and disk blobs, and reports the peak heap above what
// was live before (peak-MiB) and all that was allocated (alloc-MiB):
//
//	go test ./internal/core/ -run '^$' -bench PhotoPeakHeap -benchtime 3x
func BenchmarkPhotoPeakHeap(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir()+"/bench.db", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	blobs, err := disk.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	svc, err := core.New(core.Config{
		Store: st, Codes: &codeBox{last: map[string]string{}}, Passwords: fastPasswords(),
		Secret: make([]byte, 32), Blobs: blobs,
	})
	if err != nil {
		b.Fatal(err)
	}
	users := seedUsers(b, st, 2)
	ann := &core.Actor{UserID: users[0], SessionID: 1}
	data := uniformPNG(b, bombSide)
	b.Logf("the PNG has %d bytes", len(data))
	fileID := uploadFile(b, svc, ann, "bomb.png", data)
	data = nil
	var peak, alloc uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		stop := heapPeak()
		_, err := svc.SendMedia(ctx, ann, core.Peer{UserID: users[1]}, core.MediaInput{Kind: haven.MediaPhoto, FileID: fileID, RandomID: int64(i + 1)})
		p := stop()
		runtime.ReadMemStats(&after)
		if err != nil {
			b.Fatal(err)
		}
		peak = max(peak, p-min(p, before.HeapAlloc))
		alloc = max(alloc, after.TotalAlloc-before.TotalAlloc)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
	b.ReportMetric(float64(alloc)/(1<<20), "alloc-MiB")
}
