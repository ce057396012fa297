package admin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/store/sqlite"
)

// A backup is a directory:
//
//	backup.json        the manifest, written last: a backup without it is
//	                   unfinished
//	haven.db           a consistent snapshot of the database
//	keys/NAME          every key the server declares (config.KeyFiles)
//	blobs/ab/cd/KEY    the uploaded files, with disk blob storage
//
// The search index is not in it: it is derived from the database, and
// the restored server rebuilds it as it starts.
const (
	manifestFile   = "backup.json"
	keysDir        = "keys"
	blobsDir       = "blobs"
	manifestFormat = 1
)

// Manifest describes a backup.
type Manifest struct {
	Format    int       `json:"format"`
	CreatedAt time.Time `json:"created_at"`
	Database  FileSum   `json:"database"`
	Keys      []FileSum `json:"keys"`
	// BlobStore is where the server kept uploaded files: "disk" (they are
	// in the backup) or "s3" (they are in the bucket, not here).
	BlobStore string `json:"blob_store"`
	Blobs     int    `json:"blobs"`
	BlobBytes int64  `json:"blob_bytes"`
}

// FileSum is a file of a backup with its size and SHA-256.
type FileSum struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Backup copies the server's data, as cfg places it, into dir (which must
// be new or empty), while the server may be running: first a snapshot of
// the database, then the blobs and the keys. The blobs may be copied
// after the snapshot because they are content-addressed and the
// collector keeps a blob for an hour after anything stops referring to
// it, so every blob the snapshot refers to is still there while it is
// copied (blobs newer than the snapshot come along and are collected
// after a restore).
func Backup(ctx context.Context, cfg *config.Serve, dir string) (*Manifest, error) {
	src := filepath.Join(cfg.DataDir, dbFile)
	if _, err := os.Stat(src); err != nil {
		return nil, fmt.Errorf("no Haven database in %s (%v): give the server's --data-dir or --config", cfg.DataDir, err)
	}
	if err := emptyDir(dir); err != nil {
		return nil, err
	}
	m := &Manifest{Format: manifestFormat, CreatedAt: time.Now().UTC().Truncate(time.Second), BlobStore: cfg.BlobStore}
	dbCopy := filepath.Join(dir, dbFile)
	if err := sqlite.Snapshot(ctx, src, dbCopy); err != nil {
		return nil, err
	}
	sum, err := sumFile(dbCopy)
	if err != nil {
		return nil, err
	}
	sum.Name = dbFile
	m.Database = sum

	if cfg.BlobStore == config.BlobStoreDisk {
		if m.Blobs, m.BlobBytes, err = copyBlobs(ctx, filepath.Join(cfg.DataDir, blobsDir), filepath.Join(dir, blobsDir), false); err != nil {
			return nil, err
		}
	}

	if err := os.Mkdir(filepath.Join(dir, keysDir), 0o700); err != nil {
		return nil, err
	}
	for _, k := range cfg.KeyFiles() {
		sum, err := copyFile(k.Path, filepath.Join(dir, keysDir, k.Name), time.Time{})
		if err != nil {
			return nil, fmt.Errorf("the key %s: %w (the server cannot run without it)", k.Name, err)
		}
		sum.Name = k.Name
		m.Keys = append(m.Keys, sum)
	}
	if err := syncDir(filepath.Join(dir, keysDir)); err != nil {
		return nil, err
	}

	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeFileSync(filepath.Join(dir, manifestFile), append(b, '\n')); err != nil {
		return nil, err
	}
	return m, syncDir(dir)
}

// Restore puts the backup in dir into the data directory cfg names,
// which must be new or empty (and every key's place free), then opens
// the database as the server will, which brings its schema up to this
// binary's (a backup of a newer Haven is refused) and rebuilds the search
// index. Every file is checked against the manifest; should anything
// fail, what Restore wrote is removed.
func Restore(ctx context.Context, cfg *config.Serve, dir string) (m *Manifest, err error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err != nil {
		return nil, fmt.Errorf("%s is not a finished Haven backup: %w", dir, err)
	}
	m = new(Manifest)
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("%s: %w", manifestFile, err)
	}
	if m.Format != manifestFormat {
		return nil, fmt.Errorf("%s: backup format %d, this binary reads %d: use the Haven that made it", manifestFile, m.Format, manifestFormat)
	}
	if m.Blobs > 0 && cfg.BlobStore != config.BlobStoreDisk {
		return nil, fmt.Errorf("the backup holds %d uploaded files, and these settings keep files in %s: restore with blob-store disk", m.Blobs, cfg.BlobStore)
	}
	keys := make(map[string]config.KeyFile)
	for _, k := range cfg.KeyFiles() {
		keys[k.Name] = k
	}
	for _, k := range m.Keys {
		if _, ok := keys[k.Name]; !ok {
			return nil, fmt.Errorf("the backup holds a key %s this binary does not know: use the Haven that made it", k.Name)
		}
	}

	// The target: a new or empty data directory, free key files.
	made := false
	if _, err := os.Stat(cfg.DataDir); errors.Is(err, fs.ErrNotExist) {
		made = true
	} else if err := emptyDir(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("restoring into %s: %w", cfg.DataDir, err)
	}
	for _, k := range cfg.KeyFiles() {
		if _, err := os.Lstat(k.Path); err == nil {
			return nil, fmt.Errorf("restoring the key %s: %s exists: restore into a new server, not over one", k.Name, k.Path)
		}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	var wroteKeys []string
	defer func() {
		if err == nil {
			return
		}
		for _, p := range wroteKeys {
			os.Remove(p)
		}
		if made {
			os.RemoveAll(cfg.DataDir)
		} else if entries, rerr := os.ReadDir(cfg.DataDir); rerr == nil {
			for _, e := range entries {
				os.RemoveAll(filepath.Join(cfg.DataDir, e.Name()))
			}
		}
	}()

	if err := restoreFile(filepath.Join(dir, dbFile), filepath.Join(cfg.DataDir, dbFile), m.Database); err != nil {
		return nil, err
	}
	for _, k := range m.Keys {
		target := keys[k.Name].Path
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return nil, err
		}
		wroteKeys = append(wroteKeys, target)
		if err := restoreFile(filepath.Join(dir, keysDir, k.Name), target, k); err != nil {
			return nil, err
		}
		if err := syncDir(filepath.Dir(target)); err != nil {
			return nil, err
		}
	}
	if m.Blobs > 0 {
		n, size, err := copyBlobs(ctx, filepath.Join(dir, blobsDir), filepath.Join(cfg.DataDir, blobsDir), true)
		if err != nil {
			return nil, err
		}
		if n != m.Blobs || size != m.BlobBytes {
			return nil, fmt.Errorf("the backup's blobs: %d files of %d bytes, the manifest says %d of %d", n, size, m.Blobs, m.BlobBytes)
		}
	}
	if err := syncDir(cfg.DataDir); err != nil {
		return nil, err
	}
	// Open it as the server will: migrations and the search index now,
	// and a database this binary cannot run is refused before anyone
	// relies on it.
	st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, dbFile), nil)
	if err != nil {
		return nil, err
	}
	if err := st.WaitSearchIndexed(ctx); err != nil {
		st.Close()
		return nil, err
	}
	if err := st.Close(); err != nil {
		return nil, err
	}
	return m, nil
}

// emptyDir makes sure dir is an empty directory, making it if need be.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is not empty: give a new or empty directory", dir)
	}
	return nil
}

// restoreFile copies a file of the backup and checks it against the
// manifest.
func restoreFile(src, dst string, want FileSum) error {
	got, err := copyFile(src, dst, time.Time{})
	if err != nil {
		return err
	}
	if got.Size != want.Size || got.SHA256 != want.SHA256 {
		return fmt.Errorf("%s does not match the backup's manifest (%d bytes, SHA-256 %s; want %d, %s): the backup is damaged", src, got.Size, got.SHA256, want.Size, want.SHA256)
	}
	return nil
}

// copyBlobs copies the blob tree under src (ab/cd/KEY files) to dst,
// keeping each blob's modification time (the collector's clock), and
// returns how many it copied and their bytes. The blob store's tmp
// directory and any other stray file are left out. A blob that vanishes
// while it is listed was collected: it is skipped. With verify, each
// blob's SHA-256 must be its name.
func copyBlobs(ctx context.Context, src, dst string, verify bool) (int, int64, error) {
	count, total := 0, int64(0)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel == "tmp" {
				return filepath.SkipDir
			}
			return nil
		}
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) != 3 || !isBlobKey(parts[2]) || parts[0] != parts[2][:2] || parts[1] != parts[2][2:4] {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return err
		}
		sum, err := copyFile(path, target, info.ModTime())
		if errors.Is(err, fs.ErrNotExist) {
			return nil // collected meanwhile
		}
		if err != nil {
			return err
		}
		if verify && sum.SHA256 != parts[2] {
			return fmt.Errorf("blob %s: its bytes have SHA-256 %s: the backup is damaged", parts[2], sum.SHA256)
		}
		count++
		total += sum.Size
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("copying the blobs: %w", err)
	}
	// The directories' entries must be durable too.
	err = filepath.WalkDir(dst, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return syncDir(path)
		}
		return nil
	})
	return count, total, err
}

// isBlobKey reports whether name is a blob's key: 64 lower-case hex
// digits.
func isBlobKey(name string) bool {
	if len(name) != 64 {
		return false
	}
	_, err := hex.DecodeString(name)
	return err == nil && strings.ToLower(name) == name
}

// copyFile copies src to dst (a new file, mode 0600), syncs it, gives it
// the modification time mtime unless zero, and returns its size and
// SHA-256.
func copyFile(src, dst string, mtime time.Time) (FileSum, error) {
	in, err := os.Open(src)
	if err != nil {
		return FileSum{}, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return FileSum{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && !mtime.IsZero() {
		err = os.Chtimes(dst, mtime, mtime)
	}
	if err != nil {
		return FileSum{}, fmt.Errorf("copying %s: %w", src, err)
	}
	return FileSum{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// sumFile returns the size and SHA-256 of a file.
func sumFile(path string) (FileSum, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileSum{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return FileSum{}, err
	}
	return FileSum{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// writeFileSync writes a new file and syncs it.
func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a directory's entries durable.
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

func backupCmd(ctx context.Context, r *run, args []string) int {
	pos, code, done := r.parse(args, 1, 1, "the directory to back up into (new or empty)")
	if done {
		return code
	}
	cfg, err := r.settings()
	if err != nil {
		return r.fail(err)
	}
	start := time.Now()
	m, err := Backup(ctx, cfg, pos[0])
	if err != nil {
		return r.fail(err)
	}
	fmt.Fprintf(r.stdout, "Backed up %s into %s in %v:\n", cfg.DataDir, pos[0], time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(r.stdout, "  the database, %s (a consistent snapshot; the search index is rebuilt after a restore)\n", size(m.Database.Size))
	if m.BlobStore == config.BlobStoreDisk {
		fmt.Fprintf(r.stdout, "  %d blobs (the bytes of uploaded files and of parts of uploads), %s\n", m.Blobs, size(m.BlobBytes))
	} else {
		fmt.Fprintf(r.stdout, "  no uploaded files: they are in the S3 bucket; back it up with the bucket's own tools\n")
	}
	var names []string
	for _, k := range m.Keys {
		names = append(names, k.Name)
	}
	fmt.Fprintf(r.stdout, "  the keys: %s\nIt holds secrets and personal data: keep it as safe as the server.\n", strings.Join(names, ", "))
	return 0
}

func restoreCmd(ctx context.Context, r *run, args []string) int {
	pos, code, done := r.parse(args, 1, 1, "the backup's directory")
	if done {
		return code
	}
	cfg, err := r.settings()
	if err != nil {
		return r.fail(err)
	}
	m, err := Restore(ctx, cfg, pos[0])
	if err != nil {
		return r.fail(err)
	}
	fmt.Fprintf(r.stdout, "Restored the backup of %s from %s into %s (%d blobs).\nStart the server on it (systemctl start haven, or haven serve with the same settings as this command).\n",
		m.CreatedAt.Format(time.RFC3339), pos[0], cfg.DataDir, m.Blobs)
	return 0
}

// size shows a byte count in the largest binary unit it reaches.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
