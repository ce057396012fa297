package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"github.com/miekg/dns"

	"github.com/havenchat/haven/internal/config"
	"github.com/havenchat/haven/internal/server"
)

// acmeDomain is the name Haven asks a certificate for. The test's own DNS
// server points it at 127.0.0.1, where Haven listens.
const acmeDomain = "haven.test"

// TestACME runs Pebble, Let's Encrypt's ACME test server, in the process and
// starts Haven with --acme-domain and --acme-directory-url pointing at it.
// The first HTTPS connection makes Haven get a certificate, with Pebble
// checking the TLS-ALPN-01 challenge on Haven's own port; the connection
// must then be served with that certificate.
func TestACME(t *testing.T) {
	// Pebble reads these when its parts are made: validate at once, and
	// never refuse a good nonce.
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")

	pebbleLog := &syncBuffer{}
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pebble log:\n%s", pebbleLog)
			t.Logf("haven log:\n%s", logs)
		}
	})

	resolver := startDNS(t, acmeDomain, net.IPv4(127, 0, 0, 1))

	// Pebble's directory is served over HTTPS on a random port. Its
	// address must be known before Haven starts, and Haven's port before
	// Pebble's validation authority is made, so the server comes first
	// and its handler is set once Haven listens (Haven makes no ACME
	// request before its first handshake).
	var acmeHandler http.Handler
	ready := make(chan struct{})
	acmeSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-ready
		acmeHandler.ServeHTTP(w, r)
	}))
	t.Cleanup(acmeSrv.Close)
	dirURL := acmeSrv.URL + wfe.DirectoryPath

	inbox := newInbox(t)
	args := append([]string{
		"--listen", "127.0.0.1:0",
		"--data-dir", t.TempDir(),
		"--code-sender", "webhook=" + inbox.srv.URL,
		"--acme-domain", acmeDomain,
		"--acme-directory-url", dirURL,
	}, generous...)
	cfg, err := config.LoadServe(args, nil, io.Discard)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	ctx := context.Background()
	// Haven's ACME client trusts the certificate of Pebble's server.
	acmeClient := &http.Client{Transport: acmeSrv.Client().Transport, Timeout: 10 * time.Second}
	srv, err := server.New(ctx, cfg, server.Options{
		Log:            slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		ACMEHTTPClient: acmeClient,
	})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	_, portStr, _ := net.SplitHostPort(srv.Addr())
	port, _ := strconv.Atoi(portStr)

	plog := log.New(pebbleLog, "pebble ", log.Lmicroseconds)
	store := db.NewMemoryStore()
	authority := ca.New(plog, store, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "default"}})
	// The VA checks TLS-ALPN-01 on Haven's port, resolving the domain with
	// the test's DNS server. HTTP-01 is not offered by Haven; its port is
	// a closed one.
	validator := va.New(plog, 1, port, false, resolver, store)
	front := wfe.New(plog, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	acmeHandler = front.Handler()
	close(ready)

	// A client that trusts only Pebble's root, asking for the domain and
	// dialling Haven's address.
	roots := x509.NewCertPool()
	roots.AddCert(authority.GetRootCert(0).Cert)
	client := &http.Client{
		Timeout: 20 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, srv.Addr())
			},
			TLSClientConfig: &tls.Config{
				RootCAs:    roots,
				ServerName: acmeDomain,
			},
		},
	}
	start := time.Now()
	resp, err := client.Post("https://"+acmeDomain+"/api/auth.sendCode", "application/json", strings.NewReader(`{"identifier":"+442079460001"}`))
	if err != nil {
		t.Fatalf("HTTPS request with the ACME certificate: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("auth.sendCode over HTTPS: %d %s", resp.StatusCode, body)
	}
	t.Logf("certificate obtained and request served in %v", time.Since(start).Round(time.Millisecond))

	state := resp.TLS
	leaf := state.PeerCertificates[0]
	if len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != acmeDomain {
		t.Errorf("certificate names %v, want [%s]", leaf.DNSNames, acmeDomain)
	}
	if want := authority.GetIntermediateCert(0).Cert.Subject.CommonName; leaf.Issuer.CommonName != want {
		t.Errorf("certificate issued by %q, want Pebble's %q", leaf.Issuer.CommonName, want)
	}
	if len(state.VerifiedChains) == 0 {
		t.Error("the certificate was not verified against Pebble's root")
	}
	if !strings.Contains(pebbleLog.String(), "set VALID by completed challenge") {
		t.Error("Pebble did not validate a challenge")
	}
	if len(inbox.all()) != 1 {
		t.Errorf("codes sent: %v, want one", inbox.all())
	}
}

// startDNS serves, over TCP on a random loopback port, A records that point
// name at ip (and no AAAA records), and returns the server's address.
func startDNS(t *testing.T, name string, ip net.IP) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fqdn := dns.Fqdn(name)
	srv := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		for _, qq := range q.Question {
			if strings.EqualFold(qq.Name, fqdn) && qq.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: qq.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
					A:   ip,
				})
			}
		}
		w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return ln.Addr().String()
}
