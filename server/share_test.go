package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"interleave/sandbox/trace"
	"interleave/server"
	"interleave/server/store"
)

func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func post(t *testing.T, url, body string) (int, map[string]any, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m, string(b)
}

func sharingServer(t *testing.T, db string) *testServer {
	t.Helper()
	return startServerWith(t, server.Config{MaxRuns: 2, PerClientRuns: 2, RunsPerMinute: server.Unlimited, SharesPerMinute: server.Unlimited, Store: openStore(t, db)})
}

func TestSnippets(t *testing.T) {
	db := filepath.Join(t.TempDir(), "share.db")
	ts := sharingServer(t, db)
	src := "\"\"\"My race\n\nMine.\n\"\"\"\nparams = {\"n\": param(3, min = 1, max = 9)}\ndef main(n):\n    c = cell(\"c\")\n    c.add(n)\n"
	body, _ := json.Marshal(map[string]string{"source": src})
	status, m, raw := post(t, ts.URL+"/api/snippets", string(body))
	if status != 200 {
		t.Fatalf("POST /api/snippets = %d %s", status, raw)
	}
	id, _ := m["id"].(string)
	if id != store.SnippetID(src) || m["url"] != "/p/"+id {
		t.Errorf("POST /api/snippets = %v, want id %s", m, store.SnippetID(src))
	}
	if _, again, _ := post(t, ts.URL+"/api/snippets", string(body)); again["id"] != id {
		t.Errorf("the same text got id %v, want %s", again["id"], id)
	}
	if code, text := get(t, ts.URL+"/p/"+id+".star"); code != 200 || text != src {
		t.Errorf("GET /p/%s.star = %d %q, want the script", id, code, text)
	}
	code, page := get(t, ts.URL+"/p/"+id+"?n=5")
	if code != 200 || !strings.Contains(page, "My race") || !strings.Contains(page, `data-param="n"`) || !strings.Contains(page, `value="5"`) || !strings.Contains(page, `"snippet":"`+id+`"`) {
		t.Errorf("GET /p/%s = %d, want the script's page with its params and the link's values", id, code)
	}

	// It survives a restart: a new server over the same file.
	ts2 := sharingServer(t, db)
	if code, text := get(t, ts2.URL+"/p/"+id+".star"); code != 200 || text != src {
		t.Errorf("after a restart GET /p/%s.star = %d %q", id, code, text)
	}
}

func TestSnippetRefusals(t *testing.T) {
	ts := sharingServer(t, filepath.Join(t.TempDir(), "share.db"))
	big, _ := json.Marshal(map[string]string{"source": "def main():\n    pass\n#" + strings.Repeat("x", 70000)})
	tests := []struct {
		name, body string
		want       int
		wantMsg    string
	}{
		{"oversize", string(big), 413, "limit is 65536 bytes"},
		{"invalid UTF-8", "{\"source\":\"def main():\\n    print(\\\"\xff\\\")\\n\"}", 400, "not valid UTF-8"},
		{"empty", `{"source":"  "}`, 400, "empty"},
		{"not JSON", `source=x`, 400, "must be JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, m, raw := post(t, ts.URL+"/api/snippets", tt.body)
			if code != tt.want || !strings.Contains(m["error"].(string), tt.wantMsg) {
				t.Errorf("POST /api/snippets (%s) = %d %s, want %d with %q", tt.name, code, raw, tt.want, tt.wantMsg)
			}
		})
	}
}

// TestSnippetReplacementCharacter: U+FFFD is a character like any other,
// escaped or not; only bytes that are not UTF-8 are refused.
func TestSnippetReplacementCharacter(t *testing.T) {
	ts := sharingServer(t, filepath.Join(t.TempDir(), "share.db"))
	for _, body := range []string{
		`{"source":"def main():\n    print(\"\ufffd\")\n"}`,
		"{\"source\":\"def main():\\n    print(\\\"\uFFFD\\\")\\n\"}",
	} {
		code, m, raw := post(t, ts.URL+"/api/snippets", body)
		if code != 200 {
			t.Fatalf("POST /api/snippets %q = %d %s, want 200", body, code, raw)
		}
		id, _ := m["id"].(string)
		if code, text := get(t, ts.URL+"/p/"+id+".star"); code != 200 || !strings.Contains(text, "\uFFFD") {
			t.Errorf("GET /p/%s.star = %d %q, want the script with U+FFFD", id, code, text)
		}
	}
}

func TestUnknownIDsAndScanning(t *testing.T) {
	ts := sharingServer(t, filepath.Join(t.TempDir(), "share.db"))
	if code, body := get(t, ts.URL+"/p/AAAAAAAAAAA"); code != 404 || !strings.Contains(body, "There is nothing here") {
		t.Errorf("GET unknown snippet = %d, want the 404 page", code)
	}
	if code, _ := get(t, ts.URL+"/r/AAAAAAAAAAA"); code != 404 {
		t.Errorf("GET unknown run = %d, want 404", code)
	}
	limited := false
	for i := 0; i < 60 && !limited; i++ {
		code, _ := get(t, ts.URL+"/p/"+strings.Repeat(string(rune('A'+i%26)), 11))
		limited = code == http.StatusTooManyRequests
	}
	if !limited {
		t.Error("60 lookups of unknown ids were all answered, want the scan rate-limited")
	}
}

func TestRecordedRuns(t *testing.T) {
	ts := sharingServer(t, filepath.Join(t.TempDir(), "share.db"))
	c := dial(t, ts)
	c.send(`{"type":"run","scenario":"two-locks","mode":"sim","seed":3}`)
	var events []json.RawMessage
	var result json.RawMessage
	for _, m := range c.untilEnd() {
		switch m["type"] {
		case "events":
			for _, e := range m["events"].([]any) {
				b, _ := json.Marshal(e)
				events = append(events, b)
			}
		case "end":
			result, _ = json.Marshal(m["result"])
		}
	}
	upload, _ := json.Marshal(map[string]any{"result": result, "events": events})
	code, m, raw := post(t, ts.URL+"/api/runs", string(upload))
	if code != 200 {
		t.Fatalf("POST /api/runs = %d %s", code, raw)
	}
	id := m["id"].(string)
	if code, page := get(t, ts.URL+"/r/"+id); code != 200 || !strings.Contains(page, `"replay":"/r/`+id+`.json"`) {
		t.Errorf("GET /r/%s = %d, want the replay page", id, code)
	}
	code, body := get(t, ts.URL+"/r/"+id+".json")
	var back struct {
		Result trace.Result  `json:"result"`
		Events []trace.Event `json:"events"`
	}
	if err := json.Unmarshal([]byte(body), &back); code != 200 || err != nil || len(back.Events) != len(events) || back.Result.Status == "" {
		t.Fatalf("GET /r/%s.json = %d, %v, %d events, want the %d events back", id, code, err, len(back.Events), len(events))
	}
	code, tr := get(t, ts.URL+"/r/"+id+".trace.json")
	if code != 200 {
		t.Fatalf("GET /r/%s.trace.json = %d", id, code)
	}
	if err := trace.ValidateChrome([]byte(tr)); err != nil {
		t.Errorf("the exported trace is invalid: %v", err)
	}
	// The same conversion for a run that was never saved.
	resp, err := http.Post(ts.URL+"/api/trace", "application/json", bytes.NewReader(upload))
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := trace.ValidateChrome(tb); resp.StatusCode != 200 || err != nil {
		t.Errorf("POST /api/trace = %d, %v", resp.StatusCode, err)
	}
	for _, bad := range []string{`{"events":[]}`, `{"result":{"status":"great"}}`, `{"result":{"status":"ok"},"events":[{"seq":2,"k":"get"},{"seq":1,"k":"get"}]}`} {
		if code, _, raw := post(t, ts.URL+"/api/runs", bad); code != 400 {
			t.Errorf("POST /api/runs %s = %d %s, want 400", bad, code, raw)
		}
	}
}

func TestSharingOff(t *testing.T) {
	ts := startServer(t)
	if code, m, _ := post(t, ts.URL+"/api/snippets", `{"source":"def main():\n    pass\n"}`); code != 503 || !strings.Contains(m["error"].(string), "Sharing is off") {
		t.Errorf("POST /api/snippets without a store = %d %v, want 503", code, m)
	}
}

// TestSnippetEditedFrom shares an edited catalogue scenario: its page is
// titled from the edited script and says what it was edited from, by the
// link's from= or, without it, by the title the script still carries.
func TestSnippetEditedFrom(t *testing.T) {
	ts := sharingServer(t, filepath.Join(t.TempDir(), "share.db"))
	orig, err := os.ReadFile("../scenarios/lib/counter-mutex.star")
	if err != nil {
		t.Fatal(err)
	}
	share := func(src string) string {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"source": src})
		code, m, raw := post(t, ts.URL+"/api/snippets", string(body))
		if code != 200 {
			t.Fatalf("POST /api/snippets = %d %s", code, raw)
		}
		return ts.URL + m["url"].(string)
	}
	edited := share(strings.Replace(string(orig), "def main", "# the lock taken out\ndef main", 1))
	retitled := share(strings.Replace(string(orig), `"""The counter under a mutex`, `"""My broken counter`, 1))
	tests := []struct {
		name, url, want, wantNot string
	}{
		{"same title", edited, "Edited from “The counter under a mutex", "Fixes"},
		{"named by the link", retitled + "?from=counter-mutex", "Edited from “The counter under a mutex", ""},
		{"new title, no link", retitled, "My broken counter", "Edited from"},
		{"unknown from", retitled + "?from=nope", "My broken counter", "Edited from"},
		{"unchanged", share(string(orig)) + "?from=counter-mutex", "The counter under a mutex", "Edited from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, page := get(t, tt.url)
			if code != 200 || !strings.Contains(page, tt.want) || (tt.wantNot != "" && strings.Contains(page, `<span class="topic">`+tt.wantNot)) {
				t.Errorf("GET %s = %d, want %q on the page and no topic %q", tt.url, code, tt.want, tt.wantNot)
			}
		})
	}
}
