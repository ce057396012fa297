package client

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryMethodIsTyped checks that each method of docs/api.md (which
// internal/api's tests keep equal to the server's method table) is
// called by name somewhere in the SDK's code, so that a method added to
// the server without a typed method here fails.
func TestEveryMethodIsTyped(t *testing.T) {
	documented := apiMethods(t, filepath.Join("..", "docs", "api.md"))
	if len(documented) < 50 {
		t.Fatalf("found only %d methods in docs/api.md: is the heading layout the same?", len(documented))
	}
	// The SDK's code: this package's and that of client/secret, which
	// speaks the secret.* methods.
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob(filepath.Join("secret", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, more...)
	var src strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	for _, m := range documented {
		if !strings.Contains(src.String(), `"`+m+`"`) {
			t.Errorf("%s has no typed method in the SDK", m)
		}
	}
}

// apiMethods lists the "### area.verb" headings under "## Methods".
func apiMethods(t *testing.T, path string) []string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	heading := regexp.MustCompile(`^### ([a-z]+\.[a-zA-Z]+)$`)
	var out []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## Methods"
		}
		if m := heading.FindStringSubmatch(line); in && m != nil {
			out = append(out, m[1])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
