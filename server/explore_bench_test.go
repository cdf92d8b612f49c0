package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"interleave/limits"
	"interleave/sandbox"
	"interleave/sandbox/sandboxtest"
	"interleave/scenarios"
	"interleave/server"
)

// BenchmarkExploreProgress explores lost-update 2 x 10 with a budget of
// 100,000 executions over a real WebSocket, with dfs and with pct, and
// measures how often the page hears of it: progress messages per second
// and the longest gap between two (the page must hear at least twice a
// second), beside the executions per second. Its runner keeps a run's
// default limits (10 s of CPU, 256 MiB) and gives an exploration three
// minutes (and so six of CPU), so that the whole budget runs on a loaded
// machine; budget-reached is 1 when every exploration ran its whole
// budget, which for dfs shows that its memory stays inside the child's.
func BenchmarkExploreProgress(b *testing.B) {
	for _, strategy := range []string{"dfs", "pct"} {
		b.Run(strategy, func(b *testing.B) { benchExploreProgress(b, strategy) })
	}
}

func benchExploreProgress(b *testing.B, strategy string) {
	cat, err := scenarios.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	runner, err := sandbox.New(sandbox.Config{Exe: sandboxtest.Binary(b), Limits: limits.Limits{Explore: 3 * time.Minute}})
	if err != nil {
		b.Fatal(err)
	}
	srv := server.New(server.Config{MaxRuns: 1, RunsPerMinute: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, cat, runner)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, 5*time.Second) }()
	defer func() { cancel(); <-done }()
	c, resp, err := websocket.DefaultDialer.Dial("ws://"+ln.Addr().String()+"/ws", nil)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	defer c.Close()
	msg := []byte(`{"type":"explore","scenario":"lost-update","params":{"threads":2,"iterations":10},"strategy":"` + strategy + `","budget":100000,"preemptions":20}`)
	var (
		progress, schedules, runs int
		maxGap, total             time.Duration
		reached                   = 1.0
	)
	for b.Loop() {
		if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		n, gap, rep := readExplored(b, c)
		total += time.Since(start)
		progress, maxGap = progress+n, max(maxGap, gap)
		schedules, runs = schedules+rep.Schedules, runs+rep.Runs
		if rep.Stopped != "budget" {
			reached = 0
			b.Logf("exploration stopped for %q after %d executions: %s", rep.Stopped, rep.Runs, rep.Limit)
		}
	}
	b.ReportMetric(float64(progress)/total.Seconds(), "progress/s")
	b.ReportMetric(float64(maxGap.Milliseconds()), "max-gap-ms")
	b.ReportMetric(float64(schedules)/total.Seconds(), "executions/s")
	b.ReportMetric(float64(runs)/total.Seconds(), "runs/s")
	b.ReportMetric(reached, "budget-reached")
}

// exploredMsg is what the benchmark reads of the server's messages.
type exploredMsg struct {
	Type      string `json:"type"`
	Schedules int    `json:"schedules"`
	Runs      int    `json:"runs"`
	Stopped   string `json:"stopped"`
	Limit     string `json:"limit"`
}

// readExplored reads one exploration's messages up to its report: the
// progress messages, the longest gap between two messages, the report.
func readExplored(b *testing.B, c *websocket.Conn) (progress int, maxGap time.Duration, rep exploredMsg) {
	b.Helper()
	last := time.Now()
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			b.Fatal(err)
		}
		var m exploredMsg
		if err := json.Unmarshal(data, &m); err != nil {
			b.Fatal(err)
		}
		now := time.Now()
		switch m.Type {
		case "started":
			last = now
		case "progress":
			progress++
			maxGap = max(maxGap, now.Sub(last))
			last = now
		case "explored":
			return progress, max(maxGap, now.Sub(last)), m
		case "error", "end":
			b.Fatalf("explore: %s", data)
		}
	}
}
