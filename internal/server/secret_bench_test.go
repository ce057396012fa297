package server_test

import (
	"encoding/base64"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenchat/haven/e2ee"
)

// BenchmarkSecretRelay measures the server's side of secret chats
// through the HTTP API: each op is one secret.send of a 218-byte
// envelope (a short text's ratchet message) from one of 16 senders to
// its partner's device, queued durably; the partners fetch and
// acknowledge meanwhile, 100 at a time. The figures to read are
// envelopes/s and the p50 and p99 of a send.
func BenchmarkSecretRelay(b *testing.B) {
	const pairs = 16
	bs := startBench(b)
	type person struct {
		token string
		id    int64
	}
	senders, receivers := make([]person, pairs), make([]person, pairs)
	body := base64.StdEncoding.EncodeToString(append([]byte("M"), make([]byte, 217)...))
	setup := func(p *person, email string) {
		var err error
		if p.token, p.id, err = bs.signUp(email); err != nil {
			b.Fatal(err)
		}
		acct, _ := e2ee.NewAccountKey()
		dev, _ := e2ee.NewDevice(p.id, acct.Public(), 1)
		up, _ := dev.NewPreKeys(1)
		ub, _ := up.MarshalBinary()
		if err := bs.call(p.token, "secret.uploadKeys", map[string]string{"keys": base64.StdEncoding.EncodeToString(ub)}, nil); err != nil {
			b.Fatal(err)
		}
		l, _ := e2ee.SignDeviceList(acct, p.id, 1, []e2ee.DeviceEntry{{ID: 1, Key: dev.Key()}})
		lb, _ := l.MarshalBinary()
		if err := bs.call(p.token, "secret.setDeviceList", map[string]string{"list": base64.StdEncoding.EncodeToString(lb)}, nil); err != nil {
			b.Fatal(err)
		}
	}
	for i := range pairs {
		setup(&senders[i], fmt.Sprintf("s%d@secret.test", i))
		setup(&receivers[i], fmt.Sprintf("r%d@secret.test", i))
		// The sender finds the receiver by username: then it may write.
		name := fmt.Sprintf("receiver%d", i)
		if err := bs.call(receivers[i].token, "account.updateUsername", map[string]string{"username": name}, nil); err != nil {
			b.Fatal(err)
		}
		if err := bs.call(senders[i].token, "users.resolveUsername", map[string]string{"username": name}, nil); err != nil {
			b.Fatal(err)
		}
	}
	var (
		next, rid atomic.Int64
		mu        sync.Mutex
		lat       []time.Duration
		stop      = make(chan struct{})
		drained   sync.WaitGroup
	)
	for i := range pairs {
		drained.Add(1)
		go func() {
			defer drained.Done()
			for {
				var in struct {
					Envelopes []struct{ ID int64 } `json:"envelopes"`
				}
				if err := bs.call(receivers[i].token, "secret.fetch", map[string]int{"limit": 100}, &in); err != nil {
					b.Error(err)
					return
				}
				if len(in.Envelopes) > 0 {
					if err := bs.call(receivers[i].token, "secret.ack", map[string]int64{"up_to_id": in.Envelopes[len(in.Envelopes)-1].ID}, nil); err != nil {
						b.Error(err)
						return
					}
				}
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		}()
	}
	b.SetParallelism(pairs / 2) // GOMAXPROCS 2 × 8 = 16 senders
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1)-1) % pairs
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			err := bs.call(senders[i].token, "secret.send", map[string]any{"envelopes": []map[string]any{
				{"user_id": receivers[i].id, "device_id": 1, "random_id": rid.Add(1), "body": body}}}, nil)
			if err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	close(stop)
	drained.Wait()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "envelopes/s")
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}
