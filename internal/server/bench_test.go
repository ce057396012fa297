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

// BenchmarkSignUp measures complete sign-ups (sendCode, signIn, signUp:
// three durable writes each) through the HTTP API, from many clients at
// once. The figure to read is signups/s.
func BenchmarkSignUp(b *testing.B) {
	cfg, err := config.LoadServe(append([]string{"--listen", "127.0.0.1:0", "--data-dir", b.TempDir()}, "--signin-code-per-ip", "100000000", "--flood-rate", "100000000", "--flood-burst", "100000000"), nil, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	gw := &gateway{}
	srv, err := server.New(context.Background(), cfg, server.Options{Codes: gw, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	call := func(method string, params any, out any) error {
		body, _ := json.Marshal(params)
		resp, err := client.Post(srv.URL()+"/api/"+method, "application/json", bytes.NewReader(body))
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
		return json.Unmarshal(env.Result, out)
	}
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			email := fmt.Sprintf("u%d@bench.test", n.Add(1))
			var sent struct {
				LoginToken string `json:"login_token"`
			}
			if err := call("auth.sendCode", map[string]string{"identifier": email}, &sent); err != nil {
				b.Error(err)
				return
			}
			code, _ := gw.codes.Load(email)
			var a struct{ Status, Token string }
			if err := call("auth.signIn", map[string]any{"login_token": sent.LoginToken, "code": code}, &a); err != nil {
				b.Error(err)
				return
			}
			if err := call("auth.signUp", map[string]string{"login_token": sent.LoginToken, "first_name": "Bench"}, &a); err != nil || a.Token == "" {
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
	cfg, err := config.LoadServe([]string{"--listen", "127.0.0.1:0", "--data-dir", b.TempDir(), "--signin-code-per-ip", "100000000", "--flood-rate", "100000000", "--flood-burst", "100000000"}, nil, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	gw := &gateway{}
	srv, err := server.New(context.Background(), cfg, server.Options{Codes: gw, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	call := func(token, method string, params any, out any) error {
		body, _ := json.Marshal(params)
		req, _ := http.NewRequest("POST", srv.URL()+"/api/"+method, bytes.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
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
	// Sign the members up, 16 at a time.
	tokens := make([]string, members)
	ids := make([]int64, members)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range members {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			email := fmt.Sprintf("m%d@fanout.test", i)
			var sent struct {
				LoginToken string `json:"login_token"`
			}
			if err := call("", "auth.sendCode", map[string]string{"identifier": email}, &sent); err != nil {
				b.Error(err)
				return
			}
			code, _ := gw.codes.Load(email)
			var a struct {
				Token string
				User  struct{ ID int64 }
			}
			if err := call("", "auth.signIn", map[string]any{"login_token": sent.LoginToken, "code": code}, &a); err != nil {
				b.Error(err)
				return
			}
			if err := call("", "auth.signUp", map[string]string{"login_token": sent.LoginToken, "first_name": "M"}, &a); err != nil {
				b.Error(err)
				return
			}
			tokens[i], ids[i] = a.Token, a.User.ID
		}()
	}
	wg.Wait()
	if b.Failed() {
		return
	}
	var chat struct{ ID int64 }
	if err := call(tokens[0], "chats.createGroup", map[string]any{"title": "fan-out", "user_ids": ids[1:200]}, &chat); err != nil {
		b.Fatal(err)
	}
	for from := 200; from < members; from += 200 {
		if err := call(tokens[0], "chats.addMembers", map[string]any{"chat_id": chat.ID, "user_ids": ids[from:min(from+200, members)]}, nil); err != nil {
			b.Fatal(err)
		}
	}
	// Every member online, counting the posts that reach them.
	var delivered atomic.Int64
	wsURL := "ws" + strings.TrimPrefix(srv.URL(), "http") + "/api/ws"
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
				if bytes.Contains(data, marker) {
					delivered.Add(1)
				}
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
