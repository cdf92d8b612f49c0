package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"interleave/sandbox"
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

// TestRunScenarioSeed checks that a sim run without -seed takes the seed
// the scenario opens at, as its page does, and that -seed overrides it.
func TestRunScenarioSeed(t *testing.T) {
	tests := []struct {
		args []string
		want int64
	}{
		{[]string{"run", "-mode", "sim", "-format", "json", "heisenbug"}, 11},
		{[]string{"run", "-mode", "sim", "-seed", "3", "-format", "json", "heisenbug"}, 3},
		{[]string{"run", "-mode", "sim", "-format", "json", "lost-update"}, 0},
	}
	for _, tt := range tests {
		out, stderr, code := interleave(t, tt.args...)
		if code != 0 {
			t.Fatalf("interleave %v exit code = %d; stderr: %s", tt.args, code, stderr)
		}
		var res trace.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("interleave %v printed invalid JSON: %v", tt.args, err)
		}
		if res.Seed != tt.want {
			t.Errorf("interleave %v: seed = %d, want %d", tt.args, res.Seed, tt.want)
		}
		if tt.want == 11 && res.Status != trace.StatusFailed {
			t.Errorf("heisenbug at its seed 11 = %s (%s), want failed", res.Status, res.Message)
		}
	}
}

// Without -mode a scenario runs in its own default mode, the first of
// its modes, as its page opens: condvar-if in sim at its seed, where it
// fails; a script that names no modes in os.
func TestRunDefaultMode(t *testing.T) {
	script := filepath.Join(t.TempDir(), "plain.star")
	if err := os.WriteFile(script, []byte("def main():\n    pass\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		arg        string
		mode       trace.Mode
		wantStatus trace.Status
	}{
		{"condvar-if", trace.ModeSim, trace.StatusFailed},
		{"lost-update", trace.ModeOS, ""},
		{script, trace.ModeOS, trace.StatusOK},
	}
	for _, tt := range tests {
		out, stderr, code := interleave(t, "run", "-format", "json", tt.arg)
		if code != 0 {
			t.Fatalf("interleave run %s exit code = %d; stderr: %s", tt.arg, code, stderr)
		}
		var res trace.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("interleave run %s printed invalid JSON: %v", tt.arg, err)
		}
		if res.Mode != tt.mode || (tt.wantStatus != "" && res.Status != tt.wantStatus) {
			t.Errorf("interleave run %s = mode %s, status %s; want mode %s, status %q", tt.arg, res.Mode, res.Status, tt.mode, tt.wantStatus)
		}
	}
}

func TestRunFormats(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "hello.star")
	if err := os.WriteFile(script, []byte("def main():\n    print(\"hello\")\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// big is 70 KiB: over the default script size limit, under 100000.
	big := writeFile(t, dir, "big.star", "def main():\n    print(\"big\")\n#"+strings.Repeat("x", 70<<10-len("def main():\n    print(\"big\")\n#")))
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
		{"70 KiB under -max-script 100000", []string{"run", "-mode", "sim", "-max-script", "100000", big}, 0, "big (sim mode, seed 0): ok", ""},
		{"70 KiB over the default limit", []string{"run", "-mode", "sim", big}, 0, "The script is 71680 bytes; the script size limit is 65536 bytes.", ""},
		{"max-script zero", []string{"run", "-max-script", "0", "lost-update"}, 2, "", "-max-script must be positive, not 0"},
		{"timeout zero", []string{"run", "-timeout", "0s", "lost-update"}, 2, "", "-timeout must be positive, not 0s"},
		{"memory negative", []string{"run", "-memory", "-1", "lost-update"}, 2, "", "-memory must be positive, not -1"},
		{"flags after the scenario", []string{"run", "lost-update", "-p", "threads=2"}, 2, "", "flags go before the scenario"},
		{"list", []string{"list"}, 0, "lost-update", ""},
		{"exit-status ok", []string{"run", "-exit-status", "-mode", "sim", script}, 0, ": ok", ""},
		{"exit-status failed", []string{"run", "-exit-status", "-mode", "sim", writeFile(t, dir, "fails.star", "def main():\n    check(False, \"never\")\n")}, 1, ": failed", ""},
		{"exit-status deadlock", []string{"run", "-exit-status", "-mode", "sim", "relock"}, 1, ": deadlock", ""},
		{"exit-status bad param", []string{"run", "-exit-status", "-p", "threads=0", "lost-update"}, 1, ": error", ""},
		{"exit-status script error", []string{"run", "-exit-status", filepath.Join(dir, "bad.star")}, 1, ": error", ""},
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
	startSpinner(t, conn)
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

// TestServeInheritedDescriptor starts the real server holding a file it
// was given as descriptor 9 (as a shell's 9</secret would), runs a script,
// and checks that the server marked the descriptor close-on-exec and that
// no sandbox child holds the file.
func TestServeInheritedDescriptor(t *testing.T) {
	exe := sandboxtest.Binary(t)
	secret, f := sandboxtest.SecretFile(t, "root only")
	addr := freeAddr(t)
	cmd := exec.Command(exe, "serve", "-addr", addr, "-db", "")
	// Descriptor 9, above those the children are handed (stdio and the
	// event pipe, 3), which would replace it.
	cmd.ExtraFiles = []*os.File{6: f}
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	conn := dialServer(t, addr, &logs)
	info, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/9", cmd.Process.Pid))
	if err != nil {
		t.Fatalf("read the server's fdinfo of descriptor 9: %v", err)
	}
	if flags := fdFlags(t, info); flags&syscall.O_CLOEXEC == 0 {
		t.Errorf("the server's inherited descriptor 9 has flags %o, want O_CLOEXEC set", flags)
	}
	startSpinner(t, conn)
	kids := descendants(t, cmd.Process.Pid)
	if len(kids) == 0 {
		t.Fatal("the server has no children while a run is going, want its sandbox child")
	}
	read := 0
	for _, pid := range kids {
		// A child caught between fork and exec still holds everything;
		// only one that has become the sandbox child is judged.
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !bytes.Contains(cmdline, []byte(sandbox.ChildArg)) {
			continue
		}
		fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		if err != nil {
			continue // gone, or not ours to read
		}
		read++
		for _, fd := range fds {
			if target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); target == secret {
				t.Errorf("child %d holds the server's inherited file as descriptor %s", pid, fd.Name())
			}
		}
	}
	if read == 0 {
		t.Logf("no child's descriptors could be read (%d children); only the server's flags were checked", len(kids))
	}
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// dialServer opens a WebSocket to a server that is starting up.
func dialServer(t *testing.T, addr string, logs *bytes.Buffer) *websocket.Conn {
	t.Helper()
	for i := 0; ; i++ {
		c, resp, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
		if err == nil {
			resp.Body.Close()
			t.Cleanup(func() { c.Close() })
			return c
		}
		if i > 400 {
			t.Fatalf("server did not come up: %v\n%s", err, logs.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// fdFlags reads the octal flags line of a /proc/PID/fdinfo file.
func fdFlags(t *testing.T, info []byte) int {
	t.Helper()
	for line := range strings.Lines(string(info)) {
		if v, ok := strings.CutPrefix(line, "flags:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 8, 64)
			if err != nil {
				t.Fatalf("fdinfo flags %q: %v", v, err)
			}
			return int(n)
		}
	}
	t.Fatalf("no flags in fdinfo:\n%s", info)
	return 0
}

// descendants lists the processes below pid.
func descendants(t *testing.T, pid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	parent := map[int]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The fields after the command name, which is in parentheses
		// and may hold spaces: state, then the parent's pid.
		rest := st[bytes.LastIndexByte(st, ')')+1:]
		if f := strings.Fields(string(rest)); len(f) > 1 {
			parent[p], _ = strconv.Atoi(f[1])
		}
	}
	var out []int
	for p := range parent {
		for q := parent[p]; q > 1; q = parent[q] {
			if q == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

func TestExploreJSON(t *testing.T) {
	out, stderr, code := interleave(t, "explore", "-preemptions", "20", "-p", "threads=2", "-p", "iterations=2", "-format", "json", "lost-update")
	if code != 0 {
		t.Fatalf("explore lost-update exit code = %d, want 0; stderr: %s", code, stderr)
	}
	var rep struct {
		Strategy  string `json:"strategy"`
		Schedules int    `json:"schedules"`
		Complete  bool   `json:"complete"`
		ElapsedNs int64  `json:"elapsed_ns"`
		Outcomes  []struct {
			Count       int               `json:"count"`
			Status      trace.Status      `json:"status"`
			Checks      []string          `json:"checks"`
			Cells       []trace.CellValue `json:"cells"`
			Schedule    string            `json:"schedule"`
			Preemptions int               `json:"preemptions"`
		} `json:"outcomes"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("explore -format json printed invalid JSON: %v\n%s", err, out)
	}
	values := map[string]bool{}
	total := 0
	for _, o := range rep.Outcomes {
		total += o.Count
		values[o.Cells[0].Value.String()] = true
		// Each representative replays to its outcome.
		rout, _, _ := interleave(t, "run", "-mode", "sim", "-schedule", o.Schedule, "-p", "threads=2", "-p", "iterations=2", "-format", "json", "lost-update")
		var res trace.Result
		if err := json.Unmarshal([]byte(rout), &res); err != nil || res.Status != o.Status || res.Cells[0].Value != o.Cells[0].Value {
			t.Errorf("run -schedule %s = %s %v (%v), want %s %v", o.Schedule, res.Status, res.Cells, err, o.Status, o.Cells)
		}
	}
	if rep.Strategy != "dfs" || !rep.Complete || total != rep.Schedules || len(values) != 3 || !values["2"] || !values["3"] || !values["4"] {
		t.Errorf("explore = %s, complete %v, %d schedules (outcomes count %d), values %v; want dfs, complete, values 2, 3, 4", rep.Strategy, rep.Complete, rep.Schedules, total, values)
	}
}

func TestExploreText(t *testing.T) {
	out, stderr, code := interleave(t, "explore", "-preemptions", "20", "-p", "threads=2", "-p", "iterations=2", "counter-mutex")
	if code != 0 || !strings.Contains(out, "verified: all ") || !strings.Contains(out, "counter = 4 · ok · 100%") {
		t.Errorf("explore counter-mutex = exit %d\n%s%s\nwant exit 0, verified, counter = 4 · ok · 100%%", code, out, stderr)
	}
	for _, args := range [][]string{
		{"explore", "-budget", "0", "lost-update"},
		{"explore", "-preemptions", "21", "lost-update"},
		{"explore", "-depth", "11", "-strategy", "pct", "lost-update"},
		{"explore", "-strategy", "repeat", "-mode", "sim", "lost-update"},
		{"explore", "-strategy", "bfs", "lost-update"},
		{"explore", "no-such-scenario"},
		{"explore", "-explore-timeout", "11m", "lost-update"},
		{"explore", "-explore-timeout", "0s", "lost-update"},
	} {
		if _, stderr, code := interleave(t, args...); code != 2 || !strings.Contains(stderr, "interleave explore: ") {
			t.Errorf("interleave %v = exit %d (%s), want 2 and a message", args, code, stderr)
		}
	}
}

// startSpinner starts a run that sleeps in a loop until stopped, and
// waits for its first events.
func startSpinner(t *testing.T, conn *websocket.Conn) {
	t.Helper()
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
			return
		}
	}
}
