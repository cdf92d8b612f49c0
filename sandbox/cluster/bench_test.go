package cluster_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"interleave/sandbox"
	"interleave/sandbox/cluster"
	"interleave/sandbox/engine"
	"interleave/sandbox/sandboxtest"
	"interleave/sandbox/trace"
)

var tinyReq = engine.Request{Scenario: "script", Source: tinyScript, Mode: trace.ModeOS}

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

// firstEvent returns the p50 time from Run to the first event batch.
func firstEvent(b *testing.B, r interface {
	Run(context.Context, engine.Request, func([]trace.Event)) (*trace.Result, error)
}) time.Duration {
	var lat []time.Duration
	for range b.N {
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
		sb, err := sandbox.New(sandbox.Config{Exe: sandboxtest.Binary(b), Warm: 1})
		if err != nil {
			b.Fatal(err)
		}
		defer sb.Close()
		b.ReportMetric(float64(firstEvent(b, sb).Microseconds()), "p50-µs")
	})
	b.Run("nats", func(b *testing.B) {
		ns := startNATS(b, b.TempDir(), -1)
		defer ns.Shutdown()
		startRunner(b, ns.ClientURL(), 2)
		client, err := cluster.NewClient(cluster.Options{URL: ns.ClientURL()}, testLog())
		if err != nil {
			b.Fatal(err)
		}
		defer client.Close()
		for client.Health().Runners < 1 {
			time.Sleep(20 * time.Millisecond)
		}
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
