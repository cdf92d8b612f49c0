package isolate

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestSweepStale makes cgroups as a server killed mid-run leaves them and
// checks that only the stale ones go. It needs a cgroup it may write.
func TestSweepStale(t *testing.T) {
	cg, err := detectCgroups()
	if err != nil {
		t.Skipf("no writable cgroup on this machine (%v): nothing to sweep", err)
	}
	parents := map[string]string{"v2": cg.v2} // hierarchy -> the parent of run cgroups
	if cg.version == "v1" {
		parents = cg.v1
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadOwner, liveOwner := ownerPrefix(dead.Process.Pid), ownerPrefix(os.Getpid())
	busy := exec.Command("sleep", "60")
	if err := busy.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { busy.Process.Kill(); busy.Wait() }()

	for hierarchy, parent := range parents {
		t.Run(hierarchy, func(t *testing.T) {
			names := map[string]bool{ // name -> whether the sweep must remove it
				deadOwner + "run-test-stale": true,
				deadOwner + "run-test-busy":  false,
				liveOwner + "run-test-live":  false,
				"run-test-legacy-fresh":      false,
				"run-test-legacy-old":        true,
				"someone-elses-cgroup-test":  false,
			}
			for name := range names {
				if err := os.Mkdir(filepath.Join(parent, name), 0o755); err != nil {
					t.Fatalf("make fake cgroup: %v", err)
				}
				defer os.Remove(filepath.Join(parent, name))
			}
			// An empty cgroup with an old name is stale once a minute old.
			old := time.Now().Add(-time.Hour)
			if err := os.Chtimes(filepath.Join(parent, "run-test-legacy-old"), old, old); err != nil {
				t.Fatalf("age a fake cgroup: %v", err)
			}
			busyDir := filepath.Join(parent, deadOwner+"run-test-busy")
			if err := os.WriteFile(filepath.Join(busyDir, "cgroup.procs"), []byte(strconv.Itoa(busy.Process.Pid)), 0); err != nil {
				t.Fatalf("move a process into a fake cgroup: %v", err)
			}
			// A process must leave its cgroup before that can be removed.
			defer os.WriteFile(filepath.Join(parent, "cgroup.procs"), []byte(strconv.Itoa(busy.Process.Pid)), 0)

			removed := sweepStale(parent, time.Now())
			for name, gone := range names {
				_, err := os.Stat(filepath.Join(parent, name))
				if os.IsNotExist(err) != gone {
					t.Errorf("after sweepStale(%s), %s exists = %v, want %v", parent, name, err == nil, !gone)
				}
				if slices.Contains(removed, name) != gone {
					t.Errorf("sweepStale(%s) = %v: %s reported %v, want %v", parent, removed, name, !gone, gone)
				}
			}
		})
	}
}
