package config

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// writeConfig writes a TOML file into a fresh directory and returns its path.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "haven.toml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// mustLoad loads and fails the test on error.
func mustLoad(t *testing.T, args, environ []string) *Serve {
	t.Helper()
	c, err := LoadServe(args, environ, io.Discard)
	if err != nil {
		t.Fatalf("LoadServe(%q, %q): %v", args, environ, err)
	}
	return c
}

// loadErr loads, expects failure, and returns the joined error's lines.
func loadErr(t *testing.T, args, environ []string) []string {
	t.Helper()
	c, err := LoadServe(args, environ, io.Discard)
	if err == nil {
		t.Fatalf("LoadServe(%q, %q) = %v, want an error", args, environ, c)
	}
	if c != nil {
		t.Errorf("LoadServe returned a config with an error")
	}
	return strings.Split(err.Error(), "\n")
}

// hasLine reports whether one of lines contains every one of parts.
func hasLine(lines []string, parts ...string) bool {
	for _, l := range lines {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return true
		}
	}
	return false
}

func TestServeDefaults(t *testing.T) {
	t.Parallel()
	got := mustLoad(t, nil, nil)
	want := &Serve{
		Listen:                  "127.0.0.1:8080",
		DataDir:                 "./haven-data",
		DBBatch:                 256,
		LogFormat:               "text",
		LogLevel:                slog.LevelInfo,
		PeopleSearchScan:        10_000,
		ACMECacheDir:            filepath.Join("haven-data", "acme"),
		CodeSender:              CodeSenderLog,
		SMTPPort:                587,
		SMTPTLS:                 SMTPTLSStartTLS,
		ShutdownTimeout:         15 * time.Second,
		MaxBody:                 1 << 20,
		FileURLTTL:              time.Hour,
		MaxFileSize:             2 << 30,
		StorageQuota:            20 << 30,
		MaxOpenUploads:          100,
		UploadTTL:               24 * time.Hour,
		PhotoMaxPixels:          40_000_000,
		PhotoMaxSide:            10_000,
		ImageMemory:             256 << 20,
		ImageWait:               15 * time.Second,
		BlobStore:               BlobStoreDisk,
		S3TLS:                   true,
		FloodRate:               30,
		FloodBurst:              60,
		InviteLinksMax:          100,
		SigninCodePerIdentifier: 5,
		SigninCodePerIP:         50,
		ConnsPerIP:              1024,
		WSPerIP:                 256,
		WSUnauthorizedPerIP:     32,
		WSPerUser:               32,
		WSAuthTimeout:           30 * time.Second,
		WSPingInterval:          30 * time.Second,
		WSPingTimeout:           20 * time.Second,
		HeaderTimeout:           10 * time.Second,
		IdleTimeout:             120 * time.Second,
		BodyTimeout:             30 * time.Second,
		PartMinRate:             1024,
		SigninGuessesPerDay:     10,
		ContactLookupsPerDay:    1000,
		SecretFile:              filepath.Join("haven-data", "secret.key"),
		Signup:                  SignupOpen,
		SignupMemberInviteTTL:   7 * 24 * time.Hour,
		PushKeyFile:             filepath.Join("haven-data", "vapid.key"),
		PushWorkers:             16,
		PushQueue:               10000,
		PushTimeout:             10 * time.Second,
		PushPerSession:          4,
		SecretQueue:             10000,
		SecretTTL:               720 * time.Hour,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %v\nwant %v", got, want)
	}
}

// TestServeSignupDefault checks the private default of the signup
// setting: open only for a server no one but this machine can reach.
func TestServeSignupDefault(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, SignupOpen},
		{[]string{"--listen=localhost:0"}, SignupOpen},
		{[]string{"--listen=[::1]:8080"}, SignupOpen},
		{[]string{"--listen=:8080"}, SignupInvite},
		{[]string{"--listen=0.0.0.0:8080"}, SignupInvite},
		{[]string{"--listen=192.0.2.7:8080"}, SignupInvite},
		{[]string{"--listen=chat.example.org:8080"}, SignupInvite},
		// Behind a reverse proxy on the same machine: public all the same.
		{[]string{"--public-url=https://chat.example.org"}, SignupInvite},
		{[]string{"--acme-domain=chat.example.org"}, SignupInvite},
		// Given, it is kept whatever the address.
		{[]string{"--listen=:8080", "--signup=open"}, SignupOpen},
		{[]string{"--signup=closed"}, SignupClosed},
	} {
		if got := mustLoad(t, c.args, nil).Signup; got != c.want {
			t.Errorf("%q: Signup = %q, want %q", c.args, got, c.want)
		}
	}
	// An allowlist on a server whose sign-up is open by default is a
	// mistake; with signup given as open, it is a leftover and passes.
	lines := loadErr(t, []string{"--signup-email-domains=example.org", "--signup-member-invites=2"}, nil)
	for _, name := range []string{"signup-email-domains", "signup-member-invites"} {
		if !hasLine(lines, name+" (flag --"+name+")", "has no effect unless signup is invite") {
			t.Errorf("no error for %s without signup invite: %q", name, lines)
		}
	}
	mustLoad(t, []string{"--signup=open", "--signup-email-domains=example.org"}, nil)
}

func TestServePublicBase(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		addr string
		want string
	}{
		{nil, "127.0.0.1:8080", "http://127.0.0.1:8080"},
		{[]string{"--listen=127.0.0.1:0"}, "127.0.0.1:41234", "http://127.0.0.1:41234"},
		{[]string{"--listen=[::1]:0"}, "[::1]:41234", "http://[::1]:41234"},
		{[]string{"--listen=localhost:8080"}, "127.0.0.1:8080", "http://localhost:8080"},
		{[]string{"--listen=:8080"}, "[::]:8080", ""},
		{[]string{"--listen=0.0.0.0:8080"}, "0.0.0.0:8080", ""},
		{[]string{"--listen=:8443", "--tls-cert=c.pem", "--tls-key=k.pem"}, "[::]:8443", ""},
		{[]string{"--listen=chat.example.org:8443", "--tls-cert=c.pem", "--tls-key=k.pem"}, "192.0.2.7:8443", "https://chat.example.org:8443"},
		{[]string{"--listen=:443", "--acme-domain=chat.example.org,www.example.org"}, "[::]:443", "https://chat.example.org"},
		{[]string{"--listen=:8443", "--acme-domain=chat.example.org"}, "[::]:8443", "https://chat.example.org:8443"},
		{[]string{"--public-url=https://chat.example.org/"}, "127.0.0.1:8080", "https://chat.example.org"},
		{[]string{"--public-url=https://example.org/haven"}, "127.0.0.1:8080", "https://example.org/haven"},
	} {
		if got := mustLoad(t, c.args, nil).PublicBase(c.addr); got != c.want {
			t.Errorf("%q on %s: PublicBase = %q, want %q", c.args, c.addr, got, c.want)
		}
	}
}

func TestServeDerivedDefaultsFollowDataDir(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, []string{"--data-dir=/srv/haven"}, nil)
	if c.ACMECacheDir != "/srv/haven/acme" || c.SecretFile != "/srv/haven/secret.key" || c.PushKeyFile != "/srv/haven/vapid.key" {
		t.Errorf("ACMECacheDir, SecretFile, PushKeyFile = %q, %q, %q", c.ACMECacheDir, c.SecretFile, c.PushKeyFile)
	}
	c = mustLoad(t, []string{"--data-dir=/srv/haven", "--secret-file=/etc/k"}, nil)
	if c.SecretFile != "/etc/k" {
		t.Errorf("SecretFile = %q, want the explicit one", c.SecretFile)
	}
}

func TestServePrecedence(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `
listen = "10.0.0.1:1"
max-body = 1000
ip-logging = true
flood-rate = 1
acme-domain = ["file.example.org"]
log-level = "warn"
`)
	cfg := "HAVEN_CONFIG=" + path

	c := mustLoad(t, nil, []string{cfg})
	if c.Listen != "10.0.0.1:1" || c.MaxBody != 1000 || !c.IPLogging || c.FloodRate != 1 ||
		!reflect.DeepEqual(c.ACMEDomains, []string{"file.example.org"}) || c.LogLevel != slog.LevelWarn {
		t.Errorf("file over defaults: %v", c)
	}

	env := []string{cfg, "HAVEN_LISTEN=10.0.0.2:2", "HAVEN_MAX_BODY=2KiB", "HAVEN_IP_LOGGING=false",
		"HAVEN_FLOOD_RATE=2", "HAVEN_ACME_DOMAIN=env.example.org"}
	c = mustLoad(t, nil, env)
	if c.Listen != "10.0.0.2:2" || c.MaxBody != 2048 || c.IPLogging || c.FloodRate != 2 ||
		!reflect.DeepEqual(c.ACMEDomains, []string{"env.example.org"}) || c.LogLevel != slog.LevelWarn {
		t.Errorf("env over file: %v", c)
	}

	c = mustLoad(t, []string{"--listen=10.0.0.3:3", "--max-body", "3", "--ip-logging", "-flood-rate=3",
		"--acme-domain=flag.example.org"}, env)
	if c.Listen != "10.0.0.3:3" || c.MaxBody != 3 || !c.IPLogging || c.FloodRate != 3 ||
		!reflect.DeepEqual(c.ACMEDomains, []string{"flag.example.org"}) || c.LogLevel != slog.LevelWarn {
		t.Errorf("flags over env: %v", c)
	}

	// The last of repeated flags wins.
	c = mustLoad(t, []string{"--listen=:1", "--listen=:2"}, nil)
	if c.Listen != ":2" {
		t.Errorf("repeated flag: Listen = %q", c.Listen)
	}
}

// sample is a valid, non-default value for a setting, and the flags its
// partners need for the configuration to be consistent.
type sample struct {
	value string
	with  []string
}

var serveSamples = map[string]sample{
	"listen":                     {value: "0.0.0.0:9090"},
	"metrics-listen":             {value: "127.0.0.1:9091"},
	"data-dir":                   {value: "/var/lib/haven"},
	"db":                         {value: "postgres://haven:pw@db.example.org:5432/haven"},
	"bus":                        {value: "nats://10.0.0.1:4222,nats://10.0.0.2:4222"},
	"db-batch":                   {value: "1", with: []string{"--db", "postgres://haven:pw@db.example.org:5432/haven"}},
	"public-url":                 {value: "https://chat.example.org"},
	"signup":                     {value: "closed"},
	"signup-phone-prefixes":      {value: "+4420,+1555", with: []string{"--signup=invite"}},
	"signup-email-domains":       {value: "example.org,school.example", with: []string{"--signup=invite"}},
	"signup-member-invites":      {value: "3", with: []string{"--signup=invite"}},
	"signup-member-invite-ttl":   {value: "24h", with: []string{"--signup=invite"}},
	"log-format":                 {value: "json"},
	"log-level":                  {value: "debug"},
	"people-search-scan":         {value: "500"},
	"tls-cert":                   {value: "cert.pem", with: []string{"--tls-key=key.pem"}},
	"tls-key":                    {value: "key.pem", with: []string{"--tls-cert=cert.pem"}},
	"acme-domain":                {value: "chat.example.org,www.example.org"},
	"acme-email":                 {value: "ops@example.org", with: []string{"--acme-domain=chat.example.org"}},
	"acme-cache-dir":             {value: "/var/cache/acme", with: []string{"--acme-domain=chat.example.org"}},
	"acme-directory-url":         {value: "https://acme.example.org/directory", with: []string{"--acme-domain=chat.example.org"}},
	"code-sender":                {value: "webhook=https://sms.example.org/send"},
	"webhook-auth":               {value: "Bearer t0ken", with: []string{"--code-sender=webhook=https://sms.example.org/send"}},
	"smtp-host":                  {value: "smtp.example.org", with: []string{"--smtp-from=noreply@example.org"}},
	"smtp-port":                  {value: "465", with: []string{"--smtp-host=smtp.example.org", "--smtp-from=noreply@example.org"}},
	"smtp-username":              {value: "haven", with: []string{"--smtp-host=smtp.example.org", "--smtp-from=noreply@example.org", "--smtp-password=pw"}},
	"smtp-password":              {value: "pw", with: []string{"--smtp-host=smtp.example.org", "--smtp-from=noreply@example.org", "--smtp-username=haven"}},
	"smtp-from":                  {value: "Haven <noreply@example.org>", with: []string{"--smtp-host=smtp.example.org"}},
	"smtp-tls":                   {value: "tls", with: []string{"--smtp-host=smtp.example.org", "--smtp-from=noreply@example.org"}},
	"push-key-file":              {value: "/etc/haven/vapid.key"},
	"push-contact":               {value: "mailto:ops@example.org"},
	"push-workers":               {value: "4"},
	"push-queue":                 {value: "100"},
	"push-timeout":               {value: "3s"},
	"push-per-session":           {value: "2"},
	"secret-queue":               {value: "500"},
	"secret-ttl":                 {value: "240h"},
	"push-allow-private":         {value: "true"},
	"ip-logging":                 {value: "true"},
	"trusted-proxies":            {value: "127.0.0.1,10.0.0.0/8,fd00::/8"},
	"conns-per-ip":               {value: "4096"},
	"ws-per-ip":                  {value: "1000"},
	"ws-unauthorized-per-ip":     {value: "8"},
	"ws-per-user":                {value: "64"},
	"ws-auth-timeout":            {value: "1m"},
	"ws-ping-interval":           {value: "45s"},
	"ws-ping-timeout":            {value: "10s"},
	"header-timeout":             {value: "5s"},
	"idle-timeout":               {value: "1m"},
	"body-timeout":               {value: "1m"},
	"part-min-rate":              {value: "4KiB"},
	"shutdown-timeout":           {value: "1m30s"},
	"max-body":                   {value: "512KiB"},
	"file-url-ttl":               {value: "15m"},
	"max-file-size":              {value: "100MiB"},
	"storage-quota":              {value: "0"},
	"max-open-uploads":           {value: "10"},
	"upload-ttl":                 {value: "2h"},
	"photo-max-pixels":           {value: "12000000"},
	"photo-max-side":             {value: "4096"},
	"image-memory":               {value: "64MiB"},
	"image-wait":                 {value: "3s"},
	"blob-store":                 {value: "s3", with: []string{"--s3-endpoint=minio:9000", "--s3-bucket=haven"}},
	"s3-endpoint":                {value: "s3.eu-west-1.amazonaws.com", with: []string{"--blob-store=s3", "--s3-bucket=haven"}},
	"s3-bucket":                  {value: "haven-files.eu", with: []string{"--blob-store=s3", "--s3-endpoint=minio:9000"}},
	"s3-access-key":              {value: "AKIAHAVEN", with: []string{"--blob-store=s3", "--s3-endpoint=minio:9000", "--s3-bucket=haven", "--s3-secret-key=sk"}},
	"s3-secret-key":              {value: "sk", with: []string{"--blob-store=s3", "--s3-endpoint=minio:9000", "--s3-bucket=haven", "--s3-access-key=ak"}},
	"s3-region":                  {value: "eu-west-1", with: []string{"--blob-store=s3", "--s3-endpoint=minio:9000", "--s3-bucket=haven"}},
	"s3-tls":                     {value: "false", with: []string{"--blob-store=s3", "--s3-endpoint=minio:9000", "--s3-bucket=haven"}},
	"flood-rate":                 {value: "2.5"},
	"flood-burst":                {value: "10"},
	"invite-links-max":           {value: "5"},
	"signin-code-per-identifier": {value: "3"},
	"signin-code-per-ip":         {value: "20"},
	"signin-guesses-per-day":     {value: "30"},
	"contacts-lookups-per-day":   {value: "200"},
	"secret-file":                {value: "/etc/haven/secret.key"},
}

// tomlLiteral writes v, a setting's text value, as a TOML value of the
// setting's kind.
func tomlLiteral(k kind, v string) string {
	switch k {
	case kindInt, kindFloat, kindBool:
		return v
	}
	return strconv.Quote(v)
}

// TestServeEverySettingFromEverySource checks that every setting in the
// table takes effect, and the same effect, from a flag, a HAVEN_*
// variable and the config file.
func TestServeEverySettingFromEverySource(t *testing.T) {
	t.Parallel()
	for _, s := range serveSettings {
		if s.name == configName {
			continue // TestServeConfigFile
		}
		t.Run(s.name, func(t *testing.T) {
			smp, ok := serveSamples[s.name]
			if !ok {
				t.Fatalf("no sample value for setting %s: add one to serveSamples", s.name)
			}
			want := mustLoad(t, append(slicesClone(smp.with), "--"+s.name+"="+smp.value), nil)
			// The partners alone may be inconsistent (tls-key without
			// tls-cert): then the setting plainly has an effect.
			if base, err := LoadServe(smp.with, nil, io.Discard); err == nil && reflect.DeepEqual(base, want) {
				t.Fatalf("--%s=%s changed nothing", s.name, smp.value)
			}

			got := mustLoad(t, smp.with, []string{envName(s.name) + "=" + smp.value})
			if !reflect.DeepEqual(got, want) {
				t.Errorf("from env:\n got %v\nwant %v", got, want)
			}

			path := writeConfig(t, s.name+" = "+tomlLiteral(s.kind, smp.value)+"\n")
			got = mustLoad(t, append(slicesClone(smp.with), "--config="+path), nil)
			got.Config = ""
			if !reflect.DeepEqual(got, want) {
				t.Errorf("from file:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

func TestServeConfigFile(t *testing.T) {
	t.Parallel()
	envPath := writeConfig(t, `listen = ":1"`)
	flagPath := writeConfig(t, `listen = ":2"`)

	c := mustLoad(t, nil, []string{"HAVEN_CONFIG=" + envPath})
	if c.Listen != ":1" || c.Config != envPath {
		t.Errorf("HAVEN_CONFIG: Listen, Config = %q, %q", c.Listen, c.Config)
	}
	c = mustLoad(t, []string{"--config", flagPath}, []string{"HAVEN_CONFIG=" + envPath})
	if c.Listen != ":2" || c.Config != flagPath {
		t.Errorf("--config over HAVEN_CONFIG: Listen, Config = %q, %q", c.Listen, c.Config)
	}
	// An empty --config turns the file off.
	c = mustLoad(t, []string{"--config="}, []string{"HAVEN_CONFIG=" + envPath})
	if c.Listen != "127.0.0.1:8080" || c.Config != "" {
		t.Errorf("--config= : Listen, Config = %q, %q", c.Listen, c.Config)
	}

	missing := filepath.Join(t.TempDir(), "nope.toml")
	lines := loadErr(t, nil, []string{"HAVEN_CONFIG=" + missing})
	if !hasLine(lines, "config (env HAVEN_CONFIG)", missing) {
		t.Errorf("missing file: %q", lines)
	}

	nested := writeConfig(t, `config = "other.toml"`)
	lines = loadErr(t, []string{"--config=" + nested}, nil)
	if !hasLine(lines, "config (file "+nested+")", "not inside the file") {
		t.Errorf("config inside the file: %q", lines)
	}

	broken := writeConfig(t, "listen = \":1\"\nmax-body = = 3\n")
	lines = loadErr(t, []string{"--config=" + broken}, nil)
	if !hasLine(lines, "file "+broken, "line 2") {
		t.Errorf("TOML syntax error: %q", lines)
	}
}

func TestServeFileTypes(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `
max-body = 524288
acme-domain = ["a.example.org", "b.example.org"]
flood-rate = 10
shutdown-timeout = "2s"
`)
	c := mustLoad(t, []string{"--config=" + path}, nil)
	if c.MaxBody != 524288 || !reflect.DeepEqual(c.ACMEDomains, []string{"a.example.org", "b.example.org"}) ||
		c.FloodRate != 10 || c.ShutdownTimeout != 2*time.Second {
		t.Errorf("native TOML types: %v", c)
	}

	bad := writeConfig(t, `
listen = 8080
ip-logging = "yes"
shutdown-timeout = 15
flood-burst = 1.5
acme-domain = [1, 2]
data-dir = { path = "x" }
smtp-port = "587"
`)
	lines := loadErr(t, []string{"--config=" + bad}, nil)
	for _, name := range []string{"listen", "ip-logging", "shutdown-timeout", "flood-burst", "acme-domain", "data-dir", "smtp-port"} {
		if !hasLine(lines, name+" (file "+bad+")", "want ") {
			t.Errorf("no type error for %s in %q", name, lines)
		}
	}
	if len(lines) != 7 {
		t.Errorf("got %d errors, want 7: %q", len(lines), lines)
	}
}

func TestServeUnknownSettings(t *testing.T) {
	t.Parallel()
	lines := loadErr(t, []string{"--listn=:1"}, nil)
	if !hasLine(lines, "flag provided but not defined", "-listn") {
		t.Errorf("unknown flag: %q", lines)
	}

	lines = loadErr(t, nil, []string{"HAVEN_LISTN=:1", "HAVEN_WHATEVER=", "PATH=/bin", "HAVENX=1"})
	if !hasLine(lines, "env HAVEN_LISTN", "unknown setting", "did you mean HAVEN_LISTEN?") {
		t.Errorf("unknown env: %q", lines)
	}
	if !hasLine(lines, "env HAVEN_WHATEVER", "unknown setting") {
		t.Errorf("unknown empty env: %q", lines)
	}
	if len(lines) != 2 {
		t.Errorf("got %d errors, want 2 (non-HAVEN_ variables are ignored): %q", len(lines), lines)
	}

	path := writeConfig(t, "listn = \":1\"\nfrobnicate = true\n[smtp]\nhost = \"x\"\n")
	lines = loadErr(t, []string{"--config=" + path}, nil)
	for _, want := range [][]string{
		{"file " + path, `unknown setting "listn"`, "did you mean listen?"},
		{"file " + path, `unknown setting "frobnicate"`},
		{"file " + path, `unknown setting "smtp"`},
	} {
		if !hasLine(lines, want...) {
			t.Errorf("unknown TOML keys: no line with %q in %q", want, lines)
		}
	}
	if len(lines) != 3 {
		t.Errorf("got %d errors, want 3: %q", len(lines), lines)
	}

	lines = loadErr(t, []string{"--listen=:1", "extra"}, nil)
	if !hasLine(lines, `unexpected argument "extra"`) {
		t.Errorf("positional argument: %q", lines)
	}
	lines = loadErr(t, []string{"--ip-logging", "false"}, nil)
	if !hasLine(lines, `unexpected argument "false"`, "--flag=false") {
		t.Errorf("bool flag with separate value: %q", lines)
	}
}

func TestServeBadValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want []string // all in one error line
	}{
		{"listen without port", []string{"--listen=localhost"}, []string{"listen (flag --listen)", `"localhost"`, "host:port"}},
		{"listen bad port", []string{"--listen=:99999"}, []string{"listen (flag --listen)", "port"}},
		{"metrics-listen without port", []string{"--metrics-listen=localhost"}, []string{"metrics-listen (flag --metrics-listen)", "host:port"}},
		{"metrics-listen on the API's address", []string{"--listen=:8080", "--metrics-listen=:8080"}, []string{"metrics-listen (flag --metrics-listen)", "must differ from listen"}},
		{"bad duration", []string{"--shutdown-timeout=15"}, []string{"shutdown-timeout (flag --shutdown-timeout)", "duration"}},
		{"zero duration", []string{"--shutdown-timeout=0s"}, []string{"shutdown-timeout", "above 0"}},
		{"tls-cert without key", []string{"--tls-cert=c.pem"}, []string{"tls-cert (flag --tls-cert)", "needs tls-key"}},
		{"tls-key without cert", []string{"--tls-key=k.pem"}, []string{"tls-key (flag --tls-key)", "needs tls-cert"}},
		{"acme with tls-cert", []string{"--acme-domain=chat.example.org", "--tls-cert=c.pem", "--tls-key=k.pem"},
			[]string{"acme-domain (flag --acme-domain)", "tls-cert (flag --tls-cert)", "mutually exclusive"}},
		{"acme bad domain", []string{"--acme-domain=localhost"}, []string{"acme-domain", `"localhost"`}},
		{"acme bad email", []string{"--acme-domain=chat.example.org", "--acme-email=nobody"}, []string{"acme-email", "email"}},
		{"acme bad directory", []string{"--acme-domain=chat.example.org", "--acme-directory-url=acme.example.org"}, []string{"acme-directory-url", "http"}},
		{"code-sender unknown", []string{"--code-sender=sms"}, []string{"code-sender (flag --code-sender)", `"sms"`, `"log" or "webhook=URL"`}},
		{"code-sender webhook no url", []string{"--code-sender=webhook"}, []string{"code-sender", "needs a URL"}},
		{"code-sender webhook bad scheme", []string{"--code-sender=webhook=ftp://x.example.org/"}, []string{"code-sender", "http"}},
		{"code-sender webhook no host", []string{"--code-sender=webhook=https:///send"}, []string{"code-sender", "no host"}},
		{"bad log-format", []string{"--log-format=xml"}, []string{"log-format (flag --log-format)", `"xml"`, "text, json"}},
		{"bad log-level", []string{"--log-level=trace"}, []string{"log-level", "debug, info, warn or error"}},
		{"bad bool", []string{"--ip-logging=maybe"}, []string{"ip-logging (flag --ip-logging)", "true or false"}},
		{"bad size", []string{"--max-body=1MB"}, []string{"max-body", "KiB"}},
		{"file URLs for days", []string{"--file-url-ttl=48h"}, []string{"file-url-ttl (flag --file-url-ttl)", "between 1s and 24h"}},
		{"file URLs for an instant", []string{"--file-url-ttl=10ms"}, []string{"file-url-ttl", "between 1s and 24h"}},
		{"bad rate", []string{"--flood-rate=-1"}, []string{"flood-rate", "0 or above"}},
		{"bad burst", []string{"--flood-burst=0"}, []string{"flood-burst", "at least 1"}},
		{"bad trusted proxy", []string{"--trusted-proxies=10.0.0.0/8,proxy.local"}, []string{"trusted-proxies (flag --trusted-proxies)", `"proxy.local"`, "not an IP address"}},
		{"bad trusted range", []string{"--trusted-proxies=10.0.0.0/33"}, []string{"trusted-proxies", "CIDR"}},
		{"zero socket cap", []string{"--ws-per-ip=0"}, []string{"ws-per-ip", "at least 1"}},
		{"unauthorized cap above the cap", []string{"--ws-per-ip=10", "--ws-unauthorized-per-ip=11"},
			[]string{"ws-unauthorized-per-ip (flag --ws-unauthorized-per-ip)", "ws-per-ip (flag --ws-per-ip)", "never apply"}},
		{"zero part rate", []string{"--part-min-rate=0"}, []string{"part-min-rate", "above 0"}},
		{"zero ping timeout", []string{"--ws-ping-timeout=0s"}, []string{"ws-ping-timeout", "above 0"}},
		{"bad code limit", []string{"--signin-code-per-ip=-1"}, []string{"signin-code-per-ip", "at least 1"}},
		{"bad guess limit", []string{"--signin-guesses-per-day=0"}, []string{"signin-guesses-per-day", "at least 1"}},
		{"bad lookup limit", []string{"--contacts-lookups-per-day=none"}, []string{"contacts-lookups-per-day", "not an integer"}},
		{"bad smtp port", []string{"--smtp-host=smtp.example.org", "--smtp-from=a@example.org", "--smtp-port=0"}, []string{"smtp-port", "port"}},
		{"smtp host with port", []string{"--smtp-host=smtp.example.org:25", "--smtp-from=a@example.org"}, []string{"smtp-host", "separate"}},
		{"smtp without from", []string{"--smtp-host=smtp.example.org"}, []string{"smtp-host (flag --smtp-host)", "smtp-from"}},
		{"smtp bad tls", []string{"--smtp-host=smtp.example.org", "--smtp-from=a@example.org", "--smtp-tls=ssl"}, []string{"smtp-tls", "starttls, tls, none"}},
		{"smtp user without password", []string{"--smtp-host=smtp.example.org", "--smtp-from=a@example.org", "--smtp-username=u"},
			[]string{"smtp-username (flag --smtp-username)", "smtp-password (default)", "both or neither"}},
		{"smtp password in clear", []string{"--smtp-host=smtp.example.org", "--smtp-from=a@example.org", "--smtp-username=u", "--smtp-password=p", "--smtp-tls=none"},
			[]string{"smtp-tls (flag --smtp-tls)", "unencrypted"}},
		{"smtp setting without host", []string{"--smtp-from=a@example.org"}, []string{"smtp-from (flag --smtp-from)", "no effect without smtp-host"}},
		{"acme setting without domain", []string{"--acme-email=a@example.org"}, []string{"acme-email (flag --acme-email)", "no effect without acme-domain"}},
		{"webhook-auth without webhook", []string{"--webhook-auth=Bearer x"}, []string{"webhook-auth (flag --webhook-auth)", "webhook=URL"}},
		{"bus not nats", []string{"--bus=http://10.0.0.1:4222"}, []string{"bus (flag --bus)", "nats://host:port"}},
		{"bus second url bad, password hidden", []string{"--bus=nats://u:hunter2@a:1,b:2"}, []string{"bus (flag --bus)", "bad URL"}},
		{"empty data-dir", []string{"--data-dir="}, []string{"data-dir", "empty"}},
		{"public-url not http", []string{"--public-url=chat.example.org"}, []string{"public-url (flag --public-url)", "http"}},
		{"public-url with query", []string{"--public-url=https://chat.example.org/?x=1"}, []string{"public-url", "query"}},
		{"public-url with user", []string{"--public-url=https://u:p@chat.example.org"}, []string{"public-url", "user:password"}},
		{"unknown signup", []string{"--signup=friends"}, []string{"signup (flag --signup)", `"friends"`, "open, invite, closed"}},
		{"phone prefix without plus", []string{"--signup=invite", "--signup-phone-prefixes=44"}, []string{"signup-phone-prefixes", `"44"`, "+44"}},
		{"phone prefix not digits", []string{"--signup=invite", "--signup-phone-prefixes=+44,+1-555"}, []string{"signup-phone-prefixes", `"+1-555"`}},
		{"email domain bad", []string{"--signup=invite", "--signup-email-domains=@example"}, []string{"signup-email-domains"}},
		{"negative member invites", []string{"--signup=invite", "--signup-member-invites=-1"}, []string{"signup-member-invites", "at least 0"}},
		{"s3 without endpoint", []string{"--blob-store=s3", "--s3-bucket=haven"}, []string{"blob-store (flag --blob-store)", "needs s3-endpoint"}},
		{"s3 without bucket", []string{"--blob-store=s3", "--s3-endpoint=minio:9000"}, []string{"blob-store (flag --blob-store)", "needs s3-bucket"}},
		{"s3 key without secret", []string{"--blob-store=s3", "--s3-endpoint=minio:9000", "--s3-bucket=haven", "--s3-access-key=ak"}, []string{"s3-access-key (flag --s3-access-key)", "both or neither"}},
		{"s3 setting on disk", []string{"--s3-bucket=haven"}, []string{"s3-bucket (flag --s3-bucket)", "no effect unless blob-store is s3"}},
		{"unknown blob store", []string{"--blob-store=ftp"}, []string{"blob-store", `"ftp"`}},
		{"db not postgres", []string{"--db=mysql://u:pw@db/haven"}, []string{"db (flag --db)", "PostgreSQL URL"}},
		{"s3 endpoint with scheme", []string{"--blob-store=s3", "--s3-endpoint=https://minio:9000", "--s3-bucket=haven"}, []string{"s3-endpoint", "without a scheme"}},
		{"s3 endpoint bad port", []string{"--blob-store=s3", "--s3-endpoint=minio:99999", "--s3-bucket=haven"}, []string{"s3-endpoint"}},
		{"bad bucket", []string{"--blob-store=s3", "--s3-endpoint=minio:9000", "--s3-bucket=Haven_Files"}, []string{"s3-bucket", "lowercase"}},
		{"push contact not an address", []string{"--push-contact=ops"}, []string{"push-contact (flag --push-contact)", "email address", "https URL"}},
		{"push contact over http", []string{"--push-contact=http://example.org/"}, []string{"push-contact", "email address"}},
		{"no push workers", []string{"--push-workers=0"}, []string{"push-workers", "at least 1"}},
		{"no push timeout", []string{"--push-timeout=0s"}, []string{"push-timeout", "above 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lines := loadErr(t, tt.args, nil)
			if !hasLine(lines, tt.want...) {
				t.Errorf("no line with all of %q in:\n%s", tt.want, strings.Join(lines, "\n"))
			}
		})
	}
}

func TestServeBadValueFromEnvAndFileNamesSource(t *testing.T) {
	t.Parallel()
	lines := loadErr(t, nil, []string{"HAVEN_LISTEN=localhost"})
	if !hasLine(lines, "listen (env HAVEN_LISTEN)", `"localhost"`) {
		t.Errorf("env: %q", lines)
	}
	path := writeConfig(t, `log-format = "xml"`)
	lines = loadErr(t, []string{"--config=" + path}, nil)
	if !hasLine(lines, "log-format (file "+path+")", `"xml"`) {
		t.Errorf("file: %q", lines)
	}
}

func TestServeReportsEveryErrorAtOnce(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `
log-format = "xml"
listn = ":1"
`)
	env := []string{"HAVEN_CONFIG=" + path, "HAVEN_SHUTDOWN_TIMEOUT=soon", "HAVEN_BOGUS=1"}
	args := []string{"--listen=nowhere", "--code-sender=carrier-pigeon", "--tls-cert=c.pem"}
	lines := loadErr(t, args, env)
	want := [][]string{
		{"log-format (file " + path + ")", `"xml"`},
		{"file " + path, `unknown setting "listn"`},
		{"shutdown-timeout (env HAVEN_SHUTDOWN_TIMEOUT)", `"soon"`},
		{"env HAVEN_BOGUS", "unknown setting"},
		{"listen (flag --listen)", `"nowhere"`},
		{"code-sender (flag --code-sender)", `"carrier-pigeon"`},
		{"tls-cert (flag --tls-cert)", "needs tls-key"},
	}
	for _, w := range want {
		if !hasLine(lines, w...) {
			t.Errorf("no line with %q", w)
		}
	}
	if len(lines) != len(want) {
		t.Errorf("got %d errors, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
	// Grouped by source in order of precedence, cross-checks last.
	if !strings.Contains(lines[0], "file") || !strings.Contains(lines[len(lines)-1], "tls-cert") {
		t.Errorf("order:\n%s", strings.Join(lines, "\n"))
	}
}

func TestServeBadValueKeepsLowerOneAndAddsNoSecondError(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `log-level = "warn"`)
	lines := loadErr(t, []string{"--config=" + path, "--log-level=loud",
		"--acme-domain=localhost", "--acme-email=ops@example.org",
		"--code-sender=sms", "--webhook-auth=Bearer x"}, nil)
	if len(lines) != 3 || !hasLine(lines, "log-level") || !hasLine(lines, "acme-domain") || !hasLine(lines, "code-sender") {
		t.Errorf("want exactly the three bad values:\n%s", strings.Join(lines, "\n"))
	}

	for _, s := range serveSettings {
		if s.name != "listen" {
			continue
		}
		var c Serve
		if err := s.set(&c, ":1"); err != nil {
			t.Fatal(err)
		}
		if s.set(&c, "bad") == nil || c.Listen != ":1" {
			t.Errorf("a bad value replaced the good one: %q", c.Listen)
		}
	}
}

func TestServeEnvDetails(t *testing.T) {
	t.Parallel()
	// Empty counts as unset; the first of repeated entries wins, as with
	// os.Getenv; entries without '=' are ignored.
	c := mustLoad(t, nil, []string{"HAVEN_LISTEN=", "HAVEN_LOG_LEVEL=error", "HAVEN_LOG_LEVEL=debug", "HAVEN_NOEQUALS"})
	if c.Listen != "127.0.0.1:8080" || c.LogLevel != slog.LevelError {
		t.Errorf("Listen, LogLevel = %q, %v", c.Listen, c.LogLevel)
	}
}

func TestServeTurningAFeatureOffKeepsItsPartners(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `
acme-domain = "chat.example.org"
acme-email = "ops@example.org"
smtp-host = "smtp.example.org"
smtp-from = "noreply@example.org"
code-sender = "webhook=https://sms.example.org/"
webhook-auth = "Bearer x"
`)
	c := mustLoad(t, []string{"--config=" + path, "--acme-domain=", "--smtp-host=", "--code-sender=log"}, nil)
	if len(c.ACMEDomains) != 0 || c.SMTPHost != "" || c.CodeSender != CodeSenderLog || c.WebhookURL != "" {
		t.Errorf("features not turned off: %v", c)
	}
}

func TestServeHelp(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"-h", "--help", "-help"} {
		var out bytes.Buffer
		c, err := LoadServe([]string{"--listen=bad", arg}, []string{"HAVEN_BOGUS=1"}, &out)
		if !errors.Is(err, flag.ErrHelp) || c != nil {
			t.Fatalf("%s: LoadServe = %v, %v; want nil, flag.ErrHelp", arg, c, err)
		}
		help := out.String()
		for _, s := range serveSettings {
			if !strings.Contains(help, "--"+s.name) {
				t.Errorf("%s: usage lacks --%s", arg, s.name)
			}
			if !strings.Contains(help, "env: "+envName(s.name)) {
				t.Errorf("%s: usage lacks %s", arg, envName(s.name))
			}
			if !strings.Contains(help, s.help) {
				t.Errorf("%s: usage lacks the help of %s", arg, s.name)
			}
			def := s.def
			if s.defNote != "" {
				def = s.defNote
			}
			if def != "" && !strings.Contains(help, "default: "+def) {
				t.Errorf("%s: usage lacks the default of %s (%s)", arg, s.name, def)
			}
		}
	}
	if _, err := LoadServe([]string{"-h"}, nil, nil); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("nil stderr: %v", err)
	}
}

func TestServeSettingsTable(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	for _, s := range serveSettings {
		if seen[envName(s.name)] {
			t.Errorf("env name %s used twice", envName(s.name))
		}
		seen[envName(s.name)] = true
		if s.help == "" || s.set == nil {
			t.Errorf("%s: help and set are required", s.name)
		}
		if s.kind != kindBool && s.arg == "" {
			t.Errorf("%s: needs an arg placeholder for usage", s.name)
		}
	}
	if envName("signin-code-per-ip") != "HAVEN_SIGNIN_CODE_PER_IP" {
		t.Errorf("envName = %s", envName("signin-code-per-ip"))
	}
}

func TestServeErrorsHideURLCredentials(t *testing.T) {
	t.Parallel()
	lines := loadErr(t, []string{"--code-sender=webhook=https://user:hunter2@sms.example.org/send"}, nil)
	if hasLine(lines, "hunter2") || !hasLine(lines, "code-sender", "https://REDACTED@sms.example.org/send", "user:password") {
		t.Errorf("%q", lines)
	}
	lines = loadErr(t, []string{"--bus=nats://u:hunter2@a:1,http://v:hunter2@b:2"}, nil)
	if hasLine(lines, "hunter2") || !hasLine(lines, "bus (flag --bus)", "bad URL") {
		t.Errorf("%q", lines)
	}
	for in, want := range map[string]string{
		"log":                         "log",
		"webhook=https://x.org/a@b":   "webhook=https://x.org/a@b",
		"https://a:b@x.org":           "https://REDACTED@x.org",
		"webhook=http://a@b@x.org/?q": "webhook=http://REDACTED@x.org/?q",
	} {
		if got := hideUserinfo(in); got != want {
			t.Errorf("hideUserinfo(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestServeStringRedactsSecrets(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, []string{
		"--code-sender=webhook=https://sms.example.org/", "--webhook-auth=Bearer hunter2",
		"--smtp-host=smtp.example.org", "--smtp-from=a@example.org", "--smtp-username=u", "--smtp-password=swordfish",
		"--blob-store=s3", "--s3-endpoint=minio:9000", "--s3-bucket=haven", "--s3-access-key=ak", "--s3-secret-key=opensesame",
		"--db=postgres://haven:letmein@db.example.org/haven",
	}, nil)
	for _, s := range []string{c.String(), (*c).String()} {
		if strings.Contains(s, "hunter2") || strings.Contains(s, "swordfish") || strings.Contains(s, "opensesame") ||
			strings.Contains(s, "letmein") || !strings.Contains(s, "REDACTED") {
			t.Errorf("String() = %s", s)
		}
	}
	if c.WebhookAuth != "Bearer hunter2" {
		t.Errorf("String changed the config")
	}
}

func TestEditDistance(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"listen", "listen", 0}, {"listn", "listen", 1},
		{"lsiten", "listen", 2}, {"", "abc", 3}, {"kitten", "sitting", 3},
	} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestContribConfig loads the example settings of contrib/haven.toml,
// which docs/operations.md tells operators to copy: they must stay valid.
func TestContribConfig(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, []string{"--config", filepath.Join("..", "..", "contrib", "haven.toml")}, nil)
	if c.Signup != SignupInvite || c.PublicURL != "https://chat.example.org" || c.DataDir != "/var/lib/haven" ||
		c.Listen != "127.0.0.1:8080" || !reflect.DeepEqual(c.SignupEmailDomains, []string{"example.org"}) {
		t.Errorf("contrib/haven.toml: %v", c)
	}
}
