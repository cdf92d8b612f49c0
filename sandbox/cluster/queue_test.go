package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"interleave/sandbox/cluster"
)

// position reads a run's messages up to its first queue position; a run
// that starts or ends first fails the test.
func (c *wsClient) position() int {
	c.t.Helper()
	m := c.read()
	if m["type"] != "queued" {
		c.t.Fatalf("message = %v, want queued with a position", m)
	}
	return int(m["position"].(float64))
}

// stopRun stops the socket's spinning run and checks that it ends stopped.
func (c *wsClient) stopRun() {
	c.t.Helper()
	c.send(`{"type":"stop"}`)
	if st := status(c.t, c.until("end")); st != "stopped" {
		c.t.Errorf("status after stop = %s, want stopped", st)
	}
}

// queueOf opens the work queue's stream from the test's own connection.
func queueOf(t *testing.T, url string) (*nats.Conn, jetstream.Stream) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := cluster.EnsureQueue(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	return nc, st
}

func queued(t *testing.T, st jetstream.Stream) uint64 {
	t.Helper()
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	return info.State.Msgs
}

// idleScript runs until it is stopped, with a few events a second: a
// test may leave its socket unread for a while.
const idleScript = "def main():\n    while True:\n        sleep(100)\n"

// Two servers share one runner with one slot: the runs waiting behind
// the running one hear their true places in the shared line, whichever
// server they came through, and start in the order they were queued.
func TestQueuePositions(t *testing.T) {
	ns := startNATS(t, t.TempDir(), -1)
	t.Cleanup(ns.Shutdown)
	url := ns.ClientURL()
	startRunner(t, url, 1)
	baseA, clientA := startWeb(t, url)
	baseB, clientB := startWeb(t, url)
	waitFor(t, "the runner seen by both servers", func() bool {
		a, b := clientA.Health(), clientB.Health()
		return a.Ready && a.Runners == 1 && b.Ready && b.Runners == 1
	})

	first := dial(t, baseA)
	first.send(runMsg(idleScript))
	if m := first.until("started"); m["type"] != "started" {
		t.Fatalf("first run: %v, want started (the slot is free)", m)
	}
	first.until("events")
	second := dial(t, baseB)
	second.send(runMsg(idleScript))
	if pos := second.position(); pos != 1 {
		t.Errorf("second run's position = %d, want 1", pos)
	}
	third := dial(t, baseA)
	third.send(runMsg(idleScript))
	if pos := third.position(); pos != 2 {
		t.Errorf("third run's position = %d, want 2", pos)
	}

	first.stopRun()
	if m := second.until("started"); m["type"] != "started" {
		t.Fatalf("second run after the first stopped: %v, want started", m)
	}
	if pos := third.position(); pos != 1 {
		t.Errorf("third run's position once the second started = %d, want 1", pos)
	}
	second.until("events")
	second.stopRun()
	if m := third.until("started"); m["type"] != "started" {
		t.Fatalf("third run after the second stopped: %v, want started", m)
	}
	third.until("events")
	third.stopRun()
}

// A run no runner takes before its deadline ends with busy and a
// sentence, and leaves the queue; a message past its deadline that a
// runner takes anyway is dropped without starting.
func TestQueueDeadline(t *testing.T) {
	ns := startNATS(t, t.TempDir(), -1)
	t.Cleanup(ns.Shutdown)
	url := ns.ClientURL()
	base, client := startWebWith(t, cluster.Options{URL: url, QueueWait: time.Second})
	nc, st := queueOf(t, url)
	waitFor(t, "the server's queue set up", func() bool { return client.Health().Ready })

	c := dial(t, base)
	c.send(runMsg(tinyScript))
	if pos := c.position(); pos != 1 {
		t.Errorf("position with no runner = %d, want 1", pos)
	}
	m := c.until("end")
	want := "No runner took the run in 1 s: no runner is up right now."
	if m["type"] != "error" || m["code"] != "busy" || !strings.Contains(fmt.Sprint(m["message"]), want) {
		t.Fatalf("answer after the deadline = %v, want error busy saying %q", m, want)
	}
	if n := queued(t, st); n != 0 {
		t.Errorf("runs in the queue after the deadline = %d, want 0", n)
	}

	// A message whose deletion did not happen (its server was cut off
	// then): a runner must drop it, never ask to start it.
	asked := make(chan struct{}, 1)
	sub, err := nc.Subscribe("interleave.run.late.ev", func(m *nats.Msg) {
		asked <- struct{}{}
		_ = m.Respond([]byte("ok"))
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	late, _ := json.Marshal(map[string]any{"id": "late", "req": tinyReq, "deadline": time.Now().Add(-time.Second)})
	if err := nc.Publish(cluster.SubjectRuns, late); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the late run in the queue", func() bool { return queued(t, st) == 1 })
	r := startRunner(t, url, 1)
	waitFor(t, "the runner dropping the late run", func() bool { return r.log.count("past its deadline") == 1 })
	waitFor(t, "the late run out of the queue", func() bool { return queued(t, st) == 0 })
	select {
	case <-asked:
		t.Errorf("the runner asked to start a run past its deadline")
	default:
	}
	if n := r.log.count("run started"); n != 0 {
		t.Errorf("runner started %d runs, want none", n)
	}

	// With the only slot held, the answer says the runners were busy.
	holder := dial(t, base)
	holder.send(runMsg(idleScript))
	holder.until("events")
	c.send(runMsg(tinyScript))
	m = c.until("end")
	want = "No runner took the run in 1 s: every runner was busy all that time."
	if m["type"] != "error" || m["code"] != "busy" || !strings.Contains(fmt.Sprint(m["message"]), want) {
		t.Errorf("answer with the runner busy = %v, want error busy saying %q", m, want)
	}
	holder.stopRun()
}

// A run that vanishes from the queue before any runner took it (here an
// operator purges the stream) ends with busy at once, not at its deadline.
func TestQueueLostRun(t *testing.T) {
	ns := startNATS(t, t.TempDir(), -1)
	t.Cleanup(ns.Shutdown)
	url := ns.ClientURL()
	base, client := startWeb(t, url)
	_, st := queueOf(t, url)
	waitFor(t, "the server's queue set up", func() bool { return client.Health().Ready })
	c := dial(t, base)
	c.send(runMsg(tinyScript))
	c.position()
	if err := st.Purge(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := c.until("end")
	if m["type"] != "error" || m["code"] != "busy" || !strings.Contains(fmt.Sprint(m["message"]), "lost from the runners' queue") {
		t.Errorf("answer after the purge = %v, want error busy saying the run was lost", m)
	}
}

// /healthz is 503 with a sentence while NATS is down or no runner is
// heard, and ok again once the connection comes back by itself.
func TestClusterHealth(t *testing.T) {
	dir := t.TempDir()
	ns := startNATS(t, dir, -1)
	port := ns.Addr().(*net.TCPAddr).Port
	t.Cleanup(func() { ns.Shutdown() })
	r := startRunner(t, ns.ClientURL(), 1)
	base, _ := startWeb(t, ns.ClientURL())
	healthy := func() bool { code, _ := get(t, base+"/healthz"); return code == 200 }
	waitFor(t, "a healthy cluster", healthy)
	_, metrics := get(t, base+"/metrics")
	for _, g := range []string{"interleave_cluster_healthy 1", "interleave_cluster_connected 1", "interleave_cluster_runners 1", "interleave_cluster_free_slots 1", "interleave_cluster_queue_length 0"} {
		if !strings.Contains(metrics, g+"\n") {
			t.Errorf("/metrics lacks %q", g)
		}
	}

	ns.Shutdown()
	ns.WaitForShutdown()
	unhealthy(t, base, "not connected to NATS")
	if _, metrics := get(t, base+"/metrics"); !strings.Contains(metrics, "interleave_cluster_connected 0\n") || !strings.Contains(metrics, "interleave_cluster_healthy 0\n") {
		t.Errorf("/metrics during the outage lacks interleave_cluster_connected 0 and interleave_cluster_healthy 0")
	}

	ns = startNATS(t, dir, port)
	waitFor(t, "healthy again after NATS came back", healthy)
	c := dial(t, base)
	c.send(runMsg(tinyScript))
	if st := status(t, c.until("end")); st != "ok" {
		t.Errorf("run after NATS came back: status %s, want ok", st)
	}

	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	<-r.done
	unhealthy(t, base, "No runner has announced itself")
}

// unhealthy waits for /healthz to answer 503 and checks its sentence.
func unhealthy(t *testing.T, base, reason string) {
	t.Helper()
	var body string
	waitFor(t, "/healthz to answer 503", func() bool {
		var code int
		code, body = get(t, base+"/healthz")
		return code == 503
	})
	var h map[string]any
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatalf("/healthz = %s: %v", body, err)
	}
	if h["status"] != "unhealthy" || !strings.Contains(fmt.Sprint(h["reason"]), reason) {
		t.Errorf("/healthz = %s, want status unhealthy with a reason saying %q", body, reason)
	}
}
