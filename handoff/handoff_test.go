package handoff

import (
	"slices"
	"testing"
)

func TestTarget(t *testing.T) {
	tests := []struct {
		name     string
		exe      string
		args     []string
		wantPath string
		wantArgv []string
	}{
		{"run", "/opt/bin/interleave", []string{"interleave", "run", "-mode", "sim", "x.star"},
			"/opt/bin/interleave-lean", []string{"/opt/bin/interleave-lean", Arg, "/opt/bin/interleave", "run", "-mode", "sim", "x.star"}},
		{"explore", "/interleave", []string{"./interleave", "explore", "lost-update"},
			"/interleave-lean", []string{"/interleave-lean", Arg, "/interleave", "explore", "lost-update"}},
		{"list", "/a/b", []string{"b", "list"}, "/a/interleave-lean", []string{"/a/interleave-lean", Arg, "/a/b", "list"}},
		{"serve stays", "/opt/bin/interleave", []string{"interleave", "serve"}, "", nil},
		{"no command stays", "/opt/bin/interleave", []string{"interleave"}, "", nil},
		{"a flag first stays", "/opt/bin/interleave", []string{"interleave", "-addr", "run"}, "", nil},
		{"the sandbox child stays", "/opt/bin/interleave", []string{"interleave", "__interleave_child", "{}"}, "", nil},
		{"the lean build itself", "/opt/bin/interleave-lean", []string{"interleave-lean", "run", "x"}, "", nil},
		{"a deleted executable", "/opt/bin/interleave (deleted)", []string{"interleave", "run", "x"}, "", nil},
		{"a relative path", "interleave", []string{"interleave", "run", "x"}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, argv, ok := Target(tt.exe, tt.args)
			if path != tt.wantPath || !slices.Equal(argv, tt.wantArgv) || ok != (tt.wantPath != "") {
				t.Errorf("Target(%q, %q) = %q, %q, %v, want %q, %q", tt.exe, tt.args, path, argv, ok, tt.wantPath, tt.wantArgv)
			}
		})
	}
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"interleave\x00run\x00x.star\x00", []string{"interleave", "run", "x.star"}},
		{"interleave\x00\x00list\x00", []string{"interleave", "", "list"}},
		{"interleave", []string{"interleave"}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := splitArgs([]byte(tt.in)); !slices.Equal(got, tt.want) {
			t.Errorf("splitArgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
