// Command interleave is a web playground for threads: it serves the
// playground (the default), runs a scenario from the command line, lists
// the catalogue, and, with a hidden argument, is its own sandbox child.
package main

import (
	"fmt"
	"os"

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
	if len(os.Args) > 1 && os.Args[1] == sandbox.ProbeArg {
		os.Exit(isolate.ProbeMain(os.Args[2:]))
	}
	os.Exit(dispatch(os.Args[1:]))
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
