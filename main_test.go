package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

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
		{"text prints races", []string{"run", "-mode", "sim", "-seed", "1", "-p", "threads=2", "-p", "iterations=50", "lost-update"}, 0,
			"lost update  counter  12", ""},
		{"trace", []string{"run", "-format", "trace", script}, 0, `"traceEvents":[`, ""},
		{"script error still exits 0", []string{"run", "-format", "text", writeFile(t, dir, "bad.star", "def main(:\n")}, 0, "error", ""},
		{"unknown scenario", []string{"run", "nope"}, 2, "", `no scenario "nope"`},
		{"bad mode", []string{"run", "-mode", "fast", "lost-update"}, 2, "", `unknown mode "fast"`},
		{"bad format", []string{"run", "-format", "xml", "lost-update"}, 2, "", `unknown format "xml"`},
		{"no argument", []string{"run"}, 2, "", "Usage"},
		{"bad -p", []string{"run", "-p", "threads", "lost-update"}, 2, "", "want name=value"},
		{"unknown command", []string{"dance"}, 2, "", `unknown command "dance"`},
		{"procs outside green", []string{"run", "-procs", "4", "lost-update"}, 2, "", "only applies in green mode"},
		{"procs out of range", []string{"run", "-mode", "green", "-procs", "1000", "lost-update"}, 2, "", "from 1 to 64"},
		{"seed outside sim", []string{"run", "-seed", "3", "lost-update"}, 2, "", "only apply in sim mode"},
		{"flags after the scenario", []string{"run", "lost-update", "-p", "threads=2"}, 2, "", "flags go before the scenario"},
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

// TestServeSIGTERM starts the real server, runs a scenario that never
// ends, and sends SIGTERM: the server must stop the run, close the
// socket with a reason, exit 0, and leave no child behind.
func TestServeSIGTERM(t *testing.T) {
	exe := sandboxtest.Binary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(exe, "serve", "-addr", addr, "-grace", "1s", "-db", filepath.Join(t.TempDir(), "x.db"))
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var conn *websocket.Conn
	for i := 0; ; i++ {
		c, resp, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
		if err == nil {
			resp.Body.Close()
			conn = c
			break
		}
		if i > 200 {
			t.Fatalf("server did not come up: %v\n%s", err, logs.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
	defer conn.Close()
	src, _ := json.Marshal("def main():\n    while True:\n        sleep(5)\n")
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"run","source":`+string(src)+`}`)); err != nil {
		t.Fatal(err)
	}
	for {
		_, b, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(`"type":"events"`)) {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var closeErr error
	for closeErr == nil {
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, _, closeErr = conn.ReadMessage()
	}
	if ce, ok := closeErr.(*websocket.CloseError); !ok || ce.Code != websocket.CloseGoingAway {
		t.Errorf("socket closed with %v, want going away", closeErr)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("server exited with %v after SIGTERM, want 0\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server still running 30 s after SIGTERM")
	}
	if n := sandboxtest.Children(t, exe); n != 0 {
		t.Errorf("%d sandbox children alive after the server exited, want 0", n)
	}
}
