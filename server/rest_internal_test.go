package server

import (
	"bytes"
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

func encode(evs []trace.Event) []byte {
	var b []byte
	for i := range evs {
		b = evs[i].AppendBinary(b)
	}
	return b
}

// A recording added batch by batch, across chunks, is the events' binary
// codec back to back.
func TestRestRecordingChunks(t *testing.T) {
	st := newRestStore(restBudget)
	r := st.recorder()
	var all []trace.Event
	for i := range 300 {
		batch := restBatch(1 + i%700)
		r.add(batch)
		all = append(all, batch...)
	}
	if r.over || len(r.chunks) < 3 {
		t.Fatalf("recording of %d events: over %v, %d chunks; want kept, in several chunks", len(all), r.over, len(r.chunks))
	}
	if got, want := bytes.Join(r.chunks, nil), encode(all); !bytes.Equal(got, want) || r.size != len(want) {
		t.Errorf("chunks joined = %d bytes (size %d), want the %d of the events back to back", len(got), r.size, len(want))
	}
	for i, c := range r.chunks[:len(r.chunks)-1] {
		if len(c) != cap(c) {
			t.Errorf("chunk %d holds %d of %d bytes, want full before the next", i, len(c), cap(c))
		}
	}
	if st.used != r.taken {
		t.Errorf("store used %d, recording took %d; want equal", st.used, r.taken)
	}
	r.release()
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
	if !b.over || b.chunks != nil || b.size != 0 {
		t.Errorf("a recording past the budget: over %v, %d bytes held; want given up", b.over, b.size)
	}
	if st.used != a.taken {
		t.Errorf("used = %d, want only the first recording's %d", st.used, a.taken)
	}
	token := st.keep(a)
	chunks, size, n, ok := st.get(token)
	if !ok || n != 1000 || size == 0 {
		t.Errorf("get(%q) = %d bytes, %d events, %v; want the 1000 events", token, size, n, ok)
	}
	if got, want := bytes.Join(chunks, nil), encode(restBatch(1000)); !bytes.Equal(got, want) {
		t.Errorf("get(%q) chunks joined = %d bytes, want the %d of the events in the binary codec", token, len(got), len(want))
	}
	st.drop(token)
	if _, _, _, ok := st.get(token); ok || st.used != 0 {
		t.Errorf("after drop: found %v, used %d; want gone and 0", ok, st.used)
	}
	st.drop(token) // twice is no error
}
