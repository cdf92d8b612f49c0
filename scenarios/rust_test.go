package scenarios_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"interleave/scenarios"
)

// How often each listing runs, and how long one run may take before it
// counts as hung (a deadlock, for a listing that may deadlock).
const (
	rustRuns    = 20
	rustTimeout = 5 * time.Second
	// rustPatience is how long a listing that should end may take before
	// it counts as hung: a busy 2-core machine makes a thousand rounds of
	// spawns and barriers slow, not stuck.
	rustPatience = 60 * time.Second
)

// A listing's first line says what it shows (see docs/courses.md).
const (
	showsOK       = "ok"       // never a line starting with "BUG:", never a hang
	showsBug      = "bug"      // a "BUG:" line in at least one run, never a hang
	showsDeadlock = "deadlock" // a hang in at least one run, never a "BUG:" line
)

// rustShows reads the `// shows: ...` marker on a listing's first line.
func rustShows(listing string) (string, error) {
	first, _, _ := strings.Cut(listing, "\n")
	shows, ok := strings.CutPrefix(strings.TrimSpace(first), "// shows: ")
	switch {
	case !ok:
		return "", fmt.Errorf("the first line is %q, want // shows: ok, bug or deadlock", first)
	case shows != showsOK && shows != showsBug && shows != showsDeadlock:
		return "", fmt.Errorf("the first line says %q, want ok, bug or deadlock", shows)
	}
	return shows, nil
}

// outcome is what one run of a listing did.
type outcome int

const (
	ranOK outcome = iota
	ranBug
	ranHung
)

// TestRustListings compiles every built-in scenario's Rust listing with
// rustc, failing on any warning, and runs it up to rustRuns times to
// check that it shows what its marker claims: a bug (or a deadlock) in
// at least one run, a correct program in every run.
func TestRustListings(t *testing.T) {
	rustc, err := exec.LookPath("rustc")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("rustc not found: CI must run the Rust listings (.ci/run installs Debian's rustc)")
		}
		t.Skip("rustc not found: the Rust listings are not checked")
	}
	dir := t.TempDir()
	all := builtin(t).All()
	// The listings are checked on more goroutines than -parallel allows:
	// a hung run waits without using a CPU.
	problems := make([]string, len(all))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, s := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			problems[i] = checkListing(rustc, dir, s)
		}()
	}
	wg.Wait()
	for i, s := range all {
		t.Run(s.ID, func(t *testing.T) {
			if problems[i] != "" {
				t.Error(problems[i])
			}
		})
	}
}

// checkListing compiles and runs one listing and says what is wrong with
// it, or "" when it shows what its marker claims.
func checkListing(rustc, dir string, s *scenarios.Scenario) string {
	shows, err := rustShows(s.Rust)
	if err != nil {
		return fmt.Sprintf("%s's Rust listing: %v", s.ID, err)
	}
	bin, err := compileRust(rustc, dir, s)
	if err != nil {
		return err.Error()
	}
	ok := 0
	for i := range rustRuns {
		wait := rustPatience
		if shows == showsDeadlock {
			wait = rustTimeout // it should hang: no need to wait longer
		}
		o, out, err := runRust(bin, wait)
		switch {
		case err != nil:
			return fmt.Sprintf("run %d of %s's listing: %v, want exit status 0:\n%s", i+1, s.ID, err, out)
		case o == ranHung && shows != showsDeadlock:
			return fmt.Sprintf("run %d of %s's listing (shows: %s) hung for %v:\n%s", i+1, s.ID, shows, wait, out)
		case o == ranBug && shows != showsBug:
			return fmt.Sprintf("run %d of %s's listing (shows: %s) %s:\n%s", i+1, s.ID, shows, o, out)
		case o != ranOK:
			return "" // one showing is enough for a listing that claims a bug
		}
		ok++
	}
	if shows != showsOK {
		return fmt.Sprintf("%s's listing (shows: %s) ran correctly %d times out of %d, want the %s to show at least once",
			s.ID, shows, ok, rustRuns, shows)
	}
	return ""
}

func (o outcome) String() string {
	return [...]string{"ran correctly", `printed a "BUG:" line`, "hung"}[o]
}

// compileRust builds a listing with rustc -O; any diagnostic is an error.
func compileRust(rustc, dir string, s *scenarios.Scenario) (string, error) {
	src := filepath.Join(dir, strings.ReplaceAll(s.ID, "-", "_")+".rs")
	bin := strings.TrimSuffix(src, ".rs")
	if err := os.WriteFile(src, []byte(s.Rust+"\n"), 0o644); err != nil {
		return "", err
	}
	out, err := exec.Command(rustc, "--edition", "2021", "-O", "-o", bin, src).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		return "", fmt.Errorf("rustc --edition 2021 -O %s.rs: %v, want no error and no warning:\n%s", s.ID, err, out)
	}
	return bin, nil
}

// runRust runs a compiled listing once and says what it showed. An exit
// status other than 0 (a panic) is an error: a listing reports a bug by
// printing it, not by crashing.
func runRust(bin string, timeout time.Duration) (outcome, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return ranHung, out.String(), nil
	case err != nil:
		return ranOK, out.String(), err
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "BUG:") {
			return ranBug, out.String(), nil
		}
	}
	return ranOK, out.String(), nil
}

func TestRustShows(t *testing.T) {
	tests := []struct {
		listing string
		want    string
		wantErr bool
	}{
		{"// shows: bug\nfn main() {}", showsBug, false},
		{"  // shows: ok  \nfn main() {}", showsOK, false},
		{"// shows: deadlock", showsDeadlock, false},
		{"fn main() {}", "", true},
		{"// shows: maybe\nfn main() {}", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.listing, func(t *testing.T) {
			got, err := rustShows(tt.listing)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("rustShows(%q) = %q, %v, want %q, error %v", tt.listing, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
