package analysis_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"interleave/sandbox/trace"
)

// goRace pairs each Go program of testdata/gorace with the scenario it
// translates. A cell used only with get and set is a plain variable; a
// cell used with add, cas or swap is a sync/atomic value, every access
// to it atomic, as the scenarios' Rust listings do.
var goRace = []struct {
	dir, scenario, src string
	params             map[string]any
}{
	{"lost-update", "lost-update", "", map[string]any{"threads": 2, "iterations": 100}},
	{"counter-mutex", "counter-mutex", "", map[string]any{"threads": 2, "iterations": 100}},
	{"counter-atomic", "counter-atomic", "", map[string]any{"threads": 2, "iterations": 100}},
	{"spin-lock", "spin-lock", "", map[string]any{"threads": 2, "iterations": 100}},
	{"heisenbug", "heisenbug", "", nil},
	{"sleep-fix", "sleep-fix", "", map[string]any{"busy": 3, "load_us": 1000}},
	{"sleep-fix-joined", "sleep-fix", "", map[string]any{"join": true}},
	{"flag-as-lock", "flag-as-lock", flagLock, nil},
	{"check-then-act", "check-then-act", "", nil},
	{"rendezvous", "rendezvous", "", nil},
}

// TestAgreesWithGoRaceDetector runs each Go program under the race
// detector and checks that it finds a data race exactly when the
// analysis finds one in the matching scenario.
func TestAgreesWithGoRaceDetector(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs with -race")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	// One build for all: the race runtime is compiled once.
	bin := t.TempDir()
	args := []string{"build", "-race", "-o", bin + string(filepath.Separator)}
	for _, g := range goRace {
		args = append(args, "./"+filepath.ToSlash(filepath.Join("testdata", "gorace", g.dir)))
	}
	if out, err := exec.Command(goTool, args...).CombinedOutput(); err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, out)
	}
	for _, g := range goRace {
		t.Run(g.dir, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			cmd := exec.Command(filepath.Join(bin, g.dir))
			cmd.Stdout, cmd.Stderr = &out, &out
			cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
			err := cmd.Run()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatalf("run %s: %v", g.dir, err)
			}
			goSays := bytes.Contains(out.Bytes(), []byte("WARNING: DATA RACE"))
			res := runScenario(t, g.scenario, g.src, trace.ModeSim, 1, g.params)
			weSay := false
			if res.RaceSummary != nil {
				for _, c := range res.RaceSummary.Counts {
					weSay = weSay || c.Kind == trace.RaceData
				}
			}
			if weSay != goSays {
				t.Errorf("Analyze(%s) data race = %v, but go run -race says %v:\n%s", g.scenario, weSay, goSays, out.Bytes())
			}
		})
	}
}
