package sandbox_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"interleave/limits"
	"interleave/sandbox"
	"interleave/sandbox/engine"
	"interleave/sandbox/sandboxtest"
	"interleave/sandbox/trace"
)

// spawners lists the pids of this process's spawners.
func spawners(t *testing.T) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := bytes.Split(cmdline, []byte{0})
		if len(args) < 2 || string(args[1]) != sandbox.SpawnerArg {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The fields after the command's closing parenthesis: state, ppid.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) > 1 && f[0] != "Z" && f[1] == strconv.Itoa(os.Getpid()) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func newSpawnerRunner(t *testing.T, warm int) *sandbox.Runner {
	t.Helper()
	r, err := sandbox.New(sandbox.Config{Exe: sandboxtest.Binary(t), Limits: limits.Limits{Wall: 20 * time.Second}, Warm: warm, Spawner: true})
	if err != nil {
		t.Fatalf("sandbox.New() error = %v", err)
	}
	return r
}

func TestSpawnerRunsAndEndsWithItsRunner(t *testing.T) {
	exe := sandboxtest.Binary(t)
	for _, warm := range []int{0, 2} {
		t.Run("warm="+strconv.Itoa(warm), func(t *testing.T) {
			r := newSpawnerRunner(t, warm)
			for _, mode := range []trace.Mode{trace.ModeSim, trace.ModeOS, trace.ModeGreen} {
				res, evs := collect(t, r, context.Background(), engine.Request{Source: "def main():\n    print(\"hi\")\n", Mode: mode})
				if res.Status != trace.StatusOK || len(evs) == 0 {
					t.Fatalf("Run(%s) through the spawner = %s %q with %d events, want ok", mode, res.Status, res.Message, len(evs))
				}
				if res.Stats.CPUNs <= 0 {
					t.Errorf("Run(%s) CPU = %d ns, want the child's", mode, res.Stats.CPUNs)
				}
			}
			if got := spawners(t); len(got) != 1 {
				t.Errorf("%d spawners while the runner is open, want 1", len(got))
			}
			r.Close()
			if got := spawners(t); len(got) != 0 {
				t.Errorf("spawners %v left after Close, want none", got)
			}
			if n := sandboxtest.Children(t, exe); n != 0 {
				t.Errorf("%d children left after Close, want 0", n)
			}
		})
	}
}

// A child that crashes through the spawner is named as one forked by the
// Runner is: its exit code or signal comes back from the spawner.
func TestSpawnerReportsHowAChildDied(t *testing.T) {
	r := newSpawnerRunner(t, 0)
	defer r.Close()
	src := "def main():\n    def f(n):\n        return f(n + 1)\n    spawn(f, 0).join()\n"
	res, _ := collect(t, r, context.Background(), engine.Request{Source: src, Mode: trace.ModeOS})
	if res.Status != trace.StatusLimit && res.Status != trace.StatusError {
		t.Fatalf("Run(runaway recursion) = %s %q, want a limit or an error", res.Status, res.Message)
	}
	if res.Message == "" {
		t.Errorf("Run(runaway recursion) has no message")
	}
}

// A spawner that dies takes its children with it; the run that was going
// ends with a result, and the next run starts a new spawner.
func TestSpawnerDeathEndsItsRuns(t *testing.T) {
	exe := sandboxtest.Binary(t)
	r := newSpawnerRunner(t, 0)
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	killed := false
	src := "def main():\n    c = cell(\"c\")\n    while True:\n        c.add(1)\n        sleep(5)\n"
	res, _ := r.Run(ctx, engine.Request{Source: src, Mode: trace.ModeOS}, func([]trace.Event) {
		if killed {
			return
		}
		killed = true
		for _, pid := range spawners(t) {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Errorf("kill spawner %d: %v", pid, err)
			}
		}
	})
	if !killed {
		t.Fatalf("the run ended (%s %q) before its first events", res.Status, res.Message)
	}
	if ctx.Err() != nil || res.Status == trace.StatusOK || res.Status == trace.StatusStopped {
		t.Errorf("Run() with its spawner killed = %s %q (context %v), want it ended by the death", res.Status, res.Message, ctx.Err())
	}
	deadline := time.Now().Add(10 * time.Second)
	for sandboxtest.Children(t, exe) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("a child outlived its spawner by 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	res, _ = collect(t, r, context.Background(), engine.Request{Source: "def main():\n    pass\n", Mode: trace.ModeSim})
	if res.Status != trace.StatusOK {
		t.Errorf("the run after = %s %q, want ok from a new spawner", res.Status, res.Message)
	}
}

// A stopped spawner does not hold a run past its wall clock: once the
// spawner has not reported the killed child's end for its grace, it is
// killed, the run ends, and the next run starts a new spawner.
func TestStoppedSpawnerIsKilled(t *testing.T) {
	r, err := sandbox.New(sandbox.Config{Exe: sandboxtest.Binary(t), Limits: limits.Limits{Wall: 2 * time.Second}, Spawner: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stopped []int
	src := "def main():\n    c = cell(\"c\")\n    while True:\n        c.add(1)\n        sleep(5)\n"
	res, _ := r.Run(ctx, engine.Request{Source: src, Mode: trace.ModeOS}, func([]trace.Event) {
		if stopped != nil {
			return
		}
		stopped = spawners(t)
		for _, pid := range stopped {
			if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
				t.Errorf("stop spawner %d: %v", pid, err)
			}
		}
	})
	if len(stopped) == 0 {
		t.Fatalf("the run ended (%s %q) with no spawner stopped", res.Status, res.Message)
	}
	if ctx.Err() != nil || res.Status == trace.StatusOK {
		t.Errorf("Run() with its spawner stopped = %s %q (context %v), want it ended without the context", res.Status, res.Message, ctx.Err())
	}
	res, _ = collect(t, r, context.Background(), engine.Request{Source: "def main():\n    pass\n", Mode: trace.ModeSim})
	if res.Status != trace.StatusOK {
		t.Errorf("the run after = %s %q, want ok from a new spawner", res.Status, res.Message)
	}
	for _, pid := range spawners(t) {
		if slices.Contains(stopped, pid) {
			t.Errorf("the stopped spawner %d still runs", pid)
		}
	}
}
