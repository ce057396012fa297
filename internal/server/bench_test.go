package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
