package scenarios

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		wantLine  int
		wantCol   int
		wantInMsg string
	}{
		{name: "minimal", src: "def main():\n    pass\n"},
		{name: "syntax error", src: "def main(:\n    pass\n", wantLine: 1, wantCol: 11, wantInMsg: "got"},
		{name: "no main", src: "x = 1\n", wantLine: 1, wantCol: 1, wantInMsg: "no main"},
		{name: "main param not declared", src: "def main(n):\n    pass\n", wantLine: 1, wantCol: 10, wantInMsg: `declares no "n"`},
		{name: "declared param not in main", src: "params = {\"n\": param(1)}\ndef main():\n    pass\n", wantLine: 2, wantCol: 1, wantInMsg: `no parameter of that name`},
		{name: "param with bad bound", src: "params = {\"n\": param(1, min = \"a\")}\ndef main(n):\n    pass\n", wantLine: 1, wantCol: 31, wantInMsg: "min must be a number"},
		{name: "default out of bounds", src: "params = {\"n\": param(0, min = 1)}\ndef main(n):\n    pass\n", wantLine: 1, wantCol: 16, wantInMsg: "out of its own bounds"},
		{name: "params not a dict", src: "params = 3\ndef main():\n    pass\n", wantLine: 1, wantCol: 10, wantInMsg: "must be a dict"},
		{name: "unknown mode", src: "modes = [\"fast\"]\ndef main():\n    pass\n", wantLine: 1, wantCol: 10, wantInMsg: "unknown mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x", tt.src)
			if tt.wantInMsg == "" {
				if err != nil {
					t.Fatalf("Parse(%q) error = %v, want nil", tt.src, err)
				}
				return
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want *Error", tt.src, err)
			}
			if se.Line != tt.wantLine || se.Col != tt.wantCol || !strings.Contains(se.Msg, tt.wantInMsg) {
				t.Errorf("Parse(%q) = %d:%d %q, want %d:%d containing %q", tt.src, se.Line, se.Col, se.Msg, tt.wantLine, tt.wantCol, tt.wantInMsg)
			}
		})
	}
}

func TestParseMetadata(t *testing.T) {
	src := `"""Title line

    Some *notes*
      indented more.
    """
topic = "Threads"
modes = ["sim"]
rust = """
fn main() {}
"""
params = {
    "n": param(3, min = 1, max = 9, doc = "how many"),
    "fast": param(True),
    "name": param("x", choices = ["x", "y"]),
    "ratio": param(0.5, min = 0.0, max = 1.0),
}
def main(n, fast, name, ratio):
    pass
`
	s, err := Parse("meta", src)
	if err != nil {
		t.Fatalf("Parse() error = %v", err)
	}
	if s.Title != "Title line" || s.Topic != "Threads" || s.Rust != "fn main() {}" {
		t.Errorf("Parse() title, topic, rust = %q, %q, %q", s.Title, s.Topic, s.Rust)
	}
	if s.Notes != "Some *notes*\n  indented more." {
		t.Errorf("Parse() notes = %q, want dedented", s.Notes)
	}
	if len(s.Modes) != 1 || s.Modes[0] != "sim" {
		t.Errorf("Parse() modes = %v, want [sim]", s.Modes)
	}
	var types []string
	for _, p := range s.Params {
		types = append(types, p.Name+":"+p.Type())
	}
	if got := strings.Join(types, " "); got != "n:int fast:bool name:string ratio:float" {
		t.Errorf("Parse() params = %s, want them in declaration order with types", got)
	}
}

func TestResolve(t *testing.T) {
	s, err := Parse("r", `params = {
    "n": param(4, min = 1, max = 16),
    "on": param(False),
    "who": param("a", choices = ["a", "b"]),
}
def main(n, on, who):
    pass
`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		given   map[string]any
		want    map[string]any
		wantErr string
	}{
		{"defaults", nil, map[string]any{"n": int64(4), "on": false, "who": "a"}, ""},
		{"json number", map[string]any{"n": float64(8)}, map[string]any{"n": int64(8), "on": false, "who": "a"}, ""},
		{"query strings", map[string]any{"n": "2", "on": "true", "who": "b"}, map[string]any{"n": int64(2), "on": true, "who": "b"}, ""},
		{"above max", map[string]any{"n": float64(100)}, nil, `param "n" must be from 1 to 16, not 100`},
		{"below min", map[string]any{"n": "0"}, nil, `param "n" must be from 1 to 16, not 0`},
		{"fraction", map[string]any{"n": 1.5}, nil, `param "n" must be an integer`},
		{"not a number", map[string]any{"n": "many"}, nil, `param "n" must be an integer`},
		{"bad choice", map[string]any{"who": "c"}, nil, `param "who" must be one of a, b, not c`},
		{"unknown", map[string]any{"m": 1}, nil, `param "m" is not a parameter`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkResolve(t, s.Params, tt.given, tt.want, tt.wantErr)
		})
	}
}

func TestBuiltin(t *testing.T) {
	c, err := Builtin()
	if err != nil {
		t.Fatalf("Builtin() error = %v", err)
	}
	s, ok := c.Get("lost-update")
	if !ok {
		t.Fatal(`Builtin().Get("lost-update") not found`)
	}
	if s.Topic != "Race conditions" || s.Title == "" || s.Notes == "" || s.Rust == "" || len(s.Params) != 2 {
		t.Errorf("lost-update = %+v, want topic, title, notes, rust and 2 params", s)
	}
	if len(c.Topics()) == 0 || c.Topics()[0].Name != "Threads" {
		t.Errorf("Topics()[0] = %v, want Threads first of the built-in topics", c.Topics()[0].Name)
	}
}

func TestLoadRejectsBroken(t *testing.T) {
	fsys := fstest.MapFS{
		"good.star":   {Data: []byte("def main():\n    pass\n")},
		"broken.star": {Data: []byte("def main(:\n")},
	}
	if _, err := Load(fsys); err == nil || !strings.Contains(err.Error(), "broken.star:1:") {
		t.Errorf("Load(broken) error = %v, want one naming broken.star and its line", err)
	}
}

// checkResolve checks Resolve(params, given): the error contains wantErr,
// or, with wantErr empty, each param want names has its value.
func checkResolve(t *testing.T, params []Param, given, want map[string]any, wantErr string) {
	t.Helper()
	got, err := Resolve(params, given)
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("Resolve(%v) error = %v, want %q", given, err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("Resolve(%v) error = %v", given, err)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Resolve(%v)[%q] = %#v, want %#v", given, k, got[k], v)
		}
	}
}
