package server_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"interleave/limits"
	"interleave/sandbox"
	"interleave/server"
)

// BenchmarkRunBesideInteractive measures what a press of Run costs (from
// sending a plain sim run to its first events) on a server with two run
// slots and a warm child each, with no You schedule run open and with
// 20 open ones whose children wait at their first choice, each from an
// address of its own; the same benchmark run gives both, and their
// ratio is the price of the waiting children. It also reports the
// memory: the server's RSS and, per waiting child, its RSS and what its
// cgroup is charged (0 where the sandbox has no memory cgroup). The
// children are the lean build, as a deployed server starts them.
func BenchmarkRunBesideInteractive(b *testing.B) {
	exe := filepath.Join(b.TempDir(), sandbox.LeanBinary)
	build := exec.Command("go", "build", "-tags", "lean", "-o", exe, "interleave")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build the child: %v\n%s", err, out)
	}
	if err := os.Chmod(filepath.Dir(exe), 0o755); err != nil {
		b.Fatal(err)
	}
	runner, err := sandbox.New(sandbox.Config{Exe: exe, Limits: limits.Limits{Wall: time.Minute}, Warm: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer runner.Close()
	url, stop := serveRunner(b, server.Config{MaxRuns: 2, RunsPerMinute: server.Unlimited, TrustProxy: true}, runner)
	defer stop()
	hog, _ := json.Marshal(heapBeforeChoice)
	for _, bc := range []struct {
		name string
		held int
		run  string
	}{
		{"held-0", 0, ""},
		{"held-20", 20, interactiveTwoLocks},
		{"held-20-10MiB-heap", 20, `{"type":"run","mode":"sim","interactive":true,"source":` + string(hog) + `}`},
	} {
		held := bc.held
		b.Run(bc.name, func(b *testing.B) {
			var open []*websocket.Conn
			for i := range held {
				c := dialBench(b, url, fmt.Sprintf("10.1.0.%d", i+1))
				mustWrite(b, c, bc.run)
				readUntil(b, c, `{"type":"choice"`)
				open = append(open, c)
			}
			kids := childrenOf(os.Getpid())
			c := dialBench(b, url, "10.2.0.1")
			var lat []time.Duration
			for b.Loop() {
				start := time.Now()
				mustWrite(b, c, `{"type":"run","mode":"sim","source":"def main():\n    pass\n"}`)
				readUntil(b, c, `{"type":"events"`)
				lat = append(lat, time.Since(start))
				readUntil(b, c, `{"type":"end"`)
			}
			reportLatency(b, lat)
			b.ReportMetric(float64(procKiB(os.Getpid(), "VmRSS"))/1024, "server-MiB")
			if held > 0 {
				var rss, anon, charged int64
				for _, pid := range kids {
					rss += procKiB(pid, "VmRSS")
					anon += procKiB(pid, "RssAnon")
					charged += cgroupCharge(pid)
				}
				// The warm children, if started again yet, are among them.
				b.ReportMetric(float64(rss)/1024/float64(len(kids)), "child-rss-MiB")
				b.ReportMetric(float64(anon)/1024/float64(len(kids)), "child-anon-MiB")
				b.ReportMetric(float64(charged)/(1<<20)/float64(len(kids)), "child-cgroup-MiB")
				b.ReportMetric(float64(len(kids)), "children")
			}
			c.Close()
			for _, o := range open {
				mustWrite(b, o, `{"type":"stop"}`)
				readUntil(b, o, `{"type":"end"`)
				o.Close()
			}
		})
	}
}

// heapBeforeChoice fills about 10 MiB of heap, most of what an
// interactive run may use, before its first choice: the most a waiting
// child keeps.
const heapBeforeChoice = `def main():
    big = ["x" * 1000 + str(i) for i in range(10000)]
    c = cell("c", len(big))
    def w():
        c.add(1)
    a = spawn(w, name = "a")
    b = spawn(w, name = "b")
    a.join()
    b.join()
`

// dialBench opens a socket as the client address addr.
func dialBench(b *testing.B, url, addr string) *websocket.Conn {
	b.Helper()
	h := map[string][]string{"Origin": {url}, "X-Forwarded-For": {addr}}
	c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http")+"/ws", h)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	return c
}

// childrenOf lists the live children of pid.
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var kids []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if procKiB(p, "PPid") == int64(pid) && procKiB(p, "VmRSS") > 0 {
			kids = append(kids, p)
		}
	}
	return kids
}

// procKiB reads a number field of /proc/PID/status (kB for sizes).
func procKiB(pid int, field string) int64 {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}

// cgroupCharge reads what pid's memory cgroup is charged, v2 or v1.
func cgroupCharge(pid int) int64 {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var file string
		switch {
		case parts[0] == "0" && parts[1] == "":
			file = filepath.Join("/sys/fs/cgroup/unified", parts[2], "memory.current")
			if _, err := os.Stat(file); err != nil {
				file = filepath.Join("/sys/fs/cgroup", parts[2], "memory.current")
			}
		case strings.Contains(parts[1], "memory"):
			file = filepath.Join("/sys/fs/cgroup/memory", parts[2], "memory.usage_in_bytes")
		default:
			continue
		}
		if b, err := os.ReadFile(file); err == nil {
			if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}
