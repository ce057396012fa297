package core_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/blob/disk"
	"github.com/havenchat/haven/internal/core"
)

// imageService is a service on real SQLite and disk blobs with the given
// image memory budget and wait (0: the defaults), and two people.
func imageService(t *testing.T, memory int64, wait time.Duration) (*core.Service, *core.Actor, *core.Actor) {
	t.Helper()
	st := openStore(t)
	blobs, err := disk.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := core.New(core.Config{
		Store: st, Codes: &codeBox{last: map[string]string{}}, Passwords: fastPasswords(),
		Secret: make([]byte, 32), Blobs: blobs, ImageMemory: memory, ImageWait: wait,
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	err = st.Update(context.Background(), func(tx core.Tx) error {
		for _, name := range []string{"Ann", "Bob"} {
			u := &haven.User{FirstName: name, CreatedAt: time.Now(), LastActiveAt: time.Now(), AccountTTLDays: 365}
			if err := tx.CreateUser(context.Background(), u); err != nil {
				return err
			}
			ids = append(ids, u.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc, &core.Actor{UserID: ids[0], SessionID: 1}, &core.Actor{UserID: ids[1], SessionID: 2}
}

// encoded returns img encoded as a PNG, a JPEG or a GIF.
func encoded(t *testing.T, format string, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	case "gif":
		err = gif.Encode(&buf, img, &gif.Options{NumColors: 64})
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gradients returns w×h images of each type the decoders return.
func gradients(w, h int) map[string]image.Image {
	r := image.Rect(0, 0, w, h)
	nrgba, rgba, gray, gray16, nrgba64 := image.NewNRGBA(r), image.NewRGBA(r), image.NewGray(r), image.NewGray16(r), image.NewNRGBA64(r)
	pal := image.NewPaletted(r, color.Palette{color.Black, color.White, color.NRGBA{200, 30, 60, 255}, color.NRGBA{10, 90, 250, 255}})
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8((x + y) * 255 / (w + h))
			nrgba.SetNRGBA(x, y, color.NRGBA{v, uint8(x), uint8(y), 128 + v/2})
			rgba.SetRGBA(x, y, color.RGBA{v, uint8(x), uint8(y), 255})
			gray.SetGray(x, y, color.Gray{v})
			gray16.SetGray16(x, y, color.Gray16{uint16(x * y)})
			nrgba64.SetNRGBA64(x, y, color.NRGBA64{uint16(x * 50), uint16(y * 70), 9, 40000})
			pal.SetColorIndex(x, y, uint8((x/40+y/40)%4))
		}
	}
	return map[string]image.Image{"NRGBA": nrgba, "RGBA": rgba, "Gray": gray, "Gray16": gray16, "NRGBA64": nrgba64, "Paletted": pal}
}

// TestImageCostBoundsAllocation: for images of every kind the decoders
// read (PNG of each pixel type and interlaced, JPEG baseline and
// progressive, 4:2:0 and 4:4:4, gray, RGB and CMYK, GIF plain and
// interlaced), what the budget is charged (PhotoCost) is at least all
// that making the photo allocates: decoding, its sizes and its preview.
// So the budget bounds the memory of the image work it admits.
//
// Not parallel: it counts the allocations of the whole process.
func TestImageCostBoundsAllocation(t *testing.T) {
	ctx := context.Background()
	svc, ann, _ := imageService(t, 0, 0)
	files := map[string][]byte{}
	grads := gradients(1200, 900)
	for name, img := range grads {
		files["png "+name] = encoded(t, "png", img)
	}
	files["jpeg baseline 4:2:0"] = encoded(t, "jpeg", grads["RGBA"])
	files["jpeg gray"] = encoded(t, "jpeg", grads["Gray"])
	files["gif"] = encoded(t, "gif", grads["Paletted"])
	paths, err := filepath.Glob("testdata/photos/*.*")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if filepath.Ext(p) == ".md" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = b
	}
	if len(files) < 15 {
		t.Fatalf("only %d images", len(files))
	}
	for name, b := range files {
		id := uploadFile(t, svc, ann, name, b)
		cost, err := svc.PhotoCost(ctx, ann, id)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		md, err := svc.MakePhoto(ctx, ann, id)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if md.Width != 1200 || md.Height != 900 || len(md.Sizes) != 2 || len(md.Preview) == 0 {
			t.Errorf("%s: made %d×%d with %d sizes", name, md.Width, md.Height, len(md.Sizes))
		}
		alloc := int64(after.TotalAlloc - before.TotalAlloc)
		if alloc > cost {
			t.Errorf("%s: making the photo allocated %d bytes, more than the %d it was charged", name, alloc, cost)
		}
		t.Logf("%-20s charged %5.1f MiB, allocated %5.1f MiB", name, float64(cost)/(1<<20), float64(alloc)/(1<<20))
	}
}

func isFloodWait(err error) bool {
	var he *haven.Error
	return errors.As(err, &he) && he.Code == haven.CodeFloodWait && he.RetryAfter >= 1
}

// TestImageBudget: reservations share one budget; one that does not fit
// waits, then answers FLOOD_WAIT with a retry_after; one larger than the
// whole budget takes all of it (and is served); a caller whose context
// ends while waiting gets its context's error.
func TestImageBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const mib = 1 << 20
	svc, _, _ := imageService(t, 100*mib, 50*time.Millisecond)
	first, err := svc.ReserveImage(ctx, 60*mib)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ReserveImage(ctx, 60*mib); !isFloodWait(err) {
		t.Errorf("a second 60 MiB of a 100 MiB budget: %v, want FLOOD_WAIT with retry_after", err)
	}
	second, err := svc.ReserveImage(ctx, 40*mib)
	if err != nil {
		t.Errorf("40 MiB more: %v", err)
	}
	first()
	second()
	huge, err := svc.ReserveImage(ctx, 1<<30)
	if err != nil {
		t.Fatalf("an image costing more than the whole budget: %v, want it served", err)
	}
	if _, err := svc.ReserveImage(ctx, 1); !isFloodWait(err) {
		t.Errorf("1 byte while the whole budget is taken: %v, want FLOOD_WAIT", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := svc.ReserveImage(cctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled caller: %v, want context.Canceled", err)
	}
	huge()

	// A waiter gets the room given back while it waits.
	patient, _, _ := imageService(t, 100*mib, time.Minute)
	all, err := patient.ReserveImage(ctx, 100*mib)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		release, err := patient.ReserveImage(ctx, 10*mib)
		if err == nil {
			release()
		}
		got <- err
	}()
	all()
	if err := <-got; err != nil {
		t.Errorf("a waiter after the room was given back: %v", err)
	}
}

// TestPhotoWaitsForImageBudget: every use case that decodes a photo (a
// photo message, a profile photo, a chat photo) takes its share of the
// budget first: with the whole budget taken, each answers FLOOD_WAIT, and
// once it is given back each succeeds.
func TestPhotoWaitsForImageBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, ann, bob := imageService(t, 64<<20, 20*time.Millisecond)
	// Ann finds Bob by his username, and he lets anyone add him to groups.
	meet(t, svc, ann, bob)
	if _, err := svc.SetPrivacy(ctx, bob, haven.PrivacyAddToGroups, haven.Everybody); err != nil {
		t.Fatal(err)
	}
	id := uploadFile(t, svc, ann, "p.png", encoded(t, "png", gradients(400, 300)["RGBA"]))
	group, err := svc.CreateGroup(ctx, ann, "Family", []int64{bob.UserID})
	if err != nil {
		t.Fatal(err)
	}
	send := func() error {
		_, err := svc.SendMedia(ctx, ann, core.Peer{UserID: bob.UserID}, core.MediaInput{Kind: haven.MediaPhoto, FileID: id, RandomID: time.Now().UnixNano()})
		return err
	}
	album := func() error {
		items := []core.MediaInput{{Kind: haven.MediaPhoto, FileID: id, RandomID: time.Now().UnixNano()}, {Kind: haven.MediaPhoto, FileID: id, RandomID: time.Now().UnixNano() + 1}}
		_, err := svc.SendAlbum(ctx, ann, core.Peer{UserID: bob.UserID}, items)
		return err
	}
	profile := func() error { _, err := svc.SetProfilePhoto(ctx, ann, id); return err }
	chat := func() error { _, err := svc.SetChatPhoto(ctx, ann, group.ID, id); return err }
	uses := map[string]func() error{"messages.sendMedia": send, "messages.sendAlbum": album, "account.setPhoto": profile, "chats.setPhoto": chat}

	release, err := svc.ReserveImage(ctx, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	for name, use := range uses {
		if err := use(); !isFloodWait(err) {
			t.Errorf("%s with the image budget taken: %v, want FLOOD_WAIT", name, err)
		}
	}
	release()
	for name, use := range uses {
		if err := use(); err != nil {
			t.Errorf("%s with the budget free: %v", name, err)
		}
	}
}
