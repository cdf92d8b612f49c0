package server_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The browser tests of three topics of the course (scenarios/lib/
// course.txt): each runs a topic's scenarios as a class would, in their
// default mode unless the notes speak of another, and checks the thing
// their notes tell the class to look for, as the page has it.

// pageEvent is one event as the page's model holds it.
type pageEvent struct {
	Seq int     `json:"seq"`
	T   float64 `json:"t"`
	Th  int     `json:"th"`
	K   string  `json:"k"`
	Obj string  `json:"obj"`
	V   any     `json:"v"`
	Ver *int    `json:"ver"`
}

// pageSpan is a span as window.interleave.timeline shows it.
type pageSpan struct {
	Th         int      `json:"th"`
	Kind       string   `json:"kind"`
	Obj        *string  `json:"obj"`
	T0         float64  `json:"t0"`
	T1         *float64 `json:"t1"`
	Seq1       int      `json:"seq1"`
	Unfinished bool     `json:"unfinished"`
	Cycle      bool     `json:"cycle"`
}

// topicRun is what a test reads from the page after a run.
type topicRun struct {
	status  string
	events  []pageEvent
	spans   []pageSpan
	threads map[string]int // name -> id
	result  string         // the result panel's text
}

// runTopic runs one scenario's page and reads what it drew.
func runTopic(t *testing.T, ctx context.Context, url string) topicRun {
	t.Helper()
	r := topicRun{status: runPage(t, ctx, url)}
	r.events = evaluate[[]pageEvent](t, ctx, `window.interleave.model.events.map((e) => ({seq: e.seq, t: e.t, th: e.th, k: e.k, obj: e.obj ?? "", v: e.v ?? null, ver: e.ver ?? null}))`)
	r.spans = evaluate[[]pageSpan](t, ctx, `window.interleave.timeline.spans`)
	r.threads = evaluate[map[string]int](t, ctx, `Object.fromEntries(window.interleave.timeline.lanes.map((l) => [l.name, l.thread]))`)
	r.result = text(t, ctx, `[data-testid="result-panel"]`)
	return r
}

// of lists the events of kind k on the named thread's lane.
func (r topicRun) of(name, k string) []pageEvent {
	var out []pageEvent
	for _, e := range r.events {
		if e.K == k && e.Th == r.threads[name] {
			out = append(out, e)
		}
	}
	return out
}

// spansOf lists the spans of kind k on the named thread's lane.
func (r topicRun) spansOf(name, kind string) []pageSpan {
	var out []pageSpan
	for _, s := range r.spans {
		if s.Kind == kind && s.Th == r.threads[name] {
			out = append(out, s)
		}
	}
	return out
}

// TestTopicLivelockAndStarvation: polite-livelock's lanes repeat acquire,
// a failed trylock, unlock; starvation's polite lane waits in lock while
// the greedy one relocks, and the output counts the polite thread's turns.
func TestTopicLivelockAndStarvation(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 800)

	t.Run("polite-livelock", func(t *testing.T) {
		r := runTopic(t, ctx, ts.URL+"/s/polite-livelock")
		if r.status != "failed" && r.status != "ok" {
			t.Fatalf("status = %q, want failed (or ok when the machine's load put them out of step)", r.status)
		}
		for _, name := range []string{"left", "right"} {
			failed := 0
			for _, e := range r.of(name, "trylock") {
				if e.V == false && r.unlocksAfter(name, e.Seq) {
					failed++
				}
			}
			if failed < 2 {
				t.Errorf("%s's lane: %d failed trylocks followed by an unlock, want the pattern repeated", name, failed)
			}
		}
		if legend := text(t, ctx, ".legend"); !strings.Contains(legend, "trylock") {
			t.Errorf("legend = %q, want the trylock mark explained", legend)
		}
	})

	t.Run("starvation", func(t *testing.T) {
		r := runTopic(t, ctx, ts.URL+"/s/starvation")
		if r.status != "failed" {
			t.Fatalf("status = %q, want failed", r.status)
		}
		m := regexp.MustCompile(`the polite thread got (\d+) of 20 turns`).FindStringSubmatch(r.result)
		if m == nil {
			t.Fatalf("result panel = %q, want the output counting the polite thread's turns", r.result)
		}
		if n, _ := strconv.Atoi(m[1]); n >= 20 {
			t.Errorf("the polite thread got %d of 20 turns in a failed run, want fewer", n)
		}
		// The longest wait of the polite lane in lock, and the greedy
		// lane's holds that began during it.
		longest := pageSpan{}
		for _, s := range r.spansOf("polite", "wait") {
			if s.T1 != nil && (longest.T1 == nil || *s.T1-s.T0 > *longest.T1-longest.T0) {
				longest = s
			}
		}
		if longest.T1 == nil {
			t.Fatal("the polite lane has no wait in lock")
		}
		relocks := 0
		for _, h := range r.spansOf("greedy", "hold") {
			if h.T0 > longest.T0 && h.T0 < *longest.T1 {
				relocks++
			}
		}
		if relocks < 3 {
			t.Errorf("the greedy lane took the lock %d times while the polite one waited, want again and again", relocks)
		}
	})
}

// unlocksAfter says whether the named thread's next lock event after seq
// is an unlock: the polite thread lets its own lock go.
func (r topicRun) unlocksAfter(name string, seq int) bool {
	for _, e := range r.events {
		if e.Seq > seq && e.Th == r.threads[name] && (e.K == "unlock" || e.K == "lock" || e.K == "acquired" || e.K == "trylock") {
			return e.K == "unlock"
		}
	}
	return false
}
