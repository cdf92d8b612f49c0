package isolate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"time"

	"interleave/limits"
)

// Box is the supervisor's side of the sandbox: the layers found at
// start-up and the per-run set-up that follows from them.
type Box struct {
	mu      sync.Mutex // guards layers, which a first child may revise
	layers  Layers
	lim     limits.Limits
	cgroups *cgroups
	// unproven: namespaces are assumed, not probed; the first child to
	// start proves them, or its failure drops them (StartFailed).
	unproven bool
	// selfJoin: children join their v1 cgroups themselves (see join.go).
	selfJoin bool
}

// ProbeReport is what a probe child says about the box it woke up in.
type ProbeReport struct {
	Pid      int               `json:"pid"`
	UID      int               `json:"uid"`
	Landlock int               `json:"landlock"` // the ABI the child applied
	Env      int               `json:"env"`      // environment variables the child inherited
	Cgroups  []string          `json:"cgroups"`  // the distinct lines of its threads' /proc cgroup files
	Error    string            `json:"error,omitempty"`
	Escapes  map[string]string `json:"escapes,omitempty"` // attempt -> "denied: ..." or "succeeded"
}

// New detects the layers this machine offers and returns a Box that uses
// them. exe is the binary to re-execute; probeArg makes it run Probe.
// With Strict, a missing namespace or seccomp layer is an error. An empty
// probeArg starts no probe (a one-run command cannot afford a second
// exec): namespaces are assumed until a child fails to start, and exe
// must be this binary, whose build tells whether Landlock applies.
func New(level Level, lim limits.Limits, exe, probeArg string) (*Box, error) {
	b := &Box{lim: lim.WithDefaults(), layers: Layers{Level: level, Cgroup: "none", CleanEnv: true}}
	if level == Off {
		b.layers.Missing = append(b.layers.Missing, "the sandbox is off (-sandbox off): scripts run with the server's privileges")
		return b, nil
	}
	missing := func(format string, args ...any) {
		b.layers.Missing = append(b.layers.Missing, fmt.Sprintf(format, args...))
	}
	b.layers.Rlimits = true
	b.layers.Landlock = LandlockABI()
	if b.layers.Landlock == 0 {
		missing("landlock is not available: file and network access rely on the other layers")
	}
	b.layers.Seccomp = SeccompSupported()
	if !b.layers.Seccomp {
		missing("seccomp is not available: the system call allowlist is off")
	}
	if cg, err := detectCgroups(); err != nil {
		missing("no writable cgroup (%v): memory and thread limits rely on rlimits and the engine", err)
	} else {
		b.cgroups = cg
		b.layers.Cgroup = cg.version
		b.selfJoin = cg.version == "v1" && selfJoin(exe)
	}
	// Namespaces are proven by starting a probe child in them, with every
	// other layer on, so a runtime that blocks them is noticed now rather
	// than on the first Run.
	b.layers.Namespaces = true
	if probeArg == "" {
		b.unproven = true
		if err := b.finish(level, cgoBuild); err != nil {
			return nil, err
		}
		return b, nil
	}
	rep, err := b.Probe(exe, probeArg)
	if err != nil {
		b.layers.Namespaces = false
		missing("namespaces are not available (%v): runs share the host's pid, network and mount namespaces", err)
		if rep2, err2 := b.Probe(exe, probeArg); err2 != nil {
			return nil, fmt.Errorf("sandbox probe failed even without namespaces: %w", err2)
		} else {
			rep = rep2
		}
	}
	if rep.Error != "" {
		return nil, fmt.Errorf("sandbox probe: %s", rep.Error)
	}
	if err := b.finish(level, rep.Landlock == 0); err != nil {
		return nil, err
	}
	return b, nil
}

// finish notes a child binary built with cgo, which cannot apply
// Landlock (see cgoBuild), and enforces Strict.
func (b *Box) finish(level Level, childCgo bool) error {
	if b.layers.Landlock > 0 && childCgo {
		b.layers.Landlock = 0
		b.layers.Missing = append(b.layers.Missing, "landlock is off in a binary built with cgo (go run uses cgo where a C compiler is installed): build with CGO_ENABLED=0 for it; seccomp still denies opening files and sockets")
	}
	if level == Strict && (!b.layers.Namespaces || !b.layers.Seccomp) {
		return fmt.Errorf("sandbox strict: namespaces and seccomp are required: %v", b.layers.Missing)
	}
	return nil
}

// StartFailed is told that a child could not start with err, and reports
// whether to start it again: when namespaces were assumed rather than
// probed, the first failure drops them (unless the level is Strict),
// as a failed probe would have.
func (b *Box) StartFailed(err error) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.unproven || !b.layers.Namespaces || b.layers.Level == Strict {
		return false
	}
	b.unproven, b.layers.Namespaces = false, false
	b.layers.Missing = append(b.layers.Missing, fmt.Sprintf("namespaces are not available (%v): runs share the host's pid, network and mount namespaces", err))
	return true
}

// Layers returns the layers in force.
func (b *Box) Layers() Layers {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.layers
	l.Missing = slices.Clone(l.Missing)
	return l
}

// Spec is what children are told to enter.
func (b *Box) Spec() Spec {
	if b.layers.Level == Off {
		return Spec{}
	}
	return Spec{Landlock: b.layers.Landlock, Seccomp: b.layers.Seccomp, Rlimits: b.layers.Rlimits,
		CgroupMemory: b.cgroups != nil, Limits: b.lim}
}

// Limits returns the per-run limits, filled in full.
func (b *Box) Limits() limits.Limits { return b.lim }

// Run is one child's isolation: set it up with Prepare before starting the
// child, call Started after, and Close when the child is gone.
type Run struct {
	cg    *runCgroup
	limit int64 // the memory limit, to judge the cgroup's peak
	spec  Spec
	tasks []*os.File // the cgroups' tasks files the child joins itself
}

// Prepare sets the child's process attributes (namespaces, cgroup) on cmd,
// and may add descriptors to its ExtraFiles. id names the run's cgroup,
// which lim sizes (the box's limits, or room for a process that runs
// many). The child's spec argument is the Run's Spec.
func (b *Box) Prepare(cmd *exec.Cmd, id string, lim limits.Limits) (*Run, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	lim = lim.WithDefaults()
	r := &Run{limit: lim.MemoryBytes, spec: b.Spec()}
	b.mu.Lock()
	ns := b.layers.Namespaces
	b.mu.Unlock()
	if ns {
		applyNamespaces(cmd.SysProcAttr)
	}
	if b.cgroups != nil {
		cg, err := b.cgroups.newRun(id, lim)
		if err != nil {
			return nil, err
		}
		r.cg = cg
		if cg.fd != nil {
			cmd.SysProcAttr.UseCgroupFD = true
			cmd.SysProcAttr.CgroupFD = int(cg.fd.Fd())
		}
		if b.selfJoin {
			if r.tasks, err = cg.openTasks(); err != nil {
				cg.close()
				return nil, err
			}
			r.spec.CgroupTasks, r.spec.CgroupTasksFD = len(r.tasks), 3+len(cmd.ExtraFiles)
			cmd.ExtraFiles = append(cmd.ExtraFiles, r.tasks...)
		}
	}
	return r, nil
}

// Spec is what this run's child is told to enter.
func (r *Run) Spec() Spec { return r.spec }

// Started puts a started child into its cgroup where that could not
// happen at birth (cgroup v1). The child must not have read its script
// yet: it waits for the request on stdin.
func (r *Run) Started(pid int) error {
	if r.cg == nil {
		return nil
	}
	if r.tasks != nil {
		// The child joins them itself before it reads its request.
		closeAll(r.tasks)
		r.tasks = nil
		return nil
	}
	return r.cg.attach(pid)
}

// Cause is a limit the kernel enforced on a child that died.
type Cause int

// The causes Run.Cause tells apart.
const (
	CauseNone    Cause = iota // no limit the kernel reports
	CauseMemory               // the cgroup's memory limit
	CauseThreads              // the cgroup's pids limit
)

// Cause names the limit the kernel enforced on a child that died.
func (r *Run) Cause() Cause {
	if r.cg == nil {
		return CauseNone
	}
	// The Go runtime may also crash outright when the data rlimit
	// refuses it memory in the middle of a collection: a run whose cgroup
	// got near its memory limit ran out of memory, whatever it printed.
	if r.cg.oomKilled() || r.cg.memoryPeak() >= r.limit*3/4 {
		return CauseMemory
	}
	if r.cg.pidsLimited() {
		return CauseThreads
	}
	return CauseNone
}

// Close removes the run's cgroup.
func (r *Run) Close() {
	closeAll(r.tasks)
	r.tasks = nil
	if r.cg != nil {
		r.cg.close()
	}
}

// Probe starts exe with probeArg in the box and returns its report.
// Extra arguments are passed on (the escape test uses them).
func (b *Box) Probe(exe, probeArg string, extra ...string) (ProbeReport, error) {
	var rep ProbeReport
	cmd := exec.Command(exe)
	cmd.Env = []string{}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	r, err := b.Prepare(cmd, fmt.Sprintf("probe-%d", time.Now().UnixNano()), b.lim)
	if err != nil {
		return rep, err
	}
	defer r.Close()
	cmd.Args = append(append(cmd.Args, probeArg, r.Spec().Encode()), extra...)
	if err := cmd.Start(); err != nil {
		return rep, fmt.Errorf("start probe: %w", err)
	}
	if err := r.Started(cmd.Process.Pid); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return rep, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err = <-done
	}
	if err != nil {
		return rep, fmt.Errorf("probe: %w: %s", err, bytes.TrimSpace(errb.Bytes()))
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return rep, fmt.Errorf("probe: bad report %q: %w", out.Bytes(), err)
	}
	return rep, nil
}
