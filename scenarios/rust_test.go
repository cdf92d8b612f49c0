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
	"testing"
	"time"

	"interleave/scenarios"
)

// How often each listing runs, and how long one run may take before it
// counts as hung (a deadlock, for a listing that may deadlock).
const (
	rustRuns    = 20
	rustTimeout = 5 * time.Second
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
	for _, s := range builtin(t).All() {
		t.Run(s.ID, func(t *testing.T) {
			t.Parallel()
			shows, err := rustShows(s.Rust)
			if err != nil {
				t.Fatalf("%s's Rust listing: %v", s.ID, err)
			}
			bin := compileRust(t, rustc, dir, s)
			counts := map[outcome]int{}
			for i := range rustRuns {
				o, out := runRust(t, bin)
				counts[o]++
				if o == ranHung && shows != showsDeadlock || o == ranBug && shows == showsOK || o == ranBug && shows == showsDeadlock {
					t.Fatalf("run %d of %s's listing (shows: %s) %s:\n%s", i+1, s.ID, shows, o, out)
				}
				// One showing is enough for a listing that claims a bug.
				if o == ranBug && shows == showsBug || o == ranHung && shows == showsDeadlock {
					t.Logf("%s (shows: %s): %s in run %d", s.ID, shows, o, i+1)
					return
				}
			}
			if shows != showsOK {
				t.Errorf("%s's listing (shows: %s) ran correctly %d times out of %d, want the %s to show at least once",
					s.ID, shows, counts[ranOK], rustRuns, shows)
			}
		})
	}
}

func (o outcome) String() string {
	return [...]string{"ran correctly", `printed a "BUG:" line`, fmt.Sprintf("hung for %v", rustTimeout)}[o]
}

// compileRust builds a listing with rustc -O and fails on any diagnostic.
func compileRust(t *testing.T, rustc, dir string, s *scenarios.Scenario) string {
	t.Helper()
	src := filepath.Join(dir, strings.ReplaceAll(s.ID, "-", "_")+".rs")
	bin := strings.TrimSuffix(src, ".rs")
	if err := os.WriteFile(src, []byte(s.Rust+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(rustc, "--edition", "2021", "-O", "-o", bin, src).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("rustc --edition 2021 -O %s.rs: %v, want no error and no warning:\n%s", s.ID, err, out)
	}
	return bin
}

// runRust runs a compiled listing once and says what it showed. A
// listing that exits with an error (a panic) fails the test: a listing
// reports a bug by printing it, not by crashing.
func runRust(t *testing.T, bin string) (outcome, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), rustTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return ranHung, out.String()
	case err != nil:
		t.Fatalf("%s: %v, want exit status 0:\n%s", filepath.Base(bin), err, out.String())
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "BUG:") {
			return ranBug, out.String()
		}
	}
	return ranOK, out.String()
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
