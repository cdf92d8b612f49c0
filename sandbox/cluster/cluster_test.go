package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	natsserver "github.com/nats-io/nats-server/v2/server"

	"interleave/sandbox"
	"interleave/sandbox/cluster"
	"interleave/sandbox/engine"
	"interleave/sandbox/sandboxtest"
	"interleave/sandbox/trace"
	"interleave/scenarios"
	"interleave/server"
)

// startNATS starts an embedded NATS server with JetStream kept in dir, on
// port (-1 for any free one).
func startNATS(t testing.TB, dir string, port int) *natsserver.Server {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true,
	})
	if err != nil {
		t.Fatalf("new nats server: %v", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(20 * time.Second) {
		t.Fatal("nats server not ready in 20 s")
	}
	return ns
}

func testLog() *slog.Logger {
	var to io.Writer = io.Discard
	if os.Getenv("INTERLEAVE_TEST_LOG") != "" {
		to = os.Stderr
	}
	return slog.New(slog.NewTextHandler(to, nil))
}

// syncBuffer is a runner's stderr, read while the runner writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if os.Getenv("INTERLEAVE_TEST_LOG") != "" {
		os.Stderr.Write(p)
	}
	return s.b.Write(p)
}

func (s *syncBuffer) count(sub string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), sub)
}

// runnerProc is a runner process of the real binary.
type runnerProc struct {
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

func startRunner(t testing.TB, url string, slots int) *runnerProc {
	t.Helper()
	return startRunnerEnv(t, url, slots)
}

// startRunnerEnv starts a runner with env added to its environment.
func startRunnerEnv(t testing.TB, url string, slots int, env ...string) *runnerProc {
	t.Helper()
	// A long wall clock, so that only a stop ends a run that spins.
	cmd := exec.Command(sandboxtest.Binary(t), "runner", "-nats", url, "-max-runs", fmt.Sprint(slots), "-timeout", "60s")
	cmd.Env = append(os.Environ(), env...)
	r := &runnerProc{cmd: cmd, log: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = r.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start runner: %v", err)
	}
	go func() {
		_ = cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-r.done
		}
	})
	return r
}

// startWeb starts a server whose runner is a cluster client, and returns
// its base URL and the client.
func startWeb(t *testing.T, url string) (string, *cluster.Client) {
	t.Helper()
	return startWebWith(t, cluster.Options{URL: url})
}

func startWebWith(t *testing.T, o cluster.Options) (string, *cluster.Client) {
	t.Helper()
	client, err := cluster.NewClient(o, testLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	return serveWeb(t, server.Config{Health: map[string]any{"cluster": client}, Collectors: client.Collectors()}, client), client
}

// serveWeb serves a test server over runner, with cfg's health, metrics
// and pick timeout, and returns its base URL.
func serveWeb(t testing.TB, cfg server.Config, runner server.Runner) string {
	t.Helper()
	cat, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxRuns == 0 {
		cfg.MaxRuns = 16
	}
	cfg.PerClientRuns, cfg.PerClientQueue, cfg.RunsPerMinute, cfg.Logger = 16, 64, -1, testLog()
	srv := server.New(cfg, cat, runner)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, 5*time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve() = %v, want nil after shutdown", err)
		}
	})
	return "http://" + ln.Addr().String()
}

type wsClient struct {
	t    testing.TB
	conn *websocket.Conn
}

func dial(t testing.TB, base string) *wsClient {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws", http.Header{"Origin": {base}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	resp.Body.Close()
	t.Cleanup(func() { conn.Close() })
	return &wsClient{t: t, conn: conn}
}

func (c *wsClient) send(msg string) {
	c.t.Helper()
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// read returns the next message; it fails the test only after a minute,
// which no healthy run comes near.
func (c *wsClient) read() map[string]any {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(time.Minute))
	_, b, err := c.conn.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatalf("read: %s is not JSON: %v", b, err)
	}
	return m
}

// until reads up to the first message of type typ (or an error message).
func (c *wsClient) until(typ string) map[string]any {
	c.t.Helper()
	for {
		m := c.read()
		if m["type"] == typ || m["type"] == "error" {
			return m
		}
	}
}

func runMsg(src string) string {
	b, _ := json.Marshal(map[string]any{"type": "run", "source": src, "mode": "os"})
	return string(b)
}

const (
	tinyScript = "def main():\n    c = cell(\"x\")\n    c.add(1)\n"
	spinScript = "def main():\n    c = cell(\"spin\")\n    while True:\n        c.add(1)\n"
)

func status(t testing.TB, end map[string]any) string {
	t.Helper()
	res, _ := end["result"].(map[string]any)
	if end["type"] != "end" || res == nil {
		t.Fatalf("last message = %v, want end with a result", end)
	}
	return fmt.Sprint(res["status"])
}

// waitFor polls cond; the long bound only keeps a broken test from
// hanging, it asserts nothing about speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runnerChildren counts the sandbox children of a runner process.
func runnerChildren(pid int) int {
	ents, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	spawners := map[int]bool{}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndex(st, []byte(") ")) // the command name may hold spaces
		if i < 0 {
			continue
		}
		var state string
		var ppid int
		if _, err := fmt.Sscan(string(st[i+2:]), &state, &ppid); err != nil || state == "Z" {
			continue
		}
		parent[p] = ppid
		if cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil {
			args := bytes.Split(cmdline, []byte{0})
			spawners[p] = len(args) > 1 && string(args[1]) == sandbox.SpawnerArg
		}
	}
	// A runner's children are started by its spawner.
	n := 0
	for p, pp := range parent {
		if spawners[p] {
			continue
		}
		if pp == pid || (spawners[pp] && parent[pp] == pid) {
			n++
		}
	}
	return n
}

func TestCluster(t *testing.T) {
	dir := t.TempDir()
	ns := startNATS(t, dir, -1)
	port := ns.Addr().(*net.TCPAddr).Port
	t.Cleanup(func() { ns.Shutdown() })
	url := ns.ClientURL()
	runners := []*runnerProc{startRunner(t, url, 2), startRunner(t, url, 2)}
	base, client := startWeb(t, url)
	waitFor(t, "two runners seen", func() bool { h := client.Health(); return h.Ready && h.Runners == 2 })

	t.Run("hundred runs", func(t *testing.T) { testHundredRuns(t, base, runners) })

	t.Run("stop reaches the runner", func(t *testing.T) { testStopReaches(t, base, runners) })

	t.Run("killed runner", func(t *testing.T) { testKilledRunner(t, base, runners) })

	t.Run("nats restart", func(t *testing.T) {
		testRestart(t, &ns, dir, port, client, runners)
	})
}

// testHundredRuns sends 100 runs over four sockets: each ends ok, both
// runners take some, and /healthz and /metrics show the cluster.
func testHundredRuns(t *testing.T, base string, runners []*runnerProc) {
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for range 4 {
		c := dial(t, base)
		wg.Go(func() {
			for range 25 {
				c.send(runMsg(tinyScript))
				if m := c.until("end"); m["type"] != "end" {
					errs <- fmt.Sprint(m)
					continue
				} else if st := fmt.Sprint(m["result"].(map[string]any)["status"]); st != "ok" {
					errs <- st + ": " + fmt.Sprint(m["result"].(map[string]any)["message"])
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("run did not succeed: %s", e)
	}
	for i, r := range runners {
		if n := r.log.count("run ended"); n == 0 {
			t.Errorf("runner %d ran none of the 100 runs", i)
		}
	}
	_, body := get(t, base+"/healthz")
	if !strings.Contains(body, `"runners":2`) || !strings.Contains(body, `"free_slots"`) {
		t.Errorf("/healthz = %s, want the cluster with 2 runners", body)
	}
	_, body = get(t, base+"/metrics")
	if !strings.Contains(body, "interleave_cluster_runners 2") || !strings.Contains(body, "interleave_cluster_queue_length") {
		t.Errorf("/metrics lacks the cluster's gauges")
	}
}

// testStopReaches checks that a stop on the web server ends the run on
// its runner, whose child goes.
func testStopReaches(t *testing.T, base string, runners []*runnerProc) {
	c := dial(t, base)
	c.send(runMsg(spinScript))
	c.until("events")
	var r *runnerProc
	waitFor(t, "a runner with a running child", func() bool {
		for _, rp := range runners {
			if runnerChildren(rp.cmd.Process.Pid) > 2 { // two warm ones and the run's
				r = rp
				return true
			}
		}
		return false
	})
	c.send(`{"type":"stop"}`)
	if st := status(t, c.until("end")); st != "stopped" {
		t.Errorf("status after stop = %s, want stopped", st)
	}
	waitFor(t, "the stopped run's child gone", func() bool { return runnerChildren(r.cmd.Process.Pid) <= 2 })
}

// testKilledRunner kills the runner under a run: the run ends in an
// error with its partial timeline, and the other runner takes the next.
func testKilledRunner(t *testing.T, base string, runners []*runnerProc) {
	before := []int{runners[0].log.count("run started"), runners[1].log.count("run started")}
	c := dial(t, base)
	c.send(runMsg(spinScript))
	c.until("events")
	victim := -1
	waitFor(t, "the runner that took the run", func() bool {
		for i, r := range runners {
			if r.log.count("run started") > before[i] {
				victim = i
				return true
			}
		}
		return false
	})
	if err := runners[victim].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	end := c.until("end")
	if st := status(t, end); st != "error" {
		t.Fatalf("status after the runner was killed = %s, want error", st)
	}
	res := end["result"].(map[string]any)
	if msg := fmt.Sprint(res["message"]); !strings.Contains(msg, "runner stopped") {
		t.Errorf("message = %q, want it to say the runner stopped", msg)
	}
	if n := res["stats"].(map[string]any)["events"].(float64); n == 0 {
		t.Errorf("result counts no events, want the partial timeline's")
	}
	other := runners[1-victim]
	n0 := other.log.count("run ended")
	for range 4 {
		c.send(runMsg(tinyScript))
		if st := status(t, c.until("end")); st != "ok" {
			t.Errorf("run after the kill: status %s, want ok", st)
		}
	}
	// The runner logs a run's end after it has sent it: the count may
	// lag the client's end by a moment.
	waitFor(t, "the surviving runner's log of the four runs", func() bool { return other.log.count("run ended") >= n0+4 })
}

// testRestart stops the runners, queues runs, restarts NATS while they
// wait in the queue, starts a runner, and checks that every run the queue
// had accepted still ends well.
func testRestart(t *testing.T, ns **natsserver.Server, dir string, port int, client *cluster.Client, runners []*runnerProc) {
	for _, r := range runners {
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		<-r.done
	}
	const runs = 20
	var wg sync.WaitGroup
	results := make([]*trace.Result, runs)
	errs := make([]error, runs)
	for i := range runs {
		wg.Go(func() {
			results[i], errs[i] = client.Run(context.Background(), engine.Request{Scenario: "script", Source: tinyScript, Mode: trace.ModeOS}, nil)
		})
	}
	waitFor(t, "every run waiting in the queue", func() bool { return client.Health().Queue == runs })
	(*ns).Shutdown()
	(*ns).WaitForShutdown()
	*ns = startNATS(t, dir, port)
	startRunner(t, (*ns).ClientURL(), 2)
	wg.Wait()
	for i := range runs {
		if errs[i] != nil || results[i].Status != trace.StatusOK {
			t.Errorf("run %d after the restart: status %s (%s), error %v, want ok", i, results[i].Status, results[i].Message, errs[i])
		}
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A server whose NATS cannot be reached answers busy with a sentence at
// once rather than leaving the student waiting.
func TestUnreachableNATSIsBusy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "nats://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	base, client := startWeb(t, url)
	res, err := client.Run(context.Background(), tinyReq, nil)
	var u *cluster.UnavailableError
	if !errors.As(err, &u) || u.Unavailable() == "" {
		t.Fatalf("Run() error = %v, want an *UnavailableError with a sentence", err)
	}
	if res == nil || res.Status != trace.StatusError {
		t.Errorf("Run() result = %v, want one with status error", res)
	}
	c := dial(t, base)
	c.send(runMsg(tinyScript))
	m := c.until("end")
	if m["type"] != "error" || m["code"] != "busy" || !strings.Contains(fmt.Sprint(m["message"]), "runners cannot be reached") {
		t.Errorf("answer = %v, want error busy saying the runners cannot be reached", m)
	}
	if h := client.Health(); h.Connected {
		t.Errorf("Health().Connected = true with no NATS")
	}
}
