package server_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"interleave/server"
)

// request sends one request and returns its status and body.
func request(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func newPost(t *testing.T, url, contentType, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

func TestBodyCaps(t *testing.T) {
	ts := sharingServer(t, filepath.Join(t.TempDir(), "share.db"))
	huge := strings.Repeat("x", 1<<20)
	tests := []struct {
		name    string
		req     *http.Request
		want    int
		wantMsg string
	}{
		{"snippet declared too large", newPost(t, ts.URL+"/api/snippets", "application/json", `{"source":"`+huge+`"}`), 413, "the limit here is"},
		{"snippet sent unannounced", func() *http.Request {
			r := newPost(t, ts.URL+"/api/snippets", "application/json", "")
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(`{"source":"`+huge+`"}`)), -1
			return r
		}(), 413, "larger than the limit"},
		{"a body where none is read", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, ts.URL+"/healthz", strings.NewReader(huge))
			return r
		}(), 413, "the limit here is 4096 bytes"},
		{"run result too large", newPost(t, ts.URL+"/api/trace", "application/json",
			`{"result":{"status":"ok","output":"`+strings.Repeat("y", 9<<20)+`"}}`), 413, "result is larger than the limit of 8 MiB"},
		{"run script too large", newPost(t, ts.URL+"/api/runs", "application/json",
			`{"result":{"status":"ok"},"source":"`+strings.Repeat("#", 70000)+`"}`), 413, "script is 70000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := request(t, tt.req)
			if code != tt.want || !strings.Contains(body, tt.wantMsg) {
				t.Errorf("%s = %d %.200s, want %d with %q", tt.name, code, body, tt.want, tt.wantMsg)
			}
		})
	}
}

// TestUploadedRunShapes: unknown fields are skipped, a result's events are
// ignored, and the run is still stored.
func TestUploadedRunShapes(t *testing.T) {
	ts := sharingServer(t, filepath.Join(t.TempDir(), "share.db"))
	body := `{"extra":{"deep":[1,[2,{"x":"y"}]]},"result":{"status":"ok","events":[{"seq":1,"k":"get"}]},` +
		`"events":[{"seq":1,"k":"get"},{"seq":2,"k":"set"}],"source":"def main():\n    pass\n"}`
	code, m, raw := post(t, ts.URL+"/api/runs", body)
	if code != 200 || m["events"] != float64(2) {
		t.Fatalf("POST /api/runs = %d %s, want 200 with 2 events", code, raw)
	}
	for _, bad := range []struct{ body, want string }{
		{`[]`, "must be JSON like"},
		{`{"result":{"status":"ok"},"events":[{"seq":1}]}`, "event 0 has no kind"},
		{`{"result":{"status":"ok"},"events":{}}`, "must be JSON like"},
		{`{"result":{"status":"ok"}`, "must be JSON like"},
	} {
		if code, m, raw := post(t, ts.URL+"/api/runs", bad.body); code != 400 || !strings.Contains(fmt.Sprint(m["error"]), bad.want) {
			t.Errorf("POST /api/runs %s = %d %s, want 400 with %q", bad.body, code, raw, bad.want)
		}
	}
}

// TestSlowClientsCutOff: a body trickled in, headers never finished and
// idle keep-alive connections are all closed by the server's timeouts.
func TestSlowClientsCutOff(t *testing.T) {
	ts := startServerWith(t, server.Config{MaxRuns: 1, RunsPerMinute: server.Unlimited, SharesPerMinute: server.Unlimited,
		ReadHeaderTimeout: 500 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second, IdleTimeout: 500 * time.Millisecond})
	addr := strings.TrimPrefix(ts.URL, "http://")
	t.Run("slow body", func(t *testing.T) {
		conn := rawConn(t, addr)
		fmt.Fprintf(conn, "POST /api/trace HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", addr)
		stop := make(chan struct{})
		defer close(stop)
		go func() { // one byte at a time, until the server hangs up
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			if isTimeout(err) {
				t.Fatal("the server still held a body trickled in 20 s after its read timeout of 1 s")
			}
			return // closed without an answer: cut off all the same
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), "did not arrive within 1s") {
			t.Errorf("slow body answered %d %s, want 408 naming the limit", resp.StatusCode, b)
		}
	})
	t.Run("slow headers", func(t *testing.T) {
		conn := rawConn(t, addr)
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n", addr)
		if _, err := io.ReadAll(conn); isTimeout(err) {
			t.Error("the server still held unfinished headers 20 s after its header timeout of 0.5 s")
		}
	})
	t.Run("a WebSocket outlives them", func(t *testing.T) {
		c := dial(t, ts)
		time.Sleep(2500 * time.Millisecond) // past every timeout above
		c.send(`{"type":"run","scenario":"lost-update","params":{"threads":1,"iterations":5}}`)
		msgs := c.untilEnd()
		if res, _ := msgs[len(msgs)-1]["result"].(map[string]any); res["status"] != "ok" {
			t.Errorf("run on a socket older than the server's timeouts ended with %v, want ok", msgs[len(msgs)-1])
		}
	})
	t.Run("200 idle keep-alive connections", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for range 200 {
			wg.Go(func() {
				if err := idleConn(t, addr); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
			break
		}
	})
}

// idleConn makes one keep-alive request, then waits for the server to
// close the connection.
func idleConn(t *testing.T, addr string) error {
	conn := rawConn(t, addr)
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return fmt.Errorf("keep-alive request: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Close {
		return fmt.Errorf("the server closed the connection after one request; want it kept alive until idle")
	}
	if _, err := r.ReadByte(); isTimeout(err) {
		return fmt.Errorf("an idle keep-alive connection was still open 20 s after the idle timeout of 0.5 s")
	}
	return nil
}

// rawConn dials a TCP connection whose reads give up after 20 s, far past
// any timeout the test server is given.
func rawConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	return conn
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// dialWS dials /ws with the given headers and returns the socket or the
// refusal's status and body.
func dialWS(t *testing.T, ts *testServer, h http.Header) (*websocket.Conn, int, string) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"
	conn, resp, err := websocket.DefaultDialer.Dial(u, h)
	if err == nil {
		resp.Body.Close()
		t.Cleanup(func() { conn.Close() })
		return conn, resp.StatusCode, ""
	}
	if resp == nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	b, _ := io.ReadAll(resp.Body)
	return nil, resp.StatusCode, string(b)
}

func TestSocketCaps(t *testing.T) {
	ts := startServerWith(t, server.Config{MaxRuns: 1, RunsPerMinute: server.Unlimited, TrustProxy: true, MaxSockets: 3, PerClientSockets: 2})
	as := func(addr string) http.Header { return http.Header{"Origin": {ts.URL}, "X-Forwarded-For": {addr}} }
	for range 2 {
		if _, code, body := dialWS(t, ts, as("10.0.0.1")); code != http.StatusSwitchingProtocols {
			t.Fatalf("socket from 10.0.0.1 = %d %s, want 101", code, body)
		}
	}
	if _, code, body := dialWS(t, ts, as("10.0.0.1")); code != http.StatusTooManyRequests || !strings.Contains(body, "Your address holds 2 live connections already") {
		t.Errorf("third socket from one address = %d %.300s, want 429 with a sentence", code, body)
	}
	if _, code, body := dialWS(t, ts, as("10.0.0.2")); code != http.StatusSwitchingProtocols {
		t.Fatalf("socket from 10.0.0.2 = %d %s, want 101", code, body)
	}
	if _, code, body := dialWS(t, ts, as("10.0.0.3")); code != http.StatusServiceUnavailable || !strings.Contains(body, "as many live connections as it accepts (3)") {
		t.Errorf("socket past the total = %d %.300s, want 503 with a sentence", code, body)
	}
	if code, body := get(t, ts.URL+"/healthz"); code != 200 || !strings.Contains(body, `"maxSockets":3`) || !strings.Contains(body, `"sockets":3`) {
		t.Errorf("/healthz with every socket taken = %d %s, want 200 with 3 of 3 sockets", code, body)
	}
}

func TestHostChecked(t *testing.T) {
	ts := startServerWith(t, server.Config{MaxRuns: 1, RunsPerMinute: server.Unlimited, AllowedOrigins: []string{"https://course.example.edu"}})
	port := ts.URL[strings.LastIndexByte(ts.URL, ':')+1:]
	tests := []hostCase{
		{"evil.example:" + port, "http://evil.example:" + port, http.StatusForbidden},
		{"evil.example:" + port, "", http.StatusForbidden},
		{"localhost:" + port, "http://localhost:" + port, http.StatusSwitchingProtocols},
		{"127.0.0.1:" + port, "http://127.0.0.1:" + port, http.StatusSwitchingProtocols},
		{"[::1]:" + port, "", http.StatusSwitchingProtocols},
		{"course.example.edu", "https://course.example.edu", http.StatusSwitchingProtocols},
		{"localhost:" + port, "http://evil.example:" + port, http.StatusForbidden},
	}
	checkWSHosts(t, ts, "/ws", tests)
	req := newPost(t, ts.URL+"/api/trace", "application/json", `{"result":{"status":"ok"}}`)
	req.Host = "evil.example:" + port
	req.Header.Set("Origin", "http://evil.example:"+port)
	if code, body := request(t, req); code != http.StatusForbidden || !strings.Contains(body, `does not answer to the host name \"evil.example\"`) {
		t.Errorf("POST with a rebound Host = %d %s, want 403 naming the host", code, body)
	}
}

// TestHostOnNetwork checks that a server listening on every interface
// answers to any name its DNS or proxy gives it, and still refuses pages
// of other origins.
func TestHostOnNetwork(t *testing.T) {
	ts := startServerWith(t, server.Config{MaxRuns: 1, RunsPerMinute: server.Unlimited, ListenHost: "0.0.0.0"})
	tests := []hostCase{
		{"course.example.edu", "https://course.example.edu", http.StatusSwitchingProtocols},
		{"course.example.edu", "", http.StatusSwitchingProtocols},
		{"course.example.edu", "https://evil.example", http.StatusForbidden},
	}
	checkWSHosts(t, ts, "/ws on 0.0.0.0", tests)
}

func TestCrossSitePostsRefused(t *testing.T) {
	ts := sharingServer(t, filepath.Join(t.TempDir(), "share.db"))
	snippet := `{"source":"def main():\n    pass\n"}`
	form := url.Values{"source": {"def main(): pass"}}.Encode()
	tests := []struct {
		name, path, contentType, origin, fetchSite, body string
		want                                             int
		wantMsg                                          string
	}{
		{"text/plain", "/api/snippets", "text/plain", "", "", snippet, 415, "must be JSON, sent with Content-Type: application/json"},
		{"form", "/api/snippets", "application/x-www-form-urlencoded", "", "", form, 415, "Content-Type: application/json"},
		{"multipart", "/api/runs", "multipart/form-data; boundary=x", "", "", "--x--", 415, "Content-Type: application/json"},
		{"no content type", "/api/trace", "", "", "", snippet, 415, "Content-Type: application/json"},
		{"foreign origin", "/api/snippets", "application/json", "http://evil.example", "", snippet, 403, "pages on other sites are refused"},
		{"text/plain from another site", "/api/runs", "text/plain", "http://evil.example", "cross-site", snippet, 403, "other sites"},
		{"cross-site fetch", "/api/snippets", "application/json", "", "cross-site", snippet, 403, "other sites"},
		{"same origin, charset", "/api/snippets", "application/json; charset=utf-8", ts.URL, "same-origin", snippet, 200, `"url":"/p/`},
		{"no origin (a script)", "/api/snippets", "application/json", "", "", snippet, 200, `"url":"/p/`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newPost(t, ts.URL+tt.path, tt.contentType, tt.body)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.fetchSite != "" {
				req.Header.Set("Sec-Fetch-Site", tt.fetchSite)
			}
			if code, body := request(t, req); code != tt.want || !strings.Contains(body, tt.wantMsg) {
				t.Errorf("POST %s (%s) = %d %s, want %d with %q", tt.path, tt.name, code, body, tt.want, tt.wantMsg)
			}
		})
	}
}

// TestQueuedRunsPerClient: one address cannot fill the whole queue.
func TestQueuedRunsPerClient(t *testing.T) {
	ts := startServerWith(t, server.Config{MaxRuns: 1, MaxQueue: 8, PerClientRuns: 1, PerClientQueue: 1, RunsPerMinute: server.Unlimited, TrustProxy: true})
	running := dialAs(t, ts, "10.0.0.1")
	running.send(sleeper)
	running.until("started")
	a1, a2 := dialAs(t, ts, "10.0.0.2"), dialAs(t, ts, "10.0.0.2")
	a1.send(sleeper)
	if m := a1.read(); m["type"] != "queued" {
		t.Fatalf("first waiting run of an address got %v, want queued", m)
	}
	a2.send(sleeper)
	m := a2.read()
	if m["type"] != "error" || m["code"] != "busy" || !strings.Contains(fmt.Sprint(m["message"]), "Your address has 1 runs waiting already") {
		t.Fatalf("second waiting run of one address got %v, want a busy error naming the per-address cap", m)
	}
	b := dialAs(t, ts, "10.0.0.3")
	b.send(sleeper)
	if m := b.read(); m["type"] != "queued" || m["position"] != float64(2) {
		t.Fatalf("another address got %v, want queued at 2", m)
	}
	for _, c := range []*wsClient{a1, b, running} {
		c.send(`{"type":"stop"}`)
	}
	running.until("end")
}

// TestExportAndViewRates: the trace export and the shared pages, which
// both do work, are rate-limited per address.
func TestExportAndViewRates(t *testing.T) {
	ts := startServerWith(t, server.Config{MaxRuns: 1, RunsPerMinute: server.Unlimited, SharesPerMinute: 1, ViewsPerMinute: 1,
		Store: openStore(t, filepath.Join(t.TempDir(), "share.db"))})
	limited := func(what string, do func() (int, string)) {
		t.Helper()
		for range 20 {
			code, body := do()
			if code == http.StatusTooManyRequests {
				if !strings.Contains(body, "from your address; try again in") {
					t.Errorf("%s refused with %s, want a sentence", what, body)
				}
				return
			}
		}
		t.Errorf("20 %s from one address were all answered, want them rate-limited", what)
	}
	limited("trace exports", func() (int, string) {
		return request(t, newPost(t, ts.URL+"/api/trace", "application/json", `{"result":{"status":"ok"},"events":[]}`))
	})
	limited("shared page views", func() (int, string) { return get(t, ts.URL+"/p/AAAAAAAAAAA.star") })
}

// hostCase is a WebSocket upgrade with a Host and an Origin header (none
// when empty), and the status it should get.
type hostCase struct {
	host, origin string
	want         int
}

// checkWSHosts dials the server's /ws once for each case.
func checkWSHosts(t *testing.T, ts *testServer, label string, tests []hostCase) {
	t.Helper()
	for _, tt := range tests {
		h := http.Header{"Host": {tt.host}}
		if tt.origin != "" {
			h.Set("Origin", tt.origin)
		}
		if _, code, body := dialWS(t, ts, h); code != tt.want {
			t.Errorf("%s with Host %s, Origin %q = %d %.200s, want %d", label, tt.host, tt.origin, code, body, tt.want)
		}
	}
}
