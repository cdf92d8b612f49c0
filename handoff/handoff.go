// Package handoff lets the full interleave binary pass the commands that
// only run scenarios (run, explore, list) to its lean build beside it
// before the server's packages initialise. Go initialises every package a
// binary links, used or not: in the full binary that is prometheus,
// goldmark, SQLite, protobuf and NATS, 2 to 3 ms of CPU before main, the
// largest part of an empty `interleave run`. This package imports only
// syscall, and the Go specification initialises packages in import path
// order among those whose imports are done, so its init runs right after
// syscall's, before any of them (GODEBUG=inittrace=1 shows the order).
//
// The lean binary checks that it comes from the same build as the one
// that handed over (see sandbox.SameBuild) and hands the command back,
// with INTERLEAVE_LEAN=off, when it does not.
package handoff

// Binary is the lean build's file name, looked for beside the running
// executable: go build -tags lean -o DIR/interleave-lean .
const Binary = "interleave-lean"

// Full is the full build's file name, which the lean build runs, when it
// sits beside it, for the commands it leaves out (serve, runner): an image
// can then install the lean build as its interleave command.
const Full = "interleave"

// Arg is the lean binary's hidden first argument when the full binary
// hands it a command; the full binary's path and its arguments follow.
const Arg = "__interleave_cli"

// OffEnv set to "off" keeps every command in the binary started.
const OffEnv = "INTERLEAVE_LEAN"

// commands are those the lean build runs as the full one would.
var commands = [...]string{"run", "explore", "list"}

// Target returns the lean binary to execute, and its arguments, for a
// process running exe with args (args[0] is the program name). ok is false
// for any other command, an executable whose path the kernel marks as
// deleted, and the lean binary itself.
func Target(exe string, args []string) (path string, argv []string, ok bool) {
	if len(args) < 2 || !isCommand(args[1]) || len(exe) == 0 || exe[0] != '/' || hasSuffix(exe, " (deleted)") {
		return "", nil, false
	}
	dir, base := split(exe)
	if base == Binary {
		return "", nil, false
	}
	path = dir + "/" + Binary
	argv = append([]string{path, Arg, exe}, args[1:]...)
	return path, argv, true
}

func isCommand(s string) bool {
	for _, c := range commands {
		if s == c {
			return true
		}
	}
	return false
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

// split splits an absolute path at its last slash.
func split(path string) (dir, base string) {
	i := len(path) - 1
	for path[i] != '/' {
		i--
	}
	return path[:i], path[i+1:]
}

// splitArgs splits /proc/self/cmdline's NUL-terminated arguments.
func splitArgs(b []byte) []string {
	var args []string
	start := 0
	for i, c := range b {
		if c == 0 {
			args = append(args, string(b[start:i]))
			start = i + 1
		}
	}
	if start < len(b) {
		args = append(args, string(b[start:]))
	}
	return args
}
