package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"interleave/limits"
	"interleave/sandbox"
	"interleave/sandbox/cluster"
	"interleave/sandbox/engine"
	"interleave/sandbox/sandboxtest"
	"interleave/sandbox/trace"
	"interleave/server"
)

var tinyReq = engine.Request{Scenario: "script", Source: tinyScript, Mode: trace.ModeOS}

// runnerClient starts an embedded NATS server and one runner process of
// slots slots, and returns a cluster client that has seen the runner.
func runnerClient(b *testing.B, slots int) *cluster.Client {
	b.Helper()
	ns := startNATS(b, b.TempDir(), -1)
	b.Cleanup(ns.Shutdown)
	startRunner(b, ns.ClientURL(), slots)
	client, err := cluster.NewClient(cluster.Options{URL: ns.ClientURL()}, testLog())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(client.Close)
	for client.Health().Runners < 1 {
		time.Sleep(20 * time.Millisecond)
	}
	return client
}

// warmSandbox returns a local sandbox with warm children and a minute's
// wall clock: the in-process comparator of a runner with as many slots.
func warmSandbox(b *testing.B, warm int) *sandbox.Runner {
	b.Helper()
	sb, err := sandbox.New(sandbox.Config{Exe: sandboxtest.Binary(b), Limits: limits.Limits{Wall: time.Minute}, Warm: warm})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sb.Close)
	return sb
}

// BenchmarkClusterRuns measures tiny runs per second through NATS with
// one and with two runner processes of two slots each.
func BenchmarkClusterRuns(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("runners=%d", n), func(b *testing.B) {
			ns := startNATS(b, b.TempDir(), -1)
			defer ns.Shutdown()
			for range n {
				startRunner(b, ns.ClientURL(), 2)
			}
			client, err := cluster.NewClient(cluster.Options{URL: ns.ClientURL()}, testLog())
			if err != nil {
				b.Fatal(err)
			}
			defer client.Close()
			for client.Health().Runners < n {
				time.Sleep(20 * time.Millisecond)
			}
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if res, err := client.Run(context.Background(), tinyReq, nil); err != nil || res.Status != trace.StatusOK {
						b.Errorf("run: %v %v", err, res.Status)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
		})
	}
}

// firstEvent returns the p50 time from Run to the first event batch,
// with a pause between runs so that a warm child is waiting for each, as
// on an idle server: what differs is then the path, not the refill.
func firstEvent(b *testing.B, r interface {
	Run(context.Context, engine.Request, func([]trace.Event)) (*trace.Result, error)
}) time.Duration {
	var lat []time.Duration
	for range b.N {
		b.StopTimer()
		time.Sleep(100 * time.Millisecond)
		b.StartTimer()
		start := time.Now()
		var first time.Duration
		if _, err := r.Run(context.Background(), tinyReq, func([]trace.Event) {
			if first == 0 {
				first = time.Since(start)
			}
		}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, first)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat[len(lat)/2]
}

// BenchmarkFirstEvent compares the time to a run's first events in
// process (a warm local sandbox) and through NATS (a runner process with
// a warm sandbox).
func BenchmarkFirstEvent(b *testing.B) {
	b.Run("in-process", func(b *testing.B) {
		sb := warmSandbox(b, 2)
		b.ResetTimer()
		b.ReportMetric(float64(firstEvent(b, sb).Microseconds()), "p50-µs")
	})
	b.Run("nats", func(b *testing.B) {
		client := runnerClient(b, 2)
		b.ResetTimer()
		b.ReportMetric(float64(firstEvent(b, client).Microseconds()), "p50-µs")
	})
}

// flood is a sandbox that emits batches as fast as it can, so that the
// benchmark measures the NATS leg alone.
type flood struct{ batches int }

func (f flood) Run(_ context.Context, req engine.Request, on func([]trace.Event)) (*trace.Result, error) {
	batch := make([]trace.Event, 1024)
	for i := range batch {
		batch[i] = trace.Event{Th: i % 4, K: trace.Get, Obj: "counter", V: trace.Int(int64(i)), Line: 7}
	}
	var seq uint64
	for range f.batches {
		for i := range batch {
			batch[i].Seq, batch[i].T = seq, int64(seq)*10
			seq++
		}
		on(batch)
	}
	return &trace.Result{Scenario: req.Scenario, Mode: req.Mode, Status: trace.StatusOK, Stats: trace.Stats{Events: int64(seq)}}, nil
}

// BenchmarkEventsOverNATS measures events per second from a runner to
// the server's callback through NATS: encoding, publishing, decoding.
func BenchmarkEventsOverNATS(b *testing.B) {
	ns := startNATS(b, b.TempDir(), -1)
	defer ns.Shutdown()
	w, err := cluster.NewWorker(cluster.Options{URL: ns.ClientURL()}, flood{batches: 1000}, 1, testLog())
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = w.Serve(ctx) })
	defer func() { cancel(); wg.Wait() }()
	client, err := cluster.NewClient(cluster.Options{URL: ns.ClientURL()}, testLog())
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	for client.Health().Runners < 1 {
		time.Sleep(20 * time.Millisecond)
	}
	var events int64
	b.ResetTimer()
	for range b.N {
		if _, err := client.Run(context.Background(), tinyReq, func(evs []trace.Event) { events += int64(len(evs)) }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// pickLoop has a choice at every cell operation of two threads, for as
// many picks as a benchmark makes.
const pickLoop = `def main():
    c = cell("c", 0)
    def w():
        for i in range(1000000):
            c.add(1)
    a = spawn(w, name = "a")
    b = spawn(w, name = "b")
    a.join()
    b.join()
`

// BenchmarkPickRoundTrip measures, over a real socket, the time from
// sending a pick to receiving the next choice, with the child in
// process (the comparator, as server's BenchmarkPickRoundTrip) and on a
// runner process through NATS.
func BenchmarkPickRoundTrip(b *testing.B) {
	b.Run("in-process", func(b *testing.B) { pickRoundTrip(b, serveWeb(b, server.Config{}, warmSandbox(b, 1))) })
	b.Run("nats", func(b *testing.B) { pickRoundTrip(b, serveWeb(b, server.Config{}, runnerClient(b, 1))) })
}

// pickRoundTrip starts an interactive run of pickLoop on the server at
// base and times each pick to its next choice, alternating threads.
func pickRoundTrip(b *testing.B, base string) {
	c := dial(b, base).conn
	src, _ := json.Marshal(pickLoop)
	mustWrite(b, c, `{"type":"run","mode":"sim","interactive":true,"source":`+string(src)+`}`)
	ch := readUntil(b, c, `{"type":"choice"`)
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		var choice struct{ Runnable []struct{ Th int } }
		if err := json.Unmarshal(ch, &choice); err != nil || len(choice.Runnable) == 0 {
			b.Fatalf("choice %.300s: %v", ch, err)
		}
		pick := `{"type":"pick","th":` + strconv.Itoa(choice.Runnable[i%len(choice.Runnable)].Th) + `}`
		start := time.Now()
		mustWrite(b, c, pick)
		ch = readUntil(b, c, `{"type":"choice"`)
		lat = append(lat, time.Since(start))
	}
	mustWrite(b, c, `{"type":"stop"}`)
	readUntil(b, c, `{"type":"end"`)
	slices.Sort(lat)
	at := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

func mustWrite(b *testing.B, c *websocket.Conn, msg string) {
	b.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		b.Fatal(err)
	}
}

// readUntil reads messages until one begins with prefix, and returns
// it; an error or an unexpected end fails the benchmark.
func readUntil(b *testing.B, c *websocket.Conn, prefix string) []byte {
	b.Helper()
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			b.Fatal(err)
		}
		if bytes.HasPrefix(data, []byte(prefix)) {
			return data
		}
		if bytes.HasPrefix(data, []byte(`{"type":"error"`)) || bytes.HasPrefix(data, []byte(`{"type":"end"`)) {
			b.Fatalf("waiting for %s, got %.300s", prefix, data)
		}
	}
}

// floodScript emits 300,001 events as fast as a thread can read a cell.
const floodScript = "def main():\n    c = cell(\"c\")\n    for i in range(300000):\n        c.get()\n"

// BenchmarkEventsToBrowser measures events per second from a real child
// to a WebSocket client, with the child in the server's own sandbox (the
// comparator) and on a runner process through NATS, so the whole path a
// page sees is timed: child, supervisor, NATS, server, socket.
func BenchmarkEventsToBrowser(b *testing.B) {
	b.Run("in-process", func(b *testing.B) { eventsToBrowser(b, serveWeb(b, server.Config{}, warmSandbox(b, 1))) })
	b.Run("nats", func(b *testing.B) { eventsToBrowser(b, serveWeb(b, server.Config{}, runnerClient(b, 1))) })
}

// eventsToBrowser runs floodScript over the server at base, one run
// after another, and reports the events its socket received per second.
func eventsToBrowser(b *testing.B, base string) {
	c := dial(b, base).conn
	src, _ := json.Marshal(floodScript)
	msg := `{"type":"run","mode":"os","source":` + string(src) + `}`
	var events int64
	start := time.Now()
	for b.Loop() {
		mustWrite(b, c, msg)
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				b.Fatal(err)
			}
			// Count without decoding: parsing is the browser's cost.
			events += int64(bytes.Count(data, []byte(`{"seq":`)))
			if bytes.HasPrefix(data, []byte(`{"type":"end"`)) {
				if !bytes.Contains(data, []byte(`"status":"ok"`)) {
					b.Fatalf("run did not end ok: %.300s", data)
				}
				break
			}
		}
	}
	b.ReportMetric(float64(events)/time.Since(start).Seconds(), "events/s")
}
