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
// first event, with every isolation layer on and with a plain child, in
// the same process so the two can be compared as a ratio. It reports the
// median and the 99th percentile.
func BenchmarkStartup(b *testing.B) {
	exe := sandboxtest.Binary(b)
	for _, level := range []isolate.Level{isolate.Off, isolate.Auto} {
		b.Run(string(level), func(b *testing.B) {
			r, err := sandbox.New(sandbox.Config{Exe: exe, Level: level})
			if err != nil {
				b.Fatal(err)
			}
			req := engine.Request{Source: "def main():\n    pass\n", Mode: trace.ModeOS}
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
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
