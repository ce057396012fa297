package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/server"
)

// gateway stands in for the operator's SMS or email gateway in benchmarks:
// it hands each code to the waiting client.
type gateway struct{ codes sync.Map }

func (g *gateway) SendCode(_ context.Context, to, code, _ string) error {
	g.codes.Store(to, code)
	return nil
}

// benchServer is a node for benchmarks: limits out of the way, codes
// handed over by a gateway, no logging, and a keep-alive JSON client.
type benchServer struct {
	srv    *server.Server
	gw     *gateway
	client *http.Client
}

func startBench(b *testing.B, args ...string) *benchServer {
	b.Helper()
	cfg, err := config.LoadServe(append([]string{"--listen", "127.0.0.1:0", "--data-dir", b.TempDir(), "--signin-code-per-ip", "100000000", "--flood-rate", "100000000", "--flood-burst", "100000000", "--ws-per-ip", "100000000", "--conns-per-ip", "100000000"}, args...), nil, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	bs := &benchServer{gw: &gateway{}, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
	bs.srv, err = server.New(context.Background(), cfg, server.Options{Codes: bs.gw, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	if err := bs.srv.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bs.srv.Shutdown(context.Background()) })
	return bs
}

// call makes one API call as token ("" for none), decoding the result
// into out when it is not nil.
func (bs *benchServer) call(token, method string, params any, out any) error {
	body, _ := json.Marshal(params)
	req, _ := http.NewRequest("POST", bs.srv.URL()+"/api/"+method, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := bs.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var env struct {
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return err
	}
	if !env.OK {
		return fmt.Errorf("%s: %s", method, env.Error)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(env.Result, out)
}

// signUp walks one person through sign-up by email and returns their
// token and id.
// signUpMany signs n people up, 16 at a time, the i-th with the address
// fmt.Sprintf(format, i), and has each do then (when not nil); it ends
// the benchmark, failed, should any of it fail.
func (bs *benchServer) signUpMany(b *testing.B, n int, format string, then func(token string) error) []string {
	b.Helper()
	tokens := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var err error
			tokens[i], _, err = bs.signUp(fmt.Sprintf(format, i))
			if err == nil && then != nil {
				err = then(tokens[i])
			}
			if err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	return tokens
}

func (bs *benchServer) signUp(email string) (string, int64, error) {
	var sent struct {
		LoginToken string `json:"login_token"`
	}
	if err := bs.call("", "auth.sendCode", map[string]string{"identifier": email}, &sent); err != nil {
		return "", 0, err
	}
	code, _ := bs.gw.codes.Load(email)
	var a struct {
		Token string
		User  struct{ ID int64 }
	}
	if err := bs.call("", "auth.signIn", map[string]any{"login_token": sent.LoginToken, "code": code}, &a); err != nil {
		return "", 0, err
	}
	if err := bs.call("", "auth.signUp", map[string]string{"login_token": sent.LoginToken, "first_name": "Bench"}, &a); err != nil {
		return "", 0, err
	}
	if a.Token == "" {
		return "", 0, fmt.Errorf("sign-up of %s gave no token", email)
	}
	return a.Token, a.User.ID, nil
}

// BenchmarkSignUp measures complete sign-ups (sendCode, signIn, signUp:
// three durable writes each) through the HTTP API, from many clients at
// once. The figure to read is signups/s.
func BenchmarkSignUp(b *testing.B) {
	bs := startBench(b)
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := bs.signUp(fmt.Sprintf("u%d@bench.test", n.Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "signups/s")
}

// BenchmarkGroupFanOut1000 measures deliveries to a group of 1,000
// members who are all online: each op is one post (by one of 8 posters
// at once) that must reach all 1,000 members' sockets. The figure to
// read is deliveries/s; the client sockets run in the same process and
// on the same 2 cores, counting frames without decoding them.
func BenchmarkGroupFanOut1000(b *testing.B) {
	const members = 1000
	bs := startBench(b)
	call := bs.call
	tokens := bs.signUpMany(b, members, "m%d@fanout.test", nil)
	// The members join by an invite link: strangers may not add each
	// other to groups.
	var chat struct{ ID int64 }
	if err := call(tokens[0], "chats.createGroup", map[string]any{"title": "fan-out"}, &chat); err != nil {
		b.Fatal(err)
	}
	var link struct{ Hash string }
	if err := call(tokens[0], "chats.createInvite", map[string]any{"chat_id": chat.ID}, &link); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := 1; i < members; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := call(tokens[i], "chats.joinByInvite", map[string]any{"hash": link.Hash}, nil); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	if b.Failed() {
		return
	}
	// Every member online, counting the posts that reach them.
	var delivered atomic.Int64
	wsURL := "ws" + strings.TrimPrefix(bs.srv.URL(), "http") + "/api/ws?batch=1"
	marker := []byte(`"kind":"message.new"`)
	for i := range members {
		conn, _, err := websocket.Dial(context.Background(), wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + tokens[i]}}})
		if err != nil {
			b.Fatal(err)
		}
		conn.SetReadLimit(1 << 20)
		defer conn.CloseNow()
		go func() {
			for {
				_, data, err := conn.Read(context.Background())
				if err != nil {
					return
				}
				delivered.Add(int64(bytes.Count(data, marker)))
			}
		}()
	}
	// A round trip on the last socket would prove its subscription; the
	// server subscribes before the handshake completes, so none is needed.
	var n atomic.Int64
	var rid atomic.Int64
	b.SetParallelism(4) // 8 posters on 2 cores
	b.ResetTimer()
	start := time.Now()
	base := delivered.Load()
	b.RunParallel(func(pb *testing.PB) {
		poster := tokens[1+int(n.Add(1))%8]
		for pb.Next() {
			if err := call(poster, "messages.send", map[string]any{"chat_id": chat.ID, "text": "news for everyone", "random_id": rid.Add(1)}, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
	want := base + int64(b.N)*members
	deadline := time.Now().Add(time.Minute)
	for delivered.Load() < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if got := delivered.Load(); got < want {
		b.Fatalf("%d of %d deliveries arrived", got-base, want-base)
	}
	b.ReportMetric(float64(b.N*members)/elapsed.Seconds(), "deliveries/s")
}
