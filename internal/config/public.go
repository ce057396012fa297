package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// defaultSignup is the sign-up mode when none is given: open only for a
// server that no one but this machine can reach, so that a server put on
// the network, or behind a proxy, takes no strangers until its operator
// says so.
func (c *Serve) defaultSignup() string {
	host, _, err := net.SplitHostPort(c.Listen)
	if err == nil && isLoopbackHost(host) && c.PublicURL == "" && len(c.ACMEDomains) == 0 {
		return SignupOpen
	}
	return SignupInvite
}

// PublicBase is the base of the links the server hands out (invites,
// files), without a final slash, given the address it listens on (addr,
// host:port, whose port is the real one when Listen asked for port 0):
//
//   - PublicURL, when set;
//   - https:// and the first ACMEDomains name, when set;
//   - else the listen address (http://, or https:// with TLSCert), when
//     Listen names a host;
//   - else "" (Listen is every interface: no one address is right; or
//     addr's port is 0, not yet chosen), and links are paths.
func (c *Serve) PublicBase(addr string) string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if len(c.ACMEDomains) > 0 {
		if port == "443" {
			return "https://" + c.ACMEDomains[0]
		}
		return "https://" + net.JoinHostPort(c.ACMEDomains[0], port)
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil || host == "" || port == "0" {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return ""
	}
	scheme := "http://"
	if c.TLSCert != "" {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(host, port)
}

// KeyFile is a key the server cannot run without: a backup takes it, a
// restore puts it back.
type KeyFile struct {
	// Name is the file's name in a backup.
	Name string
	// Path is where the server reads it.
	Path string
}

// KeyFiles lists every key of the server, in one place: a key added to
// the server (Web Push keys, say) is added here, and backups take it.
func (c *Serve) KeyFiles() []KeyFile {
	return []KeyFile{
		// The secret keys the hashes of sign-in codes and the signatures
		// of file links: without it pending sign-ins and links fail.
		{Name: "secret.key", Path: c.SecretFile},
		// The Web Push (VAPID) key signs every push: a new one would void
		// every browser's subscription.
		{Name: "vapid.key", Path: c.PushKeyFile},
	}
}

// parsePublicURL checks the server's public address: an http(s) URL
// with a host and no user, query or fragment; a path (a prefix under
// which a proxy serves Haven) is kept, the final slash dropped.
func parsePublicURL(v string) (string, error) {
	if _, err := parseHTTPURL(v); err != nil {
		return "", err
	}
	u, _ := url.Parse(v)
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(v, "#") {
		return "", errors.New("URL must not have a query or a fragment")
	}
	return strings.TrimRight(v, "/"), nil
}

// parsePhonePrefixes checks a comma-separated list of phone number
// prefixes in international form: "+" and one to fifteen digits.
func parsePhonePrefixes(v string) ([]string, error) {
	var out []string
	seen := make(map[string]bool)
	for item := range strings.SplitSeq(v, ",") {
		p := strings.TrimSpace(item)
		if p == "" {
			continue
		}
		digits, ok := strings.CutPrefix(p, "+")
		if !ok || digits == "" || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" || digits[0] == '0' {
			return nil, fmt.Errorf("prefix %q: want + and the country code, then any further digits, e.g. +44 or +4420", p)
		}
		if seen[p] {
			return nil, fmt.Errorf("prefix %q listed twice", p)
		}
		seen[p] = true
		out = append(out, p)
	}
	return out, nil
}
