package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"interleave/limits"
	"interleave/sandbox/trace"
)

// collect runs req and returns its result and a copy of every event.
func collect(t testing.TB, req Request) (*trace.Result, []trace.Event) {
	t.Helper()
	var evs []trace.Event
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := Run(ctx, req, func(b []trace.Event) { evs = append(evs, b...) })
	checkSeq(t, evs)
	return res, evs
}

// checkSeq verifies that events arrive in sequence order without gaps.
func checkSeq(t testing.TB, evs []trace.Event) {
	t.Helper()
	for i, e := range evs {
		if e.Seq != uint64(i) {
			t.Fatalf("event %d has seq %d, want %d", i, e.Seq, i)
		}
	}
}

// lib reads a built-in scenario.
func lib(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "lib", name))
	if err != nil {
		t.Fatalf("read scenario: %v", err)
	}
	return string(b)
}

// mainOf wraps a body as a main function.
func mainOf(body string) string { return "def main():\n" + body }

func countKind(evs []trace.Event, k trace.Kind) int {
	n := 0
	for _, e := range evs {
		if e.K == k {
			n++
		}
	}
	return n
}

var allModes = []trace.Mode{trace.ModeOS, trace.ModeGreen, trace.ModeSim}

// runCase is one script run in one or more modes.
type runCase struct {
	name   string
	src    string
	modes  []trace.Mode // all modes when empty
	params map[string]any
	limits limits.Limits
	want   trace.Status
	msg    string // a substring of the result's message
	check  func(t *testing.T, res *trace.Result, evs []trace.Event)
}

func runCases(t *testing.T, cases []runCase) {
	t.Helper()
	for _, c := range cases {
		modes := c.modes
		if len(modes) == 0 {
			modes = allModes
		}
		for _, mode := range modes {
			t.Run(c.name+"/"+string(mode), func(t *testing.T) {
				res, evs := collect(t, Request{Scenario: c.name, Source: c.src, Mode: mode, Params: c.params, Seed: 7, Limits: c.limits})
				if res.Status != c.want {
					t.Fatalf("Run(%q) = %v (%s), want %v", c.name, res.Status, res.Message, c.want)
				}
				if !strings.Contains(res.Message, c.msg) {
					t.Errorf("Run(%q) message = %q, want it to contain %q", c.name, res.Message, c.msg)
				}
				if c.check != nil {
					c.check(t, res, evs)
				}
			})
		}
	}
}

// kinds lists the kinds of one thread's events, in order.
func kinds(evs []trace.Event, th int) []string {
	var out []string
	for _, e := range evs {
		if e.Th == th {
			out = append(out, e.K.String())
		}
	}
	return out
}

// find returns the first event of kind k (and obj, if not empty).
func find(evs []trace.Event, k trace.Kind, obj string) (trace.Event, bool) {
	for _, e := range evs {
		if e.K == k && (obj == "" || e.Obj == obj) {
			return e, true
		}
	}
	return trace.Event{}, false
}
