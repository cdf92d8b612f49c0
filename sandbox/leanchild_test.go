package sandbox

import (
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"testing"
)

func TestSameBuild(t *testing.T) {
	info := func(path string, kv ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "interleave"}, Path: path}
		for i := 0; i+1 < len(kv); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return bi
	}
	clean := []string{"vcs.revision", "abc", "vcs.modified", "false", "CGO_ENABLED", "0"}
	stamped := []string{"-ldflags", "-X interleave/sandbox.buildStamp=42", "CGO_ENABLED", "0"}
	tests := []struct {
		name  string
		a, b  *debug.BuildInfo
		stamp string
		want  bool
	}{
		{"one clean commit", info("interleave", clean...), info("interleave", clean...), "", true},
		{"the lean build", info("interleave", clean...), info("interleave", append(clean, "-tags", "lean")...), "", true},
		{"other tags", info("interleave", clean...), info("interleave", append(clean, "-tags", "lean,netgo")...), "", false},
		{"another commit", info("interleave", clean...), info("x", "vcs.revision", "abd", "vcs.modified", "false", "CGO_ENABLED", "0"), "", false},
		{"uncommitted changes", info("interleave", "vcs.revision", "abc", "vcs.modified", "true"), info("x", "vcs.revision", "abc", "vcs.modified", "true"), "", false},
		{"no vcs, no stamp", info("interleave"), info("x"), "", false},
		{"one stamp", info("interleave", stamped...), info("x", stamped...), "42", true},
		{"another stamp", info("interleave", stamped...), info("x", "-ldflags", "-X interleave/sandbox.buildStamp=43", "CGO_ENABLED", "0"), "42", false},
		{"cgo differs", info("interleave", clean...), info("x", "vcs.revision", "abc", "vcs.modified", "false", "CGO_ENABLED", "1"), "", false},
		{"go differs", info("interleave", clean...), &debug.BuildInfo{GoVersion: "go1.25", Main: debug.Module{Path: "interleave"}, Settings: info("", clean...).Settings}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sameBuild(tt.a, tt.b, tt.stamp); got != tt.want {
				t.Errorf("sameBuild(%s) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

// TestLeanChildBeside builds interleave and interleave-lean with one
// stamp, and a lean build with another, and checks which one a Runner of
// the first would start.
func TestLeanChildBeside(t *testing.T) {
	dir := t.TempDir()
	build := func(out, tags, stamp string) {
		t.Helper()
		cmd := exec.Command("go", "build", "-tags", tags, "-ldflags", "-X interleave/sandbox.buildStamp="+stamp, "-o", out, "interleave")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", out, err, b)
		}
	}
	exe, child := filepath.Join(dir, "interleave"), filepath.Join(dir, LeanBinary)
	build(exe, "", "7")
	own, err := buildinfo.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if got := leanChild(exe, own, "7"); got != "" {
		t.Errorf("leanChild with no child beside = %q, want none", got)
	}
	build(child, "lean", "8")
	if got := leanChild(exe, own, "7"); got != "" {
		t.Errorf("leanChild with a child of another build = %q, want none", got)
	}
	build(child, "lean", "7")
	if got := leanChild(exe, own, "7"); got != child {
		t.Errorf("leanChild with a child of the same build = %q, want %q", got, child)
	}
}
