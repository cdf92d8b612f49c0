package sandbox

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"interleave/limits"
	"interleave/sandbox/isolate"
	"interleave/sandbox/trace"
)

// cause is why a run ended other than by its own result: a limit the
// child or the kernel enforced, the supervisor stopping it, or a crash.
type cause int

const (
	causeTimeout cause = iota + 1 // the wall-clock limit
	causeStopped                  // the caller's context ended
	causeStack                    // the stack limit: runaway recursion
	causeMemory                   // the memory limit
	causeThreads                  // the OS thread limit
	causeCPU                      // the CPU time limit
	causeCorrupt                  // the child's event stream was malformed
	causeDied                     // anything else that ended the child
	causeIdle                     // an interactive run's person made no pick in time
)

// causeFacts are the numbers and the exit the sentences cite.
type causeFacts struct {
	lim     limits.Limits
	timeout time.Duration
	waitErr error
	idle    time.Duration
}

// causes is the one table of what each cause means for the run's status
// and how it is said.
var causes = map[cause]struct {
	status trace.Status
	say    func(f causeFacts) string
}{
	causeTimeout: {trace.StatusTimeout, func(f causeFacts) string {
		return fmt.Sprintf("The run was stopped by the wall-clock limit of %s.", f.timeout)
	}},
	causeStopped: {trace.StatusStopped, func(causeFacts) string { return "The run was stopped." }},
	causeStack: {trace.StatusLimit, func(f causeFacts) string {
		return fmt.Sprintf("The run's recursion went too deep: it went over the stack limit of %d MiB.", f.lim.StackBytes()>>20)
	}},
	causeMemory: {trace.StatusLimit, func(f causeFacts) string {
		return fmt.Sprintf("The run went over the memory limit of %d MiB.", f.lim.MemoryBytes>>20)
	}},
	causeThreads: {trace.StatusLimit, func(f causeFacts) string {
		return fmt.Sprintf("The run went over the limit of %d OS threads.", f.lim.Threads)
	}},
	causeCPU: {trace.StatusLimit, func(f causeFacts) string {
		return fmt.Sprintf("The run went over the CPU time limit of %d s.", f.lim.CPUSeconds)
	}},
	causeCorrupt: {trace.StatusError, func(causeFacts) string {
		return "The run's process sent a corrupt event stream and was stopped."
	}},
	causeIdle: {trace.StatusStopped, func(f causeFacts) string {
		return fmt.Sprintf("stopped: no pick for %s; the run waited for you and was ended.", f.idle)
	}},
	causeDied: {trace.StatusError, func(f causeFacts) string {
		return "The run's process died: " + exitCause(f.waitErr) + "."
	}},
}

// status and sentence are the cause's entry in the table.
func (c cause) status() trace.Status         { return causes[c].status }
func (c cause) sentence(f causeFacts) string { return causes[c].say(f) }

// runtimeDeaths are the Go runtime's fatal errors that name a limit:
// the runtime cannot recover from them, so its last words on stderr are
// the only account the supervisor gets.
var runtimeDeaths = []struct {
	text  string
	cause cause
}{
	{"stack exceeds", causeStack},
	{"stack overflow", causeStack},
	{"out of memory", causeMemory},
	{"cannot allocate memory", causeMemory},
	{"failed to create new OS thread", causeThreads},
}

// childDeath names the limit that killed a child which left no result:
// the kernel's account (the cgroup, the signal) where there is one, the
// runtime's last words otherwise. readErr is the error reading its
// stream; cpu is the CPU time it used.
func childDeath(stderr string, box isolate.Cause, waitErr, readErr error, cpu time.Duration, lim limits.Limits) cause {
	said := cause(0)
	for _, d := range runtimeDeaths {
		if strings.Contains(stderr, d.text) {
			said = d.cause
			break
		}
	}
	cpuLimit := time.Duration(lim.CPUSeconds) * time.Second
	switch {
	case said == causeStack:
		return causeStack
	case box == isolate.CauseMemory || said == causeMemory:
		return causeMemory
	case box == isolate.CauseThreads || said == causeThreads:
		return causeThreads
	case signaled(waitErr, syscall.SIGXCPU) || (signaled(waitErr, syscall.SIGKILL) && lim.CPUSeconds > 0 && cpu >= cpuLimit):
		return causeCPU
	case readErr != nil:
		return causeCorrupt
	}
	return causeDied
}

// exitStatus is how a reaped child ended: an *exec.ExitError, or the
// spawner's exitError.
type exitStatus interface {
	Sys() any
	ExitCode() int
}

func signaled(err error, sig syscall.Signal) bool {
	var ee exitStatus
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return ws.Signal() == sig
		}
	}
	return false
}

func exitCause(err error) string {
	var ee exitStatus
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			// Only what was observed: a kill the cgroup's memory counters
			// explain was named the memory limit before this.
			return "it was killed by signal " + unix.SignalName(ws.Signal())
		}
		return fmt.Sprintf("it exited with code %d", ee.ExitCode())
	}
	if err == nil {
		return "it exited without reporting a result"
	}
	return err.Error()
}

// limitError is the cause of a run the child stopped at a limit it
// enforces itself.
type limitError struct{ cause cause }

func (e *limitError) Error() string { return "the run reached a limit the child enforces" }
