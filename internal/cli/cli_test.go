package cli

import (
	"bytes"
	"slices"
	"testing"
)

// TestParse checks the flag rules every command shares: flags before or
// after the arguments, "--" to end them, --help on stdout.
func TestParse(t *testing.T) {
	for _, c := range []struct {
		args []string
		pos  []string
		json bool
		n    int
	}{
		{[]string{"@ann", "hi"}, []string{"@ann", "hi"}, false, 20},
		{[]string{"--json", "@ann", "hi"}, []string{"@ann", "hi"}, true, 20},
		{[]string{"@ann", "--json", "hi", "-n", "3"}, []string{"@ann", "hi"}, true, 3},
		{[]string{"@ann", "-"}, []string{"@ann", "-"}, false, 20},
		{[]string{"--json", "@ann", "--", "-5 today", "--json"}, []string{"@ann", "-5 today", "--json"}, true, 20},
	} {
		var out, errs bytes.Buffer
		cmd := newCommand("test", "Usage: haven test\n", Env{Stdout: &out, Stderr: &errs})
		asJSON := cmd.fs.Bool("json", false, "")
		n := cmd.fs.Int("n", 20, "")
		pos, code, done := cmd.parse(c.args)
		if done || code != 0 || !slices.Equal(pos, c.pos) || *asJSON != c.json || *n != c.n {
			t.Errorf("parse(%q) = %q, %d, %v, json %v, n %d; want %q, json %v, n %d (stderr %q)", c.args, pos, code, done, *asJSON, *n, c.pos, c.json, c.n, errs.String())
		}
	}

	var out, errs bytes.Buffer
	cmd := newCommand("test", "Usage: haven test\n", Env{Stdout: &out, Stderr: &errs})
	if _, code, done := cmd.parse([]string{"x", "--help"}); !done || code != 0 || out.String() != "Usage: haven test\n" {
		t.Errorf("--help: code %d, done %v, stdout %q", code, done, out.String())
	}
	if _, code, done := cmd.parse([]string{"--nope"}); !done || code != ExitUsage || !bytes.Contains(errs.Bytes(), []byte(`haven test: flag provided but not defined: -nope`)) {
		t.Errorf("unknown flag: code %d, done %v, stderr %q", code, done, errs.String())
	}
}

// TestParseArgs checks the count of positional arguments.
func TestParseArgs(t *testing.T) {
	for _, c := range []struct {
		args    []string
		n       int
		code    int
		done    bool
		wantErr string
	}{
		{nil, 0, 0, false, ""},
		{[]string{"x"}, 0, ExitUsage, true, `haven test: unexpected argument "x"`},
		{[]string{"@ann", "hi"}, 2, 0, false, ""},
		{[]string{"@ann"}, 2, ExitUsage, true, "haven test: want a chat and a text, got 1 arguments"},
		{[]string{"--help"}, 2, 0, true, ""},
	} {
		var out, errs bytes.Buffer
		cmd := newCommand("test", "Usage: haven test\n", Env{Stdout: &out, Stderr: &errs})
		pos, code, done := cmd.parseArgs(c.args, c.n, "a chat and a text")
		if code != c.code || done != c.done || !done && len(pos) != c.n || !bytes.Contains(errs.Bytes(), []byte(c.wantErr)) || c.wantErr == "" && errs.Len() > 0 {
			t.Errorf("parseArgs(%q, %d) = %q, %d, %v (stderr %q); want code %d, done %v, stderr with %q", c.args, c.n, pos, code, done, errs.String(), c.code, c.done, c.wantErr)
		}
	}
}

func TestCheckServerURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":       "http://127.0.0.1:8080",
		"https://haven.example.org/":  "https://haven.example.org",
		"https://example.org/haven//": "https://example.org/haven",
	} {
		if got, err := checkServerURL(in); err != nil || got != want {
			t.Errorf("checkServerURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"127.0.0.1:8080", "ftp://x", "http://", "http://x/?a=b", "::"} {
		if got, err := checkServerURL(in); err == nil {
			t.Errorf("checkServerURL(%q) = %q, want an error", in, got)
		}
	}
}
