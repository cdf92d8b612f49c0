package server_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"interleave/sandbox"
	"interleave/sandbox/sandboxtest"
	"interleave/server"
)

// pickLoop has a choice at every cell operation of two threads, for as
// many picks as a benchmark makes.
const pickLoop = `def main():
    c = cell("c", 0)
    def w():
        for i in range(1000000):
            c.add(1)
    a = spawn(w, name = "a")
    b = spawn(w, name = "b")
    a.join()
    b.join()
`

// BenchmarkPickRoundTrip measures, over a real socket to an idle server
// with a warm child, the time from sending a pick to receiving the next
// choice, beside the time from sending a plain empty sim run to receiving
// its first events (the comparator: what a press of Run costs before
// anything shows).
func BenchmarkPickRoundTrip(b *testing.B) {
	runner, err := sandbox.New(sandbox.Config{Exe: sandboxtest.Binary(b), Timeout: time.Minute, Warm: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer runner.Close()
	url, stop := serveRunner(b, server.Config{MaxRuns: 1, RunsPerMinute: server.Unlimited}, runner)
	defer stop()
	c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http")+"/ws", nil)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	defer c.Close()
	b.Run("pick-to-choice", func(b *testing.B) {
		src, _ := json.Marshal(pickLoop)
		mustWrite(b, c, `{"type":"run","mode":"sim","interactive":true,"source":`+string(src)+`}`)
		ch := readUntil(b, c, `{"type":"choice"`)
		var lat []time.Duration
		for i := 0; b.Loop(); i++ {
			// Alternate between the runnable threads, from the choice.
			var choice struct{ Runnable []struct{ Th int } }
			if err := json.Unmarshal(ch, &choice); err != nil || len(choice.Runnable) == 0 {
				b.Fatalf("choice %.300s: %v", ch, err)
			}
			pick := `{"type":"pick","th":` + strconv.Itoa(choice.Runnable[i%len(choice.Runnable)].Th) + `}`
			start := time.Now()
			mustWrite(b, c, pick)
			ch = readUntil(b, c, `{"type":"choice"`)
			lat = append(lat, time.Since(start))
		}
		mustWrite(b, c, `{"type":"stop"}`)
		readUntil(b, c, `{"type":"end"`)
		reportLatency(b, lat)
	})
	b.Run("run-to-first-events", func(b *testing.B) {
		var lat []time.Duration
		for b.Loop() {
			start := time.Now()
			mustWrite(b, c, `{"type":"run","mode":"sim","source":"def main():\n    pass\n"}`)
			readUntil(b, c, `{"type":"events"`)
			lat = append(lat, time.Since(start))
			readUntil(b, c, `{"type":"end"`)
		}
		reportLatency(b, lat)
	})
}

func mustWrite(b *testing.B, c *websocket.Conn, msg string) {
	b.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		b.Fatal(err)
	}
}

// readUntil reads messages until one begins with prefix, and returns
// it; an error or an unexpected end fails the benchmark.
func readUntil(b *testing.B, c *websocket.Conn, prefix string) []byte {
	b.Helper()
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			b.Fatal(err)
		}
		if bytes.HasPrefix(data, []byte(prefix)) {
			return data
		}
		if bytes.HasPrefix(data, []byte(`{"type":"error"`)) || bytes.HasPrefix(data, []byte(`{"type":"end"`)) {
			b.Fatalf("waiting for %s, got %.300s", prefix, data)
		}
	}
}

// reportLatency reports the median and 99th percentile in milliseconds.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
