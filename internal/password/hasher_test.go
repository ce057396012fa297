package password

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestHasherRoundTrip(t *testing.T) {
	h := NewHasher(cheap, 2)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "secret")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := h.Verify(ctx, "secret", enc); !ok || err != nil {
		t.Fatalf("Verify(right) = %v, %v", ok, err)
	}
	if ok, err := h.Verify(ctx, "Secret", enc); ok || err != nil {
		t.Fatalf("Verify(wrong) = %v, %v", ok, err)
	}
	// A Hasher verifies hashes made with other parameters: they travel
	// in the string.
	other, err := Hash("secret", Params{Time: 2, MemoryKiB: 128, Threads: 2, SaltLen: 8, KeyLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := h.Verify(ctx, "secret", other); !ok || err != nil {
		t.Fatalf("Verify(other params) = %v, %v", ok, err)
	}
}

func TestHasherDefaultConcurrency(t *testing.T) {
	h := NewHasher(cheap, 0)
	if got, want := cap(h.sem), runtime.NumCPU(); got != want {
		t.Fatalf("limit = %d, want NumCPU = %d", got, want)
	}
	if got := cap(NewHasher(cheap, 3).sem); got != 3 {
		t.Fatalf("limit = %d, want 3", got)
	}
}

func TestHasherInvalidParams(t *testing.T) {
	h := NewHasher(Params{}, 1)
	if _, err := h.Hash(context.Background(), "pw"); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("Hash = %v, want ErrInvalidParams", err)
	}
}

// TestHasherWaitsAndHonoursContext fills the Hasher's slots and checks
// that callers wait, give up when their context ends, and proceed once a
// slot frees up.
func TestHasherWaitsAndHonoursContext(t *testing.T) {
	const limit = 2
	h := NewHasher(cheap, limit)
	enc, err := h.Hash(context.Background(), "pw")
	if err != nil {
		t.Fatal(err)
	}
	for range limit {
		if err := h.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Hash with full slots = %v, want DeadlineExceeded", err)
	}
	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if ok, err := h.Verify(cancelled, "pw", enc); ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify with cancelled ctx = %v, %v; want Canceled", ok, err)
	}
	// A malformed hash is refused at once, without a slot.
	if _, err := h.Verify(cancelled, "pw", "$argon2id$bad"); !errors.Is(err, ErrMalformedHash) {
		t.Fatalf("Verify(malformed) = %v, want ErrMalformedHash", err)
	}

	done := make(chan error, 1)
	go func() {
		ok, err := h.Verify(context.Background(), "pw", enc)
		if err == nil && !ok {
			err = errors.New("Verify = false")
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Verify finished while all slots were taken: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	h.release()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Verify still waiting after a slot was released")
	}
	h.release()
}

func TestHasherConcurrent(t *testing.T) {
	h := NewHasher(cheap, 2)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			pw := string(rune('a' + i))
			enc, err := h.Hash(ctx, pw)
			if err != nil {
				errs <- err
				return
			}
			if ok, err := h.Verify(ctx, pw, enc); !ok || err != nil {
				errs <- errors.New("round trip failed for " + pw)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(h.sem); n != 0 {
		t.Fatalf("%d slots still held", n)
	}
}
