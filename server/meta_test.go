package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hostileScripts have metadata that would take the server's memory if it
// were evaluated. The server reads metadata without running it, so each
// is a script error at its place and a page of the usual size.
var hostileScripts = []struct{ name, src, want string }{
	{"1 GB topic", "topic = \"x\" * (1024 * 1024 * 1023)\ndef main():\n    pass\n", "1:9: topic must be a literal string"},
	{"64 MiB topic", "topic = \"x\" * (64<<20)\ndef main():\n    pass\n", "1:9: topic must be a literal string"},
	{"four in a list", "modes = [\"x\" * (1024 * 1024 * 1023)] * 4\ndef main():\n    pass\n", "1:9: modes must be a list"},
	{"computed default", "params = {\"n\": param(\"x\" * (1 << 30))}\ndef main(n):\n    pass\n", "1:22: params: &#34;n&#34; must be declared with param(...) whose arguments are literals"},
}

// maxPage is four times a scenario page of a short script and far below
// what the hostile scripts made before (67 MB for a 64 MiB topic).
const maxPage = 64 << 10

func TestHostileMetadataSnippetPage(t *testing.T) {
	ts := sharingServer(t, filepath.Join(t.TempDir(), "share.db"))
	for _, h := range hostileScripts {
		t.Run(h.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]string{"source": h.src})
			status, m, raw := post(t, ts.URL+"/api/snippets", string(body))
			if status != 200 {
				t.Fatalf("POST /api/snippets = %d %s", status, raw)
			}
			code, page := get(t, ts.URL+"/p/"+m["id"].(string))
			if code != 200 || len(page) > maxPage || !strings.Contains(page, h.want) {
				t.Errorf("GET /p/%s = %d, %d bytes, want 200, under %d bytes, with %q", m["id"], code, len(page), maxPage, h.want)
			}
		})
	}
}

func TestHostileMetadataRecordedRunPage(t *testing.T) {
	ts := sharingServer(t, filepath.Join(t.TempDir(), "share.db"))
	for _, h := range hostileScripts {
		t.Run(h.name, func(t *testing.T) {
			upload, _ := json.Marshal(map[string]any{
				"result": map[string]any{"scenario": "script", "mode": "sim", "status": "ok"},
				"events": []any{}, "source": h.src,
			})
			status, m, raw := post(t, ts.URL+"/api/runs", string(upload))
			if status != 200 {
				t.Fatalf("POST /api/runs = %d %s", status, raw)
			}
			code, page := get(t, ts.URL+"/r/"+m["id"].(string))
			if code != 200 || len(page) > maxPage {
				t.Errorf("GET /r/%s = %d, %d bytes, want 200 and under %d bytes", m["id"], code, len(page), maxPage)
			}
		})
	}
}

func TestHostileMetadataRun(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	for _, h := range hostileScripts {
		t.Run(h.name, func(t *testing.T) {
			src, _ := json.Marshal(h.src)
			c.send(`{"type":"run","mode":"sim","source":` + string(src) + `}`)
			res := endResult(t, c)
			want := strings.ReplaceAll(h.want, "&#34;", `"`)
			line, col, msg := 0, 0, ""
			fmt.Sscanf(want, "%d:%d:", &line, &col)
			msg = want[strings.Index(want, ": ")+2:]
			loc, _ := res["error"].(map[string]any)
			if res["status"] != "error" || loc == nil || fmt.Sprint(loc["line"]) != fmt.Sprint(line) || fmt.Sprint(loc["col"]) != fmt.Sprint(col) ||
				!strings.Contains(fmt.Sprint(res["message"]), msg) {
				t.Errorf("run %s = %v %v %q, want error at %d:%d with %q", h.name, res["status"], loc, res["message"], line, col, msg)
			}
		})
	}
}

// endResult reads a run's messages up to its end and returns the result,
// decoded with numbers kept as json.Number.
func endResult(t *testing.T, c *wsClient) map[string]any {
	t.Helper()
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, b, err := c.conn.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("read: %s is not JSON: %v", b, err)
		}
		switch m["type"] {
		case "end":
			return m["result"].(map[string]any)
		case "error":
			t.Fatalf("run refused: %s", b)
		}
	}
}

// TestExactIntParams sends ints that float64 cannot hold and checks that
// the script sees them exact and the result gives them back exact, or
// that the run is refused naming the bounds, the same on both sides.
func TestExactIntParams(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	tests := []struct {
		given, want, wantStatus, wantMsg string
	}{
		{"9007199254740993", "9007199254740993", "ok", ""},
		{"9223372036854775807", "9223372036854775807", "ok", ""},
		{`"9223372036854775807"`, "9223372036854775807", "ok", ""},
		{"9223372036854775808", "", "error", "must be an integer from -9223372036854775808 to 9223372036854775807, not 9223372036854775808"},
		{"4.5", "", "error", "must be an integer, not 4.5"},
	}
	for _, tt := range tests {
		t.Run(tt.given, func(t *testing.T) {
			want := tt.want
			if want == "" {
				want = "0"
			}
			src, _ := json.Marshal(fmt.Sprintf("params = {\"n\": param(0)}\ndef main(n):\n    check(n == %s, \"n arrived exact\")\n", want))
			c.send(`{"type":"run","mode":"sim","source":` + string(src) + `,"params":{"n":` + tt.given + `}}`)
			res := endResult(t, c)
			if res["status"] != tt.wantStatus || !strings.Contains(fmt.Sprint(res["message"]), tt.wantMsg) {
				t.Fatalf("run with n = %s: %v %q, want %s %q", tt.given, res["status"], res["message"], tt.wantStatus, tt.wantMsg)
			}
			if tt.want == "" {
				return
			}
			if got := fmt.Sprint(res["params"].(map[string]any)["n"]); got != tt.want {
				t.Errorf("run with n = %s: result params n = %s, want %s", tt.given, got, tt.want)
			}
		})
	}
}
