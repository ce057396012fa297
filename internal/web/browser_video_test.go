package web_test

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/testserver"
)

// recordVideo makes a short WebM video in the page (a canvas drawn in
// colours, recorded with MediaRecorder) and writes it to a file.
func recordVideo(t *testing.T, p *page) string {
	t.Helper()
	b64 := eval[string](p, `(async () => {
		const c = document.createElement('canvas'); c.width = 640; c.height = 360;
		const g = c.getContext('2d');
		const s = c.captureStream(25);
		const r = new MediaRecorder(s, {mimeType: 'video/webm'});
		const parts = [];
		r.ondataavailable = (e) => parts.push(e.data);
		const done = new Promise((ok) => { r.onstop = ok; });
		r.start();
		for (let i = 0; i < 20; i++) {
			g.fillStyle = 'hsl(' + (i * 18) + ', 70%, 50%)'; g.fillRect(0, 0, 640, 360);
			g.fillStyle = '#fff'; g.fillRect(40 + i * 20, 140, 80, 80);
			await new Promise((ok) => setTimeout(ok, 50));
		}
		r.stop();
		await done;
		const buf = new Uint8Array(await new Blob(parts, {type: 'video/webm'}).arrayBuffer());
		let bin = ''; for (const x of buf) bin += String.fromCharCode(x);
		return btoa(bin);
	})()`)
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(data) < 100 {
		t.Fatalf("recording a video in the page gave %d bytes: %v", len(data), err)
	}
	path := filepath.Join(t.TempDir(), "clip.webm")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestVideoWithThumbnail: a video sent from the app goes with its first
// frame as a thumbnail (a small JPEG), and the other person's app shows
// it as the video's poster before it plays.
func TestVideoWithThumbnail(t *testing.T) {
	srv := testserver.Start(t)
	b := startBrowser(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	ann, annC, _ := b.signedIn("Ann", "ann@example.com", "Ann", "Lee")
	bob, bobC, bobU := b.signedIn("Bob", "bob@example.com", "Bob", "Stone")
	srv.Befriend(t, annC, bobC)
	first, err := annC.Send(ctx, &client.SendParams{UserID: bobU.ID, Text: "A clip for you"})
	if err != nil {
		t.Fatal(err)
	}
	ann.openChat("Bob Stone")
	clip := recordVideo(t, ann)
	ann.do("attaching the video", chromedp.SetUploadFiles(chromedp.CSS("#attach-input"), []string{clip}))
	ann.click("#attach-send")

	var thumb *client.PhotoSize
	for end := time.Now().Add(step); thumb == nil; time.Sleep(100 * time.Millisecond) {
		ms, err := bobC.History(ctx, client.HistoryParams{ChatID: first.ChatID, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Media != nil && m.Media.Kind == "video" {
				if m.Media.Thumb == nil {
					t.Fatalf("the video came without a thumbnail: %+v", m.Media)
				}
				thumb = m.Media.Thumb
			}
		}
		if thumb == nil && time.Now().After(end) {
			t.Fatal("the video never arrived")
		}
	}
	if thumb.W != 320 || thumb.H != 180 {
		t.Fatalf("the thumbnail is %d×%d, want the first frame at 320×180", thumb.W, thumb.H)
	}
	bob.openChat("Ann Lee")
	bob.wait("the video shows with its poster", `!!document.querySelector('.msg video.video[poster]')?.getAttribute('poster')`)
	bob.wait("the poster loads", `(() => { const v = document.querySelector('.msg video.video[poster]'); if (!v) return false; const i = new Image(); i.src = v.getAttribute('poster'); return i.decode().then(() => i.naturalWidth === 320, () => false); })()`)
}
