package engine

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"interleave/sandbox/trace"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// simTrace renders a sim run as its golden text: the outcome, then one
// event per line as JSON.
func simTrace(t *testing.T, req Request) []byte {
	t.Helper()
	res, evs := collect(t, req)
	var b bytes.Buffer
	fmt.Fprintf(&b, "status: %s\nmessage: %s\nschedule: %s\n", res.Status, res.Message, res.Schedule)
	for i := range evs {
		b.Write(evs[i].AppendJSON(nil))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

var goldenRuns = []struct {
	name string
	req  Request
}{
	{"lost-update", Request{Scenario: "lost-update", Mode: trace.ModeSim, Seed: 3, Params: map[string]any{"threads": 2, "iterations": 3}}},
	{"two-locks", Request{Scenario: "two-locks", Mode: trace.ModeSim, Seed: 0, Params: map[string]any{"rounds": 2}}},
	{"lost-wakeup", Request{Scenario: "lost-wakeup", Mode: trace.ModeSim, Seed: 0}},
	{"semaphore-pool", Request{Scenario: "semaphore-pool", Mode: trace.ModeSim, Seed: 1, Params: map[string]any{"clients": 3}}},
	{"pipeline", Request{Scenario: "pipeline", Mode: trace.ModeSim, Seed: 42, Source: `
def main():
    jobs = channel("jobs", capacity = 1)
    done = cell("done")
    def worker():
        for j in jobs:
            work(5)
            done.add(j)
    ws = [spawn(worker, name = "w%d" % i) for i in range(2)]
    for i in range(4):
        jobs.send(i)
        sleep(0.01)
    jobs.close()
    for w in ws:
        w.join()
    print("done", done.get())
    check(done.get() == 6, "every job done")
`}},
}

func TestSimGolden(t *testing.T) {
	for _, g := range goldenRuns {
		t.Run(g.name, func(t *testing.T) {
			req := g.req
			if req.Source == "" {
				req.Source = lib(t, g.name+".star")
			}
			got := simTrace(t, req)
			path := filepath.Join("testdata", g.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("sim trace of %s differs from %s (run with -update if the change is intended):\n%s", g.name, path, firstDiff(got, want))
			}
		})
	}
}

func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, a, b)
		}
	}
	return ""
}

// TestSimDeterminism runs the same sim requests twice and with the
// reported schedule, and wants the same bytes each time.
func TestSimDeterminism(t *testing.T) {
	src := lib(t, "lost-update.star")
	for seed := int64(0); seed < 5; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			req := Request{Scenario: "lost-update", Source: src, Mode: trace.ModeSim, Seed: seed, Params: map[string]any{"threads": 3, "iterations": 50}}
			a, b := simTrace(t, req), simTrace(t, req)
			if !bytes.Equal(a, b) {
				t.Fatalf("two sim runs with seed %d differ:\n%s", seed, firstDiff(a, b))
			}
			res, evs := collect(t, req)
			replay := req
			replay.Seed = seed + 1000
			replay.Schedule = res.Schedule
			res2, evs2 := collect(t, replay)
			if res2.Status != res.Status || res2.Schedule != res.Schedule {
				t.Fatalf("replay = %v %q, want %v %q", res2.Status, res2.Schedule, res.Status, res.Schedule)
			}
			if x, y := trace.AppendEventsJSON(nil, evs), trace.AppendEventsJSON(nil, evs2); !bytes.Equal(x, y) {
				t.Fatalf("replayed events differ:\n%s", firstDiff(x, y))
			}
		})
	}
}

func TestSimSchedule(t *testing.T) {
	src := lib(t, "lost-update.star")
	params := map[string]any{"threads": 2, "iterations": 10}
	full, _ := collect(t, Request{Source: src, Mode: trace.ModeSim, Params: params, Seed: 5})
	prefix := strings.Join(strings.Split(full.Schedule, ".")[:2], ".")
	for _, c := range []struct {
		schedule string
		want     trace.Status
		msg      string
	}{
		{"7", trace.StatusError, "invalid schedule: choice 1 picks thread 7, which cannot run at that point"},
		{"0*5000", trace.StatusError, "invalid schedule"},
		{prefix, full.Status, ""}, // runs out: the seed decides the rest
		{"1.", trace.StatusError, "invalid schedule: entry 2"},
		{"-1", trace.StatusError, "invalid schedule: entry 1"},
	} {
		t.Run(c.schedule, func(t *testing.T) {
			res, _ := collect(t, Request{Source: src, Mode: trace.ModeSim, Params: params, Seed: 9, Schedule: c.schedule})
			if res.Status != c.want && !(c.msg == "" && res.Status == trace.StatusOK) {
				t.Fatalf("Run(schedule %q) = %v (%s), want %v", c.schedule, res.Status, res.Message, c.want)
			}
			if !strings.Contains(res.Message, c.msg) {
				t.Errorf("Run(schedule %q) message = %q, want %q", c.schedule, res.Message, c.msg)
			}
		})
	}
}

func TestSimVirtualTime(t *testing.T) {
	res, evs := collect(t, Request{Source: mainOf(`
    sleep(1000)
    work(500)
`), Mode: trace.ModeSim})
	if res.Status != trace.StatusOK {
		t.Fatalf("Run = %v (%s)", res.Status, res.Message)
	}
	if res.Stats.WallNs > 500e6 {
		t.Errorf("a virtual second took %d ns of wall time", res.Stats.WallNs)
	}
	wake, _ := find(evs, trace.Wake, "")
	worked, _ := find(evs, trace.Worked, "")
	if wake.T < 1e9 || worked.T-wake.T < 500e3 {
		t.Errorf("wake at %d, worked at %d: want virtual time to advance by 1 s and 500 µs", wake.T, worked.T)
	}
	for _, e := range evs {
		if e.HasOS {
			t.Errorf("event %+v has OS fields in sim mode", e)
		}
	}
}
