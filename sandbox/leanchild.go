package sandbox

import (
	"debug/buildinfo"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"interleave/handoff"
)

// LeanBinary is the file name of interleave's lean build (the sandbox
// child and the command-line runs, without the server), which a Runner
// starts as its child when it finds it beside its own executable.
const LeanBinary = handoff.Binary

// leanTag is the build tag that makes the lean build.
const leanTag = "lean"

// buildStamp pairs binaries built together from a tree that git cannot
// vouch for (a Docker build, uncommitted changes):
//
//	stamp=$(date +%s%N)
//	go build -ldflags "-X interleave/sandbox.buildStamp=$stamp" -o DIR/ .
//	go build -tags lean -ldflags "-X interleave/sandbox.buildStamp=$stamp" -o DIR/interleave-lean .
var buildStamp string

// pairedSettings are the build settings two binaries must share for one
// to run the other's children: the same source and the same way of
// building it (-tags is compared without the lean tag).
var pairedSettings = []string{"vcs.revision", "vcs.time", "vcs.modified", "-ldflags", "-tags", "CGO_ENABLED", "GOOS", "GOARCH", "GOAMD64", "GOARM64"}

// leanChild returns the lean build beside exe when it was
// built from the same source as the running binary, or "". A child from
// another build would speak another version of the frame protocol, or
// run another engine, so anything short of proof means re-executing exe.
// own and stamp describe the running binary's build.
func leanChild(exe string, own *debug.BuildInfo, stamp string) string {
	path := filepath.Join(filepath.Dir(exe), LeanBinary)
	if own == nil || filepath.Base(exe) == LeanBinary {
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

// SameBuild reports whether the executable exe provably comes from the
// same build as the running binary, as the lean build and the full one
// do when they were built together.
func SameBuild(exe string) bool {
	own := ownBuild()
	if own == nil {
		return false
	}
	other, err := buildinfo.ReadFile(exe)
	return err == nil && sameBuild(own, other, buildStamp)
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

// settings maps a build's settings, the lean tag left out of -tags.
func settings(bi *debug.BuildInfo) map[string]string {
	m := make(map[string]string, len(bi.Settings))
	for _, s := range bi.Settings {
		m[s.Key] = s.Value
	}
	if tags, ok := m["-tags"]; ok {
		m["-tags"] = strings.Join(slices.DeleteFunc(strings.Split(tags, ","), func(t string) bool { return t == leanTag }), ",")
		if m["-tags"] == "" {
			delete(m, "-tags")
		}
	}
	return m
}
