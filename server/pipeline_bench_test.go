package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"interleave/limits"
	"interleave/sandbox"
	"interleave/sandbox/engine"
	"interleave/sandbox/sandboxtest"
	"interleave/sandbox/trace"
	"interleave/server"
)

var floodSource = "def main():\n    c = cell(\"c\")\n    for i in range(300000):\n        c.get()\n"

// BenchmarkPipeline measures events per second from the sandboxed child
// to a WebSocket client, beside the same run with nothing after the
// supervisor (the child-to-supervisor baseline), so the server's share
// shows as a ratio.
func BenchmarkPipeline(b *testing.B) {
	b.Run("child-to-supervisor", func(b *testing.B) {
		r, err := sandbox.New(sandbox.Config{Exe: sandboxtest.Binary(b), Limits: limits.Limits{Wall: time.Minute}})
		if err != nil {
			b.Fatal(err)
		}
		var events int64
		start := time.Now()
		for b.Loop() {
			res, _ := r.Run(context.Background(), engine.Request{Source: floodSource, Mode: trace.ModeOS},
				func(batch []trace.Event) { events += int64(len(batch)) })
			if res.Status != trace.StatusOK {
				b.Fatalf("status %s: %s", res.Status, res.Message)
			}
		}
		b.ReportMetric(float64(events)/time.Since(start).Seconds(), "events/s")
	})
	b.Run("child-to-websocket", func(b *testing.B) {
		ts := startServerWith(b, server.Config{MaxRuns: 2, PerClientRuns: 2, RunsPerMinute: server.Unlimited})
		c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", nil)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		defer c.Close()
		src, _ := json.Marshal(floodSource)
		msg := []byte(`{"type":"run","source":` + string(src) + `}`)
		var events int64
		start := time.Now()
		for b.Loop() {
			if err := c.WriteMessage(1, msg); err != nil {
				b.Fatal(err)
			}
			for {
				_, data, err := c.ReadMessage()
				if err != nil {
					b.Fatal(err)
				}
				// Count without decoding: the client's JSON parsing is
				// the browser's cost, not the server's.
				events += int64(bytes.Count(data, []byte(`{"seq":`)))
				if bytes.HasPrefix(data, []byte(`{"type":"end"`)) {
					if !bytes.Contains(data, []byte(`"status":"ok"`)) {
						b.Fatalf("run did not end ok: %.300s", data)
					}
					break
				}
			}
		}
		b.ReportMetric(float64(events)/time.Since(start).Seconds(), "events/s")
	})
}
