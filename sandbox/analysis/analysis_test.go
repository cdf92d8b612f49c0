package analysis_test

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"interleave/sandbox/analysis"
	"interleave/sandbox/trace"
)

// ev is one hand-built event; seq numbers are given by position.
type ev struct {
	th   int
	k    trace.Kind
	obj  string
	v    trace.Value
	ver  uint64
	line int
}

func events(evs ...ev) []trace.Event {
	out := make([]trace.Event, len(evs))
	for i, e := range evs {
		out[i] = trace.Event{Seq: uint64(i), T: int64(i), Th: e.th, K: e.k, Obj: e.obj, V: e.v, Ver: e.ver, Line: e.line}
	}
	return out
}

var (
	i64  = trace.Int
	yes  = trace.Bool(true)
	no   = trace.Bool(false)
	none = trace.Value{}
)

// two threads (1 "t1", 2 "t2") spawned by main, as most cases need.
func spawned(rest ...ev) []trace.Event {
	head := []ev{
		{0, trace.Start, "main", none, 0, 1},
		{0, trace.Spawn, "t1", i64(1), 0, 2},
		{0, trace.Spawn, "t2", i64(2), 0, 3},
		{1, trace.Start, "t1", none, 0, 2},
		{2, trace.Start, "t2", none, 0, 3},
	}
	return events(append(head, rest...)...)
}

// afterUnlock is t1 setting x under mutex m and t2 reading x after
// taking a lock with the event take.
func afterUnlock(take ev) []trace.Event {
	return spawned(
		ev{1, trace.Acquired, "m", none, 0, 5},
		ev{1, trace.Set, "x", i64(1), 1, 6},
		ev{1, trace.Unlock, "m", none, 0, 7},
		take,
		ev{2, trace.Get, "x", i64(1), 1, 6},
	)
}

func analyse(evs []trace.Event, status trace.Status) *trace.Result {
	res := &trace.Result{Status: status, Threads: []trace.Thread{{ID: 0, Name: "main"}, {ID: 1, Name: "t1"}, {ID: 2, Name: "t2"}}}
	analysis.Analyze(evs, res)
	return res
}

// counts sums a result's findings by kind.
func counts(res *trace.Result) map[string]int {
	m := map[string]int{}
	if res.RaceSummary != nil {
		for _, c := range res.RaceSummary.Counts {
			m[c.Kind] += c.Count
		}
	}
	return m
}

// happensBeforeCases are TestHappensBefore's event lists.
var happensBeforeCases = []struct {
	name string
	evs  []trace.Event
	race bool
}{
	{"spawn orders the parent's past before the child", events(
		ev{0, trace.Set, "x", i64(1), 1, 1},
		ev{0, trace.Spawn, "t1", i64(1), 0, 2},
		ev{1, trace.Start, "t1", none, 0, 2},
		ev{1, trace.Get, "x", i64(1), 1, 3},
	), false},
	{"without a join the child's write is unordered", events(
		ev{0, trace.Spawn, "t1", i64(1), 0, 2},
		ev{1, trace.Start, "t1", none, 0, 2},
		ev{1, trace.Set, "x", i64(1), 1, 3},
		ev{0, trace.Get, "x", i64(1), 1, 4},
	), true},
	{"join orders the child's life before joined", events(
		ev{0, trace.Spawn, "t1", i64(1), 0, 2},
		ev{1, trace.Start, "t1", none, 0, 2},
		ev{1, trace.Set, "x", i64(1), 1, 3},
		ev{1, trace.End, "", none, 0, 0},
		ev{0, trace.Join, "t1", none, 0, 4},
		ev{0, trace.Joined, "t1", none, 0, 4},
		ev{0, trace.Get, "x", i64(1), 1, 5},
	), false},
	{"unlock orders before the next acquired", afterUnlock(ev{2, trace.Acquired, "m", none, 0, 5}), false},
	{"a successful trylock acquires", afterUnlock(ev{2, trace.TryLock, "m", yes, 0, 5}), false},
	{"a failed trylock does not", afterUnlock(ev{2, trace.TryLock, "m", no, 0, 5}), true},
	{"another mutex orders nothing", afterUnlock(ev{2, trace.Acquired, "n", none, 0, 5}), true},
	{"sent orders before its received", spawned(
		ev{1, trace.Set, "x", i64(1), 1, 6},
		ev{1, trace.Sent, "ch", i64(7), 1, 7},
		ev{2, trace.Received, "ch", i64(7), 1, 5},
		ev{2, trace.Get, "x", i64(1), 1, 6},
	), false},
	{"a received recorded before its sent still waits for it", spawned(
		ev{1, trace.Set, "x", i64(1), 1, 6},
		ev{2, trace.Received, "ch", i64(7), 1, 5},
		ev{2, trace.Get, "x", i64(1), 1, 6},
		ev{1, trace.Sent, "ch", i64(7), 1, 7},
	), false},
	{"another message orders nothing", spawned(
		ev{0, trace.Sent, "ch", i64(6), 1, 4},
		ev{1, trace.Set, "x", i64(1), 1, 6},
		ev{1, trace.Sent, "ch", i64(7), 2, 7},
		ev{2, trace.Received, "ch", i64(6), 1, 5},
		ev{2, trace.Get, "x", i64(1), 1, 6},
	), true},
	{"close orders before the received that finds it closed", spawned(
		ev{1, trace.Set, "x", i64(1), 1, 6},
		ev{1, trace.Close, "ch", none, 0, 7},
		ev{2, trace.Received, "ch", trace.Null(), 0, 5},
		ev{2, trace.Get, "x", i64(1), 1, 6},
	), false},
	{"atomic read-modify-writes synchronise", spawned(
		ev{1, trace.Set, "x", i64(1), 1, 6},
		ev{1, trace.Add, "flag", i64(0), 1, 7},
		ev{2, trace.Add, "flag", i64(1), 2, 8},
		ev{2, trace.Get, "x", i64(1), 1, 9},
	), false},
	{"a get acquires nothing", spawned(
		ev{1, trace.Set, "x", i64(1), 1, 6},
		ev{1, trace.Add, "flag", i64(0), 1, 7},
		ev{2, trace.Get, "flag", i64(1), 1, 8},
		ev{2, trace.Get, "x", i64(1), 1, 9},
	), true},
	{"a spin lock: cas acquires what set released", spawned(
		ev{1, trace.Cas, "lock", yes, 1, 5},
		ev{1, trace.Set, "x", i64(1), 1, 6},
		ev{1, trace.Set, "lock", i64(0), 2, 7},
		ev{2, trace.Cas, "lock", no, 1, 5},
		ev{2, trace.Cas, "lock", yes, 3, 5},
		ev{2, trace.Get, "x", i64(1), 1, 6},
		ev{2, trace.Set, "x", i64(2), 2, 7},
	), false},
	{"a get beside an atomic add is no data race", spawned(
		ev{1, trace.Add, "n", i64(0), 1, 5},
		ev{2, trace.Get, "n", i64(1), 1, 6},
	), false},
	{"two sets race", spawned(
		ev{1, trace.Set, "x", i64(1), 1, 5},
		ev{2, trace.Set, "x", i64(2), 2, 6},
	), true},
	{"two gets do not", spawned(
		ev{1, trace.Get, "x", i64(0), 0, 5},
		ev{2, trace.Get, "x", i64(0), 0, 6},
	), false},
}

func TestHappensBefore(t *testing.T) {
	for _, tt := range happensBeforeCases {
		t.Run(tt.name, func(t *testing.T) {
			res := analyse(tt.evs, trace.StatusOK)
			if got := counts(res)[trace.RaceData] > 0; got != tt.race {
				t.Errorf("Analyze() data race = %v, want %v (races %+v)", got, tt.race, res.Races)
			}
		})
	}
}

func TestFindings(t *testing.T) {
	tests := []struct {
		name string
		evs  []trace.Event
		kind string
		text string
	}{
		{"lost update", spawned(
			ev{1, trace.Get, "counter", i64(41), 0, 11},
			ev{2, trace.Get, "counter", i64(41), 0, 11},
			ev{2, trace.Set, "counter", i64(42), 1, 12},
			ev{1, trace.Set, "counter", i64(42), 2, 12},
		), trace.RaceLostUpdate,
			"t1 read counter = 41 (line 11); t2 then wrote 42 (line 12); t1 wrote 42 over it (line 12): one increment lost."},
		{"lost update over several writes, events out of order", spawned(
			ev{1, trace.Get, "counter", i64(0), 0, 11},
			ev{2, trace.Set, "counter", i64(2), 2, 12}, // recorded before the write it overwrote
			ev{0, trace.Set, "counter", i64(1), 1, 12},
			ev{1, trace.Set, "counter", i64(1), 3, 12},
		), trace.RaceLostUpdate,
			"t1 read counter = 0 (line 11); main then wrote 1 (line 12), and 1 more write followed; t1 wrote 1 over them (line 12): 2 increments lost."},
		{"stale read acted on by an add", spawned(
			ev{1, trace.Get, "balance", i64(100), 0, 7},
			ev{2, trace.Get, "balance", i64(100), 0, 7},
			ev{2, trace.Add, "balance", i64(100), 1, 9},
			ev{1, trace.Add, "balance", i64(20), 2, 9},
		), trace.RaceStaleRead,
			"t1 read balance = 100 (line 7); t2 then added to it (line 9); t1 acted on what it had read: added to balance, which was 20 by then (line 9): a stale read."},
		{"stale read checked", spawned(
			ev{1, trace.Get, "ready", trace.Bool(false), 0, 7},
			ev{2, trace.Set, "ready", trace.Bool(true), 1, 9},
			ev{1, trace.Check, "", no, 0, 8},
		), trace.RaceStaleRead,
			"t1 read ready = False (line 7); t2 then wrote True (line 9); t1 checked, and the check failed (line 8): a stale read."},
		{"data race", spawned(
			ev{1, trace.Set, "config", trace.Str("loaded"), 1, 7},
			ev{2, trace.Get, "config", trace.Str("loaded"), 1, 9},
		), trace.RaceData,
			"t1 wrote config = loaded (line 7) and t2 read config = loaded (line 9) with nothing ordering the two: a data race."},
		{"a stream without versions: found by event order", spawned(
			ev{1, trace.Get, "counter", i64(41), 0, 11},
			ev{2, trace.Get, "counter", i64(41), 0, 11},
			ev{2, trace.Set, "counter", i64(42), 0, 12},
			ev{1, trace.Set, "counter", i64(42), 0, 12},
		), trace.RaceLostUpdate,
			"t1 read counter = 41 (line 11); t2 then wrote 42 (line 12); t1 wrote 42 over it (line 12): one increment lost."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := analyse(tt.evs, trace.StatusFailed)
			var got *trace.Race
			for i := range res.Races {
				if res.Races[i].Kind == tt.kind {
					got = &res.Races[i]
					break
				}
			}
			if got == nil {
				t.Fatalf("Analyze() found no %s: %+v", tt.kind, res.Races)
			}
			if got.Text != tt.text {
				t.Errorf("Analyze() %s text = %q, want %q", tt.kind, got.Text, tt.text)
			}
			if got.A == nil || got.B == nil || got.A.Seq >= got.B.Seq && tt.kind == trace.RaceData {
				t.Errorf("Analyze() %s accesses = %+v, %+v, want two in order", tt.kind, got.A, got.B)
			}
			if tt.kind != trace.RaceData && (got.C == nil || got.C.Th != got.A.Th) {
				t.Errorf("Analyze() %s third access = %+v, want one by %d", tt.kind, got.C, got.A.Th)
			}
		})
	}
}

func TestNoFinding(t *testing.T) {
	tests := []struct {
		name string
		evs  []trace.Event
	}{
		{"read and write under a lock", spawned(
			ev{1, trace.Acquired, "m", none, 0, 5},
			ev{1, trace.Get, "counter", i64(0), 0, 6},
			ev{1, trace.Set, "counter", i64(1), 1, 7},
			ev{1, trace.Unlock, "m", none, 0, 8},
			ev{2, trace.Acquired, "m", none, 0, 5},
			ev{2, trace.Get, "counter", i64(1), 1, 6},
			ev{2, trace.Set, "counter", i64(2), 2, 7},
			ev{2, trace.Unlock, "m", none, 0, 8},
		)},
		{"a check that holds after a changed read", spawned(
			ev{1, trace.Acquired, "m", none, 0, 5},
			ev{1, trace.Get, "n", i64(0), 0, 7},
			ev{1, trace.Unlock, "m", none, 0, 8},
			ev{2, trace.Add, "n", i64(0), 1, 9},
			ev{1, trace.Check, "", yes, 0, 8},
		)},
		{"a cas loop that retries", spawned(
			ev{1, trace.Acquired, "m", none, 0, 5},
			ev{1, trace.Get, "n", i64(0), 0, 6},
			ev{1, trace.Unlock, "m", none, 0, 8},
			ev{2, trace.Add, "n", i64(0), 1, 9},
			ev{1, trace.Cas, "n", no, 1, 7},
			ev{1, trace.Acquired, "m", none, 0, 5},
			ev{1, trace.Get, "n", i64(1), 1, 6},
			ev{1, trace.Unlock, "m", none, 0, 8},
			ev{1, trace.Cas, "n", yes, 2, 7},
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res := analyse(tt.evs, trace.StatusOK); len(res.Races) > 0 || res.RaceSummary != nil {
				t.Errorf("Analyze() = %+v, want no findings", res.Races)
			}
		})
	}
}

// Thousands of findings are counted; the first few of each kind are kept.
func TestLimit(t *testing.T) {
	var evs []ev
	ver := uint64(0)
	for i := range 500 {
		evs = append(evs,
			ev{1, trace.Get, "counter", i64(int64(ver)), ver, 11},
			ev{2, trace.Get, "counter", i64(int64(ver)), ver, 11},
			ev{2, trace.Set, "counter", i64(int64(ver) + 1), ver + 1, 12},
			ev{1, trace.Set, "counter", i64(int64(ver) + 1), ver + 2, 12 + i%2})
		ver += 2
	}
	res := analyse(spawned(evs...), trace.StatusFailed)
	if got := counts(res)[trace.RaceLostUpdate]; got != 500 {
		t.Errorf("lost updates counted = %d, want 500", got)
	}
	kept := map[string]int{}
	for _, r := range res.Races {
		kept[r.Kind]++
	}
	if kept[trace.RaceLostUpdate] != analysis.Limit {
		t.Errorf("lost updates kept = %d, want %d", kept[trace.RaceLostUpdate], analysis.Limit)
	}
	// Data races repeat the same few pairs of places: each pair is kept once.
	if kept[trace.RaceData] == 0 || kept[trace.RaceData] > 8 {
		t.Errorf("data races kept = %d, want one per pair of places (1 to 8)", kept[trace.RaceData])
	}
	if res.RaceSummary.Limit != analysis.Limit || res.RaceSummary.Total != counts(res)[trace.RaceLostUpdate]+counts(res)[trace.RaceData] {
		t.Errorf("summary = %+v, want limit %d and the total of the counts", res.RaceSummary, analysis.Limit)
	}
	if res.Races[0].Kind != trace.RaceLostUpdate {
		t.Errorf("first finding is a %s, want the lost updates first", res.Races[0].Kind)
	}
}

func TestLuck(t *testing.T) {
	evs := spawned(
		ev{1, trace.Set, "counter", i64(1), 1, 7},
		ev{2, trace.Get, "counter", i64(1), 1, 9},
	)
	want := "This run was correct by luck: t1 and t2 touch counter with nothing ordering them."
	if got := analyse(evs, trace.StatusOK).RaceSummary.Luck; got != want {
		t.Errorf("Luck for a run that passed = %q, want %q", got, want)
	}
	if got := analyse(evs, trace.StatusFailed).RaceSummary.Luck; got != "" {
		t.Errorf("Luck for a run that failed = %q, want none", got)
	}
}

// A stream that names versions which never come, or thread ids without
// end, is analysed without hanging or holding without bound.
func TestHostileStream(t *testing.T) {
	var evs []trace.Event
	for i := range 100000 {
		evs = append(evs, trace.Event{Seq: uint64(i), Th: i % 5000, K: trace.Get, Obj: fmt.Sprintf("c%d", i%7000), Ver: uint64(1 << 40)})
	}
	a := analysis.New()
	a.Add(evs)
	var res trace.Result
	a.Finish(&res)
	if res.RaceSummary != nil && !strings.Contains(res.RaceSummary.Counts[0].Kind, "race") {
		t.Errorf("Finish() summary = %+v", res.RaceSummary)
	}
}

// benchEvents is a run of four threads doing n/4 unsynchronised
// increments between them, interleaved in small random bursts, as in
// lost-update with 4 x 250,000 iterations.
func benchEvents(n int) []trace.Event {
	evs := make([]trace.Event, 0, n+8)
	for th := 1; th <= 4; th++ {
		evs = append(evs, trace.Event{Th: 0, K: trace.Spawn, Obj: fmt.Sprintf("worker-%d", th-1), V: trace.Int(int64(th))})
	}
	ver, val := uint64(0), int64(0)
	read := [5]int64{}
	rng := uint64(1)
	for len(evs) < n {
		rng = rng*6364136223846793005 + 1442695040888963407
		th := int(rng>>60)%4 + 1
		for range int(rng>>40) % 3 {
			if read[th] == 0 {
				evs = append(evs, trace.Event{Th: th, K: trace.Get, Obj: "counter", V: trace.Int(val), Ver: ver, Line: 11})
				read[th] = val + 1
			} else {
				ver++
				val = read[th]
				evs = append(evs, trace.Event{Th: th, K: trace.Set, Obj: "counter", V: trace.Int(val), Ver: ver, Line: 12})
				read[th] = 0
			}
		}
	}
	for i := range evs {
		evs[i].Seq = uint64(i)
	}
	return evs
}

// BenchmarkAnalyze measures the analysis of a million events.
func BenchmarkAnalyze(b *testing.B) {
	evs := benchEvents(1_000_000)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		a := analysis.New()
		for i := 0; i < len(evs); i += 1024 {
			a.Add(evs[i:min(i+1024, len(evs))])
		}
		var res trace.Result
		a.Finish(&res)
		if res.RaceSummary == nil {
			b.Fatal("Analyze() found nothing in a million racy events")
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	// The CPU time of the process, unlike the elapsed time, does not grow
	// when other work shares the machine.
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
