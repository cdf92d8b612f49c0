package web

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestJS runs the JavaScript unit tests (web/jstest, Node's own test
// runner, no npm packages) so that the one test command runs them too.
// Without Node they are skipped, except under CI, where that is a failure.
// Node 18 or later has the test runner; the tests are run with Node 20.
func TestJS(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node not found; CI must install it (Node 20 or later) to run the JavaScript tests")
		}
		t.Skip("node not found; install Node 20 or later to run the JavaScript tests")
	}
	// Files, not the folder: Node 22 reads the arguments as globs and no
	// longer searches a folder.
	files, err := filepath.Glob("jstest/*.test.js")
	if err != nil || len(files) == 0 {
		t.Fatalf("no JavaScript tests in web/jstest (%v)", err)
	}
	out, err := exec.Command(node, append([]string{"--test"}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("node --test %s: %v\n%s", strings.Join(files, " "), err, out)
	}
	t.Logf("node --test:\n%s", tail(out, 12))
}

// tail keeps the last n lines of the runner's report: its totals.
func tail(b []byte, n int) []byte {
	for i := len(b) - 2; i >= 0; i-- {
		if b[i] == '\n' {
			if n--; n == 0 {
				return b[i+1:]
			}
		}
	}
	return b
}

// maxModuleLines is the most lines one of the page's modules may have: a
// module that outgrows it holds more than one concern.
const maxModuleLines = 500

// TestModuleSize holds every module of the page to maxModuleLines.
func TestModuleSize(t *testing.T) {
	err := filepath.WalkDir("static", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".js") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if n := strings.Count(string(b), "\n"); n > maxModuleLines {
			t.Errorf("%s has %d lines, want at most %d: split it by concern", path, n, maxModuleLines)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk static: %v", err)
	}
}
