//go:build lean

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"interleave/handoff"
	"interleave/sandbox"
)

// serve is not in the lean build: the server's packages are what it
// leaves out. It runs the full build beside it instead, when there is one.
func serve(args []string) int {
	return toFull("serve", args, "serve the playground")
}

// runnerCmd is not in the lean build either: it takes runs from NATS.
func runnerCmd(args []string) int {
	return toFull("runner", args, "start a runner")
}

// toFull executes the full build beside this one with cmd and args, so
// that an image can install the lean build as interleave (a command-line
// run then starts only what it uses) and still serve with it. Only a full
// build from the same build is run: another version would serve another
// playground than the one this command runs.
func toFull(cmd string, args []string, what string) int {
	if exe, err := os.Executable(); err == nil {
		full := filepath.Join(filepath.Dir(exe), handoff.Full)
		if full != exe && sandbox.SameBuild(full) {
			err := syscall.Exec(full, append([]string{full, cmd}, args...), os.Environ())
			fmt.Fprintf(os.Stderr, "interleave: could not start %s to %s: %v\n", full, what, err)
			return 1
		}
	}
	fmt.Fprintf(os.Stderr, "interleave-lean runs scenarios only (run, explore, list): %s with interleave, the full build, which this one runs when it sits beside it from the same build\n", what)
	return 2
}
