// Package limits is the one vocabulary of what a run may use: the size of
// its script, its wall clock, CPU time and memory, its threads, events,
// Starlark steps and output. main builds one Limits from its flags and
// hands it to the server and the sandbox; the sandbox sends it to the
// child, whose OS layers and engine enforce it. Each boundary checks the
// limits that apply there, once: the server and the sandbox the script's
// size, the child's OS layers the CPU time, memory and OS threads, the
// engine the scenario threads, events, steps and output, the supervisor
// the wall clock.
//
// The package imports nothing of the project, so that every layer, the
// catalogue included, can speak it (see docs/architecture.md).
package limits

import (
	"fmt"
	"strconv"
	"time"
)

// The defaults of the limits, one named constant each. A zero or negative
// field of a Limits means its default, never "no limit": there is no
// unlimited run.
const (
	DefaultScript       = 64 << 10         // bytes of a script's source
	DefaultWall         = 10 * time.Second // wall clock of one run
	DefaultExplore      = time.Minute      // wall clock of one exploration, all its runs together
	DefaultCPUSeconds   = 10               // CPU time over all of the child's threads
	DefaultMemoryBytes  = 256 << 20        // the child's memory
	DefaultThreads      = 64               // os mode's scenario threads, each an OS thread
	DefaultGreenThreads = 10000            // green and sim modes' scenario threads, each a goroutine
	DefaultEvents       = 1000000          // events recorded; later ones are dropped
	DefaultSteps        = 100000000        // Starlark steps over all threads
	DefaultOutput       = 64 << 10         // bytes of print output
)

// MaxExplore is the most an exploration's wall clock may be configured
// to: its child gets twice as many seconds of CPU, all of them on a
// shared machine's cores.
const MaxExplore = 10 * time.Minute

// Green mode runs its scenario threads on Procs OS threads (GOMAXPROCS):
// DefaultProcs unless the request says, at most MaxProcs, since each is a
// real thread of the child.
const (
	DefaultProcs = 2
	MaxProcs     = 64
)

// Limits caps what one run may use. Zero fields mean the defaults above;
// WithDefaults fills them.
type Limits struct {
	Script       int           `json:"script,omitempty"`        // bytes of a script's source
	Wall         time.Duration `json:"wall_ns,omitempty"`       // wall clock of one run
	Explore      time.Duration `json:"explore_ns,omitempty"`    // wall clock of one exploration; its child's CPU limit is twice as many seconds
	CPUSeconds   int           `json:"cpu_seconds,omitempty"`   // RLIMIT_CPU over all of the child's threads
	MemoryBytes  int64         `json:"memory_bytes,omitempty"`  // the cgroup's memory and the child's heap watch; RLIMIT_DATA has slack above it
	Threads      int           `json:"threads,omitempty"`       // os mode's scenario threads; with some slack, the cgroup's pids
	GreenThreads int           `json:"green_threads,omitempty"` // green and sim modes' scenario threads
	Events       int           `json:"events,omitempty"`        // events recorded; later ones are dropped
	Steps        uint64        `json:"steps,omitempty"`         // Starlark steps over all threads
	Output       int           `json:"output,omitempty"`        // bytes of print output
}

// Default is every limit at its default.
var Default = Limits{}.WithDefaults()

// WithDefaults fills each zero or negative limit with its default, so
// that a partly filled Limits never means no memory limit, no CPU limit
// or no wall clock by accident. It is the one place defaults are filled.
func (l Limits) WithDefaults() Limits {
	or := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	or(&l.Script, DefaultScript)
	or(&l.CPUSeconds, DefaultCPUSeconds)
	or(&l.Threads, DefaultThreads)
	or(&l.GreenThreads, DefaultGreenThreads)
	or(&l.Events, DefaultEvents)
	or(&l.Output, DefaultOutput)
	if l.Wall <= 0 {
		l.Wall = DefaultWall
	}
	if l.Explore <= 0 {
		l.Explore = DefaultExplore
	}
	if l.MemoryBytes <= 0 {
		l.MemoryBytes = DefaultMemoryBytes
	}
	if l.Steps == 0 {
		l.Steps = DefaultSteps
	}
	return l
}

// Within caps l by most, field by field: a field of l that is zero or
// above most's takes most's. The result is filled in full: a request's
// own limits may be tighter than the server's, never looser.
func (l Limits) Within(most Limits) Limits {
	most = most.WithDefaults()
	pick := func(v *int, cap int) {
		if *v <= 0 || *v > cap {
			*v = cap
		}
	}
	pick(&l.Script, most.Script)
	pick(&l.CPUSeconds, most.CPUSeconds)
	pick(&l.Threads, most.Threads)
	pick(&l.GreenThreads, most.GreenThreads)
	pick(&l.Events, most.Events)
	pick(&l.Output, most.Output)
	if l.Wall <= 0 || l.Wall > most.Wall {
		l.Wall = most.Wall
	}
	if l.Explore <= 0 || l.Explore > most.Explore {
		l.Explore = most.Explore
	}
	if l.MemoryBytes <= 0 || l.MemoryBytes > most.MemoryBytes {
		l.MemoryBytes = most.MemoryBytes
	}
	if l.Steps == 0 || l.Steps > most.Steps {
		l.Steps = most.Steps
	}
	return l
}

// ScenarioThreads is how many scenario threads a run may start: in os
// mode each is an OS thread, so Threads; in green and sim modes each is
// a goroutine, so GreenThreads.
func (l Limits) ScenarioThreads(osMode bool) int {
	if osMode {
		return l.Threads
	}
	return l.GreenThreads
}

// maxStack caps one goroutine's stack in the child.
const maxStack = 64 << 20

// StackBytes is the stack limit of one scenario thread: deep recursion
// ends as a limit of its own, well inside the memory limit, since growing
// a stack copies it.
func (l Limits) StackBytes() int {
	if l.MemoryBytes > 0 && l.MemoryBytes/4 < maxStack {
		return int(l.MemoryBytes / 4)
	}
	return maxStack
}

// ScriptTooLarge is the one sentence that refuses a script of n bytes
// over the size limit, wherever the limit is checked.
func ScriptTooLarge(n, limit int) string {
	return scriptTooLarge(strconv.Itoa(n), limit)
}

// ScriptOverLimit is ScriptTooLarge's sentence where the script's size
// is not known, only that it is over the limit: it is still arriving,
// or a file was cut off at the limit while read.
func ScriptOverLimit(limit int) string {
	return scriptTooLarge("more than "+strconv.Itoa(limit), limit)
}

func scriptTooLarge(size string, limit int) string {
	return fmt.Sprintf("The script is %s bytes; the script size limit is %d bytes.", size, limit)
}

// ScriptSizeError refuses a script over the size limit where the refusal
// travels as an error rather than as a run's result: its text is
// ScriptTooLarge's sentence, so that a caller can show it as it is.
type ScriptSizeError struct {
	Size, Limit int
}

// Error is the refusal's sentence.
func (e *ScriptSizeError) Error() string { return ScriptTooLarge(e.Size, e.Limit) }
