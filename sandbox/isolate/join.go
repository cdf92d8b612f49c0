package isolate

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unsafe"
)

// On cgroup v1 the supervisor used to move each started child into its
// run's cgroups by writing the child's pid to cgroup.procs. The first such
// write takes the kernel's global threadgroup lock for writing, which
// waits for an RCU grace period: 5 to 14 ms here, most of an empty run.
// A thread that writes "0" to a v1 tasks file moves itself without that
// lock, so the supervisor opens each run cgroup's tasks file and hands it
// to the child, and every thread of the child writes "0" to it before the
// child reads anything a stranger wrote. A child whose threads cannot all
// make the same system call (one built with cgo, where Go's
// AllThreadsSyscall is unavailable) is moved by the supervisor as before.

// selfJoin reads exe's build settings and reports whether its children
// can join their cgroups themselves: only a binary built without cgo.
func selfJoin(exe string) bool {
	bi, err := buildinfo.ReadFile(exe)
	if err != nil {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "CGO_ENABLED" {
			return s.Value == "0"
		}
	}
	return false
}

// openTasks opens the tasks file of each of the run's v1 cgroups, for
// the child to join them.
func (r *runCgroup) openTasks() ([]*os.File, error) {
	var files []*os.File
	for _, ctl := range v1Controllers {
		f, err := os.OpenFile(filepath.Join(r.dirs[ctl], "tasks"), os.O_WRONLY, 0)
		if err != nil {
			closeAll(files)
			return nil, fmt.Errorf("cgroup: open %s tasks: %w", ctl, err)
		}
		files = append(files, f)
	}
	return files, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// self is what a thread writes to a tasks file to move itself.
var self = [1]byte{'0'}

// JoinCgroups moves every thread of this process into the cgroups whose
// tasks files the supervisor left open at the spec's descriptors, and
// closes them. Threads made later are made by threads already inside.
func JoinCgroups(spec Spec) error {
	for fd := spec.CgroupTasksFD; fd < spec.CgroupTasksFD+spec.CgroupTasks; fd++ {
		_, _, errno := syscall.AllThreadsSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&self[0])), 1)
		if errno != 0 {
			return fmt.Errorf("join cgroup: %w", errno)
		}
		if err := syscall.Close(fd); err != nil {
			return fmt.Errorf("join cgroup: close: %w", err)
		}
	}
	return nil
}

// threadCgroups returns the distinct cgroup lines of this process's
// threads, for the probe's report.
func threadCgroups() []string {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return []string{"read tasks: " + err.Error()}
	}
	seen := map[string]bool{}
	var lines []string
	for _, t := range tasks {
		b, err := os.ReadFile(filepath.Join("/proc/self/task", t.Name(), "cgroup"))
		if err != nil {
			continue // a thread that ended meanwhile
		}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if !seen[l] {
				seen[l] = true
				lines = append(lines, l)
			}
		}
	}
	return lines
}
