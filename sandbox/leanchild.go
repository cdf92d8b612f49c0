package sandbox

import (
	"debug/buildinfo"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
)

// ChildBinary is the name of the small child executable
// (cmd/interleave-child) that a Runner looks for beside its own.
const ChildBinary = "interleave-child"

// buildStamp pairs binaries built together from a tree that git cannot
// vouch for (a Docker build, uncommitted changes):
// go build -ldflags "-X interleave/sandbox.buildStamp=$(date +%s%N)" -o DIR/ . ./cmd/interleave-child
var buildStamp string

// pairedSettings are the build settings two binaries must share for one
// to run the other's children: the same source and the same way of
// building it.
var pairedSettings = []string{"vcs.revision", "vcs.time", "vcs.modified", "-ldflags", "-tags", "CGO_ENABLED", "GOOS", "GOARCH", "GOAMD64", "GOARM64"}

// leanChild returns the small child executable beside exe when it was
// built from the same source as the running binary, or "". A child from
// another build would speak another version of the frame protocol, or
// run another engine, so anything short of proof means re-executing exe.
// own and stamp describe the running binary's build.
func leanChild(exe string, own *debug.BuildInfo, stamp string) string {
	path := filepath.Join(filepath.Dir(exe), ChildBinary)
	if own == nil || filepath.Base(exe) == ChildBinary {
		return ""
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o100 == 0 {
		return ""
	}
	other, err := buildinfo.ReadFile(path)
	if err != nil || !sameBuild(own, other, stamp) {
		return ""
	}
	return path
}

// ownBuild is the running binary's build information, or nil.
func ownBuild() *debug.BuildInfo {
	bi, _ := debug.ReadBuildInfo()
	return bi
}

// sameBuild reports whether a and b provably come from one source tree
// built one way: a clean git checkout at one revision, or one stamp.
func sameBuild(a, b *debug.BuildInfo, stamp string) bool {
	if a.GoVersion != b.GoVersion || a.Main.Path != b.Main.Path {
		return false
	}
	sa, sb := settings(a), settings(b)
	for _, k := range pairedSettings {
		if sa[k] != sb[k] {
			return false
		}
	}
	clean := sa["vcs.revision"] != "" && sa["vcs.modified"] == "false"
	stamped := stamp != "" && strings.Contains(sa["-ldflags"], "buildStamp="+stamp)
	return clean || stamped
}

func settings(bi *debug.BuildInfo) map[string]string {
	m := make(map[string]string, len(bi.Settings))
	for _, s := range bi.Settings {
		m[s.Key] = s.Value
	}
	return m
}
