package config

import (
	"fmt"
	"slices"
	"testing"
)

func TestParseListen(t *testing.T) {
	t.Parallel()
	good := []string{"127.0.0.1:8080", ":8080", "[::1]:443", "localhost:0", "example.org:65535"}
	for _, v := range good {
		if _, err := parseListen(v); err != nil {
			t.Errorf("parseListen(%q) = %v, want ok", v, err)
		}
	}
	bad := []string{"", "localhost", "127.0.0.1", "127.0.0.1:http", ":65536", ":-1", "::1:80", "a b:80"}
	for _, v := range bad {
		if _, err := parseListen(v); err == nil {
			t.Errorf("parseListen(%q) ok, want error", v)
		}
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	good := map[string]int64{
		"1":        1,
		"1048576":  1 << 20,
		"1MiB":     1 << 20,
		"1 MiB":    1 << 20,
		"512KiB":   512 << 10,
		"512kib":   512 << 10,
		"2GiB":     2 << 30,
		"100B":     100,
		" 64KiB  ": 64 << 10,
	}
	for v, want := range good {
		got, err := parseSize(v)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", v, got, err, want)
		}
	}
	bad := []string{"", "0", "0MiB", "-1", "1.5MiB", "1MB", "1M", "MiB", "1 MiB x", "9223372036854775807GiB", "99999999999999999999"}
	for _, v := range bad {
		if got, err := parseSize(v); err == nil {
			t.Errorf("parseSize(%q) = %d, want error", v, got)
		}
	}
	// Where 0 means "no limit".
	for v, want := range map[string]int64{"0": 0, " 0 ": 0, "20GiB": 20 << 30} {
		if got, err := parseSizeOrZero(v); err != nil || got != want {
			t.Errorf("parseSizeOrZero(%q) = %d, %v; want %d", v, got, err, want)
		}
	}
	for _, v := range []string{"0MiB", "-1", ""} {
		if got, err := parseSizeOrZero(v); err == nil {
			t.Errorf("parseSizeOrZero(%q) = %d, want error", v, got)
		}
	}
}

func TestParseDomains(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" , ", nil},
		{"chat.example.org", []string{"chat.example.org"}},
		{"Chat.Example.org., b.example.org", []string{"chat.example.org", "b.example.org"}},
		{"xn--80ak6aa92e.com,a-b.example", []string{"xn--80ak6aa92e.com", "a-b.example"}},
	}
	for _, tt := range tests {
		got, err := parseDomains(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("parseDomains(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	bad := []string{
		"localhost", "1.2.3.4", "::1", "*.example.org", "-a.example.org",
		"a-.example.org", "a..example.org", "a_b.example.org", "bücher.example",
		"a.example.org,A.example.org", "https://a.example.org",
	}
	for _, v := range bad {
		if got, err := parseDomains(v); err == nil {
			t.Errorf("parseDomains(%q) = %q, want error", v, got)
		}
	}
}

func TestParsePrefixes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
	}{
		{"", "[]"},
		{" , ", "[]"},
		{"127.0.0.1", "[127.0.0.1/32]"},
		{"::1, 10.1.2.3/8", "[::1/128 10.0.0.0/8]"},
		{"::ffff:192.0.2.1,fd00::/8", "[192.0.2.1/32 fd00::/8]"},
	}
	for _, tt := range tests {
		got, err := parsePrefixes(tt.in)
		if err != nil || fmt.Sprint(got) != tt.want {
			t.Errorf("parsePrefixes(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, v := range []string{"localhost", "10.0.0.0/40", "fe80::1%eth0", "1.2.3", "10.0.0.1,,x"} {
		if got, err := parsePrefixes(v); err == nil {
			t.Errorf("parsePrefixes(%q) = %v, want error", v, got)
		}
	}
}

func TestParseCodeSender(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, kind, url string }{
		{"log", CodeSenderLog, ""},
		{"webhook=https://sms.example.org/send", CodeSenderWebhook, "https://sms.example.org/send"},
		{"webhook=http://127.0.0.1:9000/code?x=1", CodeSenderWebhook, "http://127.0.0.1:9000/code?x=1"},
	}
	for _, tt := range tests {
		kind, url, err := parseCodeSender(tt.in)
		if err != nil || kind != tt.kind || url != tt.url {
			t.Errorf("parseCodeSender(%q) = %q, %q, %v; want %q, %q", tt.in, kind, url, err, tt.kind, tt.url)
		}
	}
	bad := []string{
		"", "sms", "LOG", "log=x", "webhook", "webhook=", "webhook=ftp://x.org/",
		"webhook=https://", "webhook=/relative", "webhook=example.org/send",
		"webhook=https://user:pass@example.org/", "webhook=http://[::1",
	}
	for _, v := range bad {
		if kind, url, err := parseCodeSender(v); err == nil {
			t.Errorf("parseCodeSender(%q) = %q, %q; want error", v, kind, url)
		}
	}
}

func TestParseAddresses(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"admin@example.org", "a.b+c@sub.example.org"} {
		if _, err := parseEmail(v); err != nil {
			t.Errorf("parseEmail(%q) = %v", v, err)
		}
	}
	for _, v := range []string{"admin", "Admin <admin@example.org>", "<admin@example.org>", "a@b@c"} {
		if _, err := parseEmail(v); err == nil {
			t.Errorf("parseEmail(%q) ok, want error", v)
		}
	}
	for _, v := range []string{"noreply@example.org", "Haven <noreply@example.org>"} {
		if _, err := parseFrom(v); err != nil {
			t.Errorf("parseFrom(%q) = %v", v, err)
		}
	}
	for _, v := range []string{"noreply", "Haven <>"} {
		if _, err := parseFrom(v); err == nil {
			t.Errorf("parseFrom(%q) ok, want error", v)
		}
	}
	for _, v := range []string{"smtp.example.org", "10.0.0.1", "::1"} {
		if _, err := parseHost(v); err != nil {
			t.Errorf("parseHost(%q) = %v", v, err)
		}
	}
	for _, v := range []string{"smtp.example.org:587", "smtp://x", "a b"} {
		if _, err := parseHost(v); err == nil {
			t.Errorf("parseHost(%q) ok, want error", v)
		}
	}
}

func TestParseNumbers(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"0.5", "0", "0.0"} {
		if _, err := parseNonNegativeFloat(v); err != nil {
			t.Errorf("parseNonNegativeFloat(%q): %v", v, err)
		}
	}
	for _, v := range []string{"-1", "-0.1", "NaN", "Inf", "x", ""} {
		if _, err := parseNonNegativeFloat(v); err == nil {
			t.Errorf("parseNonNegativeFloat(%q) ok, want error", v)
		}
	}
	for _, v := range []string{"0s", "-1s", "15", "x"} {
		if _, err := parsePositiveDuration(v); err == nil {
			t.Errorf("parsePositiveDuration(%q) ok, want error", v)
		}
	}
	for _, v := range []string{"0", "1.5", "x", ""} {
		if _, err := parseInt(v, 1); err == nil {
			t.Errorf("parseInt(%q, 1) ok, want error", v)
		}
	}
	if _, err := parsePort("0", false); err == nil {
		t.Error("parsePort(0, false) ok, want error")
	}
}
