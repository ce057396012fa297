package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBench runs "haven bench" as a person would: it starts the binary
// itself (serve) and measures it; its usage errors are exit status 2.
func TestBench(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "r.json")
	r := runHaven(t, dir, cleanEnv(), "bench", "signup", "--spawn", "--duration", "1s", "--concurrency", "4", "--json", out)
	if r.code != 0 || !strings.Contains(r.stdout, "flood control off") || !strings.Contains(r.stdout, "whole sign-up") {
		t.Fatalf("haven bench signup --spawn: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	var rep struct {
		Results []struct {
			Ops    int64 `json:"ops"`
			Server *struct {
				RSSPeak int64 `json:"rss_peak_bytes"`
			} `json:"server"`
		} `json:"results"`
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil || len(rep.Results) != 1 || rep.Results[0].Ops == 0 || rep.Results[0].Server == nil || rep.Results[0].Server.RSSPeak == 0 {
		t.Fatalf("the figures: %v %s", err, data)
	}
	r = runHaven(t, dir, cleanEnv(), "bench", "direct")
	if r.code != 2 || !strings.Contains(r.stderr, "--spawn or --server") {
		t.Errorf("haven bench direct: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runHaven(t, dir, cleanEnv(), "bench", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "Scenarios:") {
		t.Errorf("haven bench --help: exit %d, stdout %q", r.code, r.stdout)
	}
}
