package analysis_test

import (
	"testing"

	"interleave/sandbox/trace"
)

// syncEdgeCases are TestSyncEdges' scripts.
var syncEdgeCases = []struct {
	name, src string
	race      bool
}{
	{"park", `
def main():
    box = cell("box")
    def reader():
        park()
        return box.get()
    h = spawn(reader)
    box.set(1)
    h.unpark()
    h.join()
`, false},
	{"semaphore", `
def main():
    box = cell("box")
    s = semaphore("s", 0, bounded = False)
    def reader():
        s.acquire()
        return box.get()
    h = spawn(reader)
    box.set(1)
    s.release()
    h.join()
`, false},
	{"barrier", `
def main():
    box = cell("box")
    b = barrier("b", 2)
    def reader():
        b.wait()
        return box.get()
    h = spawn(reader)
    box.set(1)
    b.wait()
    h.join()
`, false},
	{"once", `
def main():
    box = cell("box")
    o = once("o")
    def init():
        box.set(1)
        return 1
    def reader():
        o.call(init)
        return box.get()
    hs = [spawn(reader) for _ in range(2)]
    for h in hs:
        h.join()
`, false},
	{"condvar without mutex edge", `
def main():
    box = cell("box")
    m = mutex("m")
    cv = condvar("cv")
    def reader():
        m.lock()
        cv.wait(m)
        m.unlock()
        return box.get()
    h = spawn(reader)
    sleep(5)
    box.set(1)
    m.lock()
    cv.notify_one()
    m.unlock()
    h.join()
`, false},
	{"sleep only", `
def main():
    box = cell("box")
    def reader():
        sleep(5)
        return box.get()
    h = spawn(reader)
    box.set(1)
    h.join()
`, true},
}

// TestSyncEdges runs a plain write handed from one thread to another by
// each coordination primitive: the primitive orders the write before the
// read, so no data race may be reported; with the primitive removed
// (sleep instead) the race must be.
func TestSyncEdges(t *testing.T) {
	for _, tt := range syncEdgeCases {
		t.Run(tt.name, func(t *testing.T) {
			res := runScenario(t, tt.name, tt.src, trace.ModeSim, 1, nil)
			if got := has(res, trace.RaceData, "box"); got != tt.race {
				t.Errorf("data race on box in %s = %v, want %v (%s)", tt.name, got, tt.race, res.Message)
			}
		})
	}
}
