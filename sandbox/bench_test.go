package sandbox_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"interleave/sandbox"
	"interleave/sandbox/engine"
	"interleave/sandbox/isolate"
	"interleave/sandbox/sandboxtest"
	"interleave/sandbox/trace"
)

// BenchmarkStartup measures the time from a run request to the child's
// first event: a plain child, a child with every isolation layer, and the
// same with children started ahead (the server's warm pool), in one
// process so that they compare as ratios. It reports the median and the
// 99th percentile.
func BenchmarkStartup(b *testing.B) {
	exe := sandboxtest.Binary(b)
	cases := []struct {
		name  string
		level isolate.Level
		warm  int
		mode  trace.Mode
		pause time.Duration // between runs, untimed: an idle server
		spawn bool          // children forked by a spawner, as serve does
	}{
		{"plain", isolate.Off, 0, trace.ModeOS, 0, false},
		{"all-layers", isolate.Auto, 0, trace.ModeOS, 0, false},
		{"all-layers-spawner", isolate.Auto, 0, trace.ModeOS, 0, true},
		{"all-layers-warm", isolate.Auto, 2, trace.ModeOS, 0, false},
		{"all-layers-warm-idle", isolate.Auto, 2, trace.ModeOS, 100 * time.Millisecond, false},
		{"all-layers-warm-idle-sim", isolate.Auto, 2, trace.ModeSim, 100 * time.Millisecond, false},
		{"all-layers-warm-idle-sim-spawner", isolate.Auto, 2, trace.ModeSim, 100 * time.Millisecond, true},
		{"plain-warm-idle-sim", isolate.Off, 2, trace.ModeSim, 100 * time.Millisecond, false},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			r, err := sandbox.New(sandbox.Config{Exe: exe, Level: tc.level, Warm: tc.warm, Spawner: tc.spawn})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			req := engine.Request{Source: "def main():\n    pass\n", Mode: tc.mode}
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				if tc.pause > 0 {
					b.StopTimer()
					time.Sleep(tc.pause)
					b.StartTimer()
				}
				start := time.Now()
				var first time.Duration
				res, _ := r.Run(context.Background(), req, func([]trace.Event) {
					if first == 0 {
						first = time.Since(start)
					}
				})
				if res.Status != trace.StatusOK {
					b.Fatalf("status = %s (%s)", res.Status, res.Message)
				}
				lat = append(lat, first)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-first-event-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-first-event-µs")
			b.Logf("layers: %s", r.Layers().Summary())
		})
	}
}
