package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"interleave/limits"
	"interleave/sandbox"
	"interleave/sandbox/sandboxtest"
	"interleave/scenarios"
	"interleave/server"
)

// twoLocksDeadlock are the picks, by choice n, that deadlock two-locks:
// main spawns both, alpha takes first, beta takes second, each then
// reaches for the other's lock.
var twoLocksDeadlock = []int{0, 0, 1, 2, 1, 2, 1}

const interactiveTwoLocks = `{"type":"run","scenario":"two-locks","mode":"sim","interactive":true}`

// session is what an interactive run sent, message by message.
type session struct {
	choices []map[string]any
	events  [][]any // events since the last restart, up to each choice
	cur     []any
	msgs    []map[string]any
}

func (s *session) record(m map[string]any) {
	s.msgs = append(s.msgs, m)
	switch m["type"] {
	case "events":
		s.cur = append(s.cur, m["events"].([]any)...)
	case "restart":
		s.cur = nil
	case "choice":
		s.choices = append(s.choices, m)
		s.events = append(s.events, append([]any(nil), s.cur...))
	}
}

// pickTh sends a pick of thread th.
func (c *wsClient) pickTh(th int) { c.send(`{"type":"pick","th":` + itoa(th) + `}`) }

// wantError reads the next message, which must be an error of code with
// text in its message.
func (c *wsClient) wantError(code, text string) {
	c.t.Helper()
	m := c.read()
	if m["type"] != "error" || m["code"] != code || !strings.Contains(m["message"].(string), text) {
		c.t.Errorf("got %v, want an error of code %q saying %q", m, code, text)
	}
}

func TestInteractiveRun(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	s := &session{}
	c.send(interactiveTwoLocks)
	m := c.untilChoice(s.record)
	undone := false
	for m["type"] == "choice" {
		n := int(m["n"].(float64))
		if n == 3 && !undone {
			// Undo once: a restart, then the choice before again; then a
			// different pick there than the one undone would have been.
			undone = true
			c.send(`{"type":"undo"}`)
			m = c.untilChoice(s.record)
			if m["type"] != "choice" || m["n"] != float64(2) {
				t.Fatalf("after undo at n=3 got %v, want the choice at n=2", m)
			}
			c.pickTh(2) // beta starts first this time
			m = c.untilChoice(s.record)
			continue
		}
		c.pickTh(twoLocksDeadlock[n])
		m = c.untilChoice(s.record)
	}
	res := m["result"].(map[string]any)
	if m["type"] != "end" || res["status"] != "deadlock" {
		t.Fatalf("the run ended with %v, want end with status deadlock", m)
	}
	restarts := 0
	for _, msg := range s.msgs {
		if msg["type"] == "restart" {
			restarts++
			if msg["schedule"] != "0*2" {
				t.Errorf("restart schedule = %v, want 0*2", msg["schedule"])
			}
		}
		if msg["type"] == "started" && msg["interactive"] != true {
			t.Errorf("started = %v, want interactive true", msg)
		}
	}
	if restarts != 1 || !strings.HasPrefix(res["schedule"].(string), "0*2.2") {
		t.Errorf("%d restarts, result schedule %v, want 1 and a schedule from 0*2.2", restarts, res["schedule"])
	}
	checkReplays(t, ts, s)
}

// checkReplays checks that the schedule of every choice replays, in a
// plain sim run, to the events sent before that choice.
func checkReplays(t *testing.T, ts *testServer, s *session) {
	t.Helper()
	c := dial(t, ts)
	for i, ch := range s.choices {
		sched, _ := json.Marshal(ch["schedule"])
		c.send(`{"type":"run","scenario":"two-locks","mode":"sim","schedule":` + string(sched) + `}`)
		var evs []any
		for _, m := range c.untilEnd() {
			if m["type"] == "events" {
				evs = append(evs, m["events"].([]any)...)
			}
		}
		want := s.events[i]
		if len(evs) < len(want) || !reflect.DeepEqual(evs[:len(want)], want) {
			t.Errorf("choice %d: a plain run of schedule %s does not begin with the %d events sent before the choice", i, sched, len(want))
		}
	}
}

func TestInteractiveBadPicks(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	c.send(`{"type":"pick","th":1}`)
	c.wantError("pick", "There is no run waiting for a pick: press You schedule to start one.")
	c.send(`{"type":"undo"}`)
	c.wantError("pick", "There is no run waiting for a pick")
	c.send(`{"type":"run","scenario":"two-locks","mode":"os","interactive":true}`)
	c.wantError("interactive", "Only sim mode runs can be scheduled by hand")

	s := &session{}
	c.send(interactiveTwoLocks)
	if m := c.untilChoice(s.record); m["type"] != "choice" || m["n"] != float64(0) {
		t.Fatalf("got %v, want the first choice", m)
	}
	c.send(`{"type":"undo"}`)
	c.wantError("pick", "There is nothing to undo yet.")
	c.pickTh(2) // beta has not been spawned yet
	c.wantError("pick", "thread 2 cannot run now: it is not among the runnable threads.")
	c.pickTh(0)
	c.send(`{"type":"pick","th":0}`) // before the next choice came
	// Its refusal is decided before the next choice is asked, but may
	// reach the socket after it: skip it once, wherever it comes.
	early := false
	next := func() map[string]any {
		for {
			m := c.untilChoice(s.record)
			if msg, _ := m["message"].(string); m["type"] == "error" && !early && strings.Contains(msg, "still on its way") {
				early = true
				continue
			}
			return m
		}
	}
	m := next()
	for m["type"] == "choice" {
		n := int(m["n"].(float64))
		if n == 2 {
			c.pickTh(0) // main waits to join alpha: it cannot run
			c.wantError("pick", "main cannot run now")
		}
		c.pickTh(twoLocksDeadlock[n])
		m = next()
	}
	if res, _ := m["result"].(map[string]any); m["type"] != "end" || res["status"] != "deadlock" {
		t.Fatalf("after bad picks the run ended with %v, want end with status deadlock", m)
	}
}

func TestInteractiveIdle(t *testing.T) {
	ts := startServerWith(t, server.Config{MaxRuns: 2, PerClientRuns: 2, RunsPerMinute: server.Unlimited, PickTimeout: 300 * time.Millisecond})
	c := dial(t, ts)
	s := &session{}
	c.send(interactiveTwoLocks)
	if m := c.untilChoice(s.record); m["type"] != "choice" {
		t.Fatalf("got %v, want a choice", m)
	}
	msgs := c.untilEnd()
	res, _ := msgs[len(msgs)-1]["result"].(map[string]any)
	want := "stopped: no pick for 300ms; the run waited for you and was ended."
	if res == nil || res["status"] != "stopped" || res["message"] != want {
		t.Errorf("a run nobody picks for ended with %v, want stopped, %q", res, want)
	}
	// The socket stays usable.
	c.send(`{"type":"run","scenario":"two-locks","mode":"sim","seed":1}`)
	if msgs := c.untilEnd(); msgs[len(msgs)-1]["type"] != "end" {
		t.Errorf("the next run got %v, want an end", msgs[len(msgs)-1])
	}
}

func TestInteractiveCloseKillsChild(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	c.send(interactiveTwoLocks)
	if m := c.untilChoice(func(map[string]any) {}); m["type"] != "choice" {
		t.Fatalf("got %v, want a choice", m)
	}
	if n := sandboxtest.Children(t, ts.exe); n == 0 {
		t.Fatal("no child alive while a choice waits, want one")
	}
	c.conn.Close()
	// The server notices the close when its read fails, at once on
	// loopback; the child is killed and reaped before the handler ends.
	deadline := time.Now().Add(10 * time.Second)
	for sandboxtest.Children(t, ts.exe) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d children alive 10 s after the socket closed, want 0", sandboxtest.Children(t, ts.exe))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// onlyRuns is a runner that cannot carry picks, as the cluster's client.
type onlyRuns struct{ server.Runner }

func TestInteractiveRefusedWithoutScheduler(t *testing.T) {
	exe := sandboxtest.Binary(t)
	runner, err := sandbox.New(sandbox.Config{Exe: exe, Limits: limits.Limits{Wall: 20 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	url, stop := serveRunner(t, server.Config{}, onlyRuns{runner})
	c := dial(t, &testServer{URL: url})
	defer func() {
		c.conn.Close()
		stop()
	}()
	c.send(interactiveTwoLocks)
	c.wantError("interactive", "cannot wait for your picks")
	c.send(`{"type":"run","scenario":"two-locks","mode":"sim","seed":1}`) // plain runs still work
	if msgs := c.untilEnd(); msgs[len(msgs)-1]["type"] != "end" {
		t.Errorf("a plain run got %v, want an end", msgs[len(msgs)-1])
	}
}

// serveRunner serves a server over runner on a loopback port; stop shuts
// it down (its sockets closed first) and waits.
func serveRunner(tb testing.TB, cfg server.Config, runner server.Runner) (url string, stop func()) {
	tb.Helper()
	cat, err := scenarios.Builtin()
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := server.New(cfg, cat, runner)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, time.Second) }()
	return "http://" + ln.Addr().String(), func() {
		cancel()
		<-done
	}
}
