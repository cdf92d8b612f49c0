package engine

import (
	"sync"
	"testing"

	"interleave/sandbox/trace"
)

// TestRecorder writes from several goroutines, more events than the ring
// holds, through two runs on pooled rings, and wants every event once, in
// sequence order, and the excess counted as dropped.
func TestRecorder(t *testing.T) {
	for _, c := range []struct {
		name             string
		writers, each    int
		limit            int
		wantEv, wantDrop int64
	}{
		{"wraps the ring", 4, ringSize, 1 << 30, 4 * ringSize, 0},
		{"drops past the limit", 3, 1000, 2500, 2500, 500},
		{"reuses a pooled ring", 2, 100, 1 << 30, 200, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []trace.Event
			rec := newRecorder(c.limit, func(b []trace.Event) { got = append(got, b...) })
			r := &run{mode: trace.ModeSim, rec: rec}
			r.sim = &simSched{r: r}
			rec.start(nanotime(), false)
			var wg sync.WaitGroup
			for w := range c.writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					th := &thread{r: r, id: w}
					for i := range c.each {
						th.rec(trace.Set, "c", trace.Int(int64(i)), 1)
					}
				}()
			}
			wg.Wait()
			rec.finish()
			rec.release()
			checkSeq(t, got)
			ev, drop := rec.counts()
			if ev != c.wantEv || drop != c.wantDrop || int64(len(got)) != c.wantEv {
				t.Fatalf("recorded %d events, counts %d emitted %d dropped; want %d and %d", len(got), ev, drop, c.wantEv, c.wantDrop)
			}
			// Each writer's events keep their order.
			next := map[int]int64{}
			for _, e := range got {
				if e.V.Int != next[e.Th] {
					t.Fatalf("writer %d: event %d, want %d", e.Th, e.V.Int, next[e.Th])
				}
				next[e.Th]++
			}
		})
	}
}
