package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"interleave/limits"
	"interleave/server"
)

// gauges reads the named gauges from /metrics.
func gauges(t *testing.T, ts *testServer, names ...string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	got := map[string]float64{}
	for _, n := range names {
		if f := families[n]; f != nil {
			got[n] = f.Metric[0].GetGauge().GetValue()
		} else {
			t.Errorf("/metrics lacks %s", n)
		}
	}
	return got
}

// health reads /healthz's numbers.
func health(t *testing.T, ts *testServer) map[string]any {
	t.Helper()
	_, body := get(t, ts.URL+"/healthz")
	var h map[string]any
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatalf("/healthz %s: %v", body, err)
	}
	return h
}

// An interactive run waiting for its person holds no CPU slot: on a
// server with one, another address's Run starts at once; the person's
// pick then waits in the queue for the slot, and is told so.
func TestInteractiveFreesCPUSlot(t *testing.T) {
	ts := startServerWith(t, server.Config{MaxRuns: 1, PerClientRuns: 1, RunsPerMinute: server.Unlimited, TrustProxy: true})
	a, b := dialAs(t, ts, "10.0.0.1"), dialAs(t, ts, "10.0.0.2")
	a.send(interactiveTwoLocks)
	if m := a.untilChoice(func(map[string]any) {}); m["type"] != "choice" {
		t.Fatalf("got %v, want a choice", m)
	}
	b.send(sleeper)
	if m := b.read(); m["type"] != "started" {
		t.Fatalf("a run beside a waiting You schedule run got %v, want started at once", m)
	}
	g := gauges(t, ts, "interleave_runs_running", "interleave_interactive_runs", "interleave_interactive_waiting")
	if g["interleave_runs_running"] != 1 || g["interleave_interactive_runs"] != 1 || g["interleave_interactive_waiting"] != 1 {
		t.Errorf("gauges = %v, want 1 running (the Run), 1 interactive, 1 waiting", g)
	}
	h := health(t, ts)
	if h["interactive"] != float64(1) || h["interactiveWaiting"] != float64(1) || h["maxInteractive"] != float64(server.DefaultMaxInteractive) {
		t.Errorf("/healthz = %v, want interactive 1, interactiveWaiting 1, maxInteractive %d", h, server.DefaultMaxInteractive)
	}
	a.pickTh(0)
	if m := a.read(); m["type"] != "queued" || m["position"] != float64(1) {
		t.Fatalf("a pick while the only slot computes a Run got %v, want queued at 1", m)
	}
	b.send(`{"type":"stop"}`)
	b.until("end")
	if m := a.untilChoice(func(map[string]any) {}); m["type"] != "choice" || m["n"] != float64(1) {
		t.Fatalf("after the slot came free the pick got %v, want the choice at n=1", m)
	}
	a.send(`{"type":"stop"}`)
	if m := a.until("end"); m["result"].(map[string]any)["status"] != "stopped" {
		t.Errorf("stop got %v, want status stopped", m)
	}
	// The end goes out before the run gives its hold back (so that the
	// client's next run starts after it): the counts settle just after.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		h = health(t, ts)
		if (h["interactive"] == float64(0) && h["runs"] == float64(0)) || time.Now().After(deadline) {
			break
		}
	}
	if h["interactive"] != float64(0) || h["runs"] != float64(0) {
		t.Errorf("/healthz after both ended = %v, want no interactive run and no run", h)
	}
}

// The server holds at most MaxInteractive You schedule runs, one per
// address (its per-client runs): more sockets, from one address or
// many, are told busy with a sentence, and a place freed is taken again.
func TestInteractivePlaces(t *testing.T) {
	ts := startServerWith(t, server.Config{MaxRuns: 2, PerClientRuns: 1, RunsPerMinute: server.Unlimited, TrustProxy: true, MaxInteractive: 2})
	open := func(c *wsClient) {
		t.Helper()
		c.send(interactiveTwoLocks)
		if m := c.untilChoice(func(map[string]any) {}); m["type"] != "choice" {
			t.Fatalf("got %v, want a choice", m)
		}
	}
	a1 := dialAs(t, ts, "10.0.0.1")
	open(a1)
	tests := []struct {
		name, addr, want string
	}{
		{"another socket, same address", "10.0.0.1", "Your address has a You schedule run open already"},
		{"a third socket, same address", "10.0.0.1", "finish or stop that one (another tab?) first."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialAs(t, ts, tt.addr)
			c.send(interactiveTwoLocks)
			c.wantError("busy", tt.want)
		})
	}
	b := dialAs(t, ts, "10.0.0.2")
	open(b)
	c := dialAs(t, ts, "10.0.0.3")
	c.send(interactiveTwoLocks)
	c.wantError("busy", "The server is busy: 2 You schedule runs are open, the most it keeps at once.")
	// Plain runs are not held back by the open ones.
	c.send(`{"type":"run","scenario":"two-locks","mode":"sim","seed":1}`)
	if msgs := c.untilEnd(); msgs[len(msgs)-1]["type"] != "end" {
		t.Errorf("a plain run beside two open ones got %v, want an end", msgs[len(msgs)-1])
	}
	a1.send(`{"type":"stop"}`)
	a1.until("end")
	open(c)
	for _, x := range []*wsClient{b, c} {
		x.send(`{"type":"stop"}`)
		x.until("end")
	}
}

// Picks sent in a flood are each answered, by the next choice or by a
// sentence, and the run goes on; picks on another socket reach no run.
func TestInteractivePickFlood(t *testing.T) {
	ts := startServerWith(t, server.Config{MaxRuns: 2, PerClientRuns: 2, RunsPerMinute: server.Unlimited, TrustProxy: true})
	a, other := dialAs(t, ts, "10.0.0.1"), dialAs(t, ts, "10.0.0.1")
	a.send(interactiveTwoLocks)
	if m := a.untilChoice(func(map[string]any) {}); m["type"] != "choice" {
		t.Fatalf("got %v, want a choice", m)
	}
	// Another socket of the same address cannot pick for a's run.
	other.pickTh(0)
	other.wantError("pick", "There is no run waiting for a pick")
	const flood = 200
	for range flood {
		a.pickTh(0) // main, until it waits to join alpha and cannot run
	}
	answered, choices := 0, 0
	for answered < flood {
		m := a.read()
		switch m["type"] {
		case "choice":
			answered++
			choices++
		case "error":
			answered++
			if m["code"] != "pick" {
				t.Errorf("a flooded pick got %v, want an error of code pick", m)
			}
		case "end":
			t.Fatalf("the run ended under a flood of picks: %v", m)
		}
	}
	if choices == 0 || choices == flood {
		t.Errorf("%d of %d flooded picks were taken, want some taken and the rest refused", choices, flood)
	}
	// The run still waits at a choice of its own: a fitting pick goes on.
	a.pickTh(1)
	if m := a.untilChoice(func(map[string]any) {}); m["type"] != "choice" {
		t.Errorf("a pick after the flood got %v, want the next choice", m)
	}
	a.send(`{"type":"stop"}`)
	a.until("end")
}

// slowPrefix spends CPU before its first choice, so that every undo,
// which replays the run from its start, costs that CPU again.
const slowPrefix = `def main():
    x = 0
    for i in range(1000000):
        x += i
    c = cell("c", x)
    def w():
        c.add(1)
        c.add(1)
    a = spawn(w, name = "a")
    b = spawn(w, name = "b")
    a.join()
    b.join()
`

// An undo loop replays the prefix over and over: the run's CPU limit,
// which counts every replay, ends it with a sentence.
func TestInteractiveUndoLoopBounded(t *testing.T) {
	ts := startServerWith(t, server.Config{MaxRuns: 2, PerClientRuns: 2, RunsPerMinute: server.Unlimited,
		Limits: limits.Limits{CPUSeconds: 1}})
	c := dial(t, ts)
	src, _ := json.Marshal(slowPrefix)
	c.send(`{"type":"run","mode":"sim","interactive":true,"source":` + string(src) + `}`)
	m := c.untilChoice(func(map[string]any) {})
	for i := 0; m["type"] != "end"; i++ {
		if i > 200 {
			t.Fatalf("200 undos and the run still goes on, want its CPU limit to end it")
		}
		switch {
		case m["type"] == "error":
			t.Fatalf("the undo loop got %v, want choices until the end", m)
		case m["n"] == float64(0):
			c.pickTh(0) // main spawns a: the choice after it can be undone
		default:
			c.send(`{"type":"undo"}`)
		}
		m = c.untilChoice(func(map[string]any) {})
	}
	res := m["result"].(map[string]any)
	if res["status"] != "limit" || !strings.Contains(res["message"].(string), "CPU") {
		t.Errorf("the undo loop ended with %v: %v, want status limit and a sentence about CPU", res["status"], res["message"])
	}
}
