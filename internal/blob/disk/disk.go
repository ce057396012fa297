// Package disk is the core.Blobs backend on a local file system, the
// default of a single node.
//
// A blob lives at DIR/ab/cd/<key>, where ab and cd are the first four hex
// digits of its key (so no directory holds more than a few thousand
// entries). Put writes to a temporary file in DIR/tmp (same file system),
// fsyncs it, renames it into place and fsyncs the directory: a crash leaves
// either the whole blob or none of it under its key, and at worst a stray
// temporary file, which New removes once it is a day old. Files are created
// 0600 and directories 0700.
package disk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
)

// staleTemp is how old a temporary file must be for New to remove it: no
// Put runs that long, so it is left over from a crash.
const staleTemp = 24 * time.Hour

// Store keeps blobs under one directory. It is safe for concurrent use,
// also by several processes sharing the directory.
type Store struct {
	dir string
	now func() time.Time
}

var _ core.Blobs = (*Store)(nil)

// New opens (creating if needed) a blob store in dir and removes
// temporary files left over from crashes.
func New(dir string) (*Store, error) {
	s := &Store{dir: dir, now: time.Now}
	if err := os.MkdirAll(s.tmpDir(), 0o700); err != nil {
		return nil, fmt.Errorf("blob/disk: %w", err)
	}
	entries, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return nil, fmt.Errorf("blob/disk: %w", err)
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && s.now().Sub(info.ModTime()) > staleTemp {
			os.Remove(filepath.Join(s.tmpDir(), e.Name()))
		}
	}
	return s, nil
}

func (s *Store) tmpDir() string { return filepath.Join(s.dir, "tmp") }

func (s *Store) path(key string) string {
	return filepath.Join(s.dir, key[:2], key[2:4], key)
}

// Put implements core.Blobs.
func (s *Store) Put(ctx context.Context, r io.Reader, size int64) (string, error) {
	if size < 0 {
		return "", fmt.Errorf("blob/disk: size %d: %w", size, core.ErrBlobSize)
	}
	f, err := os.CreateTemp(s.tmpDir(), "put-*")
	if err != nil {
		return "", fmt.Errorf("blob/disk: %w", err)
	}
	tmp := f.Name()
	committed := false
	defer func() {
		if !committed {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	if err := copyExact(ctx, io.MultiWriter(f, h), r, size); err != nil {
		return "", fmt.Errorf("blob/disk: %w", err)
	}
	key := hex.EncodeToString(h.Sum(nil))
	final := s.path(key)

	// The same bytes are already stored: keep that copy, refresh its time.
	if _, err := os.Stat(final); err == nil {
		now := s.now()
		if err := os.Chtimes(final, now, now); err == nil {
			// The Put that renamed it may not have synced the directory
			// yet; this one promises durability too.
			if err := syncDir(filepath.Dir(final)); err != nil {
				return "", fmt.Errorf("blob/disk: %w", err)
			}
			return key, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("blob/disk: %w", err)
		}
		// Deleted meanwhile: store it again below.
	}

	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("blob/disk: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("blob/disk: %w", err)
	}
	leaf, err := s.mkdirs(key)
	if err != nil {
		return "", fmt.Errorf("blob/disk: %w", err)
	}
	// Rename is atomic: a concurrent Put of the same bytes replaces one
	// complete copy with another.
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("blob/disk: %w", err)
	}
	committed = true
	if err := syncDir(leaf); err != nil {
		return "", fmt.Errorf("blob/disk: %w", err)
	}
	return key, nil
}

// mkdirs creates the two directories of key's path if missing, making
// each new entry durable in its parent, and returns the leaf directory.
func (s *Store) mkdirs(key string) (string, error) {
	parent := s.dir
	for _, part := range []string{key[:2], key[2:4]} {
		d := filepath.Join(parent, part)
		err := os.Mkdir(d, 0o700)
		switch {
		case err == nil:
			if err := syncDir(parent); err != nil {
				return "", err
			}
		case !errors.Is(err, fs.ErrExist):
			return "", err
		}
		parent = d
	}
	return parent, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// copyExact copies exactly size bytes from r to w, checking ctx between
// reads. It fails with core.ErrBlobSize if r ends early or has more to
// give, and with r's or w's error or ctx.Err() otherwise.
func copyExact(ctx context.Context, w io.Writer, r io.Reader, size int64) error {
	n, err := io.CopyN(w, ctxReader{ctx, r}, size)
	if err == io.EOF {
		return fmt.Errorf("got %d bytes, want %d: %w", n, size, core.ErrBlobSize)
	}
	if err != nil {
		return err
	}
	var one [1]byte
	for {
		k, err := ctxReader{ctx, r}.Read(one[:])
		if k > 0 {
			return fmt.Errorf("more than %d bytes: %w", size, core.ErrBlobSize)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// ctxReader fails with ctx's error once ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Stat implements core.Blobs.
func (s *Store) Stat(ctx context.Context, key string) (int64, error) {
	if !core.ValidBlobKey(key) {
		return 0, notFound(key)
	}
	info, err := os.Stat(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, notFound(key)
	}
	if err != nil {
		return 0, fmt.Errorf("blob/disk: %w", err)
	}
	return info.Size(), nil
}

func notFound(key string) error {
	return fmt.Errorf("blob %.16s: %w", key, haven.ErrNotFound)
}

// OpenRange implements core.Blobs.
func (s *Store) OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if !core.ValidBlobKey(key) {
		return nil, notFound(key)
	}
	f, err := os.Open(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound(key)
	}
	if err != nil {
		return nil, fmt.Errorf("blob/disk: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blob/disk: %w", err)
	}
	size := info.Size()
	if offset < 0 || offset > size {
		f.Close()
		return nil, fmt.Errorf("blob/disk: offset %d of %d bytes: %w", offset, size, core.ErrBlobRange)
	}
	if length < 0 || length > size-offset {
		length = size - offset
	}
	return rangeReader{io.NewSectionReader(f, offset, length), f}, nil
}

type rangeReader struct {
	io.Reader
	io.Closer
}

// Delete implements core.Blobs. Empty directories are left in place: a
// concurrent Put may be about to use them.
func (s *Store) Delete(ctx context.Context, key string) error {
	if !core.ValidBlobKey(key) {
		return nil
	}
	err := os.Remove(s.path(key))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob/disk: %w", err)
	}
	return nil
}

// List implements core.Blobs. Keys sort as their paths do, so it walks
// the two directory levels in order and skips those wholly before after.
func (s *Store) List(ctx context.Context, after string, limit int) ([]core.BlobInfo, error) {
	var out []core.BlobInfo
	if limit <= 0 {
		return out, nil
	}
	tops, err := readDirNames(s.dir, 2)
	if err != nil {
		return nil, fmt.Errorf("blob/disk: %w", err)
	}
	for _, a := range tops {
		if a < prefix(after, 0, 2) {
			continue
		}
		subs, err := readDirNames(filepath.Join(s.dir, a), 2)
		if err != nil {
			return nil, fmt.Errorf("blob/disk: %w", err)
		}
		for _, b := range subs {
			if a+b < prefix(after, 0, 4) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			leaf := filepath.Join(s.dir, a, b)
			names, err := readDirNames(leaf, 64)
			if err != nil {
				return nil, fmt.Errorf("blob/disk: %w", err)
			}
			for _, k := range names {
				if k <= after || !core.ValidBlobKey(k) || !strings.HasPrefix(k, a+b) {
					continue
				}
				info, err := os.Stat(filepath.Join(leaf, k))
				if errors.Is(err, fs.ErrNotExist) {
					continue // deleted meanwhile
				}
				if err != nil {
					return nil, fmt.Errorf("blob/disk: %w", err)
				}
				out = append(out, core.BlobInfo{Key: k, Size: info.Size(), ModTime: info.ModTime()})
				if len(out) == limit {
					return out, nil
				}
			}
		}
	}
	return out, nil
}

// prefix returns after[i:j], or as much of it as there is.
func prefix(s string, i, j int) string {
	if len(s) < j {
		j = len(s)
	}
	if i > j {
		return ""
	}
	return s[i:j]
}

// readDirNames returns the sorted names of dir's entries that are n
// lowercase hex digits long (others, like tmp, are not blobs). A missing
// directory has none.
func readDirNames(dir string, n int) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if name := e.Name(); len(name) == n && isHex(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
