// Command load drives concurrent WebSocket clients through real runs
// against an Interleave server and reports throughput, errors, latency
// percentiles and the server's peak memory.
//
//	go run ./bench/load -bin ./interleave -clients 100 -duration 60s
//
// With -bin it starts its own server (with -trust-proxy, so that each
// client gets an address of its own through X-Forwarded-For, as students
// on their own machines would); with -url it drives a running one.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Config is one load run.
type Config struct {
	URL      string        // ws://host:port/ws
	Clients  int           // concurrent clients, each running one run after another
	Idle     int           // extra sockets opened and held idle
	Duration time.Duration // how long clients keep starting runs
	Run      string        // the run message each client sends
	PID      int           // server process to watch for peak RSS, 0 for none
	Think    time.Duration // mean pause between a client's runs (uniform 0..2x), as a student watches
}

// Report is what a load run measured.
type Report struct {
	Runs           int64
	Failed         int64 // runs that ended in error, limit, timeout or stopped, or were refused
	Errors         map[string]int64
	Queued         int64 // runs that waited with a queue position
	Wall           time.Duration
	FirstEvent     []time.Duration
	Result         []time.Duration
	PeakRSSKiB     int64
	IdleHeld       int
	ClientsStarted int
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// String formats the report for people.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "runs: %d in %s (%.1f runs/s), failed: %d\n", r.Runs, r.Wall.Round(time.Millisecond), float64(r.Runs)/r.Wall.Seconds(), r.Failed)
	for k, v := range r.Errors {
		fmt.Fprintf(&b, "  %s: %d\n", k, v)
	}
	fmt.Fprintf(&b, "queued with a position: %d\n", r.Queued)
	fmt.Fprintf(&b, "time to first event: p50 %s, p99 %s\n", percentile(r.FirstEvent, .5).Round(time.Microsecond), percentile(r.FirstEvent, .99).Round(time.Microsecond))
	fmt.Fprintf(&b, "time to result:      p50 %s, p99 %s\n", percentile(r.Result, .5).Round(time.Microsecond), percentile(r.Result, .99).Round(time.Microsecond))
	if r.IdleHeld > 0 {
		fmt.Fprintf(&b, "idle sockets held: %d\n", r.IdleHeld)
	}
	if r.PeakRSSKiB > 0 {
		fmt.Fprintf(&b, "server peak RSS: %.1f MiB\n", float64(r.PeakRSSKiB)/1024)
	}
	return b.String()
}

// Load runs cfg and returns what it measured.
func Load(ctx context.Context, cfg Config) (*Report, error) {
	origin := "http://" + strings.TrimPrefix(strings.TrimPrefix(cfg.URL, "ws://"), "wss://")
	l := &loader{ctx: ctx, cfg: cfg, rep: &Report{Errors: map[string]int64{}}, origin: origin[:strings.Index(origin[7:], "/")+7]}
	stopWatch := l.watchRSS()

	var idle []*websocket.Conn
	for i := range cfg.Idle {
		c, err := l.dial(fmt.Sprintf("10.1.%d.%d", i/250, i%250+1))
		if err != nil {
			l.fail("idle dial: " + err.Error())
			break
		}
		idle = append(idle, c)
	}
	l.rep.IdleHeld = len(idle)

	start := time.Now()
	deadline := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	for i := range cfg.Clients {
		wg.Go(func() { l.client(i, deadline) })
	}
	wg.Wait()
	l.rep.Wall = time.Since(start)
	// The idle sockets must still be open after all of that.
	for _, c := range idle {
		_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if err := c.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second)); err != nil {
			l.fail("idle socket lost: " + err.Error())
		}
		c.Close()
	}
	l.rep.PeakRSSKiB = stopWatch()
	return l.rep, nil
}

// loader is the state of one Load call.
type loader struct {
	ctx    context.Context
	cfg    Config
	origin string
	mu     sync.Mutex // guards rep
	rep    *Report
}

func (l *loader) fail(why string) {
	l.mu.Lock()
	l.rep.Errors[why]++
	l.rep.Failed++
	l.mu.Unlock()
}

// dial opens a socket that the server sees as coming from addr.
func (l *loader) dial(addr string) (*websocket.Conn, error) {
	h := http.Header{"Origin": {l.origin}, "X-Forwarded-For": {addr}}
	c, resp, err := websocket.DefaultDialer.DialContext(l.ctx, l.cfg.URL, h)
	if resp != nil {
		resp.Body.Close()
	}
	return c, err
}

// watchRSS samples the server's resident memory until the function it
// returns is called, which returns the peak in KiB (0 without a PID).
func (l *loader) watchRSS() (stop func() int64) {
	var peak atomic.Int64
	if l.cfg.PID <= 0 {
		return peak.Load
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if kib := rssKiB(l.cfg.PID); kib > peak.Load() {
				peak.Store(kib)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() int64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// client is the i-th client: it runs, one after another, until deadline.
func (l *loader) client(i int, deadline time.Time) {
	conn, err := l.dial(fmt.Sprintf("10.0.%d.%d", i/250, i%250+1))
	if err != nil {
		l.fail("dial: " + err.Error())
		return
	}
	defer conn.Close()
	l.mu.Lock()
	l.rep.ClientsStarted++
	l.mu.Unlock()
	for time.Now().Before(deadline) && l.ctx.Err() == nil {
		if l.cfg.Think > 0 {
			time.Sleep(rand.N(2 * l.cfg.Think))
		}
		first, result, queued, status, err := oneRun(conn, l.cfg.Run)
		l.mu.Lock()
		l.rep.Runs++
		if queued {
			l.rep.Queued++
		}
		l.mu.Unlock()
		if err != nil {
			l.fail(err.Error())
			if strings.HasPrefix(err.Error(), "socket") {
				return
			}
			if strings.Contains(err.Error(), "(busy)") {
				// As a person would: wait a moment before trying again.
				time.Sleep(time.Second)
			}
			continue
		}
		switch status {
		case "ok", "failed", "deadlock", "panic":
		default:
			l.fail("status " + status)
		}
		l.mu.Lock()
		if first > 0 {
			l.rep.FirstEvent = append(l.rep.FirstEvent, first)
		}
		l.rep.Result = append(l.rep.Result, result)
		l.mu.Unlock()
	}
}

// oneRun sends a run and reads until its end.
func oneRun(conn *websocket.Conn, run string) (first, result time.Duration, queued bool, status string, err error) {
	start := time.Now()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(run)); err != nil {
		return 0, 0, false, "", fmt.Errorf("socket write: %w", err)
	}
	for {
		_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second))
		_, b, err := conn.ReadMessage()
		if err != nil {
			return first, 0, queued, "", fmt.Errorf("socket read: %w", err)
		}
		var m struct {
			Type    string `json:"type"`
			Code    string `json:"code"`
			Message string `json:"message"`
			Result  struct {
				Status string `json:"status"`
			} `json:"result"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return first, 0, queued, "", fmt.Errorf("bad message: %w", err)
		}
		switch m.Type {
		case "queued":
			queued = true
		case "events":
			if first == 0 {
				first = time.Since(start)
			}
		case "end":
			return first, time.Since(start), queued, m.Result.Status, nil
		case "error":
			if m.Code == "busy" {
				return first, 0, queued, "", fmt.Errorf("server error (busy): the queue was full")
			}
			return first, 0, queued, "", fmt.Errorf("server error (%s): %s", m.Code, m.Message)
		}
	}
}

// rssKiB reads a process's resident set size.
func rssKiB(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// startServer starts bin serve on a free loopback port with limits fit
// for load: every client address its own, no per-address rate limit.
func startServer(bin string, extra []string, logs bool) (*exec.Cmd, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	args := append([]string{"serve", "-addr", addr, "-trust-proxy", "-run-rate", "0"}, extra...)
	cmd := exec.Command(bin, args...)
	if logs {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	for range 200 {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			return cmd, "ws://" + addr + "/ws", nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	return nil, "", fmt.Errorf("server at %s did not come up", addr)
}

func main() { os.Exit(load()) }

// load runs the command and returns its exit code, so that the server it
// started is stopped (deferred) before the process exits.
func load() int {
	url := flag.String("url", "", "WebSocket URL of a running server, e.g. ws://127.0.0.1:8080/ws")
	bin := flag.String("bin", "", "start this interleave binary as the server instead of -url")
	serverArgs := flag.String("server-args", "", "extra serve flags for -bin, space-separated")
	pid := flag.Int("pid", 0, "with -url, the server's pid, to report its peak RSS")
	clients := flag.Int("clients", 10, "concurrent clients")
	idle := flag.Int("idle", 0, "extra idle sockets to hold open")
	duration := flag.Duration("duration", 10*time.Second, "how long to keep starting runs")
	run := flag.String("run", `{"type":"run","scenario":"lost-update","mode":"os","params":{"threads":2,"iterations":200}}`, "the run message")
	logs := flag.Bool("logs", false, "with -bin, show the server's log")
	think := flag.Duration("think", 0, "mean pause between a client's runs (uniform from 0 to twice this)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg := Config{URL: *url, Clients: *clients, Idle: *idle, Duration: *duration, Run: *run, PID: *pid, Think: *think}
	if *bin != "" {
		cmd, u, err := startServer(*bin, strings.Fields(*serverArgs), *logs)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			return 1
		}
		defer func() {
			_ = cmd.Process.Signal(os.Interrupt)
			_ = cmd.Wait()
		}()
		cfg.URL, cfg.PID = u, cmd.Process.Pid
	}
	if cfg.URL == "" {
		fmt.Fprintln(os.Stderr, "load: give -url or -bin")
		return 2
	}
	rep, err := Load(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		return 1
	}
	fmt.Print(rep)
	if rep.Failed > 0 {
		return 1
	}
	return 0
}
