package server

import (
	"testing"

	"interleave/sandbox/trace"
)

func restBatch(n int) []trace.Event {
	evs := make([]trace.Event, n)
	for i := range evs {
		evs[i] = trace.Event{Seq: uint64(i), T: int64(i), Th: 1, K: trace.Get, Obj: "counter", V: trace.Int(int64(i))}
	}
	return evs
}

// The store's budget bounds all recordings together: one that would pass
// it is given up and its bytes given back, and a dropped one gives its
// bytes back too.
func TestRestStoreBudget(t *testing.T) {
	st := newRestStore(64 << 10)
	a := st.recorder()
	a.add(restBatch(1000))
	if a.over || st.used == 0 {
		t.Fatalf("a small recording: over %v, used %d; want kept and accounted", a.over, st.used)
	}
	b := st.recorder()
	for range 20 {
		b.add(restBatch(1000))
	}
	if !b.over || b.buf != nil {
		t.Errorf("a recording past the budget: over %v, %d bytes held; want given up", b.over, len(b.buf))
	}
	if st.used != a.taken {
		t.Errorf("used = %d, want only the first recording's %d", st.used, a.taken)
	}
	token := st.keep(a)
	if buf, n, ok := st.get(token); !ok || n != 1000 || len(buf) == 0 {
		t.Errorf("get(%q) = %d bytes, %d events, %v; want the 1000 events", token, len(buf), n, ok)
	}
	st.drop(token)
	if _, _, ok := st.get(token); ok || st.used != 0 {
		t.Errorf("after drop: found %v, used %d; want gone and 0", ok, st.used)
	}
	st.drop(token) // twice is no error
}
