//go:build lean

package main

import (
	"fmt"
	"os"
)

// serve is not in the lean build: the server's packages are what it
// leaves out.
func serve([]string) int {
	fmt.Fprintln(os.Stderr, "interleave-lean runs scenarios only (run, explore, list): serve the playground with interleave")
	return 2
}

// runnerCmd is not in the lean build either: it takes runs from NATS.
func runnerCmd([]string) int {
	fmt.Fprintln(os.Stderr, "interleave-lean runs scenarios only (run, explore, list): start a runner with interleave")
	return 2
}
