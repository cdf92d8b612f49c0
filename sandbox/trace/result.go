package trace

import "fmt"

// Status is how a run ended.
type Status string

// The statuses of docs/protocol.md.
const (
	StatusOK       Status = "ok"       // main returned and every check held
	StatusFailed   Status = "failed"   // main returned but a check was false
	StatusDeadlock Status = "deadlock" // a wait-for cycle formed
	StatusPanic    Status = "panic"    // main panicked (fail() or a runtime error)
	StatusTimeout  Status = "timeout"  // the wall-clock limit stopped the run
	StatusLimit    Status = "limit"    // another limit stopped the run
	StatusError    Status = "error"    // the script or its params are wrong
	StatusStopped  Status = "stopped"  // the user stopped the run
)

// Mode selects how scenario threads map onto OS threads.
type Mode string

// The three modes of docs/engine.md.
const (
	ModeOS    Mode = "os"    // 1:1, each thread locked to its own OS thread
	ModeGreen Mode = "green" // M:N, goroutines over procs OS threads
	ModeSim   Mode = "sim"   // deterministic, one thread at a time
)

// ParseMode checks a mode name; the empty string means os.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "":
		return ModeOS, nil
	case ModeOS, ModeGreen, ModeSim:
		return Mode(s), nil
	}
	return "", fmt.Errorf("unknown mode %q: use os, green or sim", s)
}

// Result is everything a finished run reports. Events is empty when the
// events were streamed separately.
type Result struct {
	Scenario string         `json:"scenario"`
	Mode     Mode           `json:"mode"`
	Procs    int            `json:"procs"`
	Seed     int64          `json:"seed"`
	Params   map[string]any `json:"params"`
	Status   Status         `json:"status"`
	Message  string         `json:"message"`
	Error    *ScriptError   `json:"error,omitempty"`
	Checks   []CheckResult  `json:"checks"`
	Deadlock *Deadlock      `json:"deadlock,omitempty"`
	Threads  []Thread       `json:"threads"`
	Cells    []CellValue    `json:"cells"`
	Output   string         `json:"output"`
	Stats    Stats          `json:"stats"`
	Schedule string         `json:"schedule,omitempty"`
	// Races are what the analysis of the run's events found, the first
	// few of each kind in full; RaceSummary counts them all.
	Races       []Race       `json:"races,omitempty"`
	RaceSummary *RaceSummary `json:"race_summary,omitempty"`
	Events      []Event      `json:"events,omitempty"`
}

// The kinds of Race.
const (
	RaceData       = "data race"   // two unordered accesses, one a write, one plain
	RaceLostUpdate = "lost update" // A read, B wrote, A wrote over B's write
	RaceStaleRead  = "stale read"  // A read, B wrote, A acted on what it had read
)

// Race is one finding of the analysis of a run: the two or three
// accesses that make it, in the order they happened, and one sentence.
type Race struct {
	Kind string  `json:"kind"`
	Obj  string  `json:"obj"`
	A    *Access `json:"a"`
	B    *Access `json:"b"`
	C    *Access `json:"c,omitempty"`
	Text string  `json:"text"`
}

// Access is the event of a Race that one thread contributed.
type Access struct {
	Th   int    `json:"th"`
	Seq  uint64 `json:"seq"`
	K    Kind   `json:"k"`
	Line int    `json:"line"`
	V    Value  `json:"v,omitzero"`
	Ver  uint64 `json:"ver,omitempty"`
}

// RaceSummary counts every finding by kind and object, where Races keeps
// only the first Limit of each kind. Luck is a sentence for a run that
// passed although it has a data race.
type RaceSummary struct {
	Total  int         `json:"total"`
	Limit  int         `json:"limit"`
	Counts []RaceCount `json:"counts"`
	Luck   string      `json:"luck,omitempty"`
}

// RaceCount is how many findings of one kind one object has.
type RaceCount struct {
	Kind  string `json:"kind"`
	Obj   string `json:"obj"`
	Count int    `json:"count"`
}

// ScriptError locates a mistake in the script or its params.
type ScriptError struct {
	Line int    `json:"line"`
	Col  int    `json:"col"`
	Msg  string `json:"msg"`
}

// CheckResult is one call of check(): what was expected and whether it held.
type CheckResult struct {
	Msg  string `json:"msg"`
	OK   bool   `json:"ok"`
	Th   int    `json:"th"`
	Line int    `json:"line,omitempty"`
}

// Deadlock is the wait-for cycle that ended a run.
type Deadlock struct {
	Cycle []Wait `json:"cycle"`
}

// Wait is one edge of a wait-for cycle: thread Th waits on object Obj
// (a mutex, a thread to join, a channel), which Holder holds or owns.
type Wait struct {
	Th         int    `json:"th"`
	Thread     string `json:"thread"`
	Op         string `json:"op"` // lock, join, send or recv
	Obj        string `json:"obj"`
	Holder     int    `json:"holder"`
	HolderName string `json:"holder_name"`
	Line       int    `json:"line,omitempty"`
}

// Thread describes one scenario thread at the end of a run.
type Thread struct {
	ID     int         `json:"id"`
	Name   string      `json:"name"`
	Parent int         `json:"parent"`
	State  ThreadState `json:"state"`
	Panic  string      `json:"panic,omitempty"`
	Events int         `json:"events"`
}

// ThreadState is how a thread stood when its run ended.
type ThreadState string

// The states a thread can end a run in.
const (
	ThreadRunning  ThreadState = "running"  // still going when the run ended (or the summary saw no end)
	ThreadEnded    ThreadState = "ended"    // returned
	ThreadPanicked ThreadState = "panicked" // failed with an error
	ThreadCutoff   ThreadState = "cutoff"   // cut off when main returned or the run stopped
	ThreadBlocked  ThreadState = "blocked"  // cut off while waiting: part of a deadlock
)

// EndState is the state a thread's final event leaves it in, and false
// for events that do not end a thread.
func EndState(k Kind) (ThreadState, bool) {
	switch k {
	case End:
		return ThreadEnded, true
	case Panic:
		return ThreadPanicked, true
	case Cutoff:
		return ThreadCutoff, true
	}
	return "", false
}

// CellValue is a shared cell's final value.
type CellValue struct {
	Name  string `json:"name"`
	Value Value  `json:"value"`
}

// Stats counts what a run cost.
type Stats struct {
	Events    int64 `json:"events"`
	Dropped   int64 `json:"dropped"`
	WallNs    int64 `json:"wall_ns"`
	CPUNs     int64 `json:"cpu_ns"`
	OSThreads int   `json:"os_threads,omitempty"`
	Steps     int64 `json:"steps"`
}
