package core

import (
	"context"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/havenchat/haven"
	"golang.org/x/crypto/chacha20poly1305"
)

// Files are uploaded in parts (StartUpload, PutPart, FinishUpload), each
// part a blob as soon as it arrives, so that any node can take the next
// part or finish the upload; finishing streams the parts, in order, into
// one blob while checking the SHA-256 the client names. Downloads go
// through OpenFile, authorized by a session that may read the file or by
// a short-lived signed URL (FileURL) made for one person, who must still
// be able to read the file when it is fetched.
//
// What one person may keep is bounded when an upload starts: a storage
// quota (Limits.StorageQuota) on their files and the declared sizes of
// their open uploads, and a number of open uploads (Limits.OpenUploadsMax).
// An upload not finished in time (Limits.UploadTTL) is discarded by
// ExpireUploads, and its parts' blobs by the collector.

const (
	partSizeUnit   = 1 << 10          // part sizes are multiples of 1 KiB
	fileNameMax    = 255              // characters
	expireBatch    = 100              // uploads removed per transaction
	missingListMax = 10               // missing parts named in an error
	sniffLen       = 512              // bytes http.DetectContentType looks at
	defaultName    = "file"           // a file sent without a name
	signedURLLabel = "haven file url" // separates the URL key from other uses of the secret
)

// UploadView is an upload as the API shows it.
type UploadView struct {
	UploadID  int64
	Size      int64
	PartSize  int64
	Parts     int
	ExpiresAt int64 // unix seconds
}

// UploadStatusView is an upload and the parts received so far.
type UploadStatusView struct {
	UploadView
	Received []int // part numbers, ascending
}

// FileView is a stored file as the API shows it.
type FileView struct {
	ID     int64
	Size   int64
	Name   string
	MIME   string
	SHA256 string
}

// FileURLView is a signed download URL: a full URL on the server's public
// address, or a path when the server does not know it.
type FileURLView struct {
	URL       string
	ExpiresAt int64 // unix seconds
}

func fileView(f *File) *FileView {
	return &FileView{ID: f.ID, Size: f.Size, Name: f.Name, MIME: f.MIME, SHA256: f.SHA256}
}

func uploadView(u *Upload) UploadView {
	return UploadView{UploadID: u.ID, Size: u.Size, PartSize: u.PartSize, Parts: u.Parts, ExpiresAt: u.ExpiresAt.Unix()}
}

func errNoBlobs() error {
	return haven.Errorf(haven.CodeUnavailable, "this server does not store files")
}

func errUploadNotFound(id int64) error {
	return haven.Errorf(haven.CodeUploadNotFound, "there is no upload %d in progress", id)
}

func errFileNotFound(id int64) error {
	return haven.Errorf(haven.CodeFileNotFound, "there is no file %d", id)
}

// cleanFileName keeps the last path element of name, without control
// characters, trimmed, at most fileNameMax characters; "" becomes "file".
func cleanFileName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base("/" + name)
	name = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || r == '/' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > fileNameMax {
		name = string([]rune(name)[:fileNameMax])
	}
	if name == "" || name == "." || name == ".." {
		return defaultName
	}
	return name
}

// StartUpload begins an upload of size bytes in parts of partSize bytes
// (0 for the largest, 512 KiB). It counts against the actor's storage
// quota from now: their usage is the bytes of the files they uploaded
// (each distinct blob once, the smaller copies the server made of their
// photos included) plus the declared sizes of their open uploads, and
// usage plus size may not pass the quota.
//
// Errors: FILE_SIZE_INVALID (size < 1), FILE_TOO_LARGE, FILE_PART_SIZE_INVALID
// (not a multiple of 1 KiB, or over 512 KiB), UPLOADS_TOO_MANY (as many
// open uploads as allowed), QUOTA_EXCEEDED (the message gives the bytes
// used, asked and allowed), UNAVAILABLE (no blob storage).
func (s *Service) StartUpload(ctx context.Context, a *Actor, size, partSize int64, name string) (*UploadView, error) {
	if s.blobs == nil {
		return nil, errNoBlobs()
	}
	if size < 1 {
		return nil, haven.Errorf(haven.CodeFileSizeInvalid, "a file has at least 1 byte")
	}
	if size > s.limits.FileMax {
		return nil, haven.Errorf(haven.CodeFileTooLarge, "a file has at most %d bytes", s.limits.FileMax)
	}
	if partSize == 0 {
		partSize = s.limits.FilePartMax
	}
	if partSize < 0 || partSize%partSizeUnit != 0 || partSize > s.limits.FilePartMax {
		return nil, haven.Errorf(haven.CodeFilePartSizeInvalid, "the part size must be a multiple of %d bytes, at most %d", partSizeUnit, s.limits.FilePartMax)
	}
	now := s.now()
	u := &Upload{
		UserID: a.UserID, Size: size, PartSize: partSize, Parts: int((size + partSize - 1) / partSize),
		Name: cleanFileName(name), CreatedAt: now, ExpiresAt: now.Add(s.limits.UploadTTL),
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		// Checked in the writer, so that uploads started at once are
		// counted one after another.
		use, err := tx.StorageUsage(ctx, a.UserID, now)
		if err != nil {
			return err
		}
		if use.OpenUploads >= s.limits.OpenUploadsMax {
			return haven.Errorf(haven.CodeUploadsTooMany, "%d uploads are unfinished, the most one may have: finish them, or wait for them to expire", use.OpenUploads)
		}
		if q := s.limits.StorageQuota; q > 0 {
			if used := use.FileBytes + use.OpenBytes; used+size > q {
				return haven.Errorf(haven.CodeQuotaExceeded, "the storage quota is %d bytes: %d are used (%d in files, %d in unfinished uploads) and %d more were asked", q, used, use.FileBytes, use.OpenBytes, size)
			}
		}
		return tx.CreateUpload(ctx, u)
	})
	if err != nil {
		return nil, s.internal(ctx, "files.startUpload", err)
	}
	v := uploadView(u)
	return &v, nil
}

// openUpload returns the actor's unfinished, unexpired upload.
func (s *Service) openUpload(ctx context.Context, a *Actor, id int64) (*Upload, error) {
	u, err := s.store.UploadByID(ctx, id)
	if errors.Is(err, haven.ErrNotFound) || (err == nil && (u.UserID != a.UserID || u.FileID != 0)) {
		return nil, errUploadNotFound(id)
	}
	if err != nil {
		return nil, s.internal(ctx, "upload", err)
	}
	if !s.now().Before(u.ExpiresAt) {
		return nil, haven.Errorf(haven.CodeUploadExpired, "upload %d expired: start again", id)
	}
	return u, nil
}

// partLen is how many bytes part must have.
func partLen(u *Upload, part int) int64 {
	if part == u.Parts-1 {
		return u.Size - u.PartSize*int64(u.Parts-1)
	}
	return u.PartSize
}

// PutPart stores part number part (from 0) of an upload: n bytes read
// from r, streamed into blob storage. Sending a part again replaces it.
//
// Errors: FILE_PART_TOO_BIG (n over 512 KiB), UPLOAD_NOT_FOUND, UPLOAD_EXPIRED,
// FILE_PART_INVALID (part outside the upload), FILE_PART_SIZE_INVALID (n is
// not the part's length, or r yields a different count), UNAVAILABLE.
func (s *Service) PutPart(ctx context.Context, a *Actor, uploadID int64, part int, r io.Reader, n int64) error {
	if s.blobs == nil {
		return errNoBlobs()
	}
	if n > s.limits.FilePartMax {
		return haven.Errorf(haven.CodeFilePartTooBig, "a part has at most %d bytes", s.limits.FilePartMax)
	}
	u, err := s.openUpload(ctx, a, uploadID)
	if err != nil {
		return err
	}
	if part < 0 || part >= u.Parts {
		return haven.Errorf(haven.CodeFilePartInvalid, "upload %d has parts 0 to %d", u.ID, u.Parts-1)
	}
	if want := partLen(u, part); n != want {
		return haven.Errorf(haven.CodeFilePartSizeInvalid, "part %d must have %d bytes, not %d", part, want, n)
	}
	key, err := s.blobs.Put(ctx, r, n)
	if errors.Is(err, ErrBlobSize) || errors.Is(err, io.ErrUnexpectedEOF) {
		return haven.Errorf(haven.CodeFilePartSizeInvalid, "part %d must have %d bytes", part, n)
	}
	if err != nil {
		return s.internal(ctx, "files.putPart", err)
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		return tx.PutUploadPart(ctx, u.ID, UploadPart{Part: part, BlobKey: key, Size: n})
	})
	if errors.Is(err, haven.ErrNotFound) {
		return errUploadNotFound(uploadID)
	}
	return s.internal(ctx, "files.putPart", err)
}

// UploadStatus returns an upload and the parts received so far, so that a
// client that lost its connection sends only the missing ones.
//
// Errors: UPLOAD_NOT_FOUND, UPLOAD_EXPIRED, UNAVAILABLE.
func (s *Service) UploadStatus(ctx context.Context, a *Actor, uploadID int64) (*UploadStatusView, error) {
	if s.blobs == nil {
		return nil, errNoBlobs()
	}
	u, err := s.openUpload(ctx, a, uploadID)
	if err != nil {
		return nil, err
	}
	parts, err := s.store.UploadParts(ctx, u.ID)
	if err != nil {
		return nil, s.internal(ctx, "files.uploadStatus", err)
	}
	v := &UploadStatusView{UploadView: uploadView(u), Received: make([]int, 0, len(parts))}
	for _, p := range parts {
		v.Received = append(v.Received, p.Part)
	}
	return v, nil
}

// FinishUpload joins the parts of an upload into one file, checking that
// the client counts parts parts and that the bytes have SHA-256 sha256hex.
// On a mismatch the upload stays, so the client may re-send parts, and
// nothing is stored of the joined bytes; the upload remembers the SHA-256
// its parts had, so that a finish repeated before any part changes
// answers at once, without reading the parts again.
//
// Errors: UPLOAD_NOT_FOUND, UPLOAD_EXPIRED, FILE_PARTS_INVALID (parts is not
// the upload's count), PARAM_INVALID (not a hex SHA-256), FILE_PARTS_MISSING
// (the message names some), FILE_HASH_MISMATCH, UNAVAILABLE.
func (s *Service) FinishUpload(ctx context.Context, a *Actor, uploadID int64, parts int, sha256hex string) (*FileView, error) {
	if s.blobs == nil {
		return nil, errNoBlobs()
	}
	u, err := s.openUpload(ctx, a, uploadID)
	if err != nil {
		return nil, err
	}
	if parts != u.Parts {
		return nil, haven.Errorf(haven.CodeFilePartsInvalid, "upload %d has %d parts, not %d", u.ID, u.Parts, parts)
	}
	sha256hex = strings.ToLower(sha256hex)
	if !ValidBlobKey(sha256hex) {
		return nil, haven.Errorf(haven.CodeParamInvalid, "sha256 must be 64 hex digits")
	}
	got, err := s.store.UploadParts(ctx, u.ID)
	if err != nil {
		return nil, s.internal(ctx, "files.finishUpload", err)
	}
	byNum := make([]*UploadPart, u.Parts)
	for i := range got {
		if p := &got[i]; p.Part >= 0 && p.Part < u.Parts && p.Size == partLen(u, p.Part) {
			byNum[p.Part] = p
		}
	}
	var missing []string
	count := 0
	for i, p := range byNum {
		if p == nil {
			count++
			if len(missing) < missingListMax {
				missing = append(missing, strconv.Itoa(i))
			}
		}
	}
	if count > 0 {
		more := ""
		if count > len(missing) {
			more = fmt.Sprintf(" and %d more", count-len(missing))
		}
		return nil, haven.Errorf(haven.CodeFilePartsMissing, "%d parts are missing: %s%s", count, strings.Join(missing, ", "), more)
	}

	mismatch := haven.Errorf(haven.CodeFileHashMismatch, "the parts do not have the SHA-256 given: re-send them")
	digest := partsDigest(byNum)
	if u.PartsDigest == digest && u.PartsSHA256 != sha256hex {
		return nil, mismatch // these very parts were read, and had another hash
	}
	sum := sha256.New()
	head := &prefix{max: sniffLen}
	body := &hashCheck{
		r:    io.TeeReader(&partsReader{ctx: ctx, blobs: s.blobs, parts: byNum}, io.MultiWriter(sum, head)),
		sum:  sum,
		left: u.Size,
		want: sha256hex,
	}
	key, err := s.blobs.Put(ctx, body, u.Size)
	if errors.Is(err, errHashMismatch) {
		// Put stored nothing. Remember what these parts hash to.
		got := hex.EncodeToString(sum.Sum(nil))
		err := s.store.Update(ctx, func(tx Tx) error { return tx.SetUploadCheck(ctx, u.ID, digest, got) })
		if err != nil && !errors.Is(err, haven.ErrNotFound) {
			s.log.WarnContext(ctx, "remembering an upload's hash failed", "upload", u.ID, "err", err)
		}
		return nil, mismatch
	}
	if err != nil {
		return nil, s.internal(ctx, "files.finishUpload", err)
	}
	f := &File{
		BlobKey: key, Size: u.Size, Name: u.Name, MIME: http.DetectContentType(head.b),
		SHA256: sha256hex, UploaderID: a.UserID, CreatedAt: s.now(),
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		cur, err := tx.UploadByID(ctx, u.ID)
		if err != nil {
			return err
		}
		if cur.FileID != 0 {
			return haven.ErrNotFound // finished meanwhile by another request
		}
		if err := tx.CreateFile(ctx, f); err != nil {
			return err
		}
		return tx.FinishUpload(ctx, u.ID, f.ID)
	})
	if errors.Is(err, haven.ErrNotFound) {
		return nil, errUploadNotFound(uploadID)
	}
	if err != nil {
		return nil, s.internal(ctx, "files.finishUpload", err)
	}
	return fileView(f), nil
}

// partsDigest names a set of parts: their numbers, blob keys (the
// SHA-256 of each part) and sizes, hashed. The same digest means the same
// bytes.
func partsDigest(parts []*UploadPart) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d %s %d\n", p.Part, p.BlobKey, p.Size)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// errHashMismatch is hashCheck's error: the bytes do not have the hash
// wanted.
var errHashMismatch = errors.New("the bytes do not have the SHA-256 wanted")

// hashCheck reads r, whose bytes sum hashes as they are read, and once
// left bytes are read fails that read and every later one if their
// SHA-256 is not want: so that Blobs.Put, which reads to the end,
// stores nothing of bytes that will be refused.
type hashCheck struct {
	r    io.Reader
	sum  hash.Hash
	left int64
	want string
	err  error
}

func (c *hashCheck) Read(b []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(b)
	if n > 0 && c.left > 0 {
		c.left -= int64(n)
		if c.left <= 0 && hex.EncodeToString(c.sum.Sum(nil)) != c.want {
			c.err = errHashMismatch
			return n, c.err
		}
	}
	return n, err
}

// prefix keeps the first max bytes written to it.
type prefix struct {
	b   []byte
	max int
}

func (p *prefix) Write(b []byte) (int, error) {
	if room := p.max - len(p.b); room > 0 {
		p.b = append(p.b, b[:min(room, len(b))]...)
	}
	return len(b), nil
}

// partsReader reads the parts' blobs one after another, opening each only
// when the one before is done.
type partsReader struct {
	ctx   context.Context
	blobs Blobs
	parts []*UploadPart
	cur   io.ReadCloser
}

func (r *partsReader) Read(b []byte) (int, error) {
	for {
		if r.cur == nil {
			if len(r.parts) == 0 {
				return 0, io.EOF
			}
			rc, err := r.blobs.OpenRange(r.ctx, r.parts[0].BlobKey, 0, -1)
			if err != nil {
				return 0, fmt.Errorf("part %d: %w", r.parts[0].Part, err)
			}
			r.cur, r.parts = rc, r.parts[1:]
		}
		n, err := r.cur.Read(b)
		if err == io.EOF {
			r.cur.Close()
			r.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

// ExpireUploads removes the unfinished uploads whose time is up (their
// rows only: the parts' blobs are left to the blob collector) and
// reports how many.
func (s *Service) ExpireUploads(ctx context.Context) (int, error) {
	total := 0
	for {
		ids, err := s.store.ExpiredUploads(ctx, s.now(), expireBatch)
		if err != nil {
			return total, err
		}
		if len(ids) == 0 {
			return total, nil
		}
		err = s.store.Update(ctx, func(tx Tx) error {
			for _, id := range ids {
				if err := tx.DeleteUpload(ctx, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += len(ids)
		if len(ids) < expireBatch {
			return total, nil
		}
	}
}

// canRead reports whether userID may fetch f: its uploader, and anyone
// who can see a message carrying it (or one of its sizes or thumbnail),
// or a profile or chat photo made of it (canReadPhoto).
func (s *Service) canRead(ctx context.Context, userID int64, f *File) (bool, error) {
	if userID == f.UploaderID {
		return true, nil
	}
	ok, err := s.store.FileVisibleTo(ctx, userID, f.ID)
	if err != nil || ok {
		return ok, err
	}
	return s.canReadPhoto(ctx, &Actor{UserID: userID}, f.ID)
}

// readableFile returns file id if a's person may read it, else
// FILE_NOT_FOUND (which does not tell whether it exists); without a
// session, FILE_NOT_FOUND.
func (s *Service) readableFile(ctx context.Context, a *Actor, id int64) (*File, error) {
	if !a.SignedIn() {
		return nil, errFileNotFound(id)
	}
	return s.readableBy(ctx, a.UserID, id)
}

// readableBy returns file id if userID may read it, else FILE_NOT_FOUND.
func (s *Service) readableBy(ctx context.Context, userID, id int64) (*File, error) {
	f, err := s.store.FileByID(ctx, id)
	if errors.Is(err, haven.ErrNotFound) {
		return nil, errFileNotFound(id)
	}
	if err != nil {
		return nil, s.internal(ctx, "file", err)
	}
	ok, err := s.canRead(ctx, userID, f)
	if err != nil {
		return nil, s.internal(ctx, "file", err)
	}
	if !ok {
		return nil, errFileNotFound(id)
	}
	return f, nil
}

// GetFile returns what is known of a file a may read.
// Errors: FILE_NOT_FOUND, UNAVAILABLE.
func (s *Service) GetFile(ctx context.Context, a *Actor, id int64) (*FileView, error) {
	if s.blobs == nil {
		return nil, errNoBlobs()
	}
	f, err := s.readableFile(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return fileView(f), nil
}

// Signed URLs. The sig parameter seals the id of the person the URL was
// made for (XChaCha20-Poly1305, under a key derived from the server's
// secret, with the file id and the expiry as associated data): the
// server learns from it whom to check, at each fetch, for the right to
// read the file, while whoever sees the URL learns nothing of who asked
// for it. The nonce is random; at 24 bytes, repeats are not a concern
// however many URLs a server makes.

// newFileURLAEAD returns the cipher that seals signed URLs.
func newFileURLAEAD(secret []byte) (cipher.AEAD, error) {
	k := hmac.New(sha256.New, secret)
	k.Write([]byte(signedURLLabel))
	return chacha20poly1305.NewX(k.Sum(nil))
}

// fileURLData is what a signed URL's seal binds besides the person: the
// file and the expiry.
func fileURLData(id, exp int64) []byte { return fmt.Appendf(nil, "file:%d:%d", id, exp) }

// FileURL returns a download URL of a file that works without a session
// for Limits.FileURLTTL (an hour by default), for a browser's <img src>,
// and only while the actor's person may still read the file.
// Errors: FILE_NOT_FOUND, UNAVAILABLE.
func (s *Service) FileURL(ctx context.Context, a *Actor, id int64) (*FileURLView, error) {
	if s.blobs == nil {
		return nil, errNoBlobs()
	}
	if _, err := s.readableFile(ctx, a, id); err != nil {
		return nil, err
	}
	return s.signFileURL(ctx, a.UserID, id, s.now().Add(s.limits.FileURLTTL).Unix())
}

// signFileURL makes the signed URL of file id for userID, valid until exp
// (unix seconds).
func (s *Service) signFileURL(ctx context.Context, userID, id, exp int64) (*FileURLView, error) {
	nonce := make([]byte, s.fileURLs.NonceSize(), s.fileURLs.NonceSize()+8+s.fileURLs.Overhead())
	if _, err := io.ReadFull(s.rand, nonce); err != nil {
		return nil, s.internal(ctx, "files.getURL", err)
	}
	sealed := s.fileURLs.Seal(nonce, nonce, binary.BigEndian.AppendUint64(nil, uint64(userID)), fileURLData(id, exp))
	sig := base64.RawURLEncoding.EncodeToString(sealed)
	return &FileURLView{URL: s.link(fmt.Sprintf("/files/%d?exp=%d&sig=%s", id, exp, sig)), ExpiresAt: exp}, nil
}

// VerifyFileURL checks the exp and sig parameters of a signed URL of file
// id, and returns the id of the person it was made for. Errors:
// FILE_URL_INVALID, FILE_URL_EXPIRED.
func (s *Service) VerifyFileURL(id int64, exp, sig string) (userID int64, err error) {
	invalid := haven.Errorf(haven.CodeFileURLInvalid, "the link is not valid")
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return 0, invalid
	}
	sealed, err := base64.RawURLEncoding.DecodeString(sig)
	ns := s.fileURLs.NonceSize()
	if err != nil || len(sealed) != ns+8+s.fileURLs.Overhead() {
		return 0, invalid
	}
	uid, err := s.fileURLs.Open(nil, sealed[:ns], sealed[ns:], fileURLData(id, e))
	if err != nil {
		return 0, invalid
	}
	if s.now().Unix() >= e {
		return 0, haven.Errorf(haven.CodeFileURLExpired, "the link has expired: ask for a new one")
	}
	return int64(binary.BigEndian.Uint64(uid)), nil
}

// OpenFile opens file id for download. With signed (exp and sig of a
// signed URL, both non-empty) the signature names the person, who must
// still have an account that may read the file; otherwise a must be a
// session that may read it. The caller closes the reader, which seeks
// without reading what it skips.
//
// Errors: FILE_URL_INVALID, FILE_URL_EXPIRED, FILE_NOT_FOUND (also when
// the URL's person may no longer read the file), AUTH_REQUIRED (neither a
// signature nor a session), UNAVAILABLE.
func (s *Service) OpenFile(ctx context.Context, a *Actor, id int64, exp, sig string) (*File, io.ReadSeekCloser, error) {
	if s.blobs == nil {
		return nil, nil, errNoBlobs()
	}
	var (
		f   *File
		err error
	)
	if exp != "" || sig != "" {
		if f, err = s.signedFile(ctx, id, exp, sig); err != nil {
			return nil, nil, err
		}
	} else {
		if !a.SignedIn() {
			return nil, nil, haven.Errorf(haven.CodeAuthRequired, "a file needs a session or a signed link")
		}
		if f, err = s.readableFile(ctx, a, id); err != nil {
			return nil, nil, err
		}
	}
	return f, &blobReadSeeker{ctx: ctx, blobs: s.blobs, key: f.BlobKey, size: f.Size}, nil
}

// signedFile returns file id if the signed URL is good and its person
// still has an account that may read the file: one removed from the chat,
// or whose message carrying it was deleted, or whose account is gone,
// gets FILE_NOT_FOUND from then on, not at the URL's expiry.
func (s *Service) signedFile(ctx context.Context, id int64, exp, sig string) (*File, error) {
	userID, err := s.VerifyFileURL(id, exp, sig)
	if err != nil {
		return nil, err
	}
	u, err := s.store.UserByID(ctx, userID)
	if errors.Is(err, haven.ErrNotFound) || err == nil && u.Deleted {
		return nil, errFileNotFound(id)
	}
	if err != nil {
		return nil, s.internal(ctx, "file", err)
	}
	return s.readableBy(ctx, userID, id)
}

// blobReadSeeker reads a blob from its current offset, opening a range
// there on the first Read after a Seek.
type blobReadSeeker struct {
	ctx   context.Context
	blobs Blobs
	key   string
	size  int64
	off   int64
	rc    io.ReadCloser
}

func (b *blobReadSeeker) Read(p []byte) (int, error) {
	if b.off >= b.size {
		return 0, io.EOF
	}
	if b.rc == nil {
		rc, err := b.blobs.OpenRange(b.ctx, b.key, b.off, -1)
		if err != nil {
			return 0, err
		}
		b.rc = rc
	}
	n, err := b.rc.Read(p)
	b.off += int64(n)
	return n, err
}

func (b *blobReadSeeker) Seek(offset int64, whence int) (int64, error) {
	var off int64
	switch whence {
	case io.SeekStart:
		off = offset
	case io.SeekCurrent:
		off = b.off + offset
	case io.SeekEnd:
		off = b.size + offset
	default:
		return b.off, errors.New("seek: bad whence")
	}
	if off < 0 {
		return b.off, errors.New("seek: negative offset")
	}
	if off != b.off && b.rc != nil {
		b.rc.Close()
		b.rc = nil
	}
	b.off = off
	return off, nil
}

func (b *blobReadSeeker) Close() error {
	if b.rc != nil {
		err := b.rc.Close()
		b.rc = nil
		return err
	}
	return nil
}
