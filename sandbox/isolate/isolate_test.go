package isolate_test

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"interleave/limits"
	"interleave/sandbox"
	"interleave/sandbox/isolate"
	"interleave/sandbox/sandboxtest"
)

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in   string
		want isolate.Level
		ok   bool
	}{
		{"", isolate.Auto, true}, {"auto", isolate.Auto, true}, {"strict", isolate.Strict, true},
		{"off", isolate.Off, true}, {"paranoid", "", false},
	}
	for _, tt := range tests {
		got, err := isolate.ParseLevel(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseLevel(%q) = %q, %v, want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestSpecRoundTrip(t *testing.T) {
	in := isolate.Spec{Landlock: 7, Seccomp: true, Rlimits: true, CgroupMemory: true, Limits: limits.Default}
	out, err := isolate.DecodeSpec(in.Encode())
	if err != nil || out != in {
		t.Errorf("DecodeSpec(Encode(%+v)) = %+v, %v", in, out, err)
	}
}

// escapeTarget is a host file and a loopback port that a sandboxed child
// must not reach.
func escapeTarget(t *testing.T) (string, string) {
	t.Helper()
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("host data"), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return secret, port
}

// The same attempts succeed without the sandbox, so the test can tell a
// real denial from a broken probe.
func TestEscapesSucceedWithoutSandbox(t *testing.T) {
	exe := sandboxtest.Binary(t)
	box, err := isolate.New(isolate.Off, limits.Default, exe, sandbox.ProbeArg)
	if err != nil {
		t.Fatal(err)
	}
	secret, port := escapeTarget(t)
	rep, err := box.Probe(exe, sandbox.ProbeArg, "escape", secret, port)
	if err != nil {
		t.Fatalf("Probe() error = %v", err)
	}
	for _, what := range []string{"open", "connect", "fork", "write"} {
		if rep.Escapes[what] != "succeeded" {
			t.Errorf("without the sandbox, %s = %q, want succeeded", what, rep.Escapes[what])
		}
	}
}

func TestEscapesDenied(t *testing.T) {
	exe := sandboxtest.Binary(t)
	box, err := isolate.New(isolate.Auto, limits.Default, exe, sandbox.ProbeArg)
	if err != nil {
		t.Fatalf("isolate.New(auto) error = %v", err)
	}
	l := box.Layers()
	t.Logf("layers on this machine: %s; missing: %v", l.Summary(), l.Missing)
	secret, port := escapeTarget(t)
	rep, err := box.Probe(exe, sandbox.ProbeArg, "escape", secret, port)
	if err != nil {
		t.Fatalf("Probe() error = %v", err)
	}
	if rep.Error != "" {
		t.Fatalf("probe could not enter the sandbox: %s", rep.Error)
	}
	for _, what := range []string{"open", "connect", "fork", "write"} {
		if !strings.HasPrefix(rep.Escapes[what], "denied") {
			t.Errorf("inside the sandbox, %s = %q, want denied", what, rep.Escapes[what])
		}
	}
	if rep.Env != 0 {
		t.Errorf("the child inherited %d environment variables, want none", rep.Env)
	}
	if l.Namespaces && rep.Pid != 1 {
		t.Errorf("with a pid namespace the child is pid %d, want 1", rep.Pid)
	}
}

// Every layer is expected on the machines this project runs CI on (Linux,
// root, Landlock, seccomp, writable cgroups); elsewhere this only logs.
func TestLayersDetected(t *testing.T) {
	exe := sandboxtest.Binary(t)
	box, err := isolate.New(isolate.Auto, limits.Default, exe, sandbox.ProbeArg)
	if err != nil {
		t.Fatal(err)
	}
	l := box.Layers()
	if os.Getenv("CI") == "" {
		t.Logf("layers: %+v", l)
		return
	}
	if !l.Namespaces || !l.Seccomp || l.Landlock == 0 || !l.Rlimits || l.Cgroup == "none" {
		t.Errorf("layers in CI = %+v, want every layer", l)
	}
	if _, err := isolate.New(isolate.Strict, limits.Default, exe, sandbox.ProbeArg); err != nil {
		t.Errorf("isolate.New(strict) error = %v, want nil where namespaces and seccomp exist", err)
	}
}

// A server need not be root: as an unprivileged user the child's user
// namespace maps to that user, and strict mode still finds namespaces
// and seccomp.
func TestUnprivilegedServer(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to drop to an unprivileged user")
	}
	exe := sandboxtest.Binary(t)
	dir, err := os.MkdirTemp("", "interleave-nonroot-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "hello.star")
	if err := os.WriteFile(script, []byte("def main():\n    c = cell(\"c\")\n    c.add(1)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "run", "-sandbox", "strict", "-format", "json", script)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("run as nobody with -sandbox strict: %v\n%s", err, stderr)
	}
	var res struct{ Status string }
	if err := json.Unmarshal(out, &res); err != nil || res.Status != "ok" {
		t.Errorf("run as nobody = %s (%v), want status ok", out, err)
	}
}

// TestBoxFillsLimits checks that a box made with partly filled limits
// still limits memory, CPU and threads: a zero there would mean no
// rlimit and a cgroup of only the slack.
func TestBoxFillsLimits(t *testing.T) {
	exe := sandboxtest.Binary(t)
	d := limits.Default
	tests := []struct {
		name string
		in   limits.Limits
		want limits.Limits
	}{
		{"zero", limits.Limits{}, d},
		{"threads only", limits.Limits{Threads: 8}, func() limits.Limits { l := d; l.Threads = 8; return l }()},
		{"memory only", limits.Limits{MemoryBytes: 64 << 20}, func() limits.Limits { l := d; l.MemoryBytes = 64 << 20; return l }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			box, err := isolate.New(isolate.Off, tt.in, exe, sandbox.ProbeArg)
			if err != nil {
				t.Fatal(err)
			}
			if got := box.Limits(); got != tt.want {
				t.Errorf("New(%+v).Limits() = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}
