package sandbox

import (
	"bufio"
	"os"
	"testing"

	"interleave/sandbox/engine"
	"interleave/sandbox/trace"
)

// BenchmarkFramePipeline measures the event pipeline without the engine:
// batches of binary events written to a pipe as a child writes them,
// decoded by the supervisor, and encoded as the JSON "events" message the
// server sends. It reports events per second through all three steps.
func BenchmarkFramePipeline(b *testing.B) {
	const batch = 1024
	evs := make([]trace.Event, batch)
	for i := range evs {
		evs[i] = trace.Event{Seq: uint64(i), T: int64(i) * 150, Th: i % 4, K: trace.Get, Obj: "counter",
			V: trace.Int(int64(i)), Line: 58, Tid: 100 + i%4, CPU: i % 2, HasOS: true}
	}
	var frame []byte
	for i := range evs {
		frame = evs[i].AppendBinary(frame)
	}
	b.SetBytes(int64(len(frame)))
	pr, pw, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		w := bufio.NewWriterSize(pw, 64<<10)
		for range b.N {
			if err := trace.WriteFrame(w, trace.FrameEvents, frame); err != nil {
				return
			}
		}
		w.Flush()
		pw.Close()
	}()
	r := &Runner{}
	var out []byte
	var n int
	if err := r.read(pr, newSummary(engineRequest()), func(batch []trace.Event) {
		out = trace.AppendEventsJSON(out[:0], batch)
		n += len(batch)
	}, nil); err != nil {
		b.Fatal(err)
	}
	pr.Close()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

func engineRequest() engine.Request { return engine.Request{} }
