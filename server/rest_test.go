package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"interleave/sandbox/trace"
)

// A client too slow for a 300,000-event run has events shed while it
// streams, and after the end fetches the whole run's recording: every
// event, seqs contiguous, as many as the result counts.
func TestSlowClientGetsTheRest(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	end, received := floodSlowly(t, c, 300000)
	stats := end["result"].(map[string]any)["stats"].(map[string]any)
	total := int(stats["events"].(float64))
	if total < 300_000 || stats["dropped"].(float64) == 0 {
		t.Fatalf("stats = %v, want over 300,000 events with some shed", stats)
	}
	rest, ok := end["rest"].(map[string]any)
	if !ok {
		t.Fatalf("end = %v, want a rest offer", end)
	}
	if n := int(rest["events"].(float64)); n != total {
		t.Errorf("rest offers %d events, want %d", n, total)
	}
	resp, err := http.Get(ts.URL + rest["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, %v", rest["url"], resp.StatusCode, err)
	}
	var d trace.Decoder
	evs, err := d.Decode(nil, b)
	if err != nil {
		t.Fatalf("decode the rest: %v", err)
	}
	if len(evs) != total || len(evs) <= received {
		t.Fatalf("rest holds %d events, want %d (more than the %d received)", len(evs), total, received)
	}
	for i := range evs {
		if evs[i].Seq != evs[0].Seq+uint64(i) {
			t.Fatalf("event %d has seq %d, want %d", i, evs[i].Seq, evs[0].Seq+uint64(i))
		}
	}
	// The next run drops the recording.
	c.send(`{"type":"run","scenario":"lost-update","params":{"threads":1,"iterations":5}}`)
	c.untilEnd()
	if code, body := get(t, ts.URL+rest["url"].(string)); code != http.StatusNotFound || !strings.Contains(body, "no longer kept") {
		t.Errorf("GET the rest after the next run = %d %s, want 404 saying the events are no longer kept", code, body)
	}
}

// A run whose client kept up offers nothing: its page has every event.
func TestKeptUpClientGetsNoRest(t *testing.T) {
	ts := startServer(t)
	c := dial(t, ts)
	c.send(`{"type":"run","scenario":"lost-update","params":{"threads":2,"iterations":50}}`)
	msgs := c.untilEnd()
	if end := msgs[len(msgs)-1]; end["type"] != "end" || end["rest"] != nil {
		t.Errorf("end = %v, want an end without a rest offer", end)
	}
}
