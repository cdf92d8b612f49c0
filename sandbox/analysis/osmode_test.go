package analysis_test

import (
	"testing"

	"interleave/sandbox/trace"
)

// On real threads the order of events is not the order of the accesses;
// the versions are. A lost update reported in os mode names the values
// that were really read and written: each read's value is the value of
// the write whose version it names, and the three accesses are in
// version order.
func TestLostUpdateOnRealThreads(t *testing.T) {
	var res *trace.Result
	for try := 0; try < 10; try++ {
		res = runScenario(t, "lost-update", "", trace.ModeOS, 0, map[string]any{"threads": 4, "iterations": 5000})
		if has(res, trace.RaceLostUpdate, "counter") {
			break
		}
	}
	if !has(res, trace.RaceLostUpdate, "counter") {
		t.Skip("no lost update in 10 os-mode runs (a machine with one CPU?)")
	}
	writes := map[uint64]trace.Event{}
	last := uint64(0)
	for _, e := range res.Events {
		if e.K == trace.Set && e.Obj == "counter" {
			if prev, dup := writes[e.Ver]; dup {
				t.Fatalf("version %d written twice: %+v and %+v", e.Ver, prev, e)
			}
			writes[e.Ver] = e
			last = max(last, e.Ver)
		}
	}
	if int(last) != len(writes) {
		t.Fatalf("writes have versions up to %d, but there are %d", last, len(writes))
	}
	valueOf := func(ver uint64) int64 {
		if ver == 0 {
			return 0
		}
		return writes[ver].V.Int
	}
	for _, e := range res.Events {
		if e.K == trace.Get && e.Obj == "counter" && e.V.Int != valueOf(e.Ver) {
			t.Fatalf("get %+v read %d, but version %d holds %d", e, e.V.Int, e.Ver, valueOf(e.Ver))
		}
	}
	if final := res.Cells[0].Value.Int; final != valueOf(last) {
		t.Errorf("final counter = %d, want the last version's %d", final, valueOf(last))
	}
	n := 0
	for _, r := range res.Races {
		if r.Kind != trace.RaceLostUpdate {
			continue
		}
		n++
		a, b, c := r.A, r.B, r.C
		if a.V.Int != valueOf(a.Ver) || b.V.Int != valueOf(b.Ver) || c.V.Int != valueOf(c.Ver) {
			t.Errorf("%s: values %v, %v, %v are not those of versions %d, %d, %d", r.Text, a.V, b.V, c.V, a.Ver, b.Ver, c.Ver)
		}
		// b is the first write after a, or, when a's event came so late
		// that the cell no longer remembers that one, the earliest it does.
		if b.Ver <= a.Ver || c.Ver <= b.Ver || a.Th != c.Th || b.Th == a.Th || writes[b.Ver].Seq != b.Seq {
			t.Errorf("%s: versions %d, %d, %d (threads %d, %d, %d) are not read, overwritten, overwriting", r.Text, a.Ver, b.Ver, c.Ver, a.Th, b.Th, c.Th)
		}
		if c.V.Int != a.V.Int+1 {
			t.Errorf("%s: wrote %d after reading %d, want read + 1", r.Text, c.V.Int, a.V.Int)
		}
	}
	if n == 0 {
		t.Error("no lost update kept in full")
	}
}
