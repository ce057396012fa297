package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The parsers below check the syntax of one value. Their errors describe
// the problem without quoting the value; the loader quotes it (unless the
// setting is secret) next to the setting's name and source.

// keep returns a function that stores a parsed value in dst only if
// parsing succeeded, so a bad value leaves the one from a lower source in
// place: keep(&c.Listen)(parseListen(v)).
func keep[T any](dst *T) func(T, error) error {
	return func(v T, err error) error {
		if err == nil {
			*dst = v
		}
		return err
	}
}

// optional wraps parse so that the empty string, meaning "not set",
// passes unchecked.
func optional(parse func(string) (string, error)) func(string) (string, error) {
	return func(v string) (string, error) {
		if v == "" {
			return "", nil
		}
		return parse(v)
	}
}

// parseListen checks a host:port address to listen on. The host may be
// empty (every interface); the port must be numeric, and 0 asks the
// system for a free one.
func parseListen(v string) (string, error) {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		var aerr *net.AddrError
		if errors.As(err, &aerr) {
			return "", errors.New("want host:port, e.g. 127.0.0.1:8080 or :8080: " + aerr.Err)
		}
		return "", errors.New("want host:port, e.g. 127.0.0.1:8080 or :8080")
	}
	if _, err := parsePort(port, true); err != nil {
		return "", err
	}
	if strings.ContainsAny(host, " /") {
		return "", errors.New("host contains a space or a slash")
	}
	return v, nil
}

// parsePort checks a TCP port number; zero only if allowZero.
func parsePort(v string, allowZero bool) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errors.New("port is not a number")
	}
	low := 1
	if allowZero {
		low = 0
	}
	if n < low || n > 65535 {
		return 0, fmt.Errorf("port out of range %d-65535", low)
	}
	return n, nil
}

// parseInt parses a decimal integer no smaller than least.
func parseInt(v string, least int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, errors.New("not an integer")
	}
	if n < least {
		return 0, fmt.Errorf("must be at least %d", least)
	}
	return n, nil
}

// parseNonNegativeFloat parses a finite number of zero or above.
func parseNonNegativeFloat(v string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return 0, errors.New("not a number")
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, errors.New("must be a finite number, 0 or above")
	}
	return f, nil
}

// parseBool parses the forms strconv.ParseBool accepts (true, false, 1, 0 ...).
func parseBool(v string) (bool, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, errors.New("want true or false")
	}
	return b, nil
}

// parsePositiveDuration parses a Go duration ("15s", "1m30s") above zero.
func parsePositiveDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		return 0, errors.New(`want a duration such as "15s" or "1m30s"`)
	}
	if d <= 0 {
		return 0, errors.New("must be above 0")
	}
	return d, nil
}

// parsePrefixes parses a comma-separated list of IP addresses and CIDR
// ranges ("10.0.0.1, 192.168.0.0/16, fd00::/8"); an address is a range
// of one (/32, /128), and a range is masked (10.1.2.3/8 is 10.0.0.0/8).
// Empty items are skipped, so "" is the empty list. Zones are refused:
// a client address never carries one.
func parsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "/") {
			p, err := netip.ParsePrefix(item)
			if err != nil {
				return nil, fmt.Errorf("%q is not a CIDR range such as 10.0.0.0/8 or fd00::/8", item)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("%q is not an IP address or a CIDR range", item)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// sizeUnits are the suffixes parseSize accepts, lower-cased. Only binary
// units: "MB" is ambiguous (10^6 or 2^20) and is refused rather than
// guessed.
var sizeUnits = map[string]int64{
	"":    1,
	"b":   1,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
}

// parseSize parses a byte count above zero: a plain integer ("1048576") or
// an integer with a binary unit ("512KiB", "1 MiB"; case is ignored).
func parseSize(v string) (int64, error) {
	const want = `want a byte count such as 1048576, "512KiB" or "1MiB"`
	v = strings.TrimSpace(v)
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, errors.New(want)
	}
	n, err := strconv.ParseInt(v[:i], 10, 64)
	if err != nil {
		return 0, errors.New("too large")
	}
	mult, ok := sizeUnits[strings.ToLower(strings.TrimSpace(v[i:]))]
	if !ok {
		return 0, errors.New(want + " (units: B, KiB, MiB, GiB)")
	}
	if n > math.MaxInt64/mult {
		return 0, errors.New("too large")
	}
	if n == 0 {
		return 0, errors.New("must be above 0")
	}
	return n * mult, nil
}

// parseSizeOrZero is parseSize that also takes 0 (for "no limit").
func parseSizeOrZero(v string) (int64, error) {
	if strings.TrimSpace(v) == "0" {
		return 0, nil
	}
	return parseSize(v)
}

// oneOf checks that v is one of allowed.
func oneOf(v string, allowed ...string) (string, error) {
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", fmt.Errorf("want %s", strings.Join(allowed, ", "))
}

// parseDomains parses a comma-separated list of public DNS names to get
// certificates for. Names are lower-cased and a final dot dropped; empty
// items are skipped, so "" is the empty list. Wildcards, IP addresses and
// single-label names (localhost) are refused: a public certificate
// authority cannot issue for them by the HTTP or TLS-ALPN challenges.
func parseDomains(v string) ([]string, error) {
	var out []string
	seen := make(map[string]bool)
	for item := range strings.SplitSeq(v, ",") {
		d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(item)), ".")
		if d == "" {
			continue
		}
		if err := checkDomain(d); err != nil {
			return nil, fmt.Errorf("domain %q: %w", d, err)
		}
		if seen[d] {
			return nil, fmt.Errorf("domain %q listed twice", d)
		}
		seen[d] = true
		out = append(out, d)
	}
	return out, nil
}

// checkDomain checks a lower-case DNS name (RFC 1123 host name syntax)
// with at least two labels.
func checkDomain(d string) error {
	if net.ParseIP(d) != nil {
		return errors.New("is an IP address, not a domain")
	}
	if strings.Contains(d, "*") {
		return errors.New("wildcards need the DNS challenge, which is not supported")
	}
	if len(d) > 253 {
		return errors.New("longer than 253 characters")
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return errors.New("not a public domain name (no dot)")
	}
	for _, label := range labels {
		if label == "" || len(label) > 63 {
			return errors.New("each dot-separated label must be 1 to 63 characters")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return errors.New("a label starts or ends with '-'")
		}
		for _, c := range []byte(label) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return errors.New("only letters, digits, '-' and '.' are allowed (write internationalized names in punycode)")
			}
		}
	}
	return nil
}

// parseHTTPURL checks an absolute http or https URL with a host. URLs
// with user:password are refused: the URL may end up in logs, so secrets
// belong in a separate setting.
func parseHTTPURL(v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return "", fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", errors.New("want an http:// or https:// URL")
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", errors.New("URL has no host")
	}
	if u.User != nil {
		return "", errors.New("URL must not contain user:password")
	}
	return v, nil
}

// The ways the server can deliver sign-in codes (Serve.CodeSender).
const (
	// CodeSenderLog writes codes to the server log: for development and
	// for trying Haven out, never for real users.
	CodeSenderLog = "log"
	// CodeSenderWebhook POSTs codes to Serve.WebhookURL, for a gateway
	// that delivers them by SMS or otherwise.
	CodeSenderWebhook = "webhook"
)

// parseCodeSender parses "log" or "webhook=URL" into the kind and the URL.
func parseCodeSender(v string) (kind, webhook string, err error) {
	name, arg, hasArg := strings.Cut(v, "=")
	switch {
	case name == CodeSenderLog && !hasArg:
		return CodeSenderLog, "", nil
	case name == CodeSenderWebhook && hasArg:
		u, err := parseHTTPURL(arg)
		if err != nil {
			return "", "", fmt.Errorf("webhook: %w", err)
		}
		return CodeSenderWebhook, u, nil
	case name == CodeSenderWebhook:
		return "", "", errors.New("webhook needs a URL: webhook=https://host/path")
	case name == CodeSenderLog:
		return "", "", errors.New(`"log" takes no argument`)
	}
	return "", "", errors.New(`want "log" or "webhook=URL"`)
}

// parseEmail checks a bare email address (no display name).
func parseEmail(v string) (string, error) {
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || a.Address != v {
		return "", errors.New("want an email address such as admin@example.org")
	}
	return v, nil
}

// parsePushContact checks a VAPID contact: an email address, with or
// without "mailto:", or an https URL.
func parsePushContact(v string) (string, error) {
	if strings.HasPrefix(v, "https:") {
		u, err := parseHTTPURL(v)
		if err != nil {
			return "", err
		}
		return u, nil
	}
	if _, err := parseEmail(strings.TrimPrefix(v, "mailto:")); err != nil {
		return "", errors.New("want an email address such as admin@example.org, or an https URL")
	}
	return v, nil
}

// parseFrom checks an RFC 5322 From address: a bare address or one with a
// display name, such as "Haven <noreply@example.org>".
func parseFrom(v string) (string, error) {
	if _, err := mail.ParseAddress(v); err != nil {
		return "", errors.New(`want an address such as noreply@example.org or "Haven <noreply@example.org>"`)
	}
	return v, nil
}

// parseHost checks a host name or IP address without a port.
func parseHost(v string) (string, error) {
	if _, _, err := net.SplitHostPort(v); err == nil {
		return "", errors.New("give the host alone; the port is a separate setting")
	}
	if strings.ContainsAny(v, " /:") && net.ParseIP(v) == nil {
		return "", errors.New("want a host name or an IP address")
	}
	return v, nil
}

// isLoopbackHost reports whether host is localhost or a loopback address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
