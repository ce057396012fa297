package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
	"testing"
	"time"
)

type mediaView struct {
	Kind     string          `json:"kind"`
	FileID   int64           `json:"file_id"`
	Name     string          `json:"name"`
	MIME     string          `json:"mime"`
	Size     int64           `json:"size"`
	Width    int             `json:"width"`
	Height   int             `json:"height"`
	Duration int             `json:"duration"`
	Preview  []byte          `json:"preview"`
	Sizes    []photoSizeView `json:"sizes"`
	AlbumID  int64           `json:"album_id"`
}

// photoSizeView is one of the sizes of a photo, as the API shows it.
type photoSizeView struct {
	Type   string `json:"type"`
	FileID int64  `json:"file_id"`
	W      int    `json:"w"`
	H      int    `json:"h"`
}

type mediaMessage struct {
	ChatID int64      `json:"chat_id"`
	ID     int64      `json:"id"`
	Text   string     `json:"text"`
	Media  *mediaView `json:"media"`
}

// uploadBytes uploads b as one file named name and returns its id.
func uploadBytes(t *testing.T, api caller, fc *fileClient, name string, b []byte) int64 {
	t.Helper()
	var up uploadView
	api.call("files.startUpload", map[string]any{"size": len(b), "name": name}).into(t, &up)
	for p := 0; p < up.Parts; p++ {
		part := b[p*partMax : min(len(b), (p+1)*partMax)]
		if r := fc.put(up.UploadID, p, bytes.NewReader(part)); !r.OK {
			t.Fatalf("part %d of %s: %s", p, name, r.code())
		}
	}
	sum := sha256.Sum256(b)
	var f fileView
	api.call("files.finishUpload", map[string]any{"upload_id": up.UploadID, "parts": up.Parts, "sha256": hex.EncodeToString(sum[:])}).into(t, &f)
	return f.ID
}

// testPNG draws a w×h gradient and encodes it as PNG.
func testPNG(t *testing.T, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) % 256), 255})
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bombPNG is a PNG header claiming w×h pixels, with no pixel data.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	b.Write(make([]byte, 64)) // junk where IDAT would be
	return b.Bytes()
}

// oggCRC is the Ogg page checksum (polynomial 0x04c11db7, not reflected).
func oggCRC(b []byte) uint32 {
	var crc uint32
	for _, c := range b {
		crc ^= uint32(c) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04c11db7
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

func oggPage(headerType byte, granule uint64, seq uint32, payload []byte) []byte {
	h := make([]byte, 27)
	copy(h, "OggS")
	h[5] = headerType
	binary.LittleEndian.PutUint64(h[6:], granule)
	binary.LittleEndian.PutUint32(h[14:], 0x4861766e) // serial
	binary.LittleEndian.PutUint32(h[18:], seq)
	var segs []byte
	n := len(payload)
	for n >= 255 {
		segs = append(segs, 255)
		n -= 255
	}
	segs = append(segs, byte(n))
	h[26] = byte(len(segs))
	page := append(append(h, segs...), payload...)
	binary.LittleEndian.PutUint32(page[22:], oggCRC(page))
	return page
}

// opusVoice is a minimal Ogg/Opus stream of seconds seconds.
func opusVoice(seconds int) []byte {
	const preSkip = 312
	head := []byte("OpusHead")
	head = append(head, 1, 1) // version, channels
	head = binary.LittleEndian.AppendUint16(head, preSkip)
	head = binary.LittleEndian.AppendUint32(head, 48000)
	head = append(head, 0, 0, 0) // gain, mapping family
	tags := []byte("OpusTags")
	tags = binary.LittleEndian.AppendUint32(tags, 5)
	tags = append(tags, "haven"...)
	tags = binary.LittleEndian.AppendUint32(tags, 0)
	audio := bytes.Repeat([]byte{0xf8, 0xff, 0xfe}, 50) // silent Opus frames
	var b []byte
	b = append(b, oggPage(2, 0, 0, head)...)
	b = append(b, oggPage(0, 0, 1, tags)...)
	b = append(b, oggPage(4, uint64(48000*seconds+preSkip), 2, audio)...)
	return b
}

func TestMediaMessages(t *testing.T) {
	t.Parallel()
	n := startNode(t, generous...)
	var ph phones
	alice, aliceToken, _ := signUpHTTP(t, n, &ph, "Alice")
	bob, bobToken, bobID := signUpHTTP(t, n, &ph, "Bob")
	carol, carolToken, carolID := signUpHTTP(t, n, &ph, "Carol")
	meet(t, alice, bob, bobID)
	meet(t, bob, carol, carolID)
	af, bf, cf := newFileClient(t, n.url, aliceToken), newFileClient(t, n.url, bobToken), newFileClient(t, n.url, carolToken)

	rid := int64(1000)
	send := func(params map[string]any) reply {
		rid++
		params["user_id"] = bobID
		if _, ok := params["random_id"]; !ok {
			params["random_id"] = rid
		}
		return alice.call("messages.sendMedia", params)
	}
	download := func(fc *fileClient, id int64) (int, []byte) {
		t.Helper()
		resp := fc.get(fmt.Sprintf("/files/%d", id), true)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	// A photo: preview, sizes, and who may download.
	start := time.Now()
	pngBytes := testPNG(t, 2000, 1500)
	photoID := uploadBytes(t, alice, af, "beach.png", pngBytes)
	t.Logf("made and uploaded a 2000×1500 PNG (%d KiB) in %v", len(pngBytes)>>10, time.Since(start))
	start = time.Now()
	var msg mediaMessage
	send(map[string]any{"kind": "photo", "file_id": photoID, "caption": "the beach", "random_id": 7}).into(t, &msg)
	t.Logf("sendMedia of the photo (decode, 3 sizes, preview) took %v", time.Since(start))
	md := msg.Media
	if md == nil || md.Kind != "photo" || md.Width != 2000 || md.Height != 1500 || msg.Text != "the beach" || md.MIME != "image/png" {
		t.Fatalf("photo message = %+v / %+v", msg, md)
	}
	if len(md.Preview) == 0 || len(md.Preview) > 1536 {
		t.Errorf("preview has %d bytes, want 1 to 1536", len(md.Preview))
	} else if cfg, err := jpeg.DecodeConfig(bytes.NewReader(md.Preview)); err != nil || max(cfg.Width, cfg.Height) > 40 {
		t.Errorf("preview: %+v, %v", cfg, err)
	}
	want := map[string][2]int{"s": {320, 240}, "m": {800, 600}, "x": {1280, 960}}
	if len(md.Sizes) != 3 {
		t.Fatalf("sizes = %+v, want s, m, x", md.Sizes)
	}
	for _, sz := range md.Sizes {
		w := want[sz.Type]
		if sz.W != w[0] || sz.H != w[1] {
			t.Errorf("size %s is %d×%d, want %d×%d", sz.Type, sz.W, sz.H, w[0], w[1])
		}
		status, b := download(bf, sz.FileID) // the recipient
		if status != 200 {
			t.Errorf("bob downloading size %s: %d", sz.Type, status)
			continue
		}
		img, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil || img.Bounds().Dx() != w[0] || img.Bounds().Dy() != w[1] {
			t.Errorf("size %s decodes to %v, %v", sz.Type, img.Bounds(), err)
		}
	}
	if status, b := download(bf, photoID); status != 200 || !bytes.Equal(b, pngBytes) {
		t.Errorf("bob downloading the photo: %d, %d bytes", status, len(b))
	}
	if resp := cf.get(fmt.Sprintf("/files/%d", photoID), true); resp.StatusCode != 404 || errorOf(t, resp) != "FILE_NOT_FOUND" {
		t.Errorf("an outsider downloading the photo: %d, want 404", resp.StatusCode)
	}
	if status, _ := download(cf, md.Sizes[0].FileID); status != 404 {
		t.Errorf("an outsider downloading a size: %d, want 404", status)
	}
	// The history carries the media too.
	var hist []mediaMessage
	bob.call("messages.history", map[string]any{"chat_id": msg.ChatID}).into(t, &hist)
	if len(hist) == 0 || hist[0].Media == nil || len(hist[0].Media.Sizes) != 3 {
		t.Errorf("history = %+v", hist)
	}

	// Forwarded to Carol, the photo is hers to download too.
	var fwd []mediaMessage
	bob.call("messages.forward", map[string]any{"from_chat_id": msg.ChatID, "ids": []int64{msg.ID}, "user_id": carolID, "random_ids": []int64{99}}).into(t, &fwd)
	if len(fwd) != 1 || fwd[0].Media == nil || fwd[0].Media.FileID != photoID {
		t.Fatalf("forwarded = %+v", fwd)
	}
	if status, _ := download(cf, md.Sizes[1].FileID); status != 200 {
		t.Errorf("carol downloading a forwarded photo's size: %d, want 200", status)
	}

	// A caption is edited under the caption rules.
	if r := alice.call("messages.edit", map[string]any{"chat_id": msg.ChatID, "id": msg.ID, "text": strings.Repeat("b", 1025)}); r.code() != "CAPTION_TOO_LONG" {
		t.Errorf("editing a caption to 1,025: %s, want CAPTION_TOO_LONG", r.code())
	}
	var edited mediaMessage
	alice.call("messages.edit", map[string]any{"chat_id": msg.ChatID, "id": msg.ID, "text": " "}).into(t, &edited)
	if edited.Text != "" || edited.Media == nil || edited.Media.FileID != photoID {
		t.Errorf("a caption edited away = %+v", edited)
	}

	// A retry with the same random_id answers the first message.
	var again mediaMessage
	send(map[string]any{"kind": "photo", "file_id": photoID, "caption": "the beach", "random_id": 7}).into(t, &again)
	if again.ID != msg.ID {
		t.Errorf("retried sendMedia made message %d, want %d", again.ID, msg.ID)
	}

	// Bad photos.
	bomb := uploadBytes(t, alice, af, "bomb.png", bombPNG(50000, 50000))
	if r := send(map[string]any{"kind": "photo", "file_id": bomb}); r.code() != "PHOTO_TOO_LARGE" || r.Status != 400 {
		t.Errorf("an image bomb: %s (%d), want PHOTO_TOO_LARGE", r.code(), r.Status)
	}
	text := uploadBytes(t, alice, af, "photo.jpg", []byte(strings.Repeat("not an image at all\n", 50)))
	if r := send(map[string]any{"kind": "photo", "file_id": text}); r.code() != "PHOTO_INVALID" {
		t.Errorf("a text file as a photo: %s, want PHOTO_INVALID", r.code())
	}
	if r := send(map[string]any{"kind": "photo", "file_id": photoID, "caption": strings.Repeat("a", 1025)}); r.code() != "CAPTION_TOO_LONG" {
		t.Errorf("a caption of 1,025: %s, want CAPTION_TOO_LONG", r.code())
	}
	if r := send(map[string]any{"kind": "photo", "file_id": photoID, "caption": strings.Repeat("a", 1024)}); !r.OK {
		t.Errorf("a caption of 1,024: %s", r.code())
	}
	carolFile := uploadBytes(t, carol, cf, "mine.txt", []byte("carol's own"))
	if r := send(map[string]any{"kind": "document", "file_id": carolFile}); r.code() != "FILE_NOT_FOUND" {
		t.Errorf("someone else's file: %s, want FILE_NOT_FOUND", r.code())
	}
	if r := send(map[string]any{"kind": "sticker", "file_id": text}); r.code() != "MEDIA_INVALID" {
		t.Errorf("an unknown kind: %s, want MEDIA_INVALID", r.code())
	}

	// A voice note: its duration comes from the Ogg pages.
	voice := uploadBytes(t, alice, af, "voice.ogg", opusVoice(3))
	msg = mediaMessage{}
	send(map[string]any{"kind": "voice", "file_id": voice}).into(t, &msg)
	if msg.Media == nil || msg.Media.Duration != 3 || msg.Media.MIME != "application/ogg" {
		t.Errorf("voice note = %+v", msg.Media)
	}
	if r := send(map[string]any{"kind": "voice", "file_id": text}); r.code() != "VOICE_INVALID" {
		t.Errorf("a text file as a voice note: %s, want VOICE_INVALID", r.code())
	}

	// A document keeps its name and sniffed type.
	pdf := uploadBytes(t, alice, af, "report.pdf", []byte("%PDF-1.4\n% a tiny pdf\n"))
	msg = mediaMessage{}
	send(map[string]any{"kind": "document", "file_id": pdf}).into(t, &msg)
	if msg.Media == nil || msg.Media.Name != "report.pdf" || msg.Media.MIME != "application/pdf" || msg.Media.Size != 22 || msg.Media.Width != 0 || msg.Text != "" {
		t.Errorf("document = %+v", msg.Media)
	}

	// An album of three photos shares an album id.
	var items []map[string]any
	for i := range 3 {
		id := uploadBytes(t, alice, af, fmt.Sprintf("p%d.png", i), testPNG(t, 400+i, 300))
		items = append(items, map[string]any{"kind": "photo", "file_id": id, "random_id": 5000 + i})
	}
	var album []mediaMessage
	alice.call("messages.sendAlbum", map[string]any{"user_id": bobID, "items": items}).into(t, &album)
	if len(album) != 3 {
		t.Fatalf("album = %+v", album)
	}
	for i, m := range album {
		if m.Media == nil || m.Media.AlbumID <= 0 || m.Media.AlbumID >= 1<<53 || m.Media.AlbumID != album[0].Media.AlbumID || m.ID != album[0].ID+int64(i) {
			t.Errorf("album message %d = %+v", i, m)
		}
	}
	var album2 []mediaMessage
	alice.call("messages.sendAlbum", map[string]any{"user_id": bobID, "items": items}).into(t, &album2)
	if len(album2) != 3 || album2[0].ID != album[0].ID {
		t.Errorf("a retried album = %+v, want the first", album2)
	}
	if r := alice.call("messages.sendAlbum", map[string]any{"user_id": bobID, "items": items[:1]}); r.code() != "ALBUM_INVALID" {
		t.Errorf("an album of one: %s, want ALBUM_INVALID", r.code())
	}
	twice := []map[string]any{{"kind": "photo", "file_id": items[0]["file_id"], "random_id": 6000}, {"kind": "photo", "file_id": items[1]["file_id"], "random_id": 6000}}
	if r := alice.call("messages.sendAlbum", map[string]any{"user_id": bobID, "items": twice}); r.code() != "ALBUM_INVALID" {
		t.Errorf("an album with one random_id twice: %s, want ALBUM_INVALID", r.code())
	}
	noRandom := []map[string]any{items[0], {"kind": "photo", "file_id": items[1]["file_id"]}}
	if r := alice.call("messages.sendAlbum", map[string]any{"user_id": bobID, "items": noRandom}); r.code() != "PARAM_MISSING" || !strings.Contains(r.Error.Message, "items[1].random_id") {
		t.Errorf("an album item without random_id: %+v, want PARAM_MISSING naming items[1].random_id", r.Error)
	}

	// Deleting the message takes the recipient's access away.
	bob.call("messages.delete", map[string]any{"chat_id": msg.ChatID, "ids": []int64{msg.ID}, "for_everyone": true}).into(t, new(any))
	if status, _ := download(bf, pdf); status != 404 {
		t.Errorf("bob downloading a deleted message's file: %d, want 404", status)
	}
}
