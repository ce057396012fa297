package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchTemplate is the body of every benchmark part: 512 KiB of random
// bytes, shared read-only, so that the client side of a benchmark holds
// next to nothing and the memory measured is the server's.
var benchTemplate = func() []byte {
	buf := make([]byte, partMax)
	rand.NewChaCha8([32]byte{1}).Read(buf)
	return buf
}()

// benchFile is a file made of benchTemplate, each part starting with a
// 16-byte header naming the file and the part, so that no two parts and
// no two files are the same bytes (nothing is deduplicated away).
type benchFile struct {
	id   uint64
	size int64
}

func (f benchFile) parts() int { return int((f.size + partMax - 1) / partMax) }

func (f benchFile) partLen(p int) int64 { return min(partMax, f.size-int64(p)*partMax) }

// part returns a reader of part p, made on the fly.
func (f benchFile) part(p int) io.Reader {
	n := f.partLen(p)
	var hdr [16]byte
	binary.LittleEndian.PutUint64(hdr[:], f.id)
	binary.LittleEndian.PutUint64(hdr[8:], uint64(p))
	h := hdr[:min(16, n)]
	return io.MultiReader(bytes.NewReader(h), bytes.NewReader(benchTemplate[len(h):n]))
}

func (f benchFile) sha256() string {
	h := sha256.New()
	for p := range f.parts() {
		io.Copy(h, f.part(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// upload sends f through the HTTP API as a client would: startUpload,
// the parts by PUT from 4 concurrent senders, then finishUpload with sum
// (f's SHA-256). It returns the file's id.
func (bs *benchServer) upload(token string, f benchFile, sum string) (int64, error) {
	var up struct {
		UploadID int64 `json:"upload_id"`
		Parts    int   `json:"parts"`
	}
	if err := bs.call(token, "files.startUpload", map[string]any{"size": f.size, "name": "bench.bin"}, &up); err != nil {
		return 0, err
	}
	if up.Parts != f.parts() {
		return 0, fmt.Errorf("startUpload: %d parts, want %d", up.Parts, f.parts())
	}
	var (
		wg    sync.WaitGroup
		next  atomic.Int64
		errMu sync.Mutex
		first error
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				p := int(next.Add(1)) - 1
				if p >= up.Parts {
					return
				}
				if err := bs.putPart(token, up.UploadID, p, f); err != nil {
					errMu.Lock()
					first = err
					errMu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return 0, first
	}
	var fv struct {
		ID int64 `json:"id"`
	}
	err := bs.call(token, "files.finishUpload", map[string]any{"upload_id": up.UploadID, "parts": up.Parts, "sha256": sum}, &fv)
	return fv.ID, err
}

func (bs *benchServer) putPart(token string, uploadID int64, p int, f benchFile) error {
	req, err := http.NewRequest("PUT", fmt.Sprintf("%s/api/files/%d/%d", bs.srv.URL(), uploadID, p), f.part(p))
	if err != nil {
		return err
	}
	req.ContentLength = f.partLen(p)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := bs.client.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("PUT part %d: %d %s", p, resp.StatusCode, body)
	}
	return nil
}

// download fetches file id whole by GET /files/{id} and returns how many
// bytes came.
func (bs *benchServer) download(token string, id int64) (int64, error) {
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/files/%d", bs.srv.URL(), id), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := bs.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /files/%d: %d", id, resp.StatusCode)
	}
	return io.Copy(io.Discard, resp.Body)
}

// benchFileSize is the file of the throughput benchmarks.
const benchFileSize = 32 << 20

var benchFileSeq atomic.Uint64

// benchUpload measures uploads of 32 MiB files through the HTTP API
// (startUpload, 64 parts PUT by 4 concurrent senders, finishUpload, which
// concatenates the parts into the file's blob). MB/s is the figure; the
// client's SHA-256 of each file is not timed.
func benchUpload(b *testing.B, args ...string) {
	bs := startBench(b, args...)
	token, _, err := bs.signUp("upload@example.org")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchFileSize)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		f := benchFile{id: benchFileSeq.Add(1), size: benchFileSize}
		sum := f.sha256()
		b.StartTimer()
		if _, err := bs.upload(token, f, sum); err != nil {
			b.Fatal(err)
		}
	}
}

// benchDownload measures downloads of one 32 MiB file by GET /files/{id}.
func benchDownload(b *testing.B, args ...string) {
	bs := startBench(b, args...)
	token, _, err := bs.signUp("download@example.org")
	if err != nil {
		b.Fatal(err)
	}
	f := benchFile{id: benchFileSeq.Add(1), size: benchFileSize}
	id, err := bs.upload(token, f, f.sha256())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchFileSize)
	b.ResetTimer()
	for range b.N {
		n, err := bs.download(token, id)
		if err != nil {
			b.Fatal(err)
		}
		if n != benchFileSize {
			b.Fatalf("downloaded %d bytes, want %d", n, benchFileSize)
		}
	}
}

func BenchmarkUploadDisk(b *testing.B)   { benchUpload(b) }
func BenchmarkUploadS3(b *testing.B)     { _, args := startS3(b); benchUpload(b, args...) }
func BenchmarkDownloadDisk(b *testing.B) { benchDownload(b) }
func BenchmarkDownloadS3(b *testing.B)   { _, args := startS3(b); benchDownload(b, args...) }

// BenchmarkUploadMemory20x100MiB runs 20 uploads of 100 MiB at once (each
// with 4 concurrent part senders: 80 PUTs in flight) against the disk
// backend and samples the process's memory meanwhile. The server streams
// parts to blobs and blobs to the finished file, so the peak heap should
// stay in the tens of MiB, whatever the sizes. (Client and server share
// the process; the client side holds one shared 512 KiB template.)
// Reported: peak-heap-MiB (HeapInuse), peak-sys-MiB (Sys: all memory
// obtained from the OS) and MB/s of the whole batch. The S3 backend is
// not measured: gofakes3 keeps its objects in this process's memory.
// Run it alone: Sys never shrinks, so benchmarks run before it in the
// same process (the S3 ones above all) raise base-sys-MiB.
//
//	go test ./internal/server -run '^$' -bench UploadMemory -benchtime 1x
func BenchmarkUploadMemory20x100MiB(b *testing.B) {
	const uploads, size = 20, 100 << 20
	bs := startBench(b)
	token, _, err := bs.signUp("memory@example.org")
	if err != nil {
		b.Fatal(err)
	}
	var peakHeap, peakSys, baseHeap, baseSys uint64
	b.SetBytes(uploads * size)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		files := make([]benchFile, uploads)
		sums := make([]string, uploads)
		var wg sync.WaitGroup
		for i := range files {
			files[i] = benchFile{id: benchFileSeq.Add(1), size: size}
			wg.Add(1)
			go func() { defer wg.Done(); sums[i] = files[i].sha256() }()
		}
		wg.Wait()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		baseHeap, baseSys = ms.HeapInuse, ms.Sys
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peakHeap = max(peakHeap, ms.HeapInuse)
				peakSys = max(peakSys, ms.Sys)
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
		b.StartTimer()
		errs := make([]error, uploads)
		for i := range files {
			wg.Add(1)
			go func() { defer wg.Done(); _, errs[i] = bs.upload(token, files[i], sums[i]) }()
		}
		wg.Wait()
		b.StopTimer()
		close(stop)
		<-sampled
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
	const mib = 1 << 20
	b.ReportMetric(float64(baseHeap)/mib, "base-heap-MiB")
	b.ReportMetric(float64(peakHeap)/mib, "peak-heap-MiB")
	b.ReportMetric(float64(baseSys)/mib, "base-sys-MiB")
	b.ReportMetric(float64(peakSys)/mib, "peak-sys-MiB")
	// 2000 MiB went through; a server that buffered whole files would
	// need GiBs. 256 MiB leaves room for buffers and the GC's slack.
	if peakHeap > 256*mib {
		b.Errorf("peak heap in use %d MiB while uploading %d × %d MiB: the server is buffering", peakHeap/mib, uploads, size/mib)
	}
}
