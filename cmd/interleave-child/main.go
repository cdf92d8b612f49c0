// Command interleave-child is the sandbox child alone: the part of
// interleave that runs one scenario, without the server, the database or
// the metrics. It links about a quarter of interleave, so it starts in
// about a third of the time, and interleave uses it for its children when
// it finds it beside itself, built from the same source (see
// sandbox.Config.Exe). Without it interleave re-executes itself.
package main

import (
	"os"

	"interleave/sandbox"
	"interleave/sandbox/isolate"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case sandbox.ChildArg:
			os.Exit(sandbox.ChildMain())
		case sandbox.ProbeArg:
			os.Exit(isolate.ProbeMain(os.Args[2:]))
		}
	}
	os.Stderr.WriteString("interleave-child: started by interleave only, as its sandbox child\n")
	os.Exit(2)
}
