package sandbox_test

import (
	"context"
	"testing"
	"time"

	"interleave/sandbox/engine"
	"interleave/sandbox/sandboxtest"
	"interleave/sandbox/trace"
)

// The supervisor analyses the child's whole stream, whatever the caller
// does with the events, and a run that timed out is analysed too.
func TestRunReportsRaces(t *testing.T) {
	r := newRunner(t, sandboxtest.Binary(t), 5*time.Second)
	defer r.Close()
	racy := "def main():\n    c = cell(\"flag\", False)\n    spawn(lambda: c.set(True), name = \"writer\")\n    sleep(1)\n    c.get()\n"
	tests := []struct {
		name, src string
		mode      trace.Mode
		races     bool
		status    trace.Status
	}{
		{"unordered set and get", racy, trace.ModeSim, true, trace.StatusOK},
		{"joined first", "def main():\n    c = cell(\"flag\", False)\n    h = spawn(lambda: c.set(True), name = \"writer\")\n    h.join()\n    c.get()\n", trace.ModeSim, false, trace.StatusOK},
		// In os mode, where sleep takes real time: in sim mode the loop
		// races the step limit against the wall clock.
		{"timed out", racy[:len(racy)-1] + "\n    h = spawn(lambda: c.set(False))\n    while True:\n        sleep(100)\n", trace.ModeOS, true, trace.StatusTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := r.Run(context.Background(), engine.Request{Source: tt.src, Mode: tt.mode, Seed: 1}, nil)
			if res.Status != tt.status {
				t.Fatalf("Run(%q) status = %s (%s), want %s", tt.name, res.Status, res.Message, tt.status)
			}
			if got := res.RaceSummary != nil && len(res.Races) > 0; got != tt.races {
				t.Errorf("Run(%q) status %s, races %+v, want races %v", tt.name, res.Status, res.Races, tt.races)
			}
		})
	}
}
