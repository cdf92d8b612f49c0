package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"interleave/limits"
	"interleave/sandbox"
	"interleave/sandbox/engine"
	"interleave/sandbox/sandboxtest"
	"interleave/sandbox/trace"
)

// TestConfiguredScriptLimit checks that the runner's own limit is the one
// that counts: scenarios.Parse, which the child calls too, no longer caps
// scripts at the default 64 KiB.
func TestConfiguredScriptLimit(t *testing.T) {
	r, err := sandbox.New(sandbox.Config{Exe: sandboxtest.Binary(t), Limits: limits.Limits{Wall: 20 * time.Second, Script: 100000}})
	if err != nil {
		t.Fatal(err)
	}
	script := func(size int) string {
		head := "def main():\n    pass\n#"
		return head + strings.Repeat("x", size-len(head))
	}
	tests := []struct {
		name       string
		size       int
		wantStatus trace.Status
		wantMsg    string
	}{
		{"70 KiB under a limit of 100000", 70 << 10, trace.StatusOK, ""},
		{"one byte over the limit", 100001, trace.StatusLimit, "The script is 100001 bytes; the script size limit is 100000 bytes."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := collect(t, r, context.Background(), engine.Request{Scenario: "big", Source: script(tt.size), Mode: trace.ModeSim})
			if res.Status != tt.wantStatus || !strings.Contains(res.Message, tt.wantMsg) {
				t.Errorf("Run(%d bytes) = %s %q, want %s %q", tt.size, res.Status, res.Message, tt.wantStatus, tt.wantMsg)
			}
		})
	}
}

// TestIntParamsExactInChild sends ints that float64 cannot hold to a
// child and checks that the script sees them exact.
func TestIntParamsExactInChild(t *testing.T) {
	r := newRunner(t, sandboxtest.Binary(t), 20*time.Second)
	for _, n := range []int64{9007199254740993, 9223372036854775807, -9223372036854775808} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			src := fmt.Sprintf("params = {\"n\": param(0)}\ndef main(n):\n    check(n == %d, \"n arrived exact\")\n", n)
			if n < 0 {
				// -9223372036854775808 is not a literal of its own: write it as an expression.
				src = "params = {\"n\": param(0)}\ndef main(n):\n    check(n == -9223372036854775807 - 1, \"n arrived exact\")\n"
			}
			req := engine.Request{Scenario: "exact", Source: src, Mode: trace.ModeSim, Params: map[string]any{"n": n}}
			res, _ := collect(t, r, context.Background(), req)
			if res.Status != trace.StatusOK {
				t.Fatalf("Run(n = %d) = %s %q, want ok", n, res.Status, res.Message)
			}
			b, _ := json.Marshal(res.Params["n"])
			if string(b) != fmt.Sprint(n) {
				t.Errorf("Run(n = %d) result params n = %s, want %d", n, b, n)
			}
		})
	}
}
