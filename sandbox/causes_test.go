package sandbox

import (
	"errors"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"interleave/limits"
	"interleave/sandbox/isolate"
)

// killedBy returns the wait error of a process that the signal killed.
func killedBy(t *testing.T, sig syscall.Signal) error {
	t.Helper()
	cmd := exec.Command("sleep", "10")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if !signaled(err, sig) {
		t.Fatalf("wait = %v, want killed by %v", err, sig)
	}
	return err
}

func TestChildDeath(t *testing.T) {
	lim := limits.Limits{CPUSeconds: 3, MemoryBytes: 64 << 20, Threads: 64}
	xcpu, kill := killedBy(t, syscall.SIGXCPU), killedBy(t, syscall.SIGKILL)
	tests := []struct {
		name    string
		stderr  string
		box     isolate.Cause
		waitErr error
		readErr error
		cpu     time.Duration
		want    cause
	}{
		{name: "runaway recursion", stderr: "runtime: goroutine stack exceeds 16777216-byte limit\nfatal error: stack overflow", want: causeStack},
		{name: "runtime out of memory", stderr: "fatal error: runtime: out of memory", want: causeMemory},
		{name: "mmap refused", stderr: "runtime: cannot allocate memory", want: causeMemory},
		{name: "cgroup memory", box: isolate.CauseMemory, waitErr: kill, want: causeMemory},
		{name: "cgroup pids", box: isolate.CauseThreads, want: causeThreads},
		{name: "thread creation refused", stderr: "runtime: failed to create new OS thread", want: causeThreads},
		{name: "SIGXCPU", waitErr: xcpu, want: causeCPU},
		{name: "SIGKILL after the CPU limit", waitErr: kill, cpu: 3 * time.Second, want: causeCPU},
		{name: "SIGKILL before the CPU limit", waitErr: kill, cpu: time.Second, want: causeDied},
		{name: "corrupt stream", readErr: errors.New("bad frame"), want: causeCorrupt},
		{name: "no account", want: causeDied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := childDeath(tt.stderr, tt.box, tt.waitErr, tt.readErr, tt.cpu, lim); got != tt.want {
				t.Errorf("childDeath(%q) = %v, want %v", tt.stderr, got, tt.want)
			}
		})
	}
}

// TestCauseSentences checks that every cause has a status and a sentence
// of its own.
func TestCauseSentences(t *testing.T) {
	f := causeFacts{lim: limits.Limits{CPUSeconds: 3, MemoryBytes: 64 << 20, Threads: 64}, timeout: 10 * time.Second}
	seen := map[string]cause{}
	for c := causeTimeout; c <= causeDied; c++ {
		if _, ok := causes[c]; !ok {
			t.Fatalf("cause %d has no entry in the table", c)
		}
		s := c.sentence(f)
		if prev, dup := seen[s]; dup {
			t.Errorf("causes %d and %d both say %q", prev, c, s)
		}
		seen[s] = c
		if c.status() == "" {
			t.Errorf("cause %d has no status", c)
		}
	}
}

// An exploration stopped by one of its own limits says so of the
// exploration, not of a run, before any per-run note.
func TestExploreStopSentence(t *testing.T) {
	lim := limits.Limits{CPUSeconds: 120, MemoryBytes: 256 << 20}
	for _, c := range []struct {
		cause cause
		note  string
		want  string
	}{
		{causeCPU, "", "The exploration went over its CPU time limit of 120 s."},
		{causeMemory, "The run went over the step limit of 100 steps.", "The exploration went over its memory limit of 256 MiB. The run went over the step limit of 100 steps."},
		{causeStack, "", "The run's recursion went too deep: it went over the stack limit of 64 MiB."},
	} {
		if got := joinSentences(exploreStop(c.cause, lim), c.note); got != c.want {
			t.Errorf("exploreStop(%d) with note %q = %q, want %q", c.cause, c.note, got, c.want)
		}
	}
}
