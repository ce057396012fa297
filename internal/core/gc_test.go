package core_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/blob/disk"
	"github.com/havenchat/haven/internal/core"
)

// rePutBlobs is a disk store that, once, Puts some bytes again right after
// a List returns: the page then shows the old ModTime while the blob has
// just been refreshed, as when an upload of the same bytes lands while
// the collector works through a page.
type rePutBlobs struct {
	*disk.Store
	mu    sync.Mutex
	again []byte
}

func (b *rePutBlobs) List(ctx context.Context, after string, limit int) ([]core.BlobInfo, error) {
	page, err := b.Store.List(ctx, after, limit)
	b.mu.Lock()
	again := b.again
	b.again = nil
	b.mu.Unlock()
	if again != nil {
		if _, err := b.Store.Put(ctx, bytes.NewReader(again), int64(len(again))); err != nil {
			return nil, err
		}
	}
	return page, err
}

// blobService is a node with blobs and a grace period of one hour.
func blobService(t *testing.T, st core.Store, clock core.Clock, blobs core.Blobs) *core.Service {
	t.Helper()
	svc, err := core.New(core.Config{
		Store:     st,
		Codes:     &codeBox{last: map[string]string{}},
		Passwords: fastPasswords(),
		Clock:     clock,
		Secret:    make([]byte, 32),
		Blobs:     blobs,
		BlobGrace: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestCollectBlobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t)
	dir := t.TempDir()
	ds, err := disk.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	blobs := &rePutBlobs{Store: ds}
	clock := &fixedClock{t: time.Now()}
	newNode := func() *core.Service { return blobService(t, st, clock, blobs) }
	put := func(s string, age time.Duration) string {
		t.Helper()
		key, err := ds.Put(ctx, bytes.NewReader([]byte(s)), int64(len(s)))
		if err != nil {
			t.Fatal(err)
		}
		if age > 0 {
			old := clock.t.Add(-age)
			if err := os.Chtimes(filepath.Join(dir, key[:2], key[2:4], key), old, old); err != nil {
				t.Fatal(err)
			}
		}
		return key
	}
	file := func(key string, created time.Time) int64 {
		t.Helper()
		f := &core.File{BlobKey: key, Size: 1, Name: "f", MIME: "text/plain", SHA256: key, UploaderID: 1, CreatedAt: created}
		if err := st.Update(ctx, func(tx core.Tx) error { return tx.CreateFile(ctx, f) }); err != nil {
			t.Fatal(err)
		}
		return f.ID
	}
	upload := func(partKey string, finishedAs int64) {
		t.Helper()
		u := &core.Upload{UserID: 1, Size: 1, PartSize: 1, Parts: 1, Name: "u", CreatedAt: clock.t.Add(-3 * time.Hour), ExpiresAt: clock.t.Add(time.Hour)}
		err := st.Update(ctx, func(tx core.Tx) error {
			if err := tx.CreateUpload(ctx, u); err != nil {
				return err
			}
			if err := tx.PutUploadPart(ctx, u.ID, core.UploadPart{Part: 0, BlobKey: partKey, Size: 1}); err != nil {
				return err
			}
			if finishedAs != 0 {
				return tx.FinishUpload(ctx, u.ID, finishedAs)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	referenced := put("referenced by a file", 2*time.Hour)
	carried := file(referenced, clock.t.Add(-2*time.Hour))
	// A message carries the file, or the collector would delete its row.
	if err := st.Update(ctx, func(tx core.Tx) error { return tx.AddMessageFiles(ctx, 1, 1, []int64{carried}) }); err != nil {
		t.Fatal(err)
	}
	young := put("unreferenced, young", 30*time.Minute)
	old := put("unreferenced, old", 2*time.Hour)
	rePut := put("old, then Put again", 2*time.Hour)
	put("old, then Put again", 0)
	racing := put("old, Put again during the collection", 2*time.Hour)
	blobs.again = []byte("old, Put again during the collection")
	pending := put("a part of an unfinished upload", 2*time.Hour)
	upload(pending, 0)
	donePart := put("a part of an upload finished long ago", 2*time.Hour)
	upload(donePart, file(referenced, clock.t.Add(-2*time.Hour)))
	recentPart := put("a part of an upload finished just now", 2*time.Hour)
	upload(recentPart, file(referenced, clock.t.Add(-time.Minute)))

	n, err := newNode().CollectBlobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("CollectBlobs deleted %d blobs, want 2", n)
	}

	for name, c := range map[string]struct {
		key  string
		kept bool
	}{
		"referenced":           {referenced, true},
		"young":                {young, true},
		"old":                  {old, false},
		"re-Put":               {rePut, true},
		"re-Put while listing": {racing, true},
		"pending part":         {pending, true},
		"finished part":        {donePart, false},
		"just finished part":   {recentPart, true},
	} {
		_, err := ds.Stat(ctx, c.key)
		switch {
		case c.kept && err != nil:
			t.Errorf("%s blob: %v, want kept", name, err)
		case !c.kept && !errors.Is(err, haven.ErrNotFound):
			t.Errorf("%s blob: Stat = %v, want deleted", name, err)
		}
	}

	// Two hours on, the young blobs are old and go too, the part of the
	// recently finished upload with them. Two nodes collect at once: they
	// agree, and neither fails.
	clock.t = clock.t.Add(2 * time.Hour)
	var wg sync.WaitGroup
	counts := make([]int, 2)
	errs := make([]error, 2)
	for i, svc := range []*core.Service{newNode(), newNode()} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[i], errs[i] = svc.CollectBlobs(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// young, rePut, racing and recentPart; a blob both nodes deleted at
	// once counts twice.
	if counts[0]+counts[1] < 4 {
		t.Errorf("the nodes deleted %v blobs, want 4 between them", counts)
	}
	for _, k := range []string{young, rePut, racing, recentPart} {
		if _, err := ds.Stat(ctx, k); !errors.Is(err, haven.ErrNotFound) {
			t.Errorf("blob %.8s…: Stat = %v, want deleted", k, err)
		}
	}
	for _, k := range []string{referenced, pending} {
		if _, err := ds.Stat(ctx, k); err != nil {
			t.Errorf("blob %.8s… gone: %v", k, err)
		}
	}
}
