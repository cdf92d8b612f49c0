// Command hostile attacks a running Interleave server the way a stranger
// with a shared link would, case by case, and reports which attacks the
// server withstood and its peak memory over the whole suite.
//
//	go build -o /tmp/interleave . && go run ./bench/hostile -bin /tmp/interleave
//
// It starts its own server on a loopback port (with -trust-proxy, so that
// cases can speak from several client addresses), hands it an extra open
// descriptor on a file only root may read, and watches the server's RSS
// every 20 ms. Every request goes to that loopback server and nowhere
// else. It is a measurement, not a test: docs/sandbox.md has its output.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

func main() {
	bin := flag.String("bin", "", "the interleave binary to start (required)")
	slow := flag.Duration("slow", 45*time.Second, "how long a slow client may be held before the case fails")
	only := flag.String("only", "", "run only the cases whose name contains this")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "hostile: -bin is required")
		os.Exit(2)
	}
	h, err := start(*bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
	defer h.stop()
	h.slow = *slow
	held, total := 0, 0
	for _, c := range cases {
		if *only != "" && !strings.Contains(c.name, *only) {
			continue
		}
		total++
		t0 := time.Now()
		ok, detail := c.run(h)
		if ok {
			held++
		}
		mark := "HELD"
		if !ok {
			mark = "BROKE"
		}
		fmt.Printf("%-5s %-58s %6.2fs  %s\n", mark, c.name, time.Since(t0).Seconds(), detail)
		if !h.alive() {
			fmt.Println("the server died; stopping")
			break
		}
	}
	fmt.Printf("\n%d of %d attacks held; server peak RSS %.1f MiB (VmHWM %.1f MiB)\n",
		held, total, float64(h.peak.Load())/1024, float64(hwmKiB(h.cmd.Process.Pid))/1024)
	if held != total {
		os.Exit(1)
	}
}

// harness is one server under attack.
type harness struct {
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:PORT
	host   string // 127.0.0.1:PORT
	secret string // path of the root-only file handed to the server as fd 9
	slow   time.Duration
	peak   atomic.Int64
	done   chan struct{}
	client *http.Client
	addrN  atomic.Int64
}

func start(bin string) (*harness, error) {
	dir, err := os.MkdirTemp("", "hostile")
	if err != nil {
		return nil, err
	}
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("root only\n"), 0o600); err != nil {
		return nil, err
	}
	f, err := os.Open(secret)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "serve", "-addr", addr, "-db", filepath.Join(dir, "db.sqlite"), "-trust-proxy")
	// fd 9, as `9</secret` in a shell would hand it over.
	cmd.ExtraFiles = []*os.File{nil, nil, nil, nil, nil, nil, f}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	f.Close()
	h := &harness{cmd: cmd, base: "http://" + addr, host: addr, secret: secret, done: make(chan struct{}),
		client: &http.Client{Timeout: 60 * time.Second}}
	go h.watch()
	for i := 0; ; i++ {
		if resp, err := http.Get(h.base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if i > 200 {
			h.stop()
			return nil, errors.New("the server did not answer /healthz within 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return h, nil
}

func (h *harness) watch() {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if kib := rssKiB(h.cmd.Process.Pid); kib > h.peak.Load() {
			h.peak.Store(kib)
		}
		select {
		case <-h.done:
			return
		case <-t.C:
		}
	}
}

func (h *harness) stop() {
	close(h.done)
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	waited := make(chan struct{})
	go func() { _ = h.cmd.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-h.cmd.Process.Pid, syscall.SIGKILL)
	}
}

func (h *harness) alive() bool { return syscall.Kill(h.cmd.Process.Pid, 0) == nil }

// addr gives each case a client address of its own, so that one case's
// rate limits do not refuse the next.
func (h *harness) addr() string {
	n := h.addrN.Add(1)
	return fmt.Sprintf("10.9.%d.%d", n/250, n%250+1)
}

func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

func rssKiB(pid int) int64 { return procStatus(pid, "VmRSS") }
func hwmKiB(pid int) int64 { return procStatus(pid, "VmHWM") }

// healthy says whether /healthz answers within d.
func (h *harness) healthy(d time.Duration) bool {
	c := &http.Client{Timeout: d}
	resp, err := c.Get(h.base + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// dial opens a WebSocket as a page of this server would, from addr.
func (h *harness) dial(addr string, header http.Header) (*websocket.Conn, error) {
	if header == nil {
		header = http.Header{"Origin": {h.base}}
	}
	header.Set("X-Forwarded-For", addr)
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	c, resp, err := d.Dial("ws://"+h.host+"/ws", header)
	if resp != nil {
		resp.Body.Close()
	}
	return c, err
}

// run sends one run message and reads until its end or error message.
func (h *harness) run(msg map[string]any, wait time.Duration) (map[string]any, error) {
	c, err := h.dial(h.addr(), nil)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	defer c.Close()
	return roundTrip(c, msg, wait)
}

func roundTrip(c *websocket.Conn, msg map[string]any, wait time.Duration) (map[string]any, error) {
	msg["type"] = "run"
	if err := c.WriteJSON(msg); err != nil {
		return nil, err
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			return nil, err
		}
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return nil, err
		}
		switch m["type"] {
		case "end":
			r, _ := m["result"].(map[string]any)
			return r, nil
		case "error":
			return m, nil
		}
	}
}

// post sends body to path with the given content type and origin.
func (h *harness) post(path, ctype, origin string, body io.Reader) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, h.base+path, body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("X-Forwarded-For", h.addr())
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	return resp.StatusCode, b, err
}

func (h *harness) get(path string) (int, int64, error) {
	req, _ := http.NewRequest(http.MethodGet, h.base+path, nil)
	req.Header.Set("X-Forwarded-For", h.addr())
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, n, err
}

// share stores src as a snippet and answers its id.
func (h *harness) share(src string) (string, int, error) {
	b, _ := json.Marshal(map[string]string{"source": src})
	code, body, err := h.post("/api/snippets", "application/json", h.base, bytes.NewReader(b))
	if err != nil || code != http.StatusOK {
		return "", code, err
	}
	var out struct{ ID string }
	err = json.Unmarshal(body, &out)
	return out.ID, code, err
}

type attack struct {
	name string
	run  func(h *harness) (bool, string)
}

const bigTopic = "topic = \"x\" * (1024 * 1024 * 1023)\ndef main():\n    pass\n"

// statusIs runs src and checks its status and that the message names want.
func statusIs(src string, status, want string) func(h *harness) (bool, string) {
	return func(h *harness) (bool, string) {
		r, err := h.run(map[string]any{"source": src, "mode": "sim"}, 60*time.Second)
		if err != nil {
			return false, err.Error()
		}
		got, _ := r["status"].(string)
		msg, _ := r["message"].(string)
		if r["type"] == "error" {
			got = "refused"
		}
		ok := got == status && strings.Contains(strings.ToLower(msg), strings.ToLower(want))
		return ok, fmt.Sprintf("%s: %.90s", got, msg)
	}
}

// survives runs attack while polling /healthz; the case holds when the
// attack is refused (check) and /healthz answered within 1 s throughout.
func survives(attack func(h *harness) (bool, string)) func(h *harness) (bool, string) {
	return func(h *harness) (bool, string) {
		var slowest atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				t0 := time.Now()
				if !h.healthy(3 * time.Second) {
					slowest.Store(int64(3 * time.Second))
				} else if d := int64(time.Since(t0)); d > slowest.Load() {
					slowest.Store(d)
				}
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}()
		ok, detail := attack(h)
		close(stop)
		wg.Wait()
		s := time.Duration(slowest.Load())
		return ok && s < time.Second, fmt.Sprintf("%s; slowest /healthz %s", detail, s.Round(time.Millisecond))
	}
}

var cases = []attack{
	{"metadata: 1 GiB topic over /ws", survives(func(h *harness) (bool, string) {
		r, err := h.run(map[string]any{"source": bigTopic, "mode": "sim"}, 30*time.Second)
		if err != nil {
			return false, err.Error()
		}
		msg, _ := r["message"].(string)
		return r["status"] == "error" && strings.Contains(msg, "literal"), fmt.Sprintf("%v: %.80s", r["status"], msg)
	})},
	{"metadata: four 1 GiB strings in a list over /ws", survives(func(h *harness) (bool, string) {
		src := "topic = \"t\"\nmodes = [\"x\" * (1 << 30), \"x\" * (1 << 30), \"x\" * (1 << 30), \"x\" * (1 << 30)]\ndef main():\n    pass\n"
		r, err := h.run(map[string]any{"source": src, "mode": "sim"}, 30*time.Second)
		if err != nil {
			return false, err.Error()
		}
		return r["status"] == "error", fmt.Sprintf("%v: %.80v", r["status"], r["message"])
	})},
	{"metadata: hostile snippet shared, then /p/ID", survives(func(h *harness) (bool, string) {
		id, code, err := h.share(bigTopic)
		if err != nil {
			return false, err.Error()
		}
		if id == "" {
			return code == http.StatusBadRequest, fmt.Sprintf("share refused with %d", code)
		}
		code, n, err := h.get("/p/" + id)
		return err == nil && n < 1<<20, fmt.Sprintf("/p/ID: %d, %d bytes", code, n)
	})},
	{"metadata: 74-byte snippet with a 64 MiB topic", survives(func(h *harness) (bool, string) {
		id, code, err := h.share("topic = \"x\" * (64 << 20)\ndef main():\n    pass\n")
		if err != nil || id == "" {
			return err == nil, fmt.Sprintf("share: %d %v", code, err)
		}
		code, n, err := h.get("/p/" + id)
		return err == nil && n < 1<<20, fmt.Sprintf("/p/ID: %d, %d bytes", code, n)
	})},
	{"metadata: recorded run whose source has a 256 MiB topic", survives(func(h *harness) (bool, string) {
		body := `{"result":{"scenario":"x","mode":"sim","status":"ok"},"events":[],"source":"topic = \"x\" * (256 << 20)\ndef main():\n    pass\n"}`
		code, b, err := h.post("/api/runs", "application/json", h.base, strings.NewReader(body))
		if err != nil {
			return false, err.Error()
		}
		var out struct{ ID string }
		if json.Unmarshal(b, &out) != nil || out.ID == "" {
			return code >= 400, fmt.Sprintf("upload %d", code)
		}
		code, n, err := h.get("/r/" + out.ID)
		return err == nil && n < 1<<20, fmt.Sprintf("/r/ID: %d, %d bytes", code, n)
	})},
	{"POST /api/trace of 60 MB", survives(func(h *harness) (bool, string) {
		code, _, err := h.post("/api/trace", "application/json", h.base, bigRun(60<<20))
		return err == nil && code == http.StatusRequestEntityTooLarge, fmt.Sprintf("%d %v", code, err)
	})},
	{"four POST /api/trace of 60 MB at once", survives(func(h *harness) (bool, string) {
		var wg sync.WaitGroup
		codes := make([]int, 4)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _, _ = h.post("/api/trace", "application/json", h.base, bigRun(60<<20))
			}()
		}
		wg.Wait()
		for _, c := range codes {
			if c != http.StatusRequestEntityTooLarge && c != http.StatusTooManyRequests && c != http.StatusServiceUnavailable {
				return false, fmt.Sprint(codes)
			}
		}
		return true, fmt.Sprint(codes)
	})},
	{"slow body: one byte every 5 s", func(h *harness) (bool, string) {
		c, err := net.Dial("tcp", h.host)
		if err != nil {
			return false, err.Error()
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /api/snippets HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n", h.host)
		t0 := time.Now()
		for time.Since(t0) < h.slow {
			if _, err := c.Write([]byte{'x'}); err != nil {
				return true, fmt.Sprintf("cut off after %s", time.Since(t0).Round(time.Second))
			}
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Read(make([]byte, 512)); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				return true, fmt.Sprintf("cut off after %s", time.Since(t0).Round(time.Second))
			}
		}
		return false, fmt.Sprintf("still held after %s", h.slow)
	}},
	{"200 idle keep-alive connections", func(h *harness) (bool, string) {
		var conns []net.Conn
		for range 200 {
			c, err := net.Dial("tcp", h.host)
			if err != nil {
				break
			}
			fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", h.host)
			conns = append(conns, c)
		}
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		t0 := time.Now()
		open := len(conns)
		for open > 0 && time.Since(t0) < h.slow+30*time.Second {
			open = 0
			for _, c := range conns {
				_ = c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
				_, err := io.Copy(io.Discard, c)
				if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
					continue // closed by the server
				}
				open++
			}
			time.Sleep(time.Second)
		}
		return open == 0, fmt.Sprintf("%d of %d still open after %s", open, len(conns), time.Since(t0).Round(time.Second))
	}},
	{"3,000 WebSockets from one address", survives(func(h *harness) (bool, string) {
		var conns []*websocket.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		refused := 0
		for range 3000 {
			c, err := h.dial("10.8.0.1", nil)
			if err != nil {
				refused++
				continue
			}
			conns = append(conns, c)
		}
		// Another student must still get in.
		c, err := h.dial("10.8.0.2", nil)
		if err == nil {
			c.Close()
		}
		return refused > 0 && err == nil, fmt.Sprintf("%d accepted, %d refused; another address: %v", len(conns), refused, err)
	})},
	{"DNS rebinding: Host and Origin evil.example on /ws", func(h *harness) (bool, string) {
		_, port, _ := net.SplitHostPort(h.host)
		hd := http.Header{"Origin": {"http://evil.example:" + port}}
		d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, NetDial: func(network, _ string) (net.Conn, error) {
			return net.Dial(network, h.host)
		}}
		c, resp, err := d.Dial("ws://evil.example:"+port+"/ws", hd)
		if resp != nil {
			resp.Body.Close()
		}
		if err == nil {
			c.Close()
			return false, "upgraded"
		}
		return true, fmt.Sprint(err)
	}},
	{"cross-site text/plain POST /api/snippets", func(h *harness) (bool, string) {
		code, _, err := h.post("/api/snippets", "text/plain", "http://evil.example", strings.NewReader(`{"source":"def main():\n    pass\n"}`))
		return err == nil && code >= 400, fmt.Sprint(code, err)
	}},
	{"form POST /api/runs", func(h *harness) (bool, string) {
		code, _, err := h.post("/api/runs", "application/x-www-form-urlencoded", "", strings.NewReader(`a=b`))
		return err == nil && code >= 400, fmt.Sprint(code, err)
	}},
	{"JSON POST /api/snippets from another origin", func(h *harness) (bool, string) {
		code, _, err := h.post("/api/snippets", "application/json", "http://evil.example", strings.NewReader(`{"source":"def main():\n    pass\n"}`))
		return err == nil && code == http.StatusForbidden, fmt.Sprint(code, err)
	}},
	{"one address fills the queue", func(h *harness) (bool, string) {
		src := "def main():\n    sleep(3000)\n"
		var conns []*websocket.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		refusedOwn := 0
		for range 70 {
			c, err := h.dial("10.7.0.1", nil)
			if err != nil {
				refusedOwn++
				continue
			}
			conns = append(conns, c)
			_ = c.WriteJSON(map[string]any{"type": "run", "source": src, "mode": "os"})
		}
		time.Sleep(500 * time.Millisecond)
		c, err := h.dial("10.7.0.2", nil)
		if err != nil {
			return false, "another address could not connect: " + err.Error()
		}
		defer c.Close()
		r, err := roundTrip(c, map[string]any{"source": "def main():\n    pass\n", "mode": "sim"}, 30*time.Second)
		if err != nil {
			return false, err.Error()
		}
		return r["status"] == "ok", fmt.Sprintf("another address: %v %.60v", r["status"], r["message"])
	}},
	{"recursive spawn: fib(6) through threads", statusIs(`def main():
    def fib(n):
        if n < 2:
            return n
        a = spawn(fib, n - 1)
        b = spawn(fib, n - 2)
        return a.join() + b.join()
    check(fib(6) == 8, "fib(6) is 8")
`, "ok", "")},
	{"self-spawning bomb", statusIs("def main():\n    def bomb():\n        spawn(bomb)\n        spawn(bomb)\n        sleep(60000)\n    bomb()\n", "limit", "thread")},
	{"one 1 GB string", statusIs("def main():\n    s = \"x\" * 1000000000\n", "limit", "memory")},
	{"sleep(inf)", statusIs("def main():\n    sleep(float(\"inf\"))\n", "error", "sleep")},
	{"work(nan)", statusIs("def main():\n    work(float(\"nan\"))\n", "error", "work")},
	{"sleep(1e300)", statusIs("def main():\n    sleep(1e300)\n", "error", "sleep")},
	{"one print of 17 MiB", statusIs("def main():\n    print(\"x\" * (17 << 20))\n", "limit", "")},
	// The value is clipped in its event (with its size said) and the run
	// goes on: what must not happen is a corrupt stream or a dead child.
	{"one value of 17 MiB in a cell", statusIs("def main():\n    c = cell(\"c\", \"\")\n    c.set(\"x\" * (17 << 20))\n", "ok", "")},
	{"int param above 2^53 stays exact", func(h *harness) (bool, string) {
		src := "params = {\"n\": param(1, min = 0)}\ndef main(n):\n    print(n)\n"
		r, err := h.run(map[string]any{"source": src, "mode": "sim", "params": map[string]any{"n": json.Number("9007199254740993")}}, 30*time.Second)
		if err != nil {
			return false, err.Error()
		}
		out, _ := r["output"].(string)
		return strings.Contains(out, "9007199254740993"), fmt.Sprintf("%v, output %q", r["status"], strings.TrimSpace(out))
	}},
	{"MaxInt64 param: server and child agree", func(h *harness) (bool, string) {
		src := "params = {\"n\": param(1, min = 0)}\ndef main(n):\n    print(n)\n"
		r, err := h.run(map[string]any{"source": src, "mode": "sim", "params": map[string]any{"n": json.Number("9223372036854775807")}}, 30*time.Second)
		if err != nil {
			return false, err.Error()
		}
		out, _ := r["output"].(string)
		return r["status"] == "ok" && strings.Contains(out, "9223372036854775807"), fmt.Sprintf("%v, output %q", r["status"], strings.TrimSpace(out))
	}},
	{"U+FFFD in a snippet is kept", func(h *harness) (bool, string) {
		src := "def main():\n    print(\"\uFFFD\")\n"
		id, code, err := h.share(src)
		if err != nil || id == "" {
			return false, fmt.Sprintf("share: %d %v", code, err)
		}
		resp, err := h.client.Get(h.base + "/p/" + id + ".star")
		if err != nil {
			return false, err.Error()
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(b) == src, fmt.Sprintf("raw snippet %q", b)
	}},
	{"the child holds no inherited descriptor", func(h *harness) (bool, string) {
		c, err := h.dial(h.addr(), nil)
		if err != nil {
			return false, err.Error()
		}
		defer c.Close()
		_ = c.WriteJSON(map[string]any{"type": "run", "source": "def main():\n    sleep(2000)\n", "mode": "os"})
		time.Sleep(700 * time.Millisecond)
		var leaked []string
		for _, child := range descendants(h.cmd.Process.Pid) {
			ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", child))
			for _, e := range ents {
				if target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", child, e.Name())); err == nil && target == h.secret {
					leaked = append(leaked, fmt.Sprintf("pid %d fd %s", child, e.Name()))
				}
			}
		}
		return len(leaked) == 0, fmt.Sprintf("processes holding the root-only file: %v", leaked)
	}},
	{"a child killed by a signal is not called out of memory", func(h *harness) (bool, string) {
		c, err := h.dial(h.addr(), nil)
		if err != nil {
			return false, err.Error()
		}
		defer c.Close()
		res := make(chan map[string]any, 1)
		go func() {
			r, _ := roundTrip(c, map[string]any{"source": "def main():\n    sleep(5000)\n", "mode": "os"}, 30*time.Second)
			res <- r
		}()
		time.Sleep(700 * time.Millisecond)
		killed := 0
		for _, p := range descendants(h.cmd.Process.Pid) {
			if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p)); bytes.Contains(b, []byte("__interleave_child")) {
				if syscall.Kill(p, syscall.SIGKILL) == nil {
					killed++
				}
			}
		}
		r := <-res
		msg := fmt.Sprint(r["message"])
		return killed > 0 && !strings.Contains(strings.ToLower(msg), "memory"), fmt.Sprintf("killed %d; %v: %.80s", killed, r["status"], msg)
	}},
}

// descendants lists every process below pid.
func descendants(pid int) []int {
	parent := map[int]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 {
			parent[p], _ = strconv.Atoi(f[1])
		}
	}
	var out []int
	for p := range parent {
		for q := parent[p]; q > 1; q = parent[q] {
			if q == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// bigRun streams a recorded run of about n bytes without holding it.
func bigRun(n int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriter(pw)
		fmt.Fprint(w, `{"result":{"scenario":"x","mode":"sim","status":"ok"},"events":[`)
		written := 0
		for i := 1; written < n; i++ {
			if i > 1 {
				w.WriteByte(',')
			}
			k, err := fmt.Fprintf(w, `{"seq":%d,"t":%d,"th":0,"k":"get","obj":"c","v":0}`, i, i)
			if err != nil { // the server stopped reading: stop writing
				pw.CloseWithError(err)
				return
			}
			written += k
		}
		fmt.Fprint(w, "]}")
		err := w.Flush()
		pw.CloseWithError(err)
	}()
	return pr
}
