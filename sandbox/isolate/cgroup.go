package isolate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"interleave/limits"
)

// cgroupRoot is where the cgroup file systems are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// cgroups knows where this server may make a cgroup per run: under its
// own cgroup, in each v1 hierarchy it needs, or in a delegated v2 subtree.
type cgroups struct {
	version string            // v1 or v2
	v1      map[string]string // controller -> the parent of run cgroups
	v2      string            // the parent of run cgroups
}

// runCgroup is one run's cgroup, removed when the run ends.
type runCgroup struct {
	version string
	dirs    map[string]string // v1: controller -> dir; v2: "" -> dir
	fd      *os.File          // v2: the directory, for clone3's CLONE_INTO_CGROUP
}

// v1Controllers are the hierarchies a run needs on cgroup v1.
var v1Controllers = []string{"pids", "memory", "cpu"}

// detectCgroups finds a writable place for per-run cgroups, or says why
// there is none.
func detectCgroups() (*cgroups, error) {
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("read own cgroup: %w", err)
	}
	if _, err := os.Stat(filepath.Join(cgroupRoot, "cgroup.controllers")); err == nil {
		return detectV2(self)
	}
	return detectV1(self)
}

func detectV1(self []byte) (*cgroups, error) {
	c := &cgroups{version: "v1", v1: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(self))
	paths := map[string]string{}
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, ctl := range strings.Split(parts[1], ",") {
			paths[ctl] = parts[2]
		}
	}
	for _, ctl := range v1Controllers {
		p, ok := paths[ctl]
		if !ok {
			return nil, fmt.Errorf("cgroup v1: no %s hierarchy", ctl)
		}
		dir := filepath.Join(cgroupRoot, ctl, p, "interleave")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("cgroup v1: %s is not writable: %w", ctl, err)
		}
		if err := probeWritable(dir); err != nil {
			return nil, fmt.Errorf("cgroup v1: %s: %w", ctl, err)
		}
		c.v1[ctl] = dir
		sweepStale(dir, time.Now())
	}
	return c, nil
}

func detectV2(self []byte) (*cgroups, error) {
	var rel string
	for _, line := range strings.Split(string(self), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			rel = p
		}
	}
	if rel == "" {
		return nil, errors.New("cgroup v2: own cgroup not found")
	}
	base := filepath.Join(cgroupRoot, rel)
	ctls, err := os.ReadFile(filepath.Join(base, "cgroup.controllers"))
	if err != nil {
		return nil, fmt.Errorf("cgroup v2: %w", err)
	}
	have := strings.Fields(string(ctls))
	for _, need := range []string{"memory", "pids"} {
		if !slices.Contains(have, need) {
			return nil, fmt.Errorf("cgroup v2: the %s controller is not delegated to %s", need, base)
		}
	}
	// A cgroup with processes cannot hand controllers to children, so the
	// server moves itself into a leaf first, as delegated services do.
	leaf := filepath.Join(base, "interleave-server")
	runs := filepath.Join(base, "interleave-runs")
	if filepath.Base(base) == "interleave-server" {
		base = filepath.Dir(base)
		runs = filepath.Join(base, "interleave-runs")
	} else {
		if err := os.MkdirAll(leaf, 0o755); err != nil {
			return nil, fmt.Errorf("cgroup v2: %s is not writable: %w", base, err)
		}
		if err := os.WriteFile(filepath.Join(leaf, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
			return nil, fmt.Errorf("cgroup v2: move server into %s: %w", leaf, err)
		}
	}
	enable := []byte("+memory +pids +cpu")
	if err := os.WriteFile(filepath.Join(base, "cgroup.subtree_control"), enable, 0); err != nil {
		// cpu may be missing; memory and pids are what matter.
		if err := os.WriteFile(filepath.Join(base, "cgroup.subtree_control"), []byte("+memory +pids"), 0); err != nil {
			return nil, fmt.Errorf("cgroup v2: enable controllers: %w", err)
		}
	}
	if err := os.MkdirAll(runs, 0o755); err != nil {
		return nil, fmt.Errorf("cgroup v2: %w", err)
	}
	if err := probeWritable(runs); err != nil {
		return nil, fmt.Errorf("cgroup v2: %w", err)
	}
	if err := os.WriteFile(filepath.Join(runs, "cgroup.subtree_control"), enable, 0); err != nil {
		if err := os.WriteFile(filepath.Join(runs, "cgroup.subtree_control"), []byte("+memory +pids"), 0); err != nil {
			return nil, fmt.Errorf("cgroup v2: enable controllers for runs: %w", err)
		}
	}
	sweepStale(runs, time.Now())
	return &cgroups{version: "v2", v2: runs}, nil
}

// ownerPrefix starts the name of every cgroup a server makes, so that a
// later server can tell whether the one that made it is still alive.
func ownerPrefix(pid int) string { return "srv" + strconv.Itoa(pid) + "-" }

// staleAge is how long an empty cgroup without an owner in its name (made
// before names carried one) must have existed before it counts as stale:
// a live server's run cgroup is empty only for the moment between making
// it and moving the child in.
const staleAge = time.Minute

// sweepStale removes the run cgroups under parent that a server killed
// before it could clean up left behind: those with no process whose
// owner, named in the folder, is dead (or, for older names, that are a
// minute old). A cgroup with a process in it is never touched (the kernel
// would refuse anyway), nor one whose owner lives: it may be another
// server's. It reports what it removed.
func sweepStale(parent string, now time.Time) []string {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		if !e.IsDir() || !stale(filepath.Join(parent, e.Name()), e.Name(), now) {
			continue
		}
		if err := os.Remove(filepath.Join(parent, e.Name())); err == nil {
			removed = append(removed, e.Name())
		}
	}
	return removed
}

func stale(dir, name string, now time.Time) bool {
	procs, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil || len(bytes.TrimSpace(procs)) > 0 {
		return false
	}
	if rest, ok := strings.CutPrefix(name, "srv"); ok {
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 {
			return false
		}
		return !alive(pid)
	}
	if !strings.HasPrefix(name, "run-") && !strings.HasPrefix(name, "probe-") {
		return false // not ours
	}
	fi, err := os.Stat(dir)
	return err == nil && now.Sub(fi.ModTime()) > staleAge
}

// alive reports whether a process with this pid exists (signal 0 checks
// without sending; EPERM means it exists but is not ours).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// probeWritable makes and removes a cgroup under dir: a directory that
// exists (made by another user, say) is not necessarily one we may use.
func probeWritable(dir string) error {
	p := filepath.Join(dir, fmt.Sprintf("probe-%d", os.Getpid()))
	if err := os.Mkdir(p, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s is not writable: %w", dir, err)
	}
	return os.Remove(p)
}

// cgroupSlack covers what the Go runtime and the kernel charge beyond the
// script's own heap, so that the child's own watch, which stops a run
// cleanly with its events, fires before the cgroup kills it.
const cgroupSlack = 192 << 20

// threadSlack covers the Go runtime's own threads beyond the scenario's.
const threadSlack = 32

func (c *cgroups) newRun(id string, l limits.Limits) (*runCgroup, error) {
	r := &runCgroup{version: c.version, dirs: map[string]string{}}
	id = ownerPrefix(os.Getpid()) + id
	write := func(dir, file, value string) error {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0); err != nil {
			return fmt.Errorf("cgroup: set %s: %w", file, err)
		}
		return nil
	}
	mem := strconv.FormatInt(l.MemoryBytes+cgroupSlack, 10)
	pids := strconv.Itoa(l.Threads + threadSlack)
	if c.version == "v2" {
		dir := filepath.Join(c.v2, id)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return nil, fmt.Errorf("cgroup: create run cgroup: %w", err)
		}
		r.dirs[""] = dir
		for _, kv := range [][2]string{{"memory.max", mem}, {"memory.swap.max", "0"}, {"pids.max", pids}, {"cpu.weight", "50"}} {
			if err := write(dir, kv[0], kv[1]); err != nil && kv[0] != "memory.swap.max" && kv[0] != "cpu.weight" {
				r.close()
				return nil, err
			}
		}
		fd, err := os.Open(dir)
		if err != nil {
			r.close()
			return nil, fmt.Errorf("cgroup: open run cgroup: %w", err)
		}
		r.fd = fd
		return r, nil
	}
	for _, ctl := range v1Controllers {
		dir := filepath.Join(c.v1[ctl], id)
		if err := os.Mkdir(dir, 0o755); err != nil {
			r.close()
			return nil, fmt.Errorf("cgroup: create run cgroup: %w", err)
		}
		r.dirs[ctl] = dir
	}
	settings := []struct{ ctl, file, value string }{
		{"memory", "memory.limit_in_bytes", mem},
		{"pids", "pids.max", pids},
		{"cpu", "cpu.shares", "512"}, // the server stays responsive under load
	}
	for _, s := range settings {
		if err := write(r.dirs[s.ctl], s.file, s.value); err != nil {
			r.close()
			return nil, err
		}
	}
	// Without swap accounting this file is absent; the limit above holds.
	_ = write(r.dirs["memory"], "memory.memsw.limit_in_bytes", mem)
	return r, nil
}

// attach moves a started child into the run's v1 cgroups. On v2 the child
// was born there (CLONE_INTO_CGROUP), so there is nothing to do.
func (r *runCgroup) attach(pid int) error {
	if r.version == "v2" {
		return nil
	}
	for _, ctl := range v1Controllers {
		if err := os.WriteFile(filepath.Join(r.dirs[ctl], "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			return fmt.Errorf("cgroup: attach child to %s: %w", ctl, err)
		}
	}
	return nil
}

// oomKilled reports whether the kernel killed something in the run's
// cgroup for using too much memory.
func (r *runCgroup) oomKilled() bool {
	var file string
	if r.version == "v2" {
		file = filepath.Join(r.dirs[""], "memory.events")
	} else {
		file = filepath.Join(r.dirs["memory"], "memory.oom_control")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if n, ok := strings.CutPrefix(line, "oom_kill "); ok && strings.TrimSpace(n) != "0" {
			return true
		}
	}
	return false
}

// memoryPeak is the most memory the run's cgroup used, in bytes (0 when
// unknown). Unlike a process's max RSS it does not include the memory of
// the parent it was forked from.
func (r *runCgroup) memoryPeak() int64 {
	file := filepath.Join(r.dirs["memory"], "memory.max_usage_in_bytes")
	if r.version == "v2" {
		file = filepath.Join(r.dirs[""], "memory.peak")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n
}

// pidsLimited reports whether the run hit its pids (thread) limit.
func (r *runCgroup) pidsLimited() bool {
	dir := r.dirs["pids"]
	if r.version == "v2" {
		dir = r.dirs[""]
	}
	b, err := os.ReadFile(filepath.Join(dir, "pids.events"))
	if err != nil {
		return false
	}
	n, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "max ")
	return ok && n != "0"
}

// close removes the run's cgroups. The processes in them must be dead;
// the kernel may take a moment to notice, so it retries briefly.
func (r *runCgroup) close() {
	if r.fd != nil {
		r.fd.Close()
	}
	for _, dir := range r.dirs {
		for i := 0; i < 50; i++ {
			if err := os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
}
