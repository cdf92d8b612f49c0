// Package isolate puts a sandbox child in a box: Linux namespaces, a
// cgroup, rlimits, Landlock and a seccomp allowlist. The supervisor side
// detects what this machine offers and prepares the child's process
// attributes and cgroup; the child side (Enter) locks itself down after
// the Go runtime has started and before it reads any script.
package isolate

import (
	"encoding/json"
	"fmt"
	"strings"

	"interleave/limits"
)

// Level says how hard the sandbox insists on its layers.
type Level string

// The sandbox levels of the -sandbox flag.
const (
	// Strict refuses to start unless namespaces and seccomp are available.
	Strict Level = "strict"
	// Auto uses every layer available and warns about each missing one.
	Auto Level = "auto"
	// Off uses none of the OS layers: for debugging only.
	Off Level = "off"
)

// ParseLevel checks a -sandbox value.
func ParseLevel(s string) (Level, error) {
	switch Level(s) {
	case Strict, Auto, Off:
		return Level(s), nil
	case "":
		return Auto, nil
	}
	return "", fmt.Errorf("unknown sandbox level %q: use strict, auto or off", s)
}

// Layers says which isolation layers are in force; it is what /healthz
// reports and what the child is told to apply.
type Layers struct {
	Level      Level    `json:"level"`
	Namespaces bool     `json:"namespaces"` // user, pid, net, mount, ipc, uts
	Landlock   int      `json:"landlock"`   // the Landlock ABI version applied; 0 = none
	Seccomp    bool     `json:"seccomp"`
	Rlimits    bool     `json:"rlimits"`
	Cgroup     string   `json:"cgroup"` // v1, v2 or none
	CleanEnv   bool     `json:"clean_env"`
	Missing    []string `json:"missing,omitempty"` // sentences about layers that are not in force
}

// Spec is what the child is told on its command line: which layers to
// enter and with which limits.
type Spec struct {
	Landlock int  `json:"landlock"`
	Seccomp  bool `json:"seccomp"`
	Rlimits  bool `json:"rlimits"`
	// CgroupMemory says the run's cgroup limits its memory. RLIMIT_DATA
	// is then left off: it refuses one huge allocation outright, and the
	// Go runtime then dies in ways that cannot be told from any other
	// crash (out of memory, or a segfault in the collector), whereas the
	// cgroup's OOM kill is counted and names the memory limit.
	CgroupMemory bool          `json:"cgroup_memory,omitempty"`
	Limits       limits.Limits `json:"limits"` // the run's limits; the OS layers apply CPU time, memory and threads
}

// Encode renders the spec as one command-line argument.
func (s Spec) Encode() string {
	b, _ := json.Marshal(s) // a struct of plain fields always encodes
	return string(b)
}

// DecodeSpec parses the child's spec argument.
func DecodeSpec(arg string) (Spec, error) {
	var s Spec
	if err := json.Unmarshal([]byte(arg), &s); err != nil {
		return s, fmt.Errorf("decode sandbox spec: %w", err)
	}
	return s, nil
}

// Summary is one line for the log: which layers are on.
func (l Layers) Summary() string {
	var on []string
	if l.Namespaces {
		on = append(on, "namespaces")
	}
	if l.Landlock > 0 {
		on = append(on, fmt.Sprintf("landlock v%d", l.Landlock))
	}
	if l.Seccomp {
		on = append(on, "seccomp")
	}
	if l.Rlimits {
		on = append(on, "rlimits")
	}
	if l.Cgroup != "none" && l.Cgroup != "" {
		on = append(on, "cgroup "+l.Cgroup)
	}
	if len(on) == 0 {
		return "no OS isolation"
	}
	return strings.Join(on, ", ")
}
