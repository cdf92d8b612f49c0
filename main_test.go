package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"interleave/sandbox/sandboxtest"
	"interleave/sandbox/trace"
)

// interleave runs the real binary and returns its stdout, stderr and exit code.
func interleave(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(sandboxtest.Binary(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run interleave %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

func TestRunJSON(t *testing.T) {
	out, stderr, code := interleave(t, "run", "-p", "threads=2", "-p", "iterations=100", "-format", "json", "lost-update")
	if code != 0 {
		t.Fatalf("run lost-update exit code = %d, want 0; stderr: %s", code, stderr)
	}
	var res trace.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("run -format json printed invalid JSON: %v\n%s", err, out)
	}
	if res.Scenario != "lost-update" || res.Mode != trace.ModeOS {
		t.Errorf("result scenario, mode = %q, %q, want lost-update, os", res.Scenario, res.Mode)
	}
	if res.Status != trace.StatusOK && res.Status != trace.StatusFailed {
		t.Errorf("status = %s (%s), want ok or failed", res.Status, res.Message)
	}
	if len(res.Checks) != 1 || len(res.Threads) != 3 || len(res.Events) == 0 || res.Stats.Events != int64(len(res.Events)) {
		t.Errorf("result has %d checks, %d threads, %d events (stats %d), want 1, 3 and all events",
			len(res.Checks), len(res.Threads), len(res.Events), res.Stats.Events)
	}
}

func TestRunFormats(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "hello.star")
	if err := os.WriteFile(script, []byte("def main():\n    print(\"hello\")\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"text", []string{"run", "-mode", "sim", "-seed", "4", script}, 0, "hello (sim mode, seed 4): ok", ""},
		{"trace", []string{"run", "-format", "trace", script}, 0, `"traceEvents":[`, ""},
		{"script error still exits 0", []string{"run", "-format", "text", writeFile(t, dir, "bad.star", "def main(:\n")}, 0, "error", ""},
		{"unknown scenario", []string{"run", "nope"}, 2, "", `no scenario "nope"`},
		{"bad mode", []string{"run", "-mode", "fast", "lost-update"}, 2, "", `unknown mode "fast"`},
		{"bad format", []string{"run", "-format", "xml", "lost-update"}, 2, "", `unknown format "xml"`},
		{"no argument", []string{"run"}, 2, "", "Usage"},
		{"bad -p", []string{"run", "-p", "threads", "lost-update"}, 2, "", "want name=value"},
		{"unknown command", []string{"dance"}, 2, "", `unknown command "dance"`},
		{"list", []string{"list"}, 0, "lost-update", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, code := interleave(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("interleave %v = exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
					tt.args, code, out, stderr, tt.wantCode, tt.wantOut, tt.wantErr)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestListJSON(t *testing.T) {
	out, _, code := interleave(t, "list", "-format", "json")
	var entries []listEntry
	if err := json.Unmarshal([]byte(out), &entries); err != nil || code != 0 {
		t.Fatalf("list -format json = exit %d, %v; output %s", code, err, out)
	}
	found := false
	for _, e := range entries {
		if e.ID == "lost-update" && e.Topic == "Race conditions" && e.Title != "" {
			found = true
		}
	}
	if !found {
		t.Errorf("list -format json = %+v, want lost-update under Race conditions", entries)
	}
}
