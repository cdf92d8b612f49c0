package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"interleave/handoff"
	"interleave/sandbox/sandboxtest"
)

// besideCopy copies the test binary into a directory of its own, where a
// lean build can be put beside it, and returns its path.
func besideCopy(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "interleave")
	src, err := os.Open(sandboxtest.Binary(t))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(exe, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return exe
}

// TestHandoffArgs puts a script in the lean build's place and checks what
// the full binary hands it, and what it keeps.
func TestHandoffArgs(t *testing.T) {
	exe := besideCopy(t)
	fake := filepath.Join(filepath.Dir(exe), handoff.Binary)
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"run", "-mode", "sim", "x.star"}, "", handoff.Arg + " " + exe + " run -mode sim x.star\n"},
		{[]string{"list", "-format", "json"}, "", handoff.Arg + " " + exe + " list -format json\n"},
		{[]string{"list", "-format", "json"}, handoff.OffEnv + "=off", "[\n"}, // the catalogue, listed by exe itself
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " ")+" "+tt.env, func(t *testing.T) {
			cmd := exec.Command(exe, tt.args...)
			cmd.Env = append(os.Environ(), tt.env)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s %v: %v", exe, tt.args, err)
			}
			if got := string(out); !strings.HasPrefix(got, tt.want) {
				t.Errorf("interleave %v with %q printed %.80q, want it to start %q", tt.args, tt.env, got, tt.want)
			}
		})
	}
}

// TestHandoffOtherBuild puts a lean build of another build beside the
// binary: it must hand the command back, which then runs as usual.
func TestHandoffOtherBuild(t *testing.T) {
	exe := besideCopy(t)
	cmd := exec.Command("go", "build", "-tags", "lean", "-ldflags", "-X interleave/sandbox.buildStamp=another", "-o", filepath.Join(filepath.Dir(exe), handoff.Binary), "interleave")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the lean binary: %v\n%s", err, b)
	}
	script := writeFile(t, t.TempDir(), "empty.star", "def main():\n    pass\n")
	out, err := exec.Command(exe, "run", "-mode", "sim", script).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "empty (sim mode, seed 0): ok") {
		t.Errorf("interleave run beside another build's lean binary: %v\n%s", err, out)
	}
}

// TestLeanFrontDoor installs the lean build as interleave, as the image
// does (a link to it, the full build beside it): a run stays in the lean
// build, serve goes to the full one, and a full build from another build
// is refused with a sentence.
func TestLeanFrontDoor(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both binaries")
	}
	build := func(t *testing.T, dir, stamp string, lean bool) {
		t.Helper()
		args := []string{"build", "-ldflags", "-X interleave/sandbox.buildStamp=" + stamp, "-o", filepath.Join(dir, handoff.Full)}
		if lean {
			args = []string{"build", "-tags", "lean", "-ldflags", "-X interleave/sandbox.buildStamp=" + stamp, "-o", filepath.Join(dir, handoff.Binary)}
		}
		cmd := exec.Command("go", append(args, "interleave")...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, b)
		}
	}
	lib := t.TempDir()
	build(t, lib, "front", false)
	build(t, lib, "front", true)
	bin := filepath.Join(t.TempDir(), "interleave")
	if err := os.Symlink(filepath.Join(lib, handoff.Binary), bin); err != nil {
		t.Fatal(err)
	}
	script := writeFile(t, t.TempDir(), "empty.star", "def main():\n    pass\n")
	out, err := exec.Command(bin, "run", "-mode", "sim", script).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "empty (sim mode, seed 0): ok") {
		t.Errorf("interleave run through the lean front door: %v\n%s", err, out)
	}
	out, _ = exec.Command(bin, "serve", "-h").CombinedOutput()
	if !strings.Contains(string(out), "-addr") {
		t.Errorf("interleave serve -h through the lean front door printed %q, want the full build's flags", out)
	}
	build(t, lib, "another", false)
	out, err = exec.Command(bin, "serve", "-h").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "the full build") {
		t.Errorf("interleave serve beside another build's full binary: %v, %q; want exit status 2 and a sentence", err, out)
	}
}
