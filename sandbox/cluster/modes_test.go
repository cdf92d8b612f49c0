package cluster_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"interleave/limits"
	"interleave/sandbox"
	"interleave/sandbox/cluster"
	"interleave/sandbox/sandboxtest"
	"interleave/server"
)

const (
	exploreLostUpdate = `{"type":"explore","scenario":"lost-update","params":{"threads":2,"iterations":2},"strategy":"dfs","preemptions":20}`
	exploreLong       = `{"type":"explore","scenario":"lost-update","params":{"threads":3,"iterations":10},"strategy":"dfs","budget":1000000,"preemptions":20}`
	interactiveLocks  = `{"type":"run","scenario":"two-locks","mode":"sim","interactive":true}`
)

// twoLocksDeadlock are the picks, by choice n, that deadlock two-locks:
// main spawns both, alpha takes first, beta takes second, each then
// reaches for the other's lock.
var twoLocksDeadlock = []int{0, 0, 1, 2, 1, 2, 1}

// localWeb serves a server over an in-process sandbox: the comparator.
func localWeb(t *testing.T) string {
	t.Helper()
	sb, err := sandbox.New(sandbox.Config{Exe: sandboxtest.Binary(t), Limits: limits.Limits{Wall: time.Minute}, Warm: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	return serveWeb(t, server.Config{}, sb)
}

// untilAny reads up to the first message of one of types, or an error.
func (c *wsClient) untilAny(types ...string) map[string]any {
	c.t.Helper()
	for {
		m := c.read()
		if slices.Contains(types, fmt.Sprint(m["type"])) || m["type"] == "error" {
			return m
		}
	}
}

// outcomeSet is an explored message's outcomes as status and final
// counter, with their counts, and whether it is complete.
func outcomeSet(t *testing.T, m map[string]any) (set []string, complete bool) {
	t.Helper()
	if m["type"] != "explored" {
		t.Fatalf("got %v, want explored", m)
	}
	for _, o := range m["outcomes"].([]any) {
		o := o.(map[string]any)
		for _, c := range o["cells"].([]any) {
			if c := c.(map[string]any); c["name"] == "counter" {
				set = append(set, fmt.Sprintf("%v counter=%v x%v", o["status"], c["value"], o["count"]))
			}
		}
	}
	slices.Sort(set)
	return set, m["complete"] == true
}

func TestClusterExploreAndSchedule(t *testing.T) {
	ns := startNATS(t, t.TempDir(), -1)
	t.Cleanup(ns.Shutdown)
	url := ns.ClientURL()
	runners := []*runnerProc{startRunner(t, url, 2), startRunner(t, url, 2)}
	base, client := startWeb(t, url)
	waitFor(t, "two runners seen", func() bool { h := client.Health(); return h.Ready && h.Runners == 2 })

	t.Run("explore as in process", func(t *testing.T) {
		local := dial(t, localWeb(t))
		local.send(exploreLostUpdate)
		want, wantComplete := outcomeSet(t, local.untilAny("explored"))
		c := dial(t, base)
		c.send(exploreLostUpdate)
		got, complete := outcomeSet(t, c.untilAny("explored"))
		if !reflect.DeepEqual(got, want) || complete != wantComplete {
			t.Errorf("explored through the cluster: %v, complete %v; in process: %v, complete %v", got, complete, want, wantComplete)
		}
		var finals []string
		for _, o := range got {
			finals = append(finals, strings.Fields(o)[1])
		}
		if !slices.Equal(slices.Compact(finals), []string{"counter=2", "counter=3", "counter=4"}) || !complete {
			t.Errorf("explored lost-update 2x2: %v, complete %v; want counters 2, 3 and 4, complete", got, complete)
		}
	})

	t.Run("explore stop", func(t *testing.T) { testExploreStop(t, base, client) })
	t.Run("schedule with undo", func(t *testing.T) { testScheduleUndo(t, base) })
	t.Run("idle timeout", func(t *testing.T) {
		c := dial(t, serveWeb(t, server.Config{PickTimeout: 300 * time.Millisecond}, client))
		c.send(interactiveLocks)
		if m := c.untilAny("choice"); m["type"] != "choice" {
			t.Fatalf("got %v, want the first choice", m)
		}
		end := c.until("end")
		msg := fmt.Sprint(end["result"].(map[string]any)["message"])
		if st := status(t, end); st != "stopped" || !strings.Contains(msg, "no pick for 300ms") {
			t.Errorf("an unanswered choice ended %s %q, want stopped saying no pick for 300ms", st, msg)
		}
	})
	t.Run("a choice holds no slot", func(t *testing.T) {
		web := serveWeb(t, server.Config{MaxRuns: 1}, client)
		a, b := dial(t, web), dial(t, web)
		a.send(interactiveLocks)
		if m := a.untilAny("choice"); m["type"] != "choice" {
			t.Fatalf("got %v, want the first choice", m)
		}
		b.send(runMsg(tinyScript)) // the one slot is free while a waits
		if st := status(t, b.until("end")); st != "ok" {
			t.Errorf("a run beside a waiting choice: %s, want ok", st)
		}
		a.send(`{"type":"pick","th":0}`)
		if m := a.untilAny("choice"); m["type"] != "choice" {
			t.Errorf("after a pick got %v, want the next choice", m)
		}
	})
	t.Run("killed runners", func(t *testing.T) {
		victim := testScheduleKilledRunner(t, base, runners)
		testExploreKilledRunner(t, base, runners[1-victim])
	})
}

// testExploreStop stops a long exploration on its runner, which reports
// what it found; while it runs it holds one runner slot.
func testExploreStop(t *testing.T, base string, client interface{ Health() cluster.Health }) {
	c := dial(t, base)
	c.send(exploreLong)
	prog := c.untilAny("progress")
	if prog["type"] != "progress" {
		t.Fatalf("got %v, want progress", prog)
	}
	waitFor(t, "one slot of four taken", func() bool { h := client.Health(); return h.Slots == 4 && h.FreeSlots == 3 })
	c.send(`{"type":"stop"}`)
	last := c.untilAny("explored")
	if last["type"] != "explored" || last["stopped"] != "stop" || last["complete"] != false {
		t.Fatalf("after stop: %v, want explored, stopped by stop, not complete", last)
	}
	if got, before := last["runs"].(float64), prog["runs"].(float64); got < before || len(last["outcomes"].([]any)) == 0 {
		t.Errorf("stopped exploration has %v runs and %d outcomes, want at least the %v runs of its progress and an outcome",
			got, len(last["outcomes"].([]any)), before)
	}
}

// testScheduleUndo deadlocks two-locks by picks through the cluster,
// with an undo at the fourth choice.
func testScheduleUndo(t *testing.T, base string) {
	c := dial(t, base)
	c.send(interactiveLocks)
	var restarts []any
	undone := false
	m := c.untilAny("choice", "end")
	for m["type"] == "choice" {
		n := int(m["n"].(float64))
		switch {
		case n == 3 && !undone:
			undone = true
			c.send(`{"type":"undo"}`)
			if r := c.untilAny("restart"); r["type"] == "restart" {
				restarts = append(restarts, r["schedule"])
			}
			if m = c.untilAny("choice", "end"); m["type"] != "choice" || m["n"] != float64(2) {
				t.Fatalf("after undo at n=3 got %v, want the choice at n=2", m)
			}
			c.send(`{"type":"pick","th":2}`) // beta starts first this time
		case n == 0:
			c.send(`{"type":"pick","th":7}`) // not a thread of the run: refused, the choice stays
			if e := c.read(); e["type"] != "error" || e["code"] != "pick" || !strings.Contains(fmt.Sprint(e["message"]), "cannot run now") {
				t.Errorf("a pick of thread 7 got %v, want a pick error saying it cannot run now", e)
			}
			fallthrough
		default:
			c.send(fmt.Sprintf(`{"type":"pick","th":%d}`, twoLocksDeadlock[n]))
		}
		m = c.untilAny("choice", "end")
	}
	res, _ := m["result"].(map[string]any)
	if m["type"] != "end" || res["status"] != "deadlock" {
		t.Fatalf("the run ended with %v, want end with status deadlock", m)
	}
	if !reflect.DeepEqual(restarts, []any{"0*2"}) || !strings.HasPrefix(fmt.Sprint(res["schedule"]), "0*2.2") {
		t.Errorf("restarts %v, result schedule %v; want one restart at 0*2 and a schedule from 0*2.2", restarts, res["schedule"])
	}
}

// testScheduleKilledRunner kills the runner of an interactive run that
// waits for a pick: the run ends with status error, saying so, and its
// events.
func testScheduleKilledRunner(t *testing.T, base string, runners []*runnerProc) (victim int) {
	before := []int{runners[0].log.count("run started"), runners[1].log.count("run started")}
	c := dial(t, base)
	c.send(interactiveLocks)
	if m := c.untilAny("choice"); m["type"] != "choice" {
		t.Fatalf("got %v, want the first choice", m)
	}
	c.send(`{"type":"pick","th":0}`)
	if m := c.untilAny("choice"); m["type"] != "choice" {
		t.Fatalf("got %v, want the second choice", m)
	}
	victim = slices.IndexFunc(runners, func(r *runnerProc) bool {
		return r.log.count("run started") > before[slices.Index(runners, r)]
	})
	if victim < 0 {
		t.Fatal("no runner logged the interactive run's start")
	}
	if err := runners[victim].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	end := c.until("end")
	t.Logf("the run ended %v after its runner was killed", time.Since(killed).Round(time.Millisecond))
	res := end["result"].(map[string]any)
	if st, msg := status(t, end), fmt.Sprint(res["message"]); st != "error" || !strings.Contains(msg, "runner stopped") {
		t.Errorf("after the runner was killed: %s %q, want error saying the runner stopped", st, msg)
	}
	if n := res["stats"].(map[string]any)["events"].(float64); n == 0 {
		t.Errorf("result counts no events, want the partial timeline's")
	}
	return victim
}

// testExploreKilledRunner kills the runner of an exploration: the page
// gets an error that says what happened.
func testExploreKilledRunner(t *testing.T, base string, r *runnerProc) {
	c := dial(t, base)
	c.send(exploreLong)
	if m := c.untilAny("progress"); m["type"] != "progress" {
		t.Fatalf("got %v, want progress", m)
	}
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	m := c.untilAny("explored")
	t.Logf("the exploration ended %v after its runner was killed", time.Since(killed).Round(time.Millisecond))
	if m["type"] != "error" || !strings.Contains(fmt.Sprint(m["message"]), "runner exploring your script stopped") {
		t.Errorf("after the runner was killed: %v, want an error saying the runner exploring the script stopped", m)
	}
}

// deployConfig writes the NATS configuration of docs/deploy.md to a file
// and returns its path.
func deployConfig(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(doc), "## A NATS configuration")
	_, block, _ := strings.Cut(after, "```\n")
	conf, _, ok := strings.Cut(block, "```")
	if !ok || !strings.Contains(conf, "permissions") {
		t.Fatalf("docs/deploy.md has no NATS configuration with permissions under its heading")
	}
	path := filepath.Join(t.TempDir(), "nats.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The subject permissions that docs/deploy.md gives the web servers and
// the runners let every kind of run through: a plain run, an
// exploration and an interactive run with picks and an undo.
func TestDeployPermissions(t *testing.T) {
	t.Setenv("WEB_PASSWORD", "web-secret")
	t.Setenv("RUNNER_PASSWORD", "runner-secret")
	opts, err := natsserver.ProcessConfigFile(deployConfig(t))
	if err != nil {
		t.Fatalf("the NATS configuration of docs/deploy.md: %v", err)
	}
	opts.Host, opts.Port, opts.StoreDir, opts.NoLog, opts.NoSigs = "127.0.0.1", -1, t.TempDir(), true, true
	ns, err := natsserver.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(20 * time.Second) {
		t.Fatal("nats server not ready in 20 s")
	}
	t.Cleanup(ns.Shutdown)
	url := ns.ClientURL()
	client, err := cluster.NewClient(cluster.Options{URL: url, User: "web", Password: "web-secret"}, testLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	// A short pick timeout, so that picks that never reach the runner
	// end the run rather than hang the test.
	base := serveWeb(t, server.Config{PickTimeout: 10 * time.Second}, client)
	startRunnerEnv(t, url, 1, "INTERLEAVE_NATS_USER=runner", "INTERLEAVE_NATS_PASSWORD=runner-secret")
	waitFor(t, "the runner seen", func() bool { h := client.Health(); return h.Ready && h.Runners == 1 })
	c := dial(t, base)
	c.send(runMsg(tinyScript))
	if st := status(t, c.until("end")); st != "ok" {
		t.Errorf("a plain run under the deploy permissions: %s, want ok", st)
	}
	c.send(exploreLostUpdate)
	if set, complete := outcomeSet(t, c.untilAny("explored")); len(set) == 0 || !complete {
		t.Errorf("an exploration under the deploy permissions: %v, complete %v; want outcomes, complete", set, complete)
	}
	testScheduleUndo(t, base)
}
