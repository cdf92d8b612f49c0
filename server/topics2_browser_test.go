package server_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"interleave/scenarios"
)

// The browser tests of three more topics of the course (scenarios/lib/
// course.txt): Threads, Message passing and Fixes. Each subtest runs a
// scenario as a class would and checks, on the page's own data (events,
// spans, arrows, lanes, the result panel and the output), the thing its
// notes tell the class to look for. Where that depends on timing (a busy
// CI machine can run the threads one after the other), the test runs sim
// mode at the scenario's seed, where it shows every time; otherwise the
// scenario's default mode.

// topicLane is a lane as window.interleave.timeline shows it.
type topicLane struct {
	Thread int      `json:"thread"`
	Name   string   `json:"name"`
	State  string   `json:"state"`
	Cut    *float64 `json:"cut"`
}

// topicPage is a topicRun with what these tests read besides: the
// arrows, the lanes by name, how many findings the analysis reported and
// the output.
type topicPage struct {
	topicRun
	arrows   []tlArrow
	lanes    map[string]topicLane
	findings int
	output   string
}

// runTopicPage runs one scenario's page and reads what it drew.
func runTopicPage(t *testing.T, ctx context.Context, url string) topicPage {
	t.Helper()
	p := topicPage{topicRun: runTopic(t, ctx, url), lanes: map[string]topicLane{}}
	p.arrows = evaluate[[]tlArrow](t, ctx, `window.interleave.timeline.arrows`)
	for _, l := range evaluate[[]topicLane](t, ctx, `window.interleave.timeline.lanes.map((l) => ({thread: l.thread, name: l.name, state: l.state, cut: l.cut}))`) {
		p.lanes[l.Name] = l
	}
	p.findings = evaluate[int](t, ctx, `window.interleave.timeline.races.length`)
	p.output = text(t, ctx, `[data-testid="output"]`)
	return p
}

// arrowsOf lists the arrows of kind on the object obj.
func (p topicPage) arrowsOf(kind, obj string) []tlArrow {
	var out []tlArrow
	for _, a := range p.arrows {
		if a.Kind == kind && a.Obj != nil && *a.Obj == obj {
			out = append(out, a)
		}
	}
	return out
}

// arrowTo is the arrow of kind that ends at the event seq, or nil.
func (p topicPage) arrowTo(kind string, seq int) *tlArrow {
	for i, a := range p.arrows {
		if a.Kind == kind && a.To.Seq == seq {
			return &p.arrows[i]
		}
	}
	return nil
}

// lastOn is the last event on the named thread's lane, or nil.
func (r topicRun) lastOn(name string) *pageEvent {
	var last *pageEvent
	for i, e := range r.events {
		if e.Th == r.threads[name] && (last == nil || e.Seq > last.Seq) {
			last = &r.events[i]
		}
	}
	return last
}

// received lists the named thread's received events on obj that carried
// a value (not the one that found the channel closed and drained).
func (r topicRun) received(name, obj string) []pageEvent {
	var out []pageEvent
	for _, e := range r.of(name, "received") {
		if e.Obj == obj && e.V != nil {
			out = append(out, e)
		}
	}
	return out
}

// spanEnding is the named thread's span of kind that ends at seq, or nil.
func (r topicRun) spanEnding(name, kind string, seq int) *pageSpan {
	for _, s := range r.spansOf(name, kind) {
		if s.Seq1 == seq {
			return &s
		}
	}
	return nil
}

// during counts the events in evs that happen inside the span s (by seq:
// after the event that opens it, before the one that closes it).
func during(s pageSpan, evs []pageEvent) int {
	n := 0
	for _, e := range evs {
		if e.Seq > s.Seq0 && (s.Seq1 < 0 || e.Seq < s.Seq1) {
			n++
		}
	}
	return n
}

// said lists the values of print events.
func said(evs []pageEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, fmt.Sprint(e.V))
	}
	return out
}

// inOrder says whether the lines appear in the output in this order.
func inOrder(output string, lines ...string) bool {
	at := -1
	for _, l := range lines {
		i := strings.Index(output, l+"\n")
		if i <= at {
			return false
		}
		at = i
	}
	return true
}

// scenarioLine is the line of a built-in scenario's source (as the
// page's editor numbers it) that holds the text.
func scenarioLine(t *testing.T, id, text string) int {
	t.Helper()
	cat, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	sc, ok := cat.Get(id)
	if !ok {
		t.Fatalf("no scenario %q", id)
	}
	for i, l := range strings.Split(sc.Source, "\n") {
		if strings.Contains(l, text) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line with %q", id, text)
	return 0
}

// topicStep is one check of a topic test, on a page of the server at
// base.
type topicStep struct {
	name  string
	check func(t *testing.T, ctx context.Context, base string)
}

// runTopicSteps runs each step as a subtest, with one server and one
// browser for all of them.
func runTopicSteps(t *testing.T, steps []topicStep) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 800)
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) { st.check(t, ctx, ts.URL) })
	}
}

// TestTopicThreads: spawn-without-join's cutoff at the moment main ends,
// with the numbers not printed missing from the output; join-too-early's
// main idle at join for the spawned thread's whole life (and, with early
// false, both lanes working by turns); join-at-end's join span during the
// spawned thread's last prints; move-into-thread's panic on main's lane
// at the append line, naming thread adder (and no panic with a copy);
// print-order's print marks on each lane in their own order, and the
// output's order changing with the seed.
func TestTopicThreads(t *testing.T) {
	runTopicSteps(t, []topicStep{
		{"spawn-without-join", topicSpawnWithoutJoin},
		{"join-too-early", topicJoinTooEarly},
		{"join-too-early early=false", topicJoinTooEarlyEarlyFalse},
		{"join-at-end", topicJoinAtEnd},
		{"move-into-thread", topicMoveIntoThread},
		{"move-into-thread copy=true", topicMoveIntoThreadCopyTrue},
		{"print-order", topicPrintOrder},
	})
}

// topicSpawnWithoutJoin is the spawn-without-join subtest of its topic test, on the server at base.
func topicSpawnWithoutJoin(t *testing.T, ctx context.Context, base string) {
	// On a busy machine main can be held up long enough for the
	// spawned thread to print all its numbers; sim keeps the timing.
	p := runTopicPage(t, ctx, base+"/s/spawn-without-join?mode=sim")
	if p.status != "failed" {
		t.Fatalf("status = %q, want failed", p.status)
	}
	if !strings.Contains(p.result, "check failed: the spawned thread printed all its numbers before main returned") {
		t.Errorf("result panel = %q, want the failed check", p.result)
	}
	end, cut, lane := p.of("main", "end"), p.of("spawned", "cutoff"), p.lanes["spawned"]
	if len(end) != 1 || len(cut) != 1 || cut[0].T != end[0].T || lane.State != "cutoff" || lane.Cut == nil || *lane.Cut != end[0].T {
		t.Errorf("main's end %+v, the spawned lane's cutoff %+v, lane %+v: want the lane cut off at the moment main's lane ends", end, cut, lane)
	}
	if last := p.lastOn("spawned"); last == nil || last.K != "cutoff" {
		t.Errorf("the spawned lane's last event = %+v, want the cutoff", last)
	}
	if s := p.spansOf("spawned", "sleep"); len(s) == 0 || !s[len(s)-1].Unfinished {
		t.Errorf("the spawned lane's sleeps = %+v, want the last one cut, unfinished", s)
	}
	prints := p.of("spawned", "print")
	lines := strings.Count(p.output, "from the spawned thread")
	if len(prints) == 0 || len(prints) >= 10 || lines != len(prints) || strings.Contains(p.output, "hi number 10 from the spawned thread") {
		t.Errorf("the spawned lane printed %d numbers and the output has %d of its lines (%q): want fewer than 10, the rest never printed",
			len(prints), lines, p.output)
	}
}

// topicJoinTooEarly is the join-too-early subtest of its topic test, on the server at base.
func topicJoinTooEarly(t *testing.T, ctx context.Context, base string) {
	// Sim: on one core the spawned thread's loop could in principle
	// let main run; at the scenario's seed the promise shows.
	p := runTopicPage(t, ctx, base+"/s/join-too-early?mode=sim")
	if p.status != "failed" {
		t.Fatalf("status = %q, want failed", p.status)
	}
	if !strings.Contains(p.result, "check failed: main began its own work while the spawned thread was still working") {
		t.Errorf("result panel = %q, want the failed check", p.result)
	}
	joins, start, end := p.spansOf("main", "join"), p.of("spawned", "start"), p.of("spawned", "end")
	if len(joins) != 1 || len(start) != 1 || len(end) != 1 {
		t.Fatalf("main's joins %+v, the spawned thread's start %+v and end %+v: want one of each", joins, start, end)
	}
	j := joins[0]
	if j.T0 > start[0].T || j.T1 == nil || *j.T1 < end[0].T {
		t.Errorf("main's join span %+v, the spawned thread from %.0f to %.0f: want main at join for the whole life of the spawned thread", j, start[0].T, end[0].T)
	}
	var onMain []pageEvent
	for _, e := range p.events {
		if e.Th == p.threads["main"] {
			onMain = append(onMain, e)
		}
	}
	if n := during(j, onMain); n != 0 {
		t.Errorf("main's lane has %d events inside its join, want it idle", n)
	}
	works := p.spansOf("main", "work")
	if len(works) == 0 {
		t.Fatal("main's lane has no work")
	}
	for _, w := range works {
		if w.T0 < *j.T1 {
			t.Errorf("main works from %.0f, before its join ends at %.0f: want its own work only after", w.T0, *j.T1)
		}
	}
}

// topicJoinTooEarlyEarlyFalse is the join-too-early early=false subtest of its topic test, on the server at base.
func topicJoinTooEarlyEarlyFalse(t *testing.T, ctx context.Context, base string) {
	p := runTopicPage(t, ctx, base+"/s/join-too-early?mode=sim&early=false")
	if p.status != "ok" {
		t.Fatalf("status = %q, want ok", p.status)
	}
	mw, sw := p.spansOf("main", "work"), p.spansOf("spawned", "work")
	if len(mw) == 0 || len(sw) == 0 || mw[len(mw)-1].T1 == nil || sw[len(sw)-1].T1 == nil {
		t.Fatalf("main's work %+v, the spawned thread's %+v: want both lanes working", mw, sw)
	}
	// Sim has one core: "at once" is by turns, each lane's work
	// beginning before the other's has ended.
	if mw[0].T0 > *sw[len(sw)-1].T1 || sw[0].T0 > *mw[len(mw)-1].T1 {
		t.Errorf("main works from %.0f to %.0f, the spawned thread from %.0f to %.0f: want the two lanes' work to overlap",
			mw[0].T0, *mw[len(mw)-1].T1, sw[0].T0, *sw[len(sw)-1].T1)
	}
	if js := p.of("main", "join"); len(js) != 1 || js[0].Seq < mw[len(mw)-1].Seq1 {
		t.Errorf("main's join %+v, its last work ending at seq %d: want the join after main's own loop", js, mw[len(mw)-1].Seq1)
	}
}

// topicJoinAtEnd is the join-at-end subtest of its topic test, on the server at base.
func topicJoinAtEnd(t *testing.T, ctx context.Context, base string) {
	// Sim: in os mode a busy machine can let the spawned thread finish
	// before main reaches its join, and the join takes no time.
	p := runTopicPage(t, ctx, base+"/s/join-at-end?mode=sim")
	if p.status != "ok" {
		t.Fatalf("status = %q, want ok", p.status)
	}
	joins := p.spansOf("main", "join")
	if len(joins) != 1 {
		t.Fatalf("main's join spans = %+v, want one", joins)
	}
	j, prints := joins[0], p.of("spawned", "print")
	if len(prints) == 0 {
		t.Fatal("the spawned lane has no prints")
	}
	last := prints[len(prints)-1]
	if during(j, prints) < 2 || last.V != "hi number 10 from the spawned thread" || during(j, []pageEvent{last}) != 1 {
		t.Errorf("main's join from seq %d to %d holds %d of the spawned thread's prints (its last %+v): want main waiting while the spawned thread prints its last numbers",
			j.Seq0, j.Seq1, during(j, prints), last)
	}
	if a := p.arrowTo("join", j.Seq1); a == nil || a.From.Th != p.threads["spawned"] {
		t.Errorf("the join arrow to main's joined = %+v, want one from the spawned thread's end", a)
	}
	if !inOrder(p.output, "hi number 1 from main", "hi number 1 from the spawned thread", "hi number 5 from main", "hi number 10 from the spawned thread") {
		t.Errorf("output = %q, want every number, the two threads' lines interleaved", p.output)
	}
}

// topicMoveIntoThread is the move-into-thread subtest of its topic test, on the server at base.
func topicMoveIntoThread(t *testing.T, ctx context.Context, base string) {
	// Not a matter of timing: every run panics at the move.
	p := runTopicPage(t, ctx, base+"/s/move-into-thread")
	if p.status != "panic" {
		t.Fatalf("status = %q, want panic", p.status)
	}
	line := scenarioLine(t, "move-into-thread", "scores.append(9)")
	type panicEvent struct {
		Th   int
		Line *int
		V    string
	}
	panics := evaluate[[]panicEvent](t, ctx, `window.interleave.model.events.filter((e) => e.k === "panic").map((e) => ({th: e.th, line: e.line ?? null, v: String(e.v ?? "")}))`)
	if len(panics) != 1 || panics[0].Th != p.threads["main"] || panics[0].Line == nil || *panics[0].Line != line || !strings.Contains(panics[0].V, "thread adder") {
		t.Errorf("panic events = %+v, want one on main's lane at line %d (the append) naming thread adder", panics, line)
	}
	if last := p.lastOn("main"); last == nil || last.K != "panic" || p.lanes["main"].State != "panicked" {
		t.Errorf("main's lane ends with %+v, state %q: want it ending in the panic", last, p.lanes["main"].State)
	}
	marks := evaluate[[][]string](t, ctx, `[...document.querySelectorAll('.gutter .err')].map((e) => [e.textContent, e.title])`)
	if len(marks) != 1 || marks[0][0] != strconv.Itoa(line) || !strings.Contains(marks[0][1], "moved into thread adder") {
		t.Errorf("the editor marks %q, want line %d marked with the message naming thread adder", marks, line)
	}
	if !strings.Contains(p.result, "moved into thread adder") {
		t.Errorf("result panel = %q, want the message naming thread adder", p.result)
	}
}

// topicMoveIntoThreadCopyTrue is the move-into-thread copy=true subtest of its topic test, on the server at base.
func topicMoveIntoThreadCopyTrue(t *testing.T, ctx context.Context, base string) {
	p := runTopicPage(t, ctx, base+"/s/move-into-thread?copy=true")
	if p.status != "ok" {
		t.Fatalf("status = %q, want ok", p.status)
	}
	if len(p.of("main", "panic")) != 0 || !strings.Contains(p.result, "main changed a list of its own") {
		t.Errorf("result panel = %q, want no panic and main's list changed", p.result)
	}
}

// topicPrintOrder is the print-order subtest of its topic test, on the server at base.
func topicPrintOrder(t *testing.T, ctx context.Context, base string) {
	// Sim, at two seeds: in os mode two runs may well print alike.
	var outputs []string
	for _, seed := range []int{0, 1} {
		p := runTopicPage(t, ctx, fmt.Sprintf("%s/s/print-order?mode=sim&seed=%d", base, seed))
		if p.status != "ok" {
			t.Fatalf("seed %d: status = %q, want ok", seed, p.status)
		}
		for _, name := range []string{"red", "green", "blue"} {
			want := []string{name + " 1", name + " 2", name + " 3"}
			if got := said(p.of(name, "print")); !slices.Equal(got, want) {
				t.Errorf("seed %d: %s's lane prints %q, want %q: its own lines, in order", seed, name, got, want)
			}
			if !inOrder(p.output, want...) {
				t.Errorf("seed %d: output = %q, want %s's lines in their order", seed, p.output, name)
			}
		}
		if n := len(p.of("main", "print")); n != 0 {
			t.Errorf("seed %d: main's lane has %d prints, want them all on the threads' lanes", seed, n)
		}
		outputs = append(outputs, p.output)
	}
	if outputs[0] == outputs[1] {
		t.Errorf("seeds 0 and 1 print the same order %q, want the seed to change it", outputs[0])
	}
}

// TestTopicMessagePassing: one-message's arrow from the send to main's
// received, with main's wait if it asked first; rendezvous's sends each
// ending as main takes the value; message-stream's waits in recv woken
// by each word and ended by the close; bounded-buffer's burst of sends
// and then one waiting send per item taken; many-producers' arrows from
// every producer converging on main, each producer's order kept, the mix
// changing with the seed; worker-pool's jobs over every worker, none
// waiting while a job is queued, the results back out of order.
func TestTopicMessagePassing(t *testing.T) {
	runTopicSteps(t, []topicStep{
		{"one-message", topicOneMessage},
		{"rendezvous", topicRendezvous},
		{"message-stream", topicMessageStream},
		{"bounded-buffer", topicBoundedBuffer},
		{"many-producers", topicManyProducers},
		{"worker-pool", topicWorkerPool},
	})
}

// topicOneMessage is the one-message subtest of its topic test, on the server at base.
func topicOneMessage(t *testing.T, ctx context.Context, base string) {
	p := runTopicPage(t, ctx, base+"/s/one-message")
	if p.status != "ok" {
		t.Fatalf("status = %q, want ok", p.status)
	}
	sent, got, msgs := p.of("sender", "sent"), p.received("main", "ch"), p.arrowsOf("message", "ch")
	if len(sent) != 1 || len(got) != 1 || len(msgs) != 1 ||
		msgs[0].From.Th != p.threads["sender"] || msgs[0].From.Seq != sent[0].Seq || msgs[0].To.Th != p.threads["main"] || msgs[0].To.Seq != got[0].Seq {
		t.Fatalf("sent %+v, received %+v, arrows %+v: want one arrow from the sender's send to main's received", sent, got, msgs)
	}
	// If main got there first (it usually does: the sender sleeps),
	// it waits from its recv to its received.
	if ask := p.of("main", "recv"); len(ask) == 1 && ask[0].Seq < sent[0].Seq {
		if w := p.spanEnding("main", "recv", got[0].Seq); w == nil || w.Seq0 != ask[0].Seq {
			t.Errorf("main asked at seq %d before the send at %d, its recv spans = %+v: want a wait from recv to received", ask[0].Seq, sent[0].Seq, p.spansOf("main", "recv"))
		}
	}
	if !strings.Contains(p.output, "Got: hi") {
		t.Errorf("output = %q, want Got: hi", p.output)
	}
}

// topicRendezvous is the rendezvous subtest of its topic test, on the server at base.
func topicRendezvous(t *testing.T, ctx context.Context, base string) {
	// Sim: the waits' lengths come from the schedule, not the load.
	p := runTopicPage(t, ctx, base+"/s/rendezvous?mode=sim")
	if p.status != "ok" {
		t.Fatalf("status = %q, want ok", p.status)
	}
	if !strings.Contains(p.result, "held: the sender was never more than capacity messages ahead") {
		t.Errorf("result panel = %q, want the check that the sender never got ahead", p.result)
	}
	sent, asks := p.of("sender", "sent"), p.of("main", "recv")
	if len(sent) != 5 || len(asks) < 5 {
		t.Fatalf("%d sent, %d recv: want 5 messages", len(sent), len(asks))
	}
	for i, s := range sent {
		a := p.arrowOf("message", s.Seq)
		if a == nil || a.To.Th != p.threads["main"] {
			t.Errorf("message %d: arrow %+v, want one from the send to main's lane", i, a)
			continue
		}
		got := p.bySeq(a.To.Seq)
		// The send is done only once main is there to take it, and
		// the two lanes line up: sent and received at one moment
		// (a few sim steps apart), not a receiver's pause apart.
		if got == nil || asks[i].Seq > s.Seq || math.Abs(got.T-s.T) > 100e3 {
			t.Errorf("message %d: main's recv at seq %d, sent at seq %d (t %.0f), received %+v: want the send to end when main takes it", i, asks[i].Seq, s.Seq, s.T, got)
			continue
		}
		if w := p.spanEnding("sender", "send", s.Seq); w != nil && during(*w, []pageEvent{*got}) != 1 {
			t.Errorf("message %d: the sender waits in send from seq %d to %d, main receives at %d: want main's take inside the wait", i, w.Seq0, w.Seq1, got.Seq)
		}
	}
	// The receiver is slow: the sender spends most of its life in send.
	waited := 0.0
	for _, w := range p.spansOf("sender", "send") {
		waited += *w.T1 - w.T0
	}
	start, end := p.of("sender", "start"), p.of("sender", "end")
	if len(start) != 1 || len(end) != 1 || waited < (end[0].T-start[0].T)/2 {
		t.Errorf("the sender waited %.0f ns in send, from start %+v to end %+v: want most of its time", waited, start, end)
	}
}

// topicMessageStream is the message-stream subtest of its topic test, on the server at base.
func topicMessageStream(t *testing.T, ctx context.Context, base string) {
	// Sim: in os mode a busy machine can let main arrive after a word
	// was sent, and that wait is gone.
	p := runTopicPage(t, ctx, base+"/s/message-stream?mode=sim")
	if p.status != "ok" {
		t.Fatalf("status = %q, want ok", p.status)
	}
	words := p.received("main", "words")
	if got := said(words); !slices.Equal(got, []string{"hi", "from", "the", "thread"}) {
		t.Fatalf("main received %q, want the four words in order", got)
	}
	for _, w := range words {
		if s := p.spanEnding("main", "recv", w.Seq); s == nil {
			t.Errorf("main's received %q at seq %d ends no wait in recv, want main waiting until it arrives", w.V, w.Seq)
		}
		if a := p.arrowTo("message", w.Seq); a == nil || a.From.Th != p.threads["sender"] {
			t.Errorf("the arrow to main's received %q = %+v, want one from the sender", w.V, a)
		}
	}
	closes := p.of("sender", "close")
	var drained []pageEvent
	for _, e := range p.of("main", "received") {
		if e.V == nil {
			drained = append(drained, e)
		}
	}
	if len(closes) != 1 || len(drained) != 1 || closes[0].Seq > drained[0].Seq || p.spanEnding("main", "recv", drained[0].Seq) == nil {
		t.Errorf("the sender's close %+v, main's last received %+v: want main's loop waiting until the close ends it", closes, drained)
	}
}

// topicBoundedBuffer is the bounded-buffer subtest of its topic test, on the server at base.
func topicBoundedBuffer(t *testing.T, ctx context.Context, base string) {
	// Sim: the burst's length depends on when the consumer starts.
	p := runTopicPage(t, ctx, base+"/s/bounded-buffer?mode=sim")
	if p.status != "ok" {
		t.Fatalf("status = %q, want ok", p.status)
	}
	sent, took := p.of("producer", "sent"), p.received("consumer", "buffer")
	if len(sent) != 10 || len(took) != 10 {
		t.Fatalf("%d sent, %d received, want 10 items", len(sent), len(took))
	}
	burst := 0
	for _, s := range sent {
		if p.spanEnding("producer", "send", s.Seq) != nil {
			break
		}
		burst++
	}
	if burst < 3 {
		t.Errorf("the producer's first %d sends went straight in, want a burst filling the buffer (capacity 3)", burst)
	}
	for _, s := range sent[burst:] {
		w := p.spanEnding("producer", "send", s.Seq)
		if w == nil {
			t.Errorf("the send of %v after the burst did not wait", s.V)
			continue
		}
		if n := during(*w, took); n != 1 {
			t.Errorf("the producer waits in send of %v from seq %d to %d while the consumer takes %d items, want one", s.V, w.Seq0, w.Seq1, n)
		}
	}
}

// topicManyProducers is the many-producers subtest of its topic test, on the server at base.
func topicManyProducers(t *testing.T, ctx context.Context, base string) {
	// Sim, at two seeds: at seed 0 the producers send one after
	// another, at seed 2 their messages mix.
	var outputs []string
	for _, seed := range []int{0, 2} {
		p := runTopicPage(t, ctx, fmt.Sprintf("%s/s/many-producers?mode=sim&seed=%d", base, seed))
		if p.status != "ok" {
			t.Fatalf("seed %d: status = %q, want ok", seed, p.status)
		}
		for i := range 3 {
			name := fmt.Sprintf("producer-%d", i)
			n := 0
			for _, a := range p.arrowsOf("message", "messages") {
				if a.From.Th == p.threads[name] && a.To.Th == p.threads["main"] {
					n++
				}
			}
			if n != 4 {
				t.Errorf("seed %d: %d message arrows from %s's lane to main's, want 4", seed, n, name)
			}
			var lines []string
			for j := range 4 {
				lines = append(lines, fmt.Sprintf("producer %d says %d", i, j))
			}
			if !inOrder(p.output, lines...) {
				t.Errorf("seed %d: output = %q, want producer %d's messages in its own order", seed, p.output, i)
			}
		}
		outputs = append(outputs, p.output)
	}
	if outputs[0] == outputs[1] {
		t.Errorf("seeds 0 and 2 give the same mix %q, want the seed to change it", outputs[0])
	}
}

// topicWorkerPool is the worker-pool subtest of its topic test, on the server at base.
func topicWorkerPool(t *testing.T, ctx context.Context, base string) {
	// Sim: in os mode one worker can take every job on a busy machine.
	p := runTopicPage(t, ctx, base+"/s/worker-pool?mode=sim")
	if p.status != "ok" {
		t.Fatalf("status = %q, want ok", p.status)
	}
	jobs := p.arrowsOf("message", "jobs")
	for i := range 3 {
		name := fmt.Sprintf("worker-%d", i)
		n := 0
		for _, a := range jobs {
			if a.From.Th == p.threads["main"] && a.To.Th == p.threads[name] {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no job arrow from main to %s, want the jobs spread over the workers", name)
		}
		// A free worker takes the next job at once: it never waits
		// in recv while a job is queued.
		for _, w := range p.spansOf(name, "recv") {
			if w.Obj != nil && *w.Obj == "jobs" && p.queued("jobs", w.Seq0) > 0 {
				t.Errorf("%s waits for a job from seq %d with %d queued", name, w.Seq0, p.queued("jobs", w.Seq0))
			}
		}
	}
	var order []int
	for _, e := range p.received("main", "results") {
		var n, sq int
		if _, err := fmt.Sscanf(fmt.Sprint(e.V), "(%d, %d)", &n, &sq); err != nil {
			t.Fatalf("main received %v: %v", e.V, err)
		}
		order = append(order, n)
	}
	if len(order) != 12 || sort.IntsAreSorted(order) {
		t.Errorf("main received the results of jobs %v, want all 12, out of order", order)
	}
}

// arrowOf is the arrow of kind that starts at the event seq, or nil.
func (p topicPage) arrowOf(kind string, seq int) *tlArrow {
	for i, a := range p.arrows {
		if a.Kind == kind && a.From.Seq == seq {
			return &p.arrows[i]
		}
	}
	return nil
}

// bySeq is the event seq, or nil.
func (r topicRun) bySeq(seq int) *pageEvent {
	for i := range r.events {
		if r.events[i].Seq == seq {
			return &r.events[i]
		}
	}
	return nil
}

// queued counts the values sent on a channel and not yet received just
// before seq.
func (r topicRun) queued(obj string, seq int) int {
	n := 0
	for _, e := range r.events {
		switch {
		case e.Seq >= seq || e.Obj != obj:
		case e.K == "sent":
			n++
		case e.K == "received" && e.V != nil:
			n--
		}
	}
	return n
}

// TestTopicFixes: counter-atomic's adds, no two reading the same old
// value, and no wait; lock-across-sleep's staircase (each sleep and
// update inside its lane's hold, the holds one at a time, the other lanes
// waiting, the run about threads × rounds × hold long), and with the
// sleep outside the lock no more than a moment's wait; spin-lock's runs
// of failed cas, as many as each worker says it spun, the counter only
// touched by the lane that holds the lock word. None reports a finding.
func TestTopicFixes(t *testing.T) {
	runTopicSteps(t, []topicStep{
		{"counter-atomic", topicCounterAtomic},
		{"lock-across-sleep", topicLockAcrossSleep},
		{"lock-across-sleep sleep_inside=false", topicLockAcrossSleepSleepInsideFalse},
		{"spin-lock", topicSpinLock},
	})
}

// topicCounterAtomic is the counter-atomic subtest of its topic test, on the server at base.
func topicCounterAtomic(t *testing.T, ctx context.Context, base string) {
	// Not a matter of timing: an atomic add loses nothing in any mode.
	p := runTopicPage(t, ctx, base+"/s/counter-atomic")
	if p.status != "ok" {
		t.Fatalf("status = %q, want ok", p.status)
	}
	old := map[int]bool{}
	for _, e := range p.events {
		if e.K != "add" || e.Obj != "counter" {
			continue
		}
		v, ok := e.V.(float64)
		if !ok || old[int(v)] {
			t.Errorf("the add at seq %d returned %v, already returned by another add", e.Seq, e.V)
		}
		old[int(v)] = true
	}
	if len(old) != 4000 {
		t.Errorf("%d adds with distinct old values, want 4000, one per increment", len(old))
	}
	waits := 0
	for _, s := range p.spans {
		if s.Kind == "wait" {
			waits++
		}
	}
	if waits != 0 {
		t.Errorf("%d waits for a lock on the lanes, want none", waits)
	}
	if p.findings != 0 || !strings.Contains(p.result, "counter = 4000") {
		t.Errorf("%d findings, result panel %q: want none, and counter = 4000", p.findings, p.result)
	}
}

// topicLockAcrossSleep is the lock-across-sleep subtest of its topic test, on the server at base.
func topicLockAcrossSleep(t *testing.T, ctx context.Context, base string) {
	// Sim: the order in which the workers queue is the schedule's.
	p := runTopicPage(t, ctx, base+"/s/lock-across-sleep?mode=sim")
	if p.status != "ok" || p.findings != 0 {
		t.Fatalf("status = %q with %d findings, want ok and none", p.status, p.findings)
	}
	var holds []pageSpan
	waiting := 0
	for i := range 4 {
		name := fmt.Sprintf("worker-%d", i)
		mine := p.spansOf(name, "hold")
		holds = append(holds, mine...)
		for _, s := range p.spansOf(name, "sleep") {
			if !slices.ContainsFunc(mine, func(h pageSpan) bool { return h.T0 <= s.T0 && *s.T1 <= *h.T1 }) {
				t.Errorf("%s sleeps from %.0f to %.0f outside its holds of the lock", name, s.T0, *s.T1)
			}
		}
		for _, e := range p.of(name, "set") {
			if e.Obj == "total" && !slices.ContainsFunc(mine, func(h pageSpan) bool { return during(h, []pageEvent{e}) == 1 }) {
				t.Errorf("%s updates total at seq %d without the lock", name, e.Seq)
			}
		}
		if w := p.spansOf(name, "wait"); len(w) > 0 {
			waiting++
			for _, s := range w {
				if a := p.arrowTo("handoff", s.Seq1); a == nil {
					t.Errorf("%s's wait for the lock ends at seq %d with no handoff from another lane", name, s.Seq1)
				}
			}
		}
	}
	sort.Slice(holds, func(i, j int) bool { return holds[i].T0 < holds[j].T0 })
	for i := 1; i < len(holds); i++ {
		if holds[i].T0 < *holds[i-1].T1 {
			t.Errorf("thread %d takes the lock at %.0f while thread %d holds it until %.0f", holds[i].Th, holds[i].T0, holds[i-1].Th, *holds[i-1].T1)
		}
	}
	if len(holds) != 12 || waiting < 3 {
		t.Errorf("%d holds, %d lanes waiting for the lock: want 12 holds, every lane but the first waiting", len(holds), waiting)
	}
	if end := p.of("main", "end"); len(end) != 1 || end[0].T < 4*3*2e6 {
		t.Errorf("main ends at %+v, want at least threads × rounds × hold_ms = 24 ms", end)
	}
}

// topicLockAcrossSleepSleepInsideFalse is the lock-across-sleep sleep_inside=false subtest of its topic test, on the server at base.
func topicLockAcrossSleepSleepInsideFalse(t *testing.T, ctx context.Context, base string) {
	p := runTopicPage(t, ctx, base+"/s/lock-across-sleep?mode=sim&sleep_inside=false")
	if p.status != "ok" || p.findings != 0 {
		t.Fatalf("status = %q with %d findings, want ok and none", p.status, p.findings)
	}
	// The waits vanish but for a moment: a thread can still ask while
	// another is in its few steps under the lock.
	for _, s := range p.spans {
		if s.Kind == "wait" && *s.T1-s.T0 > 200e3 {
			t.Errorf("thread %d waits for the lock %.0f ns, want at most a moment (no sleep under the lock)", s.Th, *s.T1-s.T0)
		}
	}
	if end := p.of("main", "end"); len(end) != 1 || end[0].T >= 4*3*2e6/2 {
		t.Errorf("main ends at %+v, want about rounds × hold_ms (6 ms), well under 24 ms", end)
	}
}

// topicSpinLock is the spin-lock subtest of its topic test, on the server at base.
func topicSpinLock(t *testing.T, ctx context.Context, base string) {
	// Sim: whether a worker ever finds the lock word taken depends on
	// when the threads run.
	p := runTopicPage(t, ctx, base+"/s/spin-lock?mode=sim")
	if p.status != "ok" || p.findings != 0 {
		t.Fatalf("status = %q with %d findings, want ok and none", p.status, p.findings)
	}
	longest := 0
	for i := range 3 {
		name := fmt.Sprintf("worker-%d", i)
		failed, run := 0, 0
		for _, e := range p.events {
			switch {
			case e.Th != p.threads[name] || e.K == "yield":
			case e.K == "cas" && e.V == false:
				failed++
				run++
				longest = max(longest, run)
			default:
				run = 0
			}
		}
		if !strings.Contains(p.output, fmt.Sprintf("%s spun %d times", name, failed)) {
			t.Errorf("output = %q, want %s spun %d times: the failed cas on its lane", p.output, name, failed)
		}
	}
	if longest < 2 {
		t.Errorf("the longest run of failed cas is %d, want runs of them on the waiting lanes", longest)
	}
	for _, s := range p.spans {
		if s.Kind == "wait" {
			t.Errorf("thread %d waits for a lock from %.0f: want spinning, not sleeping", s.Th, s.T0)
		}
	}
	// Only the lane that swapped 0 for 1 touches the counter, until it
	// stores 0.
	owner := -1
	for _, e := range p.events {
		switch {
		case e.Obj == "lock word" && e.K == "cas" && e.V == true:
			owner = e.Th
		case e.Obj == "lock word" && e.K == "set":
			owner = -1
		case e.Obj == "counter" && e.Th != p.threads["main"] && e.Th != owner:
			t.Errorf("thread %d: %s of the counter at seq %d while thread %d holds the lock word", e.Th, e.K, e.Seq, owner)
		}
	}
}
