package engine

import (
	"testing"

	"interleave/sandbox/trace"
)

func TestScriptErrors(t *testing.T) {
	for _, c := range []struct {
		name      string
		src       string
		params    map[string]any
		mode      trace.Mode
		schedule  string
		line, col int
		msg       string
	}{
		{"syntax", "def main():\n    x = (\n", nil, "", "", 3, 1, "line 3, column 1: got outdent, want primary expression."},
		{"undefined", "def main():\n    h = spwan(main)\n", nil, "", "", 2, 9, "line 2, column 9: undefined: spwan."},
		{"no main", "x = 1\n", nil, "", "", 1, 1, "the script has no main function"},
		{"bad param", "params = {\"n\": param(2, max = 5)}\ndef main(n):\n    pass\n", map[string]any{"n": 9}, "", "", 0, 0, `param "n" must be at most 5, not 9.`},
		{"unknown param", "def main():\n    pass\n", map[string]any{"x": 1}, "", "", 0, 0, `param "x" is not a parameter of this scenario.`},
		{"wrong argument in main", "def main():\n    c = cell()\n", nil, "", "", 2, 9, "line 2, column 9: cell: missing argument for name."},
		{"unknown method", "def main():\n    c = cell(\"c\")\n    c.increment()\n", nil, "", "", 3, 6, "line 3, column 6: cell has no .increment field or method."},
		{"wrong call in main", "def f(a):\n    pass\ndef main():\n    f(1, 2)\n", nil, "", "", 4, 5, "line 4, column 5: function f accepts 1 positional argument (2 given)."},
		{"top-level error", "x = 1 // 0\ndef main():\n    pass\n", nil, "", "", 1, 7, "line 1, column 7: floored division by zero."},
		{"loop variable captured", "def main():\n    for i in range(3):\n        spawn(lambda: print(i))\n", nil, "", "", 2, 9,
			"line 2, column 9: i changes here, but the function at line 3 captures it, and a thread running that function would race with this change: pass it as an argument instead, as in spawn(f, i), or keep it in a cell."},
		{"captured then reassigned", "def main():\n    x = 1\n    def w():\n        return x\n    spawn(w)\n    x += 1\n", nil, "", "", 6, 5, "line 6, column 5: x changes here"},
		{"comprehension variable captured", "def main():\n    hs = [spawn(lambda: i) for i in range(3)]\n", nil, "", "", 2, 32, "line 2, column 32: i changes here"},
		{"bad mode", "def main():\n    pass\n", nil, "fast", "", 0, 0, `unknown mode "fast": use os, green or sim.`},
		{"bad schedule", "def main():\n    pass\n", nil, trace.ModeSim, "0*x", 0, 0, `invalid schedule: entry 1 ("0*x") has a bad count: the form is 0*3.1*2.2.`},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, _ := collect(t, Request{Scenario: "s", Source: c.src, Params: c.params, Mode: c.mode, Schedule: c.schedule})
			if res.Status != trace.StatusError {
				t.Fatalf("Run(%q) = %v (%s), want error", c.name, res.Status, res.Message)
			}
			if res.Message != c.msg && !contains(res.Message, c.msg) {
				t.Errorf("Run(%q) message = %q, want %q", c.name, res.Message, c.msg)
			}
			if c.line > 0 && (res.Error == nil || res.Error.Line != c.line || res.Error.Col != c.col) {
				t.Errorf("Run(%q) error = %+v, want line %d column %d", c.name, res.Error, c.line, c.col)
			}
		})
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
