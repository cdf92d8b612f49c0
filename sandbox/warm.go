package sandbox

import (
	"encoding/json"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"

	"interleave/sandbox/engine"
	"interleave/sandbox/trace"
)

// warmRequest is a request as the supervisor writes one, decoded once
// before the real one so that encoding/json has built its decoders.
const warmRequest = `{"source":"def main():\n    pass\n","mode":"sim","seed":1,"params":{"n":1},"limits":{"events":10}}`

// warmChild pays a fresh child's first-use costs while it waits for its
// request rather than after: the engine's (see engine.Warm), the JSON
// decoding of a request and encoding of a result, and OS threads for an
// os-mode run. A warm pool child has nothing else to do; a child whose
// request is already waiting skips what is left.
func warmChild() {
	if requestWaiting() {
		return
	}
	var req engine.Request
	dec := json.NewDecoder(strings.NewReader(warmRequest))
	dec.UseNumber()
	_ = dec.Decode(&req)
	res := &trace.Result{Status: trace.StatusOK, Threads: []trace.Thread{{Name: "main"}}, Cells: []trace.CellValue{{Name: "c"}}}
	_, _ = json.Marshal(res)
	engine.Warm(min(runtime.NumCPU(), 4), requestWaiting)
}

// requestWaiting reports whether stdin has something to read.
func requestWaiting() bool {
	fds := []unix.PollFd{{Fd: 0, Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err != nil || n > 0
}
