package server_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"
)

// flatPNG is a side×side PNG of one colour, partly transparent: a few
// dozen KiB that decode to side²×4 bytes (*image.NRGBA).
func flatPNG(t *testing.T, side int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	c := color.NRGBA{R: 40, G: 120, B: 200, A: 200}
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// heapSampler reads the live heap (as of the last collection) and all
// heap objects (live or not yet collected) every 2 ms, keeping the peaks.
type heapSampler struct {
	done           chan struct{}
	wg             sync.WaitGroup
	live, objects  uint64
	liveAt, objsAt uint64 // the values when it started
}

func sampleHeap() *heapSampler {
	s := &heapSampler{done: make(chan struct{})}
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(samples)
	s.liveAt, s.objsAt = samples[0].Value.Uint64(), samples[1].Value.Uint64()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(samples)
			s.live = max(s.live, samples[0].Value.Uint64())
			s.objects = max(s.objects, samples[1].Value.Uint64())
			select {
			case <-s.done:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *heapSampler) stop() {
	close(s.done)
	s.wg.Wait()
}

// TestImageMemoryBounded: 16 photos of the largest size allowed, sent at
// once as photo messages, profile photos and chat photos, keep the live
// heap within the image memory budget plus a margin for the rest of the
// server: decodes beyond the budget wait for their turn. Without the
// budget the 16 decode together (over 600 MB for these images).
//
// Not parallel: it measures the process's heap. The largest photo is
// configured down to 1,000×1,000 (4 MB of pixels, charged about 9 MiB)
// to keep the test quick under the race detector; BenchmarkPhotoPeakHeap in internal/core
// measures one 6,324×6,324 photo.
func TestImageMemoryBounded(t *testing.T) {
	const (
		side   = 1000
		budget = 18 << 20 // two of these images at once
		margin = 30 << 20 // the rest of the server, the test's clients
		calls  = 16
	)
	n := startNode(t, append([]string{
		"--photo-max-side", strconv.Itoa(side), "--photo-max-pixels", strconv.Itoa(side * side),
		"--image-memory", strconv.Itoa(budget), "--image-wait", "10m",
	}, generous...)...)
	var ph phones
	ann, annToken, annID := signUpHTTP(t, n, &ph, "Ann")
	bob, _, bobID := signUpHTTP(t, n, &ph, "Bob")
	// Bob has Ann in his contacts: she sees him and may add him to groups.
	knows(t, ann, ph.at(1), annID, bob, ph.at(2))
	var group struct {
		ID int64 `json:"id"`
	}
	ann.call("chats.createGroup", map[string]any{"title": "Family", "user_ids": []int64{bobID}}).into(t, &group)
	fileID := uploadBytes(t, ann, newFileClient(t, n.url, annToken), "big.png", flatPNG(t, side))

	// Collect often, so that the live heap is measured often and the
	// garbage of one decode does not pass for live memory of the next.
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	runtime.GC()
	heap := sampleHeap()
	var wg sync.WaitGroup
	codes := make([]string, calls)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &httpCaller{t: t, base: n.url, token: annToken}
			var r reply
			switch i % 8 {
			case 6:
				r = c.call("account.setPhoto", map[string]any{"file_id": fileID})
			case 7:
				r = c.call("chats.setPhoto", map[string]any{"chat_id": group.ID, "file_id": fileID})
			default:
				r = c.call("messages.sendMedia", map[string]any{"user_id": bobID, "kind": "photo", "file_id": fileID, "random_id": i + 1})
			}
			codes[i] = r.code()
		}()
	}
	wg.Wait()
	heap.stop()
	for i, code := range codes {
		if code != "OK" {
			t.Errorf("call %d: %s", i, code)
		}
	}
	grew := int64(heap.live) - int64(heap.liveAt)
	t.Logf("%d photos of %d×%d at once: live heap %.1f MiB at the start, peak %.1f MiB (+%.1f MiB); heap objects peak %.1f MiB; budget %d MiB",
		calls, side, side, mib(heap.liveAt), mib(heap.live), float64(grew)/(1<<20), mib(heap.objects), budget>>20)
	if grew > budget+margin {
		t.Errorf("the live heap grew by %.1f MiB, over the budget of %d MiB plus %d MiB", float64(grew)/(1<<20), budget>>20, margin>>20)
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// TestImageBudgetFloodWait: when photos arrive faster than the image
// memory budget lets them be decoded, those that cannot get their share
// within image-wait are answered FLOOD_WAIT (429) with a retry_after,
// and the others go through.
func TestImageBudgetFloodWait(t *testing.T) {
	t.Parallel()
	n := startNode(t, append([]string{"--image-memory", "1MiB", "--image-wait", "1ms"}, generous...)...)
	var ph phones
	ann, annToken, _ := signUpHTTP(t, n, &ph, "Ann")
	bob, _, bobID := signUpHTTP(t, n, &ph, "Bob")
	meet(t, ann, bob, bobID)
	// Every photo costs more than the budget, so each takes all of it
	// and they are decoded one at a time.
	fileID := uploadBytes(t, ann, newFileClient(t, n.url, annToken), "p.png", testPNG(t, 1500, 1000))
	deadline := time.Now().Add(2 * time.Minute)
	rid := 0
	for round := 1; ; round++ {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var ok, waited int
		for range 8 {
			rid++
			wg.Add(1)
			go func(rid int) {
				defer wg.Done()
				c := &httpCaller{t: t, base: n.url, token: annToken}
				r := c.call("messages.sendMedia", map[string]any{"user_id": bobID, "kind": "photo", "file_id": fileID, "random_id": rid})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case r.OK:
					ok++
				case r.code() == "FLOOD_WAIT" && r.Status == 429 && r.Error.RetryAfter >= 1:
					waited++
				default:
					t.Errorf("a photo sent with others: %s (status %d, %+v)", r.code(), r.Status, r.Error)
				}
			}(rid)
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		if ok > 0 && waited > 0 {
			t.Logf("round %d: %d sent, %d answered FLOOD_WAIT", round, ok, waited)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d rounds of 8 photos at once, the last had %d sent and %d answered FLOOD_WAIT; want some of each", round, ok, waited)
		}
	}
}
