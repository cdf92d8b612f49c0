package server_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"interleave/sandbox/sandboxtest"
	"interleave/server"
)

// sleeper is a script that runs until stopped.
var sleeper = func() string {
	b, _ := json.Marshal("def main():\n    while True:\n        sleep(5)\n")
	return `{"type":"run","source":` + string(b) + `}`
}()

func (c *wsClient) until(typ string) map[string]any {
	c.t.Helper()
	for {
		m := c.read()
		if m["type"] == typ {
			return m
		}
		if m["type"] == "end" || m["type"] == "error" {
			c.t.Fatalf("got %v while waiting for %s", m, typ)
		}
	}
}

func TestQueuePositionsAndBusy(t *testing.T) {
	ts := startServerWith(t, server.Config{MaxRuns: 1, MaxQueue: 2, PerClientRuns: 1, RunsPerMinute: server.Unlimited, TrustProxy: true})
	running := dialAs(t, ts, "10.0.0.1")
	running.send(sleeper)
	running.until("started")
	second, third := dialAs(t, ts, "10.0.0.2"), dialAs(t, ts, "10.0.0.3")
	second.send(sleeper)
	if m := second.read(); m["type"] != "queued" || m["position"] != float64(1) {
		t.Fatalf("second client got %v, want queued at 1", m)
	}
	third.send(sleeper)
	if m := third.read(); m["type"] != "queued" || m["position"] != float64(2) {
		t.Fatalf("third client got %v, want queued at 2", m)
	}
	fourth := dialAs(t, ts, "10.0.0.4")
	fourth.send(sleeper)
	m := fourth.read()
	if m["type"] != "error" || m["code"] != "busy" || !strings.Contains(m["message"].(string), "busy") {
		t.Fatalf("fourth client with a full queue got %v, want a busy error", m)
	}
	// The second leaves the queue: it gets its end (the page waits for
	// one), and the third moves up.
	second.send(`{"type":"stop"}`)
	if m := second.read(); m["type"] != "end" || m["result"].(map[string]any)["status"] != "stopped" {
		t.Fatalf("the second, stopped while queued, got %v, want an end with status stopped", m)
	}
	if m := third.read(); m["type"] != "queued" || m["position"] != float64(1) {
		t.Fatalf("after the second left, the third got %v, want queued at 1", m)
	}
	running.send(`{"type":"stop"}`)
	running.until("end")
	third.until("started")
	third.send(`{"type":"stop"}`)
	third.until("end")
}

func TestOneRunPerClient(t *testing.T) {
	ts := startServerWith(t, server.Config{MaxRuns: 2, PerClientRuns: 1, RunsPerMinute: server.Unlimited, TrustProxy: true})
	a1, a2 := dialAs(t, ts, "10.0.0.1"), dialAs(t, ts, "10.0.0.1")
	a1.send(sleeper)
	a1.until("started")
	a2.send(sleeper)
	if m := a2.read(); m["type"] != "queued" {
		t.Fatalf("a second run from the same address got %v, want it queued though a slot is free", m)
	}
	b := dialAs(t, ts, "10.0.0.2")
	b.send(sleeper)
	b.until("started") // another address takes the free slot
	// "started" comes just before the child is spawned.
	deadline := time.Now().Add(10 * time.Second)
	for sandboxtest.Children(t, ts.exe) != 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := sandboxtest.Children(t, ts.exe); n != 2 {
		t.Errorf("%d children running, want 2", n)
	}
	a1.send(`{"type":"stop"}`)
	a1.until("end")
	a2.until("started")
	for _, c := range []*wsClient{a2, b} {
		c.send(`{"type":"stop"}`)
		c.until("end")
	}
}

func TestRunRateLimit(t *testing.T) {
	ts := startServerWith(t, server.Config{MaxRuns: 2, PerClientRuns: 2, RunsPerMinute: 20, TrustProxy: true})
	c := dialAs(t, ts, "10.0.0.9")
	quick := `{"type":"run","scenario":"lost-update","mode":"sim","params":{"threads":1,"iterations":1}}`
	limited := false
	for i := 0; i < 10 && !limited; i++ { // the burst is 5
		c.send(quick)
		for {
			m := c.read()
			if m["type"] == "error" && m["code"] == "rate" {
				limited = true
				if !strings.Contains(m["message"].(string), "Too many runs") {
					t.Errorf("rate limit message = %q", m["message"])
				}
				break
			}
			if m["type"] == "end" {
				break
			}
		}
	}
	if !limited {
		t.Fatal("10 quick runs from one address were all allowed, want the rate limit to refuse some")
	}
	other := dialAs(t, ts, "10.0.0.10")
	other.send(quick)
	if m := other.untilEnd(); m[len(m)-1]["type"] != "end" {
		t.Errorf("another address was refused too: %v", m[len(m)-1])
	}
}

func TestShutdownWithRunsInFlight(t *testing.T) {
	ts := startServerWith(t, server.Config{MaxRuns: 2, PerClientRuns: 2, RunsPerMinute: server.Unlimited})
	var clients []*wsClient
	for range 3 {
		c := dial(t, ts)
		c.send(sleeper)
		clients = append(clients, c)
	}
	clients[0].until("started")
	clients[1].until("started")
	clients[2].until("queued")
	ts.stop() // SIGTERM, in effect; the test server's grace is 5 s
	// Sleepers never finish: after the grace they are stopped, each
	// client hears how its run ended, then the socket closes with a reason.
	for i, c := range clients {
		var last map[string]any
		for {
			_ = c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			_, b, err := c.conn.ReadMessage()
			if err != nil {
				var ce *websocket.CloseError
				if !errorsAs(err, &ce) || ce.Code != websocket.CloseGoingAway || !strings.Contains(ce.Text, "shutting down") {
					t.Errorf("client %d: socket ended with %v, want a going-away close naming the shutdown", i, err)
				}
				break
			}
			_ = json.Unmarshal(b, &last)
		}
		switch i {
		case 0, 1:
			if last["type"] != "end" || last["result"].(map[string]any)["status"] != "stopped" {
				t.Errorf("client %d: last message %v, want its run ended as stopped", i, last)
			}
		case 2:
			if last["type"] != "error" || last["code"] != "shutdown" {
				t.Errorf("queued client: last message %v, want a shutdown error", last)
			}
		}
	}
	select {
	case err := <-ts.done:
		if err != nil {
			t.Errorf("Serve() = %v, want nil", err)
		}
		ts.done <- nil // for the cleanup
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
	if n := sandboxtest.Children(t, ts.exe); n != 0 {
		t.Errorf("%d children alive after shutdown, want 0", n)
	}
}

func TestMetricsScrape(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	c.send(`{"type":"run","scenario":"lost-update","params":{"threads":2,"iterations":10}}`)
	c.untilEnd()
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
	for _, name := range []string{
		"interleave_runs_total", "interleave_run_queue_length", "interleave_run_wait_seconds",
		"interleave_run_duration_seconds", "interleave_events_streamed_total", "interleave_websockets_open",
		"interleave_child_start_seconds", "interleave_runs_running", "go_goroutines",
	} {
		if _, ok := families[name]; !ok {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if f := families["interleave_events_streamed_total"]; f != nil && f.Metric[0].GetCounter().GetValue() < 40 {
		t.Errorf("events streamed = %v, want the run's events counted", f.Metric[0].GetCounter().GetValue())
	}
}

func errorsAs(err error, target **websocket.CloseError) bool {
	ce, ok := err.(*websocket.CloseError)
	if ok {
		*target = ce
	}
	return ok
}

// A client that does not read is dropped, not buffered without bound:
// once a write to it blocks for the write deadline, its socket closes and
// its run (and child) is stopped.
func TestSlowReaderDropped(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	// A small receive buffer, so the server's writes block soon.
	if tcp, ok := c.conn.NetConn().(*net.TCPConn); ok {
		_ = tcp.SetReadBuffer(4096)
	}
	flood, _ := json.Marshal("def main():\n    c = cell(\"c\")\n    while True:\n        for i in range(1000):\n            c.get()\n        sleep(1)\n")
	c.send(`{"type":"run","source":` + string(flood) + `}`)
	deadline := time.Now().Add(18 * time.Second)
	for sandboxtest.Children(t, ts.exe) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// Read nothing; the server must give up on us (after its 10 s write
	// deadline) well before the run's own 20 s limit.
	for sandboxtest.Children(t, ts.exe) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the run of a client that reads nothing was still going after 18 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The server has let go of the socket. (Draining what the kernel holds
	// for our tiny receive buffer would take the client a long while.)
	for {
		_, body := get(t, ts.URL+"/healthz")
		if strings.Contains(body, `"sockets":0`) {
			break
		}
		if time.Now().After(deadline.Add(5 * time.Second)) {
			t.Fatalf("the server still holds the socket of a client that reads nothing: %s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A run that makes events faster than its client reads them sheds events
// for that client rather than dropping it: the run ends normally and its
// result counts what was not sent.
func TestFastRunShedsEvents(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	end, received := floodSlowly(t, c, 400000)
	res := end["result"].(map[string]any)
	stats := res["stats"].(map[string]any)
	dropped, total := stats["dropped"].(float64), stats["events"].(float64)
	if res["status"] != "ok" || dropped == 0 || !strings.Contains(res["message"].(string), "were not sent") {
		t.Fatalf("result = %v %q, dropped %v, want ok with shed events counted and named", res["status"], res["message"], dropped)
	}
	if float64(received)+dropped < total {
		t.Errorf("received %d + dropped %v < %v events in all", received, dropped, total)
	}
	// The socket is still usable.
	c.send(`{"type":"run","scenario":"lost-update","params":{"threads":1,"iterations":5}}`)
	if msgs := c.untilEnd(); msgs[len(msgs)-1]["type"] != "end" {
		t.Errorf("next run on the same socket: %v", msgs[len(msgs)-1])
	}
}

// floodSlowly runs a script that reads a cell n times, taking its events
// as a browser busy drawing would, and returns the end message and how
// many events arrived.
func floodSlowly(t *testing.T, c *wsClient, n int) (end map[string]any, received int) {
	t.Helper()
	flood, _ := json.Marshal(fmt.Sprintf("def main():\n    c = cell(\"c\")\n    for i in range(%d):\n        c.get()\n", n))
	c.send(`{"type":"run","source":` + string(flood) + `}`)
	for end == nil {
		m := c.read()
		switch m["type"] {
		case "events":
			received += len(m["events"].([]any))
			time.Sleep(2 * time.Millisecond)
		case "end":
			end = m
		case "error":
			t.Fatalf("got %v, want the run to end", m)
		}
	}
	return end, received
}

// A run replaced by the client's next run while it waited for a slot
// still gets its end, before anything of the next: the page counts the
// ends of the runs it replaced to know which messages are whose.
func TestQueuedRunReplacedGetsItsEnd(t *testing.T) {
	ts := startServerWith(t, server.Config{MaxRuns: 1, MaxQueue: 4, PerClientRuns: 1, RunsPerMinute: server.Unlimited, TrustProxy: true})
	running := dialAs(t, ts, "10.0.0.1")
	running.send(sleeper)
	running.until("started")
	waiting := dialAs(t, ts, "10.0.0.2")
	waiting.send(sleeper)
	if m := waiting.read(); m["type"] != "queued" {
		t.Fatalf("second client got %v, want queued", m)
	}
	waiting.send(sleeper)
	if m := waiting.read(); m["type"] != "end" || m["result"].(map[string]any)["status"] != "stopped" {
		t.Fatalf("the replaced queued run got %v, want an end with status stopped", m)
	}
	if m := waiting.read(); m["type"] != "queued" || m["position"] != float64(1) {
		t.Fatalf("the next run got %v, want queued at 1", m)
	}
	running.send(`{"type":"stop"}`)
	running.until("end")
	waiting.until("started")
	waiting.send(`{"type":"stop"}`)
	waiting.until("end")
}
