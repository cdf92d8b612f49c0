package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gorilla/websocket"

	"interleave/limits"
	"interleave/sandbox"
	"interleave/sandbox/sandboxtest"
	"interleave/scenarios"
	"interleave/server"
)

// testServer is a real server on a loopback port with a real sandbox.
type testServer struct {
	URL  string
	exe  string
	stop context.CancelFunc // starts a graceful shutdown
	done chan error         // Serve's result
}

// testCatalogue, when set, replaces the built-in catalogue in servers
// started by startServerWith.
var testCatalogue *scenarios.Catalogue

func startServer(t *testing.T) *testServer {
	t.Helper()
	// Every test client comes from 127.0.0.1: per-client limits are off
	// here and tested on their own with startServerWith.
	return startServerWith(t, server.Config{MaxRuns: 2, PerClientRuns: 2, RunsPerMinute: server.Unlimited})
}

func startServerWith(t testing.TB, cfg server.Config) *testServer {
	t.Helper()
	exe := sandboxtest.Binary(t)
	cat := testCatalogue
	if cat == nil {
		var err error
		if cat, err = scenarios.Builtin(); err != nil {
			t.Fatal(err)
		}
	}
	// The server and its runner share one Limits, as main gives them.
	if cfg.Limits.Wall == 0 {
		cfg.Limits.Wall = 20 * time.Second
	}
	runner, err := sandbox.New(sandbox.Config{Exe: exe, Limits: cfg.Limits, Spawner: true})
	if err != nil {
		t.Fatal(err)
	}
	var logTo io.Writer = io.Discard
	if os.Getenv("INTERLEAVE_TEST_LOG") != "" {
		logTo = os.Stderr // to debug a test: INTERLEAVE_TEST_LOG=1 go test -run ...
	}
	cfg.Logger = slog.New(slog.NewTextHandler(logTo, nil))
	srv := server.New(cfg, cat, runner)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, 5*time.Second) }()
	var once sync.Once
	t.Cleanup(func() {
		cancel()
		once.Do(func() {
			if err := <-done; err != nil {
				t.Errorf("Serve() = %v, want nil after shutdown", err)
			}
		})
		if n := sandboxtest.Children(t, exe); n != 0 {
			t.Errorf("%d sandbox children alive after shutdown, want 0", n)
		}
	})
	return &testServer{URL: "http://" + ln.Addr().String(), exe: exe, stop: cancel, done: done}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

func TestPages(t *testing.T) {
	ts := startServer(t)
	tests := []struct {
		path       string
		wantStatus int
		wantBody   []string
	}{
		{"/", 200, []string{"Race conditions", "Lost updates: an unsynchronized counter", `href="/s/lost-update"`, "<code>"}},
		{"/s/lost-update", 200, []string{
			`data-testid="run"`, `data-testid="stop"`, `data-testid="status"`, `data-testid="result"`,
			`data-testid="timeline"`, `data-testid="event-log"`, `data-testid="editor"`, `data-testid="share"`,
			`data-testid="params"`, `data-testid="mode"`, `data-param="threads"`, `data-param="iterations"`,
			"counter.set(v + 1)", "<strong>Look for</strong>", "AtomicU64", "Lost updates",
		}},
		{"/s/opposite-locks", 200, []string{
			`data-testid="you-schedule"`, `data-testid="sched-panel"`, `data-goal="deadlock"`, `data-shortest="7"`,
			`data-testid="sched-undo"`, `data-testid="sched-redo"`, `data-testid="sched-steps"`, `data-testid="sched-solved"`,
			"Goal: make the threads deadlock", "Show a hint (1 of 2)", "Let alpha take <code>", `href="/s/opposite-locks-fixed"`,
		}},
		{"/s/lost-update?threads=8&mode=sim&seed=42", 200, []string{`value="8"`, `value="42"`, `value="sim" checked`}},
		{"/s/heisenbug", 200, []string{`name="seed" value="11"`}},
		{"/s/heisenbug?seed=4", 200, []string{`name="seed" value="4"`}},
		{"/s/lost-update?threads=99", 200, []string{`Param &#34;threads&#34; must be from 1 to 16, not 99. The default is used instead.`}},
		{"/s/no-such-thing", 404, []string{"There is nothing here", `href="/s/lost-update"`}},
		{"/nowhere", 404, []string{"There is nothing here"}},
		{"/static/app.js", 200, []string{"window.interleave"}},
		{"/static/style.css", 200, []string{"prefers-color-scheme"}},
		{"/static/", 404, nil},
		{"/healthz", 200, []string{`"status":"ok"`, `"maxRuns":2`}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, body := get(t, ts.URL+tt.path)
			if status != tt.wantStatus {
				t.Errorf("GET %s status = %d, want %d", tt.path, status, tt.wantStatus)
			}
			for _, w := range tt.wantBody {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s body lacks %q", tt.path, w)
				}
			}
		})
	}
}

// wsClient is a test WebSocket client that reads messages as maps.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

func dial(t *testing.T, ts *testServer) *wsClient {
	t.Helper()
	return dialAs(t, ts, "")
}

// dialAs connects as the given client address (through X-Forwarded-For,
// which a server with TrustProxy believes).
func dialAs(t *testing.T, ts *testServer, addr string) *wsClient {
	t.Helper()
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"
	h := http.Header{"Origin": {ts.URL}}
	if addr != "" {
		h.Set("X-Forwarded-For", addr)
	}
	conn, resp, err := websocket.DefaultDialer.Dial(url, h)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	resp.Body.Close()
	t.Cleanup(func() { conn.Close() })
	return &wsClient{t: t, conn: conn}
}

func (c *wsClient) send(msg string) {
	c.t.Helper()
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		c.t.Fatalf("send %s: %v", msg, err)
	}
}

func (c *wsClient) read() map[string]any {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
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

// untilEnd reads messages up to and including "end", returning them all.
// untilChoice reads messages, each given to record, up to a choice or
// the run's end, which it returns.
func (c *wsClient) untilChoice(record func(map[string]any)) map[string]any {
	c.t.Helper()
	for {
		m := c.read()
		record(m)
		switch m["type"] {
		case "choice", "end", "error":
			return m
		}
	}
}

func (c *wsClient) untilEnd() []map[string]any {
	c.t.Helper()
	var msgs []map[string]any
	for {
		m := c.read()
		msgs = append(msgs, m)
		if m["type"] == "end" || m["type"] == "error" {
			return msgs
		}
	}
}

func TestWebSocketRun(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	c.send(`{"type":"run","scenario":"lost-update","params":{"threads":3,"iterations":200},"mode":"os"}`)
	msgs := c.untilEnd()
	if msgs[0]["type"] != "started" {
		t.Errorf("first message = %v, want started", msgs[0])
	}
	threads := map[float64]int{}
	for _, m := range msgs {
		if m["type"] != "events" {
			continue
		}
		for _, e := range m["events"].([]any) {
			threads[e.(map[string]any)["th"].(float64)]++
		}
	}
	for th := range 4 {
		if threads[float64(th)] == 0 {
			t.Errorf("no events for thread %d; per thread: %v", th, threads)
		}
	}
	end := msgs[len(msgs)-1]
	res, _ := end["result"].(map[string]any)
	if end["type"] != "end" || res == nil {
		t.Fatalf("last message = %v, want end with a result", end)
	}
	if st := res["status"]; st != "ok" && st != "failed" {
		t.Errorf("status = %v, want ok or failed", st)
	}
	cells, _ := res["cells"].([]any)
	if len(cells) != 1 || cells[0].(map[string]any)["name"] != "counter" {
		t.Errorf("cells = %v, want the counter", res["cells"])
	}
	if _, ok := res["events"]; ok {
		t.Errorf("end result carries events; they were streamed already")
	}
}

func TestWebSocketBadInput(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	tests := []struct {
		name       string
		msg        string
		wantType   string
		wantStatus string
		wantText   string
	}{
		{"not json", `{"type":`, "error", "", "not valid JSON"},
		{"not an object", `[1,2]`, "error", "", "not a run, explore, stop, pick or undo request"},
		{"unknown type", `{"type":"dance"}`, "error", "", `Unknown message type "dance"`},
		{"unknown scenario", `{"type":"run","scenario":"nope"}`, "error", "", `There is no scenario "nope"`},
		{"nothing to run", `{"type":"run"}`, "error", "", `needs a "scenario" id or a "source"`},
		{"bad mode", `{"type":"run","scenario":"lost-update","mode":"turbo"}`, "error", "", `Unknown mode "turbo"`},
		{"param above max", `{"type":"run","scenario":"lost-update","params":{"threads":100}}`, "end", "error", `Param "threads" must be from 1 to 16, not 100.`},
		{"unknown param", `{"type":"run","scenario":"lost-update","params":{"thread":2}}`, "end", "error", `Param "thread" is not a parameter`},
		{"syntax error", `{"type":"run","source":"def main(:\n  pass\n"}`, "end", "error", "Line 1, column 11"},
		{"script too large", `{"type":"run","source":"` + strings.Repeat("#", 70000) + `"}`, "end", "limit", "script size limit"},
		{"procs over the cap", `{"type":"run","scenario":"lost-update","mode":"green","procs":65}`, "error", "", "Procs must be from 1 to 64, not 65."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.send(tt.msg)
			m := c.read()
			if m["type"] != tt.wantType {
				t.Fatalf("reply to %.60s = %v, want type %s", tt.msg, m, tt.wantType)
			}
			text, _ := m["message"].(string)
			if tt.wantType == "end" {
				res := m["result"].(map[string]any)
				if res["status"] != tt.wantStatus {
					t.Errorf("status = %v, want %s", res["status"], tt.wantStatus)
				}
				text, _ = res["message"].(string)
			}
			if !strings.Contains(text, tt.wantText) {
				t.Errorf("message = %q, want it to contain %q", text, tt.wantText)
			}
		})
	}
	// The socket is still usable after all of that.
	c.send(`{"type":"run","scenario":"lost-update","params":{"threads":1,"iterations":5}}`)
	msgs := c.untilEnd()
	if res := msgs[len(msgs)-1]["result"].(map[string]any); res["status"] != "ok" {
		t.Errorf("run after bad input: status = %v, want ok", res["status"])
	}
}

// TestConfiguredScriptLimitEndToEnd runs scripts through a server and its
// sandbox given -max-script 100000: a 70 KiB script runs, one byte over
// the limit is refused with the limit's one sentence.
func TestConfiguredScriptLimitEndToEnd(t *testing.T) {
	ts := startServerWith(t, server.Config{MaxRuns: 1, RunsPerMinute: server.Unlimited, Limits: limits.Limits{Script: 100000}})
	c := dial(t, ts)
	script := func(size int) string {
		head := "def main():\n    print(\"big\")\n#"
		return head + strings.Repeat("x", size-len(head))
	}
	tests := []struct {
		name       string
		size       int
		wantStatus string
		wantMsg    string
	}{
		{"70 KiB", 70 << 10, "ok", ""},
		{"one byte over", 100001, "limit", "The script is 100001 bytes; the script size limit is 100000 bytes."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, _ := json.Marshal(script(tt.size))
			c.send(`{"type":"run","mode":"sim","source":` + string(src) + `}`)
			msgs := c.untilEnd()
			res := msgs[len(msgs)-1]["result"].(map[string]any)
			if res["status"] != tt.wantStatus || !strings.Contains(res["message"].(string), tt.wantMsg) {
				t.Errorf("run of %d bytes = %v %q, want %s %q", tt.size, res["status"], res["message"], tt.wantStatus, tt.wantMsg)
			}
		})
	}
}

// TestMessageOverReadLimit checks that a message over the socket's read
// limit closes it with code 1009, which the page turns into a sentence
// (closeSentence in web/static/page/run.js).
func TestMessageOverReadLimit(t *testing.T) {
	ts := startServerWith(t, server.Config{MaxRuns: 1, RunsPerMinute: server.Unlimited, Limits: limits.Limits{Script: 1000}})
	c := dial(t, ts)
	src, _ := json.Marshal(strings.Repeat("#", 600<<10))
	c.send(`{"type":"run","mode":"sim","source":` + string(src) + `}`)
	_ = c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, b, err := c.conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
		t.Errorf("read after a 600 KiB message = %q, %v, want a close with code %d", b, err, websocket.CloseMessageTooBig)
	}
}

func TestWebSocketScriptErrorLocation(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	src, _ := json.Marshal("def main():\n    x = 1\n    spwan(x)\n")
	c.send(`{"type":"run","source":` + string(src) + `}`)
	msgs := c.untilEnd()
	res := msgs[len(msgs)-1]["result"].(map[string]any)
	if res["status"] != "error" {
		t.Fatalf("status = %v, want error", res["status"])
	}
	loc, _ := res["error"].(map[string]any)
	if loc == nil || loc["line"] != float64(3) || loc["col"] != float64(5) {
		t.Errorf("error location = %v, want line 3, col 5", res["error"])
	}
}

func TestOriginChecked(t *testing.T) {
	ts := startServer(t)
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"
	_, resp, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {"http://evil.example"}})
	if err == nil {
		t.Fatal("dial from a foreign origin succeeded, want it refused")
	}
	if resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin status = %v, want 403", resp)
	}
	if b, _ := io.ReadAll(resp.Body); !strings.Contains(string(b), "pages on other sites are refused") {
		t.Errorf("foreign origin refused with %q, want a sentence", b)
	}
}

func TestClosingSocketStopsRun(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	src, _ := json.Marshal("def main():\n    c = cell(\"spin\")\n    while True:\n        c.add(1)\n")
	c.send(`{"type":"run","source":` + string(src) + `}`)
	for {
		if m := c.read(); m["type"] == "events" {
			break
		}
	}
	if n := sandboxtest.Children(t, ts.exe); n != 1 {
		t.Fatalf("%d children while running, want 1", n)
	}
	c.conn.Close()
	deadline := time.Now().Add(10 * time.Second)
	for sandboxtest.Children(t, ts.exe) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the child still runs 10 s after its socket closed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStopMessage(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	src, _ := json.Marshal("def main():\n    while True:\n        sleep(1)\n")
	c.send(`{"type":"run","source":` + string(src) + `}`)
	for {
		if m := c.read(); m["type"] == "events" {
			break
		}
	}
	c.send(`{"type":"stop"}`)
	msgs := c.untilEnd()
	res := msgs[len(msgs)-1]["result"].(map[string]any)
	if res["status"] != "stopped" {
		t.Errorf("status after stop = %v, want stopped", res["status"])
	}
}

// A teacher sees what is wrong with a course file on the front page.
func TestCourseProblemsShown(t *testing.T) {
	cat, err := scenarios.Open(scenarios.Options{FS: fstest.MapFS{
		"mine.star":   {Data: []byte("\"\"\"Mine\n\"\"\"\ntopic = \"Lesson\"\ndef main():\n    pass\n")},
		"broken.star": {Data: []byte("def main(:\n    pass\n")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	testCatalogue = cat
	defer func() { testCatalogue = nil }()
	ts := startServer(t)
	_, body := get(t, ts.URL+"/")
	if !strings.Contains(body, `data-testid="course-problems"`) || !strings.Contains(body, "broken.star:1:11") || !strings.Contains(body, "/s/mine") {
		t.Errorf("front page lacks the course problem broken.star:1:11 or the good scenario")
	}
	_, health := get(t, ts.URL+"/healthz")
	if !strings.Contains(health, `"course_problems":["broken.star:1:11`) {
		t.Errorf("/healthz = %s, want the course problem", health)
	}
}

// The page's form may still send the params of the script before an edit:
// an edited script runs with those it declares and ignores the rest.
func TestEditedScriptIgnoresStaleParams(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	src, _ := json.Marshal("def main():\n    print(\"no params now\")\n")
	c.send(`{"type":"run","scenario":"print-order","source":` + string(src) + `,"params":{"threads":3}}`)
	msgs := c.untilEnd()
	if res := msgs[len(msgs)-1]["result"].(map[string]any); res["status"] != "ok" {
		t.Errorf("edited script with stale params = %v %q, want ok", res["status"], res["message"])
	}
}
