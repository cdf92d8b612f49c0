// Command interleave is a web playground for threads: it serves the
// playground (the default), runs a scenario from the command line, lists
// the catalogue, and, with a hidden argument, is its own sandbox child.
//
// Built with -tags lean (as interleave-lean) it is the same program
// without the server: the sandbox child and the run, explore and list
// commands, which the full binary hands to it when it finds it beside
// itself (see package handoff), so that a command-line run does not pay
// the start-up of the server's packages.
package main

import (
	"fmt"
	"os"
	"syscall"

	"interleave/handoff"
	"interleave/sandbox"
	"interleave/sandbox/isolate"
)

const usage = `Interleave: a web playground for threads.

Usage:
  interleave [serve] [flags]          serve the playground (default on localhost:8080)
  interleave run [flags] SCENARIO     run a catalogue scenario or a .star file and print the result
  interleave explore [flags] SCENARIO explore its interleavings: outcomes, each with a schedule to replay
  interleave list [flags]             print the catalogue
  interleave runner -nats URL [flags] take runs from a NATS cluster and run them here

Run "interleave COMMAND -h" for a command's flags.
`

func main() {
	// The sandbox child must start before anything else touches the
	// process: it is this same binary, re-executed.
	if len(os.Args) > 1 && os.Args[1] == sandbox.ChildArg {
		os.Exit(sandbox.ChildMain())
	}
	if len(os.Args) > 1 && os.Args[1] == sandbox.SpawnerArg {
		os.Exit(sandbox.SpawnerMain())
	}
	if len(os.Args) > 1 && os.Args[1] == sandbox.ProbeArg {
		os.Exit(isolate.ProbeMain(os.Args[2:]))
	}
	if len(os.Args) > 2 && os.Args[1] == handoff.Arg {
		os.Exit(handedOver(os.Args[2], os.Args[3:]))
	}
	os.Exit(dispatch(os.Args[1:]))
}

// handedOver runs the command (args) that the binary exe handed to this
// one, or, when exe is another build, hands it back to exe to run itself.
func handedOver(exe string, args []string) int {
	if !sandbox.SameBuild(exe) {
		env := append(os.Environ(), handoff.OffEnv+"=off")
		err := syscall.Exec(exe, append([]string{exe}, args...), env)
		fmt.Fprintf(os.Stderr, "interleave: %s is not from the same build as %s, which could not take the command back: %v\n", os.Args[0], exe, err)
		return 1
	}
	return dispatch(args)
}

func dispatch(args []string) int {
	// Before anything starts a child: no descriptor the server was given
	// may pass on to one.
	if _, err := closeInherited(); err != nil {
		fmt.Fprintf(os.Stderr, "interleave: %v\n", err)
		return 1
	}
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args)
	case "run":
		return runCmd(args, os.Stdout, os.Stderr)
	case "explore":
		return exploreCmd(args, os.Stdout, os.Stderr)
	case "list":
		return listCmd(args, os.Stdout, os.Stderr)
	case "runner":
		return runnerCmd(args)
	case "help":
		fmt.Print(usage)
		return 0
	}
	fmt.Fprintf(os.Stderr, "interleave: unknown command %q\n\n%s", cmd, usage)
	return 2
}
