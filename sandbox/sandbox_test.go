package sandbox_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"interleave/limits"
	"interleave/sandbox"
	"interleave/sandbox/engine"
	"interleave/sandbox/isolate"
	"interleave/sandbox/sandboxtest"
	"interleave/sandbox/trace"
	"interleave/scenarios"
)

func newRunner(t *testing.T, exe string, timeout time.Duration) *sandbox.Runner {
	t.Helper()
	return newRunnerAt(t, exe, timeout, isolate.Auto)
}

func newRunnerAt(t *testing.T, exe string, timeout time.Duration, level isolate.Level) *sandbox.Runner {
	t.Helper()
	r, err := sandbox.New(sandbox.Config{Exe: exe, Limits: limits.Limits{Wall: timeout}, Level: level})
	if err != nil {
		t.Fatalf("sandbox.New() error = %v", err)
	}
	return r
}

func collect(t *testing.T, r *sandbox.Runner, ctx context.Context, req engine.Request) (*trace.Result, []trace.Event) {
	t.Helper()
	var evs []trace.Event
	res, _ := r.Run(ctx, req, func(b []trace.Event) { evs = append(evs, b...) })
	if res == nil {
		t.Fatal("Run() returned no result")
	}
	return res, evs
}

func TestRunLostUpdate(t *testing.T) {
	exe := sandboxtest.Binary(t)
	cat, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := cat.Get("lost-update")
	r := newRunner(t, exe, 20*time.Second)
	for _, mode := range []trace.Mode{trace.ModeOS, trace.ModeGreen, trace.ModeSim} {
		t.Run(string(mode), func(t *testing.T) {
			req := engine.Request{Scenario: sc.ID, Source: sc.Source, Mode: mode, Seed: 3,
				Params: map[string]any{"threads": 2, "iterations": 50}}
			res, evs := collect(t, r, context.Background(), req)
			if res.Status != trace.StatusOK && res.Status != trace.StatusFailed {
				t.Fatalf("Run(lost-update, %s) status = %s (%s), want ok or failed", mode, res.Status, res.Message)
			}
			if int64(len(evs)) != res.Stats.Events {
				t.Errorf("delivered %d events, result counts %d", len(evs), res.Stats.Events)
			}
			for i, e := range evs {
				if e.Seq != uint64(i) {
					t.Fatalf("event %d has seq %d, want events in order without gaps", i, e.Seq)
				}
			}
			if got := len(res.Threads); got != 3 {
				t.Errorf("threads = %d, want main and 2 workers", got)
			}
			if mode == trace.ModeSim && evs[len(evs)-1].HasOS {
				t.Errorf("sim mode event carries an OS thread id: %+v", evs[len(evs)-1])
			}
			if mode == trace.ModeOS && !evs[0].HasOS {
				t.Errorf("os mode event lacks its OS thread id: %+v", evs[0])
			}
		})
	}
	if n := sandboxtest.Children(t, exe); n != 0 {
		t.Errorf("%d children left, want 0", n)
	}
}

func TestTimeoutKeepsPartialTimeline(t *testing.T) {
	exe := sandboxtest.Binary(t)
	r := newRunner(t, exe, 700*time.Millisecond)
	src := "def main():\n    c = cell(\"c\")\n    while True:\n        c.add(1)\n        sleep(1)\n"
	res, evs := collect(t, r, context.Background(), engine.Request{Scenario: "spin", Source: src, Mode: trace.ModeOS})
	if res.Status != trace.StatusTimeout {
		t.Fatalf("status = %s (%s), want timeout", res.Status, res.Message)
	}
	if !strings.Contains(res.Message, "700ms") {
		t.Errorf("message = %q, want it to name the limit", res.Message)
	}
	if len(evs) == 0 || res.Stats.Events != int64(len(evs)) {
		t.Errorf("kept %d events (result says %d), want the partial timeline", len(evs), res.Stats.Events)
	}
	if n := sandboxtest.Children(t, exe); n != 0 {
		t.Errorf("%d children left after a timeout, want 0", n)
	}
}

func TestStopKillsChild(t *testing.T) {
	exe := sandboxtest.Binary(t)
	r := newRunner(t, exe, 30*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	src := "def main():\n    while True:\n        sleep(1)\n"
	var res *trace.Result
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, _ = r.Run(ctx, engine.Request{Source: src, Mode: trace.ModeOS}, func([]trace.Event) { cancel() })
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run() did not return after its context was cancelled")
	}
	if res.Status != trace.StatusStopped {
		t.Errorf("status = %s, want stopped", res.Status)
	}
	if n := sandboxtest.Children(t, exe); n != 0 {
		t.Errorf("%d children left after stop, want 0", n)
	}
}

// fakeChild writes a shell script that stands in for a misbehaving child.
func fakeChild(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "child.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBrokenChildren(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantMsg string
	}{
		{"killed", "kill -KILL $$", "it was killed by signal SIGKILL."},
		{"segfault", "kill -SEGV $$", "it was killed by signal SIGSEGV."},
		{"exits", "exit 3", "exited with code 3"},
		{"silent success", "exit 0", "without reporting a result"},
		{"garbage stream", `printf 'E\005\377\377\377\377\377' >&3`, "corrupt event stream"},
		{"unknown frame", `printf 'Z\001a' >&3`, "corrupt event stream"},
		{"huge frame", `printf 'E\377\377\377\377\017' >&3`, "corrupt event stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A shell script cannot enter the sandbox (nor answer its
			// probe), so these run without the OS layers.
			r := newRunnerAt(t, fakeChild(t, tt.body), 5*time.Second, isolate.Off)
			res, _ := collect(t, r, context.Background(), engine.Request{Source: "def main():\n    pass\n"})
			if res.Status != trace.StatusError || !strings.Contains(res.Message, tt.wantMsg) {
				t.Errorf("Run(child that %s) = %s %q, want error containing %q", tt.name, res.Status, res.Message, tt.wantMsg)
			}
		})
	}
}

// childPids lists the live processes running exe whose parent is this
// test process: the sandbox children it started.
func childPids(t *testing.T, exe string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("read /proc: %v", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err != nil || p != exe {
			continue
		}
		st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		fields := strings.Fields(string(st[bytes.LastIndexByte(st, ')')+1:]))
		if len(fields) > 1 && fields[0] != "Z" && fields[1] == strconv.Itoa(os.Getpid()) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestKilledChildSaysSignal kills a real sandboxed child from outside,
// far under its memory limit: the result must say what happened, not
// blame memory.
func TestKilledChildSaysSignal(t *testing.T) {
	exe := sandboxtest.Binary(t)
	r, err := sandbox.New(sandbox.Config{Exe: exe,
		Limits: limits.Limits{Wall: time.Minute, CPUSeconds: 30, MemoryBytes: 256 << 20, Threads: 64}})
	if err != nil {
		t.Fatal(err)
	}
	killed := false
	src := "def main():\n    print(\"ready\")\n    while True:\n        sleep(1000)\n"
	res, _ := r.Run(context.Background(), engine.Request{Source: src, Mode: trace.ModeOS}, func(evs []trace.Event) {
		for _, e := range evs {
			if e.K != trace.Print || killed {
				continue
			}
			pids := childPids(t, exe)
			if len(pids) != 1 {
				t.Errorf("found sandbox children %v, want exactly one", pids)
				return
			}
			if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
				t.Errorf("kill child %d: %v", pids[0], err)
			}
			killed = true
		}
	})
	if !killed {
		t.Fatalf("Run() = %s %q before the child could be killed", res.Status, res.Message)
	}
	want := "The run's process died: it was killed by signal SIGKILL."
	if res.Status != trace.StatusError || res.Message != want {
		t.Errorf("Run(killed from outside) = %s %q, want error %q", res.Status, res.Message, want)
	}
}

// TestChildHoldsOnlyItsDescriptors gives the test process a descriptor
// without close-on-exec, as a server started with `9<file` has, and looks
// into a running child: it must hold stdio, the event pipe and nothing
// else it inherited (the Go runtime's own descriptors, opened with
// O_CLOEXEC after exec, are allowed).
func TestChildHoldsOnlyItsDescriptors(t *testing.T) {
	exe := sandboxtest.Binary(t)
	secret, f := sandboxtest.SecretFile(t, "not for children")
	if _, err := unix.FcntlInt(f.Fd(), unix.F_SETFD, 0); err != nil { // inheritable, as a shell's 9<file is
		t.Fatal(err)
	}
	r := newRunner(t, exe, time.Minute)
	var fds map[string]string
	src := "def main():\n    print(\"ready\")\n    sleep(60000)\n"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.Run(ctx, engine.Request{Source: src, Mode: trace.ModeOS}, func(evs []trace.Event) {
		for _, e := range evs {
			if e.K == trace.Print && fds == nil {
				pids := childPids(t, exe)
				if len(pids) != 1 {
					t.Errorf("found sandbox children %v, want exactly one", pids)
				} else {
					fds = openDescriptors(t, pids[0])
				}
				cancel()
			}
		}
	})
	if fds == nil {
		t.Fatal("the child never printed: its descriptors were not seen")
	}
	for _, fd := range []string{"0", "1", "2", "3"} {
		if _, ok := fds[fd]; !ok {
			t.Errorf("child descriptors %v lack %s, want stdio and the event pipe", fds, fd)
		}
	}
	for fd, what := range fds {
		if what == secret {
			t.Errorf("child holds fd %s on %s, want it closed", fd, secret)
		}
		if n, _ := strconv.Atoi(fd); n > 3 && !strings.HasSuffix(what, "(cloexec)") {
			t.Errorf("child holds fd %s on %s, inherited (no close-on-exec), want only 0 to 3", fd, what)
		}
	}
}

// openDescriptors maps each of pid's descriptors to what it points at,
// with " (cloexec)" when it was opened close-on-exec, that is after exec.
func openDescriptors(t *testing.T, pid int) map[string]string {
	t.Helper()
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	entries, err := os.ReadDir(filepath.Join(dir, "fd"))
	if err != nil {
		t.Fatalf("read child descriptors: %v", err)
	}
	fds := map[string]string{}
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join(dir, "fd", e.Name()))
		if err != nil {
			continue
		}
		info, err := os.ReadFile(filepath.Join(dir, "fdinfo", e.Name()))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				if flags, err := strconv.ParseInt(strings.TrimSpace(v), 8, 64); err == nil && flags&unix.O_CLOEXEC != 0 {
					target += " (cloexec)"
				}
			}
		}
		fds[e.Name()] = target
	}
	return fds
}
