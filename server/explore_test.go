package server_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"interleave/limits"
	"interleave/sandbox"
	"interleave/sandbox/sandboxtest"
	"interleave/server"
)

// untilExplored reads messages up to and including "explored" (or an
// error or a refusal's end), returning them all.
func (c *wsClient) untilExplored() []map[string]any {
	c.t.Helper()
	var msgs []map[string]any
	for {
		m := c.read()
		msgs = append(msgs, m)
		switch m["type"] {
		case "explored", "error", "end":
			return msgs
		}
	}
}

// finalValues lists the counter values of an explored message's outcomes.
func finalValues(t *testing.T, explored map[string]any) []float64 {
	t.Helper()
	var vals []float64
	outcomes, _ := explored["outcomes"].([]any)
	for _, o := range outcomes {
		for _, c := range o.(map[string]any)["cells"].([]any) {
			if c := c.(map[string]any); c["name"] == "counter" {
				vals = append(vals, c["value"].(float64))
			}
		}
	}
	slices.Sort(vals)
	return vals
}

func TestWebSocketExplore(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	c.send(`{"type":"explore","scenario":"lost-update","params":{"threads":2,"iterations":2},"strategy":"dfs","preemptions":20}`)
	msgs := c.untilExplored()
	if msgs[0]["type"] != "started" || msgs[0]["mode"] != "sim" {
		t.Errorf("first message = %v, want started in sim mode", msgs[0])
	}
	last := msgs[len(msgs)-1]
	if last["type"] != "explored" {
		t.Fatalf("last message = %v, want explored", last)
	}
	if got := finalValues(t, last); !slices.Equal(got, []float64{2, 3, 4}) || last["complete"] != true {
		t.Errorf("explored lost-update 2x2: counter values %v, complete %v; want [2 3 4], complete", got, last["complete"])
	}
}

// A long exploration streams progress; a stop ends it with what it found.
func TestWebSocketExploreStop(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	c.send(`{"type":"explore","scenario":"lost-update","params":{"threads":3,"iterations":10},"strategy":"dfs","budget":1000000,"preemptions":20}`)
	var prog map[string]any
	for m := c.read(); ; m = c.read() {
		if m["type"] == "progress" {
			prog = m
			break
		}
		if m["type"] != "started" && m["type"] != "queued" {
			t.Fatalf("got %v before any progress, want progress", m)
		}
	}
	c.send(`{"type":"stop"}`)
	msgs := c.untilExplored()
	last := msgs[len(msgs)-1]
	if last["type"] != "explored" || last["stopped"] != "stop" || last["complete"] != false {
		t.Fatalf("after stop: %v, want explored, stopped by stop, not complete", last)
	}
	// Runs only grow; the counted schedules step back once when dfs
	// restarts a bound from the root (lost-update 3 x 10 does, early).
	if got, before := last["runs"].(float64), prog["runs"].(float64); got < before || last["schedules"].(float64) == 0 || len(last["outcomes"].([]any)) == 0 {
		t.Errorf("stopped exploration has %v runs, %v schedules and %d outcomes, want at least the %v runs of its progress, a schedule and an outcome",
			got, last["schedules"], len(last["outcomes"].([]any)), before)
	}
}

func TestWebSocketExploreRefused(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	for _, tt := range []struct {
		name, msg string
		want      []string
	}{
		{"budget", `"budget":-1`, []string{"Budget", "1 to 1000000", "-1"}},
		{"budget too big", `"budget":2000000`, []string{"Budget", "1 to 1000000", "2000000"}},
		{"preemptions", `"preemptions":21`, []string{"Preemptions", "0 to 20", "21"}},
		{"depth", `"strategy":"pct","depth":11`, []string{"Depth", "1 to 10", "11"}},
		{"strategy", `"strategy":"bfs"`, []string{"bfs", "dfs, pct, random or repeat"}},
		{"mode", `"strategy":"dfs","mode":"os"`, []string{"sim"}},
		{"repeat in sim", `"strategy":"repeat","mode":"sim"`, []string{"real threads"}},
		{"budget not a number", `"budget":"many"`, []string{`"budget"`, "whole number"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c.send(`{"type":"explore","scenario":"lost-update",` + tt.msg + `}`)
			m := c.read()
			msg, _ := m["message"].(string)
			if m["type"] != "error" {
				t.Fatalf("explore with %s = %v, want an error", tt.msg, m)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("explore with %s: error %q, want it to name %q", tt.msg, msg, w)
				}
			}
		})
	}
	// The socket is still usable.
	c.send(`{"type":"explore","scenario":"check-then-act","strategy":"dfs","until_failure":true}`)
	msgs := c.untilExplored()
	if last := msgs[len(msgs)-1]; last["type"] != "explored" || last["stopped"] != "failure" {
		t.Errorf("explore until a failure = %v, want explored, stopped at a failure", last)
	}
}

// A server whose runner cannot explore says so, and still runs.
func TestExploreRefusedWithoutExplorer(t *testing.T) {
	runner, err := sandbox.New(sandbox.Config{Exe: sandboxtest.Binary(t), Limits: limits.Limits{Wall: 20 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	url, stop := serveRunner(t, server.Config{}, onlyRuns{runner})
	c := dial(t, &testServer{URL: url})
	defer func() {
		c.conn.Close()
		stop()
	}()
	c.send(`{"type":"explore","scenario":"lost-update","strategy":"dfs"}`)
	if m := c.read(); m["type"] != "error" || !strings.Contains(fmt.Sprint(m["message"]), "cannot explore scripts") {
		t.Errorf("explore on a runner that cannot: %v, want an error saying the server cannot explore scripts", m)
	}
	c.send(`{"type":"run","scenario":"two-locks","mode":"sim","seed":1}`)
	if msgs := c.untilEnd(); msgs[len(msgs)-1]["type"] != "end" {
		t.Errorf("a plain run got %v, want an end", msgs[len(msgs)-1])
	}
}
