package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// MaxPartSize is the largest part of an upload (512 KiB), the default.
const MaxPartSize = 512 << 10

// StartUpload starts an upload of size bytes (files.startUpload);
// partSize 0 means MaxPartSize.
func (c *Client) StartUpload(ctx context.Context, size int64, partSize int, name string) (*Upload, error) {
	p := obj{"size": size}
	if partSize > 0 {
		p["part_size"] = partSize
	}
	if name != "" {
		p["name"] = name
	}
	return ptr[Upload](ctx, c, "files.startUpload", p)
}

// PutPart sends part number part (from 0) of an upload:
// PUT /api/files/UPLOAD_ID/PART. Sending a part again replaces it.
func (c *Client) PutPart(ctx context.Context, uploadID int64, part int, data []byte) error {
	u := c.base + "/api/files/" + strconv.FormatInt(uploadID, 10) + "/" + strconv.Itoa(part)
	return c.do(ctx, "files.putPart", http.MethodPut, u, "application/octet-stream", data, nil)
}

// UploadStatus lists the parts the server has of an upload
// (files.uploadStatus).
func (c *Client) UploadStatus(ctx context.Context, uploadID int64) (*UploadStatus, error) {
	return ptr[UploadStatus](ctx, c, "files.uploadStatus", obj{"upload_id": uploadID})
}

// FinishUpload joins an upload's parts and checks their SHA-256, in hex
// (files.finishUpload).
func (c *Client) FinishUpload(ctx context.Context, uploadID int64, parts int, sha256Hex string) (*File, error) {
	return ptr[File](ctx, c, "files.finishUpload", obj{"upload_id": uploadID, "parts": parts, "sha256": sha256Hex})
}

// FileURL returns a signed path that fetches a file without a token
// until ExpiresAt (an hour by default), and only while the caller may
// still read the file (files.getURL).
func (c *Client) FileURL(ctx context.Context, fileID int64) (*FileURL, error) {
	return ptr[FileURL](ctx, c, "files.getURL", obj{"file_id": fileID})
}

// uploadSenders is how many parts UploadFile sends at once.
const uploadSenders = 4

// UploadFile uploads size bytes of r as a file named name: it starts the
// upload, sends its 512 KiB parts with a few concurrent senders (each
// part tried up to 3 times), and finishes with the SHA-256 of the bytes.
// Send the returned file's ID with [Client.SendMedia].
func (c *Client) UploadFile(ctx context.Context, r io.ReaderAt, size int64, name string) (*File, error) {
	up, err := c.StartUpload(ctx, size, 0, name)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, size)); err != nil {
		return nil, fmt.Errorf("haven: reading the file: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parts := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	for range min(uploadSenders, up.Parts) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, up.PartSize)
			for part := range parts {
				off := int64(part) * int64(up.PartSize)
				n := int64(up.PartSize)
				if off+n > size {
					n = size - off
				}
				b := buf[:n]
				if m, err := r.ReadAt(b, off); m < len(b) {
					fail(fmt.Errorf("haven: reading the file: %w", err))
					return
				}
				var err error
				for try := 0; try < 3; try++ {
					if err = c.PutPart(ctx, up.UploadID, part, b); err == nil || ctx.Err() != nil {
						break
					}
					var he *Error
					if errors.As(err, &he) && he.Code != "FLOOD_WAIT" && he.Code != "INTERNAL" && he.Code != "UNAVAILABLE" {
						break
					}
					if try == 2 {
						break
					}
					wait := time.Duration(try+1) * 200 * time.Millisecond
					if he != nil && he.RetryAfter > 0 {
						wait = time.Duration(he.RetryAfter) * time.Second
					}
					t := time.NewTimer(wait)
					select {
					case <-ctx.Done():
					case <-t.C:
					}
					t.Stop()
				}
				if err != nil {
					fail(err)
					return
				}
			}
		}()
	}
feed:
	for part := 0; part < up.Parts; part++ {
		select {
		case parts <- part:
		case <-ctx.Done():
			break feed
		}
	}
	close(parts)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.FinishUpload(ctx, up.UploadID, up.Parts, sum)
}

// UploadBytes uploads data as a file named name, like [Client.UploadFile].
func (c *Client) UploadBytes(ctx context.Context, data []byte, name string) (*File, error) {
	return c.UploadFile(ctx, bytes.NewReader(data), int64(len(data)), name)
}

// Download writes the bytes of a file the caller may read to w
// (GET /files/FILE_ID) and returns how many it wrote.
func (c *Client) Download(ctx context.Context, fileID int64, w io.Writer) (int64, error) {
	method := "files.download"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/files/"+strconv.FormatInt(fileID, 10), nil)
	if err != nil {
		return 0, fmt.Errorf("haven: %s: %w", method, err)
	}
	if tok := c.Token(); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("haven: %s: %w", method, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err := decodeEnvelope(method, body, resp.StatusCode, nil); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("haven: %s: status %d", method, resp.StatusCode)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("haven: %s: %w", method, err)
	}
	return n, nil
}
