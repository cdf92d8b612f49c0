package engine

import (
	"testing"

	"interleave/sandbox/trace"
)

func TestSmoke(t *testing.T) {
	for _, name := range []string{"lost-update.star", "two-locks.star"} {
		for _, mode := range []trace.Mode{trace.ModeOS, trace.ModeGreen, trace.ModeSim} {
			res, evs := collect(t, Request{Scenario: name, Source: lib(t, name), Mode: mode, Seed: 1})
			t.Logf("%s %s: %s %q events=%d schedule=%.60s threads=%+v stats=%+v", name, mode, res.Status, res.Message, len(evs), res.Schedule, res.Threads, res.Stats)
			if len(evs) > 0 {
				t.Logf("first %+v last %+v", evs[0], evs[len(evs)-1])
			}
		}
	}
}
