package clientaddr

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClient(t *testing.T) {
	proxies := New([]netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/24"),
		netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("2001:db8:1::/48"),
	})
	cases := []struct {
		name     string
		resolver *Resolver
		peer     string
		xff      []string // one X-Forwarded-For header per item
		want     string
	}{
		{"no proxy trusted: the header is ignored", New(nil), "198.51.100.1:4000", []string{"203.0.113.5"}, "198.51.100.1"},
		{"zero resolver", &Resolver{}, "198.51.100.1:4000", []string{"203.0.113.5"}, "198.51.100.1"},
		{"untrusted peer: the header is ignored", proxies, "198.51.100.1:4000", []string{"203.0.113.5"}, "198.51.100.1"},
		{"trusted peer", proxies, "10.0.0.3:4000", []string{"203.0.113.5"}, "203.0.113.5"},
		{"right-most untrusted wins over a spoofed left part", proxies, "10.0.0.3:4000", []string{"1.1.1.1, 203.0.113.5"}, "203.0.113.5"},
		{"a chain of trusted proxies is skipped", proxies, "10.0.0.3:4000", []string{"1.1.1.1, 203.0.113.5, 192.0.2.7, 10.0.0.9"}, "203.0.113.5"},
		{"several headers read in order", proxies, "10.0.0.3:4000", []string{"1.1.1.1", "203.0.113.5, 10.0.0.9"}, "203.0.113.5"},
		{"IPv6 client", proxies, "[2001:db8:1::2]:4000", []string{"2001:db8:ff::1"}, "2001:db8:ff::1"},
		{"mapped IPv4 is unmapped", proxies, "[::ffff:10.0.0.3]:4000", []string{"::ffff:203.0.113.5"}, "203.0.113.5"},
		{"client with a port", proxies, "10.0.0.3:4000", []string{"203.0.113.5:1234"}, "203.0.113.5"},
		{"no header: the proxy", proxies, "10.0.0.3:4000", nil, "10.0.0.3"},
		{"only trusted addresses: the proxy", proxies, "10.0.0.3:4000", []string{"10.0.0.4"}, "10.0.0.3"},
		{"malformed right-most entry: the proxy", proxies, "10.0.0.3:4000", []string{"203.0.113.5, bogus"}, "10.0.0.3"},
		{"empty header: the proxy", proxies, "10.0.0.3:4000", []string{""}, "10.0.0.3"},
		{"zone dropped", New(nil), "[fe80::1%eth0]:4000", nil, "fe80::1"},
	}
	for _, tc := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		for _, h := range tc.xff {
			r.Header.Add("X-Forwarded-For", h)
		}
		if got := tc.resolver.Client(r).String(); got != tc.want {
			t.Errorf("%s: Client = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestClientNotIP(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "@"
	if a := New(nil).Client(r); a.IsValid() {
		t.Errorf("Client of a Unix socket peer = %v, want the zero Addr", a)
	}
}

func TestTrusted(t *testing.T) {
	r := New([]netip.Prefix{netip.MustParsePrefix("10.0.0.1/8"), netip.MustParsePrefix("::1/128")})
	for a, want := range map[string]bool{
		"10.200.0.1":        true,
		"::ffff:10.200.0.1": true,
		"11.0.0.1":          false,
		"::1":               true,
		"::2":               false,
	} {
		if got := r.Trusted(netip.MustParseAddr(a)); got != want {
			t.Errorf("Trusted(%s) = %v, want %v", a, got, want)
		}
	}
	if New(nil).Trusted(netip.MustParseAddr("127.0.0.1")) {
		t.Error("a resolver without proxies trusts 127.0.0.1")
	}
}

func TestGroup(t *testing.T) {
	for a, want := range map[string]string{
		"203.0.113.5":              "203.0.113.5",
		"::ffff:203.0.113.5":       "203.0.113.5",
		"2001:db8:1:2:3:4:5:6":     "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1":     "2001:db8:1:2::/64",
		"fe80::1%eth0":             "fe80::/64",
		"2001:db8:1:3:3:4:5:6":     "2001:db8:1:3::/64",
		"2001:0db8:0001:0002::abc": "2001:db8:1:2::/64",
	} {
		if got := Group(netip.MustParseAddr(a)); got != want {
			t.Errorf("Group(%s) = %s, want %s", a, got, want)
		}
	}
}
