package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"interleave/limits"
	"interleave/sandbox/engine"
	"interleave/sandbox/trace"
)

// TestEncodeResultFits gives encodeResult results far over one frame and
// checks that each comes out under it, saying what it left out.
func TestEncodeResultFits(t *testing.T) {
	long := strings.Repeat("y", trace.MaxText)
	many := func(n int) *trace.Result {
		res := &trace.Result{Status: trace.StatusOK, Message: "main returned."}
		for i := range n {
			res.Checks = append(res.Checks, trace.CheckResult{Msg: long, OK: true, Line: i})
			res.Cells = append(res.Cells, trace.CellValue{Name: long, Value: trace.Str(long)})
		}
		return res
	}
	tests := []struct {
		name     string
		res      *trace.Result
		wantMsg  string
		wantKept int
	}{
		{"small", many(10), "main returned.", 10},
		{"ten thousand checks and cells", many(10000), "main returned. (The result lists the first 5000 of 10000 checks and 5000 of 10000 cells", 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := encodeResult(tt.res)
			if err != nil {
				t.Fatalf("encodeResult() error = %v", err)
			}
			if len(b) > maxFrame {
				t.Fatalf("encodeResult() = %d bytes, want at most %d", len(b), maxFrame)
			}
			var got trace.Result
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got.Message, tt.wantMsg) || len(got.Checks) != tt.wantKept {
				t.Errorf("encodeResult() kept %d checks with message %q, want %d and %q", len(got.Checks), got.Message, tt.wantKept, tt.wantMsg)
			}
		})
	}
}

// TestEmitSplitsFrames feeds runChild's writer a run whose one batch is
// far larger than a frame.
func TestEmitSplitsFrames(t *testing.T) {
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	src := "def main():\n    c = cell(\"c\")\n    s = \"z\" * 4096\n    for i in range(20000):\n        c.set(s)\n"
	if err := runChild(t.Context(), engine.Request{Source: src, Mode: trace.ModeSim}, w, limits.Limits{}); err != nil {
		t.Fatalf("runChild() error = %v", err)
	}
	r := bufio.NewReader(&out)
	var buf []byte
	frames, events := 0, 0
	var dec trace.Decoder
	for {
		typ, payload, err := trace.ReadFrame(r, buf, maxFrame)
		if err != nil {
			break
		}
		buf = payload
		if typ == trace.FrameEvents {
			frames++
			if len(payload) > 2*frameBudget {
				t.Errorf("frame of %d bytes, want about %d at most", len(payload), frameBudget)
			}
			evs, err := dec.Decode(nil, payload)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				if len(e.V.Str) > trace.MaxText {
					t.Fatalf("event value of %d bytes, want at most %d", len(e.V.Str), trace.MaxText)
				}
			}
			events += len(evs)
		}
	}
	if events < 20000 || frames < 2 {
		t.Errorf("read %d events in %d frames, want over 20000 in several", events, frames)
	}
}
