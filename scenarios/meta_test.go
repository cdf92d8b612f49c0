package scenarios

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"interleave/limits"
)

const mainOf = "\ndef main(**kw):\n    pass\n"

func TestParseAcceptsLiterals(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	tests := []struct {
		name string
		src  string
		want Scenario // only the fields set are compared, with Params in full
	}{
		{"string", `topic = "Race conditions"`, Scenario{Topic: "Race conditions"}},
		{"single quotes, parentheses", `topic = ('Deadlocks')`, Scenario{Topic: "Deadlocks"}},
		{"triple-quoted rust", "rust = \"\"\"\nfn main() {}\n\"\"\"", Scenario{Rust: "fn main() {}"}},
		{"raw string", `topic = r"a\b"`, Scenario{Topic: `a\b`}},
		{"modes", `modes = ["os", "sim"]`, Scenario{Modes: []string{"os", "sim"}}},
		{"empty modes", `modes = []`, Scenario{Modes: []string{}}},
		{"last assignment wins", "topic = \"a\"\ntopic = \"b\"", Scenario{Topic: "b"}},
		{"params", `params = {
    "n": param(4, min = 1, max = 16, doc = "workers"),
    "neg": param(-3, min = -10, max = -1),
    "f": param(0.5, min = -1.5, max = 1e3),
    "on": param(True),
    "off": param(False, doc = """long
doc"""),
    "who": param("a", choices = ["a", "b"]),
    "pos": param(2, 1, 3, None, "positional"),
    "nobound": param(7, min = None),
}`, Scenario{Params: []Param{
			{Name: "n", Default: int64(4), Min: f(1), Max: f(16), Doc: "workers"},
			{Name: "neg", Default: int64(-3), Min: f(-10), Max: f(-1)},
			{Name: "f", Default: 0.5, Min: f(-1.5), Max: f(1000)},
			{Name: "on", Default: true},
			{Name: "off", Default: false, Doc: "long\ndoc"},
			{Name: "who", Default: "a", Choices: []any{"a", "b"}},
			{Name: "pos", Default: int64(2), Min: f(1), Max: f(3), Doc: "positional"},
			{Name: "nobound", Default: int64(7)},
		}}},
		{"most negative int", `params = {"n": param(-9223372036854775808)}`,
			Scenario{Params: []Param{{Name: "n", Default: int64(math.MinInt64)}}}},
		{"other assignments are not read", "x = \"a\" * 100\ntopic = \"t\"", Scenario{Topic: "t"}},
		{"seed", "seed = 11", Scenario{Seed: 11}},
		{"augmented assignment is not read", "topic = \"t\"\ntopic += \"x\" * 100", Scenario{Topic: "t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("x", tt.src+mainOf)
			if err != nil {
				t.Fatalf("Parse(%q) error = %v, want nil", tt.src, err)
			}
			if tt.want.Topic != "" && s.Topic != tt.want.Topic {
				t.Errorf("Parse(%q).Topic = %q, want %q", tt.src, s.Topic, tt.want.Topic)
			}
			if tt.want.Rust != "" && s.Rust != tt.want.Rust {
				t.Errorf("Parse(%q).Rust = %q, want %q", tt.src, s.Rust, tt.want.Rust)
			}
			if tt.want.Modes != nil && !reflect.DeepEqual(s.Modes, tt.want.Modes) {
				t.Errorf("Parse(%q).Modes = %q, want %q", tt.src, s.Modes, tt.want.Modes)
			}
			if s.Seed != tt.want.Seed {
				t.Errorf("Parse(%q).Seed = %d, want %d", tt.src, s.Seed, tt.want.Seed)
			}
			if tt.want.Params != nil && !reflect.DeepEqual(s.Params, tt.want.Params) {
				t.Errorf("Parse(%q).Params = %s, want %s", tt.src, dumpParams(s.Params), dumpParams(tt.want.Params))
			}
		})
	}
}

func dumpParams(ps []Param) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "{%s %T(%v) min=%v max=%v %v %q} ", p.Name, p.Default, p.Default, deref(p.Min), deref(p.Max), p.Choices, p.Doc)
	}
	return b.String()
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// parseErrorCase is metadata that Parse refuses, where and with what.
type parseErrorCase struct {
	name      string
	src       string // followed by mainOf
	line, col int
	want      string // in the error's message
}

// checkParseErrors checks that Parse refuses each case's script with an
// *Error at its line and column.
func checkParseErrors(t *testing.T, tests []parseErrorCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x", tt.src+mainOf)
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want *Error", tt.src, err)
			}
			if se.Line != tt.line || se.Col != tt.col || !strings.Contains(se.Msg, tt.want) {
				t.Errorf("Parse(%q) = %d:%d %q, want %d:%d containing %q", tt.src, se.Line, se.Col, se.Msg, tt.line, tt.col, tt.want)
			}
		})
	}
}

func TestParseRefusesNonLiterals(t *testing.T) {
	tests := []parseErrorCase{
		{"repeated string", `topic = "x" * (1024 * 1024 * 1023)`, 1, 9, "topic must be a literal string, not an expression"},
		{"concatenation", `topic = "a" + "b"`, 1, 9, "topic must be a literal string"},
		{"a name", "t = \"a\"\ntopic = t", 2, 9, "topic must be a literal string, not the name t"},
		{"a call", `rust = str(1)`, 1, 8, "rust must be a literal string, not a call of str"},
		{"an int", `topic = 3`, 1, 9, "topic must be a literal string, not the int 3"},
		{"bytes", `topic = b"x"`, 1, 9, "not a bytes literal"},
		{"format", `topic = "%d" % 3`, 1, 9, "topic must be a literal string"},
		{"modes comprehension", `modes = [m for m in ["os"]]`, 1, 9, "modes must be a list such as"},
		{"modes repeated", `modes = ["os"] * 3`, 1, 9, "modes must be a list such as"},
		{"modes tuple", `modes = ("os",)`, 1, 9, "modes must be a list such as"},
		{"mode not literal", `modes = ["o" + "s"]`, 1, 10, "modes must be a list of literal strings"},
		{"seed computed", `seed = 2 * 5`, 1, 8, "seed must be a literal whole number from 0 up, not an expression"},
		{"seed negative", `seed = -1`, 1, 8, "seed must be a literal whole number"},
		{"seed a string", `seed = "7"`, 1, 8, "seed must be a literal whole number"},
		{"unknown mode", "modes = [\"os\",\n    \"fast\"]", 2, 5, `modes: unknown mode "fast": use os, green or sim`},
		{"params call", `params = dict(n = param(1))`, 1, 10, "params must be a dict of param(...) values, not a call of dict"},
		{"params comprehension", `params = {k: param(1) for k in ["a"]}`, 1, 10, "params must be a dict"},
		{"params key not literal", `params = {"a" + "b": param(1)}`, 1, 11, "params: a key must be a literal string"},
		{"params value not param", `params = {"n": 4}`, 1, 16, `params: "n" must be declared with param(...), not the int 4`},
		{"params other call", `params = {"n": other(4)}`, 1, 16, `"n" must be declared with param(...), not a call of other`},
		{"params twice", `params = {"n": param(1), "n": param(2)}`, 1, 26, `params: "n" is declared twice`},
		{"default computed", `params = {"threads": param(2 * 3)}`, 1, 28, `params: "threads" must be declared with param(...) whose arguments are literals, not an expression`},
		{"default huge", `params = {"t": param("x" * (64 << 20))}`, 1, 22, "whose arguments are literals"},
		{"bound computed", `params = {"t": param(1, max = 1 << 4)}`, 1, 31, "whose arguments are literals"},
		{"bound a name", "m = 3\nparams = {\"t\": param(1, max = m)}", 2, 31, "whose arguments are literals, not the name m"},
		{"choices computed", `params = {"t": param("a", choices = ["a"] * 2)}`, 1, 37, "whose arguments are literals"},
		{"star args", `params = {"t": param(*[1])}`, 1, 22, "whose arguments are literals"},
		{"double negation", `params = {"t": param(--1)}`, 1, 22, "whose arguments are literals"},
		{"unknown keyword", `params = {"t": param(1, step = 2)}`, 1, 25, `param has no argument "step"`},
		{"too many", `params = {"t": param(1, 0, 2, None, "d", 6)}`, 1, 42, "at most 5 arguments"},
		{"given twice", `params = {"t": param(1, 0, min = 0)}`, 1, 28, "two values for min"},
		{"no default", `params = {"t": param(min = 1)}`, 1, 16, "needs a default"},
		{"bound of wrong type", `params = {"t": param(1, min = "a")}`, 1, 31, `"t": param: min must be a number, not string`},
		{"bound a list", `params = {"t": param(1, min = [1])}`, 1, 31, "min must be a number, not list"},
		{"bound beyond 2^53", `params = {"t": param(1, max = 9007199254740993)}`, 1, 31, "too large to compare exactly"},
		{"default None", `params = {"t": param(None)}`, 1, 22, "param: default: want an int, float, bool or string, not NoneType"},
		{"default too large", `params = {"t": param(9223372036854775808)}`, 1, 22, "integer 9223372036854775808 is too large"},
		{"default out of bounds", `params = {"t": param(20, min = 1, max = 16)}`, 1, 16, "the default 20 is out of its own bounds (from 1 to 16)"},
		{"default not a choice", `params = {"t": param("c", choices = ["a", "b"])}`, 1, 16, "out of its own bounds (one of a, b)"},
		{"choices not a list", `params = {"t": param("a", choices = ("a", "b"))}`, 1, 37, "choices must be a list, not tuple"},
		{"choice of wrong type", `params = {"t": param("a", choices = ["a", None])}`, 1, 37, "choices: want an int, float, bool or string, not NoneType"},
		{"doc not a string", `params = {"t": param(1, doc = 3)}`, 1, 31, "doc must be a string, not int"},
		{"doc a list", `params = {"t": param(1, doc = ["a"])}`, 1, 31, "doc must be a string, not list"},
	}
	checkParseErrors(t, tests)
}

// hostile are scripts whose metadata would take gigabytes if evaluated.
var hostile = map[string]string{
	"1 GB topic":       "topic = \"x\" * (1024 * 1024 * 1023)\ndef main():\n    pass\n",
	"four in a list":   "modes = [\"x\" * (1024 * 1024 * 1023)] * 4\ndef main():\n    pass\n",
	"four strings":     "topic = [\"x\" * (1 << 30), \"x\" * (1 << 30), \"x\" * (1 << 30), \"x\" * (1 << 30)]\ndef main():\n    pass\n",
	"64 MiB topic":     "topic = \"x\" * (64<<20)\ndef main():\n    pass\n",
	"256 MiB rust":     "rust = \"x\" * (256<<20)\ndef main():\n    pass\n",
	"computed default": "params = {\"n\": param(\"x\" * (1 << 30))}\ndef main(n):\n    pass\n",
	"computed choices": "params = {\"n\": param(\"x\", choices = [\"x\"] * (1 << 28))}\ndef main(n):\n    pass\n",
	"params loop":      "params = {str(i): param(i) for i in range(1 << 30)}\ndef main(**kw):\n    pass\n",
}

// TestParseHostile checks that metadata which would exhaust the server if
// it were evaluated is refused at its place, having allocated little: the
// cost of Parse is the cost of parsing the text.
func TestParseHostile(t *testing.T) {
	for name, src := range hostile {
		t.Run(name, func(t *testing.T) {
			var err error
			allocated := allocatedBy(func() { _, err = Parse("x", src) })
			var se *Error
			if !errors.As(err, &se) || se.Line != 1 || se.Col == 0 {
				t.Fatalf("Parse(%q) error = %v, want an *Error on line 1", src, err)
			}
			t.Logf("Parse(%s) allocated %d bytes: %v", name, allocated, err)
			if allocated > 1<<20 {
				t.Errorf("Parse(%q) allocated %d bytes, want under 1 MiB", src, allocated)
			}
		})
	}
}

// allocatedBy is how many bytes f allocates on the heap.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestParseHasNoSizeCap checks that Parse leaves the size limit to its
// callers, which are configured with one (-max-script).
func TestParseHasNoSizeCap(t *testing.T) {
	src := "def main():\n    pass\n" + strings.Repeat("# a comment line\n", 2*limits.DefaultScript/17)
	if _, err := Parse("big", src); err != nil {
		t.Errorf("Parse(%d bytes) error = %v, want nil", len(src), err)
	}
}

// TestParamBuiltinAgrees runs every built-in scenario's params dict with
// ParamBuiltin, as the child does, and compares the Params with those
// Parse read from the syntax tree: the two sides must see the same
// declarations.
func TestParamBuiltinAgrees(t *testing.T) {
	for id, src := range builtinSources(t) {
		t.Run(id, func(t *testing.T) {
			s, err := Parse(id, src)
			if err != nil {
				t.Fatalf("Parse(%s) error = %v", id, err)
			}
			d := evalParams(t, id, src)
			var got []Param
			if d != nil {
				for _, item := range d.Items() {
					p := item[1].(*paramValue).p
					p.Name = string(item[0].(starlark.String))
					got = append(got, p)
				}
			}
			if !reflect.DeepEqual(got, s.Params) && (len(got) != 0 || len(s.Params) != 0) {
				t.Errorf("ParamBuiltin gives %s, Parse %s", dumpParams(got), dumpParams(s.Params))
			}
		})
	}
}

// evalParams evaluates a script's params dict with ParamBuiltin, as the
// child does when it runs the script (and as Parse did before it read the
// syntax tree).
func evalParams(t *testing.T, id, src string) *starlark.Dict {
	t.Helper()
	f, err := FileOptions.Parse(id+".star", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range f.Stmts {
		if a, ok := stmt.(*syntax.AssignStmt); ok {
			if id, ok := a.LHS.(*syntax.Ident); ok && id.Name == "params" {
				v, err := starlark.EvalExprOptions(FileOptions, &starlark.Thread{}, a.RHS, starlark.StringDict{"param": ParamBuiltin})
				if err != nil {
					t.Fatalf("evaluate params: %v", err)
				}
				return v.(*starlark.Dict)
			}
		}
	}
	return nil
}

// TestParamBuiltinChecks checks that the builtin, as the child runs it,
// refuses what the reader refuses, in the same words.
func TestParamBuiltinChecks(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`param(0, min = 1)`, "param: the default 0 is out of its own bounds (at least 1)"},
		{`param(1, min = "a")`, "param: min must be a number, not string"},
		{`param(1, max = [2])`, "param: max must be a number, not list"},
		{`param(1, max = 9007199254740993)`, "param: max 9007199254740993 is too large to compare exactly: keep bounds within ±9007199254740992"},
		{`param(None)`, "param: default: want an int, float, bool or string, not NoneType"},
		{`param(9223372036854775808)`, "param: default: integer 9223372036854775808 is too large"},
		{`param("a", choices = ("a",))`, "param: choices must be a list, not tuple"},
		{`param("a", choices = ["a", None])`, "param: choices: want an int, float, bool or string, not NoneType"},
		{`param("c", choices = ["a", "b"])`, "param: the default c is out of its own bounds (one of a, b)"},
		{`param(1, doc = 3)`, "param: doc must be a string, not int"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := starlark.EvalOptions(&syntax.FileOptions{}, &starlark.Thread{}, "x", tt.expr, starlark.StringDict{"param": ParamBuiltin})
			if err == nil || !strings.HasSuffix(err.Error(), tt.want) {
				t.Errorf("ParamBuiltin: %s error = %v, want %q", tt.expr, err, tt.want)
			}
			_, err = Parse("x", `params = {"t": `+tt.expr+"}"+mainOf)
			var se *Error
			if !errors.As(err, &se) || se.Msg != `params: "t": `+tt.want {
				t.Errorf("Parse: %s error = %v, want %q", tt.expr, err, `params: "t": `+tt.want)
			}
		})
	}
}

func builtinSources(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	paths, err := fs.Glob(builtin, "lib/*.star")
	if err != nil || len(paths) == 0 {
		t.Fatalf("glob built-in scenarios: %v (%d found)", err, len(paths))
	}
	for _, p := range paths {
		b, err := builtin.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(strings.TrimPrefix(p, "lib/"), ".star")] = string(b)
	}
	return out
}

// FuzzParse checks that Parse never panics and that what it accepts is a
// usable scenario. Its seed corpus (every built-in scenario and the
// hostile scripts) runs with go test.
func FuzzParse(f *testing.F) {
	for _, src := range builtinSources(f) {
		f.Add(src)
	}
	for _, src := range hostile {
		f.Add(src)
	}
	f.Add("params = {\"n\": param(-9223372036854775808, min = -1e300, choices = [1, -2.5, True, \"s\"])}" + mainOf)
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Parse("fuzz", src)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Msg == "" {
				t.Fatalf("Parse(%q) error = %#v, want an *Error with a message", src, err)
			}
			return
		}
		if s.Title == "" || !strings.Contains(src, "main") {
			t.Fatalf("Parse(%q) = title %q, want a title and a main", src, s.Title)
		}
		for _, p := range s.Params {
			if p.Default == nil || p.check(p.Default) != nil {
				t.Fatalf("Parse(%q) param %q default %v, want one within its bounds", src, p.Name, p.Default)
			}
		}
	})
}

// TestCourseFileSizeLimit checks that a course folder applies the limit it
// is given, not the default: Parse no longer caps the size.
func TestCourseFileSizeLimit(t *testing.T) {
	file := func(size int) []byte {
		head := "def main():\n    pass\n#"
		return []byte(head + strings.Repeat("x", size-len(head)))
	}
	fsys := fstest.MapFS{
		"fits.star":  {Data: file(70 << 10)},
		"large.star": {Data: file(100001)},
	}
	tests := []struct {
		max      int
		wantIDs  []string
		wantProb []string
	}{
		{0, nil, []string{"fits.star: The script is 71680 bytes; the script size limit is 65536 bytes.", "large.star: The script is 100001 bytes; the script size limit is 65536 bytes."}},
		{100000, []string{"fits"}, []string{"large.star: The script is 100001 bytes; the script size limit is 100000 bytes."}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.max), func(t *testing.T) {
			c, err := Open(Options{FS: fsys, OnlyCourse: true, MaxScript: tt.max})
			if err != nil {
				t.Fatal(err)
			}
			var ids, probs []string
			for _, s := range c.All() {
				ids = append(ids, s.ID)
			}
			for _, p := range c.Problems() {
				probs = append(probs, p.Error())
			}
			if !reflect.DeepEqual(ids, tt.wantIDs) || !reflect.DeepEqual(probs, tt.wantProb) {
				t.Errorf("Open(MaxScript %d) = %q, problems %q, want %q, %q", tt.max, ids, probs, tt.wantIDs, tt.wantProb)
			}
		})
	}
}

// BenchmarkParse measures the metadata reader on a built-in scenario and
// on a script declaring 4000 params (about 110 KB), whose cost must grow
// linearly with the script.
func BenchmarkParse(b *testing.B) {
	var many strings.Builder
	many.WriteString("params = {\n")
	var names []string
	for i := range 4000 {
		fmt.Fprintf(&many, "    \"p%d\": param(%d, min = 0, max = 100000),\n", i, i)
		names = append(names, fmt.Sprintf("p%d", i))
	}
	many.WriteString("}\ndef main(" + strings.Join(names, ", ") + "):\n    pass\n")
	for name, src := range map[string]string{"lost-update": builtinSources(b)["lost-update"], "4000 params": many.String()} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				if _, err := Parse("x", src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestParseChallenge(t *testing.T) {
	src := "goal = \"deadlock\"\nhints = [\"Who locks first?\", \" Then switch. \"]\nfix = \"lock-ordering\"\nshortest = 4" + mainOf
	s, err := Parse("x", src)
	if err != nil {
		t.Fatalf("Parse(%q) error = %v, want nil", src, err)
	}
	if s.Goal != "deadlock" || !reflect.DeepEqual(s.Hints, []string{"Who locks first?", "Then switch."}) || s.Fix != "lock-ordering" || s.Shortest != 4 {
		t.Errorf("Parse(%q) = goal %q hints %q fix %q shortest %d, want deadlock, two trimmed hints, lock-ordering, 4", src, s.Goal, s.Hints, s.Fix, s.Shortest)
	}
	if s, _ := Parse("x", `goal = "fail"`+mainOf); s == nil || s.Goal != "fail" || s.Hints != nil {
		t.Errorf(`Parse(goal = "fail") = %+v, want goal fail and no hints`, s)
	}
	tests := []parseErrorCase{
		{"unknown goal", `goal = "win"`, 1, 8, `goal must be "deadlock" or "fail", not the string "win"`},
		{"goal computed", `goal = "dead" + "lock"`, 1, 8, `goal must be "deadlock" or "fail"`},
		{"hints a string", `goal = "fail"` + "\nhints = \"try\"", 2, 9, "hints must be a list of 1 to 5 literal strings"},
		{"hints empty", `goal = "fail"` + "\nhints = []", 2, 9, "hints must be a list of 1 to 5"},
		{"hints too many", `goal = "fail"` + "\nhints = [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]", 2, 9, "hints must be a list of 1 to 5"},
		{"hint computed", `goal = "fail"` + "\nhints = [\"a\", \"b\" * 3]", 2, 15, "hints must be a list of literal strings, each a sentence, not of an expression"},
		{"hint blank", `goal = "fail"` + "\nhints = [\" \"]", 2, 10, "each a sentence"},
		{"fix not an id", `goal = "fail"` + "\nfix = \"../etc\"", 2, 7, "fix must be the id of a scenario"},
		{"fix a name", `goal = "fail"` + "\nfix = other", 2, 7, "fix must be the id of a scenario, a literal string such as \"lock-ordering\", not the name other"},
		{"fix itself", `goal = "fail"` + "\nfix = \"x\"", 2, 7, "fix names the challenge itself"},
		{"shortest zero", `goal = "fail"` + "\nshortest = 0", 2, 12, "shortest must be a literal whole number from 1 to 1000, not the int 0"},
		{"shortest computed", `goal = "fail"` + "\nshortest = 2 + 3", 2, 12, "shortest must be a literal whole number"},
		{"shortest a string", `goal = "fail"` + "\nshortest = \"5\"", 2, 12, "shortest must be a literal whole number"},
		{"hints without goal", "hints = [\"a\"]", 1, 9, `hints belongs to a challenge: add goal = "deadlock" or goal = "fail"`},
		{"shortest without goal", "shortest = 3", 1, 12, "shortest belongs to a challenge"},
		{"goal without sim", "modes = [\"os\"]\ngoal = \"deadlock\"", 2, 8, `a challenge is played in sim mode: add "sim" to modes`},
	}
	checkParseErrors(t, tests)
}

// TestLanguageDocListsMetadata checks that docs/language.md's table of
// what the catalogue reads has a row for every metadata assignment.
func TestLanguageDocListsMetadata(t *testing.T) {
	doc, err := os.ReadFile("../docs/language.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"topic", "modes", "params", "seed", "rust", "goal", "hints", "fix", "shortest"} {
		if !strings.Contains(string(doc), "| `"+name+" = ") {
			t.Errorf("docs/language.md has no row \"| `%s = ...` |\" in its table of metadata: document it", name)
		}
	}
}
